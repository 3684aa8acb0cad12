"""att_gt and its aggregations against R `did` (Callaway & Sant'Anna).

Reference numbers: tests/did/reference/ref_attgt.csv, ref_aggte.csv, ref_pretest.csv, produced with
R's `did` package and published by d2cml-ai/csdid (MIT; see tests/did/reference/PROVENANCE.md).
Tolerances (from the brief): ATT 1e-6 absolute, standard errors 1e-4 relative, Wald statistic 1e-6
relative (it is a smooth function of the same ATT and covariance). The reference p-value is rounded
to 5 digits by R, so it is checked to 1e-5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.estimators import att_gt

REF = Path(__file__).parent / "reference"
ATT_TOL = 1e-6
SE_RTOL = 1e-4

MPDTA = dict(y="lemp", unit="countyreal", time="year", group="first.treat")
SIM = dict(y="Y", unit="id", time="period", group="G")
SCENARIOS = {
    "mpdta_nev_dr": ("mpdta", dict(MPDTA, control="never", method="dr")),
    "mpdta_nyt_dr": ("mpdta", dict(MPDTA, control="not_yet", method="dr")),
    "mpdta_nev_reg_cov": ("mpdta", dict(MPDTA, control="never", method="reg", covariates=["lpop"])),
    "mpdta_nev_ipw": ("mpdta", dict(MPDTA, control="never", method="ipw")),
    "sim_nev_dr": ("sim_data", dict(SIM, control="never", method="dr", covariates=["X"])),
}


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(REF / f"{name}.csv") for name in ("mpdta", "sim_data")}


@pytest.fixture(scope="module")
def fits(data):
    return {sc: att_gt(data[d], **kw) for sc, (d, kw) in SCENARIOS.items()}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_att_gt_matches_r_did(fits, scenario):
    ref = pd.read_csv(REF / "ref_attgt.csv").query("scenario == @scenario")
    got = fits[scenario].table
    assert list(got.columns[:4]) == ["group", "time", "att", "se"]
    m = got.merge(ref, left_on=["group", "time"], right_on=["group", "t"], suffixes=("", "_r"), validate="1:1")
    assert len(m) == len(ref) == len(got)
    np.testing.assert_allclose(m["att"], m["att_r"], rtol=0, atol=ATT_TOL)
    np.testing.assert_allclose(m["se"], m["se_r"], rtol=SE_RTOL)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggregations_match_r_did(fits, scenario, kind):
    ref = pd.read_csv(REF / "ref_aggte.csv").query("scenario == @scenario and type == @kind")
    res = fits[scenario].aggregate(kind)
    agg = res.to_frame()  # the layout of R aggte: egt, att, se
    assert res.estimate == pytest.approx(ref["overall_att"].iloc[0], abs=ATT_TOL)
    assert res.std_error == pytest.approx(ref["overall_se"].iloc[0], rel=SE_RTOL)
    if kind == "simple":
        assert len(agg) == 0
        return
    assert list(agg.columns[:3]) == ["egt", "att", "se"]
    m = agg.merge(ref, on="egt", validate="1:1")
    assert len(m) == len(ref) == len(agg)
    np.testing.assert_allclose(m["att"], m["att_egt"], rtol=0, atol=ATT_TOL)
    np.testing.assert_allclose(m["se"], m["se_egt"], rtol=SE_RTOL)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_pretest_matches_r_did(fits, scenario):
    ref = pd.read_csv(REF / "ref_pretest.csv").query("scenario == @scenario").iloc[0]
    pt = fits[scenario].pretest
    assert pt.W == pytest.approx(ref["W"], rel=1e-6)
    assert pt.pvalue == pytest.approx(ref["Wpval"], abs=1e-5)
