"""The few-treated Monte Carlo methods: one factory, ``scale`` passed only when given, picklable fits."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from sosek_impact.inference import few_treated_inference
from sosek_impact.montecarlo import FewTreatedFit, few_treated_method, few_treated_methods, few_treated_scales
from sosek_impact.montecarlo import methods_few_treated as mft
from sosek_impact.montecarlo.methods_few_treated import fit_cs_randomization, supports_scale
from sosek_impact.simulate import simulate_staggered_panel


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered_panel(30, 8, cohorts={2004: 1, 2006: 2}, effect="constant", seed=1)


def test_fit_is_the_library_call(panel):
    for est, meth in [("cs", "randomization"), ("imputation", "conley_taber")]:
        e = FewTreatedFit(est, meth, n_draws=199)(panel, 17)
        r = few_treated_inference(panel, "y", "unit", "time", "group", estimator=est, method=meth, n_draws=199, seed=17)
        assert (e.estimate, e.ci_low, e.ci_high, e.p_value) == (r.estimate[0], r.conf_low[0], r.conf_high[0], r.p_value[0])
    assert fit_cs_randomization == FewTreatedFit("cs", "randomization")  # the old name is an instance, not a copy


class _Recorder:
    def __init__(self):
        self.kwargs = []

    def __call__(self, data, *cols, **kw):
        self.kwargs.append(kw)
        return few_treated_inference(data, *cols, **{k: v for k, v in kw.items() if k != "scale"})


def test_scale_is_passed_only_when_given(panel, monkeypatch):
    rec = _Recorder()
    monkeypatch.setattr(mft, "_few_treated_inference", lambda: rec)
    FewTreatedFit("cs", "randomization", n_draws=99)(panel, 1)
    FewTreatedFit("cs", "randomization", scale="pre_period", n_draws=99)(panel, 1)
    assert "scale" not in rec.kwargs[0] and rec.kwargs[1]["scale"] == "pre_period"


def test_one_method_per_estimator_method_scale():
    ms = few_treated_methods(("none", "pre_period"), estimators=["cs", "sa"])
    names = [m.name for m in ms]
    assert len(names) == len(set(names)) == 8
    assert "CS + Conley-Taber [scale=pre_period]" in names and "Sun-Abraham + randomisation inference [scale=none]" in names
    assert [m.name for m in few_treated_methods(estimators=["cs"])] == ["CS + randomisation inference", "CS + Conley-Taber"]
    assert {type(m.fit) for m in ms} == {FewTreatedFit}
    m = pickle.loads(pickle.dumps(few_treated_method("sa", "conley_taber", "none")))
    assert m.fit == FewTreatedFit("sa", "conley_taber", "none") and "scale=none" in m.inference
    with pytest.raises(ValueError, match="estimator"):
        few_treated_method("twfe", "randomization")
    assert few_treated_scales() == (("none", "pre_period") if supports_scale() else (None,))


@pytest.mark.skipif(supports_scale(), reason="only meaningful before few_treated_inference has scale")
def test_a_scale_without_library_support_is_a_recorded_failure(panel):
    from sosek_impact.montecarlo import run_monte_carlo

    draws = run_monte_carlo([few_treated_method("cs", "randomization", "none", n_draws=99)], 2,
                            design={"n_units": 20, "n_periods": 6, "cohorts": {2003: 1}}, seed=1)
    assert draws["error"].str.contains("scale").all() and np.isnan(draws["estimate"]).all()
