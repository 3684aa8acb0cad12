"""What the Monte Carlo evaluates: an :class:`Estimate` and an estimator x inference :class:`Method`.

This module imports nothing else of :mod:`sosek_impact.montecarlo`; every other submodule may
import it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sosek_impact.simulate import true_simple_att

__all__ = ["Estimate", "Method"]


@dataclass(frozen=True)
class Estimate:
    """One estimate with its confidence interval.

    Attributes
    ----------
    estimate
        Point estimate.
    ci_low, ci_high
        Bounds of the confidence interval at the method's level (NaN if none, infinite if
        unbounded).
    se
        Standard error, when the inference procedure has one (NaN otherwise).
    p_value
        Two-sided p-value of no effect, when the procedure reports one (NaN otherwise).
    """

    estimate: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    se: float = math.nan
    p_value: float = math.nan


def _default_target(data: pd.DataFrame) -> float:
    return true_simple_att(data)


@dataclass(frozen=True)
class Method:
    """An estimator x inference pair to evaluate.

    Attributes
    ----------
    name
        Label used in tables, e.g. ``"TWFE + cluster"``.
    fit
        ``fit(data, seed) -> Estimate``; ``seed`` is an integer for any randomness of the
        inference (bootstrap, permutations). To run on another process or machine
        (``n_jobs > 1`` needs nothing; an ``executor`` does), ``fit`` must be picklable: a
        module-level function or an instance of a module-level class.
    target
        ``target(data) -> float``: the true value the method should estimate on this panel
        (default: the simple ATT of Callaway and Sant'Anna, :func:`~sosek_impact.simulate.true_simple_att`).
    estimator, inference
        Short descriptions for tables.
    """

    name: str
    fit: Callable[[pd.DataFrame, int], Estimate]
    target: Callable[[pd.DataFrame], float] = _default_target
    estimator: str = ""
    inference: str = ""
