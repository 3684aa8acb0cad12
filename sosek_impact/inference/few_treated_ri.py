"""Randomisation inference over adoption timing for linear DiD estimators, with exact test inversion.

The estimators of :mod:`sosek_impact.inference.few_treated_weights` are linear in the outcome,
``theta_k = sum_{i,t} W[k,i,t] Y[i,t]``, and their weights depend on a unit only through its cohort:
``W[k,i,t] = L[k, cohort(i), t]``. Re-assigning the first-treated periods across units keeps the
cohort sizes, hence ``L``; the estimate under assignment ``pi`` is ``theta_pi(Y) = sum_i sum_t
L[k, cohort_pi(i), t] Y[i,t]``, a gather and a sum, for all assignments at once.

Test inversion. Under the sharp null ``H0(tau): Y(0) = Y - tau X_k`` (``X_k`` the exposure of term
``k``: the observed treatment indicator ``D`` for post-treatment terms), the untreated outcomes are
known, and the statistic of assignment ``pi`` is ``a_pi - tau c_pi`` with ``a_pi = theta_pi(Y)``,
``c_pi = theta_pi(X_k)``; at the observed assignment it is ``a_0 - tau c_0``. Assignment ``pi`` is
"as extreme" when ``|a_pi - tau c_pi| >= |a_0 - tau c_0|``, a quadratic inequality in ``tau``, so the
p-value is a step function of ``tau`` whose steps sit at the roots of these quadratics. The
interval is found exactly by a sweep over the sorted roots (no grid search).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sosek_impact.inference.randomization import distinct_permutations, n_assignments

__all__ = ["Assignments", "draw_assignments", "permuted_statistics", "permuted_sums", "permutation_pvalue",
           "invert_permutation_test", "critical_value"]


@dataclass(frozen=True)
class Assignments:
    """Re-assignments of first-treated periods.

    Attributes
    ----------
    groups
        (A, n) first-treated period of each unit under each assignment.
    exact
        True when these are all distinct assignments (the observed one among them).
    total
        Number of distinct assignments the design allows.
    """

    groups: np.ndarray
    exact: bool
    total: int


def draw_assignments(g_obs: np.ndarray, blocks: list[np.ndarray], n_draws: int, seed: int | None) -> Assignments:
    """All distinct assignments if at most ``n_draws``, else ``n_draws`` random ones.

    Parameters
    ----------
    g_obs
        (n,) observed first-treated periods (0 never).
    blocks
        Index arrays of the units re-assigned among themselves (strata of eligible units);
        units in no block keep their period.
    n_draws
        Number of random assignments (and the enumeration limit).
    seed
        Seed of :func:`numpy.random.default_rng`.
    """
    total = math.prod(n_assignments(g_obs[b].tolist()) for b in blocks) if blocks else 1
    if total <= n_draws:
        per_block = [list(distinct_permutations(g_obs[b].tolist())) for b in blocks]
        out = np.tile(g_obs.astype(float), (total, 1))
        choice = np.indices([len(p) for p in per_block]).reshape(len(blocks), -1).T
        for bi, block in enumerate(blocks):
            table = np.asarray(per_block[bi], dtype=float)
            out[:, block] = table[choice[:, bi]]
        return Assignments(out, True, int(total))
    rng = np.random.default_rng(seed)
    out = np.tile(g_obs.astype(float), (n_draws, 1))
    for block in blocks:
        out[:, block] = rng.permuted(out[:, block], axis=1)
    return Assignments(out, False, int(total))


def permuted_statistics(L: np.ndarray, cohorts: np.ndarray, groups: np.ndarray, V: np.ndarray, *, chunk: int = 2048) -> np.ndarray:
    """``theta_pi(V)`` for every term and assignment.

    Parameters
    ----------
    L
        (K, C, T) cohort weights.
    cohorts
        (C,) cohort labels of ``L``.
    groups
        (A, n) assignments.
    V
        (n, T) one outcome for all terms, or (K, n, T) one per term.

    Returns
    -------
    numpy.ndarray
        (K, A).
    """
    if V.ndim == 2:
        H = np.einsum("kct,it->kci", L, V)
    else:
        H = np.einsum("kct,kit->kci", L, V)
    return permuted_sums(H, cohorts, groups, chunk=chunk)


def permuted_sums(H: np.ndarray, cohorts: np.ndarray, groups: np.ndarray, *, chunk: int = 2048) -> np.ndarray:
    """``sum_i H[k, cohort_pi(i), i]`` for every term ``k`` and assignment ``pi``.

    Parameters
    ----------
    H
        (K, C, n) contribution of unit ``i`` when it belongs to cohort ``c``.
    cohorts
        (C,) cohort labels of ``H``'s second axis.
    groups
        (A, n) assignments.

    Returns
    -------
    numpy.ndarray
        (K, A).
    """
    cidx = np.searchsorted(cohorts, groups)
    n = groups.shape[1]
    ar = np.arange(n)
    out = np.empty((H.shape[0], groups.shape[0]))
    for s in range(0, groups.shape[0], chunk):
        out[:, s : s + chunk] = H[:, cidx[s : s + chunk], ar].sum(axis=2)
    return out


def permutation_pvalue(tau: np.ndarray | float, a0: float, c0: float, a: np.ndarray, c: np.ndarray, exact: bool) -> np.ndarray:
    """Two-sided p-value of ``H0(tau)`` by direct counting (ties count as extreme).

    Exact enumeration: share of assignments at least as extreme; random draws:
    ``(1 + #extreme) / (1 + B)`` (the observed assignment counted once).
    """
    tau = np.atleast_1d(np.asarray(tau, dtype=float))
    obs = np.abs(a0 - tau * c0)
    tol = 1e-10 * np.maximum(1.0, np.abs(a0) + np.abs(tau * c0))
    hits = (np.abs(a[None, :] - tau[:, None] * c[None, :]) >= (obs - tol)[:, None]).sum(axis=1)
    return hits / a.size if exact else (1.0 + hits) / (1.0 + a.size)


def _extreme_sets(a0: float, c0: float, a: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed intervals ``[lo, hi]`` (up to two per draw) where ``|a - tau c| >= |a0 - tau c0|``.

    Returns arrays of lower and upper ends (``-inf``/``inf`` for half-lines; empty sets omitted).
    """
    A = c**2 - c0**2
    B = a * c - a0 * c0
    C = a**2 - a0**2
    scale_a = np.maximum(c**2 + c0**2, 1e-300)
    lin = np.abs(A) <= 1e-12 * scale_a
    los: list[np.ndarray] = []
    his: list[np.ndarray] = []
    # linear: -2 B tau + C >= 0
    scale_b = np.maximum(np.abs(a * c) + np.abs(a0 * c0), 1e-300)
    flat = lin & (np.abs(B) <= 1e-12 * scale_b)
    whole = flat & (C >= -1e-12 * np.maximum(a**2 + a0**2, 1e-300))
    los.append(np.full(int(whole.sum()), -np.inf)), his.append(np.full(int(whole.sum()), np.inf))
    up = lin & ~flat & (B < 0)  # tau >= C / (2B)
    los.append(C[up] / (2 * B[up])), his.append(np.full(int(up.sum()), np.inf))
    down = lin & ~flat & (B > 0)  # tau <= C / (2B)
    los.append(np.full(int(down.sum()), -np.inf)), his.append(C[down] / (2 * B[down]))
    quad = ~lin
    disc = B**2 - A * C
    sq = np.sqrt(np.maximum(disc, 0.0))
    r1, r2 = (B - sq) / np.where(quad, A, 1.0), (B + sq) / np.where(quad, A, 1.0)
    rlo, rhi = np.minimum(r1, r2), np.maximum(r1, r2)
    pos = quad & (A > 0)
    pos_all = pos & (disc <= 0)
    los.append(np.full(int(pos_all.sum()), -np.inf)), his.append(np.full(int(pos_all.sum()), np.inf))
    pos_two = pos & (disc > 0)
    los.append(np.full(int(pos_two.sum()), -np.inf)), his.append(rlo[pos_two])
    los.append(rhi[pos_two]), his.append(np.full(int(pos_two.sum()), np.inf))
    neg = quad & (A < 0) & (disc >= 0)
    los.append(rlo[neg]), his.append(rhi[neg])
    return np.concatenate(los), np.concatenate(his)


def invert_permutation_test(
    a0: float, c0: float, a: np.ndarray, c: np.ndarray, alpha: float, exact: bool
) -> tuple[float, float, bool]:
    """Exact inversion of the permutation test: the hull of ``{tau : p(tau) > alpha}``.

    Parameters
    ----------
    a0, c0
        Statistic of ``Y`` and of the exposure at the observed assignment.
    a, c
        The same under each (random or enumerated) assignment.
    alpha
        Level.
    exact
        Whether ``a, c`` enumerate every assignment (p-value denominator ``A``) or are random
        draws (``1 + B``, the observed assignment added).

    Returns
    -------
    lower, upper : float
        Ends of the hull (``-inf``/``inf`` when unbounded; NaN if no ``tau`` is accepted).
    connected : bool
        False when the accepted set has holes (the hull is reported).
    """
    lo, hi = _extreme_sets(a0, c0, a, c)
    finite = np.concatenate([lo[np.isfinite(lo)], hi[np.isfinite(hi)]])
    b = np.unique(finite)
    m = len(b)
    # points 0..m-1; gaps 0..m (gap j between b[j-1] and b[j])
    pt = np.zeros(m + 1)
    gp = np.zeros(m + 2)
    p_idx = np.where(np.isfinite(lo), np.searchsorted(b, lo), 0)
    q_idx = np.where(np.isfinite(hi), np.searchsorted(b, hi), m - 1)
    np.add.at(pt, p_idx, 1.0)
    np.add.at(pt, q_idx + 1, -1.0)
    g_start = np.where(np.isfinite(lo), p_idx + 1, 0)
    g_end = np.where(np.isfinite(hi), q_idx, m)  # inclusive
    ok = g_end >= g_start
    np.add.at(gp, g_start[ok], 1.0)
    np.add.at(gp, g_end[ok] + 1, -1.0)
    pts = np.cumsum(pt)[:m]
    gaps = np.cumsum(gp)[: m + 1]
    if exact:
        p_pts, p_gaps = pts / a.size, gaps / a.size
    else:
        p_pts, p_gaps = (1 + pts) / (1 + a.size), (1 + gaps) / (1 + a.size)
    acc_pts, acc_gaps = p_pts > alpha, p_gaps > alpha
    if not acc_pts.any() and not acc_gaps.any():
        return math.nan, math.nan, True
    lower = -math.inf if acc_gaps[0] else float(b[np.argmax(acc_pts)])
    upper = math.inf if acc_gaps[-1] else float(b[m - 1 - np.argmax(acc_pts[::-1])])
    # connected: every point and gap between the ends accepted
    seq = np.empty(2 * m + 1, dtype=bool)
    seq[0::2], seq[1::2] = acc_gaps, acc_pts
    idx = np.flatnonzero(seq)
    connected = bool(seq[idx[0] : idx[-1] + 1].all())
    return lower, upper, connected


def critical_value(t: np.ndarray, alpha: float, exact: bool, drop: int | None = None) -> float:
    """Smallest ``|t_0|`` the permutation test rejects at ``alpha``, as a threshold: rejects iff ``|t_0| > c``.

    Parameters
    ----------
    t
        (A,) statistics under the assignments (at the null tested).
    alpha
        Level.
    exact
        ``t`` enumerates every assignment, the observed one at index ``drop`` (p = #extreme / A);
        otherwise random draws (p = (1 + #extreme) / (1 + A)).
    drop
        Index of the observed assignment in ``t`` (exact enumeration).

    Returns
    -------
    float
        ``c``, or ``inf`` when no statistic can reach ``p <= alpha``.
    """
    u = np.abs(np.asarray(t, dtype=float))
    if exact:
        if drop is not None:
            u = np.delete(u, drop)
        m = math.floor(alpha * (u.size + 1) * (1 + 1e-12)) - 1
    else:
        m = math.floor(alpha * (u.size + 1) * (1 + 1e-12)) - 1
    if m < 0:
        return math.inf
    if m >= u.size:
        return 0.0
    return float(np.sort(u)[::-1][m])
