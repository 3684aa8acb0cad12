"""The balanced staggered-adoption panel that the TWFE diagnostics take apart.

:func:`timing_panel` checks a long panel (columns, numbers, no missing values, balance, a group
column of first-treated periods) and returns it as (units x periods) matrices of the outcome and
of the binary treatment ``D_it = 1{t >= G_i}``. Units first treated in the first period are
*always treated* (``D = 1`` throughout): TWFE keeps them, and they are kept here. Groups after the
last period are never treated in the sample. :func:`double_demean` and :func:`twfe_coefficient`
are the two-way within transformation and the TWFE coefficient of ``y`` on ``D`` on such a
balanced panel (no covariates, no weights), written once for the diagnostics of this package.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError
from sosek_impact.estimators._checks import (
    check_columns,
    check_group_column,
    check_missing,
    check_panel,
    check_treatment_dummy,
)
from sosek_impact.estimators._panel_common import never_treated_mask

__all__ = ["TimingPanel", "double_demean", "timing_panel", "twfe_coefficient"]


@dataclass(frozen=True)
class TimingPanel:
    """A balanced panel as matrices, rows sorted by unit, columns by period.

    Attributes
    ----------
    y, d
        (n units x T periods) outcome and treatment (0/1).
    periods
        The T sorted periods.
    units
        The n unit labels.
    unit_group
        First treated period of each unit; ``0`` for units untreated in the sample; NaN when
        the treatment was given as a 0/1 column.
    """

    y: np.ndarray
    d: np.ndarray
    periods: np.ndarray
    units: np.ndarray
    unit_group: np.ndarray


def timing_panel(
    data: pd.DataFrame, y: str, unit: str, time: str, group: str | None, *, treatment: str | None = None
) -> TimingPanel:
    """Check a long panel and return it as matrices.

    The treatment is ``D_it = 1{t >= G_i}`` from the first-treated period ``group``, or, with
    ``group=None``, the 0/1 column ``treatment`` as it is (it may switch on and off; then
    ``unit_group`` is all NaN).

    Raises
    ------
    SchemaError, MissingValueError, UnbalancedPanelError, GroupColumnError
        Missing columns, non-numeric or missing outcome, unbalanced panel, group values that are
        not periods.
    EstimationError
        No unit changes treatment status (the TWFE coefficient does not exist).
    """
    if (group is None) == (treatment is None):
        raise ValueError("give exactly one of group (first treated period) and treatment (0/1 column)")
    check_panel(data, y=y, unit=unit, time=time, group=None)
    if group is not None:
        check_group_column(data, unit, time, group, allow_after_last=True)
    else:
        check_columns(data, [treatment])
        check_missing(data, [treatment], unit, time)
        check_treatment_dummy(data, treatment, unit, time)
    df = data.sort_values([unit, time], kind="mergesort")
    periods = np.sort(pd.unique(df[time]).astype(float))
    units = pd.unique(df[unit])
    n, n_t = len(units), len(periods)
    yw = df[y].to_numpy(dtype=float).reshape(n, n_t)
    if group is not None:
        g = df[group].to_numpy(dtype=float, na_value=np.nan)[np.arange(n) * n_t]
        g = np.where(never_treated_mask(g) | (g > periods[-1]), 0.0, g)
        d = ((g[:, None] > 0) & (periods[None, :] >= g[:, None])).astype(float)
    else:
        g = np.full(n, np.nan)
        d = df[treatment].to_numpy(dtype=float).reshape(n, n_t)
    if not np.any(double_demean(d) ** 2 > 1e-12):
        raise EstimationError(
            f"no unit changes treatment status within the periods of {time!r}: the TWFE coefficient of the "
            f"treatment defined by {group or treatment!r} does not exist"
        )
    return TimingPanel(y=yw, d=d, periods=periods, units=np.asarray(units), unit_group=g)


def double_demean(x: np.ndarray) -> np.ndarray:
    """``x_it - mean_i - mean_t + mean`` of a balanced (units x periods) matrix."""
    return x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()


def twfe_coefficient(y: np.ndarray, d: np.ndarray) -> float:
    """Coefficient of ``d`` in the regression of ``y`` on ``d`` and unit and period effects (balanced)."""
    dt = double_demean(d)
    return float((dt * y).sum() / (dt * dt).sum())
