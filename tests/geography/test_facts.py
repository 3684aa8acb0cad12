"""The committed geography tables against facts a person can check on a map or in BPS publications."""

from __future__ import annotations

import pandas as pd
import pytest

import sosek_impact as si
from sosek_impact.geography import load_cross_border_pairs, neighbours_of
from sosek_impact.registry import border_regencies


@pytest.fixture(scope="module")
def geo() -> pd.DataFrame:
    return si.load_geography().set_index("bps_code")


def test_one_row_per_regency_of_the_registry(geo):
    from sosek_impact import paths

    reg = pd.read_csv(paths.raw_dir() / "regencies.csv")
    assert sorted(geo.index) == sorted(reg.bps_code)
    # Papua's pre-2022 codes of the source polygons are today's codes here (Merauke 9401 -> 9501)
    assert geo.at[9501, "code_published"] == 9401 and geo.at[9501, "name"] == "Merauke"


def test_sanggau_neighbours_are_the_six_on_the_map():
    # Sekadau 6109, Landak 6103, Bengkayang 6102, Sintang 6107, Ketapang 6106, Kubu Raya 6112
    assert neighbours_of(6105) == [6102, 6103, 6106, 6107, 6109, 6112]


def test_neighbour_relation_is_symmetric_and_local(geo):
    edges = si.load_neighbours()
    pairs = set(zip(edges.bps_code, edges.neighbour_code))
    assert all((b, a) in pairs for a, b in pairs)
    assert not any(a == b for a, b in pairs)
    # neighbours are near: centroids of neighbours less than 400 km apart (largest regencies ~ 200 km across)
    from sosek_impact.extracts.geodesy import geodesic_km

    a = geo.loc[edges.bps_code, ["centroid_lon", "centroid_lat"]].to_numpy()
    b = geo.loc[edges.neighbour_code, ["centroid_lon", "centroid_lat"]].to_numpy()
    assert geodesic_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1]).max() < 400


def test_land_border_set_equals_registry_and_distance_is_zero(geo):
    today = set(border_regencies(2024)["bps_code"].astype(int))
    assert today == {6101, 6102, 6105, 6107, 6108, 6411, 6501, 6504}
    assert set(geo.index[geo.land_border]) == today
    assert (geo.loc[sorted(today), "dist_border_km"] < 5).all()
    assert (geo.loc[sorted(today), "border_km"] > 40).all()
    # Kutai Barat bordered Sarawak only until Mahakam Ulu split off (2013); the polygons are of 2017
    assert not geo.at[6402, "land_border"] and geo.at[6402, "dist_border_km"] > 100


def test_kota_pontianak_is_about_150_km_from_the_border(geo):
    assert 130 < geo.at[6171, "dist_border_km"] < 170
    # the regencies of Java are far
    assert (geo.loc[geo.province_code.isin([31, 32, 33, 34, 35, 36]), "dist_border_km"] > 700).all()


@pytest.mark.parametrize(
    ("code", "published_km2"),
    [
        # Sanggau: "luas daerah 12.857,70 km²" (https://profilbaru.com/id/Kabupaten_Sanggau, copy of id.wikipedia;
        # https://kalbar-1.blogspot.com/2015/02/kabupaten-sanggau.html)
        (6105, 12857.70),
        # Kapuas Hulu: "total land area of 31,318.25 square kilometres" (http://cryer.org.uk/Kapuas_Hulu, copy of
        # en.wikipedia; the older BPS figure 29,842 km² would be 4.3 % off)
        (6108, 31318.25),
    ],
)
def test_area_close_to_published(geo, code, published_km2):
    assert abs(geo.at[code, "area_km2"] / published_km2 - 1) < 0.05


def test_total_land_area_of_indonesia(geo):
    # published land areas range from 1,904,569 km² (https://medbsf.org/blog/berapa-luas-daratan-indonesia-yuk-1763302588327)
    # to 1,922,570 km² (https://text-id.123dok.com/document/4yr6471vy-...); the polygons leave out small islands
    for published in (1_904_569, 1_922_570):
        assert abs(geo.area_km2.sum() / published - 1) < 0.03


def test_geography_dictionary_names_every_column():
    from sosek_impact.geography import GEOGRAPHY_DICTIONARY

    documented = {c.strip() for rows in GEOGRAPHY_DICTIONARY.values() for col, _, _ in rows for c in col.split(",")}
    table = si.load_geography(posts=False)
    undocumented = set(table.columns) - documented - {"name", "province_code", "province", "code_published", "source_id",
                                                      "source_row"}
    assert not undocumented


def test_posts_with_cited_coordinates_lie_in_their_regency_on_the_border():
    from sosek_impact.geography import load_post_distances
    from sosek_impact import paths

    posts = pd.read_csv(paths.raw_dir() / "registry_border_posts.csv")
    dist = load_post_distances().merge(posts[["post_id", "bps_code", "confidence", "kind"]], on=["post_id", "bps_code"])
    assert len(dist) == len(posts)  # every post's own regency is there
    cited = dist[dist.confidence != "unverified"]
    assert len(cited) >= 2 and (cited.dist_polygon_km <= 0.5).all()
    # proxies are near their regency, as their notes say
    assert (dist.dist_polygon_km <= 25).all()


def test_cross_border_pairs_add_up_and_include_the_known_crossings():
    pairs = load_cross_border_pairs()
    names = set(zip(pairs.bps_code, pairs.district))
    # Entikong-Tebedu, Aruk (Sambas)-Lundu/Biawak, Badau (Kapuas Hulu)-Lubok Antu, Nunukan-Tawau district? (Kalabakan)
    assert {(6105, "Tebedu"), (6101, "Lundu"), (6108, "Lubok Antu"), (6504, "Kalabakan"), (6504, "Nabawan")} <= names
    geo = si.load_geography(posts=False).set_index("bps_code")
    by_regency = pairs.groupby("bps_code").shared_border_km.sum()
    # each regency's pairs add up to its border length (each piece of border belongs to one pair)
    assert ((by_regency - geo.loc[by_regency.index, "border_km"]).abs() <= 0.1 * len(pairs)).all()
    # the whole line: the published length of the Borneo land border is about 2,000 km; the two sources' lines,
    # drawn at different resolutions, give a length of the same order
    assert 1600 < pairs.shared_border_km.sum() < 2300


def test_registry_border_posts_filter_unverified_with_a_warning():
    from sosek_impact.registry import UnverifiedRowsWarning, border_posts

    with pytest.warns(UnverifiedRowsWarning):
        cited = border_posts()
    assert set(cited.post_id) == {"entikong", "aruk"}
    every = border_posts(min_confidence="unverified")
    assert len(every) == 5 and every.lon.between(108, 120).all()


def test_loaders_need_no_shapely(tmp_path):
    import subprocess
    import sys

    code = ("import sys; sys.modules['shapely'] = None\n"
            "import sosek_impact as si\n"
            "g = si.load_geography(); n = si.load_neighbours()\n"
            "assert len(g) == 514 and len(n) > 1000 and 'shapely' not in [m for m in sys.modules if sys.modules[m]]\n"
            "from sosek_impact.report.maps import read_map_layers\n"
            "from sosek_impact import paths\n"
            "assert len(read_map_layers(paths.raw_dir() / 'kalimantan_map.geojson').regencies) == 56\n")
    subprocess.run([sys.executable, "-c", code], check=True)
