"""Exact least squares on unit and period fixed effects for one subsample of a panel.

The imputation estimator (Borusyak, Jaravel & Spiess 2024) fits ``y_it = α_i + λ_t`` on the
untreated observations only, a subsample that is unbalanced by construction. With ``n`` units and
``T`` periods (``n`` large, ``T`` small) the normal equations are solved exactly by eliminating the
unit effects: with ``M`` the ``n × T`` matrix of weights per (unit, period) cell, ``W_i`` the unit and
``W_t`` the period totals, the period effects solve the ``T × T`` system

    (diag(W_t) − Mᵀ diag(1/W_i) M) λ = r_t − Mᵀ diag(1/W_i) r_i,

and ``α_i = (r_i − (M λ)_i) / W_i``, where ``(r_i, r_t)`` are the right-hand sides (``Zᵀ W y`` for a
fit, any vector for the linear weights of an estimator). The matrix is the Laplacian of the
bipartite unit–period graph: one zero eigenvalue when the sample is connected (the usual
normalisation, here ``λ`` of the first period is 0). One pass over the rows, no iteration: a
million rows take a few tenths of a second.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sosek_impact.errors import EstimationError

__all__ = ["TwoWayFE"]


class TwoWayFE:
    """Normal equations of unit + period fixed effects on the rows of one subsample.

    Parameters
    ----------
    unit_codes, time_codes
        Integer codes (``0..n_units-1``, ``0..n_periods-1``) of the subsample's rows.
    weights
        Non-negative row weights (``None``: all 1).
    n_units, n_periods
        Numbers of levels (a level without rows gets no effect: NaN).

    Raises
    ------
    EstimationError
        If the subsample's units and periods do not form one connected set (effects not
        identified up to the one normalisation).
    """

    def __init__(self, unit_codes: np.ndarray, time_codes: np.ndarray, weights: np.ndarray | None,
                 n_units: int, n_periods: int) -> None:
        self.unit_codes = np.asarray(unit_codes, dtype=np.intp)
        self.time_codes = np.asarray(time_codes, dtype=np.intp)
        self.weights = np.ones(len(self.unit_codes)) if weights is None else np.asarray(weights, dtype=float)
        self.n_units, self.n_periods = int(n_units), int(n_periods)
        w = self.weights
        self.W_unit = np.bincount(self.unit_codes, weights=w, minlength=n_units)
        self.W_time = np.bincount(self.time_codes, weights=w, minlength=n_periods)
        self.has_unit = self.W_unit > 0
        self.has_time = self.W_time > 0
        self.M = sp.csr_matrix((w, (self.unit_codes, self.time_codes)), shape=(n_units, n_periods))
        inv_u = np.where(self.has_unit, 1.0 / np.where(self.has_unit, self.W_unit, 1.0), 0.0)
        self._inv_u = inv_u
        MtDM = np.asarray((self.M.T @ sp.diags(inv_u) @ self.M).todense())
        A = np.diag(self.W_time) - MtDM
        t_idx = np.flatnonzero(self.has_time)
        A = A[np.ix_(t_idx, t_idx)]
        eig = np.linalg.eigvalsh(A)
        scale = max(float(np.abs(eig).max(initial=0.0)), 1e-300)
        n_zero = int(np.sum(eig <= 1e-10 * scale))
        if len(t_idx) and n_zero > 1:
            raise EstimationError(
                f"the unit and period effects are not identified on this sample: its units and periods fall into "
                f"{n_zero} disconnected sets (no unit links some periods to the others)"
            )
        self._t_idx = t_idx
        # fix the first present period's effect at 0 and invert the rest once
        self._A_inv = np.linalg.inv(A[1:, 1:]) if len(t_idx) > 1 else np.zeros((0, 0))

    def solve(self, r_unit: np.ndarray, r_time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit and period effects ``(α, λ)`` solving the normal equations with right-hand side ``(r_unit, r_time)``.

        Arrays may have a trailing dimension (several right-hand sides). The right-hand side must
        be orthogonal to the normalisation direction (``Σ r_unit = Σ r_time``), as ``Zᵀ W y`` is.
        """
        r_unit = np.asarray(r_unit, dtype=float)
        r_time = np.asarray(r_time, dtype=float)
        squeeze = r_unit.ndim == 1
        if squeeze:
            r_unit, r_time = r_unit[:, None], r_time[:, None]
        k = r_unit.shape[1]
        rhs = r_time - np.asarray(self.M.T @ (self._inv_u[:, None] * r_unit))
        lam = np.full((self.n_periods, k), np.nan)
        sub = np.zeros((len(self._t_idx), k))
        if len(self._t_idx) > 1:
            sub[1:] = self._A_inv @ rhs[self._t_idx[1:]]
        lam[self._t_idx] = sub
        lam0 = np.where(np.isnan(lam), 0.0, lam)
        alpha = self._inv_u[:, None] * (r_unit - np.asarray(self.M @ lam0))
        alpha[~self.has_unit] = np.nan
        if squeeze:
            return alpha[:, 0], lam[:, 0]
        return alpha, lam

    def fit(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Least-squares effects ``(α, λ)`` of the rows' outcome(s) ``y`` (``(N,)`` or ``(N, k)``)."""
        y = np.asarray(y, dtype=float)
        wy = self.weights[:, None] * (y[:, None] if y.ndim == 1 else y)
        r_u = np.stack([np.bincount(self.unit_codes, weights=wy[:, j], minlength=self.n_units)
                        for j in range(wy.shape[1])], axis=1)
        r_t = np.stack([np.bincount(self.time_codes, weights=wy[:, j], minlength=self.n_periods)
                        for j in range(wy.shape[1])], axis=1)
        if y.ndim == 1:
            return self.solve(r_u[:, 0], r_t[:, 0])
        return self.solve(r_u, r_t)

    def residuals(self, y: np.ndarray) -> np.ndarray:
        """``y`` minus its projection on the fixed effects, for the subsample's rows."""
        alpha, lam = self.fit(y)
        return np.asarray(y, dtype=float) - alpha[self.unit_codes] - lam[self.time_codes]
