"""The draws of the restricted wild cluster bootstrap on an already partialled design.

:func:`wild_bootstrap_core` is the algorithm of :mod:`sosek_impact.inference.wild_bootstrap`
(module docstring there: every bootstrap quantity is linear in the ``G`` weights of a draw, so
the statistics at any null value follow from a few ``B``-vectors computed once), shared by
:func:`~sosek_impact.inference.wild_bootstrap.wild_cluster_bootstrap` and
:func:`~sosek_impact.inference.wild_did.wild_bootstrap_did`; :func:`bootstrap_weights` draws (or
enumerates) the weights, and the confidence interval inverts the test by bracketing and bisection.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from sosek_impact.errors import EstimationError
from sosek_impact.estimators._checks import check_choice
from sosek_impact.inference.wild_bootstrap_result import WildBootstrapResult

__all__ = ["bootstrap_weights", "wild_bootstrap_core"]

#: Webb's six-point weights
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
#: draws per block of the (B x G) products
_CHUNK = 2048


def bootstrap_weights(
    weights_type: str, G: int, B: int, rng: np.random.Generator, full_enumeration: bool | None = None
) -> tuple[np.ndarray, bool]:
    """Weights of the draws, ``(B, G)``, and whether they enumerate every weight vector.

    Rademacher weights are ±1 with probability 1/2; Webb's six-point weights are
    ``±√(1/2), ±1, ±√(3/2)`` with probability 1/6 each (Webb 2023). When the number of distinct
    vectors (``2^G`` or ``6^G``) is at most ``B`` and ``full_enumeration`` is not ``False``, all of
    them are used once, which makes the p-value exact and free of simulation noise.
    """
    if weights_type == "rademacher":
        values = np.array([-1.0, 1.0])
    elif weights_type == "webb":
        values = _WEBB
    else:
        check_choice("weights_type", weights_type, ("rademacher", "webb"))
    m = len(values)
    n_all = m**G if G * np.log(m) < 60 else np.inf
    enum = (n_all <= B) if full_enumeration is None else bool(full_enumeration)
    if enum:
        if n_all > 2**22:
            raise EstimationError(f"full enumeration of {n_all} weight vectors is too large")
        idx = np.arange(int(n_all))
        digits = (idx[:, None] // (m ** np.arange(G))[None, :]) % m
        return values[digits], True
    return values[rng.integers(0, m, size=(B, G))], False


def _cluster_sum(ind: sp.csr_matrix, M: np.ndarray) -> np.ndarray:
    return np.asarray(ind @ M)


def _pvalue(t: float | np.ndarray, tb: np.ndarray, kind: str) -> np.ndarray:
    """Bootstrap p-value(s); ``t`` may be a vector (one per column of ``tb``) — ties count as extreme."""
    t = np.asarray(t, dtype=float)
    eps = 1e-10 * np.maximum(1.0, np.abs(t))
    if kind == "symmetric":
        return np.mean(np.abs(tb) >= np.abs(t) - eps, axis=0)
    lo = np.mean(tb <= t + eps, axis=0)
    hi = np.mean(tb >= t - eps, axis=0)
    if kind == "equal-tailed":
        return np.minimum(1.0, 2 * np.minimum(lo, hi))
    return hi if kind == "greater" else lo


def _wild_core(
    X: np.ndarray,
    y: np.ndarray,
    j: int,
    param: str,
    cl: np.ndarray,
    G: int,
    *,
    weights_type: str,
    B: int,
    null: float,
    restricted: bool,
    seed: int | None,
    alpha: float,
    ci: bool,
    pval_type: str,
    full_enumeration: bool | None,
    extra_k: int = 0,
) -> WildBootstrapResult:
    """The bootstrap on partialled data: ``X`` (N×k), ``y``, coefficient ``j``, cluster codes ``cl``."""
    N, k = X.shape
    XtX = X.T @ X
    try:
        XtXinv = np.linalg.inv(XtX)
    except np.linalg.LinAlgError as exc:
        raise EstimationError("regressors are collinear (after partialling out fixed effects)") from exc
    beta = XtXinv @ (X.T @ y)
    uhat = y - X @ beta
    others = [i for i in range(k) if i != j]
    Xo = X[:, others]
    if others:
        # normal equations of the k-1 other regressors (k is small; X'X is already at hand)
        proj = np.linalg.solve(XtX[np.ix_(others, others)], Xo.T @ np.column_stack([X[:, j], y]))
        xt = X[:, j] - Xo @ proj[:, 0]
        y0 = y - Xo @ proj[:, 1]
    else:
        xt, y0 = X[:, j].copy(), y.copy()
    xtx = float(xt @ xt)
    if xtx <= 1e-12 * max(1.0, float(X[:, j] @ X[:, j])):
        raise EstimationError(f"{param!r} is collinear with the other regressors or absorbed by the fixed effects")
    a = xt / xtx
    ind = sp.csr_matrix((np.ones(N), (cl, np.arange(N))), shape=(G, N))
    c = G / (G - 1) * (N - 1) / (N - k - extra_k)
    est = float(beta[j])
    # every cluster-level sum in one sparse product: a·û, a·X, and (a·u, X·u) for each residual u needed
    if restricted and ci:
        resids = [y0, xt]  # ũ(r) = y0 − r·x̃
    elif restricted:
        resids = [y0 - null * xt]
    else:
        resids = [uhat]
    blocks = [(a * uhat)[:, None], a[:, None] * X]
    for u in resids:
        blocks += [(a * u)[:, None], X * u[:, None]]
    sums = _cluster_sum(ind, np.hstack(blocks))
    score, P = sums[:, 0], sums[:, 1 : 1 + k]
    se = float(np.sqrt(c * score @ score))
    PXi = P @ XtXinv

    def cmat(m: int) -> tuple[np.ndarray, np.ndarray]:
        off = 1 + k + m * (1 + k)
        s_u, Q = sums[:, off], sums[:, off + 1 : off + 1 + k]
        return s_u, np.diag(s_u) - PXi @ Q.T

    rng = np.random.default_rng(seed)
    V, enum = bootstrap_weights(weights_type, G, B, rng, full_enumeration)
    B_used = V.shape[0]
    if restricted and not ci:
        # only r = null is needed: one (B×G)·(G×G) product
        s_r, C_r = cmat(0)
        num_r = V @ s_r
        den_r = np.empty(B_used)
        for lo in range(0, B_used, _CHUNK):
            A = V[lo : lo + _CHUNK] @ C_r.T
            den_r[lo : lo + _CHUNK] = np.sqrt(c * np.einsum("ij,ij->i", A, A))

        def tboot(r: float) -> np.ndarray:
            if r != null:
                raise AssertionError("only the null value was prepared")
            with np.errstate(divide="ignore", invalid="ignore"):
                return num_r / den_r

    elif restricted:
        s0, C0 = cmat(0)
        s1, C1 = cmat(1)
        n0, n1 = V @ s0, V @ s1
        d00, d01, d11 = np.empty(B_used), np.empty(B_used), np.empty(B_used)
        for lo in range(0, B_used, _CHUNK):
            Vb = V[lo : lo + _CHUNK]
            A0 = Vb @ C0.T
            A1 = Vb @ C1.T
            d00[lo : lo + _CHUNK] = np.einsum("ij,ij->i", A0, A0)
            d01[lo : lo + _CHUNK] = np.einsum("ij,ij->i", A0, A1)
            d11[lo : lo + _CHUNK] = np.einsum("ij,ij->i", A1, A1)

        def tboot(r: float) -> np.ndarray:
            var = c * (d00 - 2 * r * d01 + r * r * d11)
            with np.errstate(divide="ignore", invalid="ignore"):
                return (n0 - r * n1) / np.sqrt(np.maximum(var, 0.0))

    else:
        s_u, C_u = cmat(0)
        num = V @ s_u
        den = np.empty(B_used)
        for lo in range(0, B_used, _CHUNK):
            A = V[lo : lo + _CHUNK] @ C_u.T
            den[lo : lo + _CHUNK] = np.sqrt(c * np.einsum("ij,ij->i", A, A))
        t_unres = num / den

        def tboot(r: float) -> np.ndarray:
            return t_unres

    def pval(r: float) -> float:
        return float(_pvalue((est - r) / se, tboot(r), pval_type))

    t_null = (est - null) / se
    tb = np.nan_to_num(tboot(null), nan=0.0)
    p = float(_pvalue(t_null, tb, pval_type))
    interval = _invert(pval, est, se, alpha) if ci else None
    tb.flags.writeable = False
    return WildBootstrapResult(
        param=param, estimate=est, std_error=se, t_stat=float(t_null), pvalue=p, interval=interval,
        null=float(null), alpha=float(alpha), B=int(B_used), n_clusters=int(G), weights_type=weights_type,
        restricted=bool(restricted), pval_type=pval_type, full_enumeration=bool(enum), seed=seed, t_boot=tb,
    )


def _invert(pval: Any, est: float, se: float, alpha: float, tol: float = 1e-7,
            max_se: float = 1e3, max_bisections: int = 200) -> tuple[float, float]:
    """Endpoints where the p-value function falls below ``alpha``, by bracketing and bisection.

    Starting from the estimate (where p = 1) the search steps outwards in multiples of the CRV1
    standard error until ``p < alpha``, then bisects to ``tol · se``. The p-value is a step
    function of ``r``; the endpoint returned is the outermost ``r`` (within tolerance) at which the
    test does not reject, found along the search direction. If the test does not reject within
    ``max_se`` standard errors of the estimate — with few clusters the smallest attainable p-value
    (``2 / 2**G`` for Rademacher weights) can exceed ``alpha`` — that end is infinite (with a
    warning): the interval is unbounded, as test inversion says, and the search never runs into
    the round-off of huge ``r`` (where the restricted bootstrap variances cancel).
    """
    bounds = []
    for sign in (-1.0, 1.0):
        inner, step = est, se
        outer = est + sign * step
        while pval(outer) >= alpha:
            inner = outer
            step *= 2
            if step > max_se * se:
                warnings.warn(
                    f"the wild bootstrap test does not reject within {max_se:g} standard errors on the "
                    f"{'lower' if sign < 0 else 'upper'} side: that end of the {1 - alpha:.0%} interval is infinite "
                    "(too few clusters for this confidence level)", stacklevel=3)
                inner = outer = sign * np.inf
                break
            outer = est + sign * step
        for _ in range(max_bisections):
            if not np.isfinite(outer) or abs(outer - inner) <= tol * se:
                break
            mid = 0.5 * (inner + outer)
            if mid in (inner, outer):
                break
            if pval(mid) >= alpha:
                inner = mid
            else:
                outer = mid
        bounds.append(outer if not np.isfinite(outer) else 0.5 * (inner + outer))
    return bounds[0], bounds[1]


#: The bootstrap on an already partialled design, shared by :func:`wild_cluster_bootstrap` and
#: :func:`sosek_impact.inference.wild_did.wild_bootstrap_did` (one mechanism for every estimator).
wild_bootstrap_core = _wild_core
