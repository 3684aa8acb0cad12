"""Input checks of panel data shared by every estimator.

Each check raises a typed error from :mod:`sosek_impact.errors` whose message names the column,
the offending unit / period / value and the row label of ``data`` (the DataFrame index), so the
user can find the problem. Nothing is repaired silently: a missing value stays an error, an
unbalanced panel is not balanced for the user.

Typical use in an estimator::

    from sosek_impact.estimators._checks import check_panel
    check_panel(data, y=y, unit=unit, time=time, group=group, covariates=covariates)

or the single checks (:func:`check_columns`, :func:`check_missing`, :func:`check_balanced`,
:func:`check_group_column`, :func:`check_not_treated_first`, :func:`check_group_sizes`).

Conventions
-----------
``group`` is the first treated period (a value of the ``time`` column); ``0`` or missing means
never treated. Time must be numeric (integer periods such as years).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.errors import (
    EstimationError,
    GroupColumnError,
    SchemaError,
    SmallGroupError,
    TreatedInFirstPeriodError,
    UnbalancedPanelError,
)

__all__ = [
    "MissingValueError",
    "check_columns",
    "check_missing",
    "check_balanced",
    "check_group_column",
    "check_not_treated_first",
    "check_group_sizes",
    "check_panel",
    "never_treated_mask",
]

_MAX_LISTED = 5


class MissingValueError(UnbalancedPanelError):
    """A variable the estimator needs (outcome, covariate, weight, cluster) is missing in a row.

    Derives from :class:`~sosek_impact.errors.UnbalancedPanelError`: dropping the row would
    leave the panel unbalanced, and estimators never drop it silently.
    """


def _listing(values: Iterable[Any]) -> str:
    values = list(values)
    shown = ", ".join(repr(_py(v)) for v in values[:_MAX_LISTED])
    more = len(values) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _py(v: Any) -> Any:
    """Plain Python scalar for readable messages (``2004`` rather than ``np.int64(2004)``)."""
    return v.item() if isinstance(v, np.generic) else v


def check_columns(data: pd.DataFrame, columns: Sequence[str | None]) -> None:
    """Raise :class:`~sosek_impact.errors.SchemaError` if ``data`` lacks a named column.

    Parameters
    ----------
    data
        The panel in long form.
    columns
        Column names the estimator needs; ``None`` entries are skipped.
    """
    if not isinstance(data, pd.DataFrame):
        raise SchemaError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    for col in columns:
        if col is None:
            continue
        if col not in data.columns:
            raise SchemaError(
                f"column not found in data; available columns: {_listing(data.columns)}", column=col
            )


def check_missing(data: pd.DataFrame, columns: Sequence[str | None]) -> None:
    """Raise :class:`MissingValueError` if any named column holds a missing value.

    The message names the column, the first offending row label and the unit/period if given.
    """
    for col in columns:
        if col is None:
            continue
        values = data[col]
        isinf = np.isinf(values.to_numpy(dtype=float, na_value=np.nan)) if pd.api.types.is_float_dtype(values) else None
        if isinf is not None and isinf.any():
            rows = data.index[isinf]
            raise MissingValueError(
                f"column {col!r} has {len(rows)} infinite value(s), first at row label(s) {_listing(rows)} "
                "(a log of zero?); drop or recode them before estimating"
            )
        isna = values.isna().to_numpy()
        if isna.any():
            rows = data.index[isna]
            raise MissingValueError(
                f"column {col!r} has {int(isna.sum())} missing value(s), first at row label(s) "
                f"{_listing(rows)}; drop those units or fill the values explicitly before estimating"
            )


def check_balanced(data: pd.DataFrame, unit: str, time: str) -> None:
    """Raise :class:`~sosek_impact.errors.UnbalancedPanelError` unless every unit has every period once.

    Duplicated (unit, time) pairs are reported first, then units missing periods.
    """
    uc, uniq_u = pd.factorize(data[unit])
    tc, uniq_t = pd.factorize(data[time])
    if (uc < 0).any() or (tc < 0).any():
        check_missing(data, [unit, time])
    counts_cell = np.bincount(uc * len(uniq_t) + tc, minlength=len(uniq_u) * len(uniq_t))
    if len(counts_cell) and counts_cell.min() == 1 and counts_cell.max() == 1:
        return  # fast path: every (unit, time) exactly once
    keys = data[[unit, time]]
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        first = keys[dup].iloc[0]
        raise UnbalancedPanelError(
            f"{int(dup.sum())} rows share a ({unit!r}, {time!r}) pair, e.g. {unit}={_py(first[unit])!r}, "
            f"{time}={_py(first[time])!r} at row labels {_listing(keys.index[dup][:_MAX_LISTED])}"
        )
    periods = pd.unique(keys[time])
    counts = keys.groupby(unit, sort=True)[time].size()
    short = counts[counts != len(periods)]
    if len(short):
        u = short.index[0]
        have = set(keys.loc[keys[unit] == u, time].tolist())
        missing = sorted(p for p in periods.tolist() if p not in have)
        raise UnbalancedPanelError(
            f"panel is not balanced: {len(short)} of {len(counts)} units lack some of the "
            f"{len(periods)} periods, e.g. {unit}={_py(u)!r} lacks {time} {_listing(missing)}; "
            f"units: {_listing(short.index)}"
        )


def _unit_codes(units: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each row's unit and the row index of each unit's first row."""
    uc, uniq = pd.factorize(units)
    first_idx = np.full(len(uniq), -1, dtype=np.int64)
    valid = uc >= 0
    # first occurrence: scatter row numbers in reverse so the earliest wins
    rows = np.flatnonzero(valid)[::-1]
    first_idx[uc[rows]] = rows
    return uc, first_idx


def is_sorted_panel(data: pd.DataFrame, unit: str, time: str) -> bool:
    """Whether rows are sorted by unit, then strictly by time (estimators then skip a sorted copy)."""
    u = data[unit]
    if not u.is_monotonic_increasing:
        return False
    uv, t = u.to_numpy(), data[time].to_numpy()
    same_unit = uv[1:] == uv[:-1]
    return bool(np.all(t[1:][same_unit] > t[:-1][same_unit]))


def never_treated_mask(g: pd.Series | np.ndarray) -> np.ndarray:
    """Boolean mask of never-treated entries of a group column (``0`` or missing)."""
    arr = g.to_numpy(dtype=float, na_value=np.nan) if isinstance(g, pd.Series) and g.dtype.kind in "fiub" else np.asarray(g)
    if arr.dtype.kind in "fiub":
        a = arr.astype(float, copy=False)
        return np.isnan(a) | (a == 0)
    s = pd.Series(arr)
    return (s.isna() | (s == 0)).to_numpy()


def check_group_column(
    data: pd.DataFrame, unit: str, time: str, group: str, *, allow_after_last: bool = False
) -> None:
    """Raise :class:`~sosek_impact.errors.GroupColumnError` if ``group`` is not a first-treated period.

    Checks that the column is numeric, constant within each unit, and that every non-zero,
    non-missing value is one of the periods of the ``time`` column (a group of ``2016.5`` or
    ``1`` against years 2000--2020 usually means a treatment dummy was passed by mistake).
    With ``allow_after_last=True`` groups later than the last period are accepted (the unit is
    untreated throughout the sample; estimators then treat it as never treated).
    """
    g = data[group]
    if not (pd.api.types.is_numeric_dtype(g) or g.isna().all()):
        bad = g[pd.to_numeric(g, errors="coerce").isna() & g.notna()]
        if bad.empty:  # every value reads as a number, but the column is text
            raise GroupColumnError(
                f"group column {group!r} holds text (dtype {g.dtype}) that reads as numbers, e.g. "
                f"{_py(g.dropna().iloc[0])!r}; convert it to numeric periods first (pd.to_numeric)"
            )
        raise GroupColumnError(
            f"group column {group!r} must hold first-treated periods (numbers); "
            f"non-numeric value {_py(bad.iloc[0])!r} at row label {_py(bad.index[0])!r}"
        )
    t = data[time]
    if not pd.api.types.is_numeric_dtype(t):
        raise GroupColumnError(f"time column {time!r} must be numeric periods (e.g. years), got dtype {t.dtype}")
    gv = g.to_numpy(dtype=float, na_value=np.nan)
    uc, first_idx = _unit_codes(data[unit])
    first_g = gv[first_idx][uc]
    same = (gv == first_g) | (np.isnan(gv) & np.isnan(first_g))
    varying = pd.Series(dtype=float)
    if not same.all():
        n_per_unit = data.groupby(unit, sort=True)[group].nunique(dropna=False)
        varying = n_per_unit[n_per_unit > 1]
    if len(varying):
        u = varying.index[0]
        vals = pd.unique(data.loc[data[unit] == u, group])
        raise GroupColumnError(
            f"group column {group!r} must be constant within a unit (first treated period), but "
            f"{unit}={_py(u)!r} has values {_listing(vals)}; {len(varying)} unit(s) affected"
        )
    periods = set(pd.unique(t).tolist())
    treated = ~never_treated_mask(g)
    values = pd.unique(g[treated])
    last = max(periods)
    bad_vals = [v for v in values.tolist() if v not in periods and not (allow_after_last and v > last)]
    if bad_vals:
        rows = g.index[treated & g.isin(bad_vals).to_numpy()]
        raise GroupColumnError(
            f"group column {group!r} holds value(s) {_listing(sorted(bad_vals))} that are not periods "
            f"of the time column {time!r} (periods {_py(min(periods))}..{_py(max(periods))}); use the first "
            f"treated period, or 0 for never treated (first at row label {_py(rows[0])!r})"
        )


def check_not_treated_first(
    data: pd.DataFrame, unit: str, time: str, group: str, anticipation: int = 0
) -> None:
    """Raise :class:`~sosek_impact.errors.TreatedInFirstPeriodError` for units without a pre-period.

    A unit whose first treated period, moved ``anticipation`` periods earlier, is at or before the
    first period of the panel has no untreated (and unanticipated) period, so nothing identifies
    its effect. ``anticipation`` counts periods (positions among the sorted distinct times).
    """
    periods = np.sort(pd.unique(data[time]))
    first = periods[0]
    g = data[group]
    treated = ~never_treated_mask(g)
    # position of the group among the periods (anticipation counts periods, not time units)
    g_pos = np.searchsorted(periods, np.where(treated, g.to_numpy(dtype=float, na_value=np.nan), np.inf))
    early = treated & (g_pos - anticipation <= 0)
    if early.any():
        units = pd.unique(data.loc[early, unit])
        raise TreatedInFirstPeriodError(
            f"{len(units)} unit(s) are treated in or before the first period {_py(first)!r}"
            + (f" (with anticipation {anticipation})" if anticipation else "")
            + f" and have no pre-treatment period: {unit} {_listing(units)} "
            f"(group values {_listing(sorted(pd.unique(g[early])))}); drop them"
        )


def check_group_sizes(
    data: pd.DataFrame,
    unit: str,
    group: str,
    *,
    min_size: int = 1,
    min_controls: int = 1,
    need_never_treated: bool = False,
) -> None:
    """Raise :class:`~sosek_impact.errors.SmallGroupError` for cohorts or controls that are too small.

    Parameters
    ----------
    min_size
        Least number of units in every treated cohort.
    min_controls
        Least number of never-treated units when ``need_never_treated`` is true.
    need_never_treated
        Whether the estimator compares with never-treated units (e.g. ``control="never"``).
    """
    _, first_idx = _unit_codes(data[unit])
    per_unit = data[group].to_numpy()[first_idx]
    never = never_treated_mask(per_unit)
    values, counts = np.unique(per_unit[~never], return_counts=True)
    sizes = pd.Series(counts, index=values)
    small = sizes[sizes < min_size]
    if len(small):
        raise SmallGroupError(
            f"cohort(s) {group}={_listing(small.index)} have fewer than {min_size} unit(s) "
            f"(sizes {_listing(small.to_numpy())})"
        )
    if len(sizes) == 0:
        raise SmallGroupError(f"no treated unit: every value of {group!r} is 0 or missing")
    if need_never_treated and int(never.sum()) < min_controls:
        raise SmallGroupError(
            f"{int(never.sum())} never-treated unit(s) ({group} = 0 or missing); at least "
            f"{min_controls} needed as controls"
        )


def check_panel(
    data: pd.DataFrame,
    *,
    y: str,
    unit: str,
    time: str,
    group: str | None = None,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    anticipation: int = 0,
    balanced: bool = True,
    min_group_size: int = 1,
    need_never_treated: bool = False,
    allow_after_last: bool = False,
) -> None:
    """Run every check relevant to a staggered-adoption panel estimator, loudest problem first.

    Order: columns exist → no missing outcome / covariate / weight / cluster → balanced panel →
    group column holds periods and is constant per unit → no unit treated in the first period →
    cohorts and controls large enough.

    Parameters
    ----------
    data
        Long panel, one row per (unit, time).
    y, unit, time, group, covariates, weights, cluster
        Column names; ``group`` (first treated period, 0/missing = never) may be ``None`` for
        estimators that take a treatment dummy instead.
    anticipation
        Periods of anticipation (a unit treated at ``g`` is affected from ``g - anticipation``).
    balanced
        Require a balanced panel.
    min_group_size, need_never_treated
        Passed to :func:`check_group_sizes`.
    allow_after_last
        Accept groups later than the last period (passed to :func:`check_group_column`); they
        count as never treated in the group-size check.

    Raises
    ------
    SchemaError, MissingValueError, UnbalancedPanelError, GroupColumnError,
    TreatedInFirstPeriodError, SmallGroupError
    """
    covariates = list(covariates or [])
    check_columns(data, [y, unit, time, group, weights, cluster, *covariates])
    if len(data) == 0:
        raise EstimationError("data has no rows")
    check_missing(data, [y, unit, time, weights, cluster, *covariates])
    if weights is not None and (data[weights].to_numpy(dtype=float) < 0).any():
        raise EstimationError(f"weights column {weights!r} has negative values")
    if balanced:
        check_balanced(data, unit, time)
    if group is not None:
        check_group_column(data, unit, time, group, allow_after_last=allow_after_last)
        check_not_treated_first(data, unit, time, group, anticipation)
        if allow_after_last:
            g = data[group]
            data = pd.DataFrame({unit: data[unit], group: g.where(~(g > data[time].max()), 0)})  # 2 columns, not a copy of all
        check_group_sizes(
            data, unit, group, min_size=min_group_size, need_never_treated=need_never_treated
        )
