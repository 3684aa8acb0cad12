"""Few-treated inference when treated units are noisier than controls (issue 14).

Independent references:

- the studentised randomisation p-value: every distinct assignment enumerated with itertools, the
  estimate refitted by ``att_gt`` on each, the per-unit scales, the noise correlation and the
  variance ``V_pi`` computed here in plain numpy from :func:`cs_linear_weights` of each assignment
  (not the package's cohort gather); the interval ends by the same brute force just inside and
  outside;
- the Conley–Taber interval: with skewed (centred exponential) errors, every pairing enumerated
  with itertools and the mixture quantiles found by ``scipy.optimize.brentq``: the ends must be
  ``estimate - quantile`` (``estimate + quantile`` is a different interval when the law is skewed);
- one test for interval and p-value: ``p <= alpha`` exactly when the interval excludes 0;
- coverage with a known truth (:mod:`mc_unequal_noise`): the default covers when treated noise SD
  is 3x the controls', ``scale="none"`` does not.
"""

from __future__ import annotations

import itertools
import math
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from sosek_impact.estimators import att_gt
from sosek_impact.inference import FewAssignmentsWarning, few_treated_inference
from sosek_impact.inference.few_treated_core import infer_linear, linear_design
from sosek_impact.errors import SosekImpactError
from sosek_impact.inference.few_treated_result import (
    FewPrePeriodsWarning,
    FewTreatedWarning,
    NoiseRatioWarning,
    UnknownScaleError,
)
from sosek_impact.inference.few_treated_weights import cs_linear_weights


def _load_harness():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("mc_unequal_noise", Path(__file__).with_name("mc_unequal_noise.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


mc = _load_harness()

COLS = ("y", "unit", "time", "group")


def _panel(groups, T: int = 8, sd_treated: float = 1.0, seed: int = 0, effect: float = 0.0, start: int = 2001,
           noise=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    groups = np.asarray(groups)
    n = len(groups)
    periods = np.arange(start, start + T)
    e = rng.normal(size=(n, T)) if noise is None else noise(rng, (n, T))
    e[groups > 0] *= sd_treated
    D = (groups[:, None] > 0) & (periods[None, :] >= groups[:, None])
    y = rng.normal(size=(n, 1)) + 0.4 * rng.normal(size=(1, T)) + effect * D + e
    return pd.DataFrame({"unit": np.repeat(np.arange(1, n + 1), T), "time": np.tile(periods, n),
                         "group": np.repeat(groups, T).astype(int), "y": y.ravel()})


# ----------------------------------------------------------------------------- studentised RI by hand
def _wide(d: pd.DataFrame) -> np.ndarray:
    return d.pivot(index="unit", columns="time", values="y").to_numpy()


def _hand_studentised_p(d: pd.DataFrame, tau: float, assignments: list[np.ndarray]) -> float:
    g_obs = d.groupby("unit")["group"].first().to_numpy()
    periods = np.sort(d["time"].unique())
    D = (g_obs[:, None] > 0) & (periods[None, :] >= g_obs[:, None])
    Y0 = _wide(d) - tau * D
    win = periods < g_obs[g_obs > 0].min()
    Z = Y0[:, win]
    E = Z - Z.mean(axis=1, keepdims=True) - Z.mean(axis=0, keepdims=True) + Z.mean()
    s2 = (E**2).sum(axis=1) / (win.sum() - 1)
    never = g_obs == 0
    Yc = Y0[never]
    eta = Yc - Yc.mean(axis=1, keepdims=True) - Yc.mean(axis=0, keepdims=True) + Yc.mean()
    z = eta / np.sqrt((eta**2).mean(axis=1))[:, None]
    R = z.T @ z / never.sum()

    def t_stat(groups: np.ndarray) -> float:
        dd = d.assign(y=d["y"] - tau * D.ravel(), group=np.repeat(groups, len(periods)).astype(int))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = float(att_gt(dd, y="y", unit="unit", time="time", group="group").aggregate("simple").estimate)
        W = cs_linear_weights(groups, periods)[1][0]
        V = sum(s2[i] * W[i] @ R @ W[i] for i in range(len(groups)))
        return est / math.sqrt(V)

    obs = t_stat(g_obs)
    vals = np.array([t_stat(a) for a in assignments])
    return float(np.mean(np.abs(vals) >= abs(obs) - 1e-12))


def test_studentised_pvalue_and_interval_ends_equal_hand_enumeration():
    groups = np.array([2005, 0, 0, 2006, 0, 0])
    d = _panel(groups, T=7, sd_treated=3.0, seed=3, effect=2.0)
    assignments = [np.array(p) for p in sorted(set(itertools.permutations(groups.tolist())))]
    assert len(assignments) == 30
    alpha = 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewTreatedWarning)
        r = few_treated_inference(d, *COLS, alpha=alpha)
        r0 = few_treated_inference(d, *COLS, alpha=alpha, scale="none")
    assert r.scale == "pre_period" and r.exact and r.n_draws == 30
    assert r.p_value[0] == pytest.approx(_hand_studentised_p(d, 0.0, assignments), abs=1e-12)
    lo, hi = r.conf_low[0], r.conf_high[0]
    assert math.isfinite(lo) and math.isfinite(hi)
    eps = 1e-6 * (hi - lo)
    assert _hand_studentised_p(d, lo + eps, assignments) > alpha >= _hand_studentised_p(d, lo - eps, assignments)
    assert _hand_studentised_p(d, hi - eps, assignments) > alpha >= _hand_studentised_p(d, hi + eps, assignments)
    # the scaling changes the test (else the hand reference above would not be checking it)
    assert (r.conf_low[0], r.conf_high[0]) != pytest.approx((r0.conf_low[0], r0.conf_high[0]), rel=1e-3)


def test_scale_none_is_the_equal_variance_method_and_bad_scale_is_refused():
    d = _panel(np.array([2005, 0, 0, 0, 2006, 0, 0, 0, 0, 0]), seed=1, effect=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewTreatedWarning)
        r = few_treated_inference(d, *COLS, scale="none", alpha=0.1)
    assert r.scale == "none" and "equal noise" in r.summary()
    with pytest.raises(UnknownScaleError, match=r"scale must be one of 'pre_period', 'none'; got 'pooled'"):
        few_treated_inference(d, *COLS, scale="pooled")
    with pytest.raises(UnknownScaleError, match="scale must be one of"):
        few_treated_inference(d, *COLS, method="conley_taber", scale="size")
    assert issubclass(UnknownScaleError, SosekImpactError) and issubclass(UnknownScaleError, ValueError)


# ----------------------------------------------------------------------------- CT: est - quantile
def test_conley_taber_interval_is_estimate_minus_quantiles_with_skewed_errors():
    """Centred exponential errors make Gamma skewed, so est + q and est - q differ; the ends must be
    ``estimate - q(1 - alpha/2)`` and ``estimate - q(alpha/2)`` of the mixture computed here."""
    groups = np.array([2005] + [0] * 7)
    T = 6
    d = _panel(groups, T=T, seed=4, effect=0.5, noise=lambda rng, shape: rng.exponential(size=shape) - 1.0)
    alpha = 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewTreatedWarning)
        r = few_treated_inference(d, *COLS, method="conley_taber", alpha=alpha, scale="none")
    Y = _wide(d)
    periods = np.sort(d["time"].unique())
    W = cs_linear_weights(groups, periods)[1][0]
    never = groups == 0
    n0 = never.sum()
    Yc = Y[never]
    eta = (Yc - Yc.mean(axis=1, keepdims=True) - Yc.mean(axis=0, keepdims=True) + Yc.mean()) * math.sqrt(n0 / (n0 - 1))
    centres = np.array([W[0] @ eta[l] for l in range(n0)])  # the one treated unit paired with each control
    S = eta.T @ eta / n0
    sd = math.sqrt(sum(W[i] @ S @ W[i] for i in np.flatnonzero(never)))

    def q(prob: float) -> float:
        return optimize.brentq(lambda x: np.mean(special.ndtr((x - centres) / sd)) - prob, -50, 50, xtol=1e-13)

    est = float((W * Y).sum())
    assert r.estimate[0] == pytest.approx(est, abs=1e-12)
    assert r.conf_low[0] == pytest.approx(est - q(1 - alpha / 2), abs=1e-9)
    assert r.conf_high[0] == pytest.approx(est - q(alpha / 2), abs=1e-9)
    assert abs(q(1 - alpha / 2) + q(alpha / 2)) > 0.05  # skewed: est + q would be another interval
    F0 = np.mean(special.ndtr((est - centres) / sd))
    assert r.p_value[0] == pytest.approx(min(1.0, 2 * min(F0, 1 - F0)), rel=1e-9)


# ----------------------------------------------------------------------------- one test, one answer
@pytest.mark.parametrize("method", ["randomization", "conley_taber"])
@pytest.mark.parametrize("scale", ["pre_period", "none"])
def test_pvalue_below_alpha_iff_interval_excludes_zero(method, scale):
    """Over 150 random panels (effects around the rejection boundary), for CS and imputation."""
    rng = np.random.default_rng(5)
    periods = np.arange(2000, 2012, dtype=float)
    g = np.zeros(30)
    g[:2], g[2] = 2006, 2008
    designs = {est: linear_design(g, periods, est, "simple", "not_yet" if est == "imputation" else "never")
               for est in ("cs", "imputation")}
    checked = rejected = 0
    for b in range(150):
        sig = np.where(g > 0, rng.choice([1.0, 3.0]), 1.0)
        D = (g[:, None] > 0) & (periods[None, :] >= g[:, None])
        Y = rng.normal(size=(30, 1)) + rng.normal(size=(1, 12)) + rng.uniform(0, 3) * D + sig[:, None] * rng.normal(size=(30, 12))
        for est, (terms, W, X) in designs.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = infer_linear(Y, g, periods, terms, W, X, method=method, scale=scale, n_draws=199, seed=b)
            lo, hi, p = out["conf_low"][0], out["conf_high"][0], out["p_value"][0]
            assert (p <= 0.05) == (not lo <= 0 <= hi), (b, est, p, lo, hi)
            checked += 1
            rejected += p <= 0.05
    assert checked == 300 and 30 < rejected < 270  # both outcomes occur often


# ----------------------------------------------------------------------------- diagnostics
def test_noise_ratio_is_shown_and_warns_which_way():
    groups = np.array([2008, 2009, 2010] + [0] * 27)
    noisy = _panel(groups, T=12, sd_treated=3.0, seed=6)
    with pytest.warns(NoiseRatioWarning, match=r"with scale='none' \(equal noise\) the intervals are likely too short"):
        r = few_treated_inference(noisy, *COLS, scale="none")
    assert r.noise_ratio > 3 and r.noise_ratio_pvalue < 0.05
    assert "Pre-period residual variance, treated / never-treated" in r.summary()
    with pytest.warns(NoiseRatioWarning, match=r"unscaled \(scale='none'\) ones would be too short"):
        few_treated_inference(noisy, *COLS)
    quiet = _panel(groups, T=12, sd_treated=0.3, seed=6)
    with pytest.warns(NoiseRatioWarning, match="too long"):
        few_treated_inference(quiet, *COLS, scale="none")
    equal = _panel(groups, T=12, sd_treated=1.0, seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoiseRatioWarning)
        r = few_treated_inference(equal, *COLS)
    assert 1 / 1.5 < r.noise_ratio < 1.5


def test_eight_assignments_warn_and_give_infinite_critical_value_and_mde():
    groups = np.array([2005, 0, 0, 0, 0, 0, 0, 0])  # 8 assignments: smallest p = 1/8
    d = _panel(groups, seed=2, effect=5.0)
    with pytest.warns(FewAssignmentsWarning, match=r"only 8 distinct assignment\(s\).*cannot reject"):
        r = few_treated_inference(d, *COLS)
    assert r.n_draws == 8 and r.conf_low[0] == -math.inf and r.conf_high[0] == math.inf
    assert np.isinf(r.critical_values[0]).all() and r.mde()[0] == math.inf
    assert "infinite" in r.mde_reason and "MDE / critical value: infinite" in r.summary()


def test_critical_value_is_the_rejection_threshold_and_mde_detects():
    """p(0) <= alpha iff |estimate| > critical value; at the MDE the detection share reaches power."""
    rng = np.random.default_rng(8)
    periods = np.arange(2000, 2010, dtype=float)
    g = np.zeros(25)
    g[0], g[1] = 2005, 2007
    terms, W, X = linear_design(g, periods, "cs", "simple", "never")
    seen = set()
    for b in range(60):
        D = (g[:, None] > 0) & (periods[None, :] >= g[:, None])
        Y = rng.normal(size=(25, 10)) + rng.uniform(0, 4) * D
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = infer_linear(Y, g, periods, terms, W, X, method="randomization", n_draws=999, seed=b)
        c = out["critical_values"][0, 1]
        assert (out["p_value"][0] <= 0.05) == (abs(out["estimate"][0]) > c)
        seen.add(bool(out["p_value"][0] <= 0.05))
    assert seen == {True, False}
    from sosek_impact.inference.few_treated_power import minimum_detectable_effect

    e = out["mde_noise"][0]
    crit = out["critical_values"][0]
    m = minimum_detectable_effect(e, crit, 0.8)

    def share(t: float) -> float:  # brute force, independent of the jump-point search
        return min(np.mean(np.abs(t + e) >= crit[1]), np.mean(np.abs(-t + e) >= crit[1]))

    assert share(m + 1e-9) >= 0.8 > share(m - 1e-9) and math.isfinite(m)


def test_late_group_warns_once():
    d = _panel(np.array([2005, 2030, 0, 0, 0, 0, 0, 0, 0, 0]), seed=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        few_treated_inference(d, *COLS, scale="none")
    late = [w for w in caught if "after the last period" in str(w.message)]
    assert len(late) == 1


def test_too_few_pre_periods_fall_back_with_a_warning():
    d = _panel(np.array([2002, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), T=6, seed=3)  # first cohort in the 2nd period
    with pytest.warns(FewPrePeriodsWarning, match="equal noise is assumed"):
        r = few_treated_inference(d, *COLS, alpha=0.25)
    r0 = few_treated_inference(d, *COLS, scale="none", alpha=0.25)
    assert math.isfinite(r.conf_low[0]) and (r.conf_low[0], r.conf_high[0]) == (r0.conf_low[0], r0.conf_high[0])
    assert r.scale == "none"


# ----------------------------------------------------------------------------- coverage, known truth
@pytest.mark.parametrize("method", ["randomization", "conley_taber"])
def test_scaling_restores_coverage_when_treated_noise_is_three_times(method):
    """Study-shaped design, treated SD 3x, 200 panels: binomial SE of a 0.95 rate is 0.015."""
    scaled = mc.coverage("sd3", "cs", method, "pre_period", reps=200, n_draws=499)
    plain = mc.coverage("sd3", "cs", method, "none", reps=200, n_draws=499)
    assert scaled["coverage"] > 0.90, scaled
    assert plain["coverage"] < 0.80, plain
    assert scaled["agree"] == plain["agree"] == 1.0


@pytest.mark.parametrize("term", ["e=-3", "e=1"])
def test_dynamic_interval_ends_are_where_the_shifted_panel_stops_rejecting(term):
    """Inverting a term is testing it on the outcome shifted by ``tau X_k`` (``X_k``: the treated
    cells for ``e >= 0``, the cells at event time ``e`` for a placebo term ``e < 0``). The ends of
    the studentised interval must be where the package's own p-value of no effect on the shifted
    panel crosses alpha. This fails if a placebo term's scales read the cells its null shifts."""
    groups = np.array([2005, 2006] + [0] * 10)
    d = _panel(groups, T=9, sd_treated=2.0, seed=9, effect=1.5)
    alpha = 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewTreatedWarning)
        r = few_treated_inference(d, *COLS, aggregate="dynamic", alpha=alpha)
    k = list(r.terms).index(term)
    e = int(term[2:])
    ev = d["time"] - d["group"]
    X = ((d["group"] > 0) & ((ev >= 0) if e >= 0 else (ev == e))).astype(float)

    def p_at(tau: float) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewTreatedWarning)
            rr = few_treated_inference(d.assign(y=d["y"] - tau * X), *COLS, aggregate="dynamic", alpha=alpha)
        return float(rr.p_value[k])

    lo, hi = r.conf_low[k], r.conf_high[k]
    assert r.exact and math.isfinite(lo) and math.isfinite(hi)
    eps = 1e-6 * (hi - lo)
    assert p_at(lo + eps) > alpha >= p_at(lo - eps)
    assert p_at(hi - eps) > alpha >= p_at(hi + eps)


@pytest.mark.parametrize("sd", [0.0, 0.3])
def test_equal_tailed_interval_is_the_acceptance_set_of_its_pvalue(sd):
    """For discrete (sd = 0) and smooth mixtures: tau is inside the interval iff p(theta - tau) > alpha,
    checked on a fine set of tau around both ends (the discrete ends are order statistics)."""
    from sosek_impact.inference.few_treated_ct import equal_tailed_interval, mixture_equal_tailed_pvalue

    rng = np.random.default_rng(3)
    for B, alpha in [(37, 0.1), (200, 0.05), (1000, 0.05)]:
        c = rng.exponential(size=B) - 1.0
        theta = 0.4
        lo, hi = equal_tailed_interval(theta, c, sd, alpha)
        taus = np.concatenate([np.linspace(lo - 0.5, hi + 0.5, 401), [lo, hi], lo + np.array([-1e-7, 1e-7]),
                               hi + np.array([-1e-7, 1e-7])])
        for tau in taus:
            p = mixture_equal_tailed_pvalue(theta - tau, c, sd)
            inside = lo <= tau <= hi
            if min(abs(tau - lo), abs(tau - hi)) < (1e-9 if sd > 0 else 1e-12):
                continue  # the end itself: theta - end equals the quantile only up to rounding
            assert inside == (p > alpha), (B, alpha, tau, lo, hi, p)
