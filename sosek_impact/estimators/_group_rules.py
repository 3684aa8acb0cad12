"""Sample rules of the staggered estimators: which units enter, always with a warning.

- Units treated in or before the first period (after anticipation) have no pre-treatment period:
  :func:`drop_early_treated` drops them naming how many and which, as R ``did``'s pre-processing
  does (``strict=True`` raises :class:`~sosek_impact.errors.TreatedInFirstPeriodError`).
- Units first treated after the last period are untreated in the sample:
  :func:`recode_late_groups` counts them as never treated (an error with anticipation).
- Cohorts of a single unit: :func:`warn_single_unit_cohorts`.

:func:`sosek_impact.estimators._checks.check_panel` applies the first two; estimators go on with
the frame it returns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.errors import GroupColumnError, TreatedInFirstPeriodError
from sosek_impact.estimators._panel_common import listing as _listing
from sosek_impact.estimators._panel_common import never_treated_mask, unit_codes
from sosek_impact.estimators._panel_common import warn_user as _warn
from sosek_impact.results_protocol import plain as _py

__all__ = ["drop_early_treated", "early_treated", "early_treated_message", "recode_late_groups",
           "single_unit_cohorts_message", "warn_single_unit_cohorts"]


def early_treated(
    data: pd.DataFrame, unit: str, time: str, group: str, anticipation: int
) -> tuple[np.ndarray, list[Any], list[Any]]:
    """Row mask, units and groups of units treated in or before the first period (after anticipation)."""
    periods = np.sort(pd.unique(data[time]))
    g = data[group]
    treated = ~never_treated_mask(g)
    # position of the group among the periods (anticipation counts periods, not time units)
    g_pos = np.searchsorted(periods, np.where(treated, g.to_numpy(dtype=float, na_value=np.nan), np.inf))
    early = treated & (g_pos - anticipation <= 0)
    if not early.any():
        return early, [], []
    units = [_py(u) for u in pd.unique(data.loc[early, unit])]
    groups = [_py(v) for v in sorted(pd.unique(g[early]))]
    return early, units, groups


def early_treated_message(data: pd.DataFrame, unit: str, time: str, group: str, anticipation: int,
                   units: list[Any], groups: list[Any]) -> str:
    first = _py(np.sort(pd.unique(data[time]))[0])
    return (
        f"{len(units)} unit(s) that were already treated in the first period {first!r}"
        + (f" (accounting for anticipation = {anticipation})" if anticipation else "")
        + f": {unit} {_listing(units)} ({group} {_listing(groups)}); they have no pre-treatment period"
    )


def drop_early_treated(
    data: pd.DataFrame, unit: str, time: str, group: str, anticipation: int = 0, *, strict: bool = False
) -> pd.DataFrame:
    """Drop units treated in or before the first period (after anticipation), with a warning.

    This is R ``did``'s pre-processing rule (``pre_process_did``: "Dropped ... units that were
    already treated in the first period"): such units have no pre-treatment period, identify no
    ATT(g,t) and would only serve as comparison units, which they are not. The warning names how
    many units and which. With ``strict=True`` the same finding raises
    :class:`~sosek_impact.errors.TreatedInFirstPeriodError` instead.

    Parameters
    ----------
    data
        Long panel.
    unit, time, group
        Column names; ``group`` is the first treated period (0 or missing = never treated).
    anticipation
        Periods of anticipation (positions among the sorted distinct periods).
    strict
        Raise instead of dropping.

    Returns
    -------
    pandas.DataFrame
        ``data`` itself when no unit is dropped, else the rows of the other units.
    """
    early, units, groups = early_treated(data, unit, time, group, anticipation)
    if not units:
        return data
    message = early_treated_message(data, unit, time, group, anticipation, units, groups)
    if strict:
        raise TreatedInFirstPeriodError(message + ": drop them, or pass strict=False to drop them with a warning")
    _warn(f"Dropped {message} (R did drops them the same way); pass strict=True to raise instead")
    return data.loc[~early]


def recode_late_groups(
    data: pd.DataFrame, unit: str, time: str, group: str, anticipation: int = 0
) -> pd.DataFrame:
    """Count units first treated after the last period as never treated, with a warning.

    Such units are untreated throughout the sample, so they are valid comparison units
    ("not yet treated" in every period, "never treated" within the sample). With anticipation
    they may already react inside the sample, which nothing in the data shows: that is a
    :class:`~sosek_impact.errors.GroupColumnError`. This is the one rule of every staggered
    estimator of the package (``att_gt``, ``sun_abraham``, ``event_study``, ``did_imputation``).

    Returns
    -------
    pandas.DataFrame
        ``data`` itself when no group lies after the last period, else a copy with those
        groups set to 0.
    """
    last = _py(data[time].max())
    g = data[group]
    late = (g.to_numpy(dtype=float, na_value=np.nan) > float(last)) & ~never_treated_mask(g)
    if not late.any():
        return data
    units = [_py(u) for u in pd.unique(data.loc[late, unit])]
    groups = [_py(v) for v in sorted(pd.unique(g[late]))]
    what = (f"{len(units)} unit(s) first treated after the last period {last!r} ({group} {_listing(groups)}; "
            f"{unit} {_listing(units)})")
    if anticipation:
        raise GroupColumnError(
            f"{what}: with anticipation {anticipation} they may react inside the sample; recode them "
            "explicitly (0 = never treated) or drop them"
        )
    _warn(f"{what} are untreated in the sample and count as never treated (not yet treated)")
    return data.assign(**{group: g.where(~late, 0)})


def single_unit_cohorts_message(data: pd.DataFrame, unit: str, group: str, estimator: str) -> str | None:
    """The warning text about cohorts holding a single treated unit, or ``None`` when there are none.

    With one treated unit in a cohort its own outcome noise enters the estimate once and
    cannot be estimated from the cohort: the analytical (influence-function, cluster-robust or
    conservative imputation) standard errors reflect only the comparison units' variation and
    understate the uncertainty, often by far. The text names the cohorts and units and points to
    the few-treated inference of :mod:`sosek_impact.inference`.
    """
    _, first_idx = unit_codes(data[unit])
    per_unit = data[group].to_numpy()[first_idx]
    units = data[unit].to_numpy()[first_idx]
    treated = ~never_treated_mask(per_unit)
    values, counts = np.unique(per_unit[treated], return_counts=True)
    single = values[counts == 1]
    if len(single) == 0:
        return None
    who = [_py(units[treated][per_unit[treated] == v][0]) for v in single]
    return (
        f"{estimator}: {len(single)} cohort(s) have a single treated unit ({group} {_listing(single)}; "
        f"{unit} {_listing(who)}): analytical standard errors for those cohorts (and aggregates weighting them) "
        "reflect only the comparison units' variation, not the treated unit's, and understate the uncertainty; "
        "use sosek_impact.inference.few_treated_inference for intervals that hold with few treated units"
    )


def warn_single_unit_cohorts(data: pd.DataFrame, unit: str, group: str, estimator: str) -> None:
    """Warn (:func:`single_unit_cohorts_message`) when a treatment cohort holds a single unit."""
    message = single_unit_cohorts_message(data, unit, group, estimator)
    if message is not None:
        _warn(message)
