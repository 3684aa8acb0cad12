"""add_bps_table on the TEST FIXTURE tests/panel/fixtures/TEST_FIXTURE_food_share_regency_2023.csv.

The fixture's values are invented (see fixtures/README.md); the expected numbers below are read from
the fixture text as written, and the BPS codes are today's codes of ``data/raw/regencies.csv``
(Sambas 6101, Malinau 6501, Nunukan 6504, Mahakam Ulu 6411, Kota Pontianak 6171).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import UnknownRegionError
from sosek_impact.panel import add_bps_table
from sosek_impact.paths import raw_dir

FIXTURE = Path(__file__).parent / "fixtures" / "TEST_FIXTURE_food_share_regency_2023.csv"
pytestmark = pytest.mark.skipif(not (raw_dir() / "regencies.csv").exists(), reason="raw extracts not built yet")


@pytest.fixture(scope="module")
def small_panel() -> pd.DataFrame:
    codes = pd.read_csv(raw_dir() / "regencies.csv")["bps_code"].astype(int)
    idx = pd.MultiIndex.from_product([sorted(codes), [2022, 2023]], names=["bps_code", "year"])
    return idx.to_frame(index=False)


def test_regency_table_merges_with_provenance(small_panel):
    out = add_bps_table(FIXTURE, "food_share_regency", panel=small_panel)
    got = out.set_index(["bps_code", "year"])
    assert got.loc[(6101, 2023), "food_share_regency"] == pytest.approx(58.12)
    assert got.loc[(6171, 2023), "food_share_regency"] == pytest.approx(44.20)   # "Kota Pontianak"
    assert got.loc[(6411, 2023), "food_share_regency"] == pytest.approx(54.75)
    assert np.isnan(got.loc[(6501, 2023), "food_share_regency"])                 # "-" stays missing
    assert got.loc[(6504, 2023), "food_share_regency_flag"] == "provisional"      # "52.30*"
    assert got.loc[(6101, 2023), "food_share_regency_source"] == FIXTURE.name
    assert int(got.loc[(6101, 2023), "food_share_regency_source_row"]) == 5
    assert got.loc[(6101, 2022), ["food_share_regency"]].isna().all()
    assert len(out) == len(small_panel)
    counts = out.attrs["add_bps_table"]
    # 12 rows read = 8 regencies merged + 3 province rows + 1 national row dropped.
    assert counts == {"rows_read": 12, "province_rows_dropped": 3, "national_rows_dropped": 1, "merged": 8,
                      "outside_panel": 0, "duplicates_collapsed": 0}
    assert got["food_share_regency"].notna().sum() == 7


def test_province_level(small_panel):
    provinces = pd.read_csv(raw_dir() / "provinces.csv")["province_code"].astype(int)
    panel = pd.DataFrame({"province_code": [0, *sorted(provinces)], "year": 2023})
    out = add_bps_table(FIXTURE, "food_share", level="province", panel=panel).set_index("province_code")
    assert out.loc[61, "food_share"] == pytest.approx(53.10) and out.loc[0, "food_share"] == pytest.approx(49.10)
    assert out.loc[65, "food_share"] == pytest.approx(50.10) and np.isnan(out.loc[62, "food_share"])


def test_unknown_names_are_all_listed(small_panel, tmp_path: Path):
    bad = tmp_path / "TEST_FIXTURE_bad_names_2023.csv"
    text = FIXTURE.read_text(encoding="utf-8").replace("Sambas,", "Sambass,").replace("Kapuas Hulu,", "Kapuas Hilir,")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(UnknownRegionError) as err:
        add_bps_table(bad, "food_share_regency", panel=small_panel)
    offenders = err.value.offenders
    # Both offenders listed (not just the first), with the province block they were read under (61).
    assert set(offenders) == {"Sambass [province 61]", "Kapuas Hilir [province 61]"}
    assert "Sambas (6101)" in offenders["Sambass [province 61]"]


def test_rows_outside_the_panel_are_reported(small_panel):
    panel = small_panel.loc[small_panel["bps_code"] != 6101]
    with pytest.warns(UserWarning, match="outside the panel"):
        out = add_bps_table(FIXTURE, "food_share_regency", panel=panel)
    assert out.attrs["add_bps_table"]["outside_panel"] == 1 and out.attrs["add_bps_table"]["merged"] == 7


def test_existing_column_is_refused(small_panel):
    with pytest.raises(ValueError, match="already"):
        add_bps_table(FIXTURE, "year", panel=small_panel)


def test_a_real_bps_export_reproduces_the_panel_p0(tmp_path: Path):
    """The BPS P0 2020 export (shared source) added with one call equals the panel's poverty_rate 2020.

    Reference: the panel's ``poverty_rate`` for 2020 comes from the extract of the same file
    (``bps_p0_2020``), made by a different code path (sosek_impact.extracts). Exact equality.
    """
    from sosek_impact.paths import shared_dir

    shared = shared_dir()
    path = None if shared is None else shared / "sources" / "tauradavin__uas-visdat-2026" / "Data" / "Miskin 2020.csv"
    if path is None or not path.exists():
        pytest.skip("shared BPS export not available")
    series = pd.read_csv(raw_dir() / "regency_series.csv")
    p0 = series.loc[(series["variable"] == "poverty_rate") & (series["source_id"] == "bps_p0_2020")]
    panel = p0[["bps_code", "year", "value"]].rename(columns={"value": "poverty_rate"})
    out = add_bps_table(path, "p0_user", panel=panel)
    assert out["p0_user"].notna().sum() == len(panel) == 514
    np.testing.assert_array_equal(out["p0_user"].to_numpy(), out["poverty_rate"].to_numpy())
    assert out.attrs["add_bps_table"]["outside_panel"] == 0


@pytest.mark.parametrize("kind, variable, year", [(k, v, y) for k, v in (("Miskin", "poverty_rate"), ("IPM", "hdi"))
                                                  for y in range(2020, 2025)])
def test_every_bps_web_export_reproduces_the_bundled_extract(kind: str, variable: str, year: int):
    """``add_bps_table`` on each P0 and HDI export equals the committed extract of the same file, exactly.

    Reference: ``data/raw/regency_series.csv`` rows of ``bps_p0_YYYY`` / ``bps_ipm_YYYY``, made by the
    extract code path (``sosek_impact.extracts.bps_tables``), not by ``add_bps_table``. The HDI files list
    the new Papua regencies twice (same value or '-'): they collapse to one value per regency.
    """
    from sosek_impact.paths import shared_dir

    shared = shared_dir()
    path = None if shared is None else shared / "sources" / "tauradavin__uas-visdat-2026" / "Data" / f"{kind} {year}.csv"
    if path is None or not path.exists():
        pytest.skip("shared BPS export not available")
    sid = f"bps_{'p0' if kind == 'Miskin' else 'ipm'}_{year}"
    series = pd.read_csv(raw_dir() / "regency_series.csv")
    ext = series.loc[(series["variable"] == variable) & (series["source_id"] == sid), ["bps_code", "year", "value"]]
    panel = ext.rename(columns={"value": variable})
    out = add_bps_table(path, "user_value", panel=panel)
    assert len(out) == len(panel) == 514
    np.testing.assert_array_equal(out["user_value"].to_numpy(), out[variable].to_numpy())
    assert out["user_value"].notna().sum() == panel[variable].notna().sum()
