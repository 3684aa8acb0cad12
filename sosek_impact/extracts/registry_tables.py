"""Extracts of the registry tables (``../shared/data/registry``) into ``data/raw/registry_*.csv``.

The registry is already tidy: the extract keeps every column and cell as written and adds
``source_id`` (= ``registry``) and ``source_row`` (1-based line of the record in the table).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._csvlines import read_csv_lines

REGISTRY_TABLES = ("border_regencies", "events", "regency_splits", "code_changes")


def registry_table(shared: Path, name: str) -> pd.DataFrame:
    """One registry table with its provenance columns.

    Parameters
    ----------
    shared
        The shared data folder (holding ``registry/``).
    name
        One of :data:`REGISTRY_TABLES`.
    """
    df = read_csv_lines(shared / "registry" / f"{name}.csv")
    rows = df.pop("source_row")
    df["source_id"] = "registry"
    df["source_row"] = rows
    return df
