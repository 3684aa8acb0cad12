"""Argument checks shared by the few-treated entry points.

:func:`~sosek_impact.inference.few_treated.few_treated_inference` and
:func:`~sosek_impact.inference.few_treated_pretest.few_treated_pretest` take the same options
(estimator, method, noise scale, the control group's default) and the same randomisation
restrictions (``eligible`` units, ``strata``); the checks and the permutation blocks built from
those restrictions live here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.errors import GroupColumnError
from sosek_impact.estimators._options import check_choice
from sosek_impact.inference.few_treated_result import UnknownScaleError
from sosek_impact.inference.few_treated_scale import SCALES

__all__ = [
    "check_options",
    "check_randomization_only",
    "default_control",
    "eligible_mask",
    "randomization_blocks",
    "unit_column",
]


def check_options(
    estimator: str,
    estimators: Sequence[str],
    method: str,
    methods: Sequence[str],
    scale: str,
    *,
    aggregate: str | None = None,
    aggregates: Sequence[str] = (),
) -> None:
    """Check ``estimator``, then ``aggregate`` (when given), ``method`` and ``scale``, in that order.

    Raises
    ------
    InvalidOptionError
        An estimator, aggregate or method not among its choices (:func:`check_choice`).
    UnknownScaleError
        ``scale`` not in :data:`~sosek_impact.inference.few_treated_scale.SCALES`.
    """
    check_choice("estimator", estimator, estimators)
    if aggregate is not None:
        check_choice("aggregate", aggregate, aggregates)
    check_choice("method", method, methods)
    if scale not in SCALES:
        raise UnknownScaleError(scale, SCALES)


def default_control(estimator: str, control: str | None) -> str:
    """``control``, or by default ``"not_yet"`` for the imputation estimator and ``"never"`` otherwise."""
    if control is None:
        return "not_yet" if estimator == "imputation" else "never"
    return control


def check_randomization_only(method: str, eligible: Any, strata: str | None) -> None:
    """Refuse ``eligible`` or ``strata`` with a method other than ``"randomization"`` (a ``ValueError``)."""
    if method != "randomization" and (eligible is not None or strata is not None):
        raise ValueError("eligible and strata apply to method='randomization' only")


def unit_column(data: pd.DataFrame, unit: str, col: str, units: np.ndarray, what: str) -> np.ndarray:
    """The value of ``col`` for each of ``units``; ``col`` must be present, constant within a unit and not missing.

    Raises
    ------
    GroupColumnError
        ``col`` absent, varying within a unit, or missing for a unit (``what`` names it in the message).
    """
    if col not in data.columns:
        raise GroupColumnError(f"{what} column {col!r} is not in the data")
    s = data.groupby(unit, sort=False)[col].agg(["first", "nunique"]).reindex(units)
    if (s["nunique"] > 1).any():
        u = s.index[s["nunique"] > 1][0]
        raise GroupColumnError(f"{what} column {col!r} must be constant within a unit; {unit}={u!r} has several values")
    if s["first"].isna().any():
        u = s.index[s["first"].isna()][0]
        raise GroupColumnError(f"{what} column {col!r} is missing for {unit}={u!r}")
    return s["first"].to_numpy()


def eligible_mask(data: pd.DataFrame, unit: str, eligible: Any, units: np.ndarray) -> np.ndarray:
    """Which of ``units`` may receive a permuted treatment: all (``None``), a 0/1 column's, or those listed.

    Raises
    ------
    GroupColumnError
        A column that is not 0/1 (or fails :func:`unit_column`), or listed units not in the data.
    """
    if eligible is None:
        return np.ones(len(units), dtype=bool)
    if isinstance(eligible, str):
        v = unit_column(data, unit, eligible, units, "eligible")
        if not np.isin(v, [0, 1, True, False]).all():
            raise GroupColumnError(f"eligible column {eligible!r} must be boolean (0/1)")
        return v.astype(bool)
    ids = list(eligible)
    unknown = [x for x in ids if x not in set(units.tolist())]
    if unknown:
        raise GroupColumnError(f"eligible lists unit(s) not in the data: {unknown[:5]}")
    return np.isin(units, ids)


def randomization_blocks(
    data: pd.DataFrame, unit: str, units: np.ndarray, eligible: Any, strata: str | None
) -> list[np.ndarray]:
    """Positions in ``units`` of the eligible units, one array per stratum with more than one unit."""
    elig = eligible_mask(data, unit, eligible, units)
    if strata is None:
        blocks = [np.flatnonzero(elig)]
    else:
        s = unit_column(data, unit, strata, units, "strata")
        blocks = [np.flatnonzero(elig & (s == v)) for v in pd.unique(s[elig])]
    return [b for b in blocks if len(b) > 1]
