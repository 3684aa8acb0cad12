"""Bytes of a delimited text file → records of cells, each with its 1-based line number.

One job: decoding (BOM, UTF-8, then cp1252 / Latin-1 fallback, UTF-16 with BOM), sniffing the
separator and splitting records with the line each starts on, so that every later error and
every output value can name the line a user sees in an editor.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmptyFileError, EncodingError, SchemaError

__all__ = ["Record", "TextTable", "decode", "read_text_table", "sniff_separator"]

#: Separators tried by the sniffer, in order of preference on a tie.
SEPARATORS: tuple[str, ...] = (",", ";", "\t", "|")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FALLBACKS: tuple[str, ...] = ("cp1252", "latin-1")
# C0 controls other than tab/LF/CR, and the C1 block: a decoded text holding them is not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Record:
    """One record of the file: the 1-based line it starts on and its cells (unstripped)."""

    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class TextTable:
    """A decoded, split file."""

    records: list[Record]
    encoding: str
    separator: str


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, *, file: str | Path | None = None, encoding: str | None = None) -> tuple[str, str]:
    """Decode file bytes.

    Parameters
    ----------
    data
        The file's bytes.
    file
        Path, for messages.
    encoding
        Force an encoding; ``None`` tries UTF-8 (BOM removed), UTF-16 when a UTF-16 BOM is
        present, then cp1252 and Latin-1, refusing a result that holds control characters
        (binary data).

    Returns
    -------
    (text, encoding)

    Raises
    ------
    EncodingError
        Binary data, or no encoding gives text; names the line and the first bad bytes.
    """
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"cannot decode as {encoding}: {exc.reason}",
                file=file, row=_line_of_offset(data, exc.start), value=data[exc.start : exc.start + 4],
            ) from None
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        return text.lstrip("\ufeff"), encoding
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise EncodingError(f"bad UTF-16: {exc.reason}", file=file, value=data[exc.start : exc.start + 4]) from None
    if data.startswith(_OLE2_MAGIC):
        raise EncodingError("a legacy Excel .xls (OLE2) workbook: save it as .xlsx or CSV", file=file, row=1,
                            value=data[:4])
    nul = data.find(b"\x00")
    if nul >= 0:
        raise EncodingError(
            "binary data (NUL byte): not a text table", file=file, row=_line_of_offset(data, nul),
            value=data[max(0, nul - 2) : nul + 2],
        )
    try:
        text = data.decode("utf-8-sig")
        used = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as exc:
        bad_at = exc.start
        for fallback in _FALLBACKS:
            try:
                text = data.decode(fallback)
            except UnicodeDecodeError:
                continue
            if not _CONTROL.search(text):
                return text, fallback
        raise EncodingError(
            "cannot decode as UTF-8, cp1252 or Latin-1 text; pass encoding=",
            file=file, row=_line_of_offset(data, bad_at), value=data[bad_at : bad_at + 4],
        ) from None
    control = _CONTROL.search(text)
    if control:
        raise EncodingError(
            "control characters in the file: binary data, not a text table",
            file=file, row=text.count("\n", 0, control.start()) + 1, value=control.group(0),
        )
    return text, used


def _split(text: str, separator: str, *, file: str | Path | None, strict: bool = True) -> list[Record]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=strict)
    records: list[Record] = []
    start = 1
    try:
        for cells in reader:
            records.append(Record(start, tuple(cells)))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SchemaError(
            f"malformed quoting ({exc}); an unbalanced double quote?",
            file=file, row=start, value=text.splitlines()[start - 1] if start <= len(text.splitlines()) else None,
        ) from None
    return records


def sniff_separator(text: str, *, sample_lines: int = 60) -> str:
    """Choose the separator that splits the most lines into the same number (> 1) of fields.

    Lines inside quotes are handled by the csv module; ties go to the earlier entry of
    :data:`SEPARATORS`. A text with no separator at all gets ``","``.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()][:sample_lines]
    sample = "\n".join(lines)
    best, best_score = ",", 0
    for sep in SEPARATORS:
        if sep not in sample:
            continue
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=sep))
        except csv.Error:
            continue
        widths = Counter(len(r) for r in rows if len(r) > 1)
        if not widths:
            continue
        width, score = widths.most_common(1)[0]
        if score > best_score:
            best, best_score = sep, score
    return best


def read_text_table(
    data: bytes,
    *,
    file: str | Path | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> TextTable:
    """Decode and split a delimited text file.

    Raises
    ------
    EmptyFileError
        Zero bytes, or only whitespace.
    EncodingError, SchemaError
        See :func:`decode`; unbalanced quotes.
    """
    if not data.strip():
        raise EmptyFileError("the file is empty", file=file)
    text, used = decode(data, file=file, encoding=encoding)
    if not text.strip():
        raise EmptyFileError("the file holds only whitespace", file=file)
    separator = sep if sep is not None else sniff_separator(text)
    return TextTable(_split(text, separator, file=file), used, separator)
