"""Input checks and the parallel-trends interval shared by the Honest DiD modules.

Conventions of :mod:`sosek_impact.inference.honest_did`: ``betas = (beta_pre, beta_post)``, the
reference period left out; internally periods are numbered as in the R package, pre periods
``-num_pre .. -1``, the reference ``0``, post periods ``1 .. num_post``.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import erfc, sqrt

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from sosek_impact.errors import InputError

__all__ = ["check_inputs", "original_ci", "normal_sf"]


def normal_sf(x: float) -> float:
    """Standard normal survival function (scalar, fast)."""
    return 0.5 * erfc(x / sqrt(2.0))


def check_inputs(
    betas: Sequence[float], sigma: NDArray, num_pre: int, num_post: int, l_vec: Sequence[float] | None
) -> tuple[NDArray, NDArray, NDArray]:
    """Checked ``betas``, symmetrised ``sigma`` and ``l_vec`` (default: the first post period).

    Raises
    ------
    InputError
        Wrong sizes, missing values, a covariance that is not symmetric positive semi-definite,
        an all-zero ``l_vec``.
    """
    b = np.asarray(betas, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if num_pre < 1 or num_post < 1:
        raise InputError("num_pre and num_post must both be at least 1", column="num_pre/num_post", value=(num_pre, num_post))
    if b.size != num_pre + num_post:
        raise InputError(
            f"betas has {b.size} entries but num_pre + num_post = {num_pre + num_post}", column="betas", value=b.size
        )
    if S.shape != (b.size, b.size):
        raise InputError(f"sigma must be {b.size} x {b.size}", column="sigma", value=S.shape)
    if not np.all(np.isfinite(b)) or not np.all(np.isfinite(S)):
        raise InputError("betas and sigma must be finite (no missing values)", column="betas/sigma")
    if not np.allclose(S, S.T, atol=1e-12 * max(1.0, np.abs(S).max())):
        raise InputError("sigma must be symmetric", column="sigma")
    if np.linalg.eigvalsh(S).min() < -1e-10 * max(1.0, np.abs(S).max()):
        raise InputError("sigma must be positive semi-definite", column="sigma")
    lv = np.zeros(num_post) if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if l_vec is None:
        lv[0] = 1.0
    if lv.size != num_post:
        raise InputError(f"l_vec must have num_post = {num_post} entries", column="l_vec", value=lv.size)
    if not np.any(lv):
        raise InputError("l_vec must not be all zeros", column="l_vec", value=list(lv))
    return b, 0.5 * (S + S.T), lv


def original_ci(
    betas: Sequence[float],
    sigma: NDArray,
    *,
    num_pre: int,
    num_post: int,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Confidence interval for ``l' beta_post`` under exact parallel trends (``delta_post = 0``)."""
    b, S, lv = check_inputs(betas, sigma, num_pre, num_post, l_vec)
    est = float(lv @ b[num_pre:])
    se = float(np.sqrt(lv @ S[num_pre:, num_pre:] @ lv))
    z = stats.norm.ppf(1 - alpha / 2)
    return est - z * se, est + z * se

