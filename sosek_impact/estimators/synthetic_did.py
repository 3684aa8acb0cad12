"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens and Wager 2021).

For a block design (``N1`` treated units that all start treatment in the same period, ``T0``
pre-periods and ``T1`` post-periods) SDID estimates

.. math::

    \\hat\\tau = \\Big(\\bar Y_{tr,post} - \\sum_t \\hat\\lambda_t \\bar Y_{tr,t}\\Big)
               - \\sum_i \\hat\\omega_i \\Big(\\bar Y_{i,post} - \\sum_t \\hat\\lambda_t Y_{i,t}\\Big),

a two-way fixed-effects regression weighted by unit weights :math:`\\hat\\omega` (matching the
treated units' pre-trend up to a constant, with ridge penalty :math:`\\zeta^2 T_0`) and time
weights :math:`\\hat\\lambda` (matching the controls' post-period mean from their pre-periods up
to a constant). As in the reference R package ``synthdid``:

* :math:`\\zeta = (N_1 T_1)^{1/4} \\hat\\sigma`, where :math:`\\hat\\sigma` is the standard deviation
  of the first differences of the control units' pre-period outcomes; the time weights get a
  negligible ridge :math:`10^{-6}\\hat\\sigma`;
* both weight problems are solved by Frank–Wolfe with an intercept, first for 100 iterations,
  then, after zeroing weights below a quarter of the largest ("sparsify"), until the objective
  decreases by less than :math:`(10^{-5}\\hat\\sigma)^2` or 10,000 iterations.

The same machinery gives synthetic control (``estimator="sc"``: no intercept, no time weights,
negligible ridge) and plain DiD (``estimator="did"``: uniform weights).

Standard errors (``se=``): ``"placebo"`` (the one valid with a single treated unit: controls are
reassigned as pseudo-treated, Algorithm 4 of the paper), ``"jackknife"`` (leave one unit out,
weights held fixed; needs at least two treated units) and ``"bootstrap"`` (units resampled,
weights re-estimated; needs at least two treated units).

Staggered adoption (treated units starting in different periods) is handled as in the Stata
package ``sdid`` (Clarke, Pailanir, Athey and Imbens 2023): each adoption cohort is estimated
as a block against the never-treated units over all periods, and the cohort estimates are
averaged with weights proportional to their treated unit-periods ``N1_g * T1_g``
(:mod:`~sosek_impact.estimators.sdid_staggered`).

Time-varying covariates (``covariates=``) are partialled out of the outcome first
(:func:`~sosek_impact.estimators._sdid_panel.residualise_on_covariates`): by default as diff-diff
3.13 does (OLS of the outcome on the covariates and unit and period dummies over all observations,
the residual plus the grand mean is the outcome), or, with ``covariate_fit="untreated"``, as
Kranz's ``xsynthdid`` does (the coefficients from the untreated observations only, then
``y - X beta``).

The code is split by job: the weights and the estimate on a matrix (``_sdid_weights``), panel
checks and covariates (``_sdid_panel``), staggered adoption (``sdid_staggered``), the result
(``synthetic_did_result``) and this entry point with the variance and placebo ranks.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from sosek_impact.estimators._options import check_choice
from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import EstimationError, SmallGroupError
from sosek_impact.estimators._sdid_panel import panel_frames, panel_matrix, residualise_on_covariates
from sosek_impact.estimators._sdid_weights import (
    Estimator,
    SDIDSetup,
    gap_path,
    sdid_estimate,
    sdid_refit,
)
from sosek_impact.estimators.sdid_staggered import staggered_did
from sosek_impact.estimators.synth_rank import (
    fit_resolution,
    placebo_rank_p_value,
    rank_statistic,
    rmspe_ratio,
    snap_gap,
)
from sosek_impact.estimators.synthetic_did_result import SyntheticDiDResult

__all__ = ["SyntheticDiDResult", "sdid_estimate", "synthetic_did"]


def synthetic_did(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    treat: str,
    *,
    estimator: Estimator = "sdid",
    se: Literal["placebo", "jackknife", "bootstrap", "none"] = "placebo",
    n_reps: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    leave_one_out: bool = True,
    placebo_rank: bool = False,
    covariates: Sequence[str] | None = None,
    covariate_fit: Literal["all", "untreated"] = "all",
    exact_fit_rtol: float = 1e-6,
) -> SyntheticDiDResult:
    """Synthetic difference-in-differences for a block design, with variance and leave-one-out.

    Parameters
    ----------
    data
        Balanced long panel, one row per (unit, period).
    y, unit, time
        Outcome, unit and period columns.
    treat
        0/1 column, 1 for treated units from their first treated period on (absorbing); units
        never treated are the controls. If treated units start in different periods, the
        cohort decomposition described in the module docstring is used and ``cohorts`` is set.
    estimator
        ``"sdid"`` (default), ``"sc"`` (synthetic control as in ``synthdid::sc_estimate``) or
        ``"did"`` (plain DiD), all through the same code path.
    se
        ``"placebo"`` (default; valid with one treated unit), ``"jackknife"``, ``"bootstrap"`` or
        ``"none"``.
    n_reps
        Replications of the placebo or bootstrap variance.
    seed
        Seed of the placebo / bootstrap draws.
    alpha
        One minus the confidence level of ``conf_int``.
    leave_one_out
        Re-estimate dropping each control with unit weight above 0.001.
    placebo_rank
        Block design only: refit with each control as the treated unit (the other controls as
        donors, weights re-estimated) and rank the treated post/pre RMSPE ratio among theirs
        (``rmspe_ratio``, ``placebo``, ``placebo_p_value``; N0 extra fits), under the exact-fit and
        tie rules of :mod:`sosek_impact.estimators.synth_rank`.
    covariates
        Time-varying covariate columns partialled out of the outcome before estimation
        (:func:`~sosek_impact.estimators._sdid_panel.residualise_on_covariates`); the
        coefficients are ``covariate_coefficients``.
    covariate_fit
        ``"all"`` (default; as diff-diff 3.13: OLS with unit and period dummies on every
        observation) or ``"untreated"`` (as Kranz's ``xsynthdid``: coefficients from the
        untreated observations only).
    exact_fit_rtol
        Exact-fit resolution of ``placebo_rank``, relative to the sd of the pre-period outcomes.

    Returns
    -------
    SyntheticDiDResult

    Raises
    ------
    UnbalancedPanelError
        A unit lacks an outcome in some period.
    TreatedInFirstPeriodError
        Treatment starts in the first period.
    SmallGroupError
        No treated unit, fewer than two controls, or (placebo) no more controls than treated.
    EstimationError
        Non-absorbing treatment (a unit switches treatment off).
    """
    Yw, first, controls = panel_frames(data, y, unit, time, treat)
    beta = None
    if covariates:
        Yw, beta = residualise_on_covariates(data, y, unit, time, treat, covariates, covariate_fit)
        Yw = Yw.loc[list(controls) + list(first.index)].sort_index()
    if first.nunique() > 1:
        if placebo_rank:
            raise EstimationError(
                "placebo_rank needs a block design (all treated units start together); fit each adoption cohort "
                "against the never-treated units separately"
            )
        res = staggered_did(Yw, first, controls, unit, estimator, se, n_reps, seed, alpha, leave_one_out)
        res.covariate_coefficients = beta
        return res
    Y, treated_units, times, T0, t0 = panel_matrix(Yw, first, controls)
    N0 = len(controls)
    N1 = len(treated_units)
    T1 = Y.shape[1] - T0
    est, omega, lam, opts = sdid_estimate(Y, N0, T0, estimator)
    notes: list[str] = []
    if T0 <= 3:
        notes.append(f"only {T0} pre-treatment period(s): unit weights rest on very few points")
    rng = np.random.default_rng(seed)
    reps: list[float] = []
    if se == "placebo":
        if N0 <= N1:
            raise SmallGroupError(f"placebo variance needs more controls ({N0}) than treated units ({N1})")
        for _ in range(n_reps):
            ind = rng.permutation(N0)
            n0 = N0 - N1
            w0 = omega[ind[:n0]]
            w0 = w0 / w0.sum() if w0.sum() > 0 else np.full(n0, 1.0 / n0)
            reps.append(sdid_refit(Y[ind], n0, T0, opts, w0, lam)[0])
        se_val = float(np.sqrt((n_reps - 1) / n_reps) * np.std(reps, ddof=1))
    elif se == "jackknife":
        if N1 < 2:
            notes.append("jackknife standard error undefined with a single treated unit")
            se_val = float("nan")
        else:
            fixed = SDIDSetup(opts.zeta_omega, opts.zeta_lambda, opts.min_decrease, opts.omega_intercept, False, False)
            n = N0 + N1
            for i in range(n):
                keep = np.array([k for k in range(n) if k != i])
                n0 = int(np.sum(keep < N0))
                w0 = omega[keep[keep < N0]]
                w0 = w0 / w0.sum() if w0.sum() > 0 else np.full(n0, 1.0 / n0)
                reps.append(sdid_refit(Y[keep], n0, T0, fixed, w0, lam)[0])
            r = np.asarray(reps)
            se_val = float(np.sqrt((n - 1) / n * np.sum((r - r.mean()) ** 2)))
    elif se == "bootstrap":
        if N1 < 2:
            notes.append("bootstrap standard error undefined with a single treated unit")
            se_val = float("nan")
        else:
            n = N0 + N1
            while len(reps) < n_reps:
                ind = np.sort(rng.integers(0, n, size=n))
                n0 = int(np.sum(ind < N0))
                if n0 == 0 or n0 == n:
                    continue
                w0 = omega[ind[ind < N0]]
                w0 = w0 / w0.sum() if w0.sum() > 0 else np.full(n0, 1.0 / n0)
                reps.append(sdid_refit(Y[ind], n0, T0, opts, w0, lam)[0])
            se_val = float(np.sqrt((n_reps - 1) / n_reps) * np.std(reps, ddof=1))
    elif se == "none":
        se_val = float("nan")
    else:
        check_choice("se", se, ("placebo", "jackknife", "bootstrap", "none"))
    z = stats.norm.ppf(1 - alpha / 2)
    ci = (est - z * se_val, est + z * se_val)

    loo = None
    if leave_one_out:
        vals = {}
        for i in np.flatnonzero(omega > 1e-3):
            keep = np.array([k for k in range(N0 + N1) if k != i])
            if N0 - 1 < 2:
                break
            vals[controls[i]] = sdid_estimate(Y[keep], N0 - 1, T0, estimator)[0]
        loo = pd.Series(vals, name="estimate", dtype=float)
        loo.index.name = unit

    noise = float(np.std(np.diff(Y[:N0, :T0], axis=1), ddof=1)) if T0 > 1 else 0.0
    treated_path = Y[N0:].mean(axis=0)
    synth = omega @ Y[:N0]
    # Shift the weighted controls by the lambda-weighted pre-period difference, as SDID does.
    shift = float((treated_path[:T0] - synth[:T0]) @ lam) if lam.sum() > 0 else 0.0
    paths = pd.DataFrame({"treated": treated_path, "synthetic_control": synth + shift}, index=pd.Index(times, name=time))
    placebo_table, ratio, p_rank = None, None, None
    if placebo_rank:
        placebo_table = _placebo_rmspe(Y, N0, T0, estimator, controls, treated_units, unit, exact_fit_rtol)
        ratio = float(placebo_table["ratio"].iloc[0])
        stats_ = placebo_table["statistic"]
        p_rank = placebo_rank_p_value(float(stats_.iloc[0]), stats_.loc[~placebo_table["treated"]].to_numpy())
    return SyntheticDiDResult(
        rmspe_ratio=ratio,
        placebo=placebo_table,
        placebo_p_value=p_rank,
        estimate=est,
        std_error=se_val,
        interval=ci,
        alpha=float(alpha),
        se_method=se,
        estimator=estimator,
        unit_weights=pd.Series(omega, index=pd.Index(controls, name=unit), name="omega"),
        time_weights=pd.Series(lam, index=pd.Index(times[:T0], name=time), name="lambda"),
        treated_units=treated_units,
        treatment_time=t0,
        n_control=N0,
        n_treated=N1,
        n_pre=T0,
        n_post=T1,
        noise_level=noise,
        zeta_omega=opts.zeta_omega,
        paths=paths,
        leave_one_out=loo,
        replicates=np.asarray(reps, dtype=float),
        notes=notes,
        covariate_coefficients=beta,
        outcome=y,
    )


def _placebo_rmspe(
    Y: NDArray, N0: int, T0: int, estimator: Estimator, controls: list[Hashable], treated_units: list[Hashable],
    unit: str,
    exact_fit_rtol: float,
) -> pd.DataFrame:
    """RMSPE ratios of the treated units (their mean) and of each control refitted as if treated.

    Columns ``pre_rmspe, post_rmspe, ratio, exact_fit, statistic, estimate, treated``; the rank
    statistic and the exact-fit resolution as in :mod:`sosek_impact.estimators.synth_rank`.
    """
    T = Y.shape[1]
    pre_mask, post_mask = np.arange(T) < T0, np.arange(T) >= T0
    res_ = fit_resolution(Y[:, :T0], exact_fit_rtol)
    est, omega, lam, _ = sdid_estimate(Y, N0, T0, estimator)
    label = treated_units[0] if len(treated_units) == 1 else "treated (mean)"
    rows = [(label, *rmspe_ratio(snap_gap(gap_path(Y, N0, T0, omega, lam), res_), pre_mask, post_mask, res_), est, True)]
    for j in range(N0):
        order = [k for k in range(N0) if k != j] + [j]
        Yj = Y[order]
        e_j, w_j, l_j, _ = sdid_estimate(Yj, N0 - 1, T0, estimator)
        g = snap_gap(gap_path(Yj, N0 - 1, T0, w_j, l_j), res_)
        rows.append((controls[j], *rmspe_ratio(g, pre_mask, post_mask, res_), e_j, False))
    table = pd.DataFrame(rows, columns=[unit, "pre_rmspe", "post_rmspe", "ratio", "estimate", "treated"]).set_index(unit)
    table.insert(3, "exact_fit", table["pre_rmspe"] == 0.0)
    table.insert(4, "statistic", rank_statistic(table["pre_rmspe"], table["post_rmspe"], res_))
    return table



make_module_callable(__name__)  # `from sosek_impact.estimators import synthetic_did` is the function either way
