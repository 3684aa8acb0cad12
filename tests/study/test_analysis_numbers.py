"""Numbers of the committed results recomputed independently.

References: statsmodels OLS with cluster-robust covariance for the Engel slope on the province
panel; scipy's Welch t test (``ttest_ind(equal_var=False).confidence_interval``) for the
border / non-border gaps; the food share of Kalimantan Barat 2017 computed by hand from the
province panel and checked against the value in ../shared/data/sources/PROVENANCE.md (55.91 %).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _results(name):
    return json.loads((ROOT / "reports" / "results" / f"{name}.json").read_text(encoding="utf-8"))


# stored results keep 6 significant digits at an absolute resolution of 1e-6 (sosek_impact.report.tables):
# agreement to half a unit of whichever is coarser
STORED_REL, STORED_ABS = 5.01e-6, 5.01e-7

def test_engel_slope_matches_statsmodels_on_the_province_panel(built_panel):
    import pandas as pd
    import statsmodels.formula.api as smf

    res = _results("engel")
    q = pd.read_parquet(ROOT / "data" / "processed" / "province_panel.parquet")
    d = q.loc[q["year"].between(2017, 2025) & (q["province_code"] != 0)].dropna(subset=["food_share", "total_exp"])
    ref = smf.ols("food_share ~ np.log(total_exp) + C(year)", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": d["province_code"]})
    assert res["engel_main"]["beta"] == pytest.approx(ref.params["np.log(total_exp)"], rel=STORED_REL, abs=STORED_ABS)
    assert res["engel_main"]["se"] == pytest.approx(ref.bse["np.log(total_exp)"], rel=STORED_REL, abs=STORED_ABS)
    assert res["engel_main"]["beta"] < 0  # Engel's law holds across provinces
    kb = d.loc[(d["province_code"] == 61) & (d["year"] == 2017)].iloc[0]
    assert 100 * kb["food_exp"] / kb["total_exp"] == pytest.approx(55.91, abs=0.005)  # PROVENANCE.md check value


def test_gap_intervals_match_scipy_welch(built_panel):
    import pandas as pd
    from scipy import stats

    rows = [r for r in _results("gaps")["rows"] if r["outcome"] == "poverty_rate" and r["comparison"] == "kalimantan"
            and r["year"] == 2022]
    assert len(rows) == 1
    p = pd.read_parquet(ROOT / "data" / "processed" / "panel.parquet")
    g = p.loc[(p["year"] == 2022) & p["kalimantan"].astype(bool)].dropna(subset=["poverty_rate"])
    a = g.loc[g["border"].astype(bool), "poverty_rate"].to_numpy(float)
    b = g.loc[~g["border"].astype(bool), "poverty_rate"].to_numpy(float)
    t = stats.ttest_ind(a, b, equal_var=False)
    ci = t.confidence_interval(0.95)
    r = rows[0]
    assert r["gap"] == pytest.approx(a.mean() - b.mean(), rel=STORED_REL, abs=STORED_ABS)
    assert (r["conf_low"], r["conf_high"]) == pytest.approx((ci.low, ci.high), rel=STORED_REL, abs=STORED_ABS)
    assert r["n_border"] == len(a) and np.isfinite(r["se"])
