"""Regency geography: area, centroid, land border, distances, neighbours (read from ``data/raw``, no GIS library).

The tables are made by the maintainer step ``sosek-impact extract`` from the 514 real district
polygons (QuaRCS-lab, BPS/BIG 2017 boundaries) and geoBoundaries' Malaysian districts (see
:mod:`sosek_impact.extracts.geo_tables` for the method, tolerances and accuracy). Here they are only
read, so the installed package needs neither ``shapely`` nor the shared sources.

>>> import sosek_impact as si
>>> geo = si.load_geography()              # doctest: +SKIP
>>> edges = si.load_neighbours()           # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import SchemaError
from .paths import missing_data_advice, raw_dir

__all__ = ["load_geography", "load_neighbours", "load_post_distances", "load_cross_border_pairs", "neighbours_of", "load_mys_hies",
           "GEOGRAPHY_COLUMNS"]

GEOGRAPHY_COLUMNS = ("bps_code", "name", "province_code", "area_km2", "centroid_lon", "centroid_lat", "land_border",
                     "border_km", "dist_border_km", "dist_border_centroid_km", "n_neighbours", "n_parts",
                     "geometry_repair", "code_published", "source_id", "source_row")
_NEIGHBOUR_COLUMNS = ("bps_code", "neighbour_code", "gap_km", "shared_km", "contact")
_POST_COLUMNS = ("bps_code", "post_id", "dist_centroid_km", "dist_polygon_km")
_PAIR_COLUMNS = ("bps_code", "state", "district", "shape_name", "shared_border_km")


def _read(name: str, required: tuple[str, ...], root: str | Path | None, **kw) -> pd.DataFrame:
    path = Path(root or raw_dir()) / name
    if not path.exists():
        raise FileNotFoundError(missing_data_advice(path))
    df = pd.read_csv(path, keep_default_na=False, na_values=[""], encoding="utf-8", **kw)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SchemaError(f"geography table lacks column(s) {missing}", file=path, row=1, column=missing[0])
    df.attrs["file"] = str(path)
    return df


def load_geography(*, posts: bool = True, root: str | Path | None = None) -> pd.DataFrame:
    """One row per regency (514, today's BPS codes) with its geography.

    Parameters
    ----------
    posts
        Add one column ``dist_<post_id>_km`` per border post (distance from the regency's centroid,
        km, ellipsoidal) from ``geography_post_distances.csv``.
    root
        Folder holding the extracts; default :func:`sosek_impact.paths.raw_dir`.

    Returns
    -------
    pandas.DataFrame
        ``bps_code, name, province_code, province, area_km2`` (WGS84 ellipsoid), ``centroid_lon,
        centroid_lat`` (area centroid), ``land_border`` (at least 1 km of the land border with Sarawak
        or Sabah lies along the regency, 2017 boundaries), ``border_km`` (that length),
        ``dist_border_km`` (polygon to border, 0 for border regencies), ``dist_border_centroid_km``,
        ``n_neighbours``, ``n_parts`` (polygons, islands included), ``geometry_repair`` (how an invalid
        source geometry was repaired, empty if none) and provenance.
    """
    geo = _read("geography_regencies.csv", GEOGRAPHY_COLUMNS, root, dtype={"geometry_repair": str})
    geo["geometry_repair"] = geo["geometry_repair"].fillna("")
    geo["land_border"] = geo["land_border"].astype(bool)
    provinces = _read("provinces.csv", ("province_code", "province"), root)
    geo.insert(3, "province", geo["province_code"].map(provinces.set_index("province_code")["province"]))
    if posts:
        dist = load_post_distances(root=root)
        wide = dist.pivot(index="bps_code", columns="post_id", values="dist_centroid_km")
        wide.columns = [f"dist_{p}_km" for p in wide.columns]
        geo = geo.merge(wide, left_on="bps_code", right_index=True, how="left", validate="one_to_one")
    return geo


def load_neighbours(*, root: str | Path | None = None) -> pd.DataFrame:
    """Queen-contiguity edge list, both directions: ``bps_code, neighbour_code, gap_km, shared_km, contact``.

    Two regencies are neighbours when their polygons touch at an edge or a point or lie within 50 m
    of each other (slivers); ``contact`` is ``"edge"`` or ``"point"``, ``shared_km`` the length of
    common boundary. Islands without a land neighbour have no row.
    """
    return _read("geography_neighbours.csv", _NEIGHBOUR_COLUMNS, root)


def neighbours_of(bps_code: int | list[int], *, root: str | Path | None = None) -> list[int]:
    """Sorted codes of the regencies bordering ``bps_code`` (or any of a list), excluding those codes."""
    codes = {int(bps_code)} if isinstance(bps_code, int) else {int(c) for c in bps_code}
    edges = load_neighbours(root=root)
    found = set(edges.loc[edges["bps_code"].isin(codes), "neighbour_code"].astype(int))
    return sorted(found - codes)


def load_post_distances(*, root: str | Path | None = None) -> pd.DataFrame:
    """Long table ``bps_code, post_id, dist_centroid_km, dist_polygon_km`` (every regency × Kalimantan post).

    Post coordinates, sources and confidence are in ``registry_border_posts.csv``.
    """
    return _read("geography_post_distances.csv", _POST_COLUMNS, root)


def load_cross_border_pairs(*, root: str | Path | None = None) -> pd.DataFrame:
    """Kalimantan regency ↔ Sarawak/Sabah district pairs along the land border, with ``shared_border_km``."""
    return _read("cross_border_pairs.csv", _PAIR_COLUMNS, root)


_HIES_COLUMNS = ("state", "district", "year", "variable", "value", "unit", "flag", "source_id", "source_row",
                 "name_published")


def load_mys_hies(*, wide: bool = False, root: str | Path | None = None) -> pd.DataFrame:
    """HIES 2019/2022/2024 household income and poverty of the Sarawak and Sabah districts (DOSM).

    Parameters
    ----------
    wide
        One row per district and year with columns ``income_mean, income_median`` (RM per household
        per month, current prices) and ``poverty_absolute, poverty_relative`` (% of households);
        default the long table with units, flags and provenance.

    Notes
    -----
    A year without a source row is missing (``NaN``; ``flag = "no_source_row"`` in the long table),
    never filled. Household (not per-capita) income in ringgit at current prices and Malaysia's own
    poverty lines: not comparable with Indonesian figures without household size, exchange rate or
    PPP and a price year.
    """
    long = _read("mys_hies_districts.csv", _HIES_COLUMNS, root, dtype={"value": str, "flag": str, "name_published": str})
    long["value"] = pd.to_numeric(long["value"], errors="raise")
    long["flag"] = long["flag"].fillna("")
    if not wide:
        return long
    return long.pivot(index=["state", "district", "year"], columns="variable", values="value").reset_index().rename_axis(
        columns=None)


#: Column meanings and units of the geography tables, for ``DATA_DICTIONARY.md`` (table -> rows).
GEOGRAPHY_DICTIONARY: dict[str, list[tuple[str, str, str]]] = {
    "geography_regencies.csv (si.load_geography; 514 regencies)": [
        ("bps_code", "BPS code, today's vintage (the source's pre-2022 Papua codes resolved by name)", "code"),
        ("area_km2", "area on the WGS84 ellipsoid (cylindrical equal-area projection of the 2017 polygons)", "km²"),
        ("centroid_lon, centroid_lat", "area centroid (equal-area plane, mapped back)", "degrees"),
        ("land_border", "at least 1 km of the Indonesia–Malaysia land border runs along the regency (2017 boundaries)",
         "bool"),
        ("border_km", "length of land border assigned to the regency (pieces of border go to the nearest regency)", "km"),
        ("dist_border_km", "shortest ellipsoidal distance from the polygon to the land border (0 on the border)", "km"),
        ("dist_border_centroid_km", "shortest ellipsoidal distance from the centroid to the land border", "km"),
        ("n_neighbours", "number of queen-contiguity neighbours (touching or within 50 m)", "count"),
        ("n_parts", "number of polygons (islands included)", "count"),
        ("geometry_repair", "how an invalid source geometry was repaired ('make_valid: <reason>'), empty if none", "text"),
        ("dist_<post>_km", "from load_geography only: centroid to border post (registry_border_posts.csv)", "km"),
    ],
    "geography_neighbours.csv (si.load_neighbours)": [
        ("bps_code, neighbour_code", "an ordered pair of neighbours (each pair listed in both directions)", "code"),
        ("gap_km", "distance between the two polygons (0 when they touch; at most 0.05)", "km"),
        ("shared_km", "length of common boundary (equal-area plane, ±2 %; includes up to 0.1 km of tolerance)", "km"),
        ("contact", "'edge' or 'point' (shared length under 0.15 km)", "text"),
    ],
    "geography_post_distances.csv (load_post_distances)": [
        ("dist_centroid_km", "ellipsoidal distance, regency centroid to post", "km"),
        ("dist_polygon_km", "ellipsoidal distance, regency polygon to post (0 when the post lies in it)", "km"),
    ],
    "cross_border_pairs.csv (load_cross_border_pairs)": [
        ("bps_code, state, district", "Kalimantan regency and the Sarawak/Sabah district (DOSM name) facing it", "code/text"),
        ("shared_border_km", "length of land border between the two (the pairs add up to the whole border)", "km"),
    ],
    "mys_hies_districts.csv (load_mys_hies; Sarawak and Sabah, HIES 2019, 2022, 2024)": [
        ("income_mean, income_median", "gross household income, DOSM HIES, current prices", "RM per household per month"),
        ("poverty_absolute, poverty_relative", "households below Malaysia's absolute / relative poverty line",
         "% of households"),
        ("flag", "'no_source_row' for a year the source does not have (value empty, never filled)", "text"),
    ],
}


def geography_dictionary_section() -> str:
    """Markdown section of ``DATA_DICTIONARY.md`` describing the geography tables of ``data/raw``."""
    out = ["## Geography tables (data/raw, made by `sosek-impact extract`; method in docs/data_sources.md)\n"]
    for table_name, rows in GEOGRAPHY_DICTIONARY.items():
        out.append(f"\n### {table_name}\n\n| column | meaning | unit |\n|---|---|---|\n")
        out.extend(f"| {c} | {m} | {u} |\n" for c, m, u in rows)
    return "".join(out)
