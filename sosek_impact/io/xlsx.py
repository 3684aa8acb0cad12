"""An XLSX worksheet → records of cells with their sheet row numbers (via openpyxl).

Numbers stored as numbers stay numbers (no decimal convention to guess); text cells stay
text and go through the same BPS number parsing as CSV cells. Merged header cells carry their
value in the top-left cell only, as in a CSV export; the table reader fills them across.
"""

from __future__ import annotations

import datetime as _dt
import zipfile
from pathlib import Path
from typing import Any

from ..errors import EmptyFileError, EncodingError, InputError
from .textfile import Record

__all__ = ["is_xlsx", "read_xlsx_records"]

_ZIP_MAGIC = b"PK\x03\x04"


def is_xlsx(path: Path, head: bytes) -> bool:
    """True when the file is an Office Open XML workbook (by content, or by its suffix)."""
    return head.startswith(_ZIP_MAGIC) or path.suffix.lower() in {".xlsx", ".xlsm"}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


def read_xlsx_records(path: Path, *, sheet: str | int | None = None) -> tuple[list[Record], str]:
    """Read one worksheet.

    Parameters
    ----------
    path
        The workbook.
    sheet
        Sheet name or 0-based index; ``None`` takes the first sheet.

    Returns
    -------
    (records, sheet_name)
        Cells are ``str`` or ``float``; ``Record.line`` is the sheet row number.

    Raises
    ------
    EncodingError
        The file is not a readable workbook.
    InputError
        No such sheet.
    EmptyFileError
        The sheet has no cell with content.
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise EncodingError(f"not a readable XLSX workbook ({exc})", file=path) from None
    try:
        names = book.sheetnames
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputError(f"no sheet number {sheet}; the workbook has {names}", file=path, value=sheet)
            name = names[sheet]
        else:
            if sheet not in names:
                raise InputError(f"no sheet {sheet!r}; the workbook has {names}", file=path, value=sheet)
            name = sheet
        records = []
        # Rows are yielded from sheet row 1 on, gaps filled, so the count is the row number.
        for line, row in enumerate(book[name].iter_rows(min_row=1, values_only=True), start=1):
            records.append(Record(line, tuple(_cell(v) for v in row)))
    finally:
        book.close()
    if not any(c != "" for r in records for c in r.cells):
        raise EmptyFileError("the worksheet is empty", file=path, value=name)
    return records, name
