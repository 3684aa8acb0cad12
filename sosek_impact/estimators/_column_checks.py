"""Column checks of panel data: the named columns exist, are numeric, have no missing value.

Each check raises a typed error from :mod:`sosek_impact.errors` whose message names the column,
the offending value and the (unit, period) where it sits (plain Python values). Re-exported by
:mod:`sosek_impact.estimators._checks`, which runs them in :func:`~sosek_impact.estimators._checks.check_panel`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError, MissingValueError, SchemaError, ValueRangeError
from sosek_impact.estimators._panel_common import cell as _cell
from sosek_impact.estimators._panel_common import listing as _listing
from sosek_impact.results_protocol import plain as _py

__all__ = ["check_columns", "check_missing", "check_numeric", "check_treatment_dummy"]


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
