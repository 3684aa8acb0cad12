"""Assemble the regency and province panels from the long extracts.

One row per (unit, year) on the full grid of units × years (missing stays missing, never filled);
one column per variable with ``<variable>_source`` (``source_id``), ``<variable>_flag`` (markers
from the source, ``;``-joined) and ``<variable>_source_row`` (line of the value in the source file).
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import UnknownRegionError
from ..harmonise.vintage import backcast_status
from ..registry import is_border, read_table
from ..registry.tables import UnverifiedRowsWarning, filter_confidence
from .choice import IDN514, IDN514_COLUMN, choose, split_units
from .inputs import RawInputs

#: Identifier and design columns of the regency panel, in order.
REGENCY_ID_COLUMNS = ["bps_code", "year", "regency", "province_code", "province", "kind", "kalimantan",
                      "border", "backcast"]
#: Survey basis of the World Bank district poverty values (``poverty_rate_wb``), read from their flags.
SURVEY_BASIS_COLUMN = "poverty_survey_basis"
SURVEY_BASIS_FLAGS = {"basis_susenas_to_2010": "susenas_to_2010", "basis_susenas_from_2011": "susenas_from_2011"}
#: Core variables of the regency panel, always present (possibly all missing).
REGENCY_CORE = ["grdp", "population", "grdp_pc", IDN514_COLUMN, "poverty_rate", "hdi"]
PROVINCE_ID_COLUMNS = ["province_code", "year", "province"]
PROVINCE_CORE = ["gdp_pc", "food_exp", "nonfood_exp", "total_exp", "food_share"]
#: Province codes of Kalimantan (West, Central, South, East, North).
KALIMANTAN = range(61, 66)


@dataclass
class BuildLog:
    """What happened to every input row (for ``validation.md``)."""

    rows_in: int = 0
    rows_used: int = 0
    rows_reported: int = 0
    alternatives: pd.DataFrame = field(default_factory=pd.DataFrame)
    chosen: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)


def _closest(label: int, known: list[int]) -> list[str]:
    return difflib.get_close_matches(str(label), [str(k) for k in known], n=3, cutoff=0.5)


def _check_known(codes: pd.Series, known: list[int], what: str, file: str | None) -> None:
    unknown = sorted(set(codes.dropna().astype(int)) - set(known))
    if unknown:
        raise UnknownRegionError(f"{what} codes not in the code list", file=file, column=codes.name,
                                 offenders={str(c): _closest(c, known) for c in unknown})


def _add_flag(flags: pd.Series, mask: np.ndarray, marker: str) -> pd.Series:
    flags = flags.astype("string")
    current = flags[mask].fillna("")
    has = current.str.contains(rf"(?:^|;){marker}(?:;|$)", regex=True)
    flags.loc[current.index[~has]] = (current[~has] + ";" + marker).str.strip(";")
    return flags


def _wide(chosen: pd.DataFrame, key: list[str], columns: list[str]) -> pd.DataFrame:
    parts = []
    for what, suffix in (("value", ""), ("source_id", "_source"), ("flag", "_flag"), ("source_row", "_source_row")):
        w = chosen.pivot(index=key, columns="column", values=what)
        w = w.reindex(columns=columns)
        w.columns = [f"{c}{suffix}" for c in w.columns]
        parts.append(w)
    return pd.concat(parts, axis=1)


def _ordered(columns_present: set[str], core: list[str]) -> list[str]:
    extras = sorted(columns_present - set(core))
    return core + extras


def _finish_types(panel: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    for v in variables:
        panel[v] = pd.to_numeric(panel[v], errors="coerce").astype("float64")
        panel[f"{v}_source"] = panel[f"{v}_source"].astype("string")
        panel[f"{v}_flag"] = panel[f"{v}_flag"].astype("string")
        panel[f"{v}_source_row"] = pd.array(panel[f"{v}_source_row"], dtype="Int64")
    return panel


def _creation_years(raw: RawInputs, min_confidence: str = "medium") -> dict[int, int]:
    """Year each regency was created, from the registry's splits (used to mark back-cast rows)."""
    splits = read_table("regency_splits", raw.root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedRowsWarning)  # listed in validation.md instead
        splits = filter_confidence(splits, min_confidence, what="splits", id_column="child_bps_code")
    return {int(c): int(y) for c, y in zip(splits["child_bps_code"], splits["effective_year"])}


def survey_basis(flags: pd.Series) -> pd.Series:
    """The survey-basis marker of each value (:data:`SURVEY_BASIS_FLAGS`), missing where none."""
    out = pd.Series(pd.NA, index=flags.index, dtype="string")
    text = flags.fillna("")
    for marker, label in SURVEY_BASIS_FLAGS.items():
        out[text.str.contains(rf"(?:^|;){marker}(?:;|$)", regex=True).to_numpy()] = label
    return out


def regency_panel(raw: RawInputs) -> tuple[pd.DataFrame, BuildLog]:
    """Build the regency × year panel.

    Returns
    -------
    panel, log
        The panel (columns :data:`REGENCY_ID_COLUMNS`, the variables and their provenance columns) and
        the :class:`BuildLog` of what each input row became.
    """
    series = raw.regency_series.copy()
    series["_row"] = np.arange(len(series))
    codes = sorted(raw.regencies["bps_code"].astype(int))
    _check_known(series["bps_code"], codes, "regency", raw.regency_series.attrs.get("file"))

    # The second GRDP-per-capita source feeds its own column over all its years.
    idn = series.loc[(series["variable"] == "grdp_pc") & (series["source_id"] == IDN514)].copy()
    idn["variable"] = IDN514_COLUMN
    long = split_units(pd.concat([series, idn], ignore_index=True), "bps_code")
    chosen, alternatives = choose(long, ["bps_code", "year"])
    log = BuildLog(rows_in=len(series), chosen=chosen, alternatives=alternatives)
    used_rows = set(chosen["_row"])
    log.rows_used = len(used_rows)
    log.rows_reported = int(len(set(alternatives["_row"]) - used_rows))

    years = list(range(int(series["year"].min()), int(series["year"].max()) + 1))
    grid = pd.MultiIndex.from_product([codes, years], names=["bps_code", "year"])
    variables = _ordered(set(chosen["column"]), REGENCY_CORE)
    wide = _wide(chosen, ["bps_code", "year"], variables).reindex(grid)
    panel = wide.reset_index()

    reg = raw.regencies.set_index(raw.regencies["bps_code"].astype(int))
    prov = raw.provinces.set_index(raw.provinces["province_code"].astype(int))
    panel["regency"] = panel["bps_code"].map(reg["name"]).astype("string")
    panel["province_code"] = panel["bps_code"].map(reg["province_code"]).astype("int64")
    panel["province"] = panel["province_code"].map(prov["province"]).astype("string")
    panel["kind"] = panel["bps_code"].map(reg["kind"]).astype("string")
    panel["kalimantan"] = panel["province_code"].isin(KALIMANTAN)
    panel["border"] = is_border(panel["bps_code"].to_numpy(), panel["year"].to_numpy(), root=raw.root)
    # True / False where the registry records the splits, missing elsewhere before 2014 (unknown)
    panel["backcast"] = backcast_status(panel["bps_code"], panel["year"], _creation_years(raw))
    panel = _finish_types(panel, variables)
    # A value the source itself marks as back-cast also makes the row a back-cast row (True | NA = True).
    for v in variables:
        marked = panel[f"{v}_flag"].fillna("").str.contains(r"(?:^|;)backcast(?:;|$)", regex=True)
        panel["backcast"] = panel["backcast"] | marked.to_numpy(dtype=bool)
    is_backcast = panel["backcast"].fillna(False).to_numpy(dtype=bool)
    for v in variables:
        mask = is_backcast & panel[v].notna().to_numpy()
        if mask.any():
            panel[f"{v}_flag"] = _add_flag(panel[f"{v}_flag"], mask, "backcast")
    provenance = [f"{v}{s}" for v in variables for s in ("_source", "_flag", "_source_row")]
    basis = []
    if "poverty_rate_wb" in variables:
        wb = [f"{v}_flag" for v in ("poverty_rate_wb", "poverty_gap_wb", "poverty_line_wb") if v in variables]
        panel[SURVEY_BASIS_COLUMN] = survey_basis(panel[wb].fillna("").agg(";".join, axis=1))
        basis = [SURVEY_BASIS_COLUMN]
    panel = panel[REGENCY_ID_COLUMNS + variables + basis + provenance]
    panel = panel.sort_values(["bps_code", "year"], kind="mergesort").reset_index(drop=True)
    return panel, log


def province_panel(raw: RawInputs) -> tuple[pd.DataFrame, BuildLog]:
    """Build the province × year panel (province code 0 = Indonesia, the national aggregate).

    ``food_share`` = ``food_exp / total_exp`` as a fraction in [0, 1], computed where both are
    present in the same source; ``food_share_source`` is that source.
    """
    series = raw.province_series.copy()
    series["_row"] = np.arange(len(series))
    codes = sorted(raw.provinces["province_code"].astype(int))
    _check_known(series.loc[series["province_code"] != 0, "province_code"], codes, "province",
                 raw.province_series.attrs.get("file"))
    if (series["province_code"] == 0).any():
        codes = [0] + [c for c in codes if c != 0]
    long = split_units(series, "province_code")
    chosen, alternatives = choose(long, ["province_code", "year"])
    log = BuildLog(rows_in=len(series), chosen=chosen, alternatives=alternatives)
    log.rows_used = len(set(chosen["_row"]))
    log.rows_reported = int(len(set(alternatives["_row"]) - set(chosen["_row"])))

    years = list(range(int(series["year"].min()), int(series["year"].max()) + 1))
    grid = pd.MultiIndex.from_product([codes, years], names=["province_code", "year"])
    variables = _ordered(set(chosen["column"]) | {"food_share"}, PROVINCE_CORE)
    measured = [v for v in variables if v != "food_share"]
    wide = _wide(chosen, ["province_code", "year"], measured).reindex(grid)
    panel = wide.reset_index()
    names = dict(zip(raw.provinces["province_code"].astype(int), raw.provinces["province"]))
    names.setdefault(0, "Indonesia")
    panel["province"] = panel["province_code"].map(names).astype("string")
    panel = _finish_types(panel, measured)
    same_source = panel["food_exp_source"] == panel["total_exp_source"]
    ok = (panel["food_exp"].notna() & panel["total_exp"].notna() & same_source.fillna(False)).to_numpy()
    panel["food_share"] = np.where(ok, panel["food_exp"] / panel["total_exp"], np.nan)
    panel["food_share_source"] = panel["food_exp_source"].where(ok).astype("string")
    flags = panel["food_exp_flag"].fillna("") + ";" + panel["total_exp_flag"].fillna("")
    flags = flags.str.split(";").apply(lambda p: ";".join(sorted({x for x in p if x})))
    panel["food_share_flag"] = flags.where(ok & (flags != "")).astype("string")
    panel["food_share_source_row"] = pd.array(np.where(ok, panel["food_exp_source_row"], pd.NA), dtype="Int64")
    provenance = [f"{v}{s}" for v in variables for s in ("_source", "_flag", "_source_row")]
    panel = panel[PROVINCE_ID_COLUMNS + variables + provenance]
    panel = panel.sort_values(["province_code", "year"], kind="mergesort").reset_index(drop=True)
    return panel, log
