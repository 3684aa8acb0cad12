"""Curated corrections of published values that sit in the wrong row (``value_corrections.csv``).

Each row of the CSV names a source, a variable, a regency code (as resolved from the source's own
names), a year range, an action and the evidence:

- ``move``: the values belong to ``to_bps_code`` (the row's code is changed; flag ``relabelled``;
  ``source_row`` still points at the line where the value is printed);
- ``suspect``: the values are kept as published and flagged ``suspect`` (e.g. a per-capita figure
  the publisher computed from a swapped denominator).

Nothing is recomputed or filled. A correction that matches no row is an error (the source changed).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SchemaError

_FILE = Path(__file__).with_name("value_corrections.csv")


def value_corrections() -> pd.DataFrame:
    """The curated table (``value_corrections.csv``)."""
    return pd.read_csv(_FILE, dtype={"to_bps_code": "Int64"})


def _flag(flags: pd.Series, mask: pd.Series, marker: str) -> pd.Series:
    out = flags.copy()
    out[mask] = [f"{f};{marker}" if f else marker for f in flags[mask]]
    return out


def apply_value_corrections(long: pd.DataFrame, source_id: str, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Apply the corrections of ``source_id`` to its long rows (columns of ``SERIES_COLUMNS``).

    Raises
    ------
    SchemaError
        A correction matches no row, or the moves leave two rows for one regency-year-variable.
    """
    table = value_corrections() if table is None else table
    out = long.copy()
    new_code = out["bps_code"].copy()
    for i, c in enumerate(table.loc[table["source_id"] == source_id].itertuples(index=False), start=2):
        hit = ((long["variable"] == c.variable) & (long["bps_code"] == int(c.bps_code))
               & long["year"].between(int(c.first_year), int(c.last_year)))
        if not hit.any():
            raise SchemaError("a value correction matches no row", file=_FILE, row=i, column="bps_code",
                              value=int(c.bps_code))
        if c.action == "move":
            new_code[hit] = int(c.to_bps_code)
            out["flag"] = _flag(out["flag"], hit, "relabelled")
        elif c.action == "suspect":
            out["flag"] = _flag(out["flag"], hit, "suspect")
        else:
            raise SchemaError(f"unknown action {c.action!r}", file=_FILE, row=i, column="action", value=c.action)
    out["bps_code"] = new_code
    if out.duplicated(["bps_code", "year", "variable"]).any():
        raise SchemaError("value corrections leave two rows for one regency-year", file=_FILE,
                          value=out[out.duplicated(["bps_code", "year", "variable"])].iloc[0].to_dict())
    return out
