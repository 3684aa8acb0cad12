"""Variable, year and footnote flag of a BPS table's value columns (and of its year column).

The year of a column comes from its header (``2019``, ``2020*``, "Pengeluaran 2019"), else the
title line, else the caller's ``year=`` (or the file name); a ``year=`` that contradicts the
file is refused. Used by :func:`~sosek_impact.io.bps_table.read_bps_table`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import HeaderError, InputError, SchemaError, ValueRangeError
from .layout import Layout, cell_text, header_year
from .textfile import Record

__all__ = ["column_meta", "long_years", "resolve_year"]

# "Pengeluaran 2019", "Persentase Penduduk Miskin 2020*": a variable name, a space and a year.
_JOINED_YEAR = re.compile(r"^(?=.*[A-Za-z])(.*\S)\s+((?:19|20)[0-9]{2})\s*(\*{1,3}|\(r\))?$")
_YEAR_SUFFIX = re.compile(r"^(.*?[^0-9_ -])[_ -]?((?:19|20)[0-9]{2})$")
_FILENAME_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")


def column_meta(
    lay: Layout, j: int, variable: str | Mapping[str, str] | None, split_year_suffix: bool = False,
    file: Any = None,
) -> tuple[str | None, int | None, str, str]:
    """``(variable, year, year_flag, source_column)`` of value column ``j`` from its header."""
    labels = lay.column_labels.get(j, [])
    year, flag = None, ""
    words: list[str] = []
    for text in labels:
        found = header_year(text)
        joined = _JOINED_YEAR.match(text) if found is None else None
        if joined is not None:  # "Pengeluaran 2019": the variable and the year in one cell
            text, found = joined.group(1), header_year(f"{joined.group(2)}{joined.group(3) or ''}")
        if found is not None:
            if year is not None and found[0] != year:
                raise HeaderError(f"column header names two years ({year} and {found[0]})", file=file,
                                  column=lay.column_names.get(j) or f"column {j + 1}", value=" - ".join(labels))
            year, flag = found
        if joined is not None or found is None:
            if not words or words[-1] != text:
                words.append(text)
    published = " - ".join(words) if words else None
    if split_year_suffix and year is None and published is not None:
        match = _YEAR_SUFFIX.match(published)
        if match:
            published, year = match.group(1), int(match.group(2))
    if isinstance(variable, Mapping):
        # the label as written ("Miskin 2020") or as split into variable and year ("Miskin")
        as_written = " - ".join(t for t in labels if header_year(t) is None) or None
        name = variable.get(as_written, variable.get(published, published)) if published is not None else None
    elif isinstance(variable, str):
        name = variable
    else:
        name = published
    source_column = lay.column_names.get(j) or f"column {j + 1}"
    return name, year, flag, source_column


def resolve_year(
    header: int | None, lay: Layout, year: int | str | None, path: Path, file: Any, line: int | None, column: str,
) -> tuple[int | None, str]:
    """Year of a column: header > title line > ``year=``; a ``year=`` that contradicts the file is refused."""
    from_file = header if header is not None else lay.title_year
    where = line if header is not None else lay.title_year_row
    if isinstance(year, int) and not isinstance(year, bool):
        if from_file is not None and from_file != year:
            raise HeaderError(
                f"year={year} was passed but the table says {from_file}", file=file, row=where, column=column,
                value=from_file,
            )
        return year, ""
    if from_file is not None:
        return from_file, ""
    if year == "filename":
        found = _FILENAME_YEAR.findall(path.stem)
        if len(set(found)) == 1:
            return int(found[0]), "year_inferred"
        raise InputError("year='filename' but the file name holds no single year", file=file, value=path.name)
    if year is not None:
        raise ValueError(f"year must be an int, 'filename' or None, not {year!r}")
    return None, ""


def long_years(
    body: Sequence[Record], lay: Layout, file: Any, year_range: tuple[int, int] | None,
) -> tuple[pd.array, list[str]]:
    """Years (Int64) and their flags (``2024*`` is provisional) from the year column."""
    column = lay.column_names.get(lay.year_column) or f"column {lay.year_column + 1}"
    years, flags = [], []
    for rec in body:
        text = cell_text(rec.cells[lay.year_column]).strip()
        if not text:
            years.append(None)
            flags.append("")
            continue
        found = header_year(text)
        if found is None:
            raise SchemaError("not a year", file=file, row=rec.line, column=column, value=text)
        if year_range is not None and not year_range[0] <= found[0] <= year_range[1]:
            raise ValueRangeError(f"year {found[0]} outside {year_range[0]}–{year_range[1]}",
                                  file=file, row=rec.line, column=column, value=text)
        years.append(found[0])
        flags.append(found[1])
    return pd.array(years, dtype="Int64"), flags
