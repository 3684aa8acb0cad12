"""The harmonised regency panel and the province panel, built from ``data/raw``.

Public functions
----------------
build_panel(force: bool = False) -> Path
load_panel(build_if_missing: bool = True) -> DataFrame
load_province_panel(build_if_missing: bool = True) -> DataFrame
load_night_lights(build_if_missing: bool = True) -> DataFrame
add_bps_table(path, variable, *, level="regency", panel=None, **read_kwargs) -> DataFrame
"""

from __future__ import annotations

from .add_table import add_bps_table
from .night_lights import load_night_lights
from .store import build_panel, load_panel, load_province_panel

__all__ = ["add_bps_table", "build_panel", "load_night_lights", "load_panel", "load_province_panel"]
