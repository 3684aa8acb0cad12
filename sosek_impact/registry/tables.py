"""Read the registry tables of ``data/raw`` and filter them by confidence.

The registry (``data/raw/registry_*.csv``) is the project's extract of the hand-compiled tables in
``../shared/data/registry``: one sourced fact a row, each with ``source`` and ``confidence``
(``high`` > ``medium`` > ``unverified``). Rows marked ``unverified`` are never used silently: every
helper of :mod:`sosek_impact.registry` drops them unless the caller asks for them explicitly with
``min_confidence="unverified"``, and warns when it drops them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from ..errors import SchemaError, ValueRangeError
from ..paths import missing_data_advice, raw_dir

#: Confidence levels, weakest first.
CONFIDENCE_LEVELS: tuple[str, ...] = ("unverified", "medium", "high")

#: File name (under ``data/raw``) and required columns of each registry table.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "border_regencies": (
        "registry_border_regencies.csv",
        ("bps_code", "name", "province", "borders_with", "land_border", "since_year", "source", "note",
         "confidence"),
    ),
    "events": (
        "registry_events.csv",
        ("event_id", "date", "precision", "kind", "name", "location", "bps_code", "source", "note",
         "confidence"),
    ),
    "regency_splits": (
        "registry_regency_splits.csv",
        ("law", "law_date", "parent_bps_code", "parent_name", "child_bps_code", "child_name",
         "effective_year", "source", "note", "confidence"),
    ),
    "code_changes": (
        "registry_code_changes.csv",
        ("old_bps_code", "new_bps_code", "name", "from_year", "reason", "source", "confidence"),
    ),
    "conversions": (
        "registry_conversions.csv",
        ("conversion_id", "kind", "country", "region", "year", "value", "unit", "indicator", "publisher", "source",
         "table", "value_published", "retrieval_note", "confidence"),
    ),
    "border_posts": (
        "registry_border_posts.csv",
        ("post_id", "name", "kind", "bps_code", "kecamatan", "lon", "lat", "source", "note", "confidence"),
    ),
}

_INT_COLUMNS = {"bps_code", "since_year", "parent_bps_code", "child_bps_code", "effective_year",
                "old_bps_code", "new_bps_code", "from_year", "year"}


class UnverifiedRowsWarning(UserWarning):
    """Registry rows marked ``unverified`` were left out of a result."""


def _to_bool(series: pd.Series, path: Path) -> pd.Series:
    mapping = {"true": True, "false": False, "1": True, "0": False}
    text = series.astype("string").str.strip().str.lower()
    bad = text[~text.isin(list(mapping))]
    if len(bad):
        row = int(bad.index[0]) + 2  # header is line 1
        raise SchemaError("land_border must be true or false", file=path, row=row, column="land_border",
                          value=series.loc[bad.index[0]])
    return text.map(mapping).astype(bool)


def read_table(name: str, root: Path | None = None) -> pd.DataFrame:
    """Read one registry table from ``data/raw`` with typed columns.

    Parameters
    ----------
    name
        ``"border_regencies"``, ``"events"``, ``"regency_splits"`` or ``"code_changes"``.
    root
        Folder holding the ``registry_*.csv`` files; default :func:`sosek_impact.paths.raw_dir`.

    Returns
    -------
    pandas.DataFrame
        The table with integer code/year columns as nullable ``Int64`` (missing stays missing),
        ``land_border`` as bool and ``confidence`` checked against :data:`CONFIDENCE_LEVELS`.

    Raises
    ------
    FileNotFoundError
        If the extract is missing (run ``sosek-impact extract``).
    SchemaError, ValueRangeError
        If a required column is missing or a confidence level is unknown.
    """
    if name not in TABLES:
        raise KeyError(f"unknown registry table {name!r}; known: {sorted(TABLES)}")
    file_name, required = TABLES[name]
    path = Path(root or raw_dir()) / file_name
    if not path.exists():
        raise FileNotFoundError(f"registry extract {missing_data_advice(path)}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SchemaError(f"registry table lacks column(s) {missing}", file=path, row=1, column=missing[0])
    for col in _INT_COLUMNS.intersection(df.columns):
        num = pd.to_numeric(df[col], errors="coerce")
        bad = num.isna() & df[col].notna()
        if bad.any():
            i = int(bad.idxmax())
            raise SchemaError("not an integer code or year", file=path, row=i + 2, column=col, value=df.at[i, col])
        df[col] = num.round().astype("Int64")
    if "land_border" in df.columns:
        df["land_border"] = _to_bool(df["land_border"], path)
    conf = df["confidence"].str.strip().str.lower()
    unknown = ~conf.isin(CONFIDENCE_LEVELS)
    if unknown.any():
        i = int(unknown.idxmax())
        raise ValueRangeError(f"confidence must be one of {CONFIDENCE_LEVELS}", file=path, row=i + 2,
                              column="confidence", value=df.at[i, "confidence"])
    df["confidence"] = conf
    df.attrs["file"] = str(path)
    return df


def check_confidence(min_confidence: str) -> int:
    """Return the rank of ``min_confidence`` in :data:`CONFIDENCE_LEVELS` (raise if unknown)."""
    if min_confidence not in CONFIDENCE_LEVELS:
        raise ValueError(f"min_confidence must be one of {CONFIDENCE_LEVELS}, got {min_confidence!r}")
    return CONFIDENCE_LEVELS.index(min_confidence)


def filter_confidence(df: pd.DataFrame, min_confidence: str, *, what: str, id_column: str) -> pd.DataFrame:
    """Keep rows at or above ``min_confidence``; warn about every ``unverified`` row left out.

    Rows of ``medium`` confidence dropped by ``min_confidence="high"`` are an explicit choice of the
    caller and are dropped without a warning; ``unverified`` rows dropped by default are named in an
    :class:`UnverifiedRowsWarning` so that they are never lost silently.
    """
    rank = check_confidence(min_confidence)
    ranks = df["confidence"].map(CONFIDENCE_LEVELS.index)
    keep = ranks >= rank
    dropped_unverified = df.loc[~keep & (df["confidence"] == "unverified"), id_column]
    if len(dropped_unverified):
        warnings.warn(
            f"{what}: left out {len(dropped_unverified)} unverified registry row(s) "
            f"({', '.join(map(str, dropped_unverified))}); pass min_confidence='unverified' to use them",
            UnverifiedRowsWarning,
            stacklevel=3,
        )
    return df.loc[keep].reset_index(drop=True)
