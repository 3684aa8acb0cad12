"""``registry_conversions.csv``: the sourced conversion factors of the cross-border comparison.

The project's own table ``sosek_impact/extracts/conversions.csv`` holds one conversion a row:
official exchange rates (LCU per US$, annual average), PPP conversion factors for private
consumption (LCU per international $) and average household sizes, each with its publisher, URL,
table/indicator, the value *as published* (``value_published``, the exact text of the page) and a
retrieval note and confidence. A conversion that was searched for and not found has a row with an
empty ``value`` (confidence ``unverified``) whose note says so: it stays missing, visibly, and every
figure that needs it is reported as not comparable.

:func:`read_conversions` checks the table and adds ``source_id`` (= ``conversions``) and
``source_row`` (line in the file); ``sosek-impact extract`` writes it to
``data/raw/registry_conversions.csv`` (read back by :func:`sosek_impact.registry.conversions`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import DuplicateKeyError, NumberFormatError, SchemaError, ValueRangeError
from ._csvlines import read_csv_lines
from .sources import Source

__all__ = ["CONVERSION_COLUMNS", "CONVERSION_KINDS", "CONVERSION_TABLE", "read_conversions", "conversion_sources"]

PACKAGE_DIR = Path(__file__).resolve().parent
#: The table, relative to the project root.
CONVERSION_TABLE = "sosek_impact/extracts/conversions.csv"
CONVERSION_COLUMNS = ["conversion_id", "kind", "country", "region", "year", "value", "unit", "indicator", "publisher",
                      "source", "table", "value_published", "retrieval_note", "confidence"]
#: kind -> admissible (low, high) range of a value (a typo of a factor of ten falls outside).
CONVERSION_KINDS: dict[str, tuple[float, float]] = {
    "exchange_rate": (0.1, 100_000.0),
    "ppp_private_consumption": (0.1, 100_000.0),
    "household_size": (1.0, 15.0),
}
_CONFIDENCE = ("unverified", "medium", "high")


def _digits(text: str) -> str:
    """The digits of a number's text without leading zeros or trailing decimal zeros ("9,141.00" -> "9141")."""
    text = text.strip()
    if re.search(r"[.,]\d+$", text):
        text = text.rstrip("0").rstrip(".,")
    return re.sub(r"\D", "", text).lstrip("0")


def read_conversions(path: Path | None = None) -> pd.DataFrame:
    """The conversion table with ``source_id``/``source_row``; every cell checked.

    Checks: the columns; a unique ``conversion_id``; a known ``kind`` and ``confidence``; a four-digit
    ``year``; ``value`` empty or a plain number (``.`` decimal, no thousands separator) inside the
    kind's range; a row with a value names its ``source`` and ``value_published``, and the digits of
    ``value_published`` (in whatever number format the page uses) are the digits of ``value`` (so the
    number typed is the number published); a row without a value has no ``value_published`` and a
    ``retrieval_note`` saying why it is missing.

    Raises
    ------
    SchemaError, DuplicateKeyError, NumberFormatError, ValueRangeError
        Naming the file, the line and the column.
    """
    path = path or PACKAGE_DIR / "conversions.csv"
    df = read_csv_lines(path)
    missing = [c for c in CONVERSION_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaError(f"conversion table lacks column(s) {missing}", file=str(path), row=1, column=missing[0])
    seen: dict[str, int] = {}
    for rec in df.itertuples(index=False):
        row = int(rec.source_row)
        where = {"file": str(path), "row": row}
        if rec.conversion_id in seen:
            raise DuplicateKeyError(f"conversion_id {rec.conversion_id!r} also on line {seen[rec.conversion_id]}",
                                    column="conversion_id", **where)
        seen[rec.conversion_id] = row
        if rec.kind not in CONVERSION_KINDS:
            raise ValueRangeError(f"kind must be one of {sorted(CONVERSION_KINDS)}", column="kind", value=rec.kind, **where)
        if rec.confidence not in _CONFIDENCE:
            raise ValueRangeError(f"confidence must be one of {_CONFIDENCE}", column="confidence", value=rec.confidence,
                                  **where)
        if not re.fullmatch(r"(19|20)\d\d", rec.year):
            raise NumberFormatError("year must be a four-digit year", column="year", value=rec.year, **where)
        if rec.value == "":
            if rec.value_published != "":
                raise SchemaError("value_published given but value empty", column="value", **where)
            if not rec.retrieval_note.strip():
                raise SchemaError("a missing value needs a retrieval_note saying why", column="retrieval_note", **where)
            continue
        if not re.fullmatch(r"\d+(\.\d+)?", rec.value):
            raise NumberFormatError("value must be a plain number ('.' decimal, no separators)", column="value",
                                    value=rec.value, **where)
        lo, hi = CONVERSION_KINDS[rec.kind]
        if not lo <= float(rec.value) <= hi:
            raise ValueRangeError(f"{rec.kind} must lie in [{lo}, {hi}]", column="value", value=rec.value, **where)
        for col in ("source", "value_published", "publisher"):
            if not getattr(rec, col).strip():
                raise SchemaError(f"a value needs its {col}", column=col, **where)
        if _digits(rec.value) != _digits(rec.value_published):
            raise ValueRangeError(f"value {rec.value} is not the published {rec.value_published!r}", column="value",
                                  value=rec.value, **where)
    rows = df.pop("source_row")
    df["source_id"] = "conversions"
    df["source_row"] = rows
    return df


def conversion_sources() -> list[Source]:
    """The ``sources.csv`` row of the conversion table (each of its rows cites its own source)."""
    return [Source("conversions", CONVERSION_TABLE, "this project (sosek_impact)", "", "each row cites its own public source",
                   "sosek_impact project",
                   "sosek_impact table of conversion factors (exchange rates, PPP factors, household sizes) with their "
                   "sources, the value as published and a confidence",
                   "one row per factor; an empty value is a factor searched for and not found (kept missing); file path "
                   "relative to the project, not to the shared folder")]
