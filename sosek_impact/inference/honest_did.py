"""Sensitivity of event-study conclusions to violations of parallel trends (Rambachan and Roth 2023).

The event-study coefficients are ``betahat = (beta_pre, beta_post)`` (the reference period,
normalised to zero, left out) with covariance ``sigma``. They estimate ``tau + delta``, where
``tau_pre = 0`` and ``delta`` is the difference in trends. The target is ``theta = l' tau_post``.
Three restrictions on ``delta`` are offered:

``"smoothness"`` (:math:`\\Delta^{SD}(M)`)
    the slope of ``delta`` changes by at most ``M`` between consecutive periods; robust interval:
    the optimal fixed-length CI (:mod:`.honest_flci`);
``"relative_magnitude"`` (:math:`\\Delta^{RM}(\\bar M)`)
    post-period changes of ``delta`` at most ``Mbar`` times the largest pre-period change;
``"sdrm"`` (:math:`\\Delta^{SDRM}(\\bar M)`)
    post-period changes of *slope* at most ``Mbar`` times the largest pre-period change of slope
    (relative magnitudes of deviations from a linear trend, HonestDiD's ``bound = "deviation from
    linear trend"``).

The last two are unions of polyhedra; their robust confidence sets invert the conditional
moment-inequality test of Andrews, Roth and Pakes (2023), by default in its least-favourable
hybrid form (``"C-LF"``), on each piece (:mod:`.honest_restrictions`, :mod:`.honest_arp`).
The module is split along those seams: input checks (:mod:`.honest_inputs`), FLCI, ARP tests,
restrictions, result (:mod:`.honest_result`); this module keeps the public entry points.

The Python package ``honestdid`` (0.1.1 on PyPI) was tried first: it pulls in PyTorch and its
relative-magnitude routine fails on the HonestDiD README example, so this code is our own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import InputError
from sosek_impact.estimators._options import check_choice
from sosek_impact.inference.honest_flci import flci, flci_weights
from sosek_impact.inference.honest_inputs import check_inputs, original_ci
from sosek_impact.inference.honest_restrictions import rm_confidence_set, sdrm_confidence_set
from sosek_impact.inference.honest_result import HonestDiDResult

__all__ = [
    "HonestDiDResult",
    "flci",
    "flci_weights",
    "honest_did",
    "honest_did_event_study",
    "original_ci",
    "rm_confidence_set",
    "sdrm_confidence_set",
]

_METHODS = ("relative_magnitude", "smoothness", "sdrm")


def _from_result(result: Any, post_periods: Sequence[int] | None) -> tuple[NDArray, NDArray, int, int]:
    """``betas, sigma, num_pre, num_post`` of an event-time result normalised at ``-1``."""
    from sosek_impact.diagnostics.event_time_inputs import EventTimeInputs, event_time_inputs

    if isinstance(result, EventTimeInputs) or hasattr(result, "tidy"):
        x = event_time_inputs(result)
        ref, times = x.ref, [int(e) for e in x.event_times]
        by_time = dict(zip(times, range(len(times))))

        def pick(es: list[int]) -> tuple[NDArray, NDArray]:
            idx = [by_time[e] for e in es]
            return x.betas[idx], x.sigma[np.ix_(idx, idx)]
    else:  # anything with labelled params / cov ("e=<k>"), event_times and ref
        ref = int(getattr(result, "ref", -1))
        times = sorted(int(e) for e in result.event_times)

        def pick(es: list[int]) -> tuple[NDArray, NDArray]:
            names = [f"e={e}" for e in es]
            missing = [n for n in names if n not in result.params.index]
            if missing:
                raise InputError("event-time coefficient not found in the result", column="params", value=missing[0])
            return result.params.loc[names].to_numpy(dtype=float), result.cov.loc[names, names].to_numpy(dtype=float)

    if ref != -1:
        raise InputError("HonestDiD needs the event study normalised at event time -1", column="ref", value=ref)
    pre = [e for e in times if e < -1]
    post = [e for e in times if e >= 0]
    if post_periods is not None:
        post = [e for e in post if e in {int(p) for p in post_periods}]
    if not pre or not post:
        raise InputError("the event study needs at least one lead (< -1) and one lag (>= 0)", column="event_times",
                         value=times)
    if pre != list(range(pre[0], -1)) or post != list(range(post[-1] + 1)):
        raise InputError("event times must be consecutive around the reference -1", column="event_times", value=times)
    betas, sigma = pick(pre + post)
    return betas, sigma, len(pre), len(post)


def honest_did(
    betas: Sequence[float] | Any,
    sigma: NDArray | None = None,
    *,
    num_pre: int | None = None,
    num_post: int | None = None,
    method: Literal["relative_magnitude", "smoothness", "sdrm"] = "relative_magnitude",
    Mbar: Sequence[float] | None = None,
    M: Sequence[float] | None = None,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
    hybrid: Literal["LF", "none"] = "LF",
    seed: int = 0,
    refine_breakdown: bool = True,
    post_periods: Sequence[int] | None = None,
) -> HonestDiDResult:
    """Rambachan–Roth robust confidence intervals over a grid of restrictions, and the breakdown value.

    Parameters
    ----------
    betas
        Event-study coefficients, pre-periods first (earliest first), then post-periods; the
        reference period (normalised to zero, ``-1``) left out. Or, with ``sigma=None``, an
        event-time result of the package — the TWFE event study, Sun–Abraham, the dynamic
        aggregate of ``att_gt`` with ``base_period="universal"`` (see
        :func:`sosek_impact.diagnostics.event_time_inputs`) — whose coefficients and covariance
        are read through the results protocol; its event times must be consecutive around the
        reference ``-1``.
    sigma
        Covariance matrix of ``betas``. It is treated as the known covariance of asymptotically
        normal estimates: the confidence sets are valid to the extent that the estimator's
        covariance (its clustering, its small-sample corrections) is; with few clusters that is
        the weak point. Read from the result when ``betas`` is one.
    num_pre, num_post
        Number of pre- and post-period coefficients (from the result when one is given).
    method
        ``"relative_magnitude"`` (:math:`\\Delta^{RM}(\\bar M)`), ``"smoothness"``
        (:math:`\\Delta^{SD}(M)`) or ``"sdrm"`` (:math:`\\Delta^{SDRM}(\\bar M)`, two or more
        pre periods).
    Mbar
        Grid for relative magnitudes and SDRM (default ``0, 0.5, 1, 1.5, 2``).
    M
        Grid for smoothness (default 0 to ``2 * sd(first post beta)`` in 6 steps).
    l_vec
        Weights defining ``theta = l' tau_post`` (default: the first post period).
    alpha
        One minus the confidence level.
    hybrid
        Relative magnitudes and SDRM: ``"LF"`` (conditional-least-favourable hybrid, HonestDiD's
        default ``C-LF``) or ``"none"`` (plain conditional test).
    seed
        Seed of the least-favourable critical value simulation.
    refine_breakdown
        Refine the breakdown value by bisection between grid points.
    post_periods
        With a result: event times ``>= 0`` to keep (default all; from 0, consecutive).

    Returns
    -------
    HonestDiDResult

    Raises
    ------
    InputError
        Inconsistent sizes, missing values, a result without a covariance or not normalised at
        ``-1``, an unknown method, negative restriction parameters.
    """
    if sigma is None:
        if num_pre is not None or num_post is not None:
            raise InputError("num_pre / num_post are read from the result; give sigma with raw betas",
                             column="sigma")
        betas, sigma, num_pre, num_post = _from_result(betas, post_periods)
    elif num_pre is None or num_post is None:
        raise InputError("give num_pre and num_post with betas and sigma", column="num_pre/num_post")
    b, S, lv = check_inputs(betas, sigma, num_pre, num_post, l_vec)
    orig = original_ci(b, S, num_pre=num_pre, num_post=num_post, l_vec=lv, alpha=alpha)
    if method in ("relative_magnitude", "sdrm"):
        grid = np.asarray(Mbar if Mbar is not None else [0.0, 0.5, 1.0, 1.5, 2.0], dtype=float)
        label = "C-LF" if hybrid == "LF" else "Conditional"
        conf_set = rm_confidence_set if method == "relative_magnitude" else sdrm_confidence_set
        if method == "sdrm" and num_pre < 2:
            raise InputError("the SDRM restriction needs at least two pre-period coefficients", column="num_pre",
                             value=num_pre)

        def ci(m: float) -> tuple[float, float]:
            return conf_set(b, S, num_pre=num_pre, num_post=num_post, Mbar=m, l_vec=lv, alpha=alpha, hybrid=hybrid,
                            seed=seed)
    elif method == "smoothness":
        sd1 = float(np.sqrt(S[num_pre, num_pre]))
        grid = np.asarray(M if M is not None else np.linspace(0, 2 * sd1, 6), dtype=float)
        label = "FLCI"

        def ci(m: float) -> tuple[float, float]:
            return flci(b, S, num_pre=num_pre, num_post=num_post, M=m, l_vec=lv, alpha=alpha)
    else:
        check_choice("method", method, _METHODS)
    if np.any(grid < 0):
        raise InputError("restriction parameters must be non-negative", column="Mbar/M", value=list(grid))
    grid = np.sort(grid)
    rows = [(m, *ci(float(m))) for m in grid]
    table = pd.DataFrame(rows, columns=["M", "lb", "ub"])
    table["method"] = label
    table["restriction"] = method
    breakdown = _breakdown(orig, table, grid, ci, refine_breakdown)
    return HonestDiDResult(table=table, original=orig, breakdown=breakdown, method=label, restriction=method,
                           alpha=float(alpha))


def _excludes_zero(lb: float, ub: float) -> bool:
    return bool(np.isfinite(lb) and (lb > 0 or ub < 0))


def _breakdown(orig: tuple[float, float], table: pd.DataFrame, grid: NDArray, ci: Any, refine: bool) -> float:
    """Largest restriction parameter at which the robust interval excludes zero (see HonestDiDResult)."""
    if not _excludes_zero(*orig):
        return float("nan")
    excl = [_excludes_zero(lb, ub) for lb, ub in zip(table["lb"], table["ub"])]
    if all(excl):
        return float("inf")
    if not excl[0]:
        return 0.0
    j = excl.index(False)
    lo, hi = float(grid[j - 1]), float(grid[j])
    if refine:
        for _ in range(12):
            mid = 0.5 * (lo + hi)
            if _excludes_zero(*ci(mid)):
                lo = mid
            else:
                hi = mid
    return lo


def honest_did_event_study(result: Any, *, post_periods: Sequence[int] | None = None, **kwargs: Any) -> HonestDiDResult:
    """:func:`honest_did` on an event-time result (kept for existing callers: ``honest_did(result)`` does the same).

    Parameters
    ----------
    result
        An event-time result of the package (see :func:`honest_did`), or any object with
        ``params`` and ``cov`` (pandas, labelled ``"e=<event time>"``), ``event_times`` and
        ``ref``; the reference event time must be ``-1`` and the event times consecutive, as the
        restrictions speak of changes between adjacent periods. With binned end points the
        outermost coefficients pool several periods: read the smoothness restriction at those
        end points with care.
    post_periods
        Event times ``>= 0`` to keep (default: all); they must start at 0 and be consecutive.
    **kwargs
        Passed on to :func:`honest_did` (``method``, ``Mbar``, ``M``, ``l_vec``, ``alpha`` ...).

    Returns
    -------
    HonestDiDResult
    """
    return honest_did(result, post_periods=post_periods, **kwargs)


make_module_callable(__name__)  # `from sosek_impact.inference import honest_did` is the function either way
