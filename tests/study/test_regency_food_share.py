"""The regency food-share path of analysis 4, on a TEST FIXTURE in the BPS export layout.

The fixture ``fixtures/food_share_regency_TEST_FIXTURE.csv`` is made by the test suite, is
labelled as such in its own rows, and holds synthetic numbers: for the 14 West Kalimantan
regencies, ``60 - 0.5 (year - 2014) + 0.7 i`` percent minus a planted 2.00 points once the
regency's border post is open (Sanggau from 2017, Sambas and Kapuas Hulu from 2018: the
registry timing with first full year). A regency and year fixed-effects regression must recover
exactly -0.02 (fraction), and the income equivalent is -0.02 / beta.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "food_share_regency_TEST_FIXTURE.csv"


def test_regency_food_share_is_picked_up_and_converted(built_panel):
    import engel
    from _common import load_spec

    spec = copy.deepcopy(load_spec("analysis/specs/engel.toml"))
    spec["regency"]["path"] = str(FIXTURE)  # absolute: data_path() leaves it as is
    failures: list = []
    info = engel.regency_food_share(spec, beta=-0.12, se_beta=0.02, beta_draws=None, failures=failures)
    assert failures == []
    assert info["present"] and info["regencies"] == 14 and info["years"] == list(range(2014, 2020))
    assert info["treated"] == [6101, 6105, 6108]
    assert info["did"]["delta"] == pytest.approx(-0.02, abs=1e-9)  # planted effect, no noise
    w = info["welfare_delta_method"]
    assert w["estimate"] == pytest.approx(-0.02 / -0.12, rel=1e-9)  # a lower food share is a gain
    assert w["conf_low"] < w["estimate"] < w["conf_high"]


def test_missing_regency_table_is_reported_not_invented(tmp_path):
    import engel
    from _common import load_spec

    spec = copy.deepcopy(load_spec("analysis/specs/engel.toml"))
    spec["regency"]["path"] = str(tmp_path / "absent.csv")
    info = engel.regency_food_share(spec, beta=-0.12, se_beta=0.02, beta_draws=None, failures=[])
    assert info == {"path": str(tmp_path / "absent.csv"), "bps_table": spec["regency"]["bps_table"], "present": False}


def test_regency_food_share_gets_a_few_treated_interval(built_panel):
    """The planted -2.00 points are recovered by Callaway-Sant'Anna and lie in its few-treated interval."""
    import engel
    from _common import load_spec

    spec = copy.deepcopy(load_spec("analysis/specs/engel.toml"))
    spec["regency"]["path"] = str(FIXTURE)
    spec["few_treated"]["n_draws"] = 199
    failures: list = []
    info = engel.regency_food_share(spec, beta=-0.12, se_beta=0.02, beta_draws=None, failures=failures, beta_ci=[-0.16, -0.08])
    assert failures == []
    ft = info["few_treated"]
    assert ft["n_treated"] == 3 and ft["n_units"] == 14
    assert ft["estimate"] == pytest.approx(-0.02, abs=1e-9)
    assert ft["conf_low"] <= -0.02 <= ft["conf_high"]
    ie = ft["income_equivalent"]
    assert ie["estimate"] == pytest.approx(-0.02 / -0.12, rel=1e-9)
    # the projection over beta's interval contains both single-beta mappings of the delta interval
    for b in (-0.16, -0.08):
        for d in (ft["conf_low"], ft["conf_high"]):
            assert ie["conf_low"] - 1e-12 <= d / b <= ie["conf_high"] + 1e-12
