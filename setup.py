"""Packaging: the library plus the data a non-editable install needs, mapped from ``data/``.

Everything else is declared in ``pyproject.toml``. The only reason for this file is that
``pyproject.toml`` cannot combine package discovery with extra packages mapped from other folders:
``sosek_impact/_data/processed`` and ``sosek_impact/_data/raw`` exist only inside a built wheel (or a
non-editable install) and are filled from the repository's ``data/processed`` and ``data/raw`` at
build time, so git keeps one copy of each file. :mod:`sosek_impact.paths` reads them through
``importlib.resources`` when the package does not sit in a clone.
"""

from setuptools import find_packages, setup

#: Files of ``data/`` shipped in the wheel: the built panels (what ``load_panel`` and
#: ``load_province_panel`` read) and the small extracts the registry and harmoniser read. The large
#: series extracts (``regency_series.csv``, 5.6 MB) stay in the repository: building the panel is a
#: job for a clone.
BUNDLED = {
    "sosek_impact._data.processed": ("data/processed", ["panel.parquet", "province_panel.parquet"]),
    "sosek_impact._data.raw": ("data/raw", ["regencies.csv", "provinces.csv", "registry_*.csv", "sources.csv",
                                          "geography_*.csv", "cross_border_pairs.csv", "kalimantan_map.geojson",
                                          "mys_hies_districts.csv", "night_lights.csv"]),
}

setup(
    packages=[*find_packages(include=["sosek_impact", "sosek_impact.*"]), *BUNDLED],
    package_dir={name: folder for name, (folder, _) in BUNDLED.items()},
    package_data={
        "sosek_impact": ["**/*.csv"],  # harmonise aliases, extract corrections
        **{name: files for name, (_, files) in BUNDLED.items()},
    },
    include_package_data=False,
)
