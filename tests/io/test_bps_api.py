"""Offline tests of the BPS WebAPI reader with a fake transport.

The response is ``fixtures/bps_api_p0_kalbar_handmade.json``: HAND-MADE in the WebAPI
layout (not recorded from BPS), holding the Kalimantan Barat P0 values of the tauradavin
Miskin 2023/2024 exports. The reference is those CSV files read independently with
``read_bps_table`` (exact equality: the same decimal texts); no network is used.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sosek_impact import paths
from sosek_impact.errors import EmptyFileError, SchemaError
from sosek_impact.io import read_bps_table
from sosek_impact.io.bps_api import BPSApiError, fetch_dynamic_table, parse_dynamic_table

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "bps_api_p0_kalbar_handmade.json"


class FakeTransport:
    """Returns a fixed payload and records the URLs asked for."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.urls: list[str] = []

    def __call__(self, url: str, timeout: float) -> bytes:
        self.urls.append(url)
        return self.payload


@pytest.fixture()
def payload() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_parse_keys_to_regions_years_and_codes(payload: dict) -> None:
    df = parse_dynamic_table(payload, source="fixture")
    assert len(df) == 2 * 15 - 1  # Kota Singkawang 2023 is absent from datacontent
    kh = df[df.region == "Kapuas Hulu"].set_index("year")
    assert kh.value.to_dict() == {2023: 8.16, 2024: 7.40}
    assert kh.region_code.unique().tolist() == [6108]
    prov = df[df.is_province]
    assert prov.region.unique().tolist() == ["KALIMANTAN BARAT"] and prov.region_code.unique().tolist() == [6100]
    assert (df.unit == "Persen").all()


def test_fetch_uses_key_caches_and_never_stores_the_key(tmp_path: Path, payload: dict, monkeypatch) -> None:
    monkeypatch.setenv("BPS_API_KEY", "SECRET-KEY-123")
    fake = FakeTransport(json.dumps(payload).encode())
    first = fetch_dynamic_table("6100", 621, cache_dir=tmp_path, transport=fake)
    second = fetch_dynamic_table(6100, 621, cache_dir=tmp_path, transport=fake)
    assert len(fake.urls) == 1 and fake.urls[0].endswith("/domain/6100/var/621/key/SECRET-KEY-123/")
    assert first.equals(second)
    assert not first.source_file.str.contains("SECRET").any()
    cached = list(tmp_path.iterdir())
    assert len(cached) == 1 and "SECRET" not in cached[0].read_text()
    offline = fetch_dynamic_table("6100", 621, cache_dir=tmp_path, offline=True)
    assert offline.equals(first)


def test_years_go_into_the_request(tmp_path: Path, payload: dict) -> None:
    fake = FakeTransport(json.dumps(payload).encode())
    fetch_dynamic_table("6100", 621, years=[2023, 2024], key="k", cache_dir=tmp_path, transport=fake)
    assert "/th/123;124/key/k/" in fake.urls[0]


def test_offline_without_cache_and_missing_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("BPS_API_KEY", raising=False)
    with pytest.raises(BPSApiError, match="not cached"):
        fetch_dynamic_table("6100", 621, cache_dir=tmp_path, offline=True)
    with pytest.raises(BPSApiError, match="BPS_API_KEY"):
        fetch_dynamic_table("6100", 621, cache_dir=tmp_path, transport=FakeTransport(b"{}"))


def test_error_answers_are_typed_and_not_cached(tmp_path: Path, payload: dict) -> None:
    bad = FakeTransport(json.dumps({"status": "Error", "message": "Invalid key"}).encode())
    with pytest.raises(BPSApiError, match="Invalid key"):
        fetch_dynamic_table("6100", 621, key="k", cache_dir=tmp_path, transport=bad)
    assert not list(tmp_path.iterdir())
    with pytest.raises(BPSApiError, match="not JSON"):
        fetch_dynamic_table("6100", 621, key="k", cache_dir=tmp_path, transport=FakeTransport(b"<html>"))
    empty = dict(payload, **{"data-availability": "list-not-available"})
    with pytest.raises(EmptyFileError):
        parse_dynamic_table(empty)
    stray = copy.deepcopy(payload)
    stray["datacontent"]["99999999"] = 1.0
    with pytest.raises(SchemaError, match="match no"):
        parse_dynamic_table(stray)


@pytest.mark.skipif(paths.shared_dir() is None, reason="../shared/data is absent")
def test_values_equal_the_bps_csv_exports(payload: dict) -> None:
    api = parse_dynamic_table(payload)
    data = paths.shared_dir() / "sources" / "tauradavin__uas-visdat-2026" / "Data"
    for year in (2023, 2024):
        csv = read_bps_table(data / f"Miskin {year}.csv")
        kalbar = csv[csv.province_block == "KALIMANTAN BARAT"].set_index("region").value
        got = api[api.year == year].set_index("region").value
        assert got.to_dict() == kalbar.loc[got.index].to_dict()
