"""Open unemployment 2008–2020 and mean years of schooling 2010–2018 (``quarcs-lab/data-quarcs``).

``quarcs_okun`` (``indonesia514/okun.dta``, Stata, long: 514 districts × 2008–2020): ``un`` = open
unemployment rate (TPT, %). Rows are keyed by the district name and province (``kabkot``,
``provinsi``) resolved with the harmoniser, because the published ``id`` is of the pre-2022
vintage in Papua; values whose ``id`` differs from the resolved code are flagged
``code_from_name``. ``source_row`` is the 1-based observation number in the ``.dta`` file.
Values are float32 in the file and written as the shortest decimal that round-trips float32.
2016 is a linear interpolation of 2015 and 2017 by the publisher (BPS published no district TPT
for 2016): a 2016 value equal to the mean of its neighbours within float32 precision is flagged
``interpolated``.

``quarcs_mys`` (``indonesia514/mys.csv``, wide, ids only): ``mys2010`` … ``mys2018`` = mean years
of schooling of the population aged 25+ (RLS, HDI component). Pre-2022 Papua ids are recoded to
today's codes (flag ``recoded_papua_2022``). Values are kept as published (Stata float noise such
as ``8.2600002``; Stata's ``.25`` is written ``0.25``). ``source_row`` = line in the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..harmonise.recode import papua_2022_codes
from ..harmonise.registry import RegionRegistry
from ._csvlines import read_csv_lines
from .quarcs import SERIES_COLUMNS, plain_number
from .sources import source_path

OKUN_YEARS = range(2008, 2021)
MYS_YEARS = range(2010, 2019)
INTERPOLATED_YEAR = 2016
UNEMPLOYMENT_UNIT = "percent of labour force"
MYS_UNIT = "years (population 25+)"
#: float32 has 24 bits of mantissa: relative spacing 2**-23 ≈ 1.2e-7; the publisher's mean and
#: its float32 rounding differ by at most a few of these.
_FLOAT32_REL = 1e-6


def _float32_text(x: np.float32) -> str:
    return np.format_float_positional(np.float32(x), unique=True, trim="-")


def _stata_decimal(text: str) -> str:
    """Stata writes numbers below 1 without the leading zero (Nduga ``.25``): ``".25"`` → ``"0.25"``."""
    t = text.strip()
    return f"0{t}" if re.fullmatch(r"\.\d+", t) else text


def quarcs_unemployment(shared: Path, registry: RegionRegistry) -> pd.DataFrame:
    """Long rows of ``quarcs_okun``: open unemployment rate (%), 2008–2020."""
    path = source_path(shared, "quarcs_okun")
    df = pd.read_stata(path, convert_categoricals=False)
    need = {"id", "kabkot", "provinsi", "year", "un"}
    if not need <= set(df.columns):
        raise SchemaError(f"missing columns {sorted(need - set(df.columns))}", file=path)
    df["source_row"] = np.arange(1, len(df) + 1)
    years = set(df["year"].astype(int))
    if years != set(OKUN_YEARS):
        raise SchemaError(f"years {sorted(years)} differ from {OKUN_YEARS.start}-{OKUN_YEARS.stop - 1}", file=path)
    first = df.drop_duplicates("id")
    codes = registry.resolve_regencies(list(first["kabkot"]), list(first["provinsi"]), file=path, column="kabkot",
                                       rows=list(first["source_row"]))
    if codes.duplicated().any():
        raise SchemaError("two districts resolve to one code", file=path, value=codes[codes.duplicated()].tolist())
    code_of = dict(zip(first["id"].astype(int), codes.astype(int)))
    df["bps_code"] = df["id"].astype(int).map(code_of)
    if df.duplicated(["bps_code", "year"]).any():
        raise SchemaError("a district-year appears twice", file=path, column="id")
    un = df.pivot(index="bps_code", columns="year", values="un")
    mid = (un[INTERPOLATED_YEAR - 1].astype("float64") + un[INTERPOLATED_YEAR + 1].astype("float64")) / 2
    interp = ((un[INTERPOLATED_YEAR].astype("float64") - mid).abs() <= _FLOAT32_REL * mid.abs().clip(lower=1)).to_dict()
    flags = []
    for code, pub, year in zip(df["bps_code"], df["id"], df["year"]):
        f = []
        if int(pub) != int(code):
            f.append("code_from_name")
        if int(year) == INTERPOLATED_YEAR and interp.get(code, False):
            f.append("interpolated")
        flags.append(";".join(f))
    values = ["" if pd.isna(v) else _float32_text(v) for v in df["un"]]
    out = pd.DataFrame({
        "bps_code": df["bps_code"].to_numpy(), "year": df["year"].astype(int).to_numpy(),
        "variable": "unemployment_rate", "value": values, "unit": UNEMPLOYMENT_UNIT, "flag": flags,
        "source_id": "quarcs_okun", "source_row": df["source_row"].to_numpy(),
        "name_published": df["kabkot"].str.strip().to_numpy(),
    })
    return out[SERIES_COLUMNS]


def quarcs_schooling(shared: Path, registry: RegionRegistry) -> pd.DataFrame:
    """Long rows of ``quarcs_mys``: mean years of schooling (25+), 2010–2018."""
    path = source_path(shared, "quarcs_mys")
    df = read_csv_lines(path)
    cols = [f"mys{y}" for y in MYS_YEARS]
    missing = [c for c in ["id", *cols] if c not in df.columns]
    if missing:
        raise SchemaError(f"missing columns {missing}", file=path)
    papua = papua_2022_codes()
    published = df["id"].str.strip().astype(int)
    codes = published.map(lambda c: papua.get(c, c))
    # the ids must be today's codes once recoded: an unknown id is an error naming it
    registry.resolve_regencies([str(c) for c in codes], None, file=path, column="id", rows=list(df["source_row"]))
    if codes.duplicated().any():
        raise SchemaError("two rows on one code", file=path, column="id", value=codes[codes.duplicated()].tolist())
    frames = []
    for year, col in zip(MYS_YEARS, cols):
        frames.append(pd.DataFrame({
            "bps_code": codes.to_numpy(), "year": year, "variable": "mean_years_schooling",
            "value": [plain_number(_stata_decimal(v), file=path, row=r, column=col)
                      for v, r in zip(df[col], df["source_row"])],
            "unit": MYS_UNIT,
            "flag": np.where(codes.to_numpy() != published.to_numpy(), "recoded_papua_2022", ""),
            "source_id": "quarcs_mys", "source_row": df["source_row"].to_numpy(),
            "name_published": df["id"].str.strip().to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)[SERIES_COLUMNS]
