"""The night-lights panel: Kalimantan regencies × 1992–2022, beside the regency panel.

The regency panel (``panel.parquet``) runs 2000–2024 for all 514 regencies, and much of the
project's code assumes that grid. The lights start in 1992 and cover Kalimantan only, so they are
carried in a separate long panel rather than by stretching the main grid: one row per
(``bps_code``, ``year``) for the 56 Kalimantan regencies and 1992–2022, holding the lights
(``ntl_*``, ``pixel_count``), their flags, the registry's ``border`` status of that year, and the
regency panel's identifiers and economic columns (``grdp``, ``grdp_pc``, ``grdp_pc_idn514``,
``population``, ``area_km2``, and ``backcast``: the year precedes the regency's creation) where the
regency panel has them — from 2000 only: every economic
value of 1992–1999 is missing, visibly, never filled.

Public functions
----------------
read_night_lights(path=None) -> DataFrame
night_lights_panel(lights, panel, root=None) -> DataFrame
load_night_lights(build_if_missing=True) -> DataFrame
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DuplicateKeyError, SchemaError
from ..paths import missing_data_advice, raw_dir
from .inputs import _check_years, _read

FILE = "night_lights.csv"
#: Numeric columns of the extract (floats).
LIGHT_COLUMNS = ("pixel_count", "ntl_mean", "ntl_median", "ntl_sum", "ntl_min", "ntl_max", "ntl_std")
#: Boolean flags of the extract (written ``true`` / ``false``).
FLAG_COLUMNS = ("repeated_previous_year", "sharp_drop", "dark", "mempawah_fix")
#: Columns taken from the regency panel (those it has), for the years it covers.
PANEL_COLUMNS = ("grdp", "grdp_pc", "grdp_pc_idn514", "population", "area_km2", "backcast")
ID_COLUMNS = ("bps_code", "year", "regency", "province_code", "province", "kind", "border")


def read_night_lights(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check ``data/raw/night_lights.csv``.

    Returns
    -------
    pandas.DataFrame
        The extract with ``bps_code, year, source_row`` as ``Int64``, the lights as ``float64``
        and the flags as ``bool``.

    Raises
    ------
    FileNotFoundError, SchemaError, NumberFormatError, DuplicateKeyError, ValueRangeError
        Naming the file, row and column.
    """
    path = Path(path) if path is not None else raw_dir() / FILE
    required = ("bps_code", "year", "id_admin", *LIGHT_COLUMNS, "seam_period", *FLAG_COLUMNS, "source_id", "source_row")
    df = _read(path, required, ("bps_code", "year", "source_row", "code_published"), LIGHT_COLUMNS)
    _check_years(df, path)
    for col in FLAG_COLUMNS:
        bad = ~df[col].isin(["true", "false"]).to_numpy(dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SchemaError("flag must be 'true' or 'false'", file=path, row=i + 2, column=col, value=df[col].iloc[i])
        df[col] = (df[col] == "true").to_numpy(dtype=bool)
    for col in LIGHT_COLUMNS:
        empty = df[col].isna().to_numpy()
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            raise SchemaError("a light statistic is empty (the source has no missing cells)", file=path, row=i + 2,
                              column=col)
    dup = df.duplicated(["bps_code", "year"]).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DuplicateKeyError("duplicate key ['bps_code', 'year']", file=path, row=i + 2, column="bps_code,year",
                                value=(int(df["bps_code"].iloc[i]), int(df["year"].iloc[i])))
    return df


def night_lights_panel(lights: pd.DataFrame, panel: pd.DataFrame, root: str | Path | None = None) -> pd.DataFrame:
    """Join the lights extract to the regency panel on the lights' grid.

    Parameters
    ----------
    lights
        :func:`read_night_lights` output.
    panel
        The regency panel (:func:`sosek_impact.panel.load_panel`).
    root
        Folder of the registry extracts for ``border`` (default ``data/raw``).

    Returns
    -------
    pandas.DataFrame
        One row per (``bps_code``, ``year``) on the full grid of the lights' regencies × their
        years (a district-year absent from the extract is a row with missing lights);
        columns :data:`ID_COLUMNS`, the lights, ``seam_period``, the flags, ``ntl_source_row`` and the
        regency panel's :data:`PANEL_COLUMNS` it has (missing before 2000, as in the regency panel).
    """
    from ..registry import is_border

    codes = sorted(lights["bps_code"].astype(int).unique())
    years = range(int(lights["year"].min()), int(lights["year"].max()) + 1)
    unknown = sorted(set(codes) - set(panel["bps_code"].astype(int)))
    if unknown:
        raise SchemaError("night-lights codes absent from the regency panel", column="bps_code", value=unknown)
    grid = pd.MultiIndex.from_product([codes, years], names=["bps_code", "year"]).to_frame(index=False)
    keep = ["bps_code", "year", *LIGHT_COLUMNS, "seam_period", *FLAG_COLUMNS, "source_row"]
    light = lights[keep].astype({"bps_code": "int64", "year": "int64"}).rename(columns={"source_row": "ntl_source_row"})
    out = grid.merge(light, on=["bps_code", "year"], how="left", validate="one_to_one")
    names = panel.drop_duplicates("bps_code").set_index("bps_code")
    for col in ("regency", "province_code", "province", "kind"):
        out[col] = out["bps_code"].map(names[col])
    out["province_code"] = out["province_code"].astype("int64")
    out["border"] = is_border(out["bps_code"].to_numpy(), out["year"].to_numpy(), root=root)
    extra = [c for c in PANEL_COLUMNS if c in panel.columns]
    econ = panel.loc[panel["bps_code"].isin(codes), ["bps_code", "year", *extra]]
    out = out.merge(econ.astype({"bps_code": "int64", "year": "int64"}), on=["bps_code", "year"], how="left",
                    validate="one_to_one")
    out["seam_period"] = out["seam_period"].astype("string")
    for col in FLAG_COLUMNS:
        out[col] = out[col].astype("boolean")
    out["ntl_source_row"] = out["ntl_source_row"].astype("Int64")
    for col in ("regency", "province", "kind"):
        out[col] = out[col].astype("string")
    cols = [*ID_COLUMNS, *LIGHT_COLUMNS, "seam_period", *FLAG_COLUMNS, "ntl_source_row", *extra]
    return out[cols].sort_values(["bps_code", "year"], kind="mergesort").reset_index(drop=True)


def load_night_lights(build_if_missing: bool = True) -> pd.DataFrame:
    """The night-lights panel of the Kalimantan regencies, 1992–2022.

    Parameters
    ----------
    build_if_missing
        Passed to :func:`sosek_impact.panel.load_panel` for the regency columns.

    Returns
    -------
    pandas.DataFrame
        See :func:`night_lights_panel`; the meaning of each column is in
        ``data/processed/DATA_DICTIONARY.md`` (section "night lights").

    Raises
    ------
    FileNotFoundError
        Where ``data/raw/night_lights.csv`` is absent (an installed package that does not bundle it).
    """
    from .store import load_panel

    path = raw_dir() / FILE
    if not path.exists():
        raise FileNotFoundError(missing_data_advice(path))
    return night_lights_panel(read_night_lights(path), load_panel(build_if_missing))
