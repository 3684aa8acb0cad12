"""The catalogue of public source files the extracts are made from (``data/raw/sources.csv``).

One row per ``source_id``. Paths are relative to the shared data folder (``../shared/data``);
repository, commit, licence and citation are those recorded in
``../shared/data/sources/PROVENANCE.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

SOURCE_COLUMNS = ["source_id", "file", "repository", "commit", "licence", "publisher", "citation", "notes"]

_QUARCS_DIR = "sources/quarcs-lab__data-indonesia-regional-zenodo/economic-data-until-2017"
_IDN514_DIR = "sources/quarcs-lab__indonesia514"
_TAURADAVIN_DIR = "sources/tauradavin__uas-visdat-2026/Data"
_EXP_DIR = "sources/addaan1__Project-Machine-Learning/datasets/Rata-rata Pengeluaran per Kapita Sebulan Makanan dan Bukan Makanan"

P0_YEARS = (2020, 2021, 2022, 2023, 2024)
IPM_YEARS = (2020, 2021, 2022, 2023, 2024)
EXPENDITURE_YEARS = (2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025)


@dataclass(frozen=True)
class Source:
    """One public source file (or folder) and what is known about where it comes from."""

    source_id: str
    file: str
    repository: str
    commit: str
    licence: str
    publisher: str
    citation: str
    notes: str = ""


_QUARCS_CITE = (
    "Santos-Marquez, F., Gunawan, A.B. & Mendez, C. (2021). Regional income disparities, distributional "
    "convergence, and spatial effects: evidence from Indonesian regions 2010-2017. GeoJournal. "
    "doi:10.1007/s10708-021-10377-7. Data: Zenodo doi:10.5281/zenodo.4428102"
)
_IDN514_CITE = "QuaRCS-lab (2026). indonesia514: district-level data for 514 Indonesian districts. GitHub quarcs-lab/indonesia514"
_TAURADAVIN_CITE = (
    "Badan Pusat Statistik (BPS), web table exported in tauradavin/uas-visdat-2026 (STIS coursework), "
    "https://www.bps.go.id/id/statistics-table/2/NjIxIzI=/persentase-penduduk-miskin-menurut-kabupaten-kota.html"
)


def expenditure_file(year: int) -> str:
    """Relative path of the BPS province expenditure table of ``year``.

    The 2019 file name holds a no-break space and lacks "(rupiah)"; it is spelled out here
    byte for byte rather than typed by hand elsewhere.
    """
    if year == 2019:
        name = (
            "Rata-rata Pengeluaran per Kapita Sebulan Makanan dan Bukan Makanan di Daerah Perkotaan dan "
            "Perdesaan\u00a0 Menurut Provinsi, 2019.csv"
        )
    else:
        name = (
            "Rata-rata Pengeluaran per Kapita Sebulan Makanan dan Bukan Makanan di Daerah Perkotaan dan "
            f"Perdesaan Menurut Provinsi (rupiah), {year}.csv"
        )
    return f"{_EXP_DIR}/{name}"


def catalogue() -> list[Source]:
    """All sources, in the order of ``data/raw/sources.csv``."""
    rows = [
        Source(
            "quarcs_districts",
            f"{_QUARCS_DIR}/GRDP_PerCapita_Indonesia_Districts_until_2017.csv",
            "quarcs-lab/data-indonesia-regional-zenodo",
            "c3ae42cc09d442e56a130fb78c06b86134cd1b9d",
            "CC BY 4.0",
            "QuaRCS-lab, compiled from BPS",
            _QUARCS_CITE,
            "514 districts, 2017 boundaries, 2000-2017: population (persons), GRDP (billion IDR, constant 2010 "
            "prices), GRDP per capita (thousand IDR); interpolated by the publisher; districts created after 2000 "
            "are back-cast",
        ),
        Source(
            "quarcs_provinces",
            f"{_QUARCS_DIR}/GRDP_PerCapita_Indonesia_Provinces_until_2017.csv",
            "quarcs-lab/data-indonesia-regional-zenodo",
            "c3ae42cc09d442e56a130fb78c06b86134cd1b9d",
            "CC BY 4.0",
            "QuaRCS-lab, compiled from BPS",
            _QUARCS_CITE,
            "34 provinces, GDP per capita (thousand IDR) 1983-2017; North Kalimantan back-cast to 1983",
        ),
        Source(
            "idn514_gdp_pc",
            f"{_IDN514_DIR}/gdp/gdp_pc.csv",
            "quarcs-lab/indonesia514",
            "e2c0e6dbfb2487a2c03748f1ec11ee567fb72499",
            "MIT (as stated by the repository)",
            "QuaRCS-lab, compiled from BPS",
            _IDN514_CITE,
            "514 districts, GRDP per capita (thousand IDR, constant 2010 prices) 2000-2024; 2000-2015 from the "
            "QuaRCS dataset, 2016-2024 from BPS publications; level break around 2020 for several districts",
        ),
        Source(
            "idn514_map",
            f"{_IDN514_DIR}/maps/mapIdonesia514tp.geojson",
            "quarcs-lab/indonesia514",
            "e2c0e6dbfb2487a2c03748f1ec11ee567fb72499",
            "MIT (as stated by the repository)",
            "QuaRCS-lab",
            _IDN514_CITE,
            "514 simplified district polygons",
        ),
        Source(
            "kemiskinan_2021",
            "sources/yuldan14__klasifikasi_kemiskinan/Klasifikasi Tingkat Kemiskinan di Indonesia.csv",
            "yuldan14/klasifikasi_kemiskinan",
            "7f63794fa7f91b6175963b4943d82e42043587c5",
            "none stated",
            "BPS, compiled by a Kaggle user (ermila/klasifikasi-tingkat-kemiskinan-di-indonesia)",
            "Badan Pusat Statistik (BPS) regency indicators, as compiled in Kaggle dataset "
            "ermila/klasifikasi-tingkat-kemiskinan-di-indonesia, copy in GitHub yuldan14/klasifikasi_kemiskinan",
            "cross-section of 514 regencies, year not stated in the file and inferred as 2021 (P0 values equal "
            "BPS 2021); names only",
        ),
        Source(
            "dapoer_2019",
            "sources/nandazahriwibowo-debug__electricity-access-analysis/dapoer_district_2019.csv",
            "nandazahriwibowo-debug/electricity-access-analysis",
            "6649bed72ab2122c25be0635de12894d3f06ddd5",
            "CC BY 4.0 (underlying INDO-DAPOER data, per the repository README); no LICENSE file",
            "World Bank and BPS (INDO-DAPOER), World Bank API v2 source 45",
            "World Bank (2019). Indonesia Database for Policy and Economic Research (INDO-DAPOER), "
            "as joined in GitHub nandazahriwibowo-debug/electricity-access-analysis",
            "cross-section 2019, 514 regencies, DAPOER names and province spellings; Malinau grdp_total is an "
            "upstream error",
        ),
    ]
    for year in P0_YEARS:
        rows.append(
            Source(
                f"bps_p0_{year}",
                f"{_TAURADAVIN_DIR}/Miskin {year}.csv",
                "tauradavin/uas-visdat-2026",
                "6f82eeb7aabaec20f69cca9f879cf9aadbe3f454",
                "none stated (README credits BPS)",
                "Badan Pusat Statistik (BPS)",
                _TAURADAVIN_CITE,
                f"Persentase Penduduk Miskin (P0) menurut Kabupaten/Kota (persen), March {year}; names only",
            )
        )
    for year in IPM_YEARS:
        rows.append(
            Source(
                f"bps_ipm_{year}",
                f"{_TAURADAVIN_DIR}/IPM {year}.csv",
                "tauradavin/uas-visdat-2026",
                "6f82eeb7aabaec20f69cca9f879cf9aadbe3f454",
                "none stated (README credits BPS)",
                "Badan Pusat Statistik (BPS)",
                "Badan Pusat Statistik (BPS), [Metode Baru] Indeks Pembangunan Manusia menurut Kabupaten/Kota, "
                "web table exported in tauradavin/uas-visdat-2026",
                f"HDI (new method) by province and regency, {year}; names only; Papua regencies listed twice",
            )
        )
    for year in EXPENDITURE_YEARS:
        rows.append(
            Source(
                f"bps_exp_{year}",
                expenditure_file(year),
                "addaan1/Project-Machine-Learning",
                "19e9397092ccc85f74ae4730db2ea51b30a93b5e",
                "none stated (README credits BPS)",
                "Badan Pusat Statistik (BPS), Susenas",
                "Badan Pusat Statistik (BPS), Rata-rata Pengeluaran per Kapita Sebulan Makanan dan Bukan Makanan "
                "di Daerah Perkotaan dan Perdesaan Menurut Provinsi (rupiah), web table exported in "
                "addaan1/Project-Machine-Learning",
                f"province food, non-food and total per-capita monthly expenditure, rupiah, nominal, {year}",
            )
        )
    rows.extend(_welfare_sources())
    from .geo_sources import geography_sources

    rows.extend(geography_sources())
    from .conversions import conversion_sources

    rows.extend(conversion_sources())
    rows.append(
        Source(
            "registry",
            "registry/",
            "project shared data (../shared/data/registry)",
            "",
            "compiled facts with cited public sources (see each row's source column)",
            "sosek_impact project",
            "sosek_impact registry of border regencies, events, regency splits and code changes, "
            "compiled from public pages and seed papers",
            "border_regencies.csv, events.csv, regency_splits.csv, code_changes.csv; each row has source and confidence",
        )
    )
    return rows


_DATA_QUARCS_DIR = "sources/quarcs-lab__data-quarcs/indonesia514"
_DATA_QUARCS_CITE = (
    "QuaRCS-lab, data-quarcs (GitHub quarcs-lab/data-quarcs), indonesia514 folder; original publisher "
    "Badan Pusat Statistik (BPS)"
)


def _welfare_sources() -> list[Source]:
    """The 2002–2020 welfare series: INDO-DAPOER districts, QuaRCS unemployment and schooling."""
    return [
        Source(
            "wb_dapoer_2002_2014",
            "sources/msaidf__statek/content/indo-dapoer_data.csv",
            "msaidf/statek",
            "800a637a50f202ec65b6fcc30e433ef0eb167797",
            "CC BY-SA 4.0 (content/LICENSE.md); underlying INDO-DAPOER data CC BY 4.0",
            "World Bank, INDO-DAPOER (BPS primary source of the poverty and HDI series)",
            "World Bank, Indonesia Database for Policy and Economic Research (INDO-DAPOER), DataBank export "
            "'Last Updated: 05/28/2015', copy in GitHub msaidf/statek content/indo-dapoer_data.csv",
            "512 districts by name (DataBank spelling), 2000-2014: poverty rate P0, poverty gap P1, poverty line, "
            "old-method HDI (kept apart from the new-method hdi); survey basis of P0 changes in 2011; parents "
            "of later splits on old boundaries",
        ),
        Source(
            "quarcs_okun",
            f"{_DATA_QUARCS_DIR}/okun.dta",
            "quarcs-lab/data-quarcs",
            "e52265299b0e034aa9f43be7fd5e0db869dcd265",
            "none stated",
            "QuaRCS-lab, compiled from BPS (Sakernas, August)",
            _DATA_QUARCS_CITE,
            "Stata file, 514 districts x 2008-2020: open unemployment rate (TPT, %); 2016 interpolated by the "
            "publisher; source_row = observation number",
        ),
        Source(
            "quarcs_mys",
            f"{_DATA_QUARCS_DIR}/mys.csv",
            "quarcs-lab/data-quarcs",
            "e52265299b0e034aa9f43be7fd5e0db869dcd265",
            "none stated",
            "QuaRCS-lab, compiled from BPS",
            _DATA_QUARCS_CITE,
            "514 districts by id (pre-2022 Papua codes), mean years of schooling of the population 25+ "
            "(RLS), 2010-2018",
        ),
        Source(
            "idn514_ntl",
            f"{_IDN514_DIR}/ntl/global_nighttime_light_dataset_district_1992_2022.kalimantan_rows.csv",
            "quarcs-lab/indonesia514",
            "5151d43c5af7234c4e21c560f594669e9427c92a",
            "MIT (as stated by the repository)",
            "Tang et al. (LACC product), aggregated to the 514 districts by QuaRCS-lab",
            "Tang, H., Zhong, Y., Deng, J., Xia, H. & Wei, J. (2025). Global nighttime light dataset from 1992 "
            "to 2022 with focus on low-light areas. Scientific Data 12, 982. doi:10.1038/s41597-025-05246-8; "
            "district aggregation in GitHub quarcs-lab/indonesia514 ntl/global_nighttime_light_dataset_district_"
            "1992_2022.csv",
            "Kalimantan rows only (56 districts x 1992-2022, copied text for text; see PROVENANCE.md): pixel count, "
            "mean, median, sum, min, max, std on the DMSP-like 0-63 scale; IDN_0318 published as 6171 is "
            "Mempawah (6104); whole numbers to 2013, fractional from 2014 (sensor seam)",
        ),
    ]


def sources_table() -> pd.DataFrame:
    """``data/raw/sources.csv`` as a DataFrame."""
    return pd.DataFrame([asdict(s) for s in catalogue()], columns=SOURCE_COLUMNS)


def source_path(shared: Path, source_id: str) -> Path:
    """Absolute path of a source file under the shared data folder."""
    for s in catalogue():
        if s.source_id == source_id:
            return shared / s.file
    raise KeyError(source_id)
