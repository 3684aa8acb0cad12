"""Name and code resolution against the committed region list (data/raw/regencies.csv, built from
quarcs-lab/indonesia514 gdp_pc.csv districtID/district) and the curated alias tables."""

from __future__ import annotations

import pandas as pd
import pytest

from sosek_impact.errors import SchemaError, UnknownRegionError
from sosek_impact.harmonise import resolve_provinces, resolve_regencies
from sosek_impact.harmonise.names import parse_regency_name
from sosek_impact.harmonise.registry import _HERE, default_registry

# BPS codes as listed in data/raw/regencies.csv (source: idn514 gdp_pc.csv lines 316-330 for 61xx)
SAMBAS, KAPUAS_HULU, MEMPAWAH, KOTA_PONTIANAK = 6101, 6108, 6104, 6171


@pytest.mark.parametrize(
    "name",
    ["Sambas", "SAMBAS", "Kab. Sambas", "KAB. SAMBAS", "KAB SAMBAS", "Kabupaten Sambas", " kabupaten  sambas ", "Sambas, Kab"],
)
def test_kabupaten_spellings(name):
    assert resolve_regencies([name]).tolist() == [SAMBAS]


@pytest.mark.parametrize("name", ["Kota Pontianak", "KOTA PONTIANAK", "Pontianak, Kota", "Pontianak City", "Kota Adm. Pontianak"])
def test_kota_spellings(name):
    assert resolve_regencies([name]).tolist() == [KOTA_PONTIANAK]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Pontianak", MEMPAWAH),  # Kabupaten Pontianak renamed Mempawah 2014 (registry code_changes.csv)
        ("Kab. Pontianak", MEMPAWAH),
        ("Toba Samosir", 1206),
        ("Mamuju Utara", 7605),
        ("Maluku Tenggara Barat", 8101),
        ("Kota Baru", 6302),  # Kotabaru, a kabupaten (PROVENANCE.md, Miskin files)
        ("Kota Makasar", 7371),
        ("Limapuluh Kota", 1308),  # "Kota" here is part of the name, not a city marker
        ("Lima Puluh Kota", 1308),
        ("Kapuas-Hulu", KAPUAS_HULU),
        ("Kep. Seribu", 3101),
        ("Kota Administrasi Jakarta Selatan", 3171),
    ],
)
def test_aliases_and_old_names(name, code):
    assert resolve_regencies([name]).tolist() == [code]


def test_province_settles_shared_names():
    # Kabupaten Banjar (Kalimantan Selatan 6303) and Kota Banjar (Jawa Barat 3279)
    got = resolve_regencies(["Banjar", "Banjar", "Banjar"], ["Kalimantan Selatan", "JAWA BARAT", None])
    assert got.tolist() == [6303, 3279, 6303]  # a bare name without province is the kabupaten (BPS convention)


def test_old_province_of_a_regency_is_accepted():
    # Nunukan listed under Kalimantan Timur (before 2012), Merauke under Papua (before 2022)
    assert resolve_regencies(["Nunukan", "Merauke"], ["Kalimantan Timur", "Papua"]).tolist() == [6504, 9501]


def test_codes_pass_through_and_wrong_province_fails():
    assert resolve_regencies(["6108", 6102]).tolist() == [6108, 6102]
    with pytest.raises(UnknownRegionError):
        resolve_regencies([6108], ["Jawa Barat"])


def test_unknown_names_list_every_offender_with_suggestions():
    with pytest.raises(UnknownRegionError) as err:
        resolve_regencies(
            ["Sambas", "Atlantis", "Kapuas Hulux", "Ketapang", "Sintangg", 9999],
            file="user.csv", column="kabupaten", rows=[2, 3, 4, 5, 6, 7],
        )
    e = err.value
    assert set(e.offenders) == {"Atlantis", "Kapuas Hulux", "Sintangg", "9999"}
    assert any("Kapuas Hulu (6108)" in s for s in e.offenders["Kapuas Hulux"])
    assert any("Sintang (6107)" in s for s in e.offenders["Sintangg"])
    assert e.file == "user.csv" and e.column == "kabupaten" and e.row == 3
    assert "Atlantis" in str(e) and "Sintangg" in str(e)


def test_ambiguous_name_is_an_error():
    # "Kota Bandung" is one place, but a bare "Bandung" in a province with both kinds picks the kabupaten;
    # a hint that fits nothing (a kota Kapuas Hulu) is unknown, not guessed
    with pytest.raises(UnknownRegionError):
        resolve_regencies(["Kota Kapuas Hulu"])


def test_provinces():
    got = resolve_provinces(
        ["West Kalimantan", "WEST KALIMANTAN", "Kalimantan Barat", "KALIMANTAN BARAT", "Nanggroe Aceh Darussalam",
         "D I YOGYAKARTA", "Kep. Bangka Belitung", "Kepulauan Bangka-Belitung", "RIAU ", "61"]
    )
    assert got.tolist() == [61, 61, 61, 61, 11, 34, 19, 19, 14, 61]
    assert resolve_provinces(["Indonesia"], national=True).tolist() == [0]
    with pytest.raises(UnknownRegionError) as err:
        resolve_provinces(["Kalimantan Barrat", "Borneo"])
    assert set(err.value.offenders) == {"Kalimantan Barrat", "Borneo"}
    assert any("Kalimantan Barat" in s for s in err.value.offenders["Kalimantan Barrat"])


def test_alias_table_is_consistent():
    aliases = pd.read_csv(_HERE / "regency_aliases.csv", dtype=str)
    assert {"alias", "bps_code", "name", "source", "reason"} <= set(aliases.columns)
    assert aliases[["source", "reason"]].notna().all().all()
    reg = default_registry()
    for a in aliases.itertuples():
        assert reg.regency(int(a.bps_code)).name == a.name


def test_alias_to_wrong_code_is_refused():
    reg = default_registry()
    bad = pd.DataFrame([{"alias": "X", "bps_code": "6101", "name": "Not Sambas", "source": "t", "reason": "t"}])
    with pytest.raises(SchemaError):
        type(reg)(reg.regencies, reg.provinces, bad, reg.province_aliases)


def test_parse_kind_hints():
    assert parse_regency_name("Tual, Kota").kind == "kota"
    assert parse_regency_name("Kendari City").kind == "kota"
    assert parse_regency_name("Lima Puluh Kota").kind is None
    assert parse_regency_name("Tambrauw, Kab").kind == "kabupaten"


def test_missing_names_and_provinces():
    # a missing province is no constraint; a missing name is an offender, located by its row
    got = resolve_regencies(pd.Series(["Sambas", "Nunukan"], index=[5, 9]), pd.array(["Kalimantan Barat", pd.NA], dtype="string"))
    assert got.tolist() == [6101, 6504]
    with pytest.raises(UnknownRegionError) as err:
        resolve_regencies(["Sambas", None, "Atlantis"], rows=[2, 3, 4])
    assert len(err.value.offenders) == 2 and err.value.row == 3


def test_closest_matches_rank_the_bare_name_first():
    """A prefix shared by many names ("Kab.", "Kota") must not crowd out the obvious match."""
    from sosek_impact.errors import UnknownRegionError
    from sosek_impact.harmonise.registry import default_registry

    with pytest.raises(UnknownRegionError) as err:
        resolve_regencies(["Kab. Sambbas", "KAB SANGAU"])
    text = str(err.value)
    assert "Sambas (6101)" in text and "Sanggau (6105)" in text
    assert default_registry()._closest_names("Kab. Sambbas")[0] == "Sambas (6101)"
