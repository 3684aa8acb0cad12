"""The two checks of a panel's keys shared by every estimator: numeric periods, one row per pair.

:func:`check_time_column` refuses a time column that does not hold numeric periods (years stored
as text, ``"2017"``) with :class:`~sosek_impact.errors.PeriodTypeError`;
:func:`check_unique_pairs` refuses duplicated (unit, period) rows with
:class:`~sosek_impact.errors.DuplicateRowsError`, always in the same words. Both are re-exported
by :mod:`sosek_impact.estimators._checks`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sosek_impact.errors import DuplicateRowsError, PeriodTypeError
from sosek_impact.results_protocol import plain

__all__ = ["check_time_column", "check_unique_pairs"]


def check_time_column(data: pd.DataFrame, time: str, unit: str | None = None) -> None:
    """Raise :class:`~sosek_impact.errors.PeriodTypeError` unless ``data[time]`` holds numbers.

    Periods must be numeric (integer years, or period numbers): estimators order them, take
    differences (event time ``t - g``) and compare them with the group column. Text that reads as
    numbers (``"2017"``) is refused too, rather than converted silently; the message names the
    column, its dtype and the first value (with its unit when ``unit`` is given).
    """
    t = data[time]
    if pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t):
        return
    non_missing = t.notna().to_numpy()
    first = int(np.flatnonzero(non_missing)[0]) if non_missing.any() else None
    example = ""
    if first is not None:
        at = f" ({unit} = {plain(data[unit].iloc[first])!r})" if unit is not None and unit in data.columns else ""
        example = f", e.g. {plain(t.iloc[first])!r}{at}"
    reads = first is not None and pd.to_numeric(t, errors="coerce").notna().sum() == int(non_missing.sum())
    fix = ("convert it with pd.to_numeric" if reads else "use integer periods (e.g. years; for dates, .dt.year)")
    raise PeriodTypeError(
        f"time column {time!r} must hold numeric periods (e.g. years), got dtype {t.dtype}{example}; {fix}"
    )


def check_unique_pairs(data: pd.DataFrame, unit: str, time: str) -> None:
    """Raise :class:`~sosek_impact.errors.DuplicateRowsError` if a (unit, period) pair has several rows.

    The message counts the rows involved and names the first repeated pair.
    """
    keys = data[[unit, time]]
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DuplicateRowsError(unit_column=unit, time_column=time, unit=keys[unit].iloc[i],
                                 period=keys[time].iloc[i], n_rows=int(dup.sum()))
