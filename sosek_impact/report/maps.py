"""Choropleth maps of regencies from a GeoJSON file, drawn with matplotlib only.

Polygons are drawn with :class:`matplotlib.collections.PolyCollection`, so no GIS stack
(geopandas, shapely) is needed. Coordinates are taken as given (longitude, latitude).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["RegionShape", "MapLayers", "read_regions", "read_map_layers", "plot_regions", "add_scale_bar"]


@dataclass(frozen=True)
class RegionShape:
    """The rings of one region: ``key`` (e.g. a BPS code), ``name`` and outer rings (lon, lat)."""

    key: int
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]

    @property
    def centroid(self) -> tuple[float, float]:
        """Mean of the vertices of the largest ring (good enough to place a marker)."""
        ring = max(self.rings, key=len)
        xs = [p[0] for p in ring]
        ys = [p[1] for p in ring]
        return sum(xs) / len(xs), sum(ys) / len(ys)


def read_regions(path: str | Path, key: str = "bps_code", name: str = "name") -> list[RegionShape]:
    """Read Polygon / MultiPolygon features of a GeoJSON file (outer rings only).

    Raises
    ------
    InputError
        If the file is not GeoJSON or a feature lacks the ``key`` property.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"not a JSON file: {exc}", file=str(path)) from exc
    regions = []
    for i, feat in enumerate(data.get("features", []), 1):
        props = feat.get("properties") or {}
        if key not in props:
            raise InputError(f"feature has no property {key!r}", file=str(path), row=i, column=key)
        geom = feat.get("geometry") or {}
        if geom.get("type") == "Polygon":
            polys = [geom["coordinates"]]
        elif geom.get("type") == "MultiPolygon":
            polys = geom["coordinates"]
        else:
            continue
        rings = tuple(tuple((float(x), float(y)) for x, y, *_ in poly[0]) for poly in polys if poly)
        regions.append(RegionShape(int(props[key]), str(props.get(name, "")), rings))
    return regions


def plot_regions(
    ax: Any,
    regions: Iterable[RegionShape],
    values: Mapping[int, float] | None = None,
    *,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    highlight: Iterable[int] = (),
    missing_color: str = "0.88",
    edgecolor: str = "white",
    linewidth: float = 0.2,
    highlight_color: str = "crimson",
) -> Any:
    """Draw regions on ``ax``, coloured by ``values`` (key -> number), outlining ``highlight``.

    Regions without a value are grey. Returns the ScalarMappable (for a colour bar) or ``None``.
    """
    import matplotlib as mpl
    from matplotlib.collections import PolyCollection

    regions = list(regions)
    highlight = set(highlight)
    polys, colors = [], []
    norm = None
    cm = mpl.colormaps[cmap]
    if values:
        finite = [v for v in values.values() if v == v]
        lo = min(finite) if vmin is None else vmin
        hi = max(finite) if vmax is None else vmax
        norm = mpl.colors.Normalize(lo, hi)
    for reg in regions:
        value = values.get(reg.key) if values else None
        color = cm(norm(value)) if norm is not None and value is not None and value == value else missing_color
        for ring in reg.rings:
            polys.append(ring)
            colors.append(color)
    ax.add_collection(PolyCollection(polys, facecolors=colors, edgecolors=edgecolor, linewidths=linewidth))
    hl = [ring for reg in regions if reg.key in highlight for ring in reg.rings]
    if hl:
        ax.add_collection(PolyCollection(hl, facecolors="none", edgecolors=highlight_color, linewidths=1.2))
    ax.autoscale_view()
    ax.set_aspect("equal")
    if norm is None:
        return None
    return mpl.cm.ScalarMappable(norm=norm, cmap=cm)


@dataclass(frozen=True)
class MapLayers:
    """The layers of a layered map file (``data/raw/kalimantan_map.geojson``).

    ``regencies``: Indonesian regencies (key = BPS code); ``districts``: Malaysian districts (key = 0, 1, …
    in file order; ``name`` = DOSM district name, ``state`` in :attr:`states`); ``border``: the land
    border as lists of (lon, lat) points; ``posts``: dicts with ``post_id, name, kind, bps_code,
    confidence, lon, lat``.
    """

    regencies: tuple[RegionShape, ...]
    districts: tuple[RegionShape, ...]
    states: tuple[str, ...]
    border: tuple[tuple[tuple[float, float], ...], ...]
    posts: tuple[dict, ...]


def _outer_rings(geom: dict) -> tuple[tuple[tuple[float, float], ...], ...]:
    if geom.get("type") == "Polygon":
        polys = [geom["coordinates"]]
    elif geom.get("type") == "MultiPolygon":
        polys = geom["coordinates"]
    else:
        return ()
    return tuple(tuple((float(x), float(y)) for x, y, *_ in poly[0]) for poly in polys if poly)


def read_map_layers(path: str | Path) -> MapLayers:
    """Read a layered map GeoJSON (features with a ``layer`` property) with the standard library.

    Raises
    ------
    InputError
        If the file is not JSON, a feature has no known ``layer``, or the file has no regency.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the map: {exc}", file=str(path)) from exc
    regencies, districts, states, border, posts = [], [], [], [], []
    for i, feat in enumerate(data.get("features", []), 1):
        props = feat.get("properties") or {}
        geom = feat.get("geometry") or {}
        layer = props.get("layer")
        if layer == "idn_regency":
            regencies.append(RegionShape(int(props["bps_code"]), str(props.get("name", "")), _outer_rings(geom)))
        elif layer == "mys_district":
            districts.append(RegionShape(len(districts), str(props.get("district", "")), _outer_rings(geom)))
            states.append(str(props.get("state", "")))
        elif layer == "border":
            parts = geom["coordinates"] if geom.get("type") == "MultiLineString" else [geom.get("coordinates", [])]
            border.extend(tuple((float(x), float(y)) for x, y, *_ in part) for part in parts if part)
        elif layer == "post":
            lon, lat = geom["coordinates"][:2]
            posts.append({**props, "lon": float(lon), "lat": float(lat)})
        else:
            raise InputError("map feature has no known layer", file=str(path), row=i, column="layer", value=layer)
    if not regencies:
        raise InputError("map has no idn_regency feature", file=str(path))
    return MapLayers(tuple(regencies), tuple(districts), tuple(states), tuple(border), tuple(posts))


def add_scale_bar(ax: Any, lon: float, lat: float, km: float = 100.0, *, color: str = "black") -> None:
    """Draw a ``km`` scale bar starting at (lon, lat) on a longitude/latitude axis.

    The bar's length in degrees of longitude is ``km`` over the length of a degree of the parallel at
    ``lat`` on the WGS84 ellipsoid (111.32 km x cos(lat) near the equator, to 0.1 %).
    """
    import math

    a, e2 = 6378.137, 0.00669437999014
    phi = math.radians(lat)
    per_degree = math.pi / 180 * a * math.cos(phi) / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    dlon = km / per_degree
    ax.plot([lon, lon + dlon], [lat, lat], color=color, lw=3, solid_capstyle="butt", zorder=6)
    ax.text(lon + dlon / 2, lat + 0.12, f"{km:g} km", ha="center", va="bottom", fontsize=8, color=color, zorder=6)
