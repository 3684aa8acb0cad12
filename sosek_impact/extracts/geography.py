"""Regency geography from the 514 real district polygons: area, centroid, repairs and neighbours.

Maintainer step only (``sosek-impact extract``): it needs ``shapely`` (the ``geo`` extra). The package
and ``reproduce`` read the tidy results (:mod:`sosek_impact.geography`) without it.

- Geometries that are invalid (self-intersecting rings, nested shells) are repaired with
  ``shapely.make_valid`` keeping the polygonal parts; each repair is recorded (``geometry_repair``
  names GEOS's reason). A geometry that is missing, empty or still invalid after repair raises
  :class:`~sosek_impact.errors.SchemaError` naming file, row and column.
- Codes: the district name within its province is resolved by the harmoniser (the Papua features
  carry the pre-2022 codes 91xx/94xx; they get today's 92xx/95xx), see
  :func:`sosek_impact.extracts.geo.resolve_feature_codes`; an unknown name raises.
- Area: on the WGS84 ellipsoid, through the cylindrical equal-area projection
  (:func:`sosek_impact.extracts.geodesy.to_equal_area`); km².
- Centroid: the area centroid in equal-area coordinates, mapped back to longitude/latitude.
- Neighbours (queen contiguity): two regencies are neighbours when their polygons touch at an edge
  or a point, or lie within :data:`NEIGHBOUR_TOLERANCE_KM` of each other (slivers and gaps between
  polygons that should touch). Distances for the test are measured in the equal-area plane (scale
  error < 2 % within Indonesia's latitudes, irrelevant at 50 m).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..harmonise.registry import RegionRegistry
from .geo import feature_rows, resolve_feature_codes
from .geodesy import from_equal_area, to_equal_area

__all__ = ["NEIGHBOUR_TOLERANCE_KM", "POINT_CONTACT_KM", "Districts", "read_districts", "repair", "regency_table",
           "neighbour_table", "equal_area"]

#: Polygons closer than this (km) are neighbours: the largest real sliver between polygons that should
#: touch in the source is 0.1 m (Mappi-Yahukimo); the nearest pair that does not border is 123 m apart
#: (Maluku Tenggara-Kota Tual, across a strait).
NEIGHBOUR_TOLERANCE_KM = 0.05
#: Neighbours sharing less than this length of boundary (km) touch at a point (``contact = "point"``): a
#: corner contact measures up to 2 x the tolerance (the two edges that meet at the corner).
POINT_CONTACT_KM = 3 * NEIGHBOUR_TOLERANCE_KM


@dataclass
class Districts:
    """District polygons in longitude/latitude with their codes and provenance (one row per district)."""

    table: pd.DataFrame  # bps_code, code_published, name_published, source_id, source_row, geometry_repair
    geoms: list  # shapely (Multi)Polygons, lon/lat, in the order of ``table``


def _import_shapely():
    try:
        import shapely
    except ImportError as exc:  # pragma: no cover - the maintainer extra
        raise ImportError("the geography extract needs shapely: pip install 'sosek_impact[geo]'") from exc
    return shapely


def repair(geometry: dict | None, *, file: str | Path, row: int | None):
    """A valid shapely (Multi)Polygon of a GeoJSON geometry, and the repair made (``""`` if none).

    Raises
    ------
    SchemaError
        If the geometry is missing, not polygonal, empty, or not valid even after ``make_valid``.
    """
    shapely = _import_shapely()
    from shapely.geometry import shape

    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise SchemaError("feature has no Polygon/MultiPolygon geometry", file=str(file), row=row, column="geometry",
                          value=None if not geometry else geometry.get("type"))
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise SchemaError(f"geometry cannot be read: {exc}", file=str(file), row=row, column="geometry") from exc
    if geom.is_empty:
        raise SchemaError("geometry is empty", file=str(file), row=row, column="geometry")
    if geom.is_valid:
        return geom, ""
    reason = shapely.is_valid_reason(geom).split("[")[0].strip()
    fixed = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    fixed = shapely.union_all(parts) if parts else None
    if fixed is None or fixed.is_empty or not fixed.is_valid or fixed.area <= 0:
        raise SchemaError(f"invalid geometry ({reason}) could not be repaired into a polygon", file=str(file), row=row,
                          column="geometry")
    return fixed, f"make_valid: {reason}"


def read_districts(files: list[tuple[str, Path]], registry: RegionRegistry) -> Districts:
    """Read QuaRCS district GeoJSON files (``[(source_id, path), ...]``), repair and resolve codes.

    Raises
    ------
    SchemaError
        On an unrepairable geometry, a published code that is today another regency's code, or two
        features of the same regency.
    UnknownRegionError
        On a district name the registry does not know.
    """
    rows, geoms = [], []
    for source_id, path in files:
        text = Path(path).read_text(encoding="utf-8-sig")
        try:
            features = json.loads(text).get("features", [])
        except ValueError as exc:
            raise SchemaError(f"not a GeoJSON file: {exc}", file=str(path)) from exc
        starts = feature_rows(text, len(features))
        for i, feat in enumerate(features):
            for col in ("district", "provinceID", "districtID"):
                if (feat.get("properties") or {}).get(col) in (None, ""):
                    raise SchemaError("feature property is missing", file=str(path), row=starts[i], column=col)
        codes = resolve_feature_codes(features, registry, Path(path), starts)
        for feat, (code, published), row in zip(features, codes, starts):
            geom, how = repair(feat.get("geometry"), file=path, row=row)
            rows.append({"bps_code": code, "code_published": published, "name_published": feat["properties"]["district"],
                         "source_id": source_id, "source_row": row, "geometry_repair": how})
            geoms.append(geom)
    table = pd.DataFrame(rows)
    dup = table["bps_code"].duplicated(keep=False)
    if dup.any():
        first = table[dup].iloc[0]
        raise SchemaError("two district features resolve to the same regency", file=first["source_id"],
                          row=first["source_row"], column="district", value=int(first["bps_code"]))
    order = np.argsort(table["bps_code"].to_numpy(), kind="stable")
    return Districts(table.iloc[order].reset_index(drop=True), [geoms[i] for i in order])


def equal_area(geom):
    """``geom`` (lon/lat) in cylindrical equal-area coordinates (km)."""
    shapely = _import_shapely()

    def fn(c):
        x, y = to_equal_area(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def regency_table(districts: Districts, registry: RegionRegistry) -> pd.DataFrame:
    """Per regency: code, name, province, area (km²), centroid, provenance and repairs."""
    rows = []
    for rec, geom in zip(districts.table.itertuples(index=False), districts.geoms):
        ea = equal_area(geom)
        c = ea.centroid
        lon, lat = from_equal_area(np.array(c.x), np.array(c.y))
        reg = registry.regency(rec.bps_code)
        rows.append({
            "bps_code": rec.bps_code, "name": reg.name, "province_code": reg.province_code,
            "area_km2": round(float(ea.area), 1), "centroid_lon": round(float(lon), 5), "centroid_lat": round(float(lat), 5),
            "n_parts": len(getattr(geom, "geoms", [geom])), "geometry_repair": rec.geometry_repair,
            "code_published": rec.code_published, "source_id": rec.source_id, "source_row": rec.source_row,
        })
    return pd.DataFrame(rows)


def neighbour_table(districts: Districts, tolerance_km: float = NEIGHBOUR_TOLERANCE_KM) -> pd.DataFrame:
    """Queen-contiguity edge list, both directions: ``bps_code, neighbour_code, gap_km, shared_km, contact``.

    ``gap_km`` is the distance between the two polygons (0 when they touch or overlap), ``shared_km`` the
    length of common boundary (measured in the equal-area plane, within 2 % at Indonesia's latitudes; it
    includes up to 2 x the tolerance where the boundary leaves the neighbour), that is the
    length of the lower-coded regency's boundary lying within the tolerance of the other (the same number in both
    directions), ``contact`` is
    ``"edge"`` or ``"point"`` (shared length below :data:`POINT_CONTACT_KM`).
    """
    shapely = _import_shapely()
    codes = districts.table["bps_code"].to_numpy()
    ea = [equal_area(g) for g in districts.geoms]
    tree = shapely.STRtree(ea)
    left, right = tree.query(ea, predicate="dwithin", distance=tolerance_km)
    rows = []
    boundaries = [g.boundary for g in ea]
    for a, b in zip(left, right):
        if a >= b:  # each pair once, then both directions with the same numbers
            continue
        gap = round(float(ea[a].distance(ea[b])), 3)
        shared = round(float(boundaries[a].intersection(ea[b].buffer(tolerance_km, quad_segs=4)).length), 2)
        contact = "edge" if shared >= POINT_CONTACT_KM else "point"
        for x, y in ((a, b), (b, a)):
            rows.append({"bps_code": int(codes[x]), "neighbour_code": int(codes[y]), "gap_km": gap, "shared_km": shared,
                         "contact": contact})
    out = pd.DataFrame(rows, columns=["bps_code", "neighbour_code", "gap_km", "shared_km", "contact"])
    return out.sort_values(["bps_code", "neighbour_code"], kind="stable").reset_index(drop=True)
