"""Numbers as BPS (Statistics Indonesia) tables and their users' copies write them.

Indonesian usage writes ``1.186.868`` for one million one hundred eighty-six thousand
and ``51,50`` for fifty-one and a half (dot groups thousands, comma marks decimals);
English-language exports write ``1,186,868.5``. A single cell such as ``12,047`` or
``1.234`` is readable both ways, so the convention of a *column* is decided from all its
cells together, and a column in which no cell settles it is refused rather than guessed
(:class:`~sosek_impact.errors.AmbiguousNumberError`).

Markers handled:

- missing: empty cell, ``-`` (and en/em dashes), ``…``, ``...``, ``..``, ``NA``, ``N/A``,
  ``n.a.``, ``NaN`` → NaN (the raw text is kept by the table reader);
- footnote marks after the number: ``*``, ``**``, ``***`` (BPS *angka sementara* /
  *sangat sementara*) → flag ``provisional``; ``r`` or ``(r)`` (*angka revisi*) → flag
  ``revised``. Flags of one cell are ``;``-joined in a fixed order.

Public functions: :func:`parse_number`, :func:`detect_decimal`, :func:`parse_numeric_column`,
:func:`format_number` (the inverse, used by tests and writers of BPS-style text).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from ..errors import AmbiguousNumberError, NumberFormatError

__all__ = [
    "MISSING_MARKERS",
    "MIXED",
    "NumericColumn",
    "ParsedNumber",
    "detect_decimal",
    "format_number",
    "is_missing_marker",
    "parse_number",
    "parse_numeric_column",
    "split_flags",
]

Decimal = Literal[".", ","]
#: What :func:`detect_decimal` returns for a column whose cells each have one reading but not
#: the same mark (a user's copy edited by hand: ``18,98`` above ``8.97``).
MIXED = "mixed"

#: Cell texts that stand for "no value" in BPS tables (compared case-insensitively).
MISSING_MARKERS: frozenset[str] = frozenset(
    {"", "-", "\u2013", "\u2014", "\u2212", "\u2026", "...", "..", "na", "n/a", "n.a.", "nan", "#n/a"}
)

# Whitespace that may pad a cell or group thousands: space, no-break space, thin spaces.
_SPACES = " \t\u00a0\u2007\u2009\u202f"
_MINUS = {"-": "-", "\u2212": "-", "\u2013": "-"}

# Footnote marks after a number, in any order: *, **, ***, r, (r), (*), (**).
# The marks must follow a digit or a space, so that a word ending in "r" is not flagged.
_FLAG_TAIL = re.compile(r"(?<=[0-9\s])(?:\s*(?:\(\*{1,3}\)|\*{1,3}|\(r\)|r\b|R\b))+\s*$")
_FLAG_TOKEN = re.compile(r"\*{1,3}|\(r\)|r|R")

# Digits are ASCII 0-9 only: ``\d`` would also take full-width (``７``) and Arabic-Indic digits,
# which ``float`` reads, so a cell such as ``７,５`` would pass as 7.5 instead of being refused.
_DIGITS = re.compile(r"^[0-9]+$")
# A number written with one decimal mark ``d`` and thousands mark ``t`` (or spaces).
_PATTERNS: dict[str, re.Pattern[str]] = {
    ".": re.compile(r"^(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]{0,2}(?: [0-9]{3})+|[0-9]+)?(?:\.[0-9]+)?$"),
    ",": re.compile(r"^(?:[1-9][0-9]{0,2}(?:\.[0-9]{3})+|[1-9][0-9]{0,2}(?: [0-9]{3})+|[0-9]+)?(?:,[0-9]+)?$"),
}


class ParsedNumber(NamedTuple):
    """One parsed cell: ``value`` (float, NaN when missing) and ``flag`` (``""`` or ``;``-joined)."""

    value: float
    flag: str


class NumericColumn(NamedTuple):
    """A parsed column: ``values`` (float array, NaN for missing) and ``flags`` (object array of str)."""

    values: np.ndarray
    flags: np.ndarray


def _strip(text: str) -> str:
    return text.strip(_SPACES + "\r\n")


def is_missing_marker(text: str) -> bool:
    """True when ``text`` (stripped, any case) is one of :data:`MISSING_MARKERS`."""
    return _strip(text).lower() in MISSING_MARKERS


def split_flags(text: str) -> tuple[str, str]:
    """Split trailing footnote marks from a cell.

    Returns
    -------
    (body, flag)
        ``body`` is the stripped text without the marks; ``flag`` is ``""``, ``"provisional"``,
        ``"revised"`` or ``"provisional;revised"``.
    """
    body = _strip(text)
    match = _FLAG_TAIL.search(body)
    if not match or match.start() == 0:
        return body, ""
    marks = _FLAG_TOKEN.findall(match.group(0))
    flags = []
    if any("*" in m for m in marks):
        flags.append("provisional")
    if any(m.lower() in {"r", "(r)"} for m in marks):
        flags.append("revised")
    return _strip(body[: match.start()]), ";".join(flags)


def _sign_and_magnitude(body: str) -> tuple[int, str]:
    if body and body[0] in _MINUS:
        return -1, _strip(body[1:])
    if body.startswith("+"):
        return 1, _strip(body[1:])
    return 1, body


def _normalise_spaces(magnitude: str) -> str:
    # Any space-like thousands separator becomes one ASCII space for the patterns.
    return re.sub(f"[{_SPACES}]+", " ", magnitude)


def _read_as(magnitude: str, decimal: str) -> float | None:
    """Value of ``magnitude`` under decimal mark ``decimal``; None if it is not well-formed."""
    if not magnitude or not any("0" <= ch <= "9" for ch in magnitude):
        return None
    if not _PATTERNS[decimal].match(magnitude):
        return None
    thousands = "," if decimal == "." else "."
    plain = magnitude.replace(" ", "").replace(thousands, "").replace(decimal, ".")
    return float(plain)


def readings(text: str) -> dict[str, float]:
    """All well-formed readings of one cell: ``{decimal mark: value}`` (empty if none).

    Missing markers and footnote marks are not handled here; pass the bare number.
    """
    return dict(_readings(text))


@functools.lru_cache(maxsize=65536)
def _readings(text: str) -> tuple[tuple[str, float], ...]:
    # Cached: a table reader classifies each cell more than once (layout, detector, parser).
    stripped = _strip(text)
    if stripped.isdigit() and stripped.isascii():
        return ((".", float(stripped)), (",", float(stripped)))
    sign, magnitude = _sign_and_magnitude(stripped)
    magnitude = _normalise_spaces(magnitude)
    out = []
    for decimal in (".", ","):
        value = _read_as(magnitude, decimal)
        if value is not None:
            out.append((decimal, sign * value))
    return tuple(out)


def _classify(body: str) -> tuple[str, dict[str, float]]:
    """Classify a bare number: ``neutral`` (same either way), ``.``, ``,``, ``ambiguous`` or ``bad``."""
    read = readings(body)
    if not read:
        return "bad", read
    if len(read) == 1:
        return next(iter(read)), read
    if read["."] == read[","]:
        return "neutral", read
    return "ambiguous", read


def parse_number(
    text: Any,
    decimal: Decimal | None = None,
    *,
    file: str | Path | None = None,
    row: int | None = None,
    column: str | None = None,
) -> ParsedNumber:
    """Parse one BPS-style number.

    Parameters
    ----------
    text
        The cell: a string (``"1.186.868"``, ``"51,50"``, ``" 12,047 "``, ``"12.345*"``,
        ``"-"``), or an int/float (returned as is; ``None`` is missing).
    decimal
        ``"."`` or ``","``: the decimal mark. When ``None`` the cell alone must settle it;
        a cell readable both ways (``"12,047"``) raises :class:`AmbiguousNumberError`.
    file, row, column
        Location, only used in error messages.

    Returns
    -------
    ParsedNumber
        ``(value, flag)``; ``value`` is NaN for a missing marker.

    Raises
    ------
    NumberFormatError
        The text is not a number.
    AmbiguousNumberError
        ``decimal`` is ``None`` and the cell reads differently under the two conventions.

    Examples
    --------
    >>> parse_number("1.186.868")
    ParsedNumber(value=1186868.0, flag='')
    >>> parse_number("12.345*", decimal=",")
    ParsedNumber(value=12345.0, flag='provisional')
    """
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.', ',' or None, not {decimal!r}")
    if text is None:
        return ParsedNumber(math.nan, "")
    if isinstance(text, bool):
        raise NumberFormatError("a boolean is not a number", file=file, row=row, column=column, value=text)
    if isinstance(text, (int, float, np.integer, np.floating)):
        return ParsedNumber(float(text), "")
    if not isinstance(text, str):
        raise NumberFormatError("not a number", file=file, row=row, column=column, value=text)
    if is_missing_marker(text):
        return ParsedNumber(math.nan, "")
    body, flag = split_flags(text)
    kind, read = _classify(body)
    if kind == "bad":
        raise NumberFormatError("not a number", file=file, row=row, column=column, value=text)
    if decimal is not None:
        if decimal not in read:
            other = "comma" if decimal == "." else "point"
            raise NumberFormatError(
                f"not a number with decimal {'point' if decimal == '.' else 'comma'} "
                f"(written with a decimal {other}?)",
                file=file, row=row, column=column, value=text,
            )
        return ParsedNumber(read[decimal], flag)
    if kind == "ambiguous":
        raise AmbiguousNumberError(
            f"{text.strip()!r} reads as {read['.']:g} or {read[',']:g}; pass decimal=',' or decimal='.'",
            file=file, row=row, column=column, value=text,
        )
    return ParsedNumber(next(iter(read.values())), flag)


def _row_numbers(n: int, first_row: int | None, rows: Sequence[int | None] | None) -> list[int | None]:
    if rows is not None:
        if len(rows) != n:
            raise ValueError(f"rows has {len(rows)} entries for {n} values")
        return list(rows)
    if first_row is None:
        return [None] * n
    return [first_row + i for i in range(n)]


def detect_decimal(
    values: Sequence[Any],
    *,
    file: str | Path | None = None,
    column: str | None = None,
    first_row: int | None = 1,
    rows: Sequence[int | None] | None = None,
) -> Decimal | None:
    """Decide the decimal mark of a column from all its cells.

    Each non-missing text cell is read under both conventions. Cells well-formed under only
    one convention (``51,50``, ``1.186.868``, ``7.4``, ``0,123``, ``1,186,868.5``) vote for
    it; cells that read the same either way (``1234``) are neutral; cells that read
    differently (``12,047``, ``1.234``) are ambiguous.

    Returns
    -------
    ``"."``, ``","``, ``"mixed"`` or ``None``
        ``None`` when every cell is neutral (or missing, or already numeric); ``"mixed"``
        when cells vote for both marks but every cell has a single reading (each is then read
        its own way, which cannot misread it).

    Raises
    ------
    AmbiguousNumberError
        Some cell is ambiguous and no cell settles the convention, or the cells vote for both
        marks; names the first ambiguous cell.
    NumberFormatError
        A cell is not a number; names it.
    """
    row_of = _row_numbers(len(values), first_row, rows)
    votes: dict[str, tuple[int, Any]] = {}
    first_ambiguous: tuple[int, Any] | None = None
    for i, cell in enumerate(values):
        if cell is None or not isinstance(cell, str):
            if isinstance(cell, float) and math.isnan(cell):
                continue
            parse_number(cell, ".", file=file, row=row_of[i], column=column)  # type check only
            continue
        if is_missing_marker(cell):
            continue
        body, _ = split_flags(cell)
        kind, _read = _classify(body)
        if kind == "bad":
            raise NumberFormatError("not a number", file=file, row=row_of[i], column=column, value=cell)
        if kind in (".", ","):
            votes.setdefault(kind, (i, cell))
        elif kind == "ambiguous" and first_ambiguous is None:
            first_ambiguous = (i, cell)
    if len(votes) == 2:
        if first_ambiguous is not None:
            i, cell = first_ambiguous
            raise AmbiguousNumberError(
                "the column mixes decimal conventions (e.g. "
                f"{votes[','][1].strip()!r} and {votes['.'][1].strip()!r}), so {cell.strip()!r} cannot be "
                "read safely; pass decimal=',' or decimal='.'",
                file=file, row=row_of[i], column=column, value=cell,
            )
        return "mixed"
    if votes:
        return next(iter(votes))  # type: ignore[return-value]
    if first_ambiguous is not None:
        i, cell = first_ambiguous
        read = readings(split_flags(cell)[0])
        raise AmbiguousNumberError(
            f"cannot tell the decimal convention of this column: every number is like {cell.strip()!r} "
            f"({read['.']:g} with decimal point, {read[',']:g} with decimal comma); "
            "pass decimal=',' or decimal='.'",
            file=file, row=row_of[i], column=column, value=cell,
        )
    return None


def parse_numeric_column(
    values: Sequence[Any],
    *,
    decimal: Decimal | None = None,
    file: str | Path | None = None,
    column: str | None = None,
    first_row: int | None = 1,
    rows: Sequence[int | None] | None = None,
) -> NumericColumn:
    """Parse a column of BPS-style numbers.

    Parameters
    ----------
    values
        Cell texts (or numbers, or ``None``) of one column, top to bottom.
    decimal
        ``"."`` or ``","`` (strict: a cell written the other way raises); ``None`` lets
        :func:`detect_decimal` decide from all cells and refuse an ambiguous column.
    file, column
        Location for error messages.
    first_row
        1-based line number of ``values[0]`` (rows assumed consecutive).
    rows
        Line number of each value, overriding ``first_row`` when rows are not consecutive.

    Returns
    -------
    NumericColumn
        ``(values, flags)``: float array with NaN for missing, object array of flag strings.

    Raises
    ------
    AmbiguousNumberError, NumberFormatError
        As :func:`detect_decimal` and :func:`parse_number`, naming file, row, column, value.
    """
    row_of = _row_numbers(len(values), first_row, rows)
    if decimal is None:
        detected = detect_decimal(values, file=file, column=column, rows=row_of)
        decimal = None if detected == MIXED else (detected or ".")
    out = np.empty(len(values), dtype=float)
    flags = np.empty(len(values), dtype=object)
    for i, cell in enumerate(values):
        value, flag = parse_number(cell, decimal, file=file, row=row_of[i], column=column)
        out[i] = value
        flags[i] = flag
    return NumericColumn(out, flags)


def format_number(value: float, decimal: Decimal = ",", *, decimals: int = 2, grouping: bool = True) -> str:
    """Write ``value`` the BPS way: ``format_number(1186868.5) == "1.186.868,50"``.

    Parameters
    ----------
    value
        The number (NaN is written ``"-"``).
    decimal
        Decimal mark; the other mark groups thousands when ``grouping``.
    decimals
        Digits after the decimal mark (0 writes none and no mark).
    grouping
        Group thousands.
    """
    if math.isnan(value):
        return "-"
    text = f"{value:,.{decimals}f}" if grouping else f"{value:.{decimals}f}"
    if decimal == ",":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text
