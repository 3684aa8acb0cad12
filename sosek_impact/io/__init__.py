"""Readers of source formats: BPS (Statistics Indonesia) tables and their number formats.

- :func:`read_bps_table`: a BPS-style table (CSV or XLSX, wide or long) → tidy long DataFrame.
- :func:`parse_number`, :func:`parse_numeric_column`: Indonesian/English number formats,
  missing markers and footnote flags, with a per-column decimal detector that refuses to guess.
"""

from __future__ import annotations

from .bps_table import OUTPUT_COLUMNS, SkippedRows, read_bps_table
from .numbers import (
    NumericColumn,
    ParsedNumber,
    detect_decimal,
    format_number,
    parse_number,
    parse_numeric_column,
)

__all__ = [
    "OUTPUT_COLUMNS",
    "NumericColumn",
    "ParsedNumber",
    "SkippedRows",
    "detect_decimal",
    "format_number",
    "parse_number",
    "parse_numeric_column",
    "read_bps_table",
]
