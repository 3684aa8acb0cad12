"""Plain CSV reading that keeps, for each record, the 1-based line where it starts in the file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd


def read_text(path: Path, encoding: str = "utf-8-sig") -> str:
    """Read a text file, dropping a UTF-8 BOM and normalising CRLF to LF."""
    return path.read_bytes().decode(encoding).replace("\r\n", "\n")


def read_csv_lines(path: Path, *, delimiter: str = ",", encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Read a CSV as strings with a ``source_row`` column (1-based line of the record's first line).

    Cells stay the exact text of the file (no number parsing, no missing-value guessing),
    so that the caller decides what each column means.
    """
    text = read_text(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    records = []
    start = reader.line_num + 1
    for fields in reader:
        if fields:
            if len(fields) < len(header):
                fields = fields + [""] * (len(header) - len(fields))
            records.append([*fields[: len(header)], start])
        start = reader.line_num + 1
    return pd.DataFrame(records, columns=[*header, "source_row"])
