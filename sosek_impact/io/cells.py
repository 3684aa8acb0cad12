"""Cells of a BPS-style export: what a cell holds and which header words name which column.

The smallest layer of the layout analysis (:mod:`.layout`): the text of a cell, its kind (empty, a
missing mark, a number, text), whether a line is a note, a year header or a row of column numbers,
and the header words of the region, province, year, variable and value columns.
"""

from __future__ import annotations

import re
from typing import Any

from .numbers import is_missing_marker, readings, split_flags
from .textfile import Record

__all__ = ["cell_text", "header_year", "is_numbering_row", "normalise_header"]

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
