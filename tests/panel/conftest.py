"""Fixtures of the panel tests.

``synthetic_root`` is a TEST FIXTURE, not data: a temporary project root whose ``data/raw`` holds the
real registry extracts and a tiny, made-up set of series in the layout of the data contract, with
relations the tests know by construction (GRDP per capita = GRDP × 10^6 / population exactly; one
idn514 level break of −20 % in 2019→2020; one P0 disagreement of 0.5 pp between two sources).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sosek_impact.atomic import write_csv
from sosek_impact.paths import raw_dir

REPO_RAW = raw_dir()

REGENCIES = pd.DataFrame({
    "bps_code": [6101, 6102, 6402, 6411, 6504, 6171],
    "name": ["Sambas", "Bengkayang", "Kutai Barat", "Mahakam Ulu", "Nunukan", "Kota Pontianak"],
    "kind": ["kabupaten"] * 5 + ["kota"],
    "province_code": [61, 61, 64, 64, 65, 61],
    "source_id": "quarcs_districts",
})
PROVINCES = pd.DataFrame({
    "province_code": [61, 64, 65],
    "province": ["Kalimantan Barat", "Kalimantan Timur", "Kalimantan Utara"],
    "province_en": ["West Kalimantan", "East Kalimantan", "North Kalimantan"],
    "island": "Kalimantan",
    "established_year": [None, None, 2012],
})


def _series() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    line = 1
    for k, code in enumerate(REGENCIES["bps_code"]):
        line += 1
        for year in range(2010, 2018):
            pop = 100_000.0 + 1000 * k + 100 * (year - 2010)
            grdp = 2000.0 + 100 * k + 50 * (year - 2010)
            pc = grdp * 1e6 / pop
            for var, val, unit in (("population", pop, "persons"), ("grdp", grdp, "billion IDR"),
                                   ("grdp_pc", round(pc, 1), "thousand IDR")):
                rows.append((code, year, var, val, unit, "", "quarcs_districts", line))
        for year in range(2010, 2021):
            base = 2000.0 + 100 * k + 50 * (year - 2010)
            val = round(base * 1e6 / (100_000.0 + 1000 * k + 100 * (year - 2010)), 0)
            if code == 6101 and year == 2020:
                val = round(val * 0.8, 0)  # the level break the validation must find
            rows.append((code, year, "grdp_pc", val, "thousand IDR", "", "idn514_gdp_pc", 300 + k))
        rows.append((code, 2020, "poverty_rate", 8.0 + k, "percent", "", "bps_p0_2020", 400 + k))
        rows.append((code, 2021, "poverty_rate", 7.5 + k, "percent", "", "bps_p0_2021", 400 + k))
        alt = 7.5 + k + (0.5 if code == 6102 else 0.0)
        rows.append((code, 2021, "poverty_rate", alt, "percent", "year_inferred", "kemiskinan_2021", 10 + k))
        rows.append((code, 2019, "expenditure_pc_month", 1_000_000.0 + k, "IDR per person per month", "",
                     "dapoer_2019", 20 + k))
    reg = pd.DataFrame(rows, columns=["bps_code", "year", "variable", "value", "unit", "flag", "source_id",
                                      "source_row"])
    reg["name_published"] = reg["bps_code"].map(dict(zip(REGENCIES["bps_code"], REGENCIES["name"])))
    prow = []
    for code in (0, 61, 64, 65):
        for year in (2016, 2017):
            prow.append((code, year, "gdp_pc", 20000.0 + code, "thousand IDR", "", "quarcs_provinces", 5 + code))
        food, nonfood = 500_000.0 + code, 480_000.0 + code
        prow += [(code, 2017, "food_exp", food, "IDR per person per month", "", "bps_exp_2017", 3 + code),
                 (code, 2017, "nonfood_exp", nonfood, "IDR per person per month", "", "bps_exp_2017", 3 + code),
                 (code, 2017, "total_exp", food + nonfood, "IDR per person per month", "", "bps_exp_2017",
                  3 + code)]
    prov = pd.DataFrame(prow, columns=["province_code", "year", "variable", "value", "unit", "flag", "source_id",
                                       "source_row"])
    prov["name_published"] = "x"
    return (reg.sort_values(["bps_code", "year", "variable", "source_id"]).reset_index(drop=True),
            prov.sort_values(["province_code", "year", "variable"]).reset_index(drop=True))


def make_synthetic_root(root: Path) -> Path:
    raw = root / "data" / "raw"
    raw.mkdir(parents=True)
    for f in REPO_RAW.glob("registry_*.csv"):
        shutil.copy(f, raw / f.name)
    shutil.copy(REPO_RAW / "sources.csv", raw / "sources.csv")
    reg, prov = _series()
    write_csv(REGENCIES, raw / "regencies.csv")
    write_csv(PROVINCES, raw / "provinces.csv")
    write_csv(reg, raw / "regency_series.csv")
    write_csv(prov, raw / "province_series.csv")
    return root


@pytest.fixture()
def synthetic_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary project root with the synthetic extracts; SOSEK_IMPACT_ROOT points at it."""
    root = make_synthetic_root(tmp_path / "root")
    monkeypatch.setenv("SOSEK_IMPACT_ROOT", str(root))
    return root


@pytest.fixture(scope="module")
def built_synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic root built once per test module (read-only use); returns its project root."""
    from sosek_impact.panel import build_panel

    root = make_synthetic_root(tmp_path_factory.mktemp("synthetic") / "root")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOSEK_IMPACT_ROOT", str(root))
    try:
        build_panel(force=True)
    finally:
        mp.undo()
    return root


@pytest.fixture()
def series_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _series()



