"""Relative-magnitude restrictions of Rambachan and Roth (2023) and their robust confidence sets.

``"relative_magnitude"`` (:math:`\\Delta^{RM}(\\bar M)`)
    every post-period change ``delta_t - delta_{t-1}`` is at most ``Mbar`` times the largest
    pre-period change in absolute value (``HonestDiD``'s ``bound = "deviation from parallel
    trends"``);
``"sdrm"`` (:math:`\\Delta^{SDRM}(\\bar M)`)
    every post-period *second* difference ``delta_{t+1} - 2 delta_t + delta_{t-1}``
    (``t = 0, ..., num_post - 1``) is at most ``Mbar`` times the largest pre-period second
    difference (centred on ``-num_pre + 1, ..., -1``) in absolute value: the deviation from a
    linear extrapolation of the pre-trend may grow by no more than ``Mbar`` times the largest
    pre-period change of slope (``bound = "deviation from linear trend"``; needs two or more
    pre periods). ``Mbar = 0`` is the linear extrapolation of the last pre-period slope.

Each set is a union of polyhedra, one per location and sign of the largest pre-period
(second) difference; :func:`~sosek_impact.inference.honest_arp.union_confidence_set` inverts
the ARP conditional or hybrid test on each and reports the union. As in ``HonestDiD``, only the
moments involving post periods are used (``postPeriodMomentsOnly = TRUE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Required, TypedDict, Unpack

import numpy as np
from numpy.typing import NDArray

from sosek_impact.errors import InputError
from sosek_impact.inference.honest_arp import union_confidence_set
from sosek_impact.inference.honest_inputs import check_inputs

__all__ = ["RelativeSetOptions", "relative_constraints", "rm_confidence_set", "sdrm_confidence_set"]


def _difference_row(periods: list[int], center: int, order: int) -> NDArray:
    """``delta_c - delta_{c-1}`` (order 1) or ``delta_{c+1} - 2 delta_c + delta_{c-1}`` (order 2)."""
    r = np.zeros(len(periods))
    coefs = {1: {0: 1.0, -1: -1.0}, 2: {1: 1.0, 0: -2.0, -1: 1.0}}[order]
    for shift, c in coefs.items():
        r[periods.index(center + shift)] += c
    return r


def relative_constraints(num_pre: int, num_post: int, Mbar: float, s: int, sign: float, order: int = 1) -> NDArray:
    """Rows ``A`` of ``A delta <= 0`` for the piece where the pre-period difference at ``s`` is the
    largest, with sign ``sign``: ``|post difference_t| <= Mbar * sign * pre difference_s``.

    ``order = 1`` (:math:`\\Delta^{RM}`): first differences, ``s`` in ``-num_pre + 1 .. 0``, post
    ``t`` in ``1 .. num_post``. ``order = 2`` (:math:`\\Delta^{SDRM}`): second differences centred
    on ``s`` in ``-num_pre + 1 .. -1``, post centres ``t`` in ``0 .. num_post - 1``. Columns are the
    periods ``-num_pre .. num_post`` without the reference ``0``; only post-period moments are kept.
    """
    periods = list(range(-num_pre, num_post + 1))
    pre = sign * Mbar * _difference_row(periods, s, order)
    rows = []
    for t in (range(1, num_post + 1) if order == 1 else range(0, num_post)):
        d = _difference_row(periods, t, order)
        rows.append(d - pre)
        rows.append(-d - pre)
    return np.delete(np.array(rows), periods.index(0), axis=1)


def _pieces(num_pre: int, num_post: int, Mbar: float, order: int) -> list[NDArray]:
    locations = range(-num_pre + 1, 1) if order == 1 else range(-num_pre + 1, 0)
    return [relative_constraints(num_pre, num_post, Mbar, s, sign, order) for s in locations for sign in (1.0, -1.0)]


class RelativeSetOptions(TypedDict, total=False):
    """Keyword arguments of :func:`rm_confidence_set` and :func:`sdrm_confidence_set`.

    ``num_pre``, ``num_post``
        Numbers of pre- and post-period coefficients in ``betas`` (reference period excluded).
    ``Mbar``
        Bound on the post-period (second) differences relative to the largest pre-period one.
    ``l_vec``
        Weights of the post-period coefficients in the target ``l' tau_post`` (default: the first).
    ``alpha``
        Level of the test inverted (default 0.05).
    ``hybrid``
        ``"LF"`` (conditional least-favourable hybrid, default) or ``"none"`` (conditional).
    ``grid_points``
        Points of each piece's grid (default 61).
    ``seed``
        Seed of the least-favourable critical values (default 0).
    """

    num_pre: Required[int]
    num_post: Required[int]
    Mbar: Required[float]
    l_vec: Sequence[float] | None
    alpha: float
    hybrid: Literal["LF", "none"]
    grid_points: int
    seed: int


def _rm_grid(b: NDArray, S: NDArray, lv: NDArray, num_pre: int, num_post: int, Mbar: float) -> tuple[float, float]:
    """Centre (the estimate) and half-width of the first grid under :math:`\\Delta^{RM}`."""
    theta_hat = float(lv @ b[num_pre:])
    sd_theta = float(np.sqrt(lv @ S[num_pre:, num_pre:] @ lv))
    pre_path = np.concatenate([b[:num_pre], [0.0]])
    max_pre = float(np.max(np.abs(np.diff(pre_path)))) if num_pre >= 1 else 0.0
    drift = float(np.sum(np.abs(lv) * np.arange(1, num_post + 1)))
    return theta_hat, 8.0 * sd_theta + Mbar * (max_pre + 4.0 * np.sqrt(np.max(np.diag(S)))) * drift


def _sdrm_grid(b: NDArray, S: NDArray, lv: NDArray, num_pre: int, num_post: int, Mbar: float) -> tuple[float, float]:
    """Centre (the estimate under ``Mbar = 0``) and half-width of the first grid under :math:`\\Delta^{SDRM}`."""
    t = np.arange(1, num_post + 1, dtype=float)
    w = np.zeros(b.size)
    w[num_pre:] = lv
    w[num_pre - 1] = float(lv @ t)  # theta under Mbar = 0: l'(beta_post + t beta_{-1})
    center = float(w @ b)
    sd_center = float(np.sqrt(w @ S @ w))
    path = np.concatenate([b[:num_pre], [0.0]])
    max_pre = float(np.max(np.abs(np.diff(path, 2))))
    drift = float(np.sum(np.abs(lv) * t * (t + 1) / 2))  # second differences accumulate quadratically
    return center, 8.0 * sd_center + Mbar * (max_pre + 8.0 * np.sqrt(np.max(np.diag(S)))) * drift


def _relative_confidence_set(
    order: int,
    betas: Sequence[float],
    sigma: NDArray,
    *,
    num_pre: int,
    num_post: int,
    Mbar: float,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
    hybrid: Literal["LF", "none"] = "LF",
    grid_points: int = 61,
    seed: int = 0,
) -> tuple[float, float]:
    """The confidence set under first (``order = 1``) or second (``order = 2``) relative differences."""
    b, S, lv = check_inputs(betas, sigma, num_pre, num_post, l_vec)
    if order == 2 and num_pre < 2:
        raise InputError("the SDRM restriction needs at least two pre-period coefficients", column="num_pre",
                         value=num_pre)
    if Mbar < 0:
        raise InputError("Mbar must be non-negative", column="Mbar", value=Mbar)
    center, half = (_rm_grid if order == 1 else _sdrm_grid)(b, S, lv, num_pre, num_post, Mbar)
    return union_confidence_set(b, S, num_pre=num_pre, lv=lv, pieces=_pieces(num_pre, num_post, Mbar, order),
                                center=center, half=half, alpha=alpha, hybrid=hybrid, grid_points=grid_points,
                                seed=seed)


def rm_confidence_set(
    betas: Sequence[float], sigma: NDArray, **options: Unpack[RelativeSetOptions]
) -> tuple[float, float]:
    """Robust confidence set for ``l' tau_post`` under :math:`\\Delta^{RM}(\\bar M)`.

    ``options`` are the keywords of :class:`RelativeSetOptions` (``num_pre``, ``num_post`` and
    ``Mbar`` required). Returns ``(lb, ub)``: the smallest and largest accepted ``theta`` over all
    pieces (a piece's accepted set is found on a grid and its ends refined by bisection).
    ``(nan, nan)`` if no value is accepted (the restrictions are rejected by the pre-trends).

    Raises
    ------
    InputError
        With a negative ``Mbar`` or inputs :func:`~sosek_impact.inference.honest_inputs.check_inputs` rejects.
    """
    return _relative_confidence_set(1, betas, sigma, **options)


def sdrm_confidence_set(
    betas: Sequence[float], sigma: NDArray, **options: Unpack[RelativeSetOptions]
) -> tuple[float, float]:
    """Robust confidence set for ``l' tau_post`` under :math:`\\Delta^{SDRM}(\\bar M)`.

    As :func:`rm_confidence_set`, with second differences (module docstring). The grid is
    centred on the estimate under ``Mbar = 0``, ``l' (beta_post + t * beta_{-1})``: the last
    pre-period slope extrapolated.

    Raises
    ------
    InputError
        With fewer than two pre periods (no pre-period second difference exists), or a
        negative ``Mbar``.
    """
    return _relative_confidence_set(2, betas, sigma, **options)
