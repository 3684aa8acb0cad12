"""Checks of the group column: first-treated periods, a pre-period for every unit, large enough cohorts.

Each check raises a typed error from :mod:`sosek_impact.errors` whose message names the column,
the offending value and the unit (plain Python values). Re-exported by
:mod:`sosek_impact.estimators._checks`, which runs them in :func:`~sosek_impact.estimators._checks.check_panel`;
the sample rules that drop or recode units instead live in :mod:`sosek_impact.estimators._group_rules`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sosek_impact.errors import GroupColumnError, SmallGroupError, TreatedInFirstPeriodError
from sosek_impact.estimators._group_rules import early_treated, early_treated_message
from sosek_impact.estimators._panel_common import cell as _cell
from sosek_impact.estimators._panel_common import listing as _listing
from sosek_impact.estimators._panel_common import never_treated_mask
from sosek_impact.estimators._panel_common import unit_codes as _unit_codes
from sosek_impact.estimators._panel_keys import check_time_column
from sosek_impact.results_protocol import plain as _py

__all__ = ["check_group_column", "check_group_sizes", "check_not_treated_first"]


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
