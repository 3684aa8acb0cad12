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
averaged with weights proportional to their treated unit-periods ``N1_g * T1_g``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import (
    EstimationError,
    InputError,
    SmallGroupError,
    TreatedInFirstPeriodError,
    UnbalancedPanelError,
)
from sosek_impact.results_protocol import ResultsProtocol, deprecated_alias, legacy_conf_int, normal_tidy, plain

from sosek_impact.estimators._checks import check_columns, check_numeric
from sosek_impact.estimators.synthetic_control import placebo_rank_p_value, rmspe_ratio

__all__ = ["SyntheticDiDResult", "sdid_estimate", "synthetic_did"]

Estimator = Literal["sdid", "sc", "did"]


# ---------------------------------------------------------------------------------------------
# Frank-Wolfe weights, as in synthdid::sc.weight.fw
# ---------------------------------------------------------------------------------------------


def _fw_loop_numpy(A: NDArray, b: NDArray, x: NDArray, eta: float, z2: float, threshold: float, max_iter: int) -> NDArray:
    """Frank–Wolfe iterations (pure NumPy); see :func:`_sc_weight_fw`."""
    n = A.shape[0]
    At = np.ascontiguousarray(A.T)
    r = A @ x - b
    xx = float(x @ x)
    prev2 = prev1 = np.inf
    for t in range(max_iter):
        if t >= 2 and not (prev2 - prev1 > threshold):
            break
        half_grad = At @ r + eta * x
        i = int(np.argmin(half_grad))
        xi = x[i]
        d_err = A[:, i] - (r + b)
        num = float(half_grad @ x) - float(half_grad[i])
        denom = float(d_err @ d_err) + eta * (xx - 2.0 * xi + 1.0)
        step = num / denom if denom > 0 else 0.0
        step = 1.0 if step > 1.0 else (max(step, 0.0))
        if step > 0.0:
            x *= 1.0 - step
            x[i] += step
            r += step * d_err
            xx = float(x @ x)
        val = z2 * xx + float(r @ r) / n
        prev2, prev1 = prev1, val
    return x


try:  # numba turns the 10,000-iteration loop from ~0.5 s into a few milliseconds
    import numba as _numba

    _fw_loop = _numba.njit(cache=False)(_fw_loop_numpy)
except ImportError:  # pragma: no cover - numba is a declared dependency, but stay usable without it
    _fw_loop = _fw_loop_numpy


def _sc_weight_fw(Y: NDArray, zeta: float, intercept: bool, lam: NDArray | None, min_decrease: float, max_iter: int) -> NDArray:
    """Frank–Wolfe for ``min ||A x - b||^2 / n + zeta^2 ||x||^2`` on the simplex.

    ``Y`` is ``(n, k + 1)``: the first ``k`` columns are ``A``, the last is ``b``. The iterates
    are those of ``synthdid::sc.weight.fw`` (exact line search towards the best vertex, stop
    when the objective falls by less than ``min_decrease**2`` or after ``max_iter`` steps); the
    residual ``A x - b`` is updated in place rather than recomputed.
    """
    k = Y.shape[1] - 1
    x = np.full(k, 1.0 / k) if lam is None else np.array(lam, dtype=float)
    if intercept:
        Y = Y - Y.mean(axis=0, keepdims=True)
    A = np.ascontiguousarray(Y[:, :k], dtype=np.float64)
    b = np.ascontiguousarray(Y[:, k], dtype=np.float64)
    eta = float(Y.shape[0] * zeta**2)
    return _fw_loop(A, b, x, eta, float(zeta**2), float(min_decrease**2), int(max_iter))


def _sparsify(v: NDArray) -> NDArray:
    v = np.where(v <= v.max() / 4.0, 0.0, v)
    return v / v.sum()


def _collapsed(Y: NDArray, N0: int, T0: int) -> NDArray:
    """``(N0 + 1, T0 + 1)``: controls and the treated mean, by pre-periods and the post mean."""
    top = np.column_stack([Y[:N0, :T0], Y[:N0, T0:].mean(axis=1)])
    bottom = np.concatenate([Y[N0:, :T0].mean(axis=0), [Y[N0:, T0:].mean()]])
    return np.vstack([top, bottom])


@dataclass
class _Setup:
    zeta_omega: float
    zeta_lambda: float
    min_decrease: float
    omega_intercept: bool
    update_omega: bool
    update_lambda: bool
    max_iter: int = 10_000
    max_iter_pre_sparsify: int = 100


def _estimate(
    Y: NDArray, N0: int, T0: int, opts: _Setup, omega: NDArray | None, lam: NDArray | None
) -> tuple[float, NDArray, NDArray]:
    """SDID-type estimate on a matrix with controls first and pre-periods first."""
    N1, T1 = Y.shape[0] - N0, Y.shape[1] - T0
    Yc = _collapsed(Y, N0, T0)
    if opts.update_lambda:
        lam = _sc_weight_fw(Yc[:N0, :], opts.zeta_lambda, True, lam, opts.min_decrease, opts.max_iter_pre_sparsify)
        lam = _sc_weight_fw(Yc[:N0, :], opts.zeta_lambda, True, _sparsify(lam), opts.min_decrease, opts.max_iter)
    if opts.update_omega:
        A = Yc[:, :T0].T
        omega = _sc_weight_fw(A, opts.zeta_omega, opts.omega_intercept, omega, opts.min_decrease, opts.max_iter_pre_sparsify)
        omega = _sc_weight_fw(A, opts.zeta_omega, opts.omega_intercept, _sparsify(omega), opts.min_decrease, opts.max_iter)
    assert omega is not None and lam is not None
    unit_w = np.concatenate([-omega, np.full(N1, 1.0 / N1)])
    time_w = np.concatenate([-lam, np.full(T1, 1.0 / T1)])
    return float(unit_w @ Y @ time_w), omega, lam


def sdid_estimate(
    Y: NDArray[np.float64], N0: int, T0: int, estimator: Estimator = "sdid"
) -> tuple[float, NDArray[np.float64], NDArray[np.float64], _Setup]:
    """SDID, SC or DiD estimate on a ``(N, T)`` outcome matrix, controls and pre-periods first.

    Parameters
    ----------
    Y
        Outcome matrix: rows ``0..N0-1`` are controls, the rest treated; columns ``0..T0-1``
        are pre-treatment periods.
    N0, T0
        Number of control units and of pre-treatment periods.
    estimator
        ``"sdid"``, ``"sc"`` or ``"did"``.

    Returns
    -------
    estimate, omega, lambda, setup
        The estimate, unit weights of the controls, time weights of the pre-periods, and the
        tuning used (needed to re-estimate on resampled data).
    """
    Y = np.asarray(Y, dtype=float)
    N1, T1 = Y.shape[0] - N0, Y.shape[1] - T0
    diffs = np.diff(Y[:N0, :T0], axis=1)
    noise = float(np.std(diffs, ddof=1)) if diffs.size > 1 else 0.0
    min_decrease = 1e-5 * noise if noise > 0 else 1e-10
    if estimator == "sdid":
        opts = _Setup((N1 * T1) ** 0.25 * noise, 1e-6 * noise, min_decrease, True, True, True)
        omega0, lam0 = None, None
    elif estimator == "sc":
        opts = _Setup(1e-6 * noise, 1e-6 * noise, min_decrease, False, True, False)
        omega0, lam0 = None, np.zeros(T0)
    elif estimator == "did":
        opts = _Setup(0.0, 0.0, min_decrease, True, False, False)
        omega0, lam0 = np.full(N0, 1.0 / N0), np.full(T0, 1.0 / T0)
    else:
        raise InputError("estimator must be 'sdid', 'sc' or 'did'", column="estimator", value=estimator)
    est, omega, lam = _estimate(Y, N0, T0, opts, omega0, lam0)
    return est, omega, lam, opts


# ---------------------------------------------------------------------------------------------
# Results and the data-frame entry point
# ---------------------------------------------------------------------------------------------


@dataclass(repr=False, eq=False)
class SyntheticDiDResult(ResultsProtocol):
    """Outcome of :func:`synthetic_did`, in the package's results protocol.

    ``tidy()`` has one row (term ``"ATT"``) with a normal-approximation interval and p-value from
    ``std_error`` (NaN where ``se_method`` gives none) and the extras ``estimator``, ``se_method``.

    Attributes
    ----------
    estimate : float
        Average effect on the treated units over the post-periods.
    std_error : float
        Standard error by ``se_method`` (NaN where the method is undefined); ``se`` is a
        deprecated alias.
    interval : tuple of float
        Normal-approximation confidence interval at level ``1 - alpha`` (the attribute
        ``conf_int`` until 0.2; ``conf_int`` is now the protocol method, still unpackable as a
        tuple for one release with a ``FutureWarning``).
    unit_weights : pandas.Series
        :math:`\\hat\\omega` over control units (sum to one).
    time_weights : pandas.Series
        :math:`\\hat\\lambda` over pre-treatment periods (sum to one; zero for ``"sc"``).
    treated_units : list
        Treated units.
    treatment_time
        First treated period.
    n_control, n_treated, n_pre, n_post : int
        Panel dimensions.
    noise_level, zeta_omega : float
        :math:`\\hat\\sigma` and the unit-weight regularisation :math:`\\zeta`.
    leave_one_out : pandas.Series or None
        Estimate when dropping each control with weight > 0.001 (weights re-estimated).
    cohorts : pandas.DataFrame or None
        Staggered adoption only: ``cohort, n_treated, n_post, weight, estimate`` per adoption
        cohort (``unit_weights`` and ``time_weights`` are then the cohort-weighted averages).
    replicates : numpy.ndarray
        The placebo / jackknife / bootstrap estimates behind ``std_error``.
    notes : list of str
    alpha : float
        1 − coverage of ``interval``.
    rmspe_ratio : float or None
        Post/pre RMSPE ratio of the gap ``paths["treated"] - paths["synthetic_control"]``
        (``placebo_rank=True``).
    placebo : pandas.DataFrame or None
        ``placebo_rank=True``: one row per unit (treated first) with ``pre_rmspe, post_rmspe,
        ratio, estimate, treated``; each control refitted as if treated, the other controls as
        its donors.
    placebo_p_value : float or None
        Placebo-in-space rank p-value of ``rmspe_ratio``, ``rank / (N0 + 1)``, the same
        statistic and definition as :func:`~sosek_impact.estimators.synthetic_control`'s
        ``p_value`` (:func:`~sosek_impact.estimators.synthetic_control.placebo_rank_p_value`).
    """

    estimate: float
    std_error: float
    interval: tuple[float, float]
    se_method: str
    estimator: str
    unit_weights: pd.Series
    time_weights: pd.Series
    treated_units: list[Hashable]
    treatment_time: Any
    n_control: int
    n_treated: int
    n_pre: int
    n_post: int
    noise_level: float
    zeta_omega: float
    paths: pd.DataFrame
    leave_one_out: pd.Series | None = None
    replicates: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    notes: list[str] = field(default_factory=list)
    cohorts: pd.DataFrame | None = None
    alpha: float = 0.05
    rmspe_ratio: float | None = None
    placebo: pd.DataFrame | None = None
    placebo_p_value: float | None = None

    se = deprecated_alias("std_error", "se")
    conf_int = legacy_conf_int("interval")

    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        return normal_tidy(["ATT"], [self.estimate], [self.std_error], alpha=alpha,
                           estimator=[self.estimator], se_method=[self.se_method])

    def _summary_header(self) -> list[str]:
        top = self.unit_weights[self.unit_weights > 1e-3].sort_values(ascending=False).head(10)
        return [
            f"Synthetic DiD ({self.estimator}): {self.n_treated} treated, {self.n_control} controls, "
            f"{self.n_pre} pre / {self.n_post} post periods; standard error: {self.se_method}",
            "largest unit weights: " + ", ".join(f"{plain(k)}={w:.3f}" for k, w in top.items()),
        ]

    def _summary_footer(self) -> list[str]:
        return [f"note: {n}" for n in self.notes]

    def plot(self, ax: Any = None) -> Any:
        """Treated mean against the weighted control mean (shifted), time weights shaded; returns Figure."""
        import matplotlib.pyplot as plt

        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
        p = self.paths
        ax.plot(p.index, p["treated"], color="black", label="treated (mean)")
        ax.plot(p.index, p["synthetic_control"], color="tab:blue", linestyle="--", label="weighted controls")
        ax.axvline(self.treatment_time, color="grey", linestyle=":")
        lam = self.time_weights
        if lam.max() > 0:
            lo = ax.get_ylim()[0]
            ax.bar(
                lam.index,
                lam.to_numpy() / lam.max() * 0.1 * np.ptp(ax.get_ylim()),
                bottom=lo,
                color="tab:orange",
                alpha=0.4,
                label="time weights",
            )
        ax.legend(frameon=False)
        return fig


def _panel_frames(data: pd.DataFrame, y: str, unit: str, time: str, treat: str) -> tuple[pd.DataFrame, pd.Series, list[Hashable]]:
    """Outcome table (unit x period), first treated period of each treated unit, controls."""
    check_columns(data, [y, unit, time, treat])
    check_numeric(data, [y], unit, time)
    dup = data.duplicated([unit, time], keep=False)
    if dup.any():
        r = data.loc[dup].iloc[0]
        raise InputError("duplicate (unit, time) rows", column=unit, value=(plain(r[unit]), plain(r[time])))
    tr = pd.to_numeric(data[treat], errors="coerce")
    bad = ~tr.isin([0, 1])
    if bad.any():
        raise InputError(
            "treatment must be 0 or 1", row=str(data.index[bad][0]), column=treat, value=data.loc[bad, treat].iloc[0]
        )
    Yw = data.pivot(index=unit, columns=time, values=y).sort_index(axis=1)
    Dw = data.assign(_d=tr).pivot(index=unit, columns=time, values="_d").sort_index(axis=1)
    if Yw.isna().to_numpy().any() or Dw.isna().to_numpy().any():
        u = Yw.index[Yw.isna().any(axis=1) | Dw.isna().any(axis=1)][0]
        t = Yw.columns[Yw.loc[u].isna() | Dw.loc[u].isna()][0]
        raise UnbalancedPanelError(f"synthetic DiD needs a balanced panel with no missing outcome; unit {plain(u)!r} lacks period {plain(t)!r}")
    ever = Dw.max(axis=1) > 0
    treated_units = list(Yw.index[ever])
    controls = list(Yw.index[~ever])
    if not treated_units:
        raise SmallGroupError("no treated unit")
    if len(controls) < 2:
        raise SmallGroupError(f"synthetic DiD needs at least 2 never-treated units; found {len(controls)}")
    times = list(Yw.columns)
    first = Dw.loc[treated_units].apply(lambda r: r.index[r.to_numpy() > 0][0], axis=1)
    for u, t0 in first.items():
        if not (Dw.loc[u, [t for t in times if t >= t0]] == 1).all():
            raise EstimationError(f"treatment must stay on once it starts (absorbing); unit {plain(u)!r} switches off")
        if t0 == times[0]:
            raise TreatedInFirstPeriodError(
                f"unit {plain(u)!r} is treated from the first period {plain(t0)!r}: no pre-treatment period"
            )
    return Yw, first, controls


def _panel_matrix(
    data: pd.DataFrame, y: str, unit: str, time: str, treat: str
) -> tuple[NDArray, list[Hashable], list[Hashable], list[Any], int, Any]:
    """Block design as a matrix with controls and pre-periods first."""
    Yw, first, controls = _panel_frames(data, y, unit, time, treat)
    if first.nunique() > 1:
        raise EstimationError("staggered adoption: use the cohort decomposition")
    treated_units = list(first.index)
    t0 = first.iloc[0]
    times = list(Yw.columns)
    Y = Yw.loc[controls + treated_units].to_numpy(dtype=float)
    return Y, controls, treated_units, times, times.index(t0), t0


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
        (``rmspe_ratio``, ``placebo``, ``placebo_p_value``; N0 extra fits).

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
    Yw, first, controls_ = _panel_frames(data, y, unit, time, treat)
    if first.nunique() > 1:
        if placebo_rank:
            raise EstimationError(
                "placebo_rank needs a block design (all treated units start together); fit each adoption cohort "
                "against the never-treated units separately"
            )
        return _staggered_did(Yw, first, controls_, unit, estimator, se, n_reps, seed, alpha, leave_one_out)
    Y, controls, treated_units, times, T0, t0 = _panel_matrix(data, y, unit, time, treat)
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
            reps.append(_estimate(Y[ind], n0, T0, opts, w0, lam)[0])
        se_val = float(np.sqrt((n_reps - 1) / n_reps) * np.std(reps, ddof=1))
    elif se == "jackknife":
        if N1 < 2:
            notes.append("jackknife standard error undefined with a single treated unit")
            se_val = float("nan")
        else:
            fixed = _Setup(opts.zeta_omega, opts.zeta_lambda, opts.min_decrease, opts.omega_intercept, False, False)
            n = N0 + N1
            for i in range(n):
                keep = np.array([k for k in range(n) if k != i])
                n0 = int(np.sum(keep < N0))
                w0 = omega[keep[keep < N0]]
                w0 = w0 / w0.sum() if w0.sum() > 0 else np.full(n0, 1.0 / n0)
                reps.append(_estimate(Y[keep], n0, T0, fixed, w0, lam)[0])
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
                reps.append(_estimate(Y[ind], n0, T0, opts, w0, lam)[0])
            se_val = float(np.sqrt((n_reps - 1) / n_reps) * np.std(reps, ddof=1))
    elif se == "none":
        se_val = float("nan")
    else:
        raise InputError("se must be 'placebo', 'jackknife', 'bootstrap' or 'none'", column="se", value=se)
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
        placebo_table = _placebo_rmspe(Y, N0, T0, estimator, controls, treated_units, unit)
        ratio = float(placebo_table["ratio"].iloc[0])
        p_rank = placebo_rank_p_value(ratio, placebo_table.loc[~placebo_table["treated"], "ratio"].tolist())
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
    )


def _gap_path(Y: NDArray, N0: int, T0: int, omega: NDArray, lam: NDArray) -> NDArray:
    """Treated mean minus the weighted controls shifted by the lambda-weighted pre-period difference.

    The post-period mean of this gap is the SDID estimate; it is the ``paths`` difference.
    """
    treated = Y[N0:].mean(axis=0)
    synth = omega @ Y[:N0]
    shift = float((treated[:T0] - synth[:T0]) @ lam) if lam.sum() > 0 else 0.0
    return treated - synth - shift


def _placebo_rmspe(
    Y: NDArray, N0: int, T0: int, estimator: Estimator, controls: list[Hashable], treated_units: list[Hashable],
    unit: str,
) -> pd.DataFrame:
    """RMSPE ratios of the treated units (their mean) and of each control refitted as if treated."""
    T = Y.shape[1]
    pre_mask, post_mask = np.arange(T) < T0, np.arange(T) >= T0
    est, omega, lam, _ = sdid_estimate(Y, N0, T0, estimator)
    label = treated_units[0] if len(treated_units) == 1 else "treated (mean)"
    rows = [(label, *rmspe_ratio(_gap_path(Y, N0, T0, omega, lam), pre_mask, post_mask), est, True)]
    for j in range(N0):
        order = [k for k in range(N0) if k != j] + [j]
        Yj = Y[order]
        e_j, w_j, l_j, _ = sdid_estimate(Yj, N0 - 1, T0, estimator)
        rows.append((controls[j], *rmspe_ratio(_gap_path(Yj, N0 - 1, T0, w_j, l_j), pre_mask, post_mask), e_j, False))
    table = pd.DataFrame(rows, columns=[unit, "pre_rmspe", "post_rmspe", "ratio", "estimate", "treated"])
    return table.set_index(unit)


# ---------------------------------------------------------------------------------------------
# Staggered adoption: cohort decomposition (Clarke, Pailanir, Athey and Imbens 2023)
# ---------------------------------------------------------------------------------------------


def _staggered_att(
    Y: NDArray, control_rows: NDArray, cohort_rows: list[NDArray], cohort_t0: list[int], estimator: Estimator
) -> tuple[float, list[float], list[float], list[NDArray], list[NDArray]]:
    """Cohort-weighted ATT on the unit x period matrix ``Y``.

    Each cohort's block holds the controls and that cohort's units over all periods; the cohort
    estimates are averaged with weights ``N1_g * T1_g`` (treated unit-periods).
    """
    T = Y.shape[1]
    taus, wts, omegas, lams = [], [], [], []
    for rows, t0 in zip(cohort_rows, cohort_t0):
        if rows.size == 0:
            continue
        block = Y[np.concatenate([control_rows, rows])]
        tau, omega, lam, _ = sdid_estimate(block, control_rows.size, t0, estimator)
        taus.append(tau)
        wts.append(float(rows.size * (T - t0)))
        omegas.append(omega)
        lams.append(lam)
    w = np.asarray(wts) / np.sum(wts)
    return float(w @ np.asarray(taus)), taus, list(w), omegas, lams


def _staggered_did(
    Yw: pd.DataFrame,
    first: pd.Series,
    controls: list[Hashable],
    unit: str,
    estimator: Estimator,
    se: str,
    n_reps: int,
    seed: int,
    alpha: float,
    leave_one_out: bool,
) -> SyntheticDiDResult:
    """Staggered adoption: SDID per adoption cohort against the never-treated, weighted average.

    Variance: ``placebo`` draws as many controls as there are treated units, gives them the
    treated units' adoption periods, and re-estimates on the controls alone; ``bootstrap``
    resamples units (cohorts absent from a draw drop out of its average); ``jackknife`` leaves
    each unit out. Weights are re-estimated in every replication.
    """
    times = list(Yw.columns)
    order = controls + list(first.sort_values(kind="stable").index)
    Y = Yw.loc[order].to_numpy(dtype=float)
    N0 = len(controls)
    cohorts = sorted(first.unique())
    cohort_rows = [np.array([order.index(u) for u in first.index[first == g]]) for g in cohorts]
    cohort_t0 = [times.index(g) for g in cohorts]
    control_rows = np.arange(N0)
    est, taus, w, omegas, lams = _staggered_att(Y, control_rows, cohort_rows, cohort_t0, estimator)
    notes = [f"staggered adoption: {len(cohorts)} cohorts ({', '.join(map(str, cohorts))}), each against the never-treated"]
    few = [g for g, t0 in zip(cohorts, cohort_t0) if t0 <= 3]
    if few:
        notes.append(f"cohort(s) {', '.join(map(str, few))} have at most 3 pre-treatment periods")
    rng = np.random.default_rng(seed)
    n_tr = sum(r.size for r in cohort_rows)
    sizes = [r.size for r in cohort_rows]
    reps: list[float] = []
    if se == "placebo":
        if N0 <= n_tr:
            raise SmallGroupError(f"placebo variance needs more controls ({N0}) than treated units ({n_tr})")
        for _ in range(n_reps):
            perm = rng.permutation(N0)
            fake, rest = perm[:n_tr], np.sort(perm[n_tr:])
            pieces = np.split(fake, np.cumsum(sizes)[:-1])
            reps.append(_staggered_att(Y, rest, pieces, cohort_t0, estimator)[0])
        se_val = float(np.sqrt((n_reps - 1) / n_reps) * np.std(reps, ddof=1))
    elif se == "bootstrap":
        n = Y.shape[0]
        while len(reps) < n_reps:
            ind = np.sort(rng.integers(0, n, size=n))
            c = ind[ind < N0]
            if c.size < 2:
                continue
            pieces = [ind[np.isin(ind, r)] for r in cohort_rows]
            if all(p.size == 0 for p in pieces):
                continue
            # Resampled rows become distinct rows of a new matrix.
            Yb = Y[np.concatenate([c, *pieces])]
            off = np.cumsum([c.size, *[p.size for p in pieces]])
            new_pieces = [np.arange(off[i], off[i + 1]) for i in range(len(pieces))]
            reps.append(_staggered_att(Yb, np.arange(c.size), new_pieces, cohort_t0, estimator)[0])
        se_val = float(np.sqrt((n_reps - 1) / n_reps) * np.std(reps, ddof=1))
    elif se == "jackknife":
        n = Y.shape[0]
        for i in range(n):
            keep = np.delete(np.arange(n), i)
            Yj = Y[keep]
            c = np.arange(N0 - 1 if i < N0 else N0)
            pieces, start = [], c.size
            for r in cohort_rows:
                k = r.size - int(i in r)
                pieces.append(np.arange(start, start + k))
                start += k
            reps.append(_staggered_att(Yj, c, pieces, cohort_t0, estimator)[0])
        r = np.asarray(reps)
        se_val = float(np.sqrt((n - 1) / n * np.sum((r - r.mean()) ** 2)))
    elif se == "none":
        se_val = float("nan")
    else:
        raise InputError("se must be 'placebo', 'jackknife', 'bootstrap' or 'none'", column="se", value=se)
    z = stats.norm.ppf(1 - alpha / 2)
    omega_avg = np.sum([wi * o for wi, o in zip(w, omegas)], axis=0)
    lam_cal = (
        pd.DataFrame({g: pd.Series(l_, index=times[:t0]) for g, l_, t0 in zip(cohorts, lams, cohort_t0)})
        .reindex(times[: max(cohort_t0)])
        .fillna(0.0)
    )
    lam_avg = lam_cal.to_numpy() @ np.asarray(w)
    loo = None
    if leave_one_out:
        vals = {}
        for i in np.flatnonzero(omega_avg > 1e-3):
            if N0 - 1 < 2:
                break
            keep = np.delete(np.arange(Y.shape[0]), i)
            shifted = [r - 1 for r in cohort_rows]
            vals[controls[i]] = _staggered_att(Y[keep], np.arange(N0 - 1), shifted, cohort_t0, estimator)[0]
        loo = pd.Series(vals, name="estimate", dtype=float)
        loo.index.name = unit
    treated_path = Y[N0:].mean(axis=0)
    paths = pd.DataFrame(
        {"treated": treated_path, "synthetic_control": omega_avg @ Y[:N0]}, index=pd.Index(times, name=Yw.columns.name)
    )
    res = SyntheticDiDResult(
        estimate=est,
        std_error=se_val,
        interval=(est - z * se_val, est + z * se_val),
        alpha=float(alpha),
        se_method=se,
        estimator=estimator,
        unit_weights=pd.Series(omega_avg, index=pd.Index(controls, name=unit), name="omega"),
        time_weights=pd.Series(lam_avg, index=pd.Index(times[: max(cohort_t0)], name=Yw.columns.name), name="lambda"),
        treated_units=list(first.index),
        treatment_time=min(cohorts),
        n_control=N0,
        n_treated=n_tr,
        n_pre=min(cohort_t0),
        n_post=len(times) - min(cohort_t0),
        noise_level=float("nan"),
        zeta_omega=float("nan"),
        paths=paths,
        leave_one_out=loo,
        replicates=np.asarray(reps, dtype=float),
        notes=notes,
    )
    res.cohorts = pd.DataFrame(
        {"cohort": cohorts, "n_treated": sizes, "n_post": [len(times) - t for t in cohort_t0], "weight": w, "estimate": taus}
    )
    return res


make_module_callable(__name__)  # `from sosek_impact.estimators import synthetic_did` is the function either way
