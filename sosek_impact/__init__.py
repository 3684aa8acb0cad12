"""sosek_impact: did Indonesia–Malaysia border cooperation raise welfare in border regencies?

Loaders of harmonised BPS regency and province panels, staggered difference-in-differences
and synthetic-control estimators with few-cluster inference, and Engel-curve welfare methods.

>>> import sosek_impact as si
>>> panel = si.load_panel()            # doctest: +SKIP
>>> provinces = si.load_province_panel()  # doctest: +SKIP
"""

from __future__ import annotations

from sosek_impact._lazy import lazy_exports

__version__ = "0.1.0"

# Public names and the module that defines each; imported on first use so that
# ``import sosek_impact`` stays light.
_LAZY = {
    "load_panel": "sosek_impact.panel",
    "load_province_panel": "sosek_impact.panel",
    "load_night_lights": "sosek_impact.panel",
    "build_panel": "sosek_impact.panel",
    "read_bps_table": "sosek_impact.io",
    "add_bps_table": "sosek_impact.panel",
    **{name: "sosek_impact.geography" for name in ("load_geography", "load_neighbours")},
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
