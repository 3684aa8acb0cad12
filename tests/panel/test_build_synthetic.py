"""Panel build on the synthetic TEST FIXTURE (tests/panel/conftest.py): known-by-construction checks.

References are the fixture's construction rules (stated in conftest.py), not the build's output:
GRDP per capita = GRDP × 10^6 / population; Sambas idn514 2019→2020 falls by 20 % (a level break);
Bengkayang P0 2021 differs by 0.5 pp between bps_p0_2021 and kemiskinan_2021; Mahakam Ulu (6411) was
created in 2013 (registry splits) so its 2010–2012 values are back-cast.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import DuplicateKeyError, NumberFormatError, UnknownRegionError, ValueRangeError
from sosek_impact.panel import build_panel, load_panel, load_province_panel
from sosek_impact.panel.store import stored_hash


def _read(root: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(root / "data" / "processed" / name)


def test_grid_choice_and_provenance(built_synthetic: Path, series_frames):
    reg, _ = series_frames
    panel = _read(built_synthetic, "panel.parquet")
    assert len(panel) == 6 * 12 and not panel.duplicated(["bps_code", "year"]).any()
    # grdp_pc: quarcs 2010-2017, idn514 after; grdp_pc_idn514 the whole idn514 series.
    src = panel.groupby("year")["grdp_pc_source"].first()
    assert (src.loc[2010:2017] == "quarcs_districts").all() and (src.loc[2018:2020] == "idn514_gdp_pc").all()
    idn = reg.loc[reg["source_id"] == "idn514_gdp_pc"].set_index(["bps_code", "year"])["value"]
    got = panel.set_index(["bps_code", "year"])["grdp_pc_idn514"].reindex(idn.index)
    np.testing.assert_array_equal(got.to_numpy(), idn.to_numpy())
    # Missing stays missing: no HDI anywhere, no grdp after 2017, no 2021 GRDP per capita.
    assert panel["hdi"].isna().all() and panel.loc[panel["year"] > 2017, "grdp"].isna().all()
    assert panel.loc[panel["year"] == 2021, "grdp_pc"].isna().all()
    # Chosen P0 2021 is the BPS yearly table, not the Kaggle copy.
    row = panel.set_index(["bps_code", "year"]).loc[(6102, 2021)]
    assert row["poverty_rate"] == pytest.approx(8.5) and row["poverty_rate_source"] == "bps_p0_2021"
    # Source row traceability.
    assert int(row["poverty_rate_source_row"]) == 401


def test_design_columns(built_synthetic: Path):
    panel = _read(built_synthetic, "panel.parquet").set_index(["bps_code", "year"])
    assert bool(panel.loc[(6402, 2012), "border"]) and not bool(panel.loc[(6402, 2013), "border"])
    assert bool(panel.loc[(6411, 2013), "border"]) and not bool(panel.loc[(6411, 2012), "border"])
    assert not panel.loc[(6171, 2015), "border"] and panel["kalimantan"].all()
    assert panel.loc[(6411, 2012), "backcast"] and not panel.loc[(6411, 2013), "backcast"]
    assert "backcast" in panel.loc[(6411, 2012), "grdp_flag"].split(";")
    assert pd.isna(panel.loc[(6411, 2013), "grdp_flag"])


def test_province_panel_food_share(built_synthetic: Path):
    prov = _read(built_synthetic, "province_panel.parquet").set_index(["province_code", "year"])
    r = prov.loc[(61, 2017)]
    assert r["food_share"] == pytest.approx(500_061 / (500_061 + 480_061), rel=1e-12)
    assert pd.isna(prov.loc[(61, 2016), "food_share"]) and prov.loc[(0, 2017), "province"] == "Indonesia"


def test_validation_report_finds_known_problems(built_synthetic: Path):
    synthetic_root = built_synthetic
    text = (synthetic_root / "data" / "processed" / "validation.md").read_text(encoding="utf-8")
    assert "| regency_series.csv | 234 | 228 | 6 | yes |" in text  # 6 kemiskinan_2021 rows reported
    assert "| 6101 | Sambas | 2019→2020 |" in text and "All 1 breaks" in text
    assert "| 6102 | 2021 | poverty_rate | bps_p0_2021 | 8.5 | kemiskinan_2021 | 9 | 0.5 |" in text
    assert "| 6411 | Mahakam Ulu | 2010 | 2012 |" in text
    dictionary = (synthetic_root / "data" / "processed" / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    # hdi is entirely missing in the fixture; the dictionary says so.
    assert "| hdi | human development index (BPS IPM, new method) | index 0–100 |  |  | 100.0% |" in dictionary
    # grdp: 8 of 12 fixture years (2010-2017) have a value -> 4/12 missing.
    assert "| grdp | gross regional domestic product, constant 2010 prices | billion IDR | quarcs_districts | " \
           "2010–2017 | 33.3% |" in dictionary


def test_rebuild_when_raw_changes(synthetic_root: Path):
    out = synthetic_root / "data" / "processed"
    build_panel()
    before = stored_hash(out / "panel.parquet")
    mtime = os.stat(out / "panel.parquet").st_mtime_ns
    assert build_panel() == out / "panel.parquet"  # up to date: nothing rewritten
    assert os.stat(out / "panel.parquet").st_mtime_ns == mtime
    path = synthetic_root / "data" / "raw" / "regency_series.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",8.0,percent,", ",8.25,percent,", 1),
                    encoding="utf-8")
    panel = load_panel()
    assert stored_hash(out / "panel.parquet") != before
    assert panel.set_index(["bps_code", "year"]).loc[(6101, 2020), "poverty_rate"] == pytest.approx(8.25)
    assert len(load_province_panel(build_if_missing=False)) == 4 * 2  # rebuilt together with the panel


def test_bad_extracts_get_typed_errors(synthetic_root: Path):
    raw = synthetic_root / "data" / "raw"
    path = raw / "regency_series.csv"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace(",8.0,percent,", ",8;0,percent,", 1), encoding="utf-8")
    with pytest.raises(NumberFormatError) as err:
        build_panel(force=True)
    assert err.value.column == "value" and err.value.value == "8;0" and err.value.row > 1
    lines = original.splitlines()
    path.write_text("\n".join(lines + [lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(DuplicateKeyError):
        build_panel(force=True)
    path.write_text(original.replace("\n6101,2020,", "\n6101,1899,", 1), encoding="utf-8")
    with pytest.raises(ValueRangeError) as err:
        build_panel(force=True)
    assert err.value.value == 1899 and err.value.column == "year"
    path.write_text(original.replace("\n6101,2020,", "\n6199,2020,", 1), encoding="utf-8")
    with pytest.raises(UnknownRegionError) as err:
        build_panel(force=True)
    assert "6199" in err.value.offenders
