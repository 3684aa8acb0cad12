"""The tie rule of the few-treated randomisation test: equal within a relative tolerance.

The study's data are published with two decimals, so two assignments of adoption timing often give
exactly the same statistic (two regencies with the same change; the enumerated copy of the observed
assignment; a random draw repeated). In floating point such exact ties come out a few units of
rounding apart, and a relative input perturbation of 1e-10 splits them either way. The randomisation
test counts ties as extreme, so a split tie moves a p-value by one assignment, and an interval end
(where the p-value crosses alpha) to another breakpoint. The rule here makes ties a property of the
data at a stated resolution:

1. **Scale.** ``S_a = max |a|`` over the observed and all re-assigned statistics of the outcome
   (``a_0, a_pi``), ``S_c`` the same for the exposure statistics ``c``. One scale serves every
   assignment of one term.
2. **Statistics.** Values whose magnitudes lie within ``TIE_RTOL * S`` of each other (chained after
   sorting), or of 0, are one value: each takes the smallest magnitude of its cluster (0 for the
   cluster of 0), keeping its sign. After this, ties are exact: ``|a_pi| == |a_0|`` and
   ``|c_pi| == |c_0|`` are decided by ``==``.
3. **Breakpoints.** The effects ``tau`` at which an assignment's statistic becomes as extreme as the
   observed one (roots) that lie within ``TIE_RTOL * S_a / S_c`` of each other (chained) are one
   breakpoint, spanning its cluster; an effect tested within that distance of a cluster is tested
   at the breakpoint, and an interval end on it is the cluster's outer edge (so a test whose every
   root is one cluster, an outcome without noise, reports the cluster, the estimate inside).

:data:`TIE_RTOL` is 1e-8, measured on the study's few-treated tests (175 terms, input noise of
1e-10 relative): tied statistics split by at most 3e-13 of ``S``, a margin of 30,000. Distinct
statistics may be closer than the tolerance (the studentised exposure statistics are dense, gaps
down to 1e-10 of ``S``); merging them moves a value by at most about the tolerance (measured: 1e-8
of ``S``), far below printed precision. Under the noise the gaps between distinct statistics moved
by up to 6e-9 of ``S``, so a gap that close to the tolerance can join or leave a cluster: that
moves a value by about 1e-8 of ``S`` and changes a count only when the observed statistic itself
is within the tolerance of another (a tie under this rule, not one of the data).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TIE_RTOL", "cluster_sorted", "snap_magnitudes", "tie_scale"]

#: relative tolerance within which two statistics (or two breakpoints) are a tie
TIE_RTOL = 1e-8


def tie_scale(*values: np.ndarray | float) -> float:
    """The largest finite magnitude among ``values`` (0 when there is none)."""
    flat = np.concatenate([np.abs(np.atleast_1d(np.asarray(v, dtype=float))).ravel() for v in values])
    flat = flat[np.isfinite(flat)]
    return float(flat.max()) if flat.size else 0.0


def cluster_sorted(x: np.ndarray, tol: float) -> np.ndarray:
    """Cluster labels ``0, 1, ...`` of sorted values: a new cluster starts where the step exceeds ``tol``.

    Parameters
    ----------
    x
        (m,) values in ascending order.
    tol
        Largest step within a cluster (chained: a cluster may span more than ``tol``).

    Returns
    -------
    numpy.ndarray
        (m,) integer labels, non-decreasing.
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return np.zeros(0, dtype=int)
    return np.concatenate([[0], np.cumsum(np.diff(x) > tol)]).astype(int)


def snap_magnitudes(v: np.ndarray, tol: float) -> np.ndarray:
    """``v`` with magnitudes within ``tol`` of each other (or of 0) set equal (rule 2 of the module docstring).

    Parameters
    ----------
    v
        Values (any shape, finite).
    tol
        Tie tolerance in the units of ``v`` (``TIE_RTOL`` times the scale).

    Returns
    -------
    numpy.ndarray
        Same shape: ``sign(v) * m`` with ``m`` the smallest magnitude of ``|v|``'s cluster (0 for
        the cluster that contains 0).
    """
    v = np.asarray(v, dtype=float)
    u = np.abs(v).ravel()
    order = np.argsort(u, kind="stable")
    s = np.concatenate([[0.0], u[order]])
    labels = cluster_sorted(s, tol)
    first = np.flatnonzero(np.concatenate([[True], np.diff(labels) > 0]))
    rep = s[first][labels]
    m = np.empty_like(u)
    m[order] = rep[1:]
    return (np.sign(v).ravel() * m).reshape(v.shape)
