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

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EmptyFileError, HeaderError, NumberFormatError, SchemaError
from .numbers import is_missing_marker, readings, split_flags
from .textfile import Record

__all__ = ["Layout", "analyse_layout", "cell_text", "header_year", "normalise_header"]

# Header words that name the region column / the province column / long-table columns.
_REGION_WORDS = {
    "provinsi", "province", "kabupaten", "kota", "kab", "kab.", "kabupaten kota", "wilayah", "region",
    "daerah", "district", "regency", "city", "nama", "name", "nama wilayah", "nama daerah",
    "indonesia", "district name", "regency city", "kecamatan", "desa",
}
_PROVINCE_WORDS = {"provinsi", "province", "prov", "prov.", "nama provinsi", "province name"}
_YEAR_WORDS = {"tahun", "year", "periode", "period"}
_VARIABLE_WORDS = {"variabel", "variable", "indikator", "indicator", "uraian", "item"}
_VALUE_WORDS = {"nilai", "value", "angka", "jumlah nilai"}
_ID_HEADER = re.compile(r"^(?:kode|code|kd\w*|id|bps[ _]?code|loc[ _]id|kode[ _]\w+)$|(?:ID|_id|Id)$", re.IGNORECASE)
_ID_SUFFIX = re.compile(r"(?:ID|_id|Id)$")

_YEAR_LABEL = re.compile(r"^(?:tahun\s+|year\s+)?([0-9]{4})\s*((?:\*{1,3}|\(r\)|r)?)$", re.IGNORECASE)
# ``\d`` (any script's digits) on purpose: a cell of full-width digits is a (malformed) number
# for the layout, so that the number parser (ASCII digits only) refuses it.
_NUMBERISH = re.compile(r"^[-+\u2212]?\d[\d.,\s]*(?:[*%]|\s*$)")
_NOTE = re.compile(r"^(?:[*<]|(?:catatan|sumber|keterangan|ket\.|notes?|sources?)\b)", re.IGNORECASE)
# Footnote numbering at the start of a line: "1) ...", "(1) ...", "1. ...", "a) ...".
_FOOTNOTE = re.compile(r"^(?:\(?[0-9]{1,2}\)|[0-9]{1,2}[.)]\s|\(?[a-z]\)\s)", re.IGNORECASE)
_NUMBERING = re.compile(r"^\(?([0-9]{1,2})\)?$")
_TITLE_YEAR = re.compile(r"(?:^|,|\btahun|\byear)\s*((?:19|20)[0-9]{2})\s*\W*$", re.IGNORECASE)


def cell_text(cell: Any) -> str:
    """The text of a cell as a user sees it (numbers from XLSX without a trailing ``.0``)."""
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    return str(cell)


def normalise_header(text: str) -> str:
    """Lower-case header text with ``_`` and runs of spaces folded to one space."""
    return re.sub(r"\s+", " ", str(text).replace("_", " ")).strip().lower()


def _is_words(text: str, words: set[str]) -> bool:
    norm = normalise_header(text)
    if not norm:
        return False
    parts = [p.strip() for p in norm.split("/")]
    return all(p in words for p in parts if p)


def header_year(text: str) -> tuple[int, str] | None:
    """``(year, flag)`` when a header cell is a year (``2016``, ``2016*``, ``Tahun 2020``), else None."""
    match = _YEAR_LABEL.match(str(text).strip())
    if not match:
        return None
    year = int(match.group(1))
    if not 1000 <= year <= 2999:
        return None
    return year, ("provisional" if "*" in match.group(2) else "revised" if match.group(2) else "")


def _is_note(rec: Record) -> bool:
    """A note line: its first text starts with Catatan/Sumber/Keterangan/Note/Source, ``*`` or ``<``.

    A line whose first text starts with ``*`` or ``<`` is a note only when no other cell holds a
    number or a missing mark: ``*angka sementara`` is a footnote, ``*Pangandaran,"6,1"`` is a
    region row (a region marked by a footnote star) and is read, not skipped.
    """
    texts = [cell_text(c).strip() for c in rec.cells]
    pos = next((j for j, t in enumerate(texts) if t), None)
    if pos is None:
        return False
    match = _NOTE.match(texts[pos])
    if not match:
        return False
    if match.group(0) in ("*", "<"):
        return all(_kind(c) in ("empty", "text") for c in rec.cells[pos + 1:])
    return True


def _note_like(text: str) -> bool:
    """Text that reads as a note line rather than a region name (used on rows after the body)."""
    return bool(_NOTE.match(text) or _FOOTNOTE.match(text) or any(ch in text for ch in ":<>=")
                or len(text.split()) > 7)


def _kind(cell: Any) -> str:
    """``empty`` | ``missing`` (a marker such as ``-``) | ``number`` | ``text``."""
    if isinstance(cell, float):
        return "number"
    text = str(cell).strip(" \t\u00a0\r\n")
    if not text:
        return "empty"
    if is_missing_marker(text):
        return "missing"
    body, _ = split_flags(text)
    # A cell that starts like a number is a (possibly malformed) number for the layout, so
    # that "7,69%" or "1.23.456" is reported as a bad number, not taken for a region name.
    return "number" if readings(body) or _NUMBERISH.match(text) else "text"


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


def _column_names(records: Sequence[Record], head: list[int], width: int) -> dict[int, str]:
    """The last non-empty head text above each column (its name, as a user would call it)."""
    names: dict[int, str] = {}
    for i in head:
        if is_numbering_row(records[i]):
            continue  # "(1),(2)" numbers the columns; the header above names them
        for j, c in enumerate(records[i].cells[:width]):
            text = cell_text(c).strip()
            if text:
                names[j] = text
    return names


def _split_head(
    records: Sequence[Record], kinds: list[list[str]], head: list[int], labels: list[int],
    region: int, width: int, file: Any, separator: str | None,
) -> tuple[list[int], list[int]]:
    """Head rows with content over value columns are header rows; so is the last row naming the
    region column. The rest are title rows."""
    header_rows: list[int] = []
    label_set = set(labels) | {region}
    for i in head:
        rec = records[i]
        if len(rec.cells) == 1 and width > 1:
            # A one-field line is a title, unless another separator splits it into the table's
            # width: then the header was written with a different separator than the data.
            text = cell_text(rec.cells[0])
            for other in (";", "\t", "|", ","):
                if separator is None or other == separator:
                    continue
                if other in text and len(text.split(other)) == width:
                    raise HeaderError(
                        f"the header line splits on {other!r}, the data lines on another separator",
                        file=file, row=rec.line, column=f"column {2}", value=text,
                    )
    # The line naming the region column has more than one field (a lone line is a title).
    region_row = max(
        (i for i in head if len(records[i].cells) > 1 and region < len(kinds[i]) and kinds[i][region] != "empty"),
        default=None,
    )
    for i in head:
        k = kinds[i]
        over_values = any(x != "empty" for j, x in enumerate(k) if j not in label_set)
        if over_values or i == region_row:
            header_rows.append(i)
    # A title row must sit above every header row.
    first_header = min(header_rows, default=None)
    title_rows = [i for i in head if i not in header_rows]
    if first_header is not None:
        late = [i for i in title_rows if i > first_header]
        header_rows = sorted(header_rows + late)
        title_rows = [i for i in title_rows if i < first_header]
    for i in header_rows:
        _refuse_data_row_in_head(records[i], kinds[i], region, label_set, head, records, i, width, file)
    for i in header_rows:
        rec, k = records[i], kinds[i]
        for j, x in enumerate(k[:width]):
            # A header names columns; a cell such as "7,5" or "6.71" is a value of a data row that
            # was not recognised as one (e.g. a first row without a region label).
            text = cell_text(rec.cells[j]).strip()
            if x == "number" and header_year(text) is None and any(m in text for m in ",.") \
                    and readings(split_flags(text)[0]):
                raise HeaderError(
                    "a number with a decimal mark in the table head: a data row above the first data "
                    "row (without a region label?)",
                    file=file, row=rec.line, column=_head_column_name(records, head, i, j), value=text,
                )
        if len(rec.cells) < width or any(x != "empty" for x in k[width:]):
            beyond = next((j for j in range(width, len(k)) if k[j] != "empty"), None)
            raise HeaderError(
                f"header row has {len(rec.cells)} fields, the data rows have {width}",
                file=file, row=rec.line,
                column=cell_text(rec.cells[beyond]).strip() if beyond is not None else f"column {len(rec.cells) + 1}",
                value=",".join(cell_text(c) for c in rec.cells),
            )
    return title_rows, header_rows


def is_numbering_row(rec: Record) -> bool:
    """A row of column numbers under a header (``(1),(2),(3)`` or ``1,2,3``): not part of any label."""
    texts = [cell_text(c).strip() for c in rec.cells]
    filled = [t for t in texts if t]
    if len(filled) < 2 or not all(_NUMBERING.match(t) for t in filled):
        return False
    numbers = [int(_NUMBERING.match(t).group(1)) for t in filled]
    return all(b == a + 1 for a, b in zip(numbers, numbers[1:]))


def _names_a_region(text: str) -> bool:
    """Whether ``text`` is the name of a regency/city or province of the registry (not a header word)."""
    if not text or _is_words(text, _REGION_WORDS | _PROVINCE_WORDS | _YEAR_WORDS):
        return False
    try:
        from ..harmonise.registry import default_registry

        registry = default_registry()
    except (OSError, ValueError):  # no committed extracts to build the registry from
        return False
    return bool(registry.candidates(text)) or registry.province_code(text) is not None


def _refuse_data_row_in_head(
    rec: Record, k: list[str], region: int, label_set: set[int], head: list[int], records: Sequence[Record],
    i: int, width: int, file: Any,
) -> None:
    """A head row that is a data row with a malformed value raises instead of becoming a header row.

    Rule: a header row names columns; its region cell is a header word (``Kabupaten/Kota``,
    ``Regency/City``), empty or a column number. A row whose region cell is the name of a regency or
    province of the registry (``Sambas``) and that has cells over the value columns is a data row
    whose values could not be read (``x7.5``, ``7.5.1``): a typed error names its line and column.
    Bilingual header rows (``Regency/City,Percentage of Poor People``) and numbering rows
    (``(1),(2)``) keep working: their region cells name no region.
    """
    if is_numbering_row(rec) or region >= len(rec.cells):
        return
    if not _names_a_region(cell_text(rec.cells[region]).strip()):
        return
    bad = [j for j, x in enumerate(k[:width]) if j not in label_set and x in ("text", "number")
           and header_year(cell_text(rec.cells[j]).strip()) is None]
    if bad:
        j = bad[0]
        raise NumberFormatError(
            "the first data row has no readable number (it would otherwise be read as a second header row)",
            file=file, row=rec.line, column=_head_column_name(records, head, i, j),
            value=cell_text(rec.cells[j]).strip(),
        )


def _head_column_name(records: Sequence[Record], head: list[int], row: int, j: int) -> str:
    """Name of column ``j`` from the head rows above ``row`` (``column j+1`` when they name none)."""
    names = _column_names(records, [i for i in head if i < row], j + 1)
    return names.get(j) or f"column {j + 1}"


def _label_columns(records: Sequence[Record], lay: Layout, file: Any) -> None:
    """Fill ``column_labels`` (header texts of each value column), title and title year."""
    value_set = set(lay.value_columns)
    last_header = lay.header_rows[-1] if lay.header_rows else None
    for i in lay.header_rows:
        if is_numbering_row(records[i]):
            continue  # "(1),(2),(3)": column numbers, not part of a label
        cells = [cell_text(c).strip() for c in records[i].cells[: lay.width]]
        cells += [""] * (lay.width - len(cells))
        carry = ""
        for j in range(lay.width):
            text = cells[j]
            if j in value_set and not text and i != last_header and carry:
                text = carry  # a merged cell spanning several value columns
            if j in value_set:
                carry = text if text else carry
                if text:
                    lay.column_labels.setdefault(j, []).append(text)
            else:
                carry = ""
    region_texts = [cell_text(records[i].cells[lay.region_column]).strip()
                    for i in lay.header_rows if lay.region_column < len(records[i].cells)]
    lay.region_header = next((t for t in reversed(region_texts) if t), "")
    titles = []
    for i in lay.title_rows:
        text = " ".join(cell_text(c).strip() for c in records[i].cells if cell_text(c).strip())
        titles.append(text)
        match = _TITLE_YEAR.search(text)
        if match and lay.title_year is None:
            lay.title_year = int(match.group(1))
            lay.title_year_row = records[i].line
    lay.title = " / ".join(titles)
    if lay.header_rows and lay.long_value_column is None:
        labelled = [j for j in lay.value_columns if lay.column_labels.get(j)]
        unlabelled = [j for j in lay.value_columns if not lay.column_labels.get(j)]
        if labelled and unlabelled:
            j = unlabelled[0]
            raise HeaderError(
                "a column holds numbers but has no header while others have one (shifted header?)",
                file=file, row=records[lay.header_rows[-1]].line, column=f"column {j + 1}",
                value=cell_text(records[lay.body[0]].cells[j]) if lay.body else None,
            )
