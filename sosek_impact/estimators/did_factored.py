"""Influence functions of the unconditional ATT(g,t) cells in factored form, never stored densely.

Without covariates every cell of :func:`~sosek_impact.estimators.did.att_gt` is a difference of
weighted mean changes, and the influence function of unit ``i`` (in cohort ``c``) in cell ``k``
is ``a_k(c) w_i (y_i,t - y_i,b - mu_k(c))``: a fixed linear function of the unit's outcomes with
coefficients that depend only on its cohort. Writing ``z_i = (w_i y~_i1, ..., w_i y~_iT, w_i)``
with ``y~`` the outcome centred by the unit's own time mean and then by its cohort's period mean
(neither changes a within-unit difference), the influence matrix is ``psi_i = z_i @ L[c_i]``
with one small (T+1) x K loading matrix per cohort. Then

- any product ``psi @ W`` (the aggregations) is ``z_c @ (L[c] @ W)`` per cohort block,
- the covariance ``psi' psi / n^2`` is ``sum_c L[c]' (z_c' z_c) L[c] / n^2``,

both without the (units x cells) matrix; :meth:`FactoredInfluence.dense` builds it on demand
(``ATTgtResult.influence``, the bootstrap, clustered errors). The centring keeps the Gram
matrices free of the cancellation that outcome levels and unit effects would cause.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FactoredInfluence", "cohort_blocks"]


@dataclass(frozen=True)
class FactoredInfluence:
    """``psi[order[r]] = z[r] @ load[c]`` for the rows ``r`` of cohort block ``c``, ``z = (zy, zw)``.

    Attributes
    ----------
    zy
        (n, T) centred weighted outcomes, rows sorted by cohort.
    zw
        (n,) the weights in the same row order (last column of ``z``).
    bounds
        (C+1,) first row of each cohort block (and the end).
    order
        (n,) unit index (row of ``psi``) of each row of ``zy``.
    load
        (C, T+1, K) loadings of each cohort on the cells.
    """

    zy: np.ndarray
    zw: np.ndarray
    bounds: np.ndarray
    order: np.ndarray
    load: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the dense influence matrix, (units, cells)."""
        return self.zy.shape[0], self.load.shape[2]

    def _blocks(self):
        for c in range(len(self.bounds) - 1):
            lo, hi = int(self.bounds[c]), int(self.bounds[c + 1])
            if hi > lo:
                yield c, lo, hi

    def _apply(self, c: int, lo: int, hi: int, m: np.ndarray) -> np.ndarray:
        """``z[lo:hi] @ m`` for a (T+1, k) matrix ``m``."""
        out = self.zy[lo:hi] @ m[:-1]
        out += self.zw[lo:hi, None] * m[-1]
        return out

    def __matmul__(self, wm: np.ndarray) -> np.ndarray:
        """``psi @ wm`` (units x outputs) in unit order."""
        wm = np.asarray(wm, dtype=float)
        out = np.empty((self.zy.shape[0], wm.shape[1]))
        for c, lo, hi in self._blocks():
            out[self.order[lo:hi]] = self._apply(c, lo, hi, self.load[c] @ wm)
        return out

    def gram(self) -> np.ndarray:
        """``psi' psi`` (cells x cells)."""
        k, t = self.load.shape[2], self.zy.shape[1]
        g = np.zeros((k, k))
        zz = np.empty((t + 1, t + 1))
        for c, lo, hi in self._blocks():
            zy, zw = self.zy[lo:hi], self.zw[lo:hi]
            zz[:t, :t] = zy.T @ zy
            zz[:t, t] = zz[t, :t] = zw @ zy
            zz[t, t] = zw @ zw
            g += self.load[c].T @ zz @ self.load[c]
        return (g + g.T) / 2

    def dense(self) -> np.ndarray:
        """The (units x cells) influence matrix, column-major."""
        n, k = self.shape
        psi = np.zeros((n, k), order="F")
        for c, lo, hi in self._blocks():
            psi[self.order[lo:hi]] = self._apply(c, lo, hi, self.load[c])
        return psi


def cohort_blocks(
    y_wide: np.ndarray, w_unit: np.ndarray, codes: np.ndarray, n_codes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centred data of :class:`FactoredInfluence` and the cohort means of the centred outcome.

    Parameters
    ----------
    y_wide
        (n, T) outcomes.
    w_unit
        (n,) unit weights.
    codes
        (n,) cohort code of each unit, ``0..n_codes-1``.
    n_codes
        Number of cohort codes.

    Returns
    -------
    zy, zw, bounds, order
        As in :class:`FactoredInfluence`.
    means
        (n_codes, T) weighted mean of the unit-centred outcome by cohort and period (NaN rows for
        empty cohorts, 0 for cohorts of zero total weight).
    w_cohort
        (n_codes,) sum of the weights by cohort.
    """
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_codes + 1))
    w_cohort = np.bincount(codes, weights=w_unit, minlength=n_codes)
    zy = np.take(y_wide, order, axis=0)
    zy -= zy.mean(axis=1, keepdims=True)  # within-unit differences are unchanged
    zw = w_unit[order]
    means = np.full((n_codes, y_wide.shape[1]), np.nan)
    for c in range(n_codes):
        lo, hi = int(bounds[c]), int(bounds[c + 1])
        if hi == lo:
            continue
        block, wc = zy[lo:hi], zw[lo:hi]
        # a cohort of zero total weight contributes nothing (its rows of z are 0); its mean is 0
        means[c] = wc @ block / w_cohort[c] if w_cohort[c] > 0 else 0.0
        block -= means[c]
        block *= wc[:, None]
    return zy, zw, bounds, order, means, w_cohort


def factored_vcov_se(psi: FactoredInfluence, zero_se: float) -> tuple[np.ndarray, np.ndarray]:
    """Covariance ``psi' psi / n^2`` of the cells and their standard errors (``NaN`` at or below ``zero_se``).

    The same numbers as :func:`~sosek_impact.estimators.did_bootstrap.if_vcov` and ``if_se`` on
    the dense matrix (unclustered), to rounding.
    """
    n = psi.shape[0]
    vcov = psi.gram() / n**2
    se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    se[se <= zero_se] = np.nan
    return vcov, se
