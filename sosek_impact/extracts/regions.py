"""Extracts of the region lists: ``provinces.csv`` and ``regencies.csv``.

Regencies (kabupaten/kota) are those of ``idn514_gdp_pc`` (514 units, BPS codes of today's
vintage: North Kalimantan 65xx, the 2022 Papua provinces 92/95/96/97). Name convention:
a kabupaten is written without prefix (``"Kapuas Hulu"``), a city as ``"Kota X"``
(``"Kota Pontianak"``), the Jakarta administrative cities as ``"Kota Jakarta Selatan"``
and the administrative regency as ``"Kepulauan Seribu"``. ``kind`` is ``kota`` for names
with the ``Kota`` prefix, ``kabupaten`` otherwise.

Provinces: official Indonesian names and islands from ``idn514_gdp_pc``; English names
(as written by ``quarcs_provinces``) and the year a province was established (1983 or
later) from the curated ``province_reference.csv`` beside this module.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SchemaError
from ._csvlines import read_csv_lines
from .sources import source_path

_REFERENCE = Path(__file__).with_name("province_reference.csv")


def _idn514(shared: Path) -> pd.DataFrame:
    path = source_path(shared, "idn514_gdp_pc")
    df = read_csv_lines(path)
    df = df[df["districtID"].str.strip() != ""].copy()
    for col in ("districtID", "provinceID", "islandID"):
        bad = ~df[col].str.fullmatch(r"\d+")
        if bad.any():
            row = df[bad].iloc[0]
            raise SchemaError("code is not an integer", file=path, row=int(row.source_row), column=col, value=row[col])
        df[col] = df[col].astype(int)
    return df


def clean_regency_name(published: str) -> str:
    """Project name of a regency from the idn514 spelling (drops ``Administrasi``)."""
    name = " ".join(published.split())
    name = name.replace("Kota Administrasi ", "Kota ")
    if name.startswith("Administrasi "):
        name = name[len("Administrasi ") :]
    return name


def regency_table(shared: Path) -> pd.DataFrame:
    """``data/raw/regencies.csv``: ``bps_code, name, kind, province_code, source_id``."""
    df = _idn514(shared)
    out = pd.DataFrame(
        {
            "bps_code": df["districtID"].to_numpy(),
            "name": [clean_regency_name(n) for n in df["district"]],
            "province_code": df["provinceID"].to_numpy(),
            "source_id": "idn514_gdp_pc",
        }
    )
    out.insert(2, "kind", ["kota" if n.startswith("Kota ") else "kabupaten" for n in out["name"]])
    bad = out["bps_code"] // 100 != out["province_code"]
    if bad.any():
        raise SchemaError("regency code does not start with its province code", value=out[bad].iloc[0].to_dict())
    return out.sort_values("bps_code", kind="stable").reset_index(drop=True)


def province_table(shared: Path) -> pd.DataFrame:
    """``data/raw/provinces.csv``: ``province_code, province, province_en, island, established_year``."""
    df = _idn514(shared)
    prov = (
        df[["provinceID", "province", "island"]]
        .drop_duplicates()
        .rename(columns={"provinceID": "province_code"})
        .assign(province=lambda d: d["province"].str.strip())
    )
    if prov["province_code"].duplicated().any():
        raise SchemaError("a province code carries two names or islands", file=source_path(shared, "idn514_gdp_pc"))
    ref = pd.read_csv(_REFERENCE, dtype={"province_code": int, "established_year": "Int64"})
    out = prov.merge(ref[["province_code", "province_en", "established_year"]], on="province_code", how="outer", indicator=True)
    if (out["_merge"] != "both").any():
        raise SchemaError("province_reference.csv and idn514 disagree on the province list", value=out[out["_merge"] != "both"].province_code.tolist())
    out = out[["province_code", "province", "province_en", "island", "established_year"]]
    return out.sort_values("province_code", kind="stable").reset_index(drop=True)
