"""The geography extracts of ``data/raw`` (maintainer step, needs ``shapely``): one entry point for ``extract``.

:func:`geography_tables` returns, by file name under ``data/raw``:

- ``geography_regencies.csv``: per regency (514): area, centroid, repairs, land border, distances;
- ``geography_neighbours.csv``: queen-contiguity edge list (both directions);
- ``cross_border_pairs.csv``: Kalimantan regency ↔ Sarawak/Sabah district, shared border length;
- ``geography_post_distances.csv``: distance of every regency to every Kalimantan border post;
- ``registry_border_posts.csv``: the post coordinates with sources and confidence;
- ``kalimantan_map.geojson``: simplified polygons of Kalimantan and Sarawak/Sabah for the map;
- ``mys_hies_districts.csv``: HIES household income and poverty of the Sarawak/Sabah districts
  (:mod:`sosek_impact.extracts.mys_hies`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..harmonise.registry import RegionRegistry
from ._csvlines import read_csv_lines
from .sources import source_path

__all__ = ["geography_tables", "PACKAGE_DIR", "read_posts", "mys_crosswalk"]

PACKAGE_DIR = Path(__file__).resolve().parent
POST_COLUMNS = ["post_id", "name", "kind", "bps_code", "kecamatan", "lon", "lat", "source", "note", "confidence"]


def mys_crosswalk(path: Path | None = None) -> pd.DataFrame:
    """The Malaysian district-name crosswalk (``mys_district_names.csv``)."""
    return pd.read_csv(path or PACKAGE_DIR / "mys_district_names.csv", dtype=str, keep_default_na=False)


def read_posts(path: Path | None = None) -> pd.DataFrame:
    """The border-post table (``border_posts.csv``) with ``source_id``/``source_row``; numbers checked.

    Raises
    ------
    SchemaError
        A missing column, or a longitude/latitude that is not a number in Kalimantan's box.
    """
    from ..errors import SchemaError

    path = path or PACKAGE_DIR / "border_posts.csv"
    df = read_csv_lines(path)
    missing = [c for c in POST_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaError(f"border-post table lacks column(s) {missing}", file=str(path), row=1, column=missing[0])
    for col, lo, hi in (("lon", 108.0, 120.0), ("lat", -5.0, 7.5)):
        num = pd.to_numeric(df[col], errors="coerce")
        bad = num.isna() | (num < lo) | (num > hi)
        if bad.any():
            i = int(bad.idxmax())
            raise SchemaError(f"{col} must be a number between {lo} and {hi}", file=str(path), row=int(df.at[i, "source_row"]),
                              column=col, value=df.at[i, col])
    rows = df.pop("source_row")
    df["source_id"] = "border_posts"
    df["source_row"] = rows
    return df


def geography_tables(shared: Path, registry: RegionRegistry) -> dict[str, object]:
    """Every geography extract, by file name (CSV tables as DataFrames, GeoJSON as text)."""
    from .geo_border import border_distances, border_line, cross_border_pairs, malaysian_districts, post_distances
    from .geo_map import map_geojson
    from .geography import neighbour_table, read_districts, regency_table
    from .mys_hies import mys_hies_districts

    idn = read_districts([(sid, source_path(shared, sid)) for sid in ("quarcs_polygons_west", "quarcs_polygons_east")],
                         registry)
    regencies = regency_table(idn, registry)
    mys_path = source_path(shared, "mys_adm2")
    mys = malaysian_districts(json.loads(mys_path.read_text(encoding="utf-8-sig"))["features"], mys_crosswalk(),
                              file=str(mys_path))
    line = border_line(idn, mys)
    neighbours = neighbour_table(idn)
    posts = read_posts()
    pnum = posts.astype({"lon": float, "lat": float})
    pairs = cross_border_pairs(idn, mys, line)
    border = border_distances(idn, regencies, line, pairs)
    table = regencies.merge(border, on="bps_code", how="left", validate="one_to_one")
    table.insert(table.columns.get_loc("n_parts"), "n_neighbours",
                 table["bps_code"].map(neighbours.groupby("bps_code").size()).fillna(0).astype(int))
    order = ["bps_code", "name", "province_code", "area_km2", "centroid_lon", "centroid_lat", "land_border", "border_km",
             "dist_border_km", "dist_border_centroid_km", "n_neighbours", "n_parts", "geometry_repair", "code_published",
             "source_id", "source_row"]
    return {
        "geography_regencies.csv": table[order],
        "geography_neighbours.csv": neighbours,
        "cross_border_pairs.csv": pairs,
        "geography_post_distances.csv": post_distances(idn, regencies, pnum),
        "registry_border_posts.csv": posts,
        "kalimantan_map.geojson": map_geojson(idn, mys, registry, line, pnum),
        "mys_hies_districts.csv": mys_hies_districts(shared, mys_crosswalk()),
    }
