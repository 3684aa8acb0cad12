"""Two-group, two-period panel DiD estimators with influence functions (Sant'Anna & Zhao 2020).

These are the building blocks of :func:`sosek_impact.estimators.did.att_gt`: for one
group-time cell, the outcome change ``dy = Y_post - Y_pre`` of treated (``d = 1``) and comparison
(``d = 0``) units gives ATT and its influence function, one value per unit, so that
``se = sqrt(mean(psi**2) / n)``.

- ``"reg"``: outcome regression (Heckman, Ichimura & Todd 1997): weighted OLS of ``dy`` on the
  covariates among comparison units, predicted for the treated.
- ``"ipw"``: normalised (Hajek) inverse probability weighting (Abadie 2005) with a logit
  propensity score.
- ``"dr"``: the locally efficient doubly robust estimator of Sant'Anna & Zhao (2020), with logit
  propensity score (maximum likelihood) and weighted-OLS outcome regression on comparison units —
  the estimator R ``did`` runs for ``est_method = "dr"`` on panel data (``DRDID::drdid_panel``).

Each influence function includes the estimation effect of the propensity score and of the outcome
regression (their asymptotically linear representations), as in R ``DRDID``. The covariate matrix
``x`` must contain the intercept as its first column.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sosek_impact.errors import EstimationError

__all__ = ["reg_did", "ipw_did", "dr_did", "logit", "ESTIMATORS"]

#: comparison units with a propensity score at or above this are dropped (as ``DRDID``'s trim.level)
TRIM_LEVEL = 0.995


def logit(d: np.ndarray, x: np.ndarray, w: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logit by Newton–Raphson.

    Parameters
    ----------
    d
        0/1 outcome, shape (n,).
    x
        Regressors with intercept first, shape (n, k).
    w
        Non-negative observation weights, shape (n,).

    Returns
    -------
    p, hess_inv_n
        Fitted probabilities and ``n * (X' W X)^{-1}`` with ``W = w p (1 - p)`` (the inverse of the
        mean Hessian), used in the asymptotic linear representation of the coefficients.
    """
    n, k = x.shape
    if k == 1:  # intercept only: closed form
        p_bar = float(np.sum(w * d) / np.sum(w))
        if not 0.0 < p_bar < 1.0:
            raise EstimationError("propensity score is 0 or 1: no treated or no comparison units")
        p = np.full(n, p_bar)
        h = np.sum(w * p * (1 - p))
        return p, np.array([[n / h]])
    beta = np.zeros(k)
    p_bar = np.sum(w * d) / np.sum(w)
    beta[0] = np.log(p_bar / (1 - p_bar))
    for _ in range(max_iter):
        eta = x @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = x.T @ (w * (d - p))
        hess = (x * (w * p * (1 - p))[:, None]).T @ x
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            break
    else:
        raise EstimationError("propensity-score logit did not converge (perfect separation?)")
    p = 1.0 / (1.0 + np.exp(-(x @ beta)))
    hess = (x * (w * p * (1 - p))[:, None]).T @ x
    return p, n * np.linalg.inv(hess)


def _ols_controls(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted OLS of ``dy`` on ``x`` among comparison units; fitted values for all and their IF.

    Returns ``(fitted, asy_lin_rep)`` where ``asy_lin_rep`` (n, k) is the influence function of the
    coefficients: ``w (1 - d) e x (X'WX / n)^{-1}``.
    """
    n = len(dy)
    wc = w * (1 - d)
    xtwx = (x * wc[:, None]).T @ x
    if x.shape[1] > 1 and 1.0 / np.linalg.cond(xtwx) < np.finfo(float).eps:
        raise EstimationError("outcome regression among comparison units is singular (too few comparison units)")
    beta = np.linalg.solve(xtwx, (x * wc[:, None]).T @ dy)
    fitted = x @ beta
    alr = (x * (wc * (dy - fitted))[:, None]) @ np.linalg.inv(xtwx / n)
    return fitted, alr


def reg_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD (``DRDID::reg_did_panel``): ATT and influence function."""
    fitted, alr = _ols_controls(dy, d, x, w)
    w_t = w * d
    m_t = w_t.mean()
    eta_t = np.mean(w_t * dy) / m_t
    eta_c = np.mean(w_t * fitted) / m_t
    if_t = (w_t * dy - w_t * eta_t) / m_t
    m1 = (w_t[:, None] * x).mean(axis=0)
    if_c = (w_t * fitted - w_t * eta_c + alr @ m1) / m_t
    return float(eta_t - eta_c), if_t - if_c


def _pscore(d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Propensity score, its IF (``score @ H^{-1}``) and the trimming indicator of ``DRDID``."""
    p, hinv = logit(d, x, w)
    alr_ps = (x * (w * (d - p))[:, None]) @ hinv
    p = np.minimum(p, 1 - 1e-6)
    keep = np.where(d == 1, p < 1.01, p < TRIM_LEVEL)
    return p, alr_ps, keep.astype(float)


def ipw_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Normalised IPW DiD (``DRDID::std_ipw_did_panel``): ATT and influence function."""
    p, alr_ps, keep = _pscore(d, x, w)
    w_t = keep * w * d
    w_c = keep * w * p * (1 - d) / (1 - p)
    m_t, m_c = w_t.mean(), w_c.mean()
    eta_t = np.mean(w_t * dy) / m_t
    eta_c = np.mean(w_c * dy) / m_c
    if_t = (w_t * dy - w_t * eta_t) / m_t
    m2 = ((w_c * (dy - eta_c))[:, None] * x).mean(axis=0)
    if_c = (w_c * dy - w_c * eta_c + alr_ps @ m2) / m_c
    return float(eta_t - eta_c), if_t - if_c


def dr_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD (``DRDID::drdid_panel``): ATT and influence function."""
    p, alr_ps, keep = _pscore(d, x, w)
    fitted, alr_ols = _ols_controls(dy, d, x, w)
    w_t = keep * w * d
    w_c = keep * w * p * (1 - d) / (1 - p)
    m_t, m_c = w_t.mean(), w_c.mean()
    resid = dy - fitted
    eta_t = np.mean(w_t * resid) / m_t
    eta_c = np.mean(w_c * resid) / m_c
    m1 = (w_t[:, None] * x).mean(axis=0)
    if_t = (w_t * resid - w_t * eta_t - alr_ols @ m1) / m_t
    m2 = ((w_c * (resid - eta_c))[:, None] * x).mean(axis=0)
    m3 = (w_c[:, None] * x).mean(axis=0)
    if_c = (w_c * resid - w_c * eta_c + alr_ps @ m2 - alr_ols @ m3) / m_c
    return float(eta_t - eta_c), if_t - if_c


ESTIMATORS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[float, np.ndarray]]] = {
    "dr": dr_did,
    "ipw": ipw_did,
    "reg": reg_did,
}
