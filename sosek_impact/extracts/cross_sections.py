"""The two regency cross-sections: ``kemiskinan_2021`` (BPS indicators, year inferred 2021) and
``dapoer_2019`` (World Bank INDO-DAPOER, 2019). Names only: resolved to codes with the
harmoniser using the province column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..harmonise.registry import RegionRegistry
from ..io import parse_number
from ._csvlines import read_csv_lines
from .quarcs import SERIES_COLUMNS, plain_number
from .sources import source_path

# published column -> (variable, unit)
KEMISKINAN_COLUMNS = {
    "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)": ("poverty_rate", "percent of population (P0)"),
    "Rata-rata Lama Sekolah Penduduk 15+ (Tahun)": ("mean_years_schooling", "years (population 15+)"),
    "Pengeluaran per Kapita Disesuaikan (Ribu Rupiah/Orang/Tahun)": ("expenditure_pc_adjusted", "thousand IDR per person per year (PPP-adjusted, HDI component)"),
    "Indeks Pembangunan Manusia": ("hdi", "index 0-100 (new method)"),
    "Umur Harapan Hidup (Tahun)": ("life_expectancy", "years at birth"),
    "Persentase rumah tangga yang memiliki akses terhadap sanitasi layak": ("sanitation_access", "percent of households"),
    "Persentase rumah tangga yang memiliki akses terhadap air minum layak": ("drinking_water_access", "percent of households"),
    "Tingkat Pengangguran Terbuka": ("unemployment_rate", "percent of labour force"),
    "Tingkat Partisipasi Angkatan Kerja": ("labour_force_participation", "percent of working-age population"),
    "PDRB atas Dasar Harga Konstan menurut Pengeluaran (Rupiah)": ("grdp_by_expenditure", "million IDR, constant 2010 prices (header says Rupiah; magnitudes are million IDR)"),
    "Klasifikasi Kemiskinan": ("poverty_class_label", "0/1 label added by the dataset author"),
}
KEMISKINAN_YEAR = 2021

DAPOER_COLUMNS = {
    "electricity_access": ("electricity_access", "percent of households"),
    "hdi": ("hdi", "index 0-100 (new method)"),
    "expenditure_pc": ("expenditure_pc_month", "IDR per person per month (household per-capita expenditure, nominal)"),
    "poverty_rate": ("poverty_rate", "percent of population (P0)"),
    "population": ("population", "persons"),
    "grdp_total": ("grdp_incl_oil_gas", "million IDR, constant prices (SNA 2008, incl. oil and gas)"),
    "grdp_per_capita": ("grdp_pc_dapoer", "million IDR per person (derived by the repository author)"),
    "water_access": ("water_access", "percent of households"),
    "literacy_rate": ("literacy_rate", "percent of population 15+"),
    "longitude": ("longitude", "degrees (polygon centroid, derived by the repository author)"),
    "latitude": ("latitude", "degrees (polygon centroid, derived by the repository author)"),
    "area_km2": ("area_km2", "square km (derived from geoBoundaries polygons)"),
    "population_density": ("population_density", "persons per square km (derived)"),
}
DAPOER_YEAR = 2019
DAPOER_PROVINCE_FIXES = {
    "ID.JR.BA": (
        "Kalimantan Selatan",
        "row 'Banjar, regency, Jawa Barat': Jawa Barat has no kabupaten Banjar (only Kota Banjar, listed as "
        "ID.JR.BJ), the Kalimantan Selatan block lacks its kabupaten Banjar, and the row's population (588,066) "
        "and poverty rate (2.72) are those of Kabupaten Banjar, Kalimantan Selatan (6303)",
    )
}
"""DAPOER rows filed under the wrong province (by ``loc_id``): value rows flagged ``province_corrected``."""
DAPOER_SUSPECT = {("Malinau", "grdp_total"), ("Malinau", "grdp_per_capita")}
"""Cells PROVENANCE.md identifies as upstream DAPOER errors (Malinau GRDP 52170): flagged ``suspect``."""


def _long(codes, df, columns, year, source_id, name_col, flags_for, parse) -> pd.DataFrame:
    frames = []
    for col, (variable, unit) in columns.items():
        frames.append(
            pd.DataFrame(
                {
                    "bps_code": codes,
                    "year": year,
                    "variable": variable,
                    "value": [parse(v, r, col) for v, r in zip(df[col], df["source_row"])],
                    "unit": unit,
                    "flag": [flags_for(n, col) for n in df[name_col]],
                    "source_id": source_id,
                    "source_row": df["source_row"].to_numpy(),
                    "name_published": df[name_col].str.strip().to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[SERIES_COLUMNS]


def kemiskinan(shared: Path, registry: RegionRegistry) -> pd.DataFrame:
    """Long rows of ``kemiskinan_2021``.

    The file writes decimals with a comma, but some cells with a point (``8.97``); each cell
    is parsed on its own and only unambiguous cells are accepted (a cell such as ``1.234``
    would raise). Values are flagged ``year_inferred`` (the file states no year).
    """
    path = source_path(shared, "kemiskinan_2021")
    df = read_csv_lines(path, delimiter=";")
    df = df[(df.drop(columns="source_row") != "").any(axis=1)].reset_index(drop=True)
    missing = [c for c in ["Provinsi", "Kab/Kota", *KEMISKINAN_COLUMNS] if c not in df.columns]
    if missing:
        raise SchemaError(f"missing columns {missing}", file=path)
    codes = registry.resolve_regencies(list(df["Kab/Kota"]), list(df["Provinsi"]), file=path, column="Kab/Kota", rows=list(df["source_row"]))
    if codes.duplicated().any():
        raise SchemaError("two rows resolve to one regency", file=path, value=codes[codes.duplicated()].tolist())

    def parse(text: str, row: int, col: str) -> str:
        value, _flag = parse_number(text, None, file=path, row=row, column=col)
        return "" if np.isnan(value) else format(float(value), ".15g")

    return _long(codes.to_numpy(), df, KEMISKINAN_COLUMNS, KEMISKINAN_YEAR, "kemiskinan_2021", "Kab/Kota", lambda n, c: "year_inferred", parse)


def dapoer(shared: Path, registry: RegionRegistry) -> pd.DataFrame:
    """Long rows of ``dapoer_2019`` (plain CSV; ``NA`` = missing; float noise kept as published)."""
    path = source_path(shared, "dapoer_2019")
    df = read_csv_lines(path)
    names = [f"Kota {d}" if t.strip() == "city" else d for d, t in zip(df["district"], df["district_type"])]
    provinces = [DAPOER_PROVINCE_FIXES[i][0] if i in DAPOER_PROVINCE_FIXES else p for i, p in zip(df["loc_id"], df["province"])]
    codes = registry.resolve_regencies(names, provinces, file=path, column="district", rows=list(df["source_row"]))
    if codes.duplicated().any():
        raise SchemaError("two rows resolve to one regency", file=path, value=codes[codes.duplicated()].tolist())
    fixed = {d for i, d in zip(df["loc_id"], df["district"]) if i in DAPOER_PROVINCE_FIXES}

    def flags_for(name: str, col: str) -> str:
        f = ["suspect"] if (name.strip(), col) in DAPOER_SUSPECT else []
        if name in fixed:
            f.append("province_corrected")
        return ";".join(f)

    return _long(
        codes.to_numpy(), df, DAPOER_COLUMNS, DAPOER_YEAR, "dapoer_2019", "district", flags_for,
        lambda v, r, c: plain_number(v, file=path, row=r, column=c),
    )


def cross_section_series(shared: Path, registry: RegionRegistry) -> list[pd.DataFrame]:
    """Both cross-sections, long."""
    return [kemiskinan(shared, registry), dapoer(shared, registry)]
