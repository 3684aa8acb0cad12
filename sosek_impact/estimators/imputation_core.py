"""The arithmetic of the imputation estimator: fit, linear weights, conservative variance.

Works on integer-coded arrays (one entry per observation) so that :func:`did_imputation`
(data frames, checks, results) and :func:`imputation_linear_weights` (balanced panels for
permutation inference) share one mechanism.

Notation (Borusyak, Jaravel & Spiess 2024, "Revisiting event-study designs", REStud): ``Ω₀`` the
untreated observations (never treated, and treated units before their first treated period),
``Ω₁`` the treated ones. Every estimand is ``τ_w = Σ_{Ω₁} w_it τ_it`` with target weights ``w``
summing to 1. The estimator is linear in the outcome, ``τ̂_w = Σ_it v_it Y_it``, with ``v = w`` on
``Ω₁`` and, on ``Ω₀``, minus the weights that turn ``Y`` into ``Σ_{Ω₁} w Ŷ(0)``.

Two comparison rules (``control``):

- ``"not_yet"`` — BJS: ``Y_it = α_i + λ_t`` fitted by (weighted) least squares on all of ``Ω₀``.
- ``"never"`` — the period effects from never-treated units only (a two-way fit on them), each
  unit's effect from its own untreated periods, ``α_i = mean_{Ω₀,i}(Y − λ)``. With a single
  cohort, or when no unit is treated later than another is observed untreated, the two coincide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sosek_impact.errors import EstimationError, TreatedInFirstPeriodError
from sosek_impact.estimators._options import check_choice
from sosek_impact.estimators._twoway import TwoWayFE

__all__ = ["ImputationDesign"]


def _present(codes: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct values of non-negative integer codes below ``n`` (a bincount, not a sort)."""
    return np.flatnonzero(np.bincount(codes, minlength=n) > 0)


@dataclass
class ImputationDesign:
    """One panel's imputation design.

    Parameters
    ----------
    unit, time
        Integer codes of every observation's unit (``0..n_units-1``) and period position
        (``0..n_periods-1`` in sorted order).
    group_pos
        Position of each observation's unit's first treated period; ``-1`` (or any negative) for
        never treated. May equal ``n_periods`` or more (treated after the sample: never treated).
    weights
        Sampling weights per observation (``None``: all 1).
    control
        ``"not_yet"`` or ``"never"`` (module docstring).
    n_units, n_periods
        Numbers of levels.
    """

    unit: np.ndarray
    time: np.ndarray
    group_pos: np.ndarray
    weights: np.ndarray | None
    control: str
    n_units: int
    n_periods: int
    covariates: np.ndarray | None = None
    covariate_names: list[str] | None = None

    def __post_init__(self) -> None:
        check_choice("control", self.control, ("never", "not_yet"))
        self.unit = np.asarray(self.unit, dtype=np.intp)
        self.time = np.asarray(self.time, dtype=np.intp)
        gp = np.asarray(self.group_pos, dtype=np.int64)
        self.group_pos = np.where((gp < 0) | (gp >= self.n_periods), -1, gp)
        self.w = np.ones(len(self.unit)) if self.weights is None else np.asarray(self.weights, dtype=float)
        self.ever = self.group_pos >= 0
        self.treated = self.ever & (self.time >= self.group_pos)
        self.event_time = np.where(self.ever, self.time - self.group_pos, np.iinfo(np.int64).min)
        self.untreated = ~self.treated
        u0 = self.untreated
        W0_unit = np.bincount(self.unit[u0], weights=self.w[u0], minlength=self.n_units)
        no_pre = np.unique(self.unit[self.treated & (W0_unit[self.unit] <= 0)])
        if len(no_pre):
            raise TreatedInFirstPeriodError(
                f"{len(no_pre)} treated unit(s) have no untreated observation to impute from", )
        t1 = _present(self.time[self.treated], self.n_periods)
        t0 = _present(self.time[u0], self.n_periods)
        bare = np.setdiff1d(t1, t0)
        if len(bare):
            raise EstimationError(f"period position(s) {bare.tolist()} have treated observations only", )
        self.fe0 = TwoWayFE(self.unit[u0], self.time[u0], self.w[u0], self.n_units, self.n_periods)
        if self.control == "never":
            nv = ~self.ever
            if not nv.any():
                raise EstimationError("control='never' needs never-treated units")
            need = _present(self.time[self.ever], self.n_periods)
            missing = np.setdiff1d(need, _present(self.time[nv], self.n_periods))
            if len(missing):
                raise EstimationError(f"period position(s) {missing.tolist()} have no never-treated observation")
            self.feN = TwoWayFE(self.unit[nv], self.time[nv], self.w[nv], self.n_units, self.n_periods)
            self.W0_unit = W0_unit
        self._set_covariates()

    def _set_covariates(self) -> None:
        """Covariates of the step-1 model ``Y = α_i + λ_t + X'β`` on ``Ω₀`` (BJS eq. 5), by Frisch–Waugh–Lovell.

        ``x0`` holds the covariates of the untreated rows net of the two-way fixed effects (on
        ``Ω₀``); ``β = (x0' W x0)⁻¹ x0' W Y₀``.
        """
        self.x = None
        if self.covariates is None:
            return
        x = np.asarray(self.covariates, dtype=float)
        x = x[:, None] if x.ndim == 1 else x
        if x.shape[1] == 0:
            return
        if self.control != "not_yet":
            raise ValueError("covariates need control='not_yet' (BJS's step-1 model on every untreated observation)")
        u0 = self.untreated
        self.x = x
        self.x0 = self.fe0.residuals(x[u0])
        self.xwx = (self.x0 * self.w[u0, None]).T @ self.x0
        w0 = self.w[u0, None]
        xc = x[u0] - (w0 * x[u0]).sum(axis=0) / w0.sum()
        left = np.diag(self.xwx) / np.maximum((w0 * xc**2).sum(axis=0), np.finfo(float).tiny)
        absorbed = left < 1e-10  # (almost) no variation left net of the fixed effects
        scale = np.sqrt(np.where(absorbed, 1.0, np.diag(self.xwx)))
        if absorbed.any() or np.linalg.matrix_rank(self.xwx / np.outer(scale, scale), tol=1e-10) < x.shape[1]:
            names = self.covariate_names or [f"column {j}" for j in range(x.shape[1])]
            which = f" ({', '.join(repr(names[j]) for j in np.flatnonzero(absorbed))} absorbed by them)" if absorbed.any() else ""
            raise EstimationError("the covariates are collinear with each other or with the unit and period "
                                  f"fixed effects among the untreated observations{which}")

    def beta(self, y: np.ndarray) -> np.ndarray | None:
        """Step-1 covariate coefficients ``β̂`` (``None`` without covariates)."""
        if self.x is None:
            return None
        u0 = self.untreated
        return np.linalg.solve(self.xwx, (self.x0 * self.w[u0, None]).T @ np.asarray(y, dtype=float)[u0])

    def _x_loadings(self, W1: sp.spmatrix, coefs: tuple) -> np.ndarray:
        """``(x0' W x0)⁻¹ X' v_FE`` (k, K): how each estimand's weights load on ``β̂``."""
        p = np.stack([self._fe_estimates(self.x[:, j], W1, coefs) for j in range(self.x.shape[1])])
        return np.linalg.solve(self.xwx, p)

    # ------------------------------------------------------------------ fit
    def fit(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit and period effects ``(α, λ)`` of the untreated-outcome model."""
        y = np.asarray(y, dtype=float)
        u0 = self.untreated
        if self.control == "not_yet":
            b = self.beta(y)
            return self.fe0.fit(y[u0] if b is None else y[u0] - self.x[u0] @ b)
        nv = ~self.ever
        _, lam = self.feN.fit(y[nv])
        s = np.bincount(self.unit[u0], weights=self.w[u0] * (y[u0] - lam[self.time[u0]]), minlength=self.n_units)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = np.where(self.W0_unit > 0, s / np.where(self.W0_unit > 0, self.W0_unit, 1.0), np.nan)
        return alpha, lam

    def fitted(self, y: np.ndarray) -> np.ndarray:
        """``Ŷ(0) = α̂_i + λ̂_t (+ X'β̂)`` for every observation."""
        alpha, lam = self.fit(y)
        out = alpha[self.unit] + lam[self.time]
        b = self.beta(y)
        return out if b is None else out + self.x @ b

    # ------------------------------------------------------------------ linear weights
    def _coefficients(self, W1: sp.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(A, B, m)`` with ``v_r = −w_r (A[unit_r] + m_r B[time_r])`` on untreated rows.

        ``W1`` is the ``(N, K)`` sparse matrix of target weights (zero on untreated rows); ``A`` is
        ``(n_units, K)``, ``B`` is ``(n_periods, K)`` and ``m`` marks the untreated rows whose
        period effect enters (all of them for ``"not_yet"``, never-treated rows for ``"never"``).
        """
        Pu = sp.csr_matrix((np.ones(len(self.unit)), (self.unit, np.arange(len(self.unit)))),
                           shape=(self.n_units, len(self.unit)))
        Pt = sp.csr_matrix((np.ones(len(self.time)), (self.time, np.arange(len(self.time)))),
                           shape=(self.n_periods, len(self.time)))
        c_u = np.asarray((Pu @ W1).todense())
        c_t = np.asarray((Pt @ W1).todense())
        K = c_u.shape[1]
        if self.control == "not_yet":
            g_u, g_t = self.fe0.solve(c_u, c_t)
            return np.nan_to_num(g_u), np.nan_to_num(g_t), self.untreated
        u0 = self.untreated
        share = c_u / np.where(self.W0_unit > 0, self.W0_unit, 1.0)[:, None]
        share[self.W0_unit <= 0] = 0.0
        # λ part: Σ_t d_t λ_t with d_t = Σ_i share_i M0_it − c_t, λ from the never-treated fit
        M0 = sp.csr_matrix((self.w[u0], (self.time[u0], self.unit[u0])), shape=(self.n_periods, self.n_units))
        d = np.asarray(M0 @ share) - c_t
        g_u, g_t = self.feN.solve(np.zeros((self.n_units, K)), d)
        return share - np.nan_to_num(g_u), -np.nan_to_num(g_t), ~self.ever

    def linear_weights(self, w1: np.ndarray) -> np.ndarray:
        """Weights ``v`` (one per observation) with ``τ̂_w = v · Y`` for target weights ``w1``.

        ``w1`` has one entry per observation, non-zero only on treated ones. Several estimands at
        once: ``w1`` of shape ``(N, K)`` gives ``v`` of shape ``(N, K)``.
        """
        dense = np.asarray(w1.todense()) if sp.issparse(w1) else np.asarray(w1, dtype=float)
        squeeze = dense.ndim == 1
        if squeeze:
            dense = dense[:, None]
        if np.any(dense[self.untreated] != 0):
            raise ValueError("target weights must be zero on untreated observations")
        W1 = sp.csc_matrix(dense)
        coefs = self._coefficients(W1)
        A, B, m = coefs
        v = dense.copy()
        u0 = self.untreated
        v[u0] = -self.w[u0, None] * (A[self.unit[u0]] + m[u0, None] * B[self.time[u0]])
        if self.x is not None:
            v[u0] -= self.w[u0, None] * (self.x0 @ self._x_loadings(W1, coefs))
        return v[:, 0] if squeeze else v

    def estimates(self, y: np.ndarray, W1: sp.spmatrix, coefs: tuple | None = None) -> np.ndarray:
        """``v_k · Y`` for every column of the target weights, without forming ``v``.

        ``coefs`` may pass :meth:`_coefficients` of ``W1`` computed before. With covariates,
        ``τ̂ = v_FE·Y − (v_FE·X) β̂`` (``v_FE`` the weights of the fixed-effects-only model).
        """
        coefs = self._coefficients(W1) if coefs is None else coefs
        est = self._fe_estimates(y, W1, coefs)
        b = self.beta(y)
        if b is None:
            return est
        p = np.stack([self._fe_estimates(self.x[:, j], W1, coefs) for j in range(self.x.shape[1])])
        return est - p.T @ b

    def _fe_estimates(self, y: np.ndarray, W1: sp.spmatrix, coefs: tuple) -> np.ndarray:
        """``v_FE · y`` for every column of ``W1`` (the fixed-effects part of the weights)."""
        A, B, m = coefs
        y = np.asarray(y, dtype=float)
        u0 = self.untreated
        ru = np.bincount(self.unit[u0], weights=self.w[u0] * y[u0], minlength=self.n_units)
        sel = u0 & m
        rt = np.bincount(self.time[sel], weights=self.w[sel] * y[sel], minlength=self.n_periods)
        return np.asarray(W1.T @ y).ravel() - A.T @ ru - B.T @ rt

    # ------------------------------------------------------------------ variance
    def residuals_tilde(self, y: np.ndarray, leave_out: bool = False) -> np.ndarray:
        """BJS's ``ε̃``: step-1 residuals on untreated rows, ``τ̂ − τ̃`` on treated ones.

        ``τ̃`` is the (sampling-weighted) mean of ``τ̂`` in the observation's cohort × event-time
        cell (BJS's default partition; the weights ``v`` of every estimand here are proportional
        to the sampling weights within such a cell). With ``leave_out`` the cell mean leaves out
        the observation's own unit (BJS Appendix A.6), which removes the downward bias of small
        cells; in a cell of a single unit it is undefined and the ordinary mean is kept (no
        treated-side variance).
        """
        y = np.asarray(y, dtype=float)
        resid = y - self.fitted(y)
        eps = np.where(self.untreated, resid, 0.0)
        tr = self.treated
        if tr.any():
            keys = self.group_pos[tr] * (self.n_periods + 1) + self.event_time[tr]
            keys = keys - keys.min()
            cell = np.unique(keys, return_inverse=True)[1] if keys.max() > 10 * len(keys) else keys
            wt = self.w[tr]
            num = np.bincount(cell, weights=wt * resid[tr])
            den = np.bincount(cell, weights=wt)
            with np.errstate(invalid="ignore", divide="ignore"):
                tau_tilde = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
            if leave_out:
                # a unit has one observation per cohort x event-time cell: leave it out
                rest = den[cell] - wt
                with np.errstate(invalid="ignore", divide="ignore"):
                    lo = (num[cell] - wt * resid[tr]) / np.where(rest > 0, rest, 1.0)
                eps[tr] = resid[tr] - np.where(rest > 0, lo, tau_tilde[cell])
            else:
                eps[tr] = resid[tr] - tau_tilde[cell]
        return eps

    def conservative_variance(self, y: np.ndarray, W1: sp.spmatrix, cluster: np.ndarray, n_clusters: int,
                              leave_out: bool = False, coefs: tuple | None = None) -> np.ndarray:
        """BJS (2024, Theorem 3) conservative variances ``Σ_c (Σ_{it∈c} v_it ε̃_it)²`` per estimand.

        ``W1`` are the target weights (``(N, K)`` sparse); ``ε̃`` as :meth:`residuals_tilde`.
        """
        eps = self.residuals_tilde(y, leave_out)
        A, B, m = self._coefficients(W1) if coefs is None else coefs
        N = len(self.unit)
        cl = np.asarray(cluster, dtype=np.intp)
        tr, u0 = self.treated, self.untreated
        S1 = sp.csr_matrix((np.where(tr, eps, 0.0), (cl, np.arange(N))), shape=(n_clusters, N))
        we = np.where(u0, self.w * eps, 0.0)
        SU = sp.csr_matrix((we, (cl, self.unit)), shape=(n_clusters, self.n_units))
        ST = sp.csr_matrix((np.where(m, we, 0.0), (cl, self.time)), shape=(n_clusters, self.n_periods))
        scores = np.asarray((S1 @ W1).todense()) - np.asarray(SU @ A) - np.asarray(ST @ B)
        if self.x is not None:  # the weights' covariate part, -w x0 (x0'Wx0)^-1 X'v_FE, on untreated rows
            SX = np.zeros((n_clusters, self.x.shape[1]))
            np.add.at(SX, cl[u0], we[u0, None] * self.x0)
            scores -= SX @ self._x_loadings(W1, (A, B, m))
        return np.sum(scores**2, axis=0)

    # ------------------------------------------------------------------ target weights
    def target_weights(self, aggregate: str, min_e: float | None = None,
                       max_e: float | None = None) -> tuple[list, np.ndarray]:
        """Terms and sparse target weights ``(N, K)`` for ``"simple"``, ``"dynamic"`` (int event times) or ``"group"``.

        Treated observations with event time outside ``[min_e, max_e]`` get weight 0.
        """
        tr = self.treated.copy()
        if min_e is not None:
            tr &= self.event_time >= min_e
        if max_e is not None:
            tr &= self.event_time <= max_e
        if not tr.any():
            raise EstimationError("no treated observation in the event-time window")
        if aggregate == "simple":
            terms: list = ["ATT"]
            masks = [tr]
        elif aggregate == "dynamic":
            terms = [int(e) for e in _present(self.event_time[tr], self.n_periods)]
            masks = [tr & (self.event_time == e) for e in terms]
        elif aggregate == "group":
            terms = [int(g) for g in _present(self.group_pos[tr], self.n_periods)]
            masks = [tr & (self.group_pos == g) for g in terms]
        else:
            check_choice("aggregate", aggregate, ("simple", "dynamic", "group"))
        rows, cols, vals = [], [], []
        for k, msk in enumerate(masks):
            idx = np.flatnonzero(msk)
            rows.append(idx)
            cols.append(np.full(len(idx), k))
            vals.append(self.w[idx] / self.w[idx].sum())
        W = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(len(self.unit), len(terms)))
        return terms, W
