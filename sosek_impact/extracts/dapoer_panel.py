"""Long rows of the World Bank INDO-DAPOER district export (``wb_dapoer_2002_2014``).

The file (``msaidf__statek/content/indo-dapoer_data.csv``) is a DataBank export, wide by year:
``Region Name`` ("Sanggau, Kab.", "Pontianak, Kota", "Kalimantan Barat, Prop."), a DataBank
``Region Code`` (not a BPS code), ``Series Name``, ``Series Code`` and ``2000 [YR2000]`` …
``2014 [YR2014]``; missing = ``..``; five footer lines. Only district rows and the series of
:data:`WB_SERIES` are extracted; province rows (``, Prop.``) are left out.

Names are resolved to BPS codes with the harmoniser (no province column exists: names alone,
with the aliases of ``harmonise/regency_aliases.csv``); an unknown name raises
:class:`~sosek_impact.errors.UnknownRegionError` listing every offender.

Flags, per value:

- ``basis_susenas_to_2010`` / ``basis_susenas_from_2011``: the survey basis of the district
  poverty estimates changed in 2011 (PROVENANCE.md: 2002–2010 from the July core / February panel
  Susenas, 2011 on from the March Susenas, which became quarterly in 2011). Values on either side
  are not one series without a check (``validation.md`` reports the 2010→2011 changes);
- ``old_boundary``: a parent regency's value in a year before one of its children (registry
  ``regency_splits``) has a value of its own in that series: the parent figure then covers the
  child's area too (e.g. Sanggau 2002–2004 includes Sekadau; Kutai Barat includes Mahakam Ulu in
  every year, as the export has no Mahakam Ulu figure). Known only for the splits the registry
  records (provinces 61, 64, 65);
- ``boundary_suspected`` (:func:`flag_boundary_suspected`, after all sources are read): the
  DataBank population of the regency-year differs from QuaRCS' (2017 boundaries) by more than 10 %;
  this catches old boundaries where the registry records no split;
- ``suspect``: a P0 outside 0–100 % (Kepulauan Yapen 2002: 111.39), kept as published;
- ``backcast`` (added later by :func:`~sosek_impact.extracts.series.mark_backcast`) where a child
  has a value before its creation year (none in this export).

``IDX.HDI`` is the **old-method** HDI: extracted as ``hdi_old_method_wb``, a variable of its own,
never merged into the new-method ``hdi``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SchemaError
from ..harmonise.registry import RegionRegistry
from ._csvlines import read_csv_lines
from .quarcs import SERIES_COLUMNS, plain_number
from .sources import source_path

SOURCE_ID = "wb_dapoer_2002_2014"
#: Series code → (series name as published, variable, unit).
WB_SERIES: dict[str, tuple[str, str, str]] = {
    "SI.POV.NAPR.ZS": ("Poverty Rate (in % of population)", "poverty_rate_wb", "percent of population (P0)"),
    "SI.POV.NGAP": ("Poverty Gap (index)", "poverty_gap_wb", "index 0-100 (P1)"),
    "SI.POV.NAPL": ("Poverty Line (in IDR)", "poverty_line_wb", "IDR per person per month, nominal"),
    "IDX.HDI": ("Human Development Index", "hdi_old_method_wb", "index 0-100 (old BPS method, not comparable with hdi)"),
    "SP.POP.TOTL": ("Total Population (in number of people)", "population_wb", "persons (boundaries of the year)"),
}
#: |DataBank population / QuaRCS population (2017 boundaries) − 1| beyond this: flag ``boundary_suspected``.
BOUNDARY_GAP = 0.10
WB_YEARS = range(2002, 2015)
#: First year of the new survey basis of the district poverty estimates.
SURVEY_BASIS_CHANGE_YEAR = 2011
BASIS_FLAGS = ("basis_susenas_to_2010", "basis_susenas_from_2011")
#: District rows left out, with the reason: a duplicate DataBank entry with no value at all.
EMPTY_DUPLICATES: dict[str, str] = {
    "Pasir, Kab.": "second DataBank entry of Paser (same Region Code number 73823, old spelling); every value '..'",
}
_FOOTER_PREFIXES = ("Data from database:", "Last Updated:")


def _district_rows(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Data rows of district series (footer checked, province rows dropped)."""
    code = df["Series Code"].str.strip()
    data = code != ""
    if data.any():
        last = int(data.to_numpy().nonzero()[0][-1])
        gap = ~data.iloc[: last + 1]
        if gap.any():
            r = df.iloc[int(gap.to_numpy().nonzero()[0][0])]
            raise SchemaError("row without a series code inside the data", file=path, row=int(r["source_row"]),
                              column="Series Code")
        for _, r in df.iloc[last + 1:].iterrows():
            name = str(r["Region Name"]).strip()
            if name and not name.startswith(_FOOTER_PREFIXES):
                raise SchemaError("unexpected footer line", file=path, row=int(r["source_row"]),
                                  column="Region Name", value=name)
    df = df.loc[data]
    df = df.loc[~df["Region Name"].str.strip().str.endswith(", Prop.")]
    return df.loc[df["Series Code"].str.strip().isin(WB_SERIES)].copy()


def _old_boundary(long: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.Series:
    """Mask of parent values in years before a child has its own value of that variable."""
    has = long.loc[long["value"] != ""].groupby(["bps_code", "variable"])["year"].agg(set).to_dict()
    mask = pd.Series(False, index=long.index)
    for split in crosswalk.itertuples(index=False):
        parent, child = int(split.parent_bps_code), int(split.child_bps_code)
        rows = (long["bps_code"] == parent) & (long["value"] != "")
        child_years = [has.get((child, v), set()) for v in long.loc[rows, "variable"]]
        before = [(y < int(split.effective_year)) or (y not in cy)
                  for y, cy in zip(long.loc[rows, "year"], child_years)]
        mask.loc[rows] = mask.loc[rows].to_numpy() | pd.Series(before, dtype=bool).to_numpy()
    return mask


def wb_dapoer_series(shared: Path, registry: RegionRegistry, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Long rows of ``wb_dapoer_2002_2014``: P0, P1, poverty line and old-method HDI, 2002–2014.

    Raises
    ------
    UnknownRegionError
        A district name the harmoniser cannot resolve (all offenders listed).
    SchemaError
        A series name that does not match its code, a row outside the data, two districts on
        one code (other than the documented :data:`EMPTY_DUPLICATES`).
    """
    path = source_path(shared, SOURCE_ID)
    df = _district_rows(read_csv_lines(path), path)
    for c, (name, _v, _u) in WB_SERIES.items():
        names = set(df.loc[df["Series Code"].str.strip() == c, "Series Name"].str.strip())
        if names and names != {name}:
            raise SchemaError(f"series {c} has name(s) {sorted(names)}, expected {name!r}", file=path,
                              column="Series Name")
    empty = df["Region Name"].isin(EMPTY_DUPLICATES)
    year_cols = [f"{y} [YR{y}]" for y in WB_YEARS]
    if (df.loc[empty, year_cols].apply(lambda s: s.str.strip()) != "..").any().any():
        raise SchemaError("a row listed as an empty duplicate has values", file=path, column="Region Name",
                          value=sorted(set(df.loc[empty, "Region Name"])))
    df = df.loc[~empty].reset_index(drop=True)
    names = sorted(set(df["Region Name"]))
    codes = registry.resolve_regencies(names, None, file=path, column="Region Name")
    by_name = dict(zip(names, codes.astype(int)))
    if len(set(by_name.values())) != len(by_name):
        seen: dict[int, list[str]] = {}
        for n, c in by_name.items():
            seen.setdefault(c, []).append(n)
        raise SchemaError("two district names resolve to one code", file=path, column="Region Name",
                          value={str(c): n for c, n in seen.items() if len(n) > 1})
    frames = []
    for year in WB_YEARS:
        col = f"{year} [YR{year}]"
        basis = BASIS_FLAGS[int(year >= SURVEY_BASIS_CHANGE_YEAR)]
        values = [plain_number("" if v.strip() == ".." else v, file=path, row=r, column=col)
                  for v, r in zip(df[col], df["source_row"])]
        series = df["Series Code"].str.strip()
        frames.append(pd.DataFrame({
            "bps_code": df["Region Name"].map(by_name).to_numpy(),
            "year": year,
            "variable": series.map(lambda s: WB_SERIES[s][1]).to_numpy(),
            "value": values,
            "unit": series.map(lambda s: WB_SERIES[s][2]).to_numpy(),
            "flag": [basis if s.startswith("SI.POV") and v != "" else "" for s, v in zip(series, values)],
            "source_id": SOURCE_ID,
            "source_row": df["source_row"].to_numpy(),
            "name_published": df["Region Name"].str.strip().to_numpy(),
        }))
    out = pd.concat(frames, ignore_index=True)[SERIES_COLUMNS]
    pct = out["variable"] == "poverty_rate_wb"
    impossible = pct & (out["value"] != "") & ~pd.to_numeric(out["value"], errors="coerce").between(0, 100)
    out.loc[impossible, "flag"] = [f"{f};suspect" if f else "suspect" for f in out.loc[impossible, "flag"]]
    old = _old_boundary(out, crosswalk)
    out.loc[old, "flag"] = [f"{f};old_boundary" if f else "old_boundary" for f in out.loc[old, "flag"]]
    return out


def flag_boundary_suspected(series: pd.DataFrame, reference: str = "quarcs_districts") -> pd.DataFrame:
    """Flag ``boundary_suspected`` the World Bank values of a regency-year whose DataBank population
    differs from the ``reference`` population (QuaRCS, 2017 boundaries) by more than :data:`BOUNDARY_GAP`.

    The DataBank reports each year on that year's boundaries; a large population gap means the value
    most likely covers another area (a parent before a split the registry does not record, e.g. Ciamis
    before Pangandaran in 2012; Tangerang before Kota Tangerang Selatan in 2008) or that the two
    population estimates disagree (the DataBank's 2002–2009 figures are survey-based, QuaRCS'
    interpolated). A gap must hold in two consecutive years: a one-year gap is a wrong number in one
    source (Sumba Tengah / Sumba Barat Daya 2010). Where either population is missing (the DataBank
    has none for 2014) nothing is flagged.
    """
    wb = series["source_id"] == SOURCE_ID
    pop = series.loc[wb & (series["variable"] == "population_wb") & (series["value"] != "")]
    ref = series.loc[(series["source_id"] == reference) & (series["variable"] == "population") & (series["value"] != "")]
    both = pop.merge(ref, on=["bps_code", "year"], suffixes=("_wb", "_ref"))
    both["far"] = (both["value_wb"].astype(float) / both["value_ref"].astype(float) - 1).abs() > BOUNDARY_GAP
    far = set(zip(both.loc[both["far"], "bps_code"], both.loc[both["far"], "year"]))
    # a gap in one year only is a wrong number in one source (Sumba Tengah 2010), not a boundary
    bad = {(c, y) for c, y in far if (c, y - 1) in far or (c, y + 1) in far}
    keys = list(zip(series["bps_code"], series["year"]))
    mask = wb & (series["value"] != "") & pd.Series([k in bad for k in keys], index=series.index)
    out = series.copy()
    out.loc[mask, "flag"] = [f"{f};boundary_suspected" if f else "boundary_suspected" for f in out.loc[mask, "flag"]]
    return out
