"""Long series of the two QuaRCS district sources and the QuaRCS province source.

``quarcs_districts`` (2000–2017: population, GRDP, GRDP per capita): rows are keyed by
the district *name and province*, resolved with the harmoniser, not by the published
``KDJ`` code, because ``KDJ`` is wrong for two pairs of regencies (Karanganyar 3313 /
Karangasem 5107 and Tulang Bawang 1808 / Tulang Bawang Barat 1812 carry each other's
code; names, provinces and populations agree with each other) and is of the pre-2022
vintage in Papua. Values whose published code differs from the resolved one are flagged
``code_from_name``.

``idn514_gdp_pc`` (2000–2024: GRDP per capita): rows are keyed by the published
``districtID``, except where ``idn514_corrections.csv`` (curated, with evidence) moves a
row's values to the regency they belong to (flag ``relabelled``).

Both go through :func:`~sosek_impact.extracts.value_corrections.apply_value_corrections`
(``value_corrections.csv``): QuaRCS publishes the population of Kabupaten Bima (5206) in the row of
Kota Bima (5272) and vice versa (moved, ``relabelled``); the per-capita GRDP computed from it is
flagged ``suspect`` in both sources.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import NumberFormatError, SchemaError
from ..harmonise.names import parse_regency_name
from ..harmonise.registry import RegionRegistry
from ._csvlines import read_csv_lines
from .sources import source_path
from .value_corrections import apply_value_corrections

SERIES_COLUMNS = ["bps_code", "year", "variable", "value", "unit", "flag", "source_id", "source_row", "name_published"]
PROVINCE_SERIES_COLUMNS = ["province_code", "year", "variable", "value", "unit", "flag", "source_id", "source_row", "name_published"]

QUARCS_VARIABLES = {
    "POP": ("population", "persons"),
    "RGDP": ("grdp", "billion IDR, constant 2010 prices"),
    "RGDPPC": ("grdp_pc", "thousand IDR per person, constant 2010 prices"),
}
QUARCS_PROVISIONAL_YEARS = (2016, 2017)
_CORRECTIONS = Path(__file__).with_name("idn514_corrections.csv")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def plain_number(text: str, *, file: Path, row: int, column: str, thousands: str | None = None) -> str:
    """The published number as plain text (``" 12,047 "`` → ``"12047"``); ``""`` if missing.

    Only the separator named by ``thousands`` is removed; anything else that is not a plain
    number raises :class:`~sosek_impact.errors.NumberFormatError`.
    """
    t = text.strip()
    if t in {"", "NA", "-", "..."}:
        return ""
    if thousands is not None:
        if not re.fullmatch(rf"-?\d{{1,3}}(\{thousands}\d{{3}})*(\.\d+)?", t):
            raise NumberFormatError("not a number with thousands separators", file=file, row=row, column=column, value=text)
        t = t.replace(thousands, "")
    if not _NUMBER.fullmatch(t):
        raise NumberFormatError("not a plain number", file=file, row=row, column=column, value=text)
    return t


def quarcs_name(name: str, kind: str, registry: RegionRegistry) -> str:
    """The QuaRCS district name with a ``Kota`` marker when the row is a city.

    ``Regency_City`` is ``City``, ``Capital City`` (a province capital: a city, except
    Mamuju, a kabupaten) or ``Regency``.
    """
    parsed = parse_regency_name(name)
    if kind in ("City", "Capital City") and parsed.kind is None:
        as_city = f"Kota {name.strip().rstrip(',')}"
        if kind == "City" or registry.candidates(as_city):
            return as_city
    return name


def quarcs_districts(shared: Path, registry: RegionRegistry) -> pd.DataFrame:
    """Long rows of ``quarcs_districts``: population, GRDP and GRDP per capita, 2000–2017."""
    path = source_path(shared, "quarcs_districts")
    df = read_csv_lines(path)
    if len(df) != 514:
        raise SchemaError(f"expected 514 districts, found {len(df)}", file=path)
    names = [quarcs_name(n, k, registry) for n, k in zip(df["District_name"], df["Regency_City"])]
    codes = registry.resolve_regencies(
        names, list(df["Province"]), file=path, column="District_name", rows=list(df["source_row"])
    )
    if codes.duplicated().any():
        raise SchemaError("two districts resolve to one code", file=path, value=codes[codes.duplicated()].tolist())
    frames = []
    for prefix, (variable, unit) in QUARCS_VARIABLES.items():
        for year in range(2000, 2018):
            col = f"{prefix}{year}"
            values = [plain_number(v, file=path, row=r, column=col) for v, r in zip(df[col], df["source_row"])]
            flags = []
            for published, code in zip(df["KDJ"], codes):
                f = []
                if year in QUARCS_PROVISIONAL_YEARS:
                    f.append("provisional")
                if int(published) != int(code):
                    f.append("code_from_name")
                flags.append(";".join(f))
            frames.append(
                pd.DataFrame(
                    {
                        "bps_code": codes.to_numpy(),
                        "year": year,
                        "variable": variable,
                        "value": values,
                        "unit": unit,
                        "flag": flags,
                        "source_id": "quarcs_districts",
                        "source_row": df["source_row"].to_numpy(),
                        "name_published": df["District_name"].to_numpy(),
                    }
                )
            )
    return apply_value_corrections(pd.concat(frames, ignore_index=True)[SERIES_COLUMNS], "quarcs_districts")


def idn514_corrections() -> pd.DataFrame:
    """The curated relabelling of ``idn514_gdp_pc`` rows (see ``idn514_corrections.csv``)."""
    return pd.read_csv(_CORRECTIONS, dtype={"published_code": int, "bps_code": int, "first_year": int, "last_year": int})


def idn514_gdp_pc(shared: Path, *, corrections: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long rows of ``idn514_gdp_pc``: GRDP per capita 2000–2024 (thousand IDR, constant 2010 prices)."""
    path = source_path(shared, "idn514_gdp_pc")
    df = read_csv_lines(path)
    df = df[df["districtID"].str.strip() != ""]
    corr = idn514_corrections() if corrections is None else corrections
    frames = []
    for year in range(2000, 2025):
        col = f"grdp_pc_{year}"
        codes = df["districtID"].astype(int).to_numpy().copy()
        flags = [""] * len(df)
        for c in corr[(corr["first_year"] <= year) & (corr["last_year"] >= year)].itertuples(index=False):
            hit = codes == c.published_code
            if hit.sum() != 1:
                raise SchemaError("correction names a code not in the file", file=_CORRECTIONS, value=c.published_code)
            idx = int(hit.nonzero()[0][0])
            codes[idx] = -c.bps_code  # negative while swapping, so chains of moves do not collide
            flags[idx] = "relabelled"
        codes = abs(codes)
        frames.append(
            pd.DataFrame(
                {
                    "bps_code": codes,
                    "year": year,
                    "variable": "grdp_pc",
                    "value": [plain_number(v, file=path, row=r, column=col, thousands=",") for v, r in zip(df[col], df["source_row"])],
                    "unit": "thousand IDR per person, constant 2010 prices",
                    "flag": flags,
                    "source_id": "idn514_gdp_pc",
                    "source_row": df["source_row"].to_numpy(),
                    "name_published": df["district"].to_numpy(),
                }
            )
        )
    out = apply_value_corrections(pd.concat(frames, ignore_index=True)[SERIES_COLUMNS], "idn514_gdp_pc")
    dup = out.duplicated(["bps_code", "year"])
    if dup.any():
        raise SchemaError("relabelling leaves two rows for one regency-year", file=_CORRECTIONS, value=out[dup].iloc[0].to_dict())
    return out


def quarcs_provinces(shared: Path, registry: RegionRegistry) -> pd.DataFrame:
    """Long rows of ``quarcs_provinces``: GDP per capita 1983–2017 (thousand IDR).

    Papua (94) and West Papua (91) are on their boundaries before the 2022 splits (flagged
    ``boundary_pre_2022`` by :func:`~sosek_impact.extracts.series.mark_pre_2022_papua`); North Kalimantan is back-cast before 2012 (flag ``backcast``); 2016 and
    2017 were provisional when published (the publisher's README, point 1: flag ``provisional``).
    """
    path = source_path(shared, "quarcs_provinces")
    df = read_csv_lines(path)
    codes = registry.resolve_provinces(list(df["Province"]), file=path, column="Province")
    frames = []
    for year in range(1983, 2018):
        col = str(year)
        flags = []
        for code in codes:
            f = []
            if year in QUARCS_PROVISIONAL_YEARS:
                f.append("provisional")
            if code == 65 and year < 2012:
                f.append("backcast")
            flags.append(";".join(f))
        frames.append(
            pd.DataFrame(
                {
                    "province_code": codes.to_numpy(),
                    "year": year,
                    "variable": "gdp_pc",
                    "value": [plain_number(v, file=path, row=r, column=col) for v, r in zip(df[col], df["source_row"])],
                    "unit": "thousand IDR per person",
                    "flag": flags,
                    "source_id": "quarcs_provinces",
                    "source_row": df["source_row"].to_numpy(),
                    "name_published": df["Province"].str.strip().to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[PROVINCE_SERIES_COLUMNS]
