"""Harmonisation of regency panels: names to codes, code vintages and boundary changes.

- :func:`resolve_regencies`, :func:`resolve_provinces`: names as any source writes them to
  BPS codes of today's vintage (an unknown name is an error listing every offender);
- :func:`recode_north_kalimantan`: the 2012 recode 64xx → 65xx; :func:`recode_papua_2022`:
  the 2022 Papua recode (91xx/94xx → 92xx, 95xx–97xx);
- :func:`split_crosswalk`, :func:`to_vintage`: the pemekaran (regency split) crosswalk and
  the mapping of a panel to the boundaries of a chosen year (Kalimantan provinces 61, 64, 65
  only: the registry records no split elsewhere);
- :func:`flag_backcast`: marks values given for years before a regency existed.
"""

from __future__ import annotations

from sosek_impact._lazy import lazy_exports

_EXPORTS = {
    "RegionRegistry": "registry",
    "load_registry": "registry",
    "default_registry": "registry",
    "resolve_regencies": "registry",
    "resolve_provinces": "registry",
    "recode_north_kalimantan": "recode",
    "recode_papua_2022": "recode",
    "split_crosswalk": "crosswalk",
    "to_vintage": "vintage",
    "flag_backcast": "vintage",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, {name: f".{module}" for name, module in _EXPORTS.items()})
