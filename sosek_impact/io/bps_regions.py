"""Regions of a BPS table's rows (or header columns): region, province block, province or national.

Without a province column, province rows are those written in CAPITALS in a table that also has
rows that are not (the BPS export convention), and each regency row belongs to the last province
row above it; "Indonesia"/"Nasional" rows are national. Used by
:func:`~sosek_impact.io.bps_table.read_bps_table`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .layout import Layout, cell_text, normalise_header
from .textfile import Record

__all__ = ["body_regions", "header_regions"]

# "Jumlah"/"Total" rows are not national: in a one-province table they are the province total.
_NATIONAL = {"indonesia", "nasional", "national"}
_PROVINCE_LEVEL = {"provinsi", "province", "prov", "prov."}


def _is_national(label: str) -> bool:
    return normalise_header(label) in _NATIONAL


def _is_capitals(label: str) -> bool:
    letters = [ch for ch in label if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def body_regions(records: Sequence[Record], lay: Layout) -> list[tuple[str, str | None, bool, bool]]:
    """``(region, province_block, is_province, is_national)`` of every body row.

    Without a province column, province rows are those written in CAPITALS in a table that
    also has rows that are not (the BPS export convention), and each regency row belongs to
    the last province row above it. When the region column is headed "Provinsi"/"Province",
    or every row is in capitals, every row is a province.
    """
    labels = [cell_text(records[i].cells[lay.region_column]).strip() for i in lay.body]
    provinces = [
        cell_text(records[i].cells[lay.province_column]).strip() if lay.province_column is not None else ""
        for i in lay.body
    ]
    return _blocks(labels, provinces, lay)


def header_regions(lay: Layout) -> dict[int, tuple[str, str | None, bool, bool]]:
    """The same for a table with years down the rows and regions across the header."""
    labels = [" - ".join(lay.column_labels.get(j, [])) or lay.column_names.get(j, "") for j in lay.value_columns]
    return dict(zip(lay.value_columns, _blocks(labels, [""] * len(labels), lay)))


def _blocks(labels: list[str], provinces: list[str], lay: Layout) -> list[tuple[str, str | None, bool, bool]]:
    province_level = normalise_header(lay.region_header) in _PROVINCE_LEVEL
    named = [lab for lab in labels if lab and not _is_national(lab)]
    all_capitals = bool(named) and all(_is_capitals(lab) for lab in named)
    out = []
    block: str | None = None
    for label, prov in zip(labels, provinces):
        if lay.province_column is not None:
            if not label and prov:
                out.append((prov, prov, True, False))
            elif _is_national(label) or _is_national(prov):
                out.append((label or prov, None, False, True))
            else:
                out.append((label, prov or None, province_level, False))
            continue
        if _is_national(label):
            block = None
            out.append((label, None, False, True))
        elif province_level or all_capitals or _is_capitals(label):
            block = label
            out.append((label, label, True, False))
        else:
            out.append((label, block, False, False))
    return out
