"""Joint test of the leads (placebo in time) under few-treated inference.

With one or two treated units per cohort the analytical pre-trend tests of CS and the imputation
estimator have the same problem as their intervals: their variance rests on the treated units.
:func:`few_treated_pretest` tests all leads jointly with the same machinery as
:func:`~sosek_impact.inference.few_treated.few_treated_inference`:

- **the leads** ``theta_e`` are linear in the outcome. For ``"cs"`` they are Callaway–Sant'Anna
  pre-treatment cells with the universal base ``g - 1`` (``e = -(k+1)..-2``, cohorts weighted by
  size): a linear pre-trend makes them grow with ``|e|``, where the varying-base leads of
  ``att_gt`` are one-period changes that each show only the slope (with those, the test had no
  power against a trend of 0.1 noise SD a year in the Monte Carlo). For ``"imputation"`` they are
  the lead coefficients of Borusyak, Jaravel & Spiess's test: OLS of the untreated outcomes on
  unit and period effects and the lead indicators ``1{t - G_i = e}``, ``-k <= e <= -1`` (earlier
  pre-periods are the reference), computed here as weights on ``Y``;
- **the statistic** is ``S = sum_e theta_e^2 / V_e`` with ``V_e`` the studentisation of
  :mod:`~sosek_impact.inference.few_treated_scale` (``scale="pre_period"``: per-unit noise scales
  from the periods before the first cohort, here after removing each unit's own linear trend too,
  so that a pre-trend does not inflate the scale it is judged by; ``"none"``: every unit scale 1);
- **randomisation** (``method="randomization"``): ``S`` under re-assignments of adoption timing.
  Re-assigned leads read outcomes that were treated in the observed assignment, so the test is of
  the null *no effect before treatment and a constant effect after it*: those cells enter as
  ``Y - tau_hat`` with ``tau_hat`` the estimator's simple ATT (approximate: ``tau_hat`` is
  estimated, and effects that change over time leak into the re-assigned leads, which makes the
  test conservative or liberal depending on their shape). Removing event-time-specific estimates
  instead would remove the treated units' own noise in event times only one unit reaches, and
  over-rejected in the Monte Carlo;
- **Conley–Taber** (``method="conley_taber"``): the leads' error is simulated by pairing treated
  units with rescaled control residual paths (as for the estimates) plus a multivariate normal
  draw for the comparison units' own part; no assumption on post-treatment effects is needed
  (the leads of the observed design use untreated cells only).

Valid when, after scaling, the units' noise paths are exchangeable (RI) or share one law
(CT); a trend that shows only after treatment cannot be seen by any lead test.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.estimators._options import check_choice
from sosek_impact.errors import EstimationError
from sosek_impact.inference.few_treated import _panel
from sosek_impact.inference.few_treated_args import (
    check_options,
    check_randomization_only,
    default_control,
    randomization_blocks,
)
from sosek_impact.inference.few_treated_core import _WARNING_OF, linear_design
from sosek_impact.inference.few_treated_ct import control_residual_paths, pairing_sums
from sosek_impact.inference.few_treated_result import (
    FewAssignmentsWarning,
    FewControlsWarning,
    event_label,
)
from sosek_impact.inference.few_treated_ri import draw_assignments, permuted_statistics, permuted_sums
from sosek_impact.inference.few_treated_scale import noise_scales, variance_weights
from sosek_impact.inference.few_treated_weights import _cell_matrix, cohort_weights
from sosek_impact.results_protocol import ResultsProtocol, format_number, format_pvalue

__all__ = ["FewTreatedPretest", "cs_lead_weights", "few_treated_pretest", "imputation_lead_weights", "lead_weights",
           "pretest_arrays"]

ESTIMATORS = ("cs", "imputation")
METHODS = ("randomization", "conley_taber")


@dataclass(frozen=True, repr=False)
class FewTreatedPretest(ResultsProtocol):
    """A joint few-treated test of the leads.

    Attributes
    ----------
    estimator, method, scale
        As :func:`few_treated_pretest`.
    terms
        Leads, ``"e=-k"`` ... ``"e=-1"``.
    estimate
        Lead estimates.
    std_error
        ``sqrt(V_e)``: the studentisation of each lead at the observed assignment.
    statistic
        ``S = sum_e (estimate_e / std_error_e)^2``.
    p_value
        Share of the reference draws with a statistic at least as large.
    n_draws, exact
        Draws used; every assignment / pairing enumerated.
    distribution
        The reference draws of ``S``.
    warnings, settings
        Messages issued; the call's settings.
    """

    estimator: str
    method: str
    scale: str
    terms: tuple[str, ...]
    estimate: np.ndarray
    std_error: np.ndarray
    statistic: float
    p_value: float
    n_draws: int
    exact: bool
    distribution: np.ndarray = field(repr=False)
    warnings: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def _tidy(self, alpha: float) -> pd.DataFrame:
        k = len(self.terms)
        return pd.DataFrame({
            "term": list(self.terms), "estimate": self.estimate, "std_error": self.std_error,
            "statistic": self.estimate / self.std_error, "p_value": np.full(k, np.nan),
            "conf_low": np.full(k, np.nan), "conf_high": np.full(k, np.nan),
            "event_time": [int(t[2:]) for t in self.terms],
        })

    def _summary_header(self) -> list[str]:
        how = "all assignments/pairings (exact)" if self.exact else f"{format_number(self.n_draws)} draws"
        valid = {"randomization": "timing as good as random and scaled noise exchangeable across units; after "
                                  "treatment a constant effect (removed as the simple ATT)",
                 "conley_taber": "error paths independent across units, one law after rescaling; many never-treated "
                                 "units"}[self.method]
        return [f"Joint test of {len(self.terms)} lead(s), {self.estimator} with {self.method} inference, {how}, "
                f"scale={self.scale}",
                f"Valid if: {valid}; a trend that starts only at treatment is not seen",
                f"S = sum of squared studentised leads = {format_number(self.statistic)}, p = {format_pvalue(self.p_value)}"]

    def _summary_footer(self) -> list[str]:
        return [f"Warning: {w}" for w in self.warnings]


def imputation_lead_weights(g: np.ndarray, periods: np.ndarray, k: int) -> np.ndarray:
    """(k, n, T) weights of the lead coefficients ``e = -k..-1`` of the BJS pre-trend regression.

    OLS on the untreated observations (``t < G_i`` or never treated) of ``Y`` on unit effects,
    period effects and ``1{G_i > 0, t - G_i = e}``; treated observations get weight 0.

    Raises
    ------
    EstimationError
        When the leads are not identified (``k`` reaches the earliest cohort's first period).
    """
    n, T = len(g), len(periods)
    pos = np.where(g > 0, np.searchsorted(periods, g), T)
    tt = np.arange(T)
    untreated = tt[None, :] < pos[:, None]
    ii, ti = np.nonzero(untreated)
    cols = n + (T - 1) + k
    Xd = np.zeros((ii.size, cols))
    Xd[np.arange(ii.size), ii] = 1.0
    has_t = ti > 0
    Xd[np.flatnonzero(has_t), n + ti[has_t] - 1] = 1.0
    e = ti - pos[ii]
    lead = (g[ii] > 0) & (e >= -k) & (e <= -1)
    Xd[np.flatnonzero(lead), n + T - 1 + (e[lead] + k)] = 1.0
    if np.linalg.matrix_rank(Xd) < cols:
        raise EstimationError(f"the {k} lead(s) are not identified: the earliest cohort needs at least {k + 1} "
                              "pre-periods (one as reference); pass fewer leads")
    H = np.linalg.pinv(Xd)[n + T - 1 :]  # (k, rows)
    W = np.zeros((k, n, T))
    W[:, ii, ti] = H
    return W


def cs_lead_weights(g: np.ndarray, periods: np.ndarray, control: str, k: int) -> tuple[list, np.ndarray]:
    """(k, n, T) Callaway–Sant'Anna leads with the universal base ``g - 1``, ``e = -(k+1)..-2``.

    Cell ``(g, t)``, ``t < g - 1``: the cohort's mean change from ``g - 1`` to ``t`` minus the
    comparison units' (never treated, or not yet treated at ``g - 1``, i.e. first treated after
    ``g - 1`` and not in cohort ``g``); cells of one event time weighted by cohort size. Against a
    linear pre-trend these leads grow with ``|e|`` (the varying-base leads of ``att_gt`` are
    one-period changes, each showing only the slope).
    """
    n, T = len(g), len(periods)
    pos = np.where(g > 0, np.searchsorted(periods, g), T + 1)
    never = g == 0
    terms, rows = [], []
    for e in range(-(k + 1), -1):
        acc = np.zeros((n, T))
        total = 0
        for c in np.unique(g[g > 0]):
            is_g = g == c
            gp = int(pos[is_g][0])
            tp, bp = gp + e, gp - 1
            if tp < 0:
                continue
            is_c = never if control == "never" else (pos > bp) & ~is_g
            if not is_c.any():
                raise EstimationError(f"no comparison units for cohort {c:g} at its base period")
            acc += is_g.sum() * _cell_matrix(n, T, is_g, is_c, tp, bp)
            total += int(is_g.sum())
        if total:
            terms.append(event_label(e))
            rows.append(acc / total)
    if not rows:
        raise EstimationError("no lead cell: every cohort starts within two periods of the panel's start")
    return terms, np.stack(rows)


def lead_weights(g: np.ndarray, periods: np.ndarray, estimator: str, control: str, k: int) -> tuple[list, np.ndarray]:
    """Terms and (k, n, T) outcome weights of the ``k`` leads of ``estimator``.

    ``"cs"``: universal-base leads ``e = -(k+1)..-2`` (:func:`cs_lead_weights`); ``"imputation"``:
    the BJS lead coefficients ``e = -k..-1`` (:func:`imputation_lead_weights`).
    """
    if estimator == "cs":
        return cs_lead_weights(g, periods, control, k)
    return [event_label(e) for e in range(-k, 0)], imputation_lead_weights(g, periods, k)


def few_treated_pretest(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    group: str,
    *,
    estimator: str = "cs",
    method: str = "randomization",
    leads: int | None = None,
    control: str | None = None,
    n_draws: int = 999,
    seed: int | None = 0,
    eligible: str | Sequence[Any] | None = None,
    strata: str | None = None,
    scale: str = "pre_period",
) -> FewTreatedPretest:
    """Joint few-treated test of no effect before treatment (module docstring).

    Parameters
    ----------
    data, y, unit, time, group
        As :func:`~sosek_impact.inference.few_treated.few_treated_inference`.
    estimator
        ``"cs"`` or ``"imputation"``.
    method
        ``"randomization"`` or ``"conley_taber"``.
    leads
        Number of leads ``k`` (CS: event times ``-(k+1)..-2`` against the base ``-1``; imputation:
        ``-k..-1`` against earlier periods); default: the earliest cohort's pre-periods minus one.
    control, n_draws, seed, eligible, strata, scale
        As :func:`~sosek_impact.inference.few_treated.few_treated_inference`.

    Returns
    -------
    FewTreatedPretest

    Raises
    ------
    ValueError
        Unknown estimator, method or scale; bad ``leads``.
    EstimationError
        Leads not identified, or the panel's typed errors.
    """
    check_options(estimator, ESTIMATORS, method, METHODS, scale)
    check_randomization_only(method, eligible, strata)
    control = default_control(estimator, control)
    Y, g, periods, units = _panel(data, y, unit, time, group, need_never=(control == "never" or method == "conley_taber"))
    first = int(np.searchsorted(periods, g[g > 0].min())) if (g > 0).any() else 0
    if first < 2:
        raise EstimationError("the earliest cohort has fewer than two pre-periods: there is no lead to test")
    k = first - 1 if leads is None else int(leads)
    if not 1 <= k <= first - 1:
        raise ValueError(f"leads must lie in 1..{first - 1} (the earliest cohort's pre-periods minus one), got {leads!r}")
    terms, W = lead_weights(g, periods, estimator, control, k)
    blocks, post = None, None
    if method == "randomization":
        blocks = randomization_blocks(data, unit, units, eligible, strata)
        post = linear_design(g, periods, estimator, "simple", control)[1][0]
    out = pretest_arrays(Y, g, periods, W, method=method, scale=scale, n_draws=int(n_draws), seed=seed,
                         blocks=blocks, post_effects=post, units=units)
    for msg, cls in out.pop("notes"):
        warnings.warn(msg, cls, stacklevel=2)
    return FewTreatedPretest(
        estimator=estimator, method=method, terms=tuple(terms),
        settings=dict(y=y, unit=unit, time=time, group=group, control=control, leads=k, n_draws=int(n_draws),
                      seed=seed, eligible=eligible, strata=strata, scale=scale), **out)


def pretest_arrays(
    Y: np.ndarray,
    g: np.ndarray,
    periods: np.ndarray,
    W: np.ndarray,
    *,
    method: str,
    scale: str = "pre_period",
    n_draws: int = 999,
    seed: int | None = 0,
    blocks: list[np.ndarray] | None = None,
    post_effects: tuple[np.ndarray, np.ndarray] | None = None,
    units: np.ndarray | None = None,
) -> dict[str, Any]:
    """The joint lead test on arrays (the core of :func:`few_treated_pretest`, reused by simulations).

    Parameters
    ----------
    Y, g, periods
        (n, T) outcomes, (n,) first-treated periods, (T,) periods.
    W
        (k, n, T) lead weights (:func:`lead_weights`).
    method, scale, n_draws, seed
        As :func:`few_treated_pretest`.
    blocks
        Randomisation: units re-assigned among themselves (default all).
    post_effects
        Randomisation: (n, T) weights of the estimator's simple ATT; the estimate is removed from
        every observed treated cell before re-assignment (nothing removed if ``None``).
    units
        Unit labels for messages.

    Returns
    -------
    dict
        Keyword arguments of :class:`FewTreatedPretest` except ``estimator``, ``method``,
        ``terms``, ``settings``; plus ``notes`` to warn about.
    """
    estimate = np.einsum("kit,it->k", W, Y)
    sc = noise_scales(Y, g, periods, np.zeros_like(W), scale, units, detrend=True)
    notes: list[tuple[str, type]] = [(m, _WARNING_OF[kind]) for m, kind in sc.notes]
    cohorts, L = cohort_weights(W, g)
    q = variance_weights(L, sc.R)
    H = sc.s2[:, None, :] * q[:, :, None]
    V0 = permuted_sums(H, cohorts, g[None, :])[:, 0]
    S_obs = float(np.sum(estimate**2 / V0))
    if method == "randomization":
        Y0 = Y.copy()
        if post_effects is not None:
            D = (g[:, None] > 0) & (periods[None, :] >= g[:, None])
            Y0 = Y - float(np.sum(post_effects * Y)) * D
        assign = draw_assignments(g, blocks if blocks is not None else [np.arange(len(g))], n_draws, seed)
        A = permuted_statistics(L, cohorts, assign.groups, Y0)
        V = permuted_sums(H, cohorts, assign.groups)
        dist = np.sum(A**2 / V, axis=0)
        exact = assign.exact
        hits = int((dist >= S_obs * (1 - 1e-10)).sum())
        p = hits / dist.size if exact else (1 + hits) / (1 + dist.size)
        if 1 / (assign.total if exact else dist.size + 1) > 0.05:
            notes.append((f"only {assign.total} distinct assignments: the pre-test cannot reject at 5 %",
                          FewAssignmentsWarning))
    elif method == "conley_taber":
        never, treated = g == 0, g > 0
        eta = control_residual_paths(Y, never)
        rescale = None
        if sc.effective == "pre_period":
            rescale = np.sqrt(sc.s2[:, treated][:, :, None] / sc.s2[:, never][:, None, :])
        sums, exact, _ = pairing_sums(W, treated, eta, n_draws, seed, rescale=rescale)
        Sig = eta.T @ eta / eta.shape[0]
        Wc = W[:, never, :]
        C = np.einsum("alt,ts,bls->ab", Wc, Sig, Wc)
        rng = np.random.default_rng(None if seed is None else seed + 1)
        z = rng.multivariate_normal(np.zeros(W.shape[0]), C, size=sums.shape[1], method="eigh").T
        dist = np.sum((sums + z) ** 2 / V0[:, None], axis=0)
        p = (1 + int((dist >= S_obs).sum())) / (1 + dist.size)
        if int(never.sum()) < 20:
            notes.append((f"only {int(never.sum())} never-treated units: the Conley-Taber distribution rests on many "
                          "comparison units", FewControlsWarning))
    else:
        check_choice("method", method, METHODS)
    return dict(scale=sc.effective, estimate=estimate, std_error=np.sqrt(V0), statistic=S_obs, p_value=float(p),
                n_draws=int(dist.size), exact=bool(exact), distribution=dist, warnings=tuple(m for m, _ in notes),
                notes=notes)
