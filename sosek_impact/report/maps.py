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

__all__ = ["RegionShape", "read_regions", "plot_regions"]


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
