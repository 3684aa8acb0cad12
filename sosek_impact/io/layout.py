"""Where the table is inside a BPS-style export: head rows, body rows, notes, column roles.

A BPS web-table export (and a user's copy of one) is a grid of records in which:

- a *head* of title rows and one or more header rows sits above the data (e.g. the
  Miskin/IPM exports: ``Provinsi/Kabupaten/Kota,`` / ``,<table title>`` / ``,2024``);
- the *body* holds one row per region: label cell(s) and number cells;
- a *tail* of notes (``Catatan``, ``Sumber``, footnotes) and blank rows follows.

This module finds those parts and the role of every column (label, value, year, variable,
value-of-a-long-table) without reading the numbers themselves; :mod:`.bps_table` does that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EmptyFileError, HeaderError, SchemaError
from .cells import (
    _ID_HEADER,
    _PROVINCE_WORDS,
    _REGION_WORDS,
    _VALUE_WORDS,
    _VARIABLE_WORDS,
    _YEAR_WORDS,
    _is_note,
    _is_words,
    _kind,
    _note_like,
    cell_text,
    header_year,
    normalise_header,
)
from .head import _column_names, _label_columns, _split_head
from .textfile import Record

__all__ = ["Layout", "analyse_layout", "cell_text", "header_year", "normalise_header"]


@dataclass
class Layout:
    """The parts of a table. Indices are positions in the record list; columns are 0-based."""

    width: int
    head: list[int]
    body: list[int]
    tail: list[int]
    blank: list[int]
    title_rows: list[int]
    header_rows: list[int]
    region_column: int
    province_column: int | None
    label_columns: list[int]
    value_columns: list[int]
    year_column: int | None
    variable_column: int | None
    long_value_column: int | None
    column_labels: dict[int, list[str]] = field(default_factory=dict)
    column_names: dict[int, str] = field(default_factory=dict)
    title: str = ""
    title_year: int | None = None
    title_year_row: int | None = None
    region_header: str = ""
    regions_in_header: bool = False


def _resolve_column(spec: str | int | None, names: dict[int, str], width: int, what: str, file: Any) -> int | None:
    if spec is None:
        return None
    if isinstance(spec, int):
        if not 0 <= spec < width:
            raise SchemaError(f"{what}={spec} is outside the table's {width} columns", file=file, value=spec)
        return spec
    for j, name in names.items():
        if name == spec or normalise_header(name) == normalise_header(spec):
            return j
    raise SchemaError(f"{what}={spec!r} names no column; columns are {sorted(set(names.values()))}",
                      file=file, column=spec)


def analyse_layout(
    records: Sequence[Record],
    *,
    file: str | Path | None = None,
    layout: str = "auto",
    region_column: str | int | None = None,
    province_column: str | int | None = None,
    label_columns: Sequence[str | int] = (),
    separator: str | None = None,
) -> Layout:
    """Find head, body, tail and column roles of a table.

    ``separator`` is the CSV separator (``None`` for a worksheet); it lets a header written
    with another separator be recognised.

    Raises
    ------
    EmptyFileError
        No row holds a region label and a number (header only, notes only).
    HeaderError
        A single column (wrong separator?), header rows whose widths differ from the body,
        value columns without a header while others have one (a shifted header).
    SchemaError
        A body row with too few or too many fields, or values without a region label.
    """
    kinds = [[_kind(c) for c in r.cells] for r in records]
    blank = [i for i, k in enumerate(kinds) if all(x == "empty" for x in k)]
    blank_set = set(blank)
    nonblank = [i for i in range(len(records)) if i not in blank_set]
    if not nonblank:
        raise EmptyFileError("the file holds no data rows (only blank lines)", file=file)
    if all(len(records[i].cells) <= 1 for i in nonblank):
        first = records[nonblank[0]]
        raise HeaderError(
            "every line is a single column: wrong separator? pass sep=",
            file=file, row=first.line, value=cell_text(first.cells[0]) if first.cells else "",
        )

    def is_year_header(i: int) -> bool:
        cells, k = records[i].cells, kinds[i]
        nums = [cell_text(c) for c, x in zip(cells, k) if x == "number"]
        texts = [cell_text(c) for c, x in zip(cells, k) if x == "text"]
        if not nums or not all(header_year(t) for t in nums):
            return False
        if any(_is_words(t, _REGION_WORDS | _YEAR_WORDS) for t in texts):
            return True
        # Without a header word, only a run of years in order (2015, 2016, ...) is a header:
        # a first data row of four-digit counts is seldom strictly monotonic.
        years = [header_year(t)[0] for t in nums]
        steps = [b - a for a, b in zip(years, years[1:])]
        return len(years) >= 2 and (all(d > 0 for d in steps) or all(d < 0 for d in steps))

    # Body: from the first row holding text and a number (that is not a row of years)
    # to the last such row.
    notes = {i for i in nonblank if _is_note(records[i])}
    year_rows = _year_rows(records, kinds, nonblank, notes)
    if year_rows:
        candidates = year_rows
    else:
        candidates = [i for i in nonblank if "text" in kinds[i] and "number" in kinds[i] and i not in notes]
    def years_only(i: int) -> bool:
        nums = [cell_text(c) for c, x in zip(records[i].cells, kinds[i]) if x == "number"]
        return bool(nums) and all(header_year(t) for t in nums)

    # A header of years is followed by rows that are not all years (else they are data).
    if (not year_rows and candidates and is_year_header(candidates[0])
            and not (len(candidates) > 1 and years_only(candidates[1]))):
        candidates = candidates[1:]
    if not candidates:
        # A table whose every value is a missing mark ("-") still has its rows.
        candidates = [i for i in nonblank if "text" in kinds[i] and "missing" in kinds[i] and i not in notes]
    if not candidates:
        first = records[nonblank[-1]]
        raise EmptyFileError(
            "no data rows: no line holds a region name and a number (header only?)",
            file=file, row=first.line,
        )
    start, end = candidates[0], candidates[-1]
    inner = [i for i in nonblank if start <= i <= end]
    width = Counter(len(records[i].cells) for i in inner).most_common(1)[0][0]

    # Column roles, decided by the majority kind of each column's body cells.
    text_count = Counter()
    number_count = Counter()
    for i in inner:
        for j, x in enumerate(kinds[i][:width]):
            if x == "text":
                text_count[j] += 1
            elif x in ("number", "missing"):
                number_count[j] += 1

    head = [i for i in nonblank if i < start]
    names = _column_names(records, head, width)
    year_col = var_col = long_val_col = None
    for j in range(width):
        name = names.get(j, "")
        if year_col is None and _is_words(name, _YEAR_WORDS):
            year_col = j
        elif var_col is None and _is_words(name, _VARIABLE_WORDS):
            var_col = j
        elif long_val_col is None and _is_words(name, _VALUE_WORDS):
            long_val_col = j
    if layout == "long" and long_val_col is None:
        raise HeaderError("layout='long' needs a value column headed 'nilai'/'value'", file=file,
                          row=records[head[-1]].line if head else None)
    if layout == "wide":
        var_col = long_val_col = None
    if long_val_col is None:
        var_col = var_col if var_col is not None and layout != "wide" else None

    forced = {_resolve_column(c, names, width, "label_columns", file) for c in label_columns}
    special = {c for c in (year_col, var_col, long_val_col) if c is not None}
    labels, values = [], []
    for j in range(width):
        if j in special:
            continue
        is_id = bool(_ID_HEADER.search(names.get(j, "")))
        if j in forced or is_id or text_count[j] > number_count[j]:
            labels.append(j)
        elif number_count[j] or names.get(j):
            values.append(j)
    if long_val_col is not None:
        values = [long_val_col]
    if not labels and not year_rows:
        raise HeaderError("no column of region names found; pass region_column=", file=file,
                          row=records[start].line)

    prov = _resolve_column(province_column, names, width, "province_column", file)
    region = _resolve_column(region_column, names, width, "region_column", file)
    if year_rows and region is None:
        region = year_col  # regions are the column headers; rows are years
    if prov is None and len(labels) > 1:
        prov = next((j for j in labels if _is_words(names.get(j, ""), _PROVINCE_WORDS)), None)
    if region is None:
        others = [j for j in labels if j != prov and not _ID_HEADER.search(names.get(j, ""))]
        named = [j for j in others if _is_words(names.get(j, ""), _REGION_WORDS)]
        region = (named or others or [labels[-1]])[-1] if not named else named[0]
    if prov == region:
        prov = None

    # Extend the body over rows that carry only missing markers (e.g. a last "Yahukimo,-").
    def value_row(i: int) -> bool:
        if i in notes:
            return False
        k = kinds[i]
        has_label = region < len(k) and k[region] == "text"
        vals = [k[j] for j in values if j < len(k)]
        return has_label and bool(vals) and all(x in ("missing", "number", "empty") for x in vals) \
            and any(x != "empty" for x in vals)

    pos_end, pos_start = nonblank.index(end), nonblank.index(start)
    while pos_start > 0 and value_row(nonblank[pos_start - 1]) and not is_year_header(nonblank[pos_start - 1]):
        pos_start -= 1
    start = nonblank[pos_start]
    head = [i for i in nonblank if i < start]
    body = [i for i in nonblank if start <= i <= end and i not in notes]
    late = _late_body_rows(records, kinds, nonblank[pos_end + 1:], notes, region, values, width,
                           bool(year_rows))
    body += late
    late_set = set(late)
    tail = [i for i in nonblank if (i > end and i not in late_set) or (start <= i <= end and i in notes)]

    for i in body:
        rec, k = records[i], kinds[i]
        extra = [j for j in range(width, len(k)) if k[j] != "empty"]
        if extra:
            raise SchemaError(
                f"row has {len(rec.cells)} fields, the table has {width}",
                file=file, row=rec.line, column=f"column {extra[0] + 1}", value=cell_text(rec.cells[extra[0]]),
            )
        if len(rec.cells) < width:
            raise SchemaError(
                f"truncated row: {len(rec.cells)} fields, the table has {width}",
                file=file, row=rec.line, column=names.get(len(rec.cells)) or f"column {len(rec.cells) + 1}",
                value=",".join(cell_text(c) for c in rec.cells),
            )

    title_rows, header_rows = _split_head(records, kinds, head, labels, region, width, file, separator)
    lay = Layout(
        width=width, head=head, body=body, tail=tail, blank=blank, title_rows=title_rows,
        header_rows=header_rows, region_column=region, province_column=prov,
        label_columns=labels, value_columns=values, year_column=year_col, regions_in_header=bool(year_rows),
        variable_column=var_col if long_val_col is not None else None, long_value_column=long_val_col,
        column_names=names,
    )
    _label_columns(records, lay, file)
    _unique_value_names(lay)
    return lay


def _late_body_rows(
    records: Sequence[Record], kinds: list[list[str]], after: Sequence[int], notes: set[int],
    region: int, values: list[int], width: int, years_down: bool,
) -> list[int]:
    """Rows after the last row of a region label and a valid number that still belong to the body.

    Without this a malformed value in the *last* row(s) (``Bengkayang,x``, ``"(1,5)"``) would end
    the body above it and the row would be skipped as a note, while the same row in mid-table
    raises NumberFormatError. A row after the body is a body row (so its values are parsed, and a
    bad one is refused with its row and column) when it is not a note and

    - its region cell holds a label that does not read as a note (``1) ...``, ``...:``, a
      sentence) and one of its value cells is not empty: ``Mempawah,abc``, ``Kapuas Hulu,-``;
    - or its region cell holds such a label, every value cell is empty and the row has the
      table's width and follows the body directly (blank lines aside): ``Landak,`` (NaN);
    - or its region cell is empty and a value cell holds a number or a missing mark (refused
      later as values without a region name);
    - or, in a table with years down the rows, it starts with a year and holds a value.
    """
    out: list[int] = []
    straight = True
    for i in after:
        if i in notes:
            straight = False
            continue
        cells, k = records[i].cells, kinds[i]
        vals = [k[j] for j in values if j < len(k)]
        filled = any(x != "empty" for x in vals)
        label = cell_text(cells[region]).strip() if region < len(cells) else ""
        if years_down:
            first = cell_text(cells[0]).strip() if cells else ""
            keep = bool(header_year(first)) and filled
        elif label and region < len(k) and k[region] == "text" and not _note_like(label):
            keep = filled or (straight and len(cells) >= width)
        elif not label:
            keep = any(x in ("number", "missing") for x in vals)
        else:
            keep = False
        if keep:
            out.append(i)
        else:
            straight = False
    return out


def _unique_value_names(lay: Layout) -> None:
    """Value columns sharing a header text (``2017`` under both ``Makanan`` and ``Bukan
    Makanan``) are named by their whole header path instead, so a name finds one column."""
    counts = Counter(lay.column_names.get(j) for j in lay.value_columns)
    for j in lay.value_columns:
        name = lay.column_names.get(j)
        if name is None or counts[name] < 2:
            continue
        path: list[str] = []
        for text in lay.column_labels.get(j, []):
            if not path or path[-1] != text:
                path.append(text)
        lay.column_names[j] = " - ".join(path) if path else name
    counts = Counter(lay.column_names.get(j) for j in lay.value_columns)
    for j in lay.value_columns:
        name = lay.column_names.get(j)
        if name is not None and counts[name] > 1:
            lay.column_names[j] = f"{name} (column {j + 1})"


def _year_rows(records: Sequence[Record], kinds: list[list[str]], nonblank: list[int], notes: set[int]) -> list[int]:
    """Rows of a table with years down the first column and regions across the header.

    ``Tahun,Kalimantan Barat,Kalimantan Utara`` / ``2015,8.44,6.23`` / ...: the header's first
    cell is ``Tahun``/``Year`` and the rows below start with a year and hold only numbers.
    Returns those rows, or ``[]`` when the table is not of this shape.
    """
    rows = [i for i in nonblank if i not in notes]
    for pos, i in enumerate(rows):
        cells = records[i].cells
        if not cells or not _is_words(cell_text(cells[0]), _YEAR_WORDS):
            continue
        if not any(x == "text" for x in kinds[i][1:]):
            return []
        body = []
        for r in rows[pos + 1:]:
            k = kinds[r]
            if header_year(cell_text(records[r].cells[0]).strip()) and all(x != "text" for x in k[1:]):
                body.append(r)
            else:
                break
        return body
    return []
