"""The first-treated period of each panel row, from a :func:`~sosek_impact.registry.treatment_timing`.

``panel["bps_code"].map(timing).fillna(0)`` turns every unit without a year into a never-treated
control without a word. :func:`map_treatment_timing` does the same mapping but keeps such a unit's
value missing and warns (:class:`~sosek_impact.errors.MissingAdoptionWarning`, once, naming the
BPS codes) when the registry marks the unit treated (a land-border regency by default) or when
the unit is not in the timing at all. Units neither marked nor treated get 0 (never treated).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MissingAdoptionWarning, SchemaError
from .tables import read_table

__all__ = ["map_treatment_timing"]


def _marked_units(panel: pd.DataFrame, unit: str, marked: str | Iterable[int] | None, root: Path | None) -> set:
    if marked is None:
        codes = read_table("border_regencies", root)["bps_code"].dropna().astype(int)
        return set(codes.tolist())
    if isinstance(marked, str):
        if marked not in panel.columns:
            raise SchemaError("column not found in the panel", column=marked)
        flag = panel[marked].fillna(False).astype(bool)
        return set(panel.loc[flag.to_numpy(), unit].tolist())
    return {int(c) for c in marked}


def map_treatment_timing(
    panel: pd.DataFrame,
    timing: pd.Series,
    *,
    unit: str = "bps_code",
    marked: str | Iterable[int] | None = None,
    root: Path | None = None,
) -> pd.Series:
    """First treated period of every row of ``panel``, missing where the adoption year is unknown.

    Parameters
    ----------
    panel
        Long panel with a ``unit`` column.
    timing
        First treated period by unit code (:func:`~sosek_impact.registry.treatment_timing`, year
        form: 0 = no event).
    unit
        The unit column of ``panel`` (codes of ``timing``'s index).
    marked
        Units the registry marks treated: ``None`` (default) = the registry's land-border regencies
        (``registry_border_regencies.csv``), a boolean column of ``panel`` (a unit is marked if
        any of its rows is true, e.g. ``"border"``), or an iterable of codes.
    root
        Folder with the registry extracts (default ``data/raw``), for ``marked=None``.

    Returns
    -------
    pandas.Series
        Aligned with ``panel.index``, named ``first_treat``, float: the unit's first treated period,
        0 for units neither treated nor marked, NaN for marked units without a treated period (0 in
        ``timing``) and for units absent from ``timing``. Never filled in: drop those units, or
        decide explicitly (``.fillna(0)``) that they are controls.

    Warns
    -----
    MissingAdoptionWarning
        Once, naming the units left missing and why.
    """
    if unit not in panel.columns:
        raise SchemaError("column not found in the panel", column=unit)
    codes = panel[unit]
    years = codes.map(timing).astype(float)
    absent = sorted({int(c) for c in codes[years.isna().to_numpy()].dropna().unique()})
    marked_set = _marked_units(panel, unit, marked, root)
    no_year = years.to_numpy() == 0
    marked_rows = codes.isin(marked_set).to_numpy()
    unknown = sorted({int(c) for c in codes[no_year & marked_rows].unique()})
    out = pd.Series(np.where(no_year & marked_rows, np.nan, years.to_numpy()), index=panel.index, name="first_treat")
    parts = []
    if unknown:
        parts.append(f"{len(unknown)} unit(s) marked treated by the registry have no adoption year in the timing "
                     f"({unit} {', '.join(map(str, unknown))})")
    if absent:
        parts.append(f"{len(absent)} unit(s) are not in the timing at all ({unit} {', '.join(map(str, absent))})")
    if parts:
        warnings.warn("; ".join(parts) + ": their first_treat is left missing (an estimator would count them as never "
                      "treated); drop them, or fill 0 explicitly if they are controls", MissingAdoptionWarning,
                      stacklevel=2)
    return out
