"""Two-group, two-period DiD estimators for repeated cross-sections, with influence functions.

The repeated cross-section versions (Sant'Anna & Zhao 2020, section 3.2) of the estimators in
:mod:`.did_drdid`, as R ``DRDID``'s ``reg_did_rc``, ``std_ipw_did_rc`` and ``drdid_rc`` (the
locally efficient doubly robust estimator) compute them. Each observation is a row with outcome
``y``, a post-period dummy ``post`` and a treatment-group dummy ``d``; the influence function
has one value per row (``se = sqrt(mean(psi**2) / n)``). ``x`` holds the covariates of each row
in its own period with the intercept first.

- ``"reg"``: outcome regressions among comparison rows, fitted separately in the two periods;
  ATT = change of the treated mean minus the mean predicted change for the treated.
- ``"ipw"``: normalised (Hajek) inverse probability weighting with one logit propensity score
  fitted on all rows of both periods.
- ``"dr"``: the locally efficient doubly robust estimator, with outcome regressions among
  comparison and treated rows in each period.

Weights are used as given (every formula is invariant to rescaling them). Influence functions
include the estimation effect of the propensity score and of the outcome regressions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sosek_impact.errors import EstimationError
from sosek_impact.estimators.did_drdid import TRIM_LEVEL, logit

__all__ = ["reg_did_rc", "ipw_did_rc", "dr_did_rc", "ESTIMATORS_RC"]


def _wls(y: np.ndarray, x: np.ndarray, ws: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Weighted OLS of ``y`` on ``x`` with weights ``ws`` (zero outside the subset).

    Returns the fitted values for every row and the influence function of the coefficients,
    ``ws e x (X' ws X / n)^{-1}`` (n, k).
    """
    n = len(y)
    wx = x * ws[:, None]
    xtwx = wx.T @ x
    if not np.any(ws > 0) or 1.0 / np.linalg.cond(xtwx / n) < np.finfo(float).eps:
        raise EstimationError(f"outcome regression among {what} is singular (too few rows or collinear covariates)")
    beta = np.linalg.solve(xtwx, wx.T @ y)
    fitted = x @ beta
    alr = (x * (ws * (y - fitted))[:, None]) @ np.linalg.inv(xtwx / n)
    return fitted, alr


def _pscore_rc(d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Propensity score on all rows, its influence function and ``DRDID``'s trimming indicator."""
    p, hinv = logit(d, x, w)
    alr_ps = (x * (w * (d - p))[:, None]) @ hinv
    p = np.minimum(p, 1 - 1e-6)
    keep = np.where(d == 1, p < 1.01, p < TRIM_LEVEL).astype(float)
    return p, alr_ps, keep


def _check_cells(post: np.ndarray, d: np.ndarray) -> None:
    for dd, pp, what in ((1, 1, "treated rows in the period"), (1, 0, "treated rows in the base period"),
                         (0, 1, "comparison rows in the period"), (0, 0, "comparison rows in the base period")):
        if not np.any((d == dd) & (post == pp)):
            raise EstimationError(f"no {what}")


def reg_did_rc(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD for repeated cross-sections (``DRDID::reg_did_rc``)."""
    _check_cells(post, d)
    fit_pre, alr_pre = _wls(y, x, w * (1 - d) * (1 - post), "comparison rows of the base period")
    fit_post, alr_post = _wls(y, x, w * (1 - d) * post, "comparison rows of the period")
    w_pre, w_post, w_d = w * d * (1 - post), w * d * post, w * d
    eta_pre = np.mean(w_pre * y) / w_pre.mean()
    eta_post = np.mean(w_post * y) / w_post.mean()
    cont = w_d * (fit_post - fit_pre)
    eta_cont = cont.mean() / w_d.mean()
    inf_treat = (w_post * y - w_post * eta_post) / w_post.mean() - (w_pre * y - w_pre * eta_pre) / w_pre.mean()
    m1 = (w_d[:, None] * x).mean(axis=0)
    inf_cont = (cont - w_d * eta_cont + alr_post @ m1 - alr_pre @ m1) / w_d.mean()
    return float((eta_post - eta_pre) - eta_cont), inf_treat - inf_cont


def ipw_did_rc(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Normalised IPW DiD for repeated cross-sections (``DRDID::std_ipw_did_rc``)."""
    _check_cells(post, d)
    p, alr_ps, keep = _pscore_rc(d, x, w)
    odds = p / (1 - p)
    wt = {"pre": keep * w * d * (1 - post), "post": keep * w * d * post}
    wc = {"pre": keep * w * odds * (1 - d) * (1 - post), "post": keep * w * odds * (1 - d) * post}
    att_t = {k: np.mean(v * y) / v.mean() for k, v in wt.items()}
    att_c = {k: np.mean(v * y) / v.mean() for k, v in wc.items()}

    def centred(v: np.ndarray, a: float) -> np.ndarray:
        return (v * y - v * a) / v.mean()

    inf_treat = centred(wt["post"], att_t["post"]) - centred(wt["pre"], att_t["pre"])
    m2 = {k: ((v * (y - att_c[k]))[:, None] * x).mean(axis=0) / v.mean() for k, v in wc.items()}
    inf_cont = centred(wc["post"], att_c["post"]) - centred(wc["pre"], att_c["pre"]) + alr_ps @ (m2["post"] - m2["pre"])
    att = (att_t["post"] - att_t["pre"]) - (att_c["post"] - att_c["pre"])
    return float(att), inf_treat - inf_cont


def dr_did_rc(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD for repeated cross-sections (``DRDID::drdid_rc``)."""
    _check_cells(post, d)
    p, alr_ps, keep = _pscore_rc(d, x, w)
    fc_pre, alr_c_pre = _wls(y, x, w * (1 - d) * (1 - post), "comparison rows of the base period")
    fc_post, alr_c_post = _wls(y, x, w * (1 - d) * post, "comparison rows of the period")
    ft_pre, alr_t_pre = _wls(y, x, w * d * (1 - post), "treated rows of the base period")
    ft_post, alr_t_post = _wls(y, x, w * d * post, "treated rows of the period")
    fc = post * fc_post + (1 - post) * fc_pre
    odds = p / (1 - p)
    w_t_pre, w_t_post = keep * w * d * (1 - post), keep * w * d * post
    w_c_pre, w_c_post = keep * w * odds * (1 - d) * (1 - post), keep * w * odds * (1 - d) * post
    w_d, w_dt1, w_dt0 = keep * w * d, keep * w * d * post, keep * w * d * (1 - post)
    resid = y - fc

    def eta(v: np.ndarray, u: np.ndarray) -> np.ndarray:
        return v * u / v.mean()

    e_t_pre, e_t_post = eta(w_t_pre, resid), eta(w_t_post, resid)
    e_c_pre, e_c_post = eta(w_c_pre, resid), eta(w_c_post, resid)
    e_d_post, e_dt1_post = eta(w_d, ft_post - fc_post), eta(w_dt1, ft_post - fc_post)
    e_d_pre, e_dt0_pre = eta(w_d, ft_pre - fc_pre), eta(w_dt0, ft_pre - fc_pre)
    a = {k: float(v.mean()) for k, v in dict(t_pre=e_t_pre, t_post=e_t_post, c_pre=e_c_pre, c_post=e_c_post,
                                             d_post=e_d_post, dt1_post=e_dt1_post, d_pre=e_d_pre,
                                             dt0_pre=e_dt0_pre).items()}
    att = ((a["t_post"] - a["t_pre"]) - (a["c_post"] - a["c_pre"])
           + (a["d_post"] - a["dt1_post"]) - (a["d_pre"] - a["dt0_pre"]))

    def centred(e: np.ndarray, v: np.ndarray, mean_e: float) -> np.ndarray:
        return e - v * mean_e / v.mean()

    def colmean(v: np.ndarray) -> np.ndarray:
        return (v[:, None] * x).mean(axis=0)

    inf_t_pre, inf_t_post = centred(e_t_pre, w_t_pre, a["t_pre"]), centred(e_t_post, w_t_post, a["t_post"])
    m1_post = -colmean(w_t_post * post) / w_t_post.mean()
    m1_pre = -colmean(w_t_pre * (1 - post)) / w_t_pre.mean()
    inf_treat = inf_t_post - inf_t_pre + alr_c_post @ m1_post + alr_c_pre @ m1_pre
    inf_c_pre, inf_c_post = centred(e_c_pre, w_c_pre, a["c_pre"]), centred(e_c_post, w_c_post, a["c_post"])
    m2_pre = colmean(w_c_pre * (resid - a["c_pre"])) / w_c_pre.mean()
    m2_post = colmean(w_c_post * (resid - a["c_post"])) / w_c_post.mean()
    m3_post = -colmean(w_c_post * post) / w_c_post.mean()
    m3_pre = -colmean(w_c_pre * (1 - post)) / w_c_pre.mean()
    inf_cont = (inf_c_post - inf_c_pre + alr_ps @ (m2_post - m2_pre)
                + alr_c_post @ m3_post + alr_c_pre @ m3_pre)
    inf_eff = ((centred(e_d_post, w_d, a["d_post"]) - centred(e_dt1_post, w_dt1, a["dt1_post"]))
               - (centred(e_d_pre, w_d, a["d_pre"]) - centred(e_dt0_pre, w_dt0, a["dt0_pre"])))
    mom_post = colmean(w_d / w_d.mean() - w_dt1 / w_dt1.mean())
    mom_pre = colmean(w_d / w_d.mean() - w_dt0 / w_dt0.mean())
    inf_or = (alr_t_post - alr_c_post) @ mom_post - (alr_t_pre - alr_c_pre) @ mom_pre
    return float(att), inf_treat - inf_cont + inf_eff + inf_or


ESTIMATORS_RC: dict[str, Callable[..., tuple[float, np.ndarray]]] = {
    "dr": dr_did_rc,
    "ipw": ipw_did_rc,
    "reg": reg_did_rc,
}
