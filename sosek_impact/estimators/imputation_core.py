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

from sosek_impact.errors import EstimationError, TreatedInFirstPeriodError
from sosek_impact.estimators._twoway import TwoWayFE

__all__ = ["ImputationDesign"]


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

    def __post_init__(self) -> None:
        if self.control not in ("never", "not_yet"):
            raise ValueError(f"control must be 'never' or 'not_yet', got {self.control!r}")
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
        t1 = np.unique(self.time[self.treated])
        t0 = np.unique(self.time[u0])
        bare = np.setdiff1d(t1, t0)
        if len(bare):
            raise EstimationError(f"period position(s) {bare.tolist()} have treated observations only", )
        self.fe0 = TwoWayFE(self.unit[u0], self.time[u0], self.w[u0], self.n_units, self.n_periods)
        if self.control == "never":
            nv = ~self.ever
            if not nv.any():
                raise EstimationError("control='never' needs never-treated units")
            need = np.unique(self.time[self.ever])
            missing = np.setdiff1d(need, np.unique(self.time[nv]))
            if len(missing):
                raise EstimationError(f"period position(s) {missing.tolist()} have no never-treated observation")
            self.feN = TwoWayFE(self.unit[nv], self.time[nv], self.w[nv], self.n_units, self.n_periods)
            self.W0_unit = W0_unit

    # ------------------------------------------------------------------ fit
    def fit(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit and period effects ``(α, λ)`` of the untreated-outcome model."""
        y = np.asarray(y, dtype=float)
        u0 = self.untreated
        if self.control == "not_yet":
            return self.fe0.fit(y[u0])
        nv = ~self.ever
        _, lam = self.feN.fit(y[nv])
        s = np.bincount(self.unit[u0], weights=self.w[u0] * (y[u0] - lam[self.time[u0]]), minlength=self.n_units)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = np.where(self.W0_unit > 0, s / np.where(self.W0_unit > 0, self.W0_unit, 1.0), np.nan)
        return alpha, lam

    def fitted(self, y: np.ndarray) -> np.ndarray:
        """``Ŷ(0) = α̂_i + λ̂_t`` for every observation."""
        alpha, lam = self.fit(y)
        return alpha[self.unit] + lam[self.time]

    # ------------------------------------------------------------------ linear weights
    def linear_weights(self, w1: np.ndarray) -> np.ndarray:
        """Weights ``v`` (one per observation) with ``τ̂_w = v · Y`` for target weights ``w1``.

        ``w1`` has one entry per observation, non-zero only on treated ones. Several estimands at
        once: ``w1`` of shape ``(N, K)`` gives ``v`` of shape ``(N, K)``.
        """
        w1 = np.asarray(w1, dtype=float)
        squeeze = w1.ndim == 1
        if squeeze:
            w1 = w1[:, None]
        if np.any(w1[self.untreated] != 0):
            raise ValueError("target weights must be zero on untreated observations")
        K = w1.shape[1]
        c_u = np.stack([np.bincount(self.unit, weights=w1[:, k], minlength=self.n_units) for k in range(K)], 1)
        c_t = np.stack([np.bincount(self.time, weights=w1[:, k], minlength=self.n_periods) for k in range(K)], 1)
        v = w1.copy()
        u0 = self.untreated
        if self.control == "not_yet":
            g_u, g_t = self.fe0.solve(c_u, c_t)
            g_u, g_t = np.nan_to_num(g_u), np.nan_to_num(g_t)
            v[u0] = -self.w[u0, None] * (g_u[self.unit[u0]] + g_t[self.time[u0]])
        else:
            share = np.where(self.W0_unit[:, None] > 0, c_u / np.where(self.W0_unit > 0, self.W0_unit, 1.0)[:, None], 0.0)
            v[u0] = -self.w[u0, None] * share[self.unit[u0]]
            # λ part: Σ_t d_t λ_t with d_t = Σ_i share_i M0_it − c_t, λ from the never-treated fit
            d = np.stack([np.bincount(self.time[u0], weights=self.w[u0] * share[self.unit[u0], k],
                                      minlength=self.n_periods) for k in range(K)], 1) - c_t
            g_u, g_t = self.feN.solve(np.zeros((self.n_units, K)), d)
            g_u, g_t = np.nan_to_num(g_u), np.nan_to_num(g_t)
            nv = ~self.ever
            v[nv] += self.w[nv, None] * (g_u[self.unit[nv]] + g_t[self.time[nv]])
        return v[:, 0] if squeeze else v

    # ------------------------------------------------------------------ variance
    def conservative_variance(self, y: np.ndarray, v: np.ndarray, cluster: np.ndarray, n_clusters: int,
                              leave_out: bool = False) -> np.ndarray:
        """BJS (2024, Theorem 3) conservative variances ``Σ_c (Σ_{it∈c} v_it ε̃_it)²`` per estimand.

        ``ε̃`` is the step-1 residual on untreated observations and ``τ̂_it − τ̃_it`` on treated
        ones, ``τ̃`` the (sampling-weighted) mean of ``τ̂`` in the observation's cohort × event
        time cell (BJS's default partition; the weights ``v`` of every estimand here are
        proportional to the sampling weights within such a cell).
        """
        y = np.asarray(y, dtype=float)
        resid = y - self.fitted(y)
        eps = np.where(self.untreated, resid, 0.0)
        tr = self.treated
        if tr.any():
            keys = self.group_pos[tr] * (self.n_periods + 1) + self.event_time[tr]
            _, cell = np.unique(keys, return_inverse=True)
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
        v2 = v[:, None] if v.ndim == 1 else v
        scores = np.stack([np.bincount(cluster, weights=v2[:, k] * eps, minlength=n_clusters)
                           for k in range(v2.shape[1])], 1)
        var = np.sum(scores**2, axis=0)
        return var[0] if v.ndim == 1 else var

    # ------------------------------------------------------------------ target weights
    def target_weights(self, aggregate: str, min_e: float | None = None,
                       max_e: float | None = None) -> tuple[list, np.ndarray]:
        """Terms and target weights ``(N, K)`` for ``"simple"``, ``"dynamic"`` (int event times) or ``"group"``.

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
            terms = [int(e) for e in np.unique(self.event_time[tr])]
            masks = [tr & (self.event_time == e) for e in terms]
        elif aggregate == "group":
            terms = [int(g) for g in np.unique(self.group_pos[tr])]
            masks = [tr & (self.group_pos == g) for g in terms]
        else:
            raise ValueError(f"aggregate must be 'simple', 'dynamic' or 'group', got {aggregate!r}")
        W = np.zeros((len(self.unit), len(terms)))
        for k, m in enumerate(masks):
            W[m, k] = self.w[m] / self.w[m].sum()
        return terms, W
