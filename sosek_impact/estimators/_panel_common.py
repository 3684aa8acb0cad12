"""Small helpers shared by the panel input checks and the sample rules.

Messages name values as plain Python scalars (``6101``, not ``np.int64(6101)``) and rows by their
(unit, period); warnings point at the first caller outside :mod:`sosek_impact`.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.results_protocol import plain

__all__ = ["cell", "listing", "never_treated_mask", "unit_codes", "warn_user"]

_MAX_LISTED = 5


def warn_user(message: str) -> None:
    """Warn with the stack level of the first caller outside :mod:`sosek_impact`."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("sosek_impact"):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def listing(values: Iterable[Any]) -> str:
    """The first five values as plain reprs, then "and N more"."""
    values = list(values)
    shown = ", ".join(repr(plain(v)) for v in values[:_MAX_LISTED])
    more = len(values) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def cell(data: pd.DataFrame, mask: np.ndarray, unit: str | None, time: str | None) -> tuple[str, Any, Any]:
    """Text naming the first row of ``mask`` by (unit, period), with its unit and period values.

    Falls back to the row label when ``unit``/``time`` are not given or not columns of ``data``.
    """
    i = int(np.flatnonzero(mask)[0])
    if unit is not None and time is not None and unit in data.columns and time in data.columns:
        u, t = plain(data[unit].iloc[i]), plain(data[time].iloc[i])
        return f"({unit}, {time}) = ({u!r}, {t!r})", u, t
    return f"row label {plain(data.index[i])!r}", None, None


def unit_codes(units: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each row's unit and the row index of each unit's first row.

    Codes number the units in order of first appearance (as :func:`pandas.factorize`); a sorted
    integer column (the usual long panel) takes a linear scan instead of hashing.
    """
    arr = units.to_numpy() if isinstance(units, pd.Series) else np.asarray(units)
    if arr.dtype.kind in "iu" and len(arr) > 1:
        if bool(np.all(arr[1:] >= arr[:-1])):  # non-decreasing: blocks of equal values
            change = arr[1:] != arr[:-1]
            starts = np.r_[0, np.flatnonzero(change) + 1]
            codes = np.zeros(len(arr), dtype=np.intp)
            codes[starts[1:]] = 1
            return np.cumsum(codes, out=codes), starts.astype(np.int64)
    uc, uniq = pd.factorize(units)
    first_idx = np.full(len(uniq), -1, dtype=np.int64)
    valid = uc >= 0
    # first occurrence: scatter row numbers in reverse so the earliest wins
    rows = np.flatnonzero(valid)[::-1]
    first_idx[uc[rows]] = rows
    return uc, first_idx


def never_treated_mask(g: pd.Series | np.ndarray) -> np.ndarray:
    """Boolean mask of never-treated entries of a group column (``0`` or missing)."""
    raw = g.to_numpy() if isinstance(g, pd.Series) and g.dtype.kind in "iu" else g
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "iu":  # integers cannot be missing
        return raw == 0
    arr = g.to_numpy(dtype=float, na_value=np.nan) if isinstance(g, pd.Series) and g.dtype.kind in "fiub" else np.asarray(g)
    if arr.dtype.kind in "fiub":
        a = arr.astype(float, copy=False)
        return np.isnan(a) | (a == 0)
    s = pd.Series(arr)
    return (s.isna() | (s == 0)).to_numpy()
