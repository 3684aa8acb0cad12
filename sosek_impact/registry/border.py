"""Regencies with a land border with Malaysia, year by year.

The registry lists every regency (BPS code of today's vintage) that has, or had, a land border with
Sarawak or Sabah. Its ``land_border`` column describes today; a regency that lost its border through a
split (*pemekaran*) carries ``land_border = false``. The years are derived, not typed in:

* ``from_year`` is the registry's ``since_year`` — the year the regency was created (blank for the
  original regencies, i.e. border since before any panel year);
* ``until_year`` is set for a regency that is no longer a border regency: the year before a child
  that borders Malaysia split off it, read from ``registry_regency_splits.csv``. Kutai Barat (6402)
  thus borders Sarawak 1999–2012 and Mahakam Ulu (6411) from 2013.

The definition is administrative: a regency is a border regency in year *t* if it existed in *t* and
its territory in *t* touched the land border. Mahakam Ulu in 2012 is therefore *not* a border regency
(it did not exist; data for it in 2012 are back-cast by the source), while Kutai Barat is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .tables import filter_confidence, read_table

_COLUMNS = ["bps_code", "name", "province", "borders_with", "land_border", "from_year", "until_year",
            "source", "note", "confidence"]


def _border_table(min_confidence: str, root: Path | None) -> pd.DataFrame:
    border = read_table("border_regencies", root)
    border = filter_confidence(border, min_confidence, what="border_regencies", id_column="bps_code")
    bordering = set(border.loc[border["land_border"], "bps_code"].astype(int))
    splits = read_table("regency_splits", root)
    # Only splits of a former border regency matter; filter (and warn) on those alone.
    former = set(border.loc[~border["land_border"], "bps_code"].astype(int))
    splits = splits.loc[splits["parent_bps_code"].isin(former)].reset_index(drop=True)
    splits = filter_confidence(splits, min_confidence, what="border_regencies (splits)",
                               id_column="child_bps_code")
    border["from_year"] = border["since_year"].astype("Int64")
    until = []
    for code, has_border in zip(border["bps_code"].astype(int), border["land_border"]):
        if has_border:
            until.append(pd.NA)
            continue
        # Lost its border when a bordering child split off: border until the year before.
        lost = splits.loc[(splits["parent_bps_code"] == code) & splits["child_bps_code"].isin(bordering),
                          "effective_year"]
        until.append(int(lost.min()) - 1 if len(lost) else pd.NA)
    border["until_year"] = pd.array(until, dtype="Int64")
    # A row with land_border false and no bordering child never bordered: keep it only in the listing.
    border["ever_border"] = border["land_border"] | border["until_year"].notna()
    extra = [c for c in border.columns if c not in _COLUMNS and c not in {"since_year"}]
    return border[_COLUMNS + extra].sort_values("bps_code").reset_index(drop=True)


def border_regencies(year: int | None = None, *, min_confidence: str = "medium",
                     root: Path | None = None) -> pd.DataFrame:
    """Regencies with a land border with Malaysia, optionally in one year.

    Parameters
    ----------
    year
        If given, only the regencies that were land-border regencies in that year (see the module
        docstring for the administrative definition). If ``None``, every registry row with its
        derived ``from_year`` / ``until_year``.
    min_confidence
        Weakest registry confidence used: ``"high"``, ``"medium"`` (default) or ``"unverified"``.
        Unverified rows left out are named in a warning.
    root
        Folder with the registry extracts (default ``data/raw``).

    Returns
    -------
    pandas.DataFrame
        Columns ``bps_code, name, province, borders_with, land_border, from_year, until_year, source,
        note, confidence, ever_border`` (plus ``source_id`` if the extract has it). ``from_year`` and
        ``until_year`` are inclusive; missing means open-ended.

    Examples
    --------
    >>> border_regencies(2012)["bps_code"].tolist()  # doctest: +SKIP
    [6101, 6102, 6105, 6107, 6108, 6402, 6501, 6504]
    """
    table = _border_table(min_confidence, root)
    if year is None:
        return table
    year = int(year)
    starts = table["from_year"].fillna(-10_000).astype(int)
    ends = table["until_year"].fillna(10_000).astype(int)
    active = table["ever_border"] & (starts <= year) & (year <= ends)
    return table.loc[active].reset_index(drop=True)


def is_border(codes: Iterable[int] | int, year: Iterable[int] | int, *, min_confidence: str = "medium",
              root: Path | None = None) -> np.ndarray:
    """Whether each regency was a land-border regency in the given year.

    Parameters
    ----------
    codes
        BPS regency code(s) of today's vintage (4-digit ints).
    year
        One year for all codes, or one year per code (same length as ``codes``).
    min_confidence, root
        As in :func:`border_regencies`.

    Returns
    -------
    numpy.ndarray of bool
        One entry per code (a 0-d array if both arguments are scalars).
    """
    scalar = np.ndim(codes) == 0 and np.ndim(year) == 0
    code_arr = np.atleast_1d(np.asarray(codes, dtype=np.int64))
    year_arr = np.broadcast_to(np.atleast_1d(np.asarray(year, dtype=np.int64)), code_arr.shape)
    table = _border_table(min_confidence, root)
    table = table.loc[table["ever_border"]]
    out = np.zeros(code_arr.shape, dtype=bool)
    for code, start, end in zip(table["bps_code"].astype(int), table["from_year"], table["until_year"]):
        lo = -10_000 if pd.isna(start) else int(start)
        hi = 10_000 if pd.isna(end) else int(end)
        out |= (code_arr == code) & (year_arr >= lo) & (year_arr <= hi)
    return out.reshape(()) if scalar else out
