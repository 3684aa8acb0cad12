"""``district_map.geojson``: the 514 district polygons, re-serialised deterministically.

Each feature keeps its geometry (coordinates as published) and gets the properties
``bps_code, name, province_code, source_id, source_row, code_published`` (``source_row``:
1-based line of the feature in the source file). ``bps_code`` is the code of the district name
and province resolved by the harmoniser: the map carries the pre-2022 Papua codes (e.g. Merauke
9401, today 9501), kept as ``code_published``; a published code that is today another
regency's code raises. Features are sorted by code, keys sorted, compact
separators, LF.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SchemaError
from ..harmonise.registry import RegionRegistry
from .sources import source_path


def feature_rows(text: str, n_features: int) -> list[int | None]:
    """1-based line of each feature in a GeoJSON text written one feature per line (else ``None``s)."""
    lines = text.split("\n")
    starts = [i + 1 for i, line in enumerate(lines) if '"type": "Feature"' in line]
    return starts if len(starts) == n_features else [None] * n_features


def resolve_feature_codes(features: list[dict], registry: RegionRegistry, path: Path,
                          rows: list[int | None]) -> list[tuple[int, int]]:
    """``(bps_code, code_published)`` of each QuaRCS district feature.

    The code is the one of the district name within its province, resolved by the harmoniser (so
    the pre-2022 Papua codes 91xx/94xx of the maps become today's 92xx/95xx); a published code that
    is today another regency's code raises :class:`SchemaError`, an unknown name
    :class:`~sosek_impact.errors.UnknownRegionError`.
    """
    names = [f["properties"]["district"] for f in features]
    provs = [f["properties"]["provinceID"] for f in features]
    published = [int(f["properties"]["districtID"]) for f in features]
    codes = registry.resolve_regencies(names, provs, file=path, column="district")
    out = []
    for code, pub, row in zip(codes, published, rows):
        if int(code) != pub and pub in registry._by_code:
            # a published code that is today another regency's code: a real disagreement
            raise SchemaError("map feature code is another regency's code", file=path, row=row, column="districtID", value=pub)
        out.append((int(code), pub))
    return out


def district_map(shared: Path, registry: RegionRegistry) -> str:
    """The GeoJSON text of ``data/raw/district_map.geojson``."""
    path = source_path(shared, "idn514_map")
    text = path.read_text(encoding="utf-8-sig")
    data = json.loads(text)
    features = data.get("features", [])
    starts = feature_rows(text, len(features))
    resolved = resolve_feature_codes(features, registry, path, starts)
    out = []
    for feat, (code, pub), row in zip(features, resolved, starts):
        reg = registry.regency(int(code))
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "bps_code": int(code),
                    "name": reg.name,
                    "province_code": reg.province_code,
                    "source_id": "idn514_map",
                    "source_row": row,
                    "code_published": pub,
                },
                "geometry": feat["geometry"],
            }
        )
    if len({f["properties"]["bps_code"] for f in out}) != len(out):
        raise SchemaError("two map features share a code", file=path)
    out.sort(key=lambda f: f["properties"]["bps_code"])
    collection = {"type": "FeatureCollection", "crs": data.get("crs"), "features": out}
    body = ",\n".join(json.dumps(f, sort_keys=True, separators=(",", ":")) for f in out)
    head = json.dumps({k: v for k, v in collection.items() if k != "features"}, sort_keys=True, separators=(",", ":"))
    return head[:-1] + ',"features":[\n' + body + "\n]}\n"
