"""Few-treated inference for the heterogeneity-robust staggered DiD estimators.

:func:`few_treated_inference` puts an interval and a p-value that are meant to hold with one or two
treated units per cohort beside the point estimates of Callaway–Sant'Anna (``"cs"``),
Sun–Abraham (``"sa"``) or the imputation estimator (``"imputation"``), aggregated as ``"simple"``,
``"dynamic"`` or ``"group"``. Methods:

``"randomization"``
    Re-assign the first-treated periods across eligible units (within ``strata``), keeping the
    cohort sizes; all distinct assignments when there are at most ``n_draws``, else ``n_draws``
    random ones. The interval inverts the permutation test of a sharp null exactly (no grid):
    post-treatment terms (simple, group, dynamic ``e >= 0``) invert *a constant effect ``tau`` in
    every treated cell*, ``Y(0) = Y - tau D``; a pre-treatment dynamic term ``e < 0`` inverts *an
    effect ``delta`` in the cells at event time ``e`` and none elsewhere*, ``Y(0) = Y - delta P_e``
    (so its interval is a placebo check that is exact only if post-treatment effects are zero too).
    **Exact** (finite-sample) when adoption timing is as good as randomly assigned among the
    eligible units (within strata) and the sharp null holds; with heterogeneous effects the
    constant-effect null is false for every ``tau`` and the interval is a test of a null that does
    not hold (see ``docs/few_treated.md`` for its coverage then).
``"conley_taber"``
    The estimator's error ``sum_i w_i' eps_i`` is simulated by pairing each treated unit's weights
    with never-treated units' residual paths (all pairings or a seeded subset), plus a normal term
    for the comparison units' own errors (:mod:`~sosek_impact.inference.few_treated_ct`).
    **Asymptotically valid** as the number of never-treated units grows, with the treated units
    fixed, if error paths are independent across units and identically distributed for treated and
    comparison units (serial correlation allowed); heterogeneous effects are allowed (the
    estimators' weights reproduce their estimand exactly).
``"wild_bootstrap"``
    Restricted wild cluster bootstrap of the estimator's regression form, in
    ``sosek_impact.inference.wild_did`` (see there).

All three rely on the estimators being linear in the outcome for a fixed design
(:mod:`~sosek_impact.inference.few_treated_weights`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from importlib import import_module
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError, GroupColumnError
from sosek_impact.estimators._checks import check_panel, never_treated_mask
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
    FewTreatedResult,
    FewTreatedWarning,
    NoiseRatioWarning,
    event_label,
)
from sosek_impact.inference.few_treated_ri import (
    critical_value,
    draw_assignments,
    invert_permutation_test,
    permutation_pvalue,
    permuted_statistics,
    permuted_sums,
)
from sosek_impact.inference.few_treated_scale import SCALES, NoiseScales, noise_scales, variance_weights
from sosek_impact.inference.few_treated_weights import AGGREGATES, cohort_weights, get_linear_weights

__all__ = [
    "FewAssignmentsWarning",
    "FewControlsWarning",
    "FewPrePeriodsWarning",
    "FewTreatedWarning",
    "NoiseRatioWarning",
    "SCALES",
    "few_treated_inference",
    "infer_linear",
]

METHODS = ("randomization", "conley_taber", "wild_bootstrap")
ESTIMATORS = ("cs", "sa", "imputation")

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

_WARNING_OF = {"ratio": NoiseRatioWarning, "pre": FewPrePeriodsWarning, "fallback": FewPrePeriodsWarning}


def _unit_column(data: pd.DataFrame, unit: str, col: str, units: np.ndarray, what: str) -> np.ndarray:
    if col not in data.columns:
        raise GroupColumnError(f"{what} column {col!r} is not in the data")
    s = data.groupby(unit, sort=False)[col].agg(["first", "nunique"]).reindex(units)
    if (s["nunique"] > 1).any():
        u = s.index[s["nunique"] > 1][0]
        raise GroupColumnError(f"{what} column {col!r} must be constant within a unit; {unit}={u!r} has several values")
    if s["first"].isna().any():
        u = s.index[s["first"].isna()][0]
        raise GroupColumnError(f"{what} column {col!r} is missing for {unit}={u!r}")
    return s["first"].to_numpy()


def _eligible_mask(data: pd.DataFrame, unit: str, eligible: Any, units: np.ndarray) -> np.ndarray:
    if eligible is None:
        return np.ones(len(units), dtype=bool)
    if isinstance(eligible, str):
        v = _unit_column(data, unit, eligible, units, "eligible")
        if not np.isin(v, [0, 1, True, False]).all():
            raise GroupColumnError(f"eligible column {eligible!r} must be boolean (0/1)")
        return v.astype(bool)
    ids = list(eligible)
    unknown = [x for x in ids if x not in set(units.tolist())]
    if unknown:
        raise GroupColumnError(f"eligible lists unit(s) not in the data: {unknown[:5]}")
    return np.isin(units, ids)


def _panel(data: pd.DataFrame, y: str, unit: str, time: str, group: str, need_never: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # check_panel recodes groups after the last period as never treated and warns about it (once)
    data = check_panel(data, y=y, unit=unit, time=time, group=group, need_never_treated=need_never,
                       allow_after_last=True)
    if not pd.api.types.is_numeric_dtype(data[y]):
        raise GroupColumnError(f"outcome column {y!r} must be numeric, got dtype {data[y].dtype}")
    df = data.sort_values([unit, time], kind="mergesort")
    periods = np.sort(pd.unique(df[time])).astype(float)
    units = pd.unique(df[unit])
    n, T = len(units), len(periods)
    Y = df[y].to_numpy(dtype=float).reshape(n, T)
    if not np.isfinite(Y).all():
        i, t = np.argwhere(~np.isfinite(Y))[0]
        raise GroupColumnError(f"outcome column {y!r} is not finite at ({unit}={units[i]!r}, {time}={periods[t]:g})")
    g = df[group].to_numpy(dtype=float, na_value=np.nan)[:: T]
    g = np.where(never_treated_mask(g), 0.0, g)
    g = np.where(g > periods[-1], 0.0, g)  # already recoded by check_panel; kept for safety
    return Y, g, periods, units


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


def few_treated_inference(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    group: str,
    *,
    estimator: str = "cs",
    aggregate: str = "simple",
    method: str = "randomization",
    control: str | None = None,
    n_draws: int = 999,
    alpha: float = 0.05,
    seed: int | None = 0,
    eligible: str | Sequence[Any] | None = None,
    strata: str | None = None,
    min_e: float | None = None,
    max_e: float | None = None,
    scale: str = "pre_period",
) -> FewTreatedResult:
    """Few-treated intervals and p-values for CS, Sun–Abraham or imputation estimates.

    Parameters
    ----------
    data
        Balanced long panel, one row per (unit, time), no missing outcome.
    y, unit, time, group
        Outcome, unit, period and first-treated-period columns (0 or missing: never treated; a
        period after the last counts as never treated, with a warning).
    estimator
        ``"cs"`` (Callaway–Sant'Anna, unconditional; equal to ``att_gt`` with ``method="reg"`` or
        ``"dr"`` without covariates), ``"sa"`` (Sun–Abraham, never-treated controls) or
        ``"imputation"`` (Borusyak–Jaravel–Spiess).
    aggregate
        ``"simple"``, ``"dynamic"`` (one term per event time, labelled ``"e=-17"``, ``"e=0"``) or
        ``"group"``.
    method
        ``"randomization"``, ``"conley_taber"`` or ``"wild_bootstrap"`` (module docstring).
    control
        ``"never"`` or ``"not_yet"`` (CS and imputation); ``None`` (default) takes each estimator's
        standard choice: never-treated controls for CS and Sun–Abraham, every untreated observation
        (``"not_yet"``) for the imputation estimator, as in :func:`~sosek_impact.estimators.did_imputation`.
    n_draws
        Random assignments / pairings / bootstrap draws; the randomisation test enumerates every
        distinct assignment, and Conley–Taber every pairing, when there are at most this many.
    alpha
        1 − coverage of the intervals.
    seed
        Seed of the random draws.
    eligible
        Units that may receive a treatment timing in the re-assignment: a boolean unit-level column
        or a list of unit ids (default all). Randomisation only.
    strata
        Unit-level column; re-assign only within its levels. Randomisation only.
    min_e, max_e
        Event-time window (as :meth:`ATTgtResult.aggregate`).
    scale
        ``"pre_period"`` (default): robust to treated units that are noisier (or quieter) than the
        controls. Each unit gets a noise scale ``s_i`` from its two-way demeaned outcomes in the
        periods before the first cohort (:mod:`~sosek_impact.inference.few_treated_scale`);
        randomisation inference studentises every re-assigned estimate by
        ``V_pi = sum_i s_i^2 w_{pi,i}' R w_{pi,i}``, Conley–Taber rescales a control path standing
        in for treated unit ``j`` by ``s_j / s_l`` (Ferman & Pinto 2019). ``"none"``: equal noise
        assumed (the method before scaling; kept for comparison). Not used by the wild bootstrap
        (its CR1 statistic is studentised already).

    Returns
    -------
    FewTreatedResult
        Estimates, intervals (possibly infinite), p-values of no effect from the same test, the
        draws behind each term, critical values and :meth:`~FewTreatedResult.mde`, the
        treated/control pre-period variance ratio, and warnings about the panel's support.

    Warns
    -----
    FewAssignmentsWarning
        Fewer than ``1 / alpha`` distinct assignments (the test cannot reject at ``alpha``: the
        interval is the whole line, critical value and MDE infinite), or fewer than ``20 / alpha``
        (attainable levels are coarse).
    FewControlsWarning
        Fewer than 20 never-treated units, or fewer than ``2 / alpha`` distinct pairings for a term.
    NoiseRatioWarning
        Treated units' pre-period residual variance is far from the controls' (ratio outside
        ``[1/1.5, 1.5]`` with permutation p < 0.05); says which way an unscaled interval errs.
    FewPrePeriodsWarning
        Fewer than two periods before the first cohort: no scale can be estimated, equal noise is
        assumed (the result's ``scale`` is then ``"none"``).

    Raises
    ------
    ValueError, NotImplementedError, EstimationError and the panel checks' typed errors.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {AGGREGATES}, got {aggregate!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if control is None:
        control = "not_yet" if estimator == "imputation" else "never"
    if control not in ("never", "not_yet"):
        raise ValueError(f"control must be 'never' or 'not_yet', got {control!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if int(n_draws) != n_draws or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}")
    if method != "randomization" and (eligible is not None or strata is not None):
        raise ValueError("eligible and strata apply to method='randomization' only")
    if method == "wild_bootstrap":
        if estimator == "cs":
            raise ValueError("method='wild_bootstrap' needs a regression form of the estimator: Callaway-Sant'Anna has "
                             "no regression form; use estimator='sa' or 'imputation', or method='randomization'")
        try:
            wild = import_module("sosek_impact.inference.wild_did").wild_bootstrap_did
        except (ImportError, AttributeError) as exc:
            raise NotImplementedError(
                "method='wild_bootstrap' needs sosek_impact.inference.wild_did.wild_bootstrap_did, "
                f"which this installation lacks ({exc})"
            ) from exc
        return wild(data, y, unit, time, group, estimator=estimator, aggregate=aggregate, control=control,
                    n_boot=int(n_draws), alpha=alpha, seed=seed, min_e=min_e, max_e=max_e)

    Y, g, periods, units = _panel(data, y, unit, time, group, need_never=(control == "never" or method == "conley_taber"))
    terms, W, X = linear_design(g, periods, estimator, aggregate, control, min_e, max_e)
    blocks = None
    if method == "randomization":
        elig = _eligible_mask(data, unit, eligible, units)
        if strata is None:
            blocks = [np.flatnonzero(elig)]
        else:
            s = _unit_column(data, unit, strata, units, "strata")
            blocks = [np.flatnonzero(elig & (s == v)) for v in pd.unique(s[elig])]
        blocks = [b for b in blocks if len(b) > 1]
    res = infer_linear(Y, g, periods, terms, W, X, method=method, scale=scale, n_draws=int(n_draws), alpha=alpha,
                       seed=seed, blocks=blocks, units=units, estimator=estimator, aggregate=aggregate)
    for msg, cls in res.pop("notes"):
        warnings.warn(msg, cls, stacklevel=2)
    settings = dict(y=y, unit=unit, time=time, group=group, control=control, n_draws=int(n_draws), seed=seed,
                    eligible=eligible, strata=strata, min_e=min_e, max_e=max_e, scale=scale)
    return FewTreatedResult(estimator=estimator, aggregate=aggregate, method=method, settings=settings, **res)


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
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
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
        raise ValueError(f"method must be 'randomization' or 'conley_taber', got {method!r}")
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
    noise = dist if drop is None else np.delete(dist, drop, axis=1)
    return dict(conf_low=lo, conf_high=hi, p_value=p, std_error=se, dist=dist, exact=assign.exact,
                n_draws=len(assign.groups), notes=notes, assignments=assign.groups, critical_values=crit,
                mde_reason=reason, mde_noise=noise)


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
