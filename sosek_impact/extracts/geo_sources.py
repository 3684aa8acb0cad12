"""Catalogue rows (``data/raw/sources.csv``) of the geography sources: district polygons and Malaysia's DOSM tables.

Kept beside :mod:`sosek_impact.extracts.sources` (which lists them through
:func:`geography_sources`) so that the geography extract owns its provenance. Repository, commit,
licence and publisher are those of ``../shared/data/sources/PROVENANCE.md``.
"""

from __future__ import annotations

from .sources import Source

__all__ = ["geography_sources", "POST_TABLE"]

_WEST_EAST = "sources/quarcs-lab__data-quarcs/indonesia_WestEst"
_MYS = "sources/thomasvanpul__malaysia_map"
_QUARCS_COMMIT = "e52265299b0e034aa9f43be7fd5e0db869dcd265"
_MYS_COMMIT = "e6798ec3bb809f4879e64229fea9c5a30749141d"
_MYS_REPO = "thomasvanpul/malaysia_map"
_DOSM = "Department of Statistics Malaysia (DOSM), OpenDOSM"
#: The project's table of border-post coordinates (one sourced fact a row), shipped in the package.
POST_TABLE = "sosek_impact/extracts/border_posts.csv"


def geography_sources() -> list[Source]:
    """Rows for the 514 real district polygons, the Malaysian ADM2 polygons, HIES tables and the post coordinates."""
    poly_cite = ("QuaRCS-lab, data-quarcs (GitHub quarcs-lab/data-quarcs), indonesia_WestEst folder; boundaries of "
                 "BPS/BIG, 2017 vintage (514 districts)")
    return [
        Source("quarcs_polygons_west", f"{_WEST_EAST}/indonesiaWest282.geojson", "quarcs-lab/data-quarcs", _QUARCS_COMMIT,
               "none stated (datasets donated by QuaRCS-lab members)", "QuaRCS-lab, boundaries of BPS/BIG", poly_cite,
               "282 district polygons (Sumatra, Java, Bali), CRS84; invalid geometries repaired with make_valid "
               "(listed in geography_regencies.csv, column geometry_repair)"),
        Source("quarcs_polygons_east", f"{_WEST_EAST}/indonesiaEast232.geojson", "quarcs-lab/data-quarcs", _QUARCS_COMMIT,
               "none stated (datasets donated by QuaRCS-lab members)", "QuaRCS-lab, boundaries of BPS/BIG", poly_cite,
               "232 district polygons (Kalimantan, Sulawesi, Nusa Tenggara, Maluku, Papua), CRS84; Papua carries "
               "the pre-2022 codes 91xx/94xx, resolved to today's codes by name"),
        Source("mys_adm2", f"{_MYS}/geoBoundaries-MYS-ADM2_simplified.geojson", _MYS_REPO, _MYS_COMMIT, "CC BY 4.0",
               "geoBoundaries (William & Mary geoLab)",
               "Runfola, D. et al. (2020). geoBoundaries: A global database of political administrative boundaries. "
               "PLoS ONE 15(4): e0231866. MYS ADM2, copy in GitHub thomasvanpul/malaysia_map",
               "159 Malaysian districts (ADM2), names only; the Sarawak, Sabah and Labuan districts are matched to "
               "DOSM names through sosek_impact/extracts/mys_district_names.csv"),
        Source("mys_hies_income", f"{_MYS}/hh_income_district.parquet", _MYS_REPO, _MYS_COMMIT, "CC BY 4.0", _DOSM,
               "Department of Statistics Malaysia, OpenDOSM dataset hh_income_district (Household Income and "
               "Expenditure Survey), copy in GitHub thomasvanpul/malaysia_map",
               "HIES 2019, 2022, 2024: mean and median gross household income, RM per household per month, current "
               "prices, by district"),
        Source("mys_hies_poverty", f"{_MYS}/hh_poverty_district.parquet", _MYS_REPO, _MYS_COMMIT, "CC BY 4.0", _DOSM,
               "Department of Statistics Malaysia, OpenDOSM dataset hh_poverty_district (Household Income and "
               "Expenditure Survey), copy in GitHub thomasvanpul/malaysia_map",
               "HIES 2019, 2022, 2024: absolute and relative poverty, % of households, Malaysian poverty lines"),
        Source("border_posts", POST_TABLE, "this project (sosek_impact)", "", "each row cites its own public source",
               "sosek_impact project",
               "sosek_impact table of Kalimantan border posts (PLBN): coordinates with sources and a confidence",
               "one row per post; file path relative to the project, not to the shared folder"),
    ]
