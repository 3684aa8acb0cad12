"""The Indonesia–Malaysia land border on Borneo, distances to it and to the border posts, cross-border pairs.

Maintainer step (needs ``shapely``). Method:

1. The Malaysian districts of Borneo are the geoBoundaries MYS ADM2 features whose representative
   point lies east of 109° E (Sarawak, Sabah, Labuan); each is matched to its DOSM name and state
   through ``mys_district_names.csv`` (an unmatched name raises
   :class:`~sosek_impact.errors.UnknownRegionError`). Only Sarawak and Sabah form the border.
2. The two sources' lines do not coincide (gaps and overlaps of a few hundred metres). The border is
   the part of the outline of Indonesian Kalimantan (union of its regency polygons) lying within
   :data:`BORDER_TOLERANCE_KM` of the union of the Sarawak and Sabah polygons; geometry is done on a
   plate carrée in km scaled at :data:`BORDER_LAT0` (scale error < 0.5 % between 0.8° and 4.4° N, where
   the border runs). Near the two coastal ends (Tanjung Datu, Sebatik) up to that tolerance of coast is
   included.
3. Distances are ellipsoidal (:func:`sosek_impact.extracts.geodesy.geodesic_km`) between a point and
   the nearest point of the target found in the local plane; the local plane may pick a slightly
   wrong nearest point for far regencies, which changes the distance only to second order.
4. Cross-border pairs: the border is cut into pieces of at most :data:`PIECE_KM`; each piece is
   assigned to the nearest Indonesian regency and the nearest Malaysian district; the pair's shared
   length is the geodesic length of its pieces (pair lengths add up to the border's length).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SchemaError, UnknownRegionError
from .geodesy import geodesic_km, local_km, local_lonlat
from .geography import Districts, _import_shapely

__all__ = ["BORDER_TOLERANCE_KM", "BORDER_LAT0", "PIECE_KM", "KALIMANTAN", "BORNEO_MIN_LON", "malaysian_districts",
           "border_line", "line_length_km", "border_distances", "post_distances", "cross_border_pairs", "to_local",
           "to_lonlat"]

BORDER_TOLERANCE_KM = 3.0
BORDER_LAT0 = 2.5
PIECE_KM = 0.5
KALIMANTAN = (61, 62, 63, 64, 65)
BORNEO_MIN_LON = 109.0
BORDER_STATES = ("Sarawak", "Sabah")


def to_local(geom, lat0: float = BORDER_LAT0):
    """A lon/lat shapely geometry in the local plate carrée (km)."""
    shapely = _import_shapely()
    return shapely.transform(geom, lambda c: np.column_stack(local_km(c[:, 0], c[:, 1], lat0)))


def to_lonlat(geom, lat0: float = BORDER_LAT0):
    """Inverse of :func:`to_local`."""
    shapely = _import_shapely()
    return shapely.transform(geom, lambda c: np.column_stack(local_lonlat(c[:, 0], c[:, 1], lat0)))


def malaysian_districts(features: list[dict], crosswalk: pd.DataFrame, *, file: str) -> Districts:
    """The Borneo features of the MYS ADM2 file with their DOSM ``state`` and ``district`` names.

    ``crosswalk`` has columns ``source, name_source, state, district``; rows with
    ``source == "geoboundaries"`` match the ``shapeName`` of the polygons.
    """
    from .geography import repair

    shapely = _import_shapely()
    gb = crosswalk[crosswalk["source"] == "geoboundaries"].set_index("name_source")
    rows, geoms, missing = [], [], {}
    for i, feat in enumerate(features, start=1):
        name = (feat.get("properties") or {}).get("shapeName")
        if not name:
            raise SchemaError("feature has no shapeName", file=file, row=i, column="shapeName")
        geom, how = repair(feat.get("geometry"), file=file, row=i)
        if shapely.get_x(geom.representative_point()) < BORNEO_MIN_LON:
            continue  # Peninsular Malaysia
        if name not in gb.index:
            missing[name] = [n for n in gb.index if n[:3].lower() == name[:3].lower()][:3]
            continue
        rows.append({"shape_name": name, "state": gb.at[name, "state"], "district": gb.at[name, "district"],
                     "source_row": i, "geometry_repair": how})
        geoms.append(geom)
    if missing:
        raise UnknownRegionError("Malaysian district names not in the crosswalk", offenders=missing, file=file,
                                 column="shapeName")
    return Districts(pd.DataFrame(rows), geoms)


def line_length_km(line, lat0: float = BORDER_LAT0) -> float:
    """Geodesic length (km) of a (Multi)LineString given in local plate-carrée coordinates."""
    shapely = _import_shapely()
    total = 0.0
    for part in shapely.get_parts(line):
        if part.is_empty or part.geom_type not in ("LineString", "LinearRing"):
            continue
        lon, lat = local_lonlat(*np.asarray(part.coords)[:, :2].T, lat0)
        total += float(np.sum(geodesic_km(lon[:-1], lat[:-1], lon[1:], lat[1:])))
    return total


def border_line(idn: Districts, mys: Districts, tolerance_km: float = BORDER_TOLERANCE_KM):
    """The land border (local plate carrée, km): Kalimantan's outline within ``tolerance_km`` of Sarawak/Sabah."""
    shapely = _import_shapely()
    kal = [to_local(g) for c, g in zip(idn.table["bps_code"], idn.geoms) if c // 100 in KALIMANTAN]
    mal = [to_local(g) for s, g in zip(mys.table["state"], mys.geoms) if s in BORDER_STATES]
    if not kal or not mal:
        raise SchemaError("no Kalimantan regency or no Sarawak/Sabah district to draw the border from")
    outline = shapely.union_all(kal).boundary
    near = shapely.union_all(mal).buffer(tolerance_km, quad_segs=8)
    found = outline.intersection(near)
    lines = [g for g in shapely.get_parts(found) if g.geom_type in ("LineString", "MultiLineString") and not g.is_empty]
    if not lines:
        raise SchemaError(f"no stretch of Kalimantan's outline lies within {tolerance_km} km of a Sarawak/Sabah district: "
                          "no land border can be drawn (wrong polygons, or coordinates not in lon/lat?)")
    return shapely.line_merge(shapely.union_all(lines))


def _nearest_km(lon: float, lat: float, target_local) -> float:
    """Geodesic distance (km) from a point to the nearest point of a local-plane geometry."""
    shapely = _import_shapely()
    from shapely.geometry import Point

    p = Point(*local_km(lon, lat, BORDER_LAT0))
    if target_local.geom_type in ("Polygon", "MultiPolygon") and target_local.covers(p):
        return 0.0
    q = shapely.shortest_line(p, target_local).coords[-1]
    qlon, qlat = local_lonlat(q[0], q[1], BORDER_LAT0)
    return float(geodesic_km(lon, lat, qlon, qlat))


def _polygon_to_line_km(geom_local, line_local) -> float:
    shapely = _import_shapely()
    if geom_local.intersects(line_local):
        return 0.0
    a, b = np.asarray(shapely.shortest_line(geom_local, line_local).coords)
    alon, alat = local_lonlat(a[0], a[1], BORDER_LAT0)
    blon, blat = local_lonlat(b[0], b[1], BORDER_LAT0)
    return float(geodesic_km(alon, alat, blon, blat))


def border_distances(idn: Districts, regencies: pd.DataFrame, line, pairs: pd.DataFrame,
                     min_shared_km: float = 1.0) -> pd.DataFrame:
    """Per regency: ``land_border``, ``border_km``, ``dist_border_km``, ``dist_border_centroid_km``.

    ``border_km`` is the length of border assigned to the regency in ``pairs`` (see
    :func:`cross_border_pairs`: each piece of border goes to its nearest regency, so the lengths add up
    to the border's); ``land_border`` holds when it is at least ``min_shared_km`` (a corner contact is
    not a border). ``dist_border_km`` is measured from the polygon (0 when it meets the line),
    ``dist_border_centroid_km`` from the centroid.
    """
    cen = regencies.set_index("bps_code")[["centroid_lon", "centroid_lat"]]
    along = pairs.groupby("bps_code")["shared_border_km"].sum()
    rows = []
    for code, geom in zip(idn.table["bps_code"], idn.geoms):
        loc = to_local(geom)
        length = float(along.get(int(code), 0.0))
        lon, lat = cen.loc[code]
        rows.append({"bps_code": int(code), "land_border": bool(length >= min_shared_km),
                     "border_km": round(length, 1), "dist_border_km": round(_polygon_to_line_km(loc, line), 1),
                     "dist_border_centroid_km": round(_nearest_km(lon, lat, line), 1)})
    return pd.DataFrame(rows)


def post_distances(idn: Districts, regencies: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    """Long table: ``bps_code, post_id, dist_centroid_km, dist_polygon_km`` (0 when the post lies in the regency)."""
    from shapely.geometry import Point

    cen = regencies.set_index("bps_code")[["centroid_lon", "centroid_lat"]]
    rows = []
    for code, geom in zip(idn.table["bps_code"], idn.geoms):
        loc = to_local(geom)
        lon, lat = cen.loc[code]
        for post in posts.itertuples(index=False):
            p_local = Point(*local_km(post.lon, post.lat, BORDER_LAT0))
            rows.append({"bps_code": int(code), "post_id": post.post_id,
                         "dist_centroid_km": round(float(geodesic_km(lon, lat, post.lon, post.lat)), 1),
                         "dist_polygon_km": round(_nearest_km(post.lon, post.lat, loc), 1) if not loc.covers(p_local) else 0.0})
    return pd.DataFrame(rows)


def cross_border_pairs(idn: Districts, mys: Districts, line, piece_km: float = PIECE_KM) -> pd.DataFrame:
    """Indonesian regency ↔ Malaysian district pairs along the border with their shared length (km)."""
    shapely = _import_shapely()
    kal = [(int(c), to_local(g)) for c, g in zip(idn.table["bps_code"], idn.geoms) if c // 100 in KALIMANTAN]
    mal = [(r, to_local(g)) for r, g in zip(mys.table.itertuples(index=False), mys.geoms) if r.state in BORDER_STATES]
    kal_tree = shapely.STRtree([g for _, g in kal])
    mal_tree = shapely.STRtree([g for _, g in mal])
    pieces = []
    for part in shapely.get_parts(shapely.segmentize(line, piece_km)):
        xy = np.asarray(part.coords)
        for a, b in zip(xy[:-1], xy[1:]):
            pieces.append((a, b))
    if not pieces:
        return pd.DataFrame(columns=["bps_code", "state", "district", "shape_name", "shared_border_km"])
    a = np.array([p[0] for p in pieces])
    b = np.array([p[1] for p in pieces])
    mids = shapely.points((a + b) / 2)
    ki = kal_tree.query_nearest(mids, return_distance=False, all_matches=False)[1]
    mi = mal_tree.query_nearest(mids, return_distance=False, all_matches=False)[1]
    alon, alat = local_lonlat(a[:, 0], a[:, 1], BORDER_LAT0)
    blon, blat = local_lonlat(b[:, 0], b[:, 1], BORDER_LAT0)
    lengths = geodesic_km(alon, alat, blon, blat)
    df = pd.DataFrame({"bps_code": [kal[i][0] for i in ki], "mys": mi, "km": lengths})
    agg = df.groupby(["bps_code", "mys"], as_index=False)["km"].sum()
    out = pd.DataFrame({
        "bps_code": agg["bps_code"].astype(int),
        "state": [mal[i][0].state for i in agg["mys"]],
        "district": [mal[i][0].district for i in agg["mys"]],
        "shape_name": [mal[i][0].shape_name for i in agg["mys"]],
        "shared_border_km": agg["km"].round(1),
    })
    return out.sort_values(["bps_code", "state", "district"], kind="stable").reset_index(drop=True)
