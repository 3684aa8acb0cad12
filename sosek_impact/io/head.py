"""The head of a BPS-style export: title rows, header rows, column names and column labels.

Given the body found by :func:`~sosek_impact.io.layout.analyse_layout`, the rows above it are split
into title rows and header rows (a header row that is really a data row with a malformed value is
refused), each column gets the name a user would call it, and each value column the header texts
above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import HeaderError, NumberFormatError
from .cells import _TITLE_YEAR, _names_a_region, cell_text, header_year, is_numbering_row
from .numbers import readings, split_flags
from .textfile import Record

if TYPE_CHECKING:
    from .layout import Layout

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


def _label_columns(records: Sequence[Record], lay: "Layout", file: Any) -> None:
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
