"""Input checks of panel data shared by every estimator.

Each check raises a typed error from :mod:`sosek_impact.errors` whose message names the column,
the offending value and the (unit, period) where it sits (plain Python values, never
``np.int64(6101)``), so the user can find the problem. Nothing is repaired silently: a missing
value stays an error, an unbalanced panel is not balanced for the user.

Two rules change the sample, always with a warning that says how many units and which:

- units treated in or before the first period (after anticipation) have no pre-treatment period
  and are dropped, as R ``did``'s pre-processing does (``early_treated="drop"``; the default
  ``"raise"`` and ``strict`` modes raise :class:`~sosek_impact.errors.TreatedInFirstPeriodError`);
- units first treated after the last period are untreated in the sample and count as never
  treated (``allow_after_last=True``); with anticipation they may react inside the sample, so
  that is an error (:func:`recode_late_groups`).

Typical use in an estimator::

    from sosek_impact.estimators._checks import check_panel
    check_panel(data, y=y, unit=unit, time=time, group=group, covariates=covariates)

or the single checks (:func:`check_columns`, :func:`check_numeric`, :func:`check_missing`,
:func:`check_balanced`, :func:`check_group_column`, :func:`check_not_treated_first`,
:func:`check_group_sizes`). :func:`check_panel` returns the panel with the two sample rules above
applied (they live in :mod:`sosek_impact.estimators._group_rules` and are re-exported here);
estimators go on with the returned frame.

Conventions
-----------
``group`` is the first treated period (a value of the ``time`` column); ``0`` or missing means
never treated. Time must be numeric (integer periods such as years).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sosek_impact.errors import (
    EstimationError,
    GroupColumnError,
    MissingValueError,
    SchemaError,
    SmallGroupError,
    TreatedInFirstPeriodError,
    UnbalancedPanelError,
    ValueRangeError,
)
from sosek_impact.estimators._group_rules import (
    drop_early_treated,
    early_treated,
    early_treated_message,
    recode_late_groups,
    single_unit_cohorts_message,
    warn_single_unit_cohorts,
)
from sosek_impact.estimators._options import check_choice
from sosek_impact.estimators._panel_common import cell as _cell
from sosek_impact.estimators._panel_common import listing as _listing
from sosek_impact.estimators._panel_common import never_treated_mask
from sosek_impact.estimators._panel_common import unit_codes as _unit_codes
from sosek_impact.estimators._panel_keys import check_time_column, check_unique_pairs
from sosek_impact.results_protocol import plain as _py

__all__ = [
    "MissingValueError",
    "check_choice",
    "check_columns",
    "check_numeric",
    "check_time_column",
    "check_unique_pairs",
    "check_missing",
    "check_balanced",
    "check_group_column",
    "check_not_treated_first",
    "check_group_sizes",
    "check_panel",
    "check_treatment_dummy",
    "drop_early_treated",
    "recode_late_groups",
    "single_unit_cohorts_message",
    "warn_single_unit_cohorts",
    "never_treated_mask",
]

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


def check_numeric(
    data: pd.DataFrame, columns: Sequence[str | None], unit: str | None = None, time: str | None = None
) -> None:
    """Raise :class:`~sosek_impact.errors.SchemaError` if a named column is not numeric.

    A text column (``object`` or string dtype) is refused even when all its values read as
    numbers: the estimator would otherwise convert it silently, or fail inside pandas with a
    message that names neither the column nor the row. The message names the column and the
    first offending value with its (unit, period).
    """
    for col in columns:
        if col is None:
            continue
        values = data[col]
        if pd.api.types.is_numeric_dtype(values) or values.isna().all():
            continue
        as_num = pd.to_numeric(values, errors="coerce")
        bad = (as_num.isna() & values.notna()).to_numpy()
        if bad.any():
            where, _, _ = _cell(data, bad, unit, time)
            raise SchemaError(
                f"column {col!r} must be numeric but holds text (dtype {values.dtype}): {int(bad.sum())} value(s) "
                f"do not read as numbers, the first {_py(values.iloc[int(np.flatnonzero(bad)[0])])!r} at {where}",
                column=col,
            )
        first = values.notna().to_numpy()
        where, _, _ = _cell(data, first, unit, time)
        raise SchemaError(
            f"column {col!r} holds numbers stored as text (dtype {values.dtype}, e.g. "
            f"{_py(values.iloc[int(np.flatnonzero(first)[0])])!r} at {where}); convert it with pd.to_numeric first",
            column=col,
        )


def check_missing(
    data: pd.DataFrame, columns: Sequence[str | None], unit: str | None = None, time: str | None = None
) -> None:
    """Raise :class:`~sosek_impact.errors.MissingValueError` if a named column holds a missing
    or infinite value.

    The message names the column and the first offending (unit, period) when ``unit`` and
    ``time`` are given (the row label otherwise).
    """
    for col in columns:
        if col is None:
            continue
        values = data[col]
        if pd.api.types.is_float_dtype(values):
            isinf = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
            if isinf.any():
                where, u, t = _cell(data, isinf, unit, time)
                raise MissingValueError(
                    f"column {col!r} has {int(isinf.sum())} infinite value(s), the first at {where} "
                    "(a log of zero?); drop or recode them before estimating",
                    column=col, unit=u, period=t,
                )
        isna = values.isna().to_numpy()
        if isna.any():
            where, u, t = _cell(data, isna, unit, time)
            raise MissingValueError(
                f"column {col!r} has {int(isna.sum())} missing value(s), the first at {where}; drop those "
                "units or fill the values explicitly before estimating",
                column=col, unit=u, period=t,
            )


def check_balanced(data: pd.DataFrame, unit: str, time: str) -> None:
    """Raise :class:`~sosek_impact.errors.UnbalancedPanelError` unless every unit has every period once.

    Duplicated (unit, time) pairs are reported first (:func:`check_unique_pairs`,
    :class:`~sosek_impact.errors.DuplicateRowsError`), then units missing periods.
    """
    uc, uniq_u = pd.factorize(data[unit])
    tc, uniq_t = pd.factorize(data[time])
    if (uc < 0).any() or (tc < 0).any():
        check_missing(data, [unit, time], unit, time)
    counts_cell = np.bincount(uc * len(uniq_t) + tc, minlength=len(uniq_u) * len(uniq_t))
    if len(counts_cell) and counts_cell.min() == 1 and counts_cell.max() == 1:
        return  # fast path: every (unit, time) exactly once
    check_unique_pairs(data, unit, time)
    keys = data[[unit, time]]
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


def is_sorted_panel(data: pd.DataFrame, unit: str, time: str) -> bool:
    """Whether rows are sorted by unit, then strictly by time (estimators then skip a sorted copy)."""
    u = data[unit]
    if not u.is_monotonic_increasing:
        return False
    uv, t = u.to_numpy(), data[time].to_numpy()
    same_unit = uv[1:] == uv[:-1]
    return bool(np.all(t[1:][same_unit] > t[:-1][same_unit]))


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
        where, _, _ = _cell(data, (pd.to_numeric(g, errors="coerce").isna() & g.notna()).to_numpy(), unit, time)
        raise GroupColumnError(
            f"group column {group!r} must hold first-treated periods (numbers); "
            f"non-numeric value {_py(bad.iloc[0])!r} at {where}"
        )
    check_time_column(data, time, unit)
    t = data[time]
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
        where, _, _ = _cell(data, treated & g.isin(bad_vals).to_numpy(), unit, time)
        raise GroupColumnError(
            f"group column {group!r} holds value(s) {_listing(sorted(bad_vals))} that are not periods "
            f"of the time column {time!r} (periods {_py(min(periods))}..{_py(max(periods))}); use the first "
            f"treated period, or 0 for never treated (first at {where})"
        )


def check_not_treated_first(
    data: pd.DataFrame, unit: str, time: str, group: str, anticipation: int = 0
) -> None:
    """Raise :class:`~sosek_impact.errors.TreatedInFirstPeriodError` for units without a pre-period.

    A unit whose first treated period, moved ``anticipation`` periods earlier, is at or before the
    first period of the panel has no untreated (and unanticipated) period, so nothing identifies
    its effect. ``anticipation`` counts periods (positions among the sorted distinct times).
    :func:`drop_early_treated` drops such units with a warning instead.
    """
    early, units, groups = early_treated(data, unit, time, group, anticipation)
    if units:
        raise TreatedInFirstPeriodError(
            early_treated_message(data, unit, time, group, anticipation, units, groups)
            + ": drop them (att_gt drops them with a warning unless strict=True)"
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


def check_treatment_dummy(data: pd.DataFrame, treat: str, unit: str | None = None, time: str | None = None) -> None:
    """Raise a typed error unless ``treat`` is a 0/1 indicator with both values present.

    :class:`~sosek_impact.errors.MissingValueError` for a missing value,
    :class:`~sosek_impact.errors.ValueRangeError` for a value other than 0 or 1, and
    :class:`~sosek_impact.errors.EstimationError` when no observation is treated (or every one
    is): the indicator is then constant and absorbed by the fixed effects, which says nothing
    about what is wrong.
    """
    check_missing(data, [treat], unit, time)
    d = data[treat]
    ok = d.isin([0, 1]).to_numpy() if pd.api.types.is_numeric_dtype(d) else np.zeros(len(d), dtype=bool)
    if not ok.all():
        where, _, _ = _cell(data, ~ok, unit, time)
        raise ValueRangeError(
            f"treatment indicator must be 0 or 1; {int((~ok).sum())} value(s) are not, the first "
            f"{_py(d.iloc[int(np.flatnonzero(~ok)[0])])!r} at {where}",
            column=treat, value=_py(d.iloc[int(np.flatnonzero(~ok)[0])]),
        )
    n_treated = int((d.to_numpy() == 1).sum())
    if n_treated == 0:
        raise EstimationError(f"no treated observation: the treatment column {treat!r} is 0 in all {len(d)} rows")
    if n_treated == len(d):
        raise EstimationError(
            f"no untreated observation: the treatment column {treat!r} is 1 in all {len(d)} rows"
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
    early_treated: str = "raise",
) -> pd.DataFrame:
    """Run every check relevant to a panel estimator, loudest problem first, and apply the
    sample rules.

    Order: columns exist → time column numeric → rows exist → outcome / covariates / weights numeric → no missing
    outcome / covariate / weight / cluster → balanced panel → group column holds periods and is
    constant per unit → units treated in the first period (raise, or drop with a warning) →
    groups after the last period (never treated, with a warning) → cohorts and controls large
    enough.

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
        Accept groups later than the last period and count them as never treated
        (:func:`recode_late_groups`); otherwise they are a :class:`GroupColumnError`.
    early_treated
        ``"raise"`` (:class:`TreatedInFirstPeriodError`) or ``"drop"`` (:func:`drop_early_treated`,
        R ``did``'s rule) for units treated in or before the first period.

    Returns
    -------
    pandas.DataFrame
        ``data`` (the same object when no rule applies) with early-treated units dropped and late
        groups recoded as never treated.

    Raises
    ------
    SchemaError, PeriodTypeError, MissingValueError, UnbalancedPanelError, DuplicateRowsError, GroupColumnError,
    TreatedInFirstPeriodError, SmallGroupError, EstimationError
    """
    check_choice("early_treated", early_treated, ("raise", "drop"))
    covariates = list(covariates or [])
    check_columns(data, [y, unit, time, group, weights, cluster, *covariates])
    check_time_column(data, time, unit)
    if len(data) == 0:
        raise EstimationError("empty panel: data has no rows")
    check_numeric(data, [y, weights, *covariates], unit, time)
    check_missing(data, [y, unit, time, weights, cluster, *covariates], unit, time)
    if weights is not None and (data[weights].to_numpy(dtype=float) < 0).any():
        where, _, _ = _cell(data, (data[weights].to_numpy(dtype=float) < 0), unit, time)
        raise EstimationError(f"weights column {weights!r} has negative values, the first at {where}")
    if balanced:
        check_balanced(data, unit, time)
    if group is None:
        return data
    check_group_column(data, unit, time, group, allow_after_last=allow_after_last)
    data = drop_early_treated(data, unit, time, group, anticipation, strict=(early_treated == "raise"))
    if allow_after_last:
        data = recode_late_groups(data, unit, time, group, anticipation)
    check_group_sizes(data, unit, group, min_size=min_group_size, need_never_treated=need_never_treated)
    return data
