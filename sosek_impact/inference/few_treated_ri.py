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

Ties. Tied statistics count as extreme, and ties are decided by one rule
(:mod:`~sosek_impact.inference.few_treated_ties`): statistics within ``TIE_RTOL = 1e-8`` of the
largest one's magnitude of each other are equal, and so are roots within ``TIE_RTOL`` times the
ratio of the two statistics' scales; an effect tested that close to a root is tested at it. The
p-value (:func:`permutation_pvalue`) and the interval (:func:`invert_permutation_test`) are read
off one step function built under that rule, so an interval end is always where the p-value
crosses ``alpha``, and exact ties of 2-decimal data (the enumerated copy of the observed
assignment; two regencies with the same change; a repeated random draw) stay ties when the inputs
carry relative noise of 1e-10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sosek_impact.inference.few_treated_ties import TIE_RTOL, cluster_sorted, snap_magnitudes, tie_scale
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


def _snapped(a0: float, c0: float, a: np.ndarray, c: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray, float]:
    """Statistics with ties made exact (rule 2 of :mod:`few_treated_ties`) and the breakpoint tolerance (rule 3)."""
    sa, sc = tie_scale(a0, a), tie_scale(c0, c)
    av = snap_magnitudes(np.concatenate([[a0], np.asarray(a, dtype=float)]), TIE_RTOL * sa)
    cv = snap_magnitudes(np.concatenate([[c0], np.asarray(c, dtype=float)]), TIE_RTOL * sc)
    tol_tau = TIE_RTOL * sa / sc if sc > 0 else 0.0
    return float(av[0]), float(cv[0]), av[1:], cv[1:], tol_tau


def _extreme_sets(a0: float, c0: float, a: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where ``|a - tau c| >= |a0 - tau c0|``, per assignment: a closed interval, or the outside of one.

    Expects statistics whose ties are exact (:func:`_snapped`): equal magnitudes are decided by
    ``==``. The roots are those of ``a - tau c = -(a0 - tau c0)`` and ``a - tau c = a0 - tau c0``,
    ``(a + a0) / (c + c0)`` and ``(a - a0) / (c - c0)``.

    Returns
    -------
    lo, hi
        Ends of the closed intervals ``[lo, hi]`` (``-inf``/``inf`` for half-lines and the whole
        line; empty sets omitted).
    out_lo, out_hi
        Assignments with ``|c| > |c0|``: the set is ``(-inf, out_lo] U [out_hi, inf)``.
    """
    a, c = np.asarray(a, dtype=float), np.asarray(c, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_plus = (a + a0) / (c + c0)
        r_minus = (a - a0) / (c - c0)
    los: list[np.ndarray] = []
    his: list[np.ndarray] = []

    def add(lo: np.ndarray, hi: np.ndarray) -> None:
        los.append(np.asarray(lo, dtype=float)), his.append(np.asarray(hi, dtype=float))

    inf = np.inf
    both = (c == 0) & (c0 == 0)  # the statistics do not depend on tau
    k = int((both & (np.abs(a) >= abs(a0))).sum())
    add(np.full(k, -inf), np.full(k, inf))
    same = (c == c0) & ~both  # (a - a0) (a + a0 - 2 tau c0) >= 0
    whole = same & (a == a0)
    k = int(whole.sum())
    add(np.full(k, -inf), np.full(k, inf))
    below = same & ~whole & ((a - a0) * c0 > 0)
    add(np.full(int(below.sum()), -inf), r_plus[below])
    above = same & ~whole & ~below
    add(r_plus[above], np.full(int(above.sum()), inf))
    flip = (c == -c0) & ~both  # (a + a0) (a - a0 + 2 tau c0) >= 0
    whole = flip & (a == -a0)
    k = int(whole.sum())
    add(np.full(k, -inf), np.full(k, inf))
    above = flip & ~whole & ((a + a0) * c0 > 0)
    add(r_minus[above], np.full(int(above.sum()), inf))
    below = flip & ~whole & ~above
    add(np.full(int(below.sum()), -inf), r_minus[below])
    rlo, rhi = np.minimum(r_plus, r_minus), np.maximum(r_plus, r_minus)
    out = np.abs(c) > abs(c0)  # outside the roots
    inside = np.abs(c) < abs(c0)  # between the roots
    add(rlo[inside], rhi[inside])
    return np.concatenate(los), np.concatenate(his), rlo[out], rhi[out]


@dataclass(frozen=True)
class _Steps:
    """The count of assignments as extreme as the observed one, a step function of ``tau``.

    ``points`` are the breakpoints (ascending, one per cluster of roots), ``edges`` the (m, 2) extent of
    each cluster, ``at_points`` the count at each breakpoint and ``in_gaps`` the count in each open
    gap (gap ``j`` between points ``j - 1`` and ``j``).
    """

    points: np.ndarray
    edges: np.ndarray
    tol: float
    at_points: np.ndarray
    in_gaps: np.ndarray

    def count(self, tau: np.ndarray) -> np.ndarray:
        """The count at each ``tau``; within ``tol`` of a cluster of roots, the count at its breakpoint."""
        tau = np.atleast_1d(np.asarray(tau, dtype=float))
        m = len(self.points)
        if m == 0:
            return np.full(tau.shape, self.in_gaps[0])
        j = np.clip(np.searchsorted(self.edges[:, 0] - self.tol, tau, side="right") - 1, 0, m - 1)
        at = (tau >= self.edges[j, 0] - self.tol) & (tau <= self.edges[j, 1] + self.tol)
        gap = np.searchsorted(self.points, tau, side="left")
        return np.where(at, self.at_points[j], self.in_gaps[gap])


def _steps(a0: float, c0: float, a: np.ndarray, c: np.ndarray) -> _Steps:
    """The step function of ``tau`` behind both the p-value and the interval (one test, one tie rule)."""
    a0, c0, a, c, tol = _snapped(a0, c0, a, c)
    lo, hi, out_lo, out_hi = _extreme_sets(a0, c0, a, c)
    roots = np.unique(np.concatenate([lo[np.isfinite(lo)], hi[np.isfinite(hi)], out_lo, out_hi]))
    labels = cluster_sorted(roots, tol)
    m = int(labels[-1]) + 1 if roots.size else 0
    first = np.flatnonzero(np.concatenate([[True], np.diff(labels) > 0])) if m else np.zeros(0, dtype=int)
    last = np.concatenate([first[1:] - 1, [roots.size - 1]]) if m else np.zeros(0, dtype=int)

    def index(v: np.ndarray, infinite: int) -> np.ndarray:
        """Breakpoint index of each end (``infinite`` for -inf/inf: -1 or m)."""
        fin = np.isfinite(v)
        out = np.full(v.shape, infinite, dtype=int)
        out[fin] = labels[np.searchsorted(roots, v[fin])]
        return out

    # sets as breakpoint indices [P, Q], -1 standing for -inf and m for inf; the outside of an
    # interval whose two ends fall on one breakpoint is the whole line
    o_lo, o_hi = index(out_lo, -1), index(out_hi, m)
    two = o_lo != o_hi
    n_meet, n_two = int((~two).sum()), int(two.sum())
    P = np.concatenate([index(lo, -1), np.full(n_meet, -1), np.full(n_two, -1), o_hi[two]])
    Q = np.concatenate([index(hi, m), np.full(n_meet, m), o_lo[two], np.full(n_two, m)])
    # points P..Q (within 0..m-1) and gaps P+1..Q (gap j lies between points j-1 and j)
    pt = np.zeros(m + 1)
    gp = np.zeros(m + 2)
    np.add.at(pt, np.maximum(P, 0), 1.0)
    np.add.at(pt, np.minimum(Q, m - 1) + 1, -1.0)
    ok = Q >= P + 1
    np.add.at(gp, P[ok] + 1, 1.0)
    np.add.at(gp, Q[ok] + 1, -1.0)
    edges = np.column_stack([roots[first], roots[last]]) if m else np.zeros((0, 2))
    return _Steps(roots[first], edges, tol, np.cumsum(pt)[:m], np.cumsum(gp)[: m + 1])


def permutation_pvalue(tau: np.ndarray | float, a0: float, c0: float, a: np.ndarray, c: np.ndarray, exact: bool) -> np.ndarray:
    """Two-sided p-value of ``H0(tau)`` (ties count as extreme, under the tie rule of the module docstring).

    Exact enumeration: share of assignments at least as extreme; random draws:
    ``(1 + #extreme) / (1 + B)`` (the observed assignment counted once). The count is read off the
    same step function as the interval of :func:`invert_permutation_test`.
    """
    hits = _steps(a0, c0, a, c).count(tau)
    size = np.asarray(a).size
    return hits / size if exact else (1.0 + hits) / (1.0 + size)


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
        Ends of the hull (``-inf``/``inf`` when unbounded; NaN if no ``tau`` is accepted); an end on
        a cluster of tied roots is the cluster's outer edge.
    connected : bool
        False when the accepted set has holes (the hull is reported).
    """
    st = _steps(a0, c0, a, c)
    pts, gaps, m = st.at_points, st.in_gaps, len(st.points)
    if exact:
        p_pts, p_gaps = pts / a.size, gaps / a.size
    else:
        p_pts, p_gaps = (1 + pts) / (1 + a.size), (1 + gaps) / (1 + a.size)
    acc_pts, acc_gaps = p_pts > alpha, p_gaps > alpha
    if not acc_pts.any() and not acc_gaps.any():
        return math.nan, math.nan, True
    # an end on a cluster of tied roots is the cluster's outer edge (the accepted set covers the cluster)
    lower = -math.inf if acc_gaps[0] else float(st.edges[np.argmax(acc_pts), 0])
    upper = math.inf if acc_gaps[-1] else float(st.edges[m - 1 - np.argmax(acc_pts[::-1]), 1])
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
        ``c``, or ``inf`` when no statistic can reach ``p <= alpha``. Statistics tied under the tie
        rule of :mod:`~sosek_impact.inference.few_treated_ties` (scale: the largest ``|t|``) are
        one value here, as in the p-value.
    """
    u = np.abs(np.asarray(t, dtype=float))
    u = snap_magnitudes(u, TIE_RTOL * tie_scale(u))
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
