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
estimators go on with the returned frame. The column checks live in
:mod:`sosek_impact.estimators._column_checks`, the group-column checks in
:mod:`sosek_impact.estimators._group_checks`; both are re-exported here.

Conventions
-----------
``group`` is the first treated period (a value of the ``time`` column); ``0`` or missing means
never treated. Time must be numeric (integer periods such as years).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError, MissingValueError, UnbalancedPanelError
from sosek_impact.estimators._column_checks import check_columns, check_missing, check_numeric, check_treatment_dummy
from sosek_impact.estimators._group_checks import check_group_column, check_group_sizes, check_not_treated_first
from sosek_impact.estimators._group_rules import (
    drop_early_treated,
    recode_late_groups,
    single_unit_cohorts_message,
    warn_single_unit_cohorts,
)
from sosek_impact.estimators._options import check_choice
from sosek_impact.estimators._panel_common import cell as _cell
from sosek_impact.estimators._panel_common import listing as _listing
from sosek_impact.estimators._panel_common import never_treated_mask
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
