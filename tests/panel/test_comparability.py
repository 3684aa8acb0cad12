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
