"""Welfare columns of the built regency panel (data/processed/panel.parquet).

Spot values read by hand from the World Bank export (indo-dapoer_data.csv, "Poverty Rate" rows,
column 2010: Sambas line 9388 = 10.08, Sanggau line 9454 = 5.02, Kapuas Hulu line 4042 = 11.39) and
from okun.dta / mys.csv (PROVENANCE.md checks); exact equality for the published decimals,
1e-6 for the float32 unemployment values.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sosek_impact.paths import processed_dir

PANEL = processed_dir() / "panel.parquet"
pytestmark = pytest.mark.skipif(not PANEL.exists(), reason="panel not built")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_parquet(PANEL).set_index(["bps_code", "year"])


@pytest.mark.parametrize("code, value, line", [(6101, 10.08, 9388), (6105, 5.02, 9454), (6108, 11.39, 4042)])
def test_p0_2010_spot_values(panel, code, value, line):
    r = panel.loc[(code, 2010)]
    assert r.poverty_rate_wb == value and r.poverty_rate_wb_source == "wb_dapoer_2002_2014"
    assert r.poverty_rate_wb_source_row == line
    assert r.poverty_survey_basis == "susenas_to_2010"
    assert panel.loc[(code, 2011)].poverty_survey_basis == "susenas_from_2011"


def test_interface_columns_and_years(panel):
    p = panel.reset_index()
    years = lambda c: (int(p.loc[p[c].notna(), "year"].min()), int(p.loc[p[c].notna(), "year"].max()))  # noqa: E731
    assert years("poverty_rate_wb") == (2002, 2014) and years("poverty_gap_wb") == (2002, 2014)
    assert years("poverty_line_wb") == (2005, 2014)
    assert years("mean_years_schooling") == (2010, 2018)
    assert years("unemployment_rate") == (2008, 2021)
    # the BPS poverty_rate and new-method hdi are untouched: 2019-2024 only
    assert years("poverty_rate") == (2019, 2024) and years("hdi") == (2019, 2024)
    # the 2015-2018 gap of P0 stays empty: nothing is filled
    assert p.loc[p.year.between(2015, 2018), ["poverty_rate_wb", "poverty_rate"]].isna().all().all()
    # the basis is given exactly where a World Bank poverty value is
    has = p[["poverty_rate_wb", "poverty_gap_wb", "poverty_line_wb"]].notna().any(axis=1)
    assert (p.poverty_survey_basis.notna() == has).all()


def test_unemployment_sources_per_value(panel):
    u = panel["unemployment_rate_source"].dropna().reset_index()
    assert set(u.loc[u.year <= 2020, "unemployment_rate_source"]) == {"quarcs_okun"}
    assert set(u.loc[u.year == 2021, "unemployment_rate_source"]) == {"kemiskinan_2021"}
    assert abs(panel.loc[(6105, 2010)].unemployment_rate - 3.617377) < 1e-6
    assert "interpolated" in panel.loc[(6105, 2016)].unemployment_rate_flag


def test_schooling_units_are_not_mixed(panel):
    r = panel.loc[(6105, 2010)]
    assert r.mean_years_schooling == 6.1599998 and r.mean_years_schooling_source == "quarcs_mys"
    assert panel["mean_years_schooling_source"].dropna().eq("quarcs_mys").all()
    k = panel["mean_years_schooling_kemiskinan_2021"].dropna().reset_index()
    assert set(k.year) == {2021}


def test_old_method_hdi_is_a_column_of_its_own(panel):
    r = panel.loc[(6105, 2013)]
    assert r.hdi_old_method_wb == 70.3 and pd.isna(r.hdi)
    assert panel["hdi_source"].dropna().str.match(r"^(bps_ipm_|dapoer_2019)").all()


def test_old_boundary_and_backcast(panel):
    assert "old_boundary" in panel.loc[(6105, 2003)].poverty_rate_wb_flag
    assert "old_boundary" not in panel.loc[(6105, 2005)].poverty_rate_wb_flag
    # Mahakam Ulu (created 2013): QuaRCS unemployment 2008-2012 is back-cast
    assert panel.loc[(6411, 2010)].backcast and "backcast" in panel.loc[(6411, 2010)].unemployment_rate_flag
