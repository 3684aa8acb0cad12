"""Two-way fixed-effects regression saturated in cohort x relative period, without a dense design.

The step-1 regression of :func:`sosek_impact.estimators.sun_abraham.sun_abraham` on a balanced
panel of ``N`` units and ``T`` periods. The dummy of column ``j = (g, e)`` is the outer product
``u_i v_t`` of the cohort indicator ``u_i = 1{G_i = g}`` and the relative-period indicator of that
cohort ``v_t = 1{rel_g(t) = e}`` (binned or not), so its two-way demeaned version is
``(u_i - pi_g)(v_t - vbar_j)`` with ``pi_g`` the cohort share: the (N T x J) design never needs
to be formed. Everything the regression needs reduces to sums over the units of each cohort:

- ``X'X``: the unit part ``N (pi_g 1{g = h} - pi_g pi_h)`` times the time part ``Delta' Delta``
  (``Delta[t, j] = v_t - vbar_j``), plus the covariate blocks from cohort sums of the demeaned
  covariates;
- ``X'y`` from cohort-by-period sums of the demeaned outcome;
- fitted values of the dummies from a (cohorts x periods) table, so residuals cost one pass;
- cluster scores ``sum_{(i,t) in c} (u_i - pi_g) Delta[t, j] e_it`` from one ``bincount`` of the
  residuals per cohort over (cluster, period).

Time and memory grow linearly with the rows (plus ``clusters x J`` for the scores); the numbers
are those of the dense regression (``tests/did/test_fast_path_sun_abraham.py``, and pyfixest in
``tests/did/test_sun_abraham.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from sosek_impact.errors import EstimationError
from sosek_impact.estimators.did_bootstrap import _gram

__all__ = ["SaturatedFit", "fit_saturated", "demean_two_way"]


@dataclass(frozen=True)
class SaturatedFit:
    """Coefficients and CR1 covariance of the saturated regression."""

    beta: np.ndarray  # (J + p,) interactions first, then the kept covariates
    cov: np.ndarray  # (J + p, J + p)
    counts: np.ndarray  # (J,) treated observations of each (g, e) cell
    kept_covariates: list[str]
    n_clusters: int


def demean_two_way(m: np.ndarray, n_units: int, n_t: int) -> np.ndarray:
    """Sweep unit and time means out of the rows of a balanced panel (rows ordered unit-major)."""
    a = m.reshape(n_units, n_t, -1)
    out = a - a.mean(axis=1, keepdims=True) - a.mean(axis=0, keepdims=True) + a.mean(axis=(0, 1), keepdims=True)
    return out.reshape(n_units * n_t, -1)


def _cohort_period_sums(values: np.ndarray, codes: np.ndarray, n_codes: int) -> np.ndarray:
    """(codes, T, k) sums over the units of each code of ``values`` (N, T, k)."""
    n_u, n_t, k = values.shape
    flat = values.reshape(n_u, n_t * k)
    out = np.zeros((n_codes, n_t * k))
    for c in range(n_codes):
        out[c] = flat[codes == c].sum(axis=0)
    return out.reshape(n_codes, n_t, k)


def fit_saturated(
    yv: np.ndarray,
    xv: np.ndarray,
    cl_codes: np.ndarray,
    g_unit: np.ndarray,
    rel: np.ndarray,
    cols: Sequence[tuple[float, int]],
    covariates: Sequence[str],
) -> SaturatedFit:
    """Fit the saturated event-study regression with unit and time effects; CR1 covariance.

    Parameters
    ----------
    yv
        (N, T) outcomes.
    xv
        (N, T, p) time-varying covariates.
    cl_codes
        (N, T) integer cluster codes ``0..C-1``.
    g_unit
        (N,) cohort of each unit (any value not among the ``cols`` cohorts is a comparison unit).
    rel
        (N, T) relative period of each observation (binned as the dummies are).
    cols
        The interaction columns ``(cohort, relative period)``.
    covariates
        Names of the ``p`` covariates (for messages and ``kept_covariates``).
    """
    n_u, n_t = yv.shape
    n_obs = n_u * n_t
    cohorts = np.unique([g for g, _ in cols])
    n_g = len(cohorts)
    in_cohort = np.isin(g_unit, cohorts)
    codes = np.where(in_cohort, np.searchsorted(cohorts, g_unit), n_g)  # n_g = comparison units
    size = np.bincount(codes, minlength=n_g + 1).astype(float)
    pi = size[:n_g] / n_u
    col_cohort = np.searchsorted(cohorts, [g for g, _ in cols])
    # relative period of each cohort by period (constant within a cohort)
    first_unit = np.array([np.flatnonzero(codes == c)[0] for c in range(n_g)])
    rel_c = rel[first_unit]  # (n_g, T)
    v = np.stack([rel_c[c] == e for c, (_, e) in zip(col_cohort, cols)], axis=1).astype(float)  # (T, J)
    delta = v - v.mean(axis=0, keepdims=True)
    counts = size[col_cohort] * v.sum(axis=0)

    yd = demean_two_way(yv.reshape(n_obs, 1), n_u, n_t)[:, 0]
    xcd = demean_two_way(xv.reshape(n_obs, -1), n_u, n_t)
    keep_cov = np.ones(len(covariates), dtype=bool)
    x_flat = xv.reshape(n_obs, -1)
    for q, name in enumerate(covariates):
        if np.linalg.norm(xcd[:, q]) < 1e-10 * max(1.0, np.linalg.norm(x_flat[:, q])):
            warnings.warn(f"covariate {name!r} is constant within units and absorbed by the unit effects; dropped",
                          stacklevel=3)
            keep_cov[q] = False
    xcd = xcd[:, keep_cov]
    p = xcd.shape[1]
    n_int = len(cols)

    unit_part = n_u * (np.diag(pi) - np.outer(pi, pi))
    xtx = np.zeros((n_int + p, n_int + p))
    xtx[:n_int, :n_int] = unit_part[np.ix_(col_cohort, col_cohort)] * (delta.T @ delta)
    both = np.concatenate([yd.reshape(n_u, n_t, 1), xcd.reshape(n_u, n_t, p)], axis=2)
    sums = _cohort_period_sums(both, codes, n_g + 1)  # (n_g + 1, T, 1 + p)
    total = sums.sum(axis=0)
    # sum_i (u_i - pi_g) z_it for each cohort g, then weighted by Delta over t
    centred = sums[:n_g] - pi[:, None, None] * total[None]  # (n_g, T, 1 + p)
    cross = np.einsum("tj,jtk->jk", delta, centred[col_cohort])  # (J, 1 + p)
    xty = np.zeros(n_int + p)
    xty[:n_int] = cross[:, 0]
    if p:
        xtx[:n_int, n_int:] = cross[:, 1:]
        xtx[n_int:, :n_int] = cross[:, 1:].T
        xtx[n_int:, n_int:] = xcd.T @ xcd
        xty[n_int:] = xcd.T @ yd
    if np.linalg.matrix_rank(xtx) < xtx.shape[0]:
        raise EstimationError("the saturated event-study design is collinear (too few comparison units or periods)")
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ xty

    # residuals: the dummies' fitted values depend on (cohort, period) only
    b_tab = np.zeros((n_g + 1, n_t))
    np.add.at(b_tab, col_cohort, (delta * beta[:n_int][None, :]).T)
    fitted_tab = b_tab - (pi @ b_tab[:n_g])[None, :]
    resid = yd.reshape(n_u, n_t) - fitted_tab[codes]
    if p:
        resid -= (xcd @ beta[n_int:]).reshape(n_u, n_t)

    n_cl = int(cl_codes.max()) + 1
    cell = (cl_codes * n_t + np.arange(n_t)[None, :]).reshape(-1)
    r_all = np.bincount(cell, weights=resid.reshape(-1), minlength=n_cl * n_t).reshape(n_cl, n_t)
    scores = np.zeros((n_cl, n_int + p))
    nested = bool((cl_codes == cl_codes[:, :1]).all())  # every unit inside one cluster
    for c in range(n_g):
        rows = np.flatnonzero(codes == c)
        j = np.flatnonzero(col_cohort == c)
        if nested:  # unit-level products, then summed within clusters
            ind = sparse.csr_matrix((np.ones(len(rows)), (cl_codes[rows, 0], np.arange(len(rows)))),
                                    shape=(n_cl, len(rows)))
            own = ind @ (resid[rows] @ delta[:, j])
        else:  # clusters vary within units: sums over (cluster, period) cells
            r_c = np.bincount(cell.reshape(n_u, n_t)[rows].reshape(-1), weights=resid[rows].reshape(-1),
                              minlength=n_cl * n_t).reshape(n_cl, n_t)
            own = r_c @ delta[:, j]
        own -= r_all @ (pi[c] * delta[:, j])
        scores[:, j] = own
    for q in range(p):
        scores[:, n_int + q] = np.bincount(cl_codes.reshape(-1), weights=xcd[:, q] * resid.reshape(-1), minlength=n_cl)
    meat = _gram(scores)
    # fixest's small-sample factor (fixest issue 554): fixed effects count n_u + n_t - 1; unit effects
    # nested in the clusters are not counted except for one
    k = n_int + p + n_t + (0 if nested else n_u - 1)
    adj = n_cl / (n_cl - 1) * (n_obs - 1) / (n_obs - k)
    cov = adj * xtx_inv @ meat @ xtx_inv
    return SaturatedFit(beta=beta, cov=cov, counts=counts, kept_covariates=[c for c, kp in zip(covariates, keep_cov) if kp],
                        n_clusters=n_cl)
