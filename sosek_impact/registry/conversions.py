"""Conversion factors (exchange rates, PPP factors, household sizes) with their sources and confidence.

Reads ``data/raw/registry_conversions.csv`` (made by ``sosek-impact extract`` from the project's table
``sosek_impact/extracts/conversions.csv``). A factor searched for and not found has an empty value:
it is kept (``value`` missing, its ``retrieval_note`` says why) so that a caller can report exactly
which factor is missing; it is never filled in.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from .tables import CONFIDENCE_LEVELS, UnverifiedRowsWarning, check_confidence, read_table

__all__ = ["conversions", "conversion_value"]


def conversions(*, min_confidence: str = "medium", root: Path | None = None) -> pd.DataFrame:
    """The conversion table: ``conversion_id, kind, country, region, year, value`` (float, NaN = not found), sources.

    Parameters
    ----------
    min_confidence
        Rows *with a value* below this confidence are left out (``unverified`` ones with a warning).
        Rows without a value are always kept: they record a factor that was not found.
    root
        Folder of the registry extracts; default :func:`sosek_impact.paths.raw_dir`.
    """
    rank = check_confidence(min_confidence)
    df = read_table("conversions", root)
    df["value"] = pd.to_numeric(df["value"], errors="raise")
    has_value = df["value"].notna()
    low = has_value & (df["confidence"].map(CONFIDENCE_LEVELS.index) < rank)
    dropped = df.loc[low & (df["confidence"] == "unverified"), "conversion_id"]
    if len(dropped):
        warnings.warn(f"conversions: left out {len(dropped)} unverified value(s) ({', '.join(dropped)}); pass "
                      "min_confidence='unverified' to use them", UnverifiedRowsWarning, stacklevel=2)
    return df.loc[~low].reset_index(drop=True)


def conversion_value(table: pd.DataFrame, kind: str, region: str, year: int) -> dict[str, object]:
    """Look one factor up: ``{"value": float | None, "id": str | None, "status": str, ...}``.

    ``status`` is ``"sourced"`` (a value with its ``source`` and ``confidence``), ``"not found"`` (a row
    without a value: ``note`` is its retrieval note) or ``"no row"`` (the table has no such factor).
    Two rows for the same factor raise :class:`ValueError` rather than pick one.
    """
    hit = table.loc[(table["kind"] == kind) & (table["region"] == region) & (table["year"].astype(int) == int(year))]
    if len(hit) > 1:
        raise ValueError(f"two conversion rows for {kind} {region} {year}: {', '.join(hit['conversion_id'])}")
    if not len(hit):
        return {"value": None, "id": None, "status": "no row", "kind": kind, "region": region, "year": int(year),
                "note": f"no {kind} for {region} {year} in registry_conversions.csv"}
    r = hit.iloc[0]
    base = {"id": r["conversion_id"], "kind": kind, "region": region, "year": int(year), "unit": r["unit"]}
    if pd.isna(r["value"]):
        return {**base, "value": None, "status": "not found", "note": r["retrieval_note"]}
    return {**base, "value": float(r["value"]), "status": "sourced", "source": r["source"],
            "publisher": r["publisher"], "confidence": r["confidence"], "value_published": r["value_published"]}
