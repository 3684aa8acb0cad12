"""``read_bps_table``: one BPS-style table (CSV or XLSX, wide or long) → a tidy long DataFrame.

Every output row is one value with its region as published, the enclosing province block,
year, variable, value, footnote flag, the original cell text and the file line it came
from. Every input line is accounted for: it produced values, or it is listed in
``df.attrs["skipped"]`` with the reason (title, header, note, blank). The regions of the rows
are read in :mod:`.bps_regions`, the variable and year of the columns in :mod:`.bps_columns`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import DuplicateKeyError, InputError, SchemaError, ValueRangeError
from .bps_columns import column_meta, long_years, resolve_year
from .bps_regions import body_regions, header_regions
from .layout import Layout, analyse_layout, cell_text, header_year
from .numbers import MIXED, detect_decimal, parse_number
from .textfile import Record, read_text_table
from .xlsx import is_xlsx, read_xlsx_records

__all__ = ["OUTPUT_COLUMNS", "SkippedRows", "read_bps_table"]

#: Columns of the tidy output, in order (extra label columns, if any, follow them).
OUTPUT_COLUMNS: tuple[str, ...] = (
    "region", "province_block", "is_province", "is_national", "year", "variable", "value", "flag",
    "raw", "source_file", "source_row", "source_column",
)


class SkippedRows(pd.DataFrame):
    """The lines of a file that produced no value: columns ``line``, ``text``, ``reason``.

    A DataFrame whose ``==`` with another ``SkippedRows`` is a single bool (``.equals``), so
    that pandas can compare ``attrs`` when tables read by :func:`read_bps_table` are
    concatenated (plain DataFrames in ``attrs`` make ``pd.concat`` raise).
    """

    @property
    def _constructor(self):  # noqa: D401 - pandas hook
        return SkippedRows

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return isinstance(other, pd.DataFrame) and pd.DataFrame.equals(self, other)

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]


def _row_text(rec: Record, sep: str | None = ",") -> str:
    cells = [cell_text(c) for c in rec.cells]
    while cells and not cells[-1].strip():
        cells.pop()
    return (sep or ",").join(cells)


def _join_flags(*flags: str) -> str:
    seen: list[str] = []
    for flag in flags:
        for part in str(flag).split(";"):
            if part and part not in seen:
                seen.append(part)
    return ";".join(seen)


def read_bps_table(
    path: str | Path,
    *,
    decimal: Literal[".", ","] | Mapping[str, str] | None = None,
    layout: Literal["auto", "wide", "long"] = "auto",
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    year: int | Literal["filename"] | None = None,
    variable: str | Mapping[str, str] | None = None,
    region_column: str | int | None = None,
    province_column: str | int | None = None,
    label_columns: Sequence[str | int] = (),
    nonnegative: bool = False,
    value_range: tuple[float, float] | None = None,
    year_range: tuple[int, int] | None = (1900, 2100),
    allow_duplicates: bool = False,
    split_year_suffix: bool = False,
) -> pd.DataFrame:
    """Read a BPS-style statistical table into a tidy long DataFrame.

    Handles web-table exports and users' copies of them: title rows above the header,
    two-row (merged) headers such as a variable row over a year row, province rows in
    CAPITALS mixed with their regency rows, a final ``INDONESIA`` row, trailing notes
    (``Catatan``, ``Sumber``, footnotes with HTML tags) and empty ``;;;;`` rows, a BOM,
    cp1252/Latin-1 text, ``;``/``,``/tab/``|`` separators (sniffed), CRLF, XLSX sheets.

    Parameters
    ----------
    path
        A ``.csv``/``.txt`` (any delimiter) or ``.xlsx`` file.
    decimal
        ``","`` or ``"."`` for every number column, a mapping ``{column header: mark}``, or
        ``None`` to decide each column from all its cells (an ambiguous column raises
        :class:`~sosek_impact.errors.AmbiguousNumberError`: pass ``decimal=`` then).
    layout
        ``"wide"`` (years or variables as columns), ``"long"`` (a value column headed
        ``nilai``/``value``, with ``tahun``/``year`` and ``variabel``/``indikator`` columns),
        or ``"auto"`` (long when such a value column exists).
    sep, encoding
        Force the separator / text encoding (default: sniffed / UTF-8 then cp1252, Latin-1).
    sheet
        XLSX sheet name or 0-based index (default: the first).
    year
        Year of a table whose header and title give none; ``"filename"`` takes the single
        4-digit year in the file name (flagged ``year_inferred``). A ``year=`` that
        contradicts the year in the file raises :class:`~sosek_impact.errors.HeaderError`.
    variable
        Name of the variable (one-variable tables), or a mapping from published column
        labels to names; unmapped labels keep the published text.
    region_column, province_column, label_columns
        Override the detected column of region names, of province names (tables with one
        ``Provinsi`` column beside the regency column), and columns to keep as text labels
        (e.g. code columns); header text or 0-based index. Extra label columns are returned as
        additional columns named by their header.
    nonnegative, value_range
        Refuse negative values / values outside ``[low, high]``
        (:class:`~sosek_impact.errors.ValueRangeError`).
    year_range
        Admissible years (inclusive); ``None`` to skip the check.
    allow_duplicates
        Accept the same (province block, region, extra labels, year, variable) twice, from two
        rows or from two columns; by default it raises :class:`~sosek_impact.errors.DuplicateKeyError`.
    split_year_suffix
        Read a header that ends in a year (``grdp_pc_2016``, ``POP2000``) as variable
        ``grdp_pc`` / ``POP`` of that year. Off by default: it is a naming convention, not a
        BPS layout.

    Returns
    -------
    pandas.DataFrame
        One row per value, columns :data:`OUTPUT_COLUMNS`: ``region`` (as published),
        ``province_block`` (enclosing province row or the province column; a province row's own
        name), ``is_province``, ``is_national``, ``year`` (Int64, missing if unknown),
        ``variable``, ``value`` (float, NaN when missing), ``flag`` (``provisional``,
        ``revised``, ``year_inferred``, ``;``-joined), ``raw`` (cell text), ``source_file``,
        ``source_row`` (1-based line or sheet row), ``source_column`` (header of the cell).
        ``attrs``: ``skipped`` (:class:`SkippedRows`), ``encoding``, ``separator``, ``sheet``,
        ``decimal`` (per column), ``title``, ``region_header``.

    Raises
    ------
    sosek_impact.errors.InputError
        Every problem with the file, as a subclass naming file, row, column and value:
        ``EmptyFileError``, ``EncodingError``, ``HeaderError``, ``SchemaError``,
        ``NumberFormatError``, ``AmbiguousNumberError``, ``DuplicateKeyError``,
        ``ValueRangeError``.

    Examples
    --------
    >>> df = read_bps_table("Miskin 2024.csv", variable="poverty_rate")  # doctest: +SKIP
    >>> df.loc[df.region == "Kapuas Hulu", ["province_block", "year", "value", "source_row"]]  # doctest: +SKIP
           province_block  year  value  source_row
    341  KALIMANTAN BARAT  2024    7.4         345
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise InputError("no such file", file=file)
    data = path.read_bytes()
    sheet_name = None
    if is_xlsx(path, data[:4]) and data.strip():
        records, sheet_name = read_xlsx_records(path, sheet=sheet)
        used_encoding, separator = None, None
    else:
        table = read_text_table(data, file=file, sep=sep, encoding=encoding)
        records, used_encoding, separator = table.records, table.encoding, table.separator

    lay = analyse_layout(
        records, file=file, layout=layout, region_column=region_column, province_column=province_column,
        label_columns=label_columns, separator=separator,
    )
    body = [records[i] for i in lay.body]
    lines = [r.line for r in body]
    header_line = records[lay.header_rows[-1]].line if lay.header_rows else None
    column_regions = header_regions(lay) if lay.regions_in_header else {}
    regions = [] if lay.regions_in_header else body_regions(records, lay)

    for rec, (region, *_rest) in zip(body, regions):
        if not region:
            has_values = any(cell_text(rec.cells[j]).strip() for j in lay.value_columns if j < len(rec.cells))
            if has_values:
                raise SchemaError("values without a region name", file=file, row=rec.line,
                                  column=lay.region_header or f"column {lay.region_column + 1}", value=_row_text(rec))

    decimals: dict[str, str | None] = {}
    frames = []
    extra_labels = [j for j in lay.label_columns if j not in (lay.region_column, lay.province_column)]
    for j in lay.value_columns:
        name, head_year, head_flag, source_column = column_meta(lay, j, variable, split_year_suffix, file)
        if lay.regions_in_header:
            # The header names regions, not variables: the variable is variable= or the title.
            head_year, head_flag = None, ""
            name = variable if isinstance(variable, str) else (lay.title or None)
            regions = [column_regions[j]] * len(body)
        cells = [rec.cells[j] for rec in body]
        mark = decimal.get(source_column) if isinstance(decimal, Mapping) else decimal
        if mark is None:
            mark = detect_decimal(cells, file=file, column=source_column, rows=lines)
        decimals[source_column] = mark
        values = np.empty(len(cells))
        flags = []
        for k, (cell, line) in enumerate(zip(cells, lines)):
            v, f = parse_number(cell, None if mark == MIXED else (mark or "."), file=file, row=line,
                                column=source_column)
            values[k] = v
            flags.append(f)
        col_year, year_flag = resolve_year(head_year, lay, year, path, file, header_line, source_column)
        if col_year is not None and year_range is not None and not year_range[0] <= col_year <= year_range[1]:
            line = header_line if head_year is not None else lay.title_year_row if lay.title_year else None
            raise ValueRangeError(
                f"year {col_year} outside {year_range[0]}–{year_range[1]}",
                file=file, row=line, column=source_column, value=col_year,
            )
        frame = pd.DataFrame({
            "region": [r[0] for r in regions],
            "province_block": [r[1] for r in regions],
            "is_province": [r[2] for r in regions],
            "is_national": [r[3] for r in regions],
            "year": pd.array([col_year] * len(body), dtype="Int64"),
            "variable": [name] * len(body),
            "value": values,
            "flag": [_join_flags(head_flag, year_flag, f) for f in flags],
            "raw": [cell_text(c).strip() for c in cells],
            "source_file": file,
            "source_row": np.array(lines, dtype="int64"),
            "source_column": source_column,
        })
        if lay.year_column is not None:
            years, year_flags = long_years(body, lay, file, year_range)
            frame["year"] = years
            frame["flag"] = [_join_flags(f, g) for f, g in zip(year_flags, frame["flag"])]
        if lay.variable_column is not None:
            published = [cell_text(rec.cells[lay.variable_column]).strip() for rec in body]
            if isinstance(variable, Mapping):
                frame["variable"] = [variable.get(p, p) for p in published]
            elif isinstance(variable, str):
                frame["variable"] = variable
            else:
                frame["variable"] = published
        for e in extra_labels:
            col = lay.column_names.get(e) or f"column {e + 1}"
            if col in OUTPUT_COLUMNS:
                col = f"label_{col}"
            frame[col] = [cell_text(rec.cells[e]).strip() for rec in body]
        frame["_order"] = np.arange(len(body)) * (len(lay.value_columns) + 1) + lay.value_columns.index(j)
        frames.append(frame)

    out = pd.concat(frames, ignore_index=True).sort_values("_order", kind="stable").drop(columns="_order")
    out = out.reset_index(drop=True)
    if (isinstance(variable, str) and lay.variable_column is None and not lay.regions_in_header
            and len(lay.value_columns) > 1):
        published = {tuple(lay.column_labels.get(j, [])) for j in lay.value_columns}
        years = {header_year(t[-1]) for t in published if t}
        if len(published) > 1 and None in years:
            raise SchemaError(
                f"variable={variable!r} names one variable but the table has {len(lay.value_columns)} "
                "variable columns; pass a mapping {published label: name}",
                file=file, row=header_line,
            )
    _check_values(out, nonnegative, value_range)
    if not allow_duplicates:
        _check_duplicates(out, lay, [c for c in out.columns if c not in OUTPUT_COLUMNS])

    skipped = [(records[i].line, _row_text(records[i], separator), "title") for i in lay.title_rows]
    skipped += [(records[i].line, _row_text(records[i], separator), "header") for i in lay.header_rows]
    skipped += [(records[i].line, _row_text(records[i], separator), "note") for i in lay.tail]
    skipped += [(records[i].line, "", "blank") for i in lay.blank]
    out.attrs = {
        "skipped": SkippedRows(sorted(skipped), columns=["line", "text", "reason"]),
        "source_file": file,
        "encoding": used_encoding,
        "separator": separator,
        "sheet": sheet_name,
        "decimal": decimals,
        "title": lay.title,
        "region_header": lay.region_header,
        "rows_read": len(records),
    }
    return out


def _check_values(out: pd.DataFrame, nonnegative: bool, value_range: tuple[float, float] | None) -> None:
    if nonnegative:
        bad = out.index[out["value"] < 0]
        if len(bad):
            r = out.loc[bad[0]]
            raise ValueRangeError("negative value where the caller declared nonnegative=True",
                                  file=r.source_file, row=int(r.source_row), column=r.source_column, value=r.raw)
    if value_range is not None:
        low, high = value_range
        bad = out.index[(out["value"] < low) | (out["value"] > high)]
        if len(bad):
            r = out.loc[bad[0]]
            raise ValueRangeError(f"value outside {low}–{high}",
                                  file=r.source_file, row=int(r.source_row), column=r.source_column, value=r.raw)


def _check_duplicates(out: pd.DataFrame, lay: Layout, extra: Sequence[str] = ()) -> None:
    """Refuse two values for one (province block, region, extra labels, year, variable).

    Extra label columns (codes, "Regency_City") are part of the key: Blitar the kabupaten and
    Blitar the kota share a name and a province. The source column is not: two columns headed
    ``2020`` (or two labels mapped to one variable name) give two values for the same key. Only a
    value column without any header text is told apart by its position, having no name at all.
    """
    headerless = {
        lay.column_names.get(j) or f"column {j + 1}" for j in lay.value_columns if not lay.column_labels.get(j)
    }
    cols = ["province_block", "region", *extra, "is_province", "year", "variable"]
    keys = out[cols].astype(object)
    keys["_column"] = [c if c in headerless else None for c in out["source_column"]]
    if not keys.where(keys.notna(), "\x00missing").duplicated().any():
        return
    seen: dict[tuple, int] = {}
    for idx, key in enumerate(keys.itertuples(index=False, name=None)):
        key = tuple(None if (k is None or k is pd.NA or (isinstance(k, float) and np.isnan(k))) else k for k in key)
        if key not in seen:
            seen[key] = idx
            continue
        r, first = out.iloc[idx], out.iloc[seen[key]]
        year = r.year if pd.notna(r.year) else "unknown"
        if r.source_column != first.source_column:
            raise DuplicateKeyError(
                f"columns {first.source_column!r} and {r.source_column!r} both give {r.region!r} "
                f"(province block {r.province_block!r}) for year {year} and variable {r.variable!r} "
                f"(rows {int(first.source_row)} and {int(r.source_row)}): same variable and year twice",
                file=r.source_file, row=int(r.source_row), column=r.source_column, value=r.raw,
            )
        raise DuplicateKeyError(
            f"{r.region!r} appears twice in province block {r.province_block!r} for year "
            f"{year} (first at row {int(first.source_row)})",
            file=r.source_file, row=int(r.source_row),
            column=lay.region_header or f"column {lay.region_column + 1}", value=r.region,
        )
