"""Conformal inference for synthetic control (Chernozhukov, Wüthrich and Zhu 2021, JASA 116:1849-1864).

**Test of a sharp null.** Under ``H0: theta = theta0`` (an effect path over the ``T1`` post-periods)
the treated unit's counterfactual outcome is known: ``Y^N_1t = Y_1t - theta0_t`` after treatment,
``Y_1t`` before. A proxy for it is fitted on *all* ``T`` periods under the null -- the constrained
least-squares synthetic control of CWZ eqs. (3)-(4): simplex weights on the donors' outcomes, no
``V``, no intercept, solved exactly by :func:`~sosek_impact.estimators._simplex.simplex_least_squares`.
Its residuals ``u_t`` give the statistic

.. math::

    S_q(u) = \\Big(\\tfrac{1}{\\sqrt{T_1}} \\sum_{t > T_0} |u_t|^q\\Big)^{1/q},

and the p-value is the share of permutations ``pi`` of the residuals over time with
``S_q(u_pi) >= S_q(u)`` (ties counted against the null's rejection, within a relative 1e-12).
``scheme="moving_block"`` uses the ``T`` cyclic shifts (valid under stationary weakly dependent
errors), ``"iid"`` all ``T!`` permutations when ``T! <= n_perms``, otherwise the identity and
``n_perms - 1`` seeded random ones (valid under exchangeable errors). The identity is always a
permutation, so ``p >= 1 / |Pi|``: with ``T`` periods nothing below ``1 / T`` is attainable
(moving blocks).

**Confidence sets per period.** For each post-period ``t`` the test of ``H0: theta_t = c`` uses the
pre-periods and period ``t`` only (``T_1 = 1``), and the ``1 - alpha`` set is ``{c : p(c) > alpha}``.
It is found on a grid centred on the pre-period-only synthetic-control prediction (half-width
``max(8 sd(pre residuals), |centre| / 2)``, widened up to four times while the set reaches its
edge), and each end is then refined by bisection between the last accepted and the first rejected
grid point to ``1e-6`` of the grid's half-width. Reported: the hull ``[lower, upper]`` of the
accepted values, whether the set is an interval (``contiguous``), and ``status``: ``"ran"``,
``"grid_limited"`` (accepted at the widest grid's edge: the end is at least that far) or
``"unbounded"`` (``alpha < 1 / (T_0 + 1)``: no value can be rejected; ends are infinite).

Checked against diff-diff 3.13's ``SyntheticControlResults.conformal_test`` and
``conformal_confidence_intervals`` (same proxy and permutations) and by simulation (coverage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import permutations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from sosek_impact.errors import EstimationError, InputError
from sosek_impact.estimators._simplex import simplex_least_squares
from sosek_impact.results_protocol import ResultsProtocol, format_pvalue, plain

if TYPE_CHECKING:  # pragma: no cover
    from sosek_impact.estimators.synthetic_control_result import SyntheticControlResult

__all__ = ["ConformalResult", "conformal_inference", "conformal_p_value", "permutation_set"]


def permutation_set(m: int, scheme: str = "moving_block", n_perms: int = 10_000, seed: int = 0) -> NDArray[np.int64]:
    """Rows of period indices: the permutations of ``m`` residuals (the identity first)."""
    if scheme == "moving_block":
        base = np.arange(m)
        return (base[None, :] + base[:, None]) % m
    if scheme == "iid":
        if m <= 12 and math.factorial(m) <= n_perms:
            return np.array(list(permutations(range(m))), dtype=np.int64)
        rng = np.random.default_rng(seed)
        draws = [rng.permutation(m) for _ in range(max(n_perms, 1) - 1)]
        return np.vstack([np.arange(m)[None, :], *([np.stack(draws)] if draws else [])]).astype(np.int64)
    raise InputError("scheme must be 'moving_block' or 'iid'", column="scheme", value=scheme)


def _statistic(u_post: NDArray, q: float) -> NDArray:
    """``S_q`` of each row of ``u_post`` (rows: permutations, columns: post slots)."""
    a = np.abs(u_post)
    if np.isinf(q):
        return a.max(axis=-1)
    return (np.sum(a**q, axis=-1) / np.sqrt(a.shape[-1])) ** (1.0 / q)


def _proxy_residuals(y1: NDArray, Y0: NDArray) -> NDArray:
    """Residuals of the CWZ proxy: simplex least squares of ``y1`` on the donors over all given periods."""
    w = simplex_least_squares(Y0, y1)
    return y1 - Y0 @ w


def conformal_p_value(
    y1: ArrayLike, Y0: ArrayLike, post_mask: ArrayLike, theta0: ArrayLike, perms: NDArray[np.int64], q: float = 1.0
) -> tuple[float, float]:
    """p-value and statistic of ``H0: theta = theta0`` (CWZ eq. 2) on one series.

    Parameters
    ----------
    y1, Y0
        Treated outcome ``(m,)`` and donor outcomes ``(m, J)`` over the periods used.
    post_mask
        Post-treatment slots among the ``m`` periods.
    theta0
        Effect under the null in each post slot (a scalar is the same in each).
    perms
        Permutations from :func:`permutation_set` (identity included).
    q
        Order of the statistic (``numpy.inf``: the largest absolute residual).
    """
    y = np.array(y1, dtype=float)
    post = np.asarray(post_mask, dtype=bool)
    y[post] = y[post] - np.broadcast_to(np.asarray(theta0, dtype=float), (int(post.sum()),))
    u = _proxy_residuals(y, np.asarray(Y0, dtype=float))
    s_obs = float(_statistic(u[post][None, :], q)[0])
    s_perm = _statistic(u[perms][:, post], q)
    return float(np.mean(s_perm >= s_obs - 1e-12 * max(abs(s_obs), 1.0))), s_obs


@dataclass(repr=False, eq=False)
class ConformalResult(ResultsProtocol):
    """Conformal test of a sharp null and per-period confidence sets of a synthetic control.

    ``tidy()``: term ``"joint"`` (the test of ``theta0``: ``p_value``, ``statistic``; estimate NaN),
    then one row per post-period (``"t=1990"``): ``estimate`` the pre-period-only prediction gap,
    ``conf_low``/``conf_high`` the confidence set's hull at level ``1 - alpha``, ``p_value`` of
    ``theta_t = theta0_t``; extras ``time``, ``status``, ``contiguous``.

    Attributes
    ----------
    p_value, statistic : float
        Joint test of ``theta0`` over all post-periods.
    theta0 : numpy.ndarray
        The effect path tested.
    intervals : pandas.DataFrame
        By post-period: ``estimate, lower, upper, p_value, status, contiguous, n_perms``.
    alpha, q : float
    scheme : str
    n_perms : int
        Permutations of the joint test.
    notes : list of str
    """

    p_value: float
    statistic: float
    theta0: NDArray[np.float64]
    intervals: pd.DataFrame | None
    alpha: float
    q: float
    scheme: str
    n_perms: int
    notes: list[str] = field(default_factory=list)
    _alpha_is_fixed = True

    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        iv = self.intervals if self.intervals is not None else pd.DataFrame(
            columns=["estimate", "lower", "upper", "p_value", "status", "contiguous"])
        try:
            times = pd.array([None, *(int(t) if float(t).is_integer() else t for t in iv.index)], dtype="Int64")
        except (TypeError, ValueError):
            times = pd.array([None, *iv.index], dtype=object)
        return pd.DataFrame({
            "term": ["joint", *(f"t={plain(t)}" for t in iv.index)],
            "estimate": [np.nan, *iv["estimate"].to_numpy(dtype=float)],
            "std_error": np.nan,
            "statistic": [self.statistic, *([np.nan] * len(iv))],
            "p_value": [self.p_value, *iv["p_value"].to_numpy(dtype=float)],
            "conf_low": [np.nan, *iv["lower"].to_numpy(dtype=float)],
            "conf_high": [np.nan, *iv["upper"].to_numpy(dtype=float)],
            "time": times,
            "status": ["", *iv["status"].astype(str)],
            "contiguous": [True, *iv["contiguous"].astype(bool)],
        })

    def _summary_header(self) -> list[str]:
        th = np.unique(self.theta0)
        null = f"theta = {th[0]:g} in every post-period" if th.size == 1 else "theta = the given path"
        return [
            f"Conformal inference (Chernozhukov, Wuthrich and Zhu 2021), {self.scheme} permutations, q = {self.q:g}",
            f"joint test of {null}: p = {format_pvalue(self.p_value)} ({self.n_perms} permutations; "
            f"smallest attainable p {1 / self.n_perms:.3g})",
            f"rows t=...: gap predicted from the pre-periods and the {1 - self.alpha:.0%} conformal confidence set",
        ]

    def _summary_footer(self) -> list[str]:
        return [f"note: {n}" for n in self.notes]


def _interval_one_period(
    y1: NDArray, Y0: NDArray, perms: NDArray, alpha: float, n_grid: int, theta0: float, q: float
) -> dict[str, Any]:
    """Confidence set for the effect in the last slot of ``y1`` (the pre-periods before it)."""
    m = y1.size
    post = np.zeros(m, dtype=bool)
    post[-1] = True
    w_pre = simplex_least_squares(Y0[:-1], y1[:-1])
    centre = float(y1[-1] - Y0[-1] @ w_pre)
    resid_pre = y1[:-1] - Y0[:-1] @ w_pre
    spread = float(np.std(resid_pre))
    p0 = conformal_p_value(y1, Y0, post, theta0, perms, q)[0]
    n = perms.shape[0]
    if alpha < 1.0 / n:
        return {"estimate": centre, "lower": -np.inf, "upper": np.inf, "p_value": p0, "status": "unbounded",
                "contiguous": True, "n_perms": n}

    def accepted(c: float) -> bool:
        return conformal_p_value(y1, Y0, post, c, perms, q)[0] > alpha

    half = max(8.0 * spread, 0.5 * abs(centre), 1e-8 * max(1.0, float(np.max(np.abs(y1)))))
    for _ in range(5):
        grid = np.linspace(centre - half, centre + half, n_grid)
        acc = np.array([accepted(c) for c in grid])
        if not (acc[0] or acc[-1]):
            break
        half *= 2.0
    status = "grid_limited" if (acc[0] or acc[-1]) else "ran"
    if not acc.any():
        return {"estimate": centre, "lower": np.nan, "upper": np.nan, "p_value": p0, "status": "empty",
                "contiguous": True, "n_perms": n}
    idx = np.flatnonzero(acc)
    lo_i, hi_i = int(idx[0]), int(idx[-1])
    contiguous = bool(acc[lo_i:hi_i + 1].all())
    tol = 1e-6 * half

    def refine(inside: float, outside: float) -> float:
        while abs(outside - inside) > tol:
            mid = 0.5 * (inside + outside)
            if accepted(mid):
                inside = mid
            else:
                outside = mid
        return inside

    lower = float(grid[lo_i]) if lo_i == 0 else refine(float(grid[lo_i]), float(grid[lo_i - 1]))
    upper = float(grid[hi_i]) if hi_i == n_grid - 1 else refine(float(grid[hi_i]), float(grid[hi_i + 1]))
    return {"estimate": centre, "lower": lower, "upper": upper, "p_value": p0, "status": status,
            "contiguous": contiguous, "n_perms": n}


def conformal_inference(
    result: SyntheticControlResult,
    theta0: ArrayLike = 0.0,
    *,
    alpha: float = 0.1,
    q: float = 1.0,
    scheme: str = "moving_block",
    n_perms: int = 10_000,
    seed: int = 0,
    intervals: bool = True,
    n_grid: int = 60,
) -> ConformalResult:
    """Conformal test of ``H0: theta = theta0`` and per-period confidence sets (see the module docstring).

    Parameters
    ----------
    result
        A synthetic-control fit (its treated unit, donors and periods are used; the proxy is
        re-fitted by CWZ's constrained least squares on the outcomes, not with the fit's ``V``).
    theta0
        Effect under the null: a number (the same in every post-period) or one per post-period.
    alpha
        1 - confidence level of the per-period sets.
    q
        Order of the statistic ``S_q`` (1, 2, ..., or ``numpy.inf``).
    scheme, n_perms, seed
        Permutations: ``"moving_block"`` (cyclic shifts) or ``"iid"`` (all, or ``n_perms`` seeded
        draws including the identity).
    intervals
        Compute the per-period confidence sets (``T_1`` grid inversions).
    n_grid
        Grid points of each inversion before bisection.

    Returns
    -------
    ConformalResult

    Raises
    ------
    EstimationError
        The fit has no design, or a period's outcome is missing.
    InputError
        ``theta0`` of the wrong length, a bad ``alpha`` or ``q``.
    """
    d = result.design
    if d is None:
        raise EstimationError("conformal inference needs the fit's design; refit with synthetic_control")
    if not 0 < alpha < 1:
        raise InputError("alpha must lie in (0, 1)", column="alpha", value=alpha)
    if not (q >= 1):
        raise InputError("q must be at least 1", column="q", value=q)
    times = d.times
    post_mask_all = np.asarray(times >= result.treatment_time)
    use = post_mask_all | np.isin(np.asarray(times), d.pre)
    Y = d.Y[use]
    if not np.isfinite(Y).all():
        raise EstimationError("conformal inference needs every outcome of the treated unit and donors observed")
    post = post_mask_all[use]
    y1, Y0 = Y[:, 0], Y[:, 1:]
    t1 = int(post.sum())
    th = np.asarray(theta0, dtype=float)
    if th.ndim == 0:
        th = np.full(t1, float(th))
    if th.shape != (t1,):
        raise InputError(f"theta0 must be a number or {t1} numbers (one per post-period)", column="theta0",
                         value=list(np.atleast_1d(th)))
    perms = permutation_set(Y.shape[0], scheme, n_perms, seed)
    p, s = conformal_p_value(y1, Y0, post, th, perms, q)
    notes = []
    n_pre = int((~post).sum())
    if 1.0 / (n_pre + 1) > alpha and scheme == "moving_block":
        notes.append(f"{n_pre} pre-periods: per-period sets have {n_pre + 1} permutations, so no value can be rejected "
                     f"at alpha = {alpha:g} (sets unbounded)")
    table = None
    if intervals:
        rows = {}
        pre_idx = np.flatnonzero(~post)
        for k, i in enumerate(np.flatnonzero(post)):
            sel = np.r_[pre_idx, i]
            sub_perms = permutation_set(sel.size, scheme, n_perms, seed)
            rows[times[use][i]] = _interval_one_period(y1[sel], Y0[sel], sub_perms, alpha, n_grid, float(th[k]), q)
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = d.time
        if (table["status"] == "grid_limited").any():
            notes.append("some confidence sets reach the edge of the widest grid: their ends are at least that far")
        if not table["contiguous"].all():
            notes.append("some confidence sets are not intervals: lower/upper give their hull")
    return ConformalResult(p, s, th, table, float(alpha), float(q), scheme, int(perms.shape[0]), notes)
