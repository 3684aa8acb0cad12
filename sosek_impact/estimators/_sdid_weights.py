"""The synthetic-DiD weights and estimate on an outcome matrix (as ``synthdid``'s ``synthdid_estimate``).

Unit weights :math:`\\hat\\omega` and time weights :math:`\\hat\\lambda` are solved by Frank–Wolfe on
the simplex with an intercept, first for 100 iterations, then, after zeroing weights below a
quarter of the largest ("sparsify"), until the objective decreases by less than
``min_decrease**2`` or 10,000 iterations -- the iterates of ``synthdid::sc.weight.fw``. The
compiled loop (numba) keeps the residual and the gradient in place and allocates nothing per
iteration; the pure-NumPy loop is the readable reference and the fallback without numba.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sosek_impact.estimators._options import check_choice

__all__ = ["Estimator", "SDIDSetup", "gap_path", "sdid_estimate", "sdid_refit"]

Estimator = Literal["sdid", "sc", "did"]


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


def _fw_loop_scalar(A: NDArray, b: NDArray, x: NDArray, eta: float, z2: float, threshold: float, max_iter: int) -> NDArray:
    """The loop of :func:`_fw_loop_numpy` written element by element, for numba.

    Same iterates up to rounding. The residual ``r = A x - b`` is updated in place as there; the
    gradient ``A' r + eta x = G x - c + eta x`` comes from the Gram matrix ``G = A'A`` and
    ``c = A'b`` (formed once), with ``G x`` updated in ``O(k)`` per step
    (``G x <- (1 - s) G x + s G[:, i]``) instead of an ``O(n k)`` product. Nothing is allocated
    per iteration.
    """
    n, k = A.shape
    G = A.T @ A
    c = A.T @ b
    r = A @ x - b
    Gx = G @ x
    xx = 0.0
    for j in range(k):
        xx += x[j] * x[j]
    prev2 = np.inf
    prev1 = np.inf
    for t in range(max_iter):
        if t >= 2 and not (prev2 - prev1 > threshold):
            break
        i = 0
        gi = np.inf
        gx = 0.0
        for j in range(k):
            g = Gx[j] - c[j] + eta * x[j]
            gx += g * x[j]
            if g < gi:
                gi = g
                i = j
        xi = x[i]
        num = gx - gi
        dd = 0.0
        for p in range(n):
            d = A[p, i] - (r[p] + b[p])
            dd += d * d
        denom = dd + eta * (xx - 2.0 * xi + 1.0)
        step = num / denom if denom > 0 else 0.0
        step = 1.0 if step > 1.0 else (step if step > 0.0 else 0.0)
        if step > 0.0:
            keep = 1.0 - step
            xx = 0.0
            for j in range(k):
                x[j] *= keep
                Gx[j] = keep * Gx[j] + step * G[i, j]  # G symmetric: read row i
            x[i] += step
            for j in range(k):
                xx += x[j] * x[j]
            for p in range(n):
                r[p] += step * (A[p, i] - (r[p] + b[p]))
        rr = 0.0
        for p in range(n):
            rr += r[p] * r[p]
        val = z2 * xx + rr / n
        prev2, prev1 = prev1, val
    return x


try:  # numba turns the 10,000-iteration loop from ~0.5 s into well under a millisecond
    import numba as _numba

    _fw_loop = _numba.njit(cache=False, fastmath={"reassoc", "contract", "nsz", "arcp"}, boundscheck=False)(_fw_loop_scalar)
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
    A = np.asfortranarray(Y[:, :k], dtype=np.float64)
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
class SDIDSetup:
    """Tuning of one SDID-type fit: regularisation, stopping rule, which weights are re-estimated."""

    zeta_omega: float
    zeta_lambda: float
    min_decrease: float
    omega_intercept: bool
    update_omega: bool
    update_lambda: bool
    max_iter: int = 10_000
    max_iter_pre_sparsify: int = 100


def sdid_refit(
    Y: NDArray, N0: int, T0: int, opts: SDIDSetup, omega: NDArray | None, lam: NDArray | None
) -> tuple[float, NDArray, NDArray]:
    """SDID-type estimate on a matrix with controls first and pre-periods first.

    Weights flagged in ``opts`` are re-estimated, started from ``omega`` / ``lam`` (``None``:
    uniform); the others are used as given. Returns the estimate, ``omega`` and ``lambda``.
    """
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
) -> tuple[float, NDArray[np.float64], NDArray[np.float64], SDIDSetup]:
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
        opts = SDIDSetup((N1 * T1) ** 0.25 * noise, 1e-6 * noise, min_decrease, True, True, True)
        omega0, lam0 = None, None
    elif estimator == "sc":
        opts = SDIDSetup(1e-6 * noise, 1e-6 * noise, min_decrease, False, True, False)
        omega0, lam0 = None, np.zeros(T0)
    elif estimator == "did":
        opts = SDIDSetup(0.0, 0.0, min_decrease, True, False, False)
        omega0, lam0 = np.full(N0, 1.0 / N0), np.full(T0, 1.0 / T0)
    else:
        check_choice("estimator", estimator, ("sdid", "sc", "did"))
    est, omega, lam = sdid_refit(Y, N0, T0, opts, omega0, lam0)
    return est, omega, lam, opts


def gap_path(Y: NDArray, N0: int, T0: int, omega: NDArray, lam: NDArray) -> NDArray:
    """Treated mean minus the weighted controls shifted by the lambda-weighted pre-period difference.

    The post-period mean of this gap is the SDID estimate; it is the ``paths`` difference.
    """
    treated = Y[N0:].mean(axis=0)
    synth = omega @ Y[:N0]
    shift = float((treated[:T0] - synth[:T0]) @ lam) if lam.sum() > 0 else 0.0
    return treated - synth - shift
