"""Few-treated inference for CS / Sun–Abraham: randomisation inference and Conley–Taber-type intervals.

Independent references:

- randomisation p-values: hand enumeration of every distinct assignment with ``att_gt`` refitted on
  each (itertools, not the package's enumerator), and the package's older ``randomization_inference``
  (``estimator="att_gt"``, one refit per permutation) on the same random permutations;
- interval ends: the p-value recomputed by brute force (refits on the outcome shifted by ``tau D``)
  just inside and just outside each end;
- Conley–Taber: a brute-force simulation of the estimator's error on a fixed design whose treated
  and control units share one i.i.d. error law, and a hand-computed p-value.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sosek_impact.errors import EstimationError, GroupColumnError
from sosek_impact.estimators import att_gt
from sosek_impact.inference import (
    FewAssignmentsWarning,
    FewControlsWarning,
    FewTreatedResult,
    few_treated_inference,
    randomization_inference,
)
from sosek_impact.inference.few_treated_weights import cs_linear_weights
from sosek_impact.simulate import simulate_staggered_panel

COLS = ("y", "unit", "time", "group")


def _tiny_panel(seed: int = 1) -> pd.DataFrame:
    """6 units x 5 periods, one unit first treated in 2003, one in 2004, four never treated."""
    rng = np.random.default_rng(seed)
    groups = np.array([2003, 0, 0, 2004, 0, 0])
    rows = []
    for u, g in enumerate(groups, start=1):
        a = rng.normal()
        for t in range(2001, 2006):
            effect = 2.0 if g and t >= g else 0.0
            rows.append({"unit": u, "time": t, "group": int(g), "y": a + 0.3 * (t - 2000) + effect + rng.normal()})
    return pd.DataFrame(rows)


def _cs(d: pd.DataFrame, groups_by_unit: np.ndarray | None = None, shift: float = 0.0) -> float:
    """CS simple ATT refitted by att_gt, optionally under other first-treated periods / shifted outcome."""
    d = d.copy()
    if shift:
        D = (d["group"] > 0) & (d["time"] >= d["group"])
        d["y"] = d["y"] - shift * D
    if groups_by_unit is not None:
        d["group"] = groups_by_unit[d["unit"].to_numpy() - 1].astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(att_gt(d, y="y", unit="unit", time="time", group="group").aggregate("simple").estimate)


def _all_assignments(groups: np.ndarray) -> list[np.ndarray]:
    return [np.array(p) for p in sorted(set(itertools.permutations(groups.tolist())))]


def _brute_p(d: pd.DataFrame, tau: float, assignments: list[np.ndarray]) -> float:
    obs = _cs(d, shift=tau)
    vals = np.array([_cs(d, a, shift=tau) for a in assignments])
    return float(np.mean(np.abs(vals) >= abs(obs) - 1e-12))


def test_exact_pvalue_equals_hand_enumeration_and_interval_ends_cross_alpha():
    d = _tiny_panel()
    groups = d.groupby("unit")["group"].first().to_numpy()
    assignments = _all_assignments(groups)
    assert len(assignments) == 30  # 6! / (1! 1! 4!)
    alpha = 0.2  # 30 assignments can reach 0.2 (and not 0.05: see the warning test)
    with pytest.warns(FewAssignmentsWarning, match="only 30 distinct assignments"):
        r = few_treated_inference(d, *COLS, alpha=alpha, scale="none")
    assert r.exact and r.n_draws == 30
    assert r.estimate[0] == pytest.approx(_cs(d), abs=1e-10)
    assert r.p_value[0] == pytest.approx(_brute_p(d, 0.0, assignments), abs=1e-12)
    lo, hi = r.conf_low[0], r.conf_high[0]
    assert math.isfinite(lo) and math.isfinite(hi) and lo < r.estimate[0] < hi
    eps = 1e-6 * max(1.0, hi - lo)
    assert _brute_p(d, lo + eps, assignments) > alpha >= _brute_p(d, lo - eps, assignments)
    assert _brute_p(d, hi - eps, assignments) > alpha >= _brute_p(d, hi + eps, assignments)


def test_random_path_matches_refitting_randomization_inference_and_interval_ends():
    """Same seed, same permutations as ``randomization_inference(estimator='att_gt')``, which refits."""
    d = simulate_staggered_panel(n_units=14, n_periods=6, cohorts={2002: 1, 2004: 2}, effect="constant", seed=4)
    B, alpha = 39, 0.1
    r = few_treated_inference(d, *COLS, n_draws=B, alpha=alpha, seed=7, scale="none")
    assert not r.exact and r.n_draws == B

    def ref_p(tau: float) -> float:
        shifted = d.assign(y=d["y"] - tau * d["treat"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return randomization_inference(shifted, "y", "unit", "time", "group", estimator="att_gt", n_perm=B, seed=7).pvalue

    assert r.p_value[0] == pytest.approx(ref_p(0.0), abs=1e-12)
    lo, hi = r.conf_low[0], r.conf_high[0]
    eps = 1e-6 * (hi - lo)
    assert ref_p(lo + eps) > alpha >= ref_p(lo - eps)
    assert ref_p(hi - eps) > alpha >= ref_p(hi + eps)


def test_strata_are_respected_on_the_random_path():
    d = simulate_staggered_panel(n_units=30, n_periods=10, cohorts={2004: 2, 2007: 2}, seed=2)
    province = {u: ("A" if u <= 12 else "B") for u in d["unit"].unique()}
    d["province"] = d["unit"].map(province)
    units = np.sort(d["unit"].unique())
    g = d.groupby("unit")["group"].first().reindex(units).to_numpy()
    in_a = np.array([province[u] == "A" for u in units])

    def counts(assignments: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.stack([(assignments[:, mask] == c).sum(axis=1) for c in (2004, 2007)], axis=1)

    r = few_treated_inference(d, *COLS, strata="province", n_draws=499, seed=3)
    A = r.assignments
    assert A.shape == (499, 30) and not r.exact
    observed = np.array([[(g[in_a] == c).sum() for c in (2004, 2007)]])
    assert (counts(A, in_a) == observed).all() and (counts(A, ~in_a) == counts(g[None, :], ~in_a)).all()
    assert (A != g).any(axis=1).mean() > 0.9  # the draws do move treatment around
    free = few_treated_inference(d, *COLS, n_draws=499, seed=3).assignments
    assert not (counts(free, in_a) == observed).all()  # without strata the counts do change


def test_eligible_units_only_are_reassigned():
    d = simulate_staggered_panel(n_units=30, n_periods=10, cohorts={2004: 2, 2007: 2}, seed=2)
    units = np.sort(d["unit"].unique())
    g = d.groupby("unit")["group"].first().reindex(units).to_numpy()
    eligible = [int(u) for u, gu in zip(units, g) if gu > 0] + [int(u) for u in units[g == 0][:4]]
    r = few_treated_inference(d, *COLS, eligible=eligible, n_draws=999)
    assert r.exact and r.n_draws == math.factorial(8) // (2 * 2 * math.factorial(4))  # 420 assignments
    outside = ~np.isin(units, eligible)
    assert (r.assignments[:, outside] == 0).all()
    assert len({tuple(a) for a in r.assignments}) == 420


def test_too_few_assignments_warn_and_give_the_whole_line():
    d = _tiny_panel().query("unit in [1, 2, 3, 5]")  # 4 units, one treated: 4 assignments
    with pytest.warns(FewAssignmentsWarning, match=r"only 4 distinct assignment\(s\).*exceeds alpha = 0.05"):
        r = few_treated_inference(d, *COLS)
    assert r.conf_low[0] == -math.inf and r.conf_high[0] == math.inf
    assert any("only 4 distinct" in w for w in r.warnings)


def test_dynamic_and_group_terms_and_result_protocol():
    d = simulate_staggered_panel(seed=8, effect="constant")
    r = few_treated_inference(d, *COLS, aggregate="dynamic", min_e=-3, max_e=3, n_draws=199)
    assert list(r.terms) == ["e=-3", "e=-2", "e=-1", "e=0", "e=1", "e=2", "e=3"]
    t = r.tidy()
    assert t["event_time"].tolist() == [-3, -2, -1, 0, 1, 2, 3]
    assert (t["conf_low"] < t["estimate"]).all() and (t["estimate"] < t["conf_high"]).all()
    assert isinstance(r, FewTreatedResult) and "randomization" in r.summary()
    g = few_treated_inference(d, *COLS, aggregate="group", method="conley_taber", n_draws=999)
    assert list(g.terms) == sorted(d.loc[d["group"] > 0, "group"].unique().tolist())


# ------------------------------------------------------------------------------------ Conley-Taber
def test_conley_taber_quantiles_match_brute_force_error_distribution():
    """Fixed design, i.i.d. N(0, 1) errors for every unit: Gamma's quantiles vs the simulated error.

    The estimator's error is ``sum W eps`` (unit and period effects cancel; the weights equal att_gt,
    tests/inference/test_few_treated_weights.py), simulated 50,000 times. The Conley-Taber quantiles
    are averaged over 300 panels. Tolerance: 4 standard errors of the difference (the order
    statistics' SE from the normal density, and the SD of the CT quantiles over panels / sqrt(300)).
    With 12 controls for 4 treated units the comparison units' own error is a visible part of the
    total, and the test has the power to see it: the pairings alone (Conley and Taber's original
    distribution, ``result.distribution``) miss the brute-force quantiles by more than the tolerance.
    """
    rng = np.random.default_rng(11)
    n, T = 16, 10
    periods = np.arange(2000, 2000 + T)
    g = np.zeros(n)
    g[:2], g[2:4] = 2004, 2007
    _, W = cs_linear_weights(g, periods)
    errs = np.concatenate([np.einsum("it,bit->b", W[0], rng.normal(size=(10_000, n, T))) for _ in range(5)])
    probs = np.array([0.025, 0.975])
    true_q = np.quantile(errs, probs)
    with_c, pairings_only = [], []
    for b in range(300):
        y = rng.normal(size=(n, T)) + rng.normal(size=(n, 1)) + rng.normal(size=(1, T))
        d = pd.DataFrame({"unit": np.repeat(np.arange(n), T), "time": np.tile(periods, n), "y": y.ravel(),
                          "group": np.repeat(g, T).astype(int)})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewControlsWarning)
            r = few_treated_inference(d, *COLS, method="conley_taber", n_draws=2000, seed=b, scale="none")
        with_c.append(r.estimate[0] - np.array([r.conf_high[0], r.conf_low[0]]))
        pairings_only.append(np.quantile(r.distribution["ATT"], probs))
    with_c, pairings_only = np.array(with_c), np.array(pairings_only)
    dens = stats.norm.pdf(stats.norm.ppf(probs)) / errs.std()
    se_true = np.sqrt(probs * (1 - probs) / errs.size) / dens
    tol = 4 * np.sqrt(se_true**2 + (with_c.std(axis=0, ddof=1) / np.sqrt(len(with_c))) ** 2)
    assert (np.abs(with_c.mean(axis=0) - true_q) < tol).all(), (with_c.mean(axis=0), true_q, tol)
    assert (np.abs(pairings_only.mean(axis=0) - true_q) > tol).all(), (pairings_only.mean(axis=0), true_q, tol)


def test_conley_taber_pvalue_orientation_by_hand():
    """One treated unit, 3 controls, 2 periods: p = 2 min(P(Gamma <= theta), P(Gamma >= theta)), by hand.

    Outcome changes (period 2 minus 1): treated 5.0, controls 0.2, -0.1, -0.1. theta = 5 - 0 = 5.
    Residual paths of controls (two-way demeaned, x sqrt(3/2)): their change minus the control mean
    change, i.e. dy_l - 0 = 0.2, -0.1, -0.1, times sqrt(1.5); the treated weights (-1, +1) give
    centres s_l = sqrt(1.5) * (0.2, -0.1, -0.1). The controls' own term has weights (1/3)(+1, -1)
    per control: variance 3 * (1/9) * var(residual change) = (1/3) * mean(s_l^2).
    """
    d = pd.DataFrame({
        "unit": [1, 1, 2, 2, 3, 3, 4, 4], "time": [1, 2] * 4, "group": [2, 2, 0, 0, 0, 0, 0, 0],
        "y": [0.0, 5.0, 1.0, 1.2, 2.0, 1.9, 0.5, 0.4],
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewControlsWarning)
        r = few_treated_inference(d, *COLS, method="conley_taber", alpha=0.05, scale="none")
    s = math.sqrt(1.5) * np.array([0.2, -0.1, -0.1])
    sd = math.sqrt(np.mean(s**2) / 3)
    theta = 5.0
    p_hand = 2 * min(np.mean(stats.norm.sf((theta - s) / sd)), np.mean(stats.norm.cdf((theta - s) / sd)))
    assert r.exact and r.estimate[0] == pytest.approx(theta, abs=1e-12)
    assert r.p_value[0] == pytest.approx(p_hand, rel=1e-9)
    assert r.p_value[0] < 1e-6  # far in the tail: small p, not 1 - p
    # and an estimate in the middle of Gamma has a large p-value
    d2 = d.assign(y=np.where((d["unit"] == 1) & (d["time"] == 2), 0.05, d["y"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewControlsWarning)
        assert few_treated_inference(d2, *COLS, method="conley_taber", scale="none").p_value[0] > 0.5


def test_conley_taber_warns_with_few_controls():
    d = simulate_staggered_panel(n_units=9, n_periods=8, cohorts={2004: 2, 2006: 2}, seed=1)
    with pytest.warns(FewControlsWarning, match="only 5 never-treated units"):
        few_treated_inference(d, *COLS, method="conley_taber")


# ------------------------------------------------------------------------------------ dispatch, input
def test_sa_simple_equals_cs_simple_with_never_treated_controls():
    d = simulate_staggered_panel(seed=5)
    a = few_treated_inference(d, *COLS, estimator="cs", n_draws=199, seed=1)
    b = few_treated_inference(d, *COLS, estimator="sa", n_draws=199, seed=1)
    np.testing.assert_allclose(a.estimate, b.estimate, atol=1e-10)
    np.testing.assert_allclose([a.conf_low[0], a.conf_high[0]], [b.conf_low[0], b.conf_high[0]], atol=1e-8)


def test_bad_input_gets_clear_errors():
    d = simulate_staggered_panel(n_units=12, n_periods=6, cohorts={2003: 2}, seed=1)
    with pytest.raises(ValueError, match="estimator must be one of"):
        few_treated_inference(d, *COLS, estimator="twfe")
    with pytest.raises(ValueError, match="method must be one of"):
        few_treated_inference(d, *COLS, method="bootstrap")
    with pytest.raises(ValueError, match="control must be one of"):
        few_treated_inference(d, *COLS, estimator="sa", control="not_yet")
    with pytest.raises(ValueError, match="randomization.? only"):
        few_treated_inference(d, *COLS, method="conley_taber", strata="unit")
    bad = d.assign(prov=np.where(d["time"] == 2001, "A", "B"))
    with pytest.raises(GroupColumnError, match="strata column 'prov' must be constant within a unit"):
        few_treated_inference(d.assign(prov=bad["prov"]), *COLS, strata="prov")
    with pytest.raises(EstimationError):
        few_treated_inference(d.iloc[1:], *COLS)  # unbalanced


def test_wild_bootstrap_dispatch():
    d = simulate_staggered_panel(n_units=12, n_periods=6, cohorts={2003: 2}, seed=1)
    try:
        import sosek_impact.inference.wild_did  # noqa: F401
    except ImportError:
        with pytest.raises(NotImplementedError, match="wild_did"):
            few_treated_inference(d, *COLS, method="wild_bootstrap")
    else:
        r = few_treated_inference(d, *COLS, estimator="sa", method="wild_bootstrap", n_draws=99)
        assert r.method == "wild_bootstrap"
        with pytest.raises(ValueError, match="no regression form"):
            few_treated_inference(d, *COLS, estimator="cs", method="wild_bootstrap", n_draws=99)


def test_imputation_path_when_available():
    imp = pytest.importorskip("sosek_impact.estimators.imputation")
    if not hasattr(imp, "imputation_linear_weights"):
        pytest.skip("imputation_linear_weights not available")
    d = simulate_staggered_panel(seed=6, effect="constant")
    r = few_treated_inference(d, *COLS, estimator="imputation", n_draws=199)
    ref = imp.did_imputation(d, "y", "unit", "time", "group")
    est = ref.estimate
    assert r.estimate[0] == pytest.approx(est, abs=1e-8)
    assert r.conf_low[0] < r.estimate[0] < r.conf_high[0]
