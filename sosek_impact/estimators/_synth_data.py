"""Data preparation of synthetic control: the outcome table, the treatment time, predictor values."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.errors import InputError, ValueRangeError
from sosek_impact.estimators._checks import check_columns, check_numeric, check_unique_pairs
from sosek_impact.results_protocol import plain

__all__ = ["PredictorSpec", "predictor_matrix", "check_treatment_time", "wide_outcome"]

PredictorSpec = str | tuple[str, Sequence[Any]] | tuple[str, Sequence[Any], str]


def wide_outcome(data: pd.DataFrame, y: str, unit: str, time: str) -> pd.DataFrame:
    """Outcome as a (time x unit) table; duplicate (unit, time) keys are an error."""
    check_unique_pairs(data, unit, time)
    check_numeric(data, [y], unit, time)
    frame = data[[unit, time]].assign(_y=data[y].astype(float))
    return frame.pivot(index=time, columns=unit, values="_y").sort_index()


def check_treatment_time(times: pd.Index, treatment_time: Any, time: str) -> None:
    """Refuse a fractional treatment time on integer periods (``2016.5`` for years)."""
    try:
        value = float(treatment_time)
    except (TypeError, ValueError):
        return  # non-numeric periods (dates, labels) are compared as given
    numeric = pd.api.types.is_numeric_dtype(times)
    integral_periods = numeric and bool(np.all(np.mod(np.asarray(times, dtype=float), 1) == 0))
    if integral_periods and not float(value).is_integer():
        raise ValueRangeError(
            f"treatment_time {plain(treatment_time)!r} is fractional but the periods of {time!r} are whole numbers; "
            "give the first treated period (e.g. the first full year of treatment)",
            column=time, value=plain(treatment_time),
        )


def predictor_matrix(
    data: pd.DataFrame,
    unit: str,
    time: str,
    units: Sequence[Hashable],
    predictors: Sequence[PredictorSpec],
    default_periods: Sequence[Any],
) -> pd.DataFrame:
    """(predictor x unit) table of predictor values averaged over their periods, missing ignored."""
    rows: dict[str, pd.Series] = {}
    for spec in predictors:
        if isinstance(spec, str):
            col, periods, how = spec, list(default_periods), "mean"
        else:
            col, periods = spec[0], list(spec[1])
            how = spec[2] if len(spec) > 2 else "mean"
        check_columns(data, [col])
        if how not in {"mean", "median", "last"}:
            raise InputError("predictor aggregation must be 'mean', 'median' or 'last'", column=col, value=how)
        sub = data.loc[data[time].isin(periods) & data[unit].isin(units), [unit, time, col]]
        vals = pd.to_numeric(sub[col], errors="coerce")
        if (vals.isna() & sub[col].notna()).any():
            raise InputError("predictor is not numeric", column=col, value=sub.loc[vals.isna() & sub[col].notna(), col].iloc[0])
        sub = sub.assign(_v=vals).dropna(subset=["_v"]).sort_values([unit, time])
        grouped = sub.groupby(unit)["_v"]
        agg = grouped.last() if how == "last" else getattr(grouped, how)()
        label = col if isinstance(spec, str) else f"{col}[{periods[0]}..{periods[-1]}]" + ("" if how == "mean" else f":{how}")
        rows[label] = agg.reindex(list(units))
    return pd.DataFrame(rows).T

