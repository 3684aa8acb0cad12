"""The data contract of data/raw: encoding, line ends, plain numbers, keys, sort order."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from sosek_impact import paths

RAW = paths.raw_dir()
CSVS = sorted(p.name for p in RAW.glob("*.csv"))


@pytest.mark.parametrize("name", CSVS)
def test_utf8_lf_no_bom(name):
    data = (RAW / name).read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" not in data
    data.decode("utf-8")


@pytest.mark.parametrize("name", ["regency_series.csv", "province_series.csv"])
def test_series_values_are_plain_numbers_with_provenance(name):
    df = pd.read_csv(RAW / name, keep_default_na=False, dtype=str)
    code = "bps_code" if name.startswith("regency") else "province_code"
    assert list(df.columns) == [code, "year", "variable", "value", "unit", "flag", "source_id", "source_row", "name_published"]
    plain = re.compile(r"^-?\d+(\.\d+)?([eE]-?\d+)?$")
    bad = df[(df.value != "") & ~df.value.str.match(plain)]
    assert bad.empty, bad.head()
    assert (df.source_id != "").all() and df.source_row.str.fullmatch(r"\d+").all()
    sources = set(pd.read_csv(RAW / "sources.csv").source_id)
    assert set(df.source_id) <= sources
    key = [code, "year", "variable", "source_id"]
    assert not df.duplicated(key).any()
    # deterministic order: code, variable, source, year
    typed = df.astype({code: int, "year": int})
    assert typed.equals(typed.sort_values([code, "variable", "source_id", "year"], kind="stable"))


def test_regency_codes_known_and_today_vintage():
    codes = set(pd.read_csv(RAW / "regencies.csv").bps_code)
    series = pd.read_csv(RAW / "regency_series.csv", usecols=["bps_code"])
    assert set(series.bps_code) == codes
    # North Kalimantan regencies are 65xx; no pre-2012 64xx code of them survives
    assert {6501, 6502, 6503, 6504, 6571} <= codes and not {6406, 6407, 6408, 6410, 6473} & codes


def test_registry_extracts_keep_every_row_and_column():
    shared = paths.shared_dir()
    if shared is None:
        pytest.skip("../shared/data not present")
    for name in ("border_regencies", "events", "regency_splits", "code_changes"):
        src = pd.read_csv(shared / "registry" / f"{name}.csv", dtype=str, keep_default_na=False)
        ext = pd.read_csv(RAW / f"registry_{name}.csv", dtype=str, keep_default_na=False)
        assert list(ext.columns) == [*src.columns, "source_id", "source_row"]
        pd.testing.assert_frame_equal(ext[src.columns], src)
        assert (ext.source_id == "registry").all()
