"""Make the project's own tidy extracts (``data/raw``) from the shared public sources.

``make_extracts()`` is what ``sosek-impact extract`` runs. It reads ``../shared/data``
(``sources/`` and ``registry/``) and writes, atomically and deterministically:

- ``sources.csv``: one row per source (file, repository, commit, licence, citation);
- ``registry_border_regencies.csv``, ``registry_events.csv``, ``registry_regency_splits.csv``,
  ``registry_code_changes.csv``; ``registry_conversions.csv`` (the project's sourced exchange rates, PPP
  factors and household sizes, :mod:`sosek_impact.extracts.conversions`);
- ``provinces.csv``, ``regencies.csv``;
- ``regency_series.csv`` and ``province_series.csv`` (long: one value per row, with
  ``source_id`` and ``source_row``);
- ``district_map.geojson``;
- the geography tables (``geography_regencies.csv``, ``geography_neighbours.csv``,
  ``cross_border_pairs.csv``, ``geography_post_distances.csv``, ``registry_border_posts.csv``,
  ``kalimantan_map.geojson``; see :mod:`sosek_impact.extracts.geo_tables`; needs ``shapely``).
- ``night_lights.csv`` (Kalimantan districts × 1992–2022, :mod:`.night_lights`).

The committed extracts let the package work where ``../shared`` does not exist.
"""

from __future__ import annotations

from pathlib import Path

from .. import paths
from ..atomic import write_csv, write_text
from ..errors import InputError

__all__ = ["make_extracts", "extract_tables"]


def _shared(shared: str | Path | None) -> Path:
    if shared is None:
        found = paths.shared_dir()
        if found is None:
            raise InputError(
                "the shared data folder was not found; pass shared= or set SOSEK_IMPACT_SHARED",
                file=str(paths.project_root().parent / "shared" / "data"),
            )
        return found
    shared = Path(shared)
    if not (shared / "sources").is_dir() or not (shared / "registry").is_dir():
        raise InputError("not a shared data folder (needs sources/ and registry/)", file=str(shared))
    return shared


def extract_tables(shared: str | Path | None = None) -> dict[str, object]:
    """Build every extract in memory.

    Returns
    -------
    dict
        File name under ``data/raw`` → ``pandas.DataFrame`` (CSV) or ``str`` (GeoJSON text).
    """
    from .registry_tables import REGISTRY_TABLES, registry_table
    from .sources import sources_table

    root = _shared(shared)
    out: dict[str, object] = {"sources.csv": sources_table()}
    for name in REGISTRY_TABLES:
        out[f"registry_{name}.csv"] = registry_table(root, name)
    from .conversions import read_conversions

    out["registry_conversions.csv"] = read_conversions()
    from .regions import province_table, regency_table
    from .series import province_series, regency_series

    regencies = regency_table(root)
    provinces = province_table(root)
    out["provinces.csv"] = provinces
    out["regencies.csv"] = regencies
    registry = extract_registry(regencies, provinces)
    crosswalk = _crosswalk(out["registry_regency_splits.csv"])
    from .bps_tables import bps_tables
    from .cross_sections import cross_section_series
    from .expenditure import expenditure_series
    from .geo import district_map

    bps_regency, bps_province = bps_tables(root, registry)
    from .dapoer_panel import wb_dapoer_series
    from .labour_schooling import quarcs_schooling, quarcs_unemployment

    extra_regency = [*bps_regency, *cross_section_series(root, registry), wb_dapoer_series(root, registry, crosswalk),
                     quarcs_unemployment(root, registry), quarcs_schooling(root, registry)]
    extra_province = [*bps_province, expenditure_series(root, registry)]
    from .dapoer_panel import flag_boundary_suspected

    out["regency_series.csv"] = flag_boundary_suspected(regency_series(root, registry, crosswalk, extra_regency))
    out["province_series.csv"] = province_series(root, registry, extra_province)
    out["district_map.geojson"] = district_map(root, registry)
    from .geo_tables import geography_tables

    out.update(geography_tables(root, registry))
    from .night_lights import night_lights

    out["night_lights.csv"] = night_lights(root, registry, out["registry_code_changes.csv"])
    return out


def extract_registry(regencies, provinces):
    """A :class:`~sosek_impact.harmonise.registry.RegionRegistry` of in-memory region tables."""
    import pandas as pd

    from ..harmonise.registry import _HERE, RegionRegistry

    return RegionRegistry(
        regencies=regencies,
        provinces=provinces,
        regency_aliases=pd.read_csv(_HERE / "regency_aliases.csv", dtype=str),
        province_aliases=pd.read_csv(_HERE / "province_aliases.csv", dtype=str),
        province_splits=pd.read_csv(_HERE / "province_splits.csv"),
    )


def _crosswalk(splits):
    from ..harmonise.crosswalk import crosswalk_from_table

    return crosswalk_from_table(splits)


def make_extracts(shared: str | Path | None = None, *, out: str | Path | None = None) -> None:
    """Write every extract under ``data/raw`` (or ``out``).

    Parameters
    ----------
    shared
        The shared data folder; default ``../shared/data`` beside the project (or
        ``SOSEK_IMPACT_SHARED``).
    out
        Target folder; default :func:`sosek_impact.paths.raw_dir`.
    """
    target = Path(out) if out is not None else paths.raw_dir()
    for name, table in extract_tables(shared).items():
        if isinstance(table, str):
            write_text(target / name, table)
        else:
            write_csv(table, target / name)
