"""Tests of sosek_impact.registry against the shared registry tables and the issue's stated facts.

References: ``../shared/data/registry/*.csv`` (read here independently with the csv module; tests that
need them skip when ``../shared`` is absent) and the facts stated in issue 3 / the registry README:
Kutai Barat (6402) borders Sarawak until Mahakam Ulu (6411) splits off in 2013; forums West
Kalimantan–Sarawak 1985 and East Kalimantan–Sabah 1995; PLBN Entikong 21 Dec 2016 (Sanggau 6105),
Nanga Badau 16 Mar 2017 (Kapuas Hulu 6108), Aruk 17 Mar 2017 (Sambas 6101).
"""

from __future__ import annotations

import csv
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from sosek_impact.errors import InputError, SchemaError
from sosek_impact.paths import raw_dir, shared_dir
from sosek_impact.registry import (
    UnverifiedRowsWarning,
    border_regencies,
    events,
    forum_timing,
    is_border,
    treatment_timing,
)


def _shared_rows(name: str) -> list[dict[str, str]]:
    shared = shared_dir()
    if shared is None or not (shared / "registry" / name).exists():
        pytest.skip("../shared/data/registry not available")
    with open(shared / "registry" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture()
def raw_copy(tmp_path: Path) -> Path:
    """A private copy of the registry extracts, to edit without touching data/raw."""
    for f in raw_dir().glob("registry_*.csv"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_border_flags_by_year_match_issue_facts():
    # Issue 3 spot tests: Kutai Barat 2012 true, 2013 false; Mahakam Ulu 2013 true (and 2012 false:
    # it did not exist yet, administrative definition).
    got = is_border([6402, 6402, 6411, 6411], [2012, 2013, 2013, 2012])
    assert got.tolist() == [True, False, True, False]
    assert bool(is_border(6402, 1999)) and not bool(is_border(6402, 1998))


def test_border_set_equals_shared_registry_land_border_rows():
    rows = _shared_rows("border_regencies.csv")
    today = {int(r["bps_code"]) for r in rows if r["land_border"].strip().lower() == "true"}
    assert set(border_regencies(2024)["bps_code"]) == today
    # 2012: today's set minus the post-2012 creations plus Kutai Barat.
    created_after = {int(r["bps_code"]) for r in rows if r["since_year"] and int(r["since_year"]) > 2012}
    assert set(border_regencies(2012)["bps_code"]) == (today - created_after) | {6402}


def test_border_listing_carries_source_and_confidence():
    table = border_regencies()
    assert table["source"].notna().all() and table["confidence"].isin(["high", "medium"]).all()
    kb = table.set_index("bps_code").loc[6402]
    assert (int(kb["from_year"]), int(kb["until_year"])) == (1999, 2012)


def test_events_dates_equal_shared_registry():
    rows = {r["event_id"]: r for r in _shared_rows("events.csv")}
    ev = events().set_index("event_id")
    for eid in ("E10", "E11", "E12"):
        assert ev.loc[eid, "start"].strftime("%Y-%m-%d") == rows[eid]["date"]
        assert int(ev.loc[eid, "bps_code"]) == int(rows[eid]["bps_code"])
    assert ev.loc["E14", "precision"] == "month" and int(ev.loc["E14", "month"]) == 7
    # Status rows of posts not opened (E20 Long Midang, E21 Sei Kelik) are flagged not opened.
    not_opened = set(ev.index[~ev["opened"]])
    assert not_opened == {eid for eid, r in rows.items() if r["note"].lower().startswith("status row")}


def test_treatment_timing_first_wave_and_conventions():
    units = [6101, 6102, 6105, 6107, 6108, 6402, 6501, 6504]
    t = treatment_timing("plbn", units=units)
    # Entikong Dec 2016 counts in 2016; Aruk/Badau Mar 2017; Jagoi Babang operating Jul 2023 (rule first);
    # Malinau/Nunukan inaugurated 2 Oct 2024; Sintang's Sei Kelik and Kutai Barat never.
    assert t.to_dict() == {6101: 2017, 6102: 2023, 6105: 2016, 6107: 0, 6108: 2017, 6402: 0,
                           6501: 2024, 6504: 2024}
    assert t.attrs["events"][6105] == "E10"
    assert {eid for eid, _ in t.attrs["excluded"]} >= {"E20", "E21"}
    full = treatment_timing("plbn", units=units, first_full_year=True, rule="inauguration")
    assert full.to_dict() == {6101: 2018, 6102: 2025, 6105: 2017, 6107: 0, 6108: 2018, 6402: 0,
                              6501: 2025, 6504: 2025}
    high = treatment_timing("plbn", units=[6102], min_confidence="high")
    assert high.loc[6102] == 2024  # the medium-confidence July 2023 start of operation is dropped
    dates = treatment_timing("plbn", units=[6105, 6107], period="date")
    assert str(dates.loc[6105].date()) == "2016-12-21" and dates.isna().loc[6107]


def test_forum_timing_and_province_level():
    assert forum_timing() == {61: 1985, 64: 1995, 65: 1995}
    prov = treatment_timing("forum", level="province", units=[61, 62, 64, 65])
    assert prov.to_dict() == {61: 1985, 62: 0, 64: 1995, 65: 1995}
    reg = treatment_timing("forum", units=[6101, 6402, 6504, 6201])
    assert reg.to_dict() == {6101: 1985, 6402: 1995, 6504: 1995, 6201: 0}


def test_unverified_rows_are_never_used_silently(raw_copy: Path):
    path = raw_copy / "registry_events.csv"
    rows = list(csv.DictReader(open(path, encoding="utf-8", newline="")))
    for r in rows:
        if r["event_id"] == "E10":
            r["confidence"] = "unverified"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    with pytest.warns(UnverifiedRowsWarning, match="E10"):
        t = treatment_timing("plbn", units=[6105], root=raw_copy)
    assert t.loc[6105] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = treatment_timing("plbn", units=[6105], min_confidence="unverified", root=raw_copy)
    assert t.loc[6105] == 2016


def test_bad_registry_input_is_typed(raw_copy: Path):
    path = raw_copy / "registry_events.csv"
    text = path.read_text(encoding="utf-8").replace("2016-12-21,day", "21/12/2016,day", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        events(root=raw_copy)
    assert err.value.column == "date" and err.value.value == "21/12/2016" and err.value.row is not None
    bad = raw_copy / "registry_border_regencies.csv"
    bad.write_text(bad.read_text(encoding="utf-8").replace(",land_border,", ",landborder,", 1), encoding="utf-8")
    with pytest.raises(SchemaError, match="land_border"):
        border_regencies(root=raw_copy)


def test_argument_checks():
    with pytest.raises(ValueError):
        treatment_timing("plbn", level="district")
    with pytest.raises(ValueError):
        treatment_timing("plbn", period="date", first_full_year=True)
    with pytest.raises(ValueError):
        border_regencies(2010, min_confidence="low")
    assert isinstance(is_border([6101], 2010), np.ndarray)


def test_default_units_are_all_regencies_of_the_extract():
    regencies = raw_dir() / "regencies.csv"
    if not regencies.exists():
        pytest.skip("regencies.csv not extracted yet")
    with open(regencies, encoding="utf-8", newline="") as fh:
        codes = sorted(int(r["bps_code"]) for r in csv.DictReader(fh))
    t = treatment_timing("plbn")
    assert t.index.tolist() == codes
    # Treated: the six regencies with an opened post that has a BPS code (E10-E12, E14-E17, E19).
    assert sorted(t[t > 0].index) == [6101, 6102, 6105, 6108, 6501, 6504]
