"""series_comparability on simulated panels with a known answer, and on the built panel.

Simulation: 400 regencies, a reference series 2020–2024 with i.i.d. normal year-on-year changes
(SD 0.5) around a year-specific common change. A 2019 value that follows the same process is a
"normal year": the share of jumps beyond the 95 % quantile is 5 % up to sampling error (binomial
SE sqrt(0.05·0.95/400) ≈ 0.011; the threshold itself is estimated from 1,600 changes); tolerance
0.035 (about 3 SE). When 30 % of regencies get a shift of 5 SD at the seam, the share is at least
0.30 (those all jump, up to sampling error); above it, the 70 % unshifted regencies jump more often
than 5 % because the shifted ones pull the seam median (about 0.4 SD here, so ~12 % of them pass
the threshold): at most 0.30 + 0.7 × 0.12 + 0.035 ≈ 0.42, bound 0.45.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.panel.comparability import series_comparability
from sosek_impact.paths import processed_dir


def _panel(shift_share: float, shift: float, level_shift: float = 0.0, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    common = {2020: -0.3, 2021: 0.2, 2022: -0.1, 2023: -0.4, 2024: 0.1}
    level = rng.uniform(3, 30, n)
    rows = []
    x = level.copy()
    rows.append(pd.DataFrame({"bps_code": np.arange(n), "year": 2019, "v": x, "v_source": "cross_section"}))
    for y in range(2020, 2025):
        x = x + common[y] + rng.normal(0, 0.5, n)
        if y == 2020:
            jump = rng.random(n) < shift_share
            x = x + np.where(jump, shift, 0.0) + level_shift
        rows.append(pd.DataFrame({"bps_code": np.arange(n), "year": y, "v": x.copy(), "v_source": f"bps_p0_{y}"}))
    return pd.concat(rows, ignore_index=True)


def test_a_normal_seam_has_about_five_percent_jumps():
    r = series_comparability(_panel(0.0, 0.0), ("v",)).iloc[0]
    assert r.regencies == 400 and r.test_source == "cross_section" and r.reference_years == "2020–2024"
    assert abs(r.share_jumps - 0.05) < 0.035
    assert abs(r.mean_difference - (-0.3)) < 0.1  # the common change of 2020 (SE 0.5/sqrt(400) = 0.025)
    assert r.correlation > 0.99


def test_a_broken_seam_is_detected():
    r = series_comparability(_panel(0.3, 2.5), ("v",)).iloc[0]
    assert 0.30 - 0.035 <= r.share_jumps <= 0.45


def test_a_common_level_shift_is_a_mean_difference_not_jumps():
    r = series_comparability(_panel(0.0, 0.0, level_shift=3.0), ("v",)).iloc[0]
    assert abs(r.share_jumps - 0.05) < 0.035
    assert r.share_jumps_raw > 0.9 and abs(r.mean_difference - 2.7) < 0.1


def test_too_few_pairs_gives_no_statistics():
    p = _panel(0.0, 0.0)
    r = series_comparability(p[p.bps_code < 2], ("v",)).iloc[0]
    assert r.regencies == 2 and pd.isna(r.get("share_jumps", np.nan))


def test_on_the_built_panel():
    path = processed_dir() / "panel.parquet"
    if not path.exists():
        pytest.skip("panel not built")
    res = series_comparability(pd.read_parquet(path)).set_index("variable")
    assert list(res.index) == ["poverty_rate", "hdi"]
    assert (res.test_source == "dapoer_2019").all() and (res.regencies == 514).all()
    assert (res.correlation > 0.99).all()


def _skewed_panel() -> pd.DataFrame:
    """Five regencies with skewed reference changes (mean ≠ median), and one with a gap year.

    Levels 2019 (source "cs"): 10, 20, 30, 40, 50. Seam changes 2019→2020: 0, 0, 0, 0, 7.
    Reference changes 2020→2021: 0, 0, 0, 1, 10 (median 0, mean 2.2); 2021→2022: 1 for all.
    Regency 6 has 2020 and 2022 only (2021 missing): its 2020→2022 change of 100 spans two years
    and is not a year-on-year change. A NaN value is left out.
    """
    seam = [0, 0, 0, 0, 7]
    c21 = [0, 0, 0, 1, 10]
    rows = []
    for i, level in enumerate([10.0, 20.0, 30.0, 40.0, 50.0]):
        v20 = level + seam[i]
        v21 = v20 + c21[i]
        rows += [(i, 2019, level, "cs"), (i, 2020, v20, "bps_p0_2020"), (i, 2021, v21, "bps_p0_2021"),
                 (i, 2022, v21 + 1, "bps_p0_2022")]
    rows += [(6, 2020, 5.0, "bps_p0_2020"), (6, 2021, np.nan, "bps_p0_2021"), (6, 2022, 105.0, "bps_p0_2022")]
    return pd.DataFrame(rows, columns=["bps_code", "year", "v", "v_source"])


def test_hand_computed_statistics_on_a_skewed_panel():
    r = series_comparability(_skewed_panel(), ("v",)).iloc[0]
    assert (r.regencies, r.test_source, r.reference_years) == (5, "cs", "2020–2022")
    # reference changes (10, regency 6 excluded): 0,0,0,1,10 | 1,1,1,1,1 → median 1, mean 1.6
    assert r.reference_median_change == 1.0
    assert r.reference_sd_change == pytest.approx(np.std([0, 0, 0, 1, 10, 1, 1, 1, 1, 1], ddof=1), abs=1e-12)
    # excess = change − that year's median: 0,0,0,1,10 | 0,0,0,0,0; 95 % quantile (linear) of the
    # sorted |excess| 0×8, 1, 10: position 0.95 × 9 = 8.55 → 1 + 0.55 × 9 = 5.95
    assert r.threshold == pytest.approx(5.95, abs=1e-12)
    # seam changes 0,0,0,0,7 (median 0): one of five beyond 5.95
    assert r.share_jumps == pytest.approx(0.2, abs=1e-12)
    # raw: |change − 1| = 1,1,1,1,6 → one beyond
    assert r.share_jumps_raw == pytest.approx(0.2, abs=1e-12)
    assert r.mean_difference == pytest.approx(1.4, abs=1e-12)
    assert r.sd_difference == pytest.approx(np.std([0, 0, 0, 0, 7], ddof=1), abs=1e-12)
    assert r.correlation == pytest.approx(np.corrcoef([10, 20, 30, 40, 50], [10, 20, 30, 40, 57])[0, 1], abs=1e-12)
    assert r.reference_share_by_year == "2020→2021: 0.200, 2021→2022: 0.000"


def test_seam_jump_is_measured_from_the_seam_median_not_the_mean():
    # seam changes 0,0,0,0,7: mean 1.4 would put regency 5 at 5.6 < 5.95 (no jump); the median 0 at 7
    p = _skewed_panel()
    r = series_comparability(p, ("v",), quantile=0.95).iloc[0]
    assert r.share_jumps == pytest.approx(0.2, abs=1e-12)
    # a lower quantile: 0.9 × 9 = 8.1 → 1 + 0.1 × 9 = 1.9; the seam jump 7 still counts, the others (0) do not
    r90 = series_comparability(p, ("v",), quantile=0.9).iloc[0]
    assert r90.threshold == pytest.approx(1.9, abs=1e-12) and r90.share_jumps == pytest.approx(0.2, abs=1e-12)
