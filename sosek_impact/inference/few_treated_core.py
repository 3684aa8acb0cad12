"""The shared core of few-treated inference on arrays: design, studentisation, RI and Conley–Taber.

:func:`~sosek_impact.inference.few_treated.few_treated_inference` checks a data frame, builds the
panel arrays and calls :func:`linear_design` and :func:`infer_linear`; simulations call them
directly to reuse one design over many outcomes. The methods and what makes them valid are
described in :mod:`sosek_impact.inference.few_treated`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sosek_impact.estimators._options import check_choice
from sosek_impact.errors import EstimationError
from sosek_impact.inference.few_treated_ct import (
    control_part_variance,
    control_residual_paths,
    equal_tailed_interval,
    mixture_equal_tailed_pvalue,
    pairing_sums,
)
from sosek_impact.inference.few_treated_result import (
    FewAssignmentsWarning,
    FewControlsWarning,
    FewPrePeriodsWarning,
    FewTreatedWarning,
    NoiseRatioWarning,
    UnknownScaleError,
    event_label,
)
from sosek_impact.inference.few_treated_power import RankDesign
from sosek_impact.inference.few_treated_ri import (
    critical_value,
    draw_assignments,
    invert_permutation_test,
    permutation_pvalue,
    permuted_statistics,
    permuted_sums,
)
from sosek_impact.inference.few_treated_scale import SCALES, NoiseScales, noise_scales, variance_weights
from sosek_impact.inference.few_treated_weights import cohort_weights, get_linear_weights

__all__ = ["ASSUMPTIONS", "infer_linear", "linear_design"]

#: Event-time convention of each estimator's dynamic terms (for the pre-treatment exposure).
_EVENT_TIME_IN = {"cs": "time", "sa": "position", "imputation": "time"}

ASSUMPTIONS = {
    ("randomization", "pre_period"): "adoption timing as good as randomly assigned among eligible units (within "
    "strata) and, after dividing each unit's noise by its pre-period scale, noise paths exchangeable across units with "
    "the same variance before and after treatment; interval inverts a constant effect in every treated cell",
    ("randomization", "none"): "adoption timing as good as randomly assigned among eligible units (within strata) and "
    "noise exchangeable across units (treated no noisier than controls); interval inverts a constant effect in every "
    "treated cell (exact then)",
    ("conley_taber", "pre_period"): "error paths independent across units, the same law for treated and never-treated "
    "units after rescaling each by its pre-period scale (Ferman-Pinto); many never-treated units and enough pre-periods",
    ("conley_taber", "none"): "error paths i.i.d. across units, same law for treated and never-treated units; "
    "many never-treated units (valid as their number grows)",
}

_WARNING_OF = {"ratio": NoiseRatioWarning, "controls": FewControlsWarning, "fallback": FewPrePeriodsWarning}


def _exposures(terms: list, aggregate: str, estimator: str, g: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """(K, n, T) exposure of each term's null: D for post terms, the cells at event time e for e < 0."""
    Tm = periods[None, :]
    G = g[:, None]
    D = ((G > 0) & (Tm >= G)).astype(float)
    X = np.repeat(D[None], len(terms), axis=0)
    if aggregate == "dynamic":
        if _EVENT_TIME_IN[estimator] == "position":
            e_it = np.arange(len(periods))[None, :] - np.searchsorted(periods, g)[:, None]
        else:
            e_it = Tm - G
        for k, e in enumerate(terms):
            if e < 0:
                X[k] = ((G > 0) & (e_it == e)).astype(float)
    return X


def linear_design(g: np.ndarray, periods: np.ndarray, estimator: str, aggregate: str, control: str,
                  min_e: float | None = None, max_e: float | None = None) -> tuple[list, np.ndarray, np.ndarray]:
    """Terms, outcome weights ``W`` (K, n, T) and null exposures ``X`` (K, n, T) of a design.

    Dynamic terms are labelled ``"e=<event time>"``. ``X`` is the treatment indicator for
    post-treatment terms and the cells at event time ``e`` for a pre-treatment term ``e < 0``.
    """
    weights_fn = get_linear_weights(estimator)
    terms, W = weights_fn(g, periods, aggregate=aggregate, control=control, min_e=min_e, max_e=max_e)
    W = np.asarray(W, dtype=float)
    if np.isnan(W).any():
        raise EstimationError(f"{estimator} weights are undefined on this design (a cell without comparison units)")
    X = _exposures(list(terms), aggregate, estimator, g, periods)
    if aggregate == "dynamic":
        terms = [event_label(e) for e in terms]
    elif aggregate == "group":  # one label type for every estimator: 2004, not 2004.0
        terms = [int(t) if float(t).is_integer() else float(t) for t in terms]
    return list(terms), W, X


def infer_linear(
    Y: np.ndarray,
    g: np.ndarray,
    periods: np.ndarray,
    terms: list,
    W: np.ndarray,
    X: np.ndarray,
    *,
    method: str,
    scale: str = "pre_period",
    n_draws: int = 999,
    alpha: float = 0.05,
    seed: int | None = 0,
    blocks: list[np.ndarray] | None = None,
    units: np.ndarray | None = None,
    estimator: str = "",
    aggregate: str = "simple",
) -> dict[str, Any]:
    """Randomisation or Conley–Taber inference for a linear estimator on arrays (the shared core).

    :func:`few_treated_inference` calls it after building the panel arrays and the design
    (:func:`linear_design`); simulations call it directly to reuse one design over many outcomes.

    Parameters
    ----------
    Y
        (n, T) outcomes.
    g
        (n,) first-treated periods (0 never).
    periods
        (T,) sorted periods.
    terms, W, X
        From :func:`linear_design`.
    method
        ``"randomization"`` or ``"conley_taber"``.
    scale, n_draws, alpha, seed
        As :func:`few_treated_inference`.
    blocks
        Randomisation: index arrays of units re-assigned among themselves (default: all units).
    units
        Unit labels, for messages.
    estimator, aggregate
        For the result's labels.

    Returns
    -------
    dict
        Keyword arguments of :class:`FewTreatedResult` (except ``estimator``, ``aggregate``,
        ``method``, ``settings``) plus ``notes``: ``(message, warning class)`` pairs to issue.
    """
    if scale not in SCALES:
        raise UnknownScaleError(scale, SCALES)
    estimate = np.einsum("kit,it->k", W, Y)
    sc = noise_scales(Y, g, periods, X, scale, units)
    scale = sc.effective
    notes: list[tuple[str, type]] = [(m, _WARNING_OF[kind]) for m, kind in sc.notes]
    if method == "randomization":
        if blocks is None:
            blocks = [np.arange(len(g))]
        out = _randomization(Y, g, W, X, estimate, n_draws, alpha, seed, blocks, sc, scale, terms)
    elif method == "conley_taber":
        out = _conley_taber(Y, g, W, estimate, n_draws, alpha, seed, sc, scale)
    else:
        check_choice("method", method, ("randomization", "conley_taber"))
    notes.extend(out.pop("notes"))
    return dict(terms=tuple(terms), estimate=estimate, alpha=float(alpha),
                assumptions=ASSUMPTIONS[(method, scale)], warnings=tuple(m for m, _ in notes), notes=notes,
                distribution={t: out["dist"][k] for k, t in enumerate(terms)}, scale=scale,
                noise_ratio=sc.ratio, noise_ratio_pvalue=sc.ratio_pvalue,
                **{k: v for k, v in out.items() if k != "dist"})


def _studentiser(L: np.ndarray, cohorts: np.ndarray, sc: NoiseScales, groups: np.ndarray, g: np.ndarray,
                 scale: str) -> tuple[np.ndarray, np.ndarray]:
    """(K, A) ``sqrt(V_pi)`` and (K,) ``sqrt(V_0)``; ones when ``scale == "none"`` (V is then constant)."""
    K = L.shape[0]
    if scale == "none":
        return np.ones((K, groups.shape[0])), np.ones(K)
    q = variance_weights(L, sc.R)  # (K, C)
    H = sc.s2[:, None, :] * q[:, :, None]  # (K, C, n)
    V = permuted_sums(H, cohorts, groups)
    V0 = permuted_sums(H, cohorts, g[None, :])[:, 0]
    return np.sqrt(V), np.sqrt(V0)


def _mde_design(dist: np.ndarray, sv: np.ndarray, L: np.ndarray, X: np.ndarray, cohorts: np.ndarray,
                groups: np.ndarray, g: np.ndarray, blocks: list[np.ndarray], drop: int | None,
                scale: str) -> tuple[np.ndarray, RankDesign]:
    """Placebo statistics and design behind the MDE's design-based power (:mod:`few_treated_power`).

    The draws are the test's reference set (all draws but the observed assignment). The draws
    that play the treated are those treating no observed-treated unit: at the null of the point
    estimate the treated units' outcomes are imputed as ``Y - estimate * D``, which removes part
    of their own noise, so a draw treating one of them would be too quiet a stand-in (all draws
    play when fewer than 20 are clean). Studentised, each draw's statistic is put on the scale
    ``median(sqrt(V)) / sqrt(V_pi)``: the stand-in's effect is as large relative to the noise as
    the observed units' effect is to theirs, and its scale is estimated anew, as in a new panel.
    """
    keep = np.ones(len(groups), dtype=bool)
    if drop is not None:
        keep[drop] = False
    groups, sv = groups[keep], sv[:, keep]
    treated = groups > 0
    moving = np.zeros(g.size, dtype=bool)
    for b in blocks:
        moving[b] = True
    clean = ~treated[:, (g > 0) & moving].any(axis=1)
    truths = np.flatnonzero(clean) if clean.sum() >= 20 else np.arange(len(groups))
    _, Xc = cohort_weights(X, g)  # (K, C, T): exposure of a unit of each cohort (same cohorts as L)
    P = np.einsum("kct,kdt->kcd", L, Xc)
    never = int(np.searchsorted(cohorts, 0.0)) if cohorts.size and cohorts[0] == 0 else None
    factor = None
    if scale != "none":
        factor = np.median(sv[:, truths], axis=1, keepdims=True) / sv
    design = RankDesign(truths=truths, cohort_index=np.searchsorted(cohorts, groups), weights=P, never=never,
                        scale=factor)
    return dist[:, keep], design


def _randomization(Y, g, W, X, estimate, n_draws, alpha, seed, blocks, sc, scale, terms) -> dict[str, Any]:
    assign = draw_assignments(g, blocks, n_draws, seed)
    cohorts, L = cohort_weights(W, g)
    a = permuted_statistics(L, cohorts, assign.groups, Y)
    c = permuted_statistics(L, cohorts, assign.groups, X)
    c0 = np.einsum("kit,kit->k", W, X)
    sv, sv0 = _studentiser(L, cohorts, sc, assign.groups, g, scale)
    a_s, c_s = a / sv, c / sv
    a0_s, c0_s = estimate / sv0, c0 / sv0
    K = len(estimate)
    lo, hi, p, se = (np.full(K, np.nan) for _ in range(4))
    crit = np.full((K, 2), np.nan)
    dist = np.empty_like(a)
    notes: list[tuple[str, type]] = []
    n_eff = assign.total if assign.exact else n_draws + 1
    min_p = 1.0 / n_eff
    what = f"{assign.total} distinct assignment(s) of adoption timing" if assign.exact else f"{n_draws} random draws"
    reason = ""
    if min_p > alpha:
        reason = (f"infinite: with only {what} the smallest attainable p-value is {min_p:.3g} > alpha = {alpha:g}, "
                  "so no effect, however large, is significant")
        notes.append((f"only {what}: the smallest attainable p-value {min_p:.3g} exceeds alpha = {alpha:g}, so the test "
                      "cannot reject; intervals are the whole line, critical values and MDE infinite",
                      FewAssignmentsWarning))
    elif assign.exact and assign.total < 20 / alpha:
        notes.append((f"only {assign.total} distinct assignments of adoption timing: attainable p-values are multiples "
                      f"of {1 / assign.total:.3g}, so the test is conservative", FewAssignmentsWarning))
    drop = None
    if assign.exact:
        same = np.flatnonzero(np.all(assign.groups == g[None, :], axis=1))
        drop = int(same[0]) if same.size else None
    holes = []
    for k in range(K):
        p[k] = permutation_pvalue(0.0, a0_s[k], c0_s[k], a_s[k], c_s[k], assign.exact)[0]
        t_hat = a_s[k] - a0_s[k] / c0_s[k] * c_s[k] if c0_s[k] != 0 else a_s[k]
        dist[k] = sv0[k] * t_hat
        se[k] = float(np.std(dist[k], ddof=1)) if dist.shape[1] > 1 else np.nan
        cv = sv0[k] * critical_value(a_s[k], alpha, assign.exact, drop)
        crit[k] = (-cv, cv)
        if min_p > alpha:
            lo[k], hi[k] = -math.inf, math.inf
            continue
        lo[k], hi[k], connected = invert_permutation_test(a0_s[k], c0_s[k], a_s[k], c_s[k], alpha, assign.exact)
        if not connected:
            holes.append(terms[k])
    if holes:
        notes.append((f"the accepted set of term(s) {holes[:5]} has holes; the interval reported is its hull",
                      FewTreatedWarning))
    noise, design = _mde_design(dist, sv, L, X, cohorts, assign.groups, g, blocks, drop, scale)
    return dict(conf_low=lo, conf_high=hi, p_value=p, std_error=se, dist=dist, exact=assign.exact,
                n_draws=len(assign.groups), notes=notes, assignments=assign.groups, critical_values=crit,
                mde_reason=reason, mde_noise=noise, mde_design=design)


def _conley_taber(Y, g, W, estimate, n_draws, alpha, seed, sc, scale) -> dict[str, Any]:
    never = g == 0
    treated = g > 0
    eta = control_residual_paths(Y, never)
    rescale = None
    notes: list[tuple[str, type]] = []
    if scale == "pre_period":
        rescale = np.sqrt(sc.s2[:, treated][:, :, None] / sc.s2[:, never][:, None, :])
    sums, exact, total = pairing_sums(W, treated, eta, n_draws, seed, rescale=rescale)
    var_c = control_part_variance(W, never, eta)
    K = len(estimate)
    lo, hi, p, se = (np.full(K, np.nan) for _ in range(4))
    crit = np.full((K, 2), np.nan)
    n0 = int(never.sum())
    if n0 < 20:
        notes.append((f"only {n0} never-treated units: the Conley-Taber distribution rests on many comparison units",
                      FewControlsWarning))
    active = np.abs(W[:, treated, :]).sum(axis=2) > 0  # (K, N1)
    few = [k for k in range(K) if n0 ** int(active[k].sum()) < 2 / alpha]
    if few:
        notes.append((f"{len(few)} term(s) rest on fewer than {2 / alpha:g} distinct pairings of treated and control "
                      "paths: their tails are resolved coarsely", FewControlsWarning))
    sds = np.sqrt(np.maximum(var_c, 0.0))
    for k in range(K):
        lo[k], hi[k] = equal_tailed_interval(estimate[k], sums[k], sds[k], alpha)
        crit[k] = (estimate[k] - hi[k], estimate[k] - lo[k])
        p[k] = mixture_equal_tailed_pvalue(estimate[k], sums[k], sds[k])
        se[k] = math.sqrt(float(np.var(sums[k])) + var_c[k])
    return dict(conf_low=lo, conf_high=hi, p_value=p, std_error=se, dist=sums, exact=exact, n_draws=sums.shape[1],
                notes=notes, assignments=None, critical_values=crit, mde_reason="", mde_noise=sums, mde_noise_sd=sds)
