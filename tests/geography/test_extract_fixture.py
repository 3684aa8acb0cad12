"""The geography extractor on a hand-made fixture whose areas, neighbours and distances can be worked out by hand.

Fixture (lon/lat degrees; real regency names so that the harmoniser resolves them):

- A Sambas      [109.00, 109.10] x [1.00, 1.10]
- B Bengkayang  [109.10, 109.20] x [1.00, 1.10]   shares A's east edge
- C Landak      [109.20018, 109.30] x [1.00, 1.10] a 20 m sliver gap from B (within the 50 m tolerance)
- E Sintang     [109.20, 109.30] x [1.10, 1.20]   touches B at one corner, C along an edge
- D Sanggau     bow-tie on [109.40, 109.50] x [1.00, 1.10] (self-intersecting: make_valid gives two triangles)
- Merauke       published as 9401 in province 94 (pre-2022 Papua), far away
- Malaysia: "Lundu" [109.03, 109.07] x [0.80, 0.991], 1 km south of A's bottom edge.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

shapely = pytest.importorskip("shapely")

from sosek_impact.errors import SchemaError, UnknownRegionError  # noqa: E402
from sosek_impact.extracts.geo_border import (border_distances, border_line, cross_border_pairs,  # noqa: E402
                                              line_length_km, malaysian_districts, post_distances)
from sosek_impact.extracts.geo_map import map_geojson  # noqa: E402
from sosek_impact.extracts.geo_tables import mys_crosswalk, read_posts  # noqa: E402
from sosek_impact.extracts.geodesy import A as A_KM, F, geodesic_km  # noqa: E402
from sosek_impact.extracts.geography import (NEIGHBOUR_TOLERANCE_KM, neighbour_table, read_districts,  # noqa: E402
                                             regency_table)
from sosek_impact.harmonise.registry import default_registry  # noqa: E402
from sosek_impact.report.maps import read_map_layers  # noqa: E402

E2 = F * (2 - F)


def _box(x0, x1, y0, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _feature(code, name, prov, geometry):
    return {"type": "Feature", "properties": {"districtID": code, "district": name, "provinceID": prov}, "geometry": geometry}


BOWTIE = {"type": "Polygon", "coordinates": [[[109.4, 1.0], [109.5, 1.1], [109.5, 1.0], [109.4, 1.1], [109.4, 1.0]]]}
FEATURES = [
    _feature(6101, "Sambas", 61, _box(109.0, 109.1, 1.0, 1.1)),
    _feature(6102, "Bengkayang", 61, _box(109.1, 109.2, 1.0, 1.1)),
    _feature(6103, "Landak", 61, _box(109.20018, 109.3, 1.0, 1.1)),
    _feature(6107, "Sintang", 61, _box(109.2, 109.3, 1.1, 1.2)),
    _feature(6105, "Sanggau", 61, BOWTIE),
    _feature(9401, "Merauke", 94, _box(140.0, 140.1, -8.1, -8.0)),
]
MYS = [{"type": "Feature", "properties": {"shapeName": "Lundu"}, "geometry": _box(109.03, 109.07, 0.80, 0.991)},
       {"type": "Feature", "properties": {"shapeName": "Tumpat"}, "geometry": _box(102.1, 102.2, 6.1, 6.2)}]


def _write(path: Path, features) -> Path:
    # one feature per line, like the source files, so that source_row is the line number
    lines = ["{", '"type": "FeatureCollection",', '"features": [']
    lines += [json.dumps(f) + ("," if i < len(features) - 1 else "") for i, f in enumerate(features)]
    lines += ["]", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("geo")
    registry = default_registry()
    idn = read_districts([("fixture", _write(tmp / "idn.geojson", FEATURES))], registry)
    regencies = regency_table(idn, registry)
    mys = malaysian_districts(MYS, mys_crosswalk(), file="mys.geojson")
    line = border_line(idn, mys)
    pairs = cross_border_pairs(idn, mys, line)
    border = border_distances(idn, regencies, line, pairs)
    posts = pd.DataFrame([{"post_id": "p", "name": "PLBN P", "kind": "land", "bps_code": 6101, "lon": 109.05, "lat": 1.05,
                           "confidence": "medium"}])
    return {"idn": idn, "reg": regencies.set_index("bps_code"), "edges": neighbour_table(idn), "mys": mys, "line": line,
            "pairs": pairs, "border": border.set_index("bps_code"), "posts": post_distances(idn, regencies, posts),
            "map": map_geojson(idn, mys, registry, line, posts), "tmp": tmp}


def _cell_area(lon0, lon1, lat0, lat1):
    from scipy import integrate

    def band(phi):
        w = 1 - E2 * np.sin(phi) ** 2
        return A_KM * (1 - E2) / w**1.5 * A_KM / np.sqrt(w) * np.cos(phi)

    return integrate.quad(band, math.radians(lat0), math.radians(lat1), epsrel=1e-12)[0] * math.radians(lon1 - lon0)


def test_codes_rows_and_papua_crosswalk(built):
    t = built["idn"].table.set_index("bps_code")
    assert sorted(t.index) == [6101, 6102, 6103, 6105, 6107, 9501]
    assert t.at[9501, "code_published"] == 9401  # the old Papua code, resolved by name
    assert t.at[6101, "source_row"] == 4  # line of the feature in the file


def test_areas_and_centroids_by_hand(built):
    reg = built["reg"]
    assert reg.at[6101, "area_km2"] == pytest.approx(_cell_area(109.0, 109.1, 1.0, 1.1), abs=0.06)
    # the bow-tie is repaired into two triangles: half of its square, and the repair is recorded
    assert reg.at[6105, "area_km2"] == pytest.approx(_cell_area(109.4, 109.5, 1.0, 1.1) / 2, abs=0.06)
    assert reg.at[6105, "geometry_repair"].startswith("make_valid: Self-intersection")
    assert reg.at[6105, "n_parts"] == 2 and reg.at[6101, "geometry_repair"] == ""
    assert reg.at[6101, "centroid_lon"] == pytest.approx(109.05, abs=1e-5)
    assert reg.at[6101, "centroid_lat"] == pytest.approx(1.05, abs=1e-4)


def test_neighbours_edges_points_and_slivers(built):
    e = built["edges"]
    pairs = {(a, b): (g, s, c) for a, b, g, s, c in e.itertuples(index=False)}
    assert set(pairs) == {(6101, 6102), (6102, 6101), (6102, 6103), (6103, 6102), (6102, 6107), (6107, 6102),
                          (6103, 6107), (6107, 6103)}
    meridian_km = geodesic_km(109.1, 1.0, 109.1, 1.1)  # 11.06 km
    gap, shared, contact = pairs[(6101, 6102)]
    # the common edge, plus the tolerance's reach along the two edges that meet it (2 x 50 m)
    assert gap == 0 and contact == "edge" and shared == pytest.approx(meridian_km + 2 * NEIGHBOUR_TOLERANCE_KM, abs=0.02)
    gap, shared, contact = pairs[(6102, 6103)]  # the sliver: 0.00018 deg = 20 m
    assert gap == pytest.approx(0.020, abs=0.002) and contact == "edge" and gap < NEIGHBOUR_TOLERANCE_KM
    assert pairs[(6102, 6107)][2] == "point"  # corner contact
    assert 6105 not in set(e.bps_code)  # 11 km from Landak: not a neighbour


def test_neighbour_tolerance_is_what_decides_the_sliver(built):
    strict = neighbour_table(built["idn"], tolerance_km=0.005)
    assert (6102, 6103) not in set(zip(strict.bps_code, strict.neighbour_code))


def test_border_with_its_tolerance_by_hand(built):
    # Lundu lies 1 km below A's bottom edge; the border is A's edge within 3 km of Lundu: the 0.04 deg
    # opposite Lundu plus sqrt(3^2 - 1^2) km at each end
    lon_km = geodesic_km(109.0, 1.0, 109.04, 1.0)
    expected = lon_km + 2 * math.sqrt(8)
    assert line_length_km(built["line"]) == pytest.approx(expected, rel=0.01)
    b = built["border"]
    assert b.at[6101, "land_border"] and b.at[6101, "border_km"] == pytest.approx(expected, abs=0.15)
    assert not b.at[6102, "land_border"] and b.at[6102, "border_km"] == 0
    # Bengkayang's nearest point of the line: its west edge at 109.1 to the line's east end
    east_end = 109.07 + math.sqrt(8) / geodesic_km(109.0, 1.0, 110.0, 1.0)
    assert b.at[6102, "dist_border_km"] == pytest.approx(geodesic_km(109.1, 1.0, east_end, 1.0), abs=0.15)
    # A's centroid is 0.05 deg of latitude above the line
    assert b.at[6101, "dist_border_centroid_km"] == pytest.approx(geodesic_km(109.05, 1.0, 109.05, 1.05), abs=0.1)
    assert b.at[9501, "dist_border_km"] > 3000


def test_cross_border_pairs_and_names(built):
    p = built["pairs"]
    assert list(zip(p.bps_code, p.state, p.district)) == [(6101, "Sarawak", "Lundu")]
    assert p.shared_border_km.iloc[0] == pytest.approx(line_length_km(built["line"]), abs=0.1)
    assert "Tumpat" not in set(built["mys"].table.shape_name)  # Peninsular Malaysia is left out


def test_post_distances(built):
    d = built["posts"].set_index("bps_code")
    assert d.at[6101, "dist_centroid_km"] == pytest.approx(0.0, abs=0.1) and d.at[6101, "dist_polygon_km"] == 0
    assert d.at[6102, "dist_centroid_km"] == pytest.approx(geodesic_km(109.05, 1.05, 109.15, 1.05), abs=0.1)
    assert d.at[6102, "dist_polygon_km"] == pytest.approx(geodesic_km(109.05, 1.05, 109.1, 1.05), abs=0.1)


def test_map_file_reads_back_without_shapely_and_keeps_shared_edges(built):
    path = built["tmp"] / "map.geojson"
    path.write_text(built["map"], encoding="utf-8")
    layers = read_map_layers(path)
    assert {r.key for r in layers.regencies} == {6101, 6102, 6103, 6105, 6107}  # Kalimantan only
    assert [r.name for r in layers.districts] == ["Lundu"] and len(layers.border) == 1 and len(layers.posts) == 1
    sambas = next(r for r in layers.regencies if r.key == 6101)
    beng = next(r for r in layers.regencies if r.key == 6102)
    assert {(109.1, 1.0), (109.1, 1.1)} <= set(sambas.rings[0]) & set(beng.rings[0])  # the common edge survives


# -- bad input: typed errors naming where ------------------------------------------------------------------

def test_unknown_district_name_raises(tmp_path):
    bad = _write(tmp_path / "bad.geojson", [_feature(6101, "Sambass Raya", 61, _box(109, 109.1, 1, 1.1))])
    with pytest.raises(UnknownRegionError):
        read_districts([("fixture", bad)], default_registry())


def test_unrepairable_geometry_raises_with_row(tmp_path):
    flat = {"type": "Polygon", "coordinates": [[[109.0, 1.0], [109.1, 1.0], [109.2, 1.0], [109.0, 1.0]]]}
    bad = _write(tmp_path / "bad.geojson", [FEATURES[0], _feature(6102, "Bengkayang", 61, flat)])
    with pytest.raises(SchemaError, match="could not be repaired") as err:
        read_districts([("fixture", bad)], default_registry())
    assert err.value.row == 5 and err.value.column == "geometry"


def test_missing_geometry_and_duplicates_raise(tmp_path):
    missing = _write(tmp_path / "m.geojson", [_feature(6101, "Sambas", 61, None)])
    with pytest.raises(SchemaError, match="no Polygon"):
        read_districts([("fixture", missing)], default_registry())
    dup = _write(tmp_path / "d.geojson", [FEATURES[0], FEATURES[0]])
    with pytest.raises(SchemaError, match="same regency"):
        read_districts([("fixture", dup)], default_registry())


def test_unmatched_malaysian_name_raises():
    bad = [{"type": "Feature", "properties": {"shapeName": "Lundoo"}, "geometry": _box(109.03, 109.07, 0.8, 0.99)}]
    with pytest.raises(UnknownRegionError, match="Lundoo"):
        malaysian_districts(bad, mys_crosswalk(), file="mys.geojson")


def test_post_table_checks_coordinates(tmp_path):
    good = read_posts()
    assert (good.source_id == "border_posts").all() and good.post_id.is_unique
    bad = tmp_path / "posts.csv"
    text = (Path(__file__).resolve().parents[2] / "sosek_impact/extracts/border_posts.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[1] = lines[1].replace("110.35222", "1103.5222")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="lon") as err:
        read_posts(bad)
    assert err.value.row == 2


def test_no_border_within_tolerance_is_an_error(built):
    far = malaysian_districts([{"type": "Feature", "properties": {"shapeName": "Lundu"},
                                "geometry": _box(109.03, 109.07, 0.80, 0.95)}], mys_crosswalk(), file="mys.geojson")
    with pytest.raises(SchemaError, match="no land border"):
        border_line(built["idn"], far)  # 5.5 km away: beyond the 3 km tolerance
