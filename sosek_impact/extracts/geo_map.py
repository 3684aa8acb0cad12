"""``kalimantan_map.geojson``: simplified polygons of Kalimantan's regencies and the Sarawak/Sabah districts.

For drawing only (``analysis/map.py`` reads it with the standard library and matplotlib). Each of
the two coverages (the 56 Kalimantan regencies; the Borneo districts of Malaysia) is simplified with
``shapely.coverage_simplify`` — a topology-preserving simplification of the shared edges, so that
neighbours keep a common boundary — at :data:`SIMPLIFY_TOLERANCE_DEG`. Coordinates are rounded to
:data:`DECIMALS` decimals (about 11 m). The file also holds the border line (``layer = "border"``) and
the border posts (``layer = "post"``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..harmonise.registry import RegionRegistry
from .geo_border import KALIMANTAN, to_lonlat
from .geography import Districts, _import_shapely

__all__ = ["SIMPLIFY_TOLERANCE_DEG", "DECIMALS", "map_geojson"]

SIMPLIFY_TOLERANCE_DEG = 0.01
DECIMALS = 4


def _rounded(geom) -> dict:
    shapely = _import_shapely()
    geom = shapely.set_precision(geom, 10.0 ** -DECIMALS)
    return json.loads(shapely.to_geojson(geom))


def map_geojson(idn: Districts, mys: Districts, registry: RegionRegistry, line, posts: pd.DataFrame) -> str:
    """The GeoJSON text: one feature per regency / district / border line / post, deterministic order."""
    shapely = _import_shapely()
    kal = [(int(c), g) for c, g in zip(idn.table["bps_code"], idn.geoms) if c // 100 in KALIMANTAN]
    simple = shapely.coverage_simplify(np.array([g for _, g in kal], dtype=object), SIMPLIFY_TOLERANCE_DEG)
    features = []
    for (code, _), geom in zip(kal, simple):
        reg = registry.regency(code)
        features.append({"type": "Feature", "properties": {"layer": "idn_regency", "bps_code": code, "name": reg.name,
                                                           "province_code": reg.province_code},
                         "geometry": _rounded(geom)})
    msimple = shapely.coverage_simplify(np.array(mys.geoms, dtype=object), SIMPLIFY_TOLERANCE_DEG)
    order = sorted(range(len(mys.geoms)), key=lambda i: (mys.table["state"].iloc[i], mys.table["district"].iloc[i]))
    for i in order:
        r = mys.table.iloc[i]
        features.append({"type": "Feature", "properties": {"layer": "mys_district", "state": r["state"],
                                                           "district": r["district"], "shape_name": r["shape_name"]},
                         "geometry": _rounded(msimple[i])})
    border = shapely.simplify(to_lonlat(line), SIMPLIFY_TOLERANCE_DEG / 2)
    features.append({"type": "Feature", "properties": {"layer": "border"}, "geometry": _rounded(border)})
    for p in posts.itertuples(index=False):
        features.append({"type": "Feature", "properties": {"layer": "post", "post_id": p.post_id, "name": p.name,
                                                           "kind": p.kind, "bps_code": int(p.bps_code),
                                                           "confidence": p.confidence},
                         "geometry": {"type": "Point", "coordinates": [round(float(p.lon), DECIMALS),
                                                                       round(float(p.lat), DECIMALS)]}})
    head = '{"crs":{"properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"},"type":"name"},"type":"FeatureCollection"'
    body = ",\n".join(json.dumps(f, sort_keys=True, separators=(",", ":")) for f in features)
    return head + ',"features":[\n' + body + "\n]}\n"
