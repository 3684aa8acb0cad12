"""Wald pre-test of parallel trends over the pre-treatment ATT(g,t) of an ``att_gt`` fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from sosek_impact.estimators._panel_common import warn_user

__all__ = ["PreTest", "wald_pretest"]


@dataclass(frozen=True)
class PreTest:
    """Wald pre-test of parallel trends: all pre-treatment ATT(g,t) are zero.

    ``W = a' V^{-1} a`` over the pre-treatment cells, chi-squared with ``df`` degrees of freedom
    under the null. ``None`` fields when there is no pre-treatment cell or ``V`` is singular;
    ``note`` then says why and what to do instead.
    """

    W: float | None
    df: int
    pvalue: float | None
    note: str | None = None


def wald_pretest(
    att: np.ndarray, vcov: np.ndarray, se: np.ndarray, g: np.ndarray, t: np.ndarray, n_clusters: int
) -> PreTest:
    """Wald test that all pre-treatment ATT(g,t) (g > t) with a non-degenerate variance are zero.

    A singular covariance gets a warning and a ``note`` saying why (more pre-treatment cells than
    the units or clusters whose influence functions span the covariance, or cells that are exact
    linear combinations of others) and what to do instead.
    """
    pre = np.flatnonzero((g > t) & ~np.isnan(att) & ~np.isnan(se))
    if len(pre) == 0:
        return PreTest(None, 0, None)
    v = vcov[np.ix_(pre, pre)]
    if 1.0 / np.linalg.cond(v) <= np.finfo(float).eps:
        k, rank = len(pre), int(np.linalg.matrix_rank(v))
        if k >= n_clusters:
            why = (f"there are {k} pre-treatment ATT(g,t) but only {n_clusters} units/clusters, whose influence "
                   f"functions span a covariance of rank at most {n_clusters - 1}")
        else:
            why = (f"{k - rank} of the {k} pre-treatment ATT(g,t) are exact linear combinations of the others "
                   "(perfectly collinear cells: e.g. cohorts of a single unit compared in the same periods with the same "
                   "comparison units have identical influence functions, since one treated unit contributes no variance)")
        note = (f"pre-test of parallel trends not computed: the covariance of the pre-treatment ATT(g,t) is singular "
                f"(rank {rank} < {k}) because {why}; test fewer contrasts instead, e.g. the pre-treatment event times "
                "of res.aggregate('dynamic') jointly, or use randomisation inference (sosek_impact.inference)")
        warn_user(note)
        return PreTest(None, len(pre), None, note)
    a = att[pre]
    w_stat = float(a @ np.linalg.solve(v, a))
    return PreTest(w_stat, len(pre), float(stats.chi2.sf(w_stat, len(pre))))
