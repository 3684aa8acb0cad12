"""Night lights of the 56 Kalimantan districts, 1992–2022 (``data/raw/night_lights.csv``).

Source ``idn514_ntl``: the Kalimantan rows of QuaRCS-lab's aggregation of the LACC global
nighttime-light product (Tang et al. 2025) to the 514 districts, one row per district and year,
with the pixel ``count`` and the ``mean, median, sum, min, max, std`` of the pixels on the
DMSP-like 0–63 scale. The tidy extract keeps one row per (``bps_code``, ``year``), the statistics
as the exact text of the source, and these columns:

``bps_code``
    Today's BPS code. Rows are keyed on ``ID_ADMIN``, not on the published ``districtID``:
    ``IDN_0318`` is published as 6171 "Kota Pontianak" like ``IDN_0327``, but its centroid
    (109.00 E, 0.36 N) and size (2,000 pixels, against Pontianak city's 107) are Mempawah's
    (6104, formerly Kabupaten Pontianak), which otherwise never appears; it is mapped to 6104
    (:data:`ID_ADMIN_FIXES`) and flagged ``mempawah_fix``. Published 64xx codes of North
    Kalimantan's regencies are recoded to 65xx with :func:`sosek_impact.harmonise.recode_north_kalimantan`;
    every code must then be known to the region registry (else :class:`UnknownRegionError`).
``seam_period``
    ``pre_2014`` (values whole numbers: the DMSP-calibrated part of the harmonised series) or
    ``from_2014`` (fractional values: VIIRS-based). The sensor seam 2013–14 is a possible break.
``repeated_previous_year``
    All seven statistics equal the same district's previous year exactly, with a positive sum
    (a lit district whose lights did not move by a single digital number: a likely carried-over
    year). Flagged, never smoothed. A dark district's repeated zeros are not flagged here; they
    are ``dark``.
``sharp_drop``
    ``sum`` below half of the previous year's, where the previous year's sum is at least
    :data:`SHARP_DROP_MIN_SUM` (so that a few pixels switching off in a dark district do not count).
``dark``
    ``sum`` = 0 (no lit pixel; Mahakam Ulu in almost every year).
``mempawah_fix``
    The row's code was set from ``ID_ADMIN`` (:data:`ID_ADMIN_FIXES`), not from ``districtID``.

Checks (each failure is a typed error naming file, line and column): the columns are there; every
statistic is a plain number (:class:`NumberFormatError`); ``min ≤ median ≤ max`` and values inside
0–63 (:class:`ValueRangeError`); ``|mean × count − sum| ≤`` :data:`SUM_TOLERANCE` × max(1, sum);
one ``ID_ADMIN`` per year and one row per (``bps_code``, ``year``) after the fixes
(:class:`DuplicateKeyError`); a district's pixel count the same in every year (:class:`SchemaError`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_csv
from ..errors import DuplicateKeyError, NumberFormatError, SchemaError, ValueRangeError
from ..harmonise.recode import recode_north_kalimantan
from ..harmonise.registry import RegionRegistry
from ._csvlines import read_csv_lines
from .quarcs import plain_number
from .sources import source_path

SOURCE_ID = "idn514_ntl"
#: Statistics of the source, in order; the extract names them ``ntl_<stat>`` (``pixel_count`` for count).
STATS = ("count", "mean", "median", "sum", "min", "max", "std")
STAT_COLUMNS = {"count": "pixel_count", **{s: f"ntl_{s}" for s in STATS[1:]}}
KEY_COLUMNS = ("ID_ADMIN", "districtID", "district", "province", "year")
#: Rows whose code the source gets wrong, keyed on ``ID_ADMIN``: id → (published code, today's code).
ID_ADMIN_FIXES = {"IDN_0318": (6171, 6104)}
#: First year of the VIIRS-based part of the harmonised series (fractional values).
SEAM_YEAR = 2014
#: A sharp drop: the sum falls below this share of the previous year's ...
SHARP_DROP_RATIO = 0.5
#: ... from a previous-year sum of at least this many digital-number units.
SHARP_DROP_MIN_SUM = 100.0
#: Largest admissible |mean × count − sum| relative to max(1, sum) (source rounding is ~1e-8).
SUM_TOLERANCE = 1e-4
#: The DMSP-like digital-number scale of the product.
DN_RANGE = (0.0, 63.0)
#: Columns of ``data/raw/night_lights.csv``, in order.
COLUMNS = ["bps_code", "year", "id_admin", "code_published", "name_published", "province_published",
           *STAT_COLUMNS.values(), "seam_period", "repeated_previous_year", "sharp_drop", "dark", "mempawah_fix",
           "source_id", "source_row"]


def _numbers(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Each statistic as its exact source text (checked plain) and as a float, plus the year."""
    out = {}
    for col in (*STATS, "year", "districtID"):
        text = [plain_number(v, file=path, row=int(r), column=col) for v, r in zip(df[col], df["source_row"])]
        missing = [i for i, t in enumerate(text) if t == ""]
        if missing:
            i = missing[0]
            raise NumberFormatError("missing value (night lights have no missing cells)", file=path,
                                    row=int(df["source_row"].iloc[i]), column=col, value=df[col].iloc[i])
        out[col] = text
    return pd.DataFrame(out, index=df.index)


def _check_ranges(v: pd.DataFrame, rows: pd.Series, path: Path) -> None:
    def fail(mask: np.ndarray, column: str, why: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise ValueRangeError(why, file=path, row=int(rows.iloc[i]), column=column, value=float(v[column].iloc[i]))

    for col in ("mean", "median", "min", "max"):
        fail(~v[col].between(*DN_RANGE).to_numpy(), col, f"outside the {DN_RANGE[0]:g}–{DN_RANGE[1]:g} scale")
    fail((v["count"] <= 0).to_numpy() | (v["count"] != v["count"].round()).to_numpy(), "count",
         "pixel count not a positive whole number")
    fail((v["sum"] < 0).to_numpy(), "sum", "negative sum of lights")
    fail((v["std"] < 0).to_numpy(), "std", "negative standard deviation")
    fail((v["min"] > v["median"]).to_numpy(), "median", "median below min")
    fail((v["median"] > v["max"]).to_numpy(), "median", "median above max")
    gap = (v["mean"] * v["count"] - v["sum"]).abs() > SUM_TOLERANCE * np.maximum(1.0, v["sum"])
    fail(gap.to_numpy(), "sum", "sum differs from mean × count")


def _bool_text(mask: np.ndarray) -> np.ndarray:
    """``true`` / ``false`` as the registry extracts write booleans."""
    return np.where(np.asarray(mask, dtype=bool), "true", "false")


def _flags(v: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """``repeated_previous_year``, ``sharp_drop``, ``dark`` (rows in any order; previous = year − 1)."""
    frame = pd.concat([ids.rename("_id"), v[list(STATS)], v["year"].rename("_year")], axis=1)
    prev = frame.assign(_year=frame["_year"] + 1).set_index(["_id", "_year"])
    prev = prev.reindex(pd.MultiIndex.from_arrays([frame["_id"], frame["_year"]]))
    prev.index = frame.index
    same = np.all(v[list(STATS)].to_numpy() == prev[list(STATS)].to_numpy(), axis=1)
    repeated = same & (v["sum"].to_numpy() > 0)
    p = prev["sum"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        drop = (p >= SHARP_DROP_MIN_SUM) & (v["sum"].to_numpy(float) < SHARP_DROP_RATIO * p)
    return pd.DataFrame({"repeated_previous_year": repeated, "sharp_drop": drop,
                         "dark": v["sum"].to_numpy(float) == 0}, index=v.index)


def _codes(df: pd.DataFrame, path: Path, registry: RegionRegistry, code_changes: pd.DataFrame | None) -> tuple[pd.Series, np.ndarray]:
    """Today's BPS code of every row (fixes by ``ID_ADMIN``, 64xx → 65xx recode, registry check)."""
    published = df["districtID"].astype(int)
    fixed = np.zeros(len(df), dtype=bool)
    codes = published.copy()
    for id_admin, (was, now) in ID_ADMIN_FIXES.items():
        m = (df["ID_ADMIN"] == id_admin).to_numpy()
        wrong = m & (published.to_numpy() != was)
        if wrong.any():
            i = int(np.flatnonzero(wrong)[0])
            raise SchemaError(f"{id_admin} is expected to carry the wrong code {was} (fixed to {now}); the source "
                              "changed: check the fix", file=path, row=int(df["source_row"].iloc[i]),
                              column="districtID", value=int(published.iloc[i]))
        codes[m] = now
        fixed |= m
    frame = pd.DataFrame({"bps_code": codes})
    if code_changes is not None:
        with tempfile.TemporaryDirectory() as tmp:
            write_csv(code_changes, Path(tmp) / "registry_code_changes.csv")
            frame = recode_north_kalimantan(frame, raw=tmp)
    else:
        frame = recode_north_kalimantan(frame)
    first = frame.assign(_row=df["source_row"].to_numpy()).drop_duplicates("bps_code")
    registry.resolve_regencies([str(c) for c in first["bps_code"]], None, file=path, column="districtID",
                               rows=[int(r) for r in first["_row"]])
    return frame["bps_code"].astype(int), fixed


def night_lights_from_file(path: Path, registry: RegionRegistry, code_changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tidy night-lights extract of one source file (see the module notes).

    Parameters
    ----------
    path
        The source CSV (the layout of ``global_nighttime_light_dataset_district_1992_2022.csv``).
    registry
        Region registry the codes are checked against.
    code_changes
        The registry's code-change table (``registry_code_changes.csv`` layout) for the North
        Kalimantan recode; default the committed ``data/raw`` one.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`, sorted by ``bps_code, year``.

    Raises
    ------
    SchemaError, NumberFormatError, ValueRangeError, DuplicateKeyError, UnknownRegionError
        Naming the file, the line and the column.
    """
    path = Path(path)
    df = read_csv_lines(path)
    missing = [c for c in (*KEY_COLUMNS, *STATS) if c not in df.columns]
    if missing:
        raise SchemaError(f"missing column(s) {missing}", file=path, row=1, column=missing[0])
    text = _numbers(df, path)
    v = text[list(STATS)].astype(float)
    v["year"] = text["year"].astype(float)
    bad_year = v["year"] != v["year"].round()
    if bad_year.any():
        i = int(np.flatnonzero(bad_year.to_numpy())[0])
        raise NumberFormatError("year is not a whole number", file=path, row=int(df["source_row"].iloc[i]),
                                column="year", value=df["year"].iloc[i])
    v["year"] = v["year"].astype(int)
    _check_ranges(v, df["source_row"], path)
    ids = df["ID_ADMIN"].str.strip()
    dup = pd.Series(list(zip(ids, v["year"]))).duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DuplicateKeyError("an ID_ADMIN appears twice in one year", file=path, row=int(df["source_row"].iloc[i]),
                                column="ID_ADMIN", value=(ids.iloc[i], int(v["year"].iloc[i])))
    counts = v.groupby(ids.to_numpy())["count"].nunique()
    if (counts > 1).any():
        bad = counts.index[counts > 1][0]
        i = int(np.flatnonzero((ids == bad).to_numpy())[1])
        raise SchemaError("a district's pixel count changes between years", file=path,
                          row=int(df["source_row"].iloc[i]), column="count", value=bad)
    text = text.assign(districtID=text["districtID"].astype(int))
    codes, fixed = _codes(df.assign(districtID=text["districtID"], ID_ADMIN=ids), path, registry, code_changes)
    keys = pd.DataFrame({"bps_code": codes.to_numpy(), "year": v["year"].to_numpy()})
    dup = keys.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        other = ids[(keys["bps_code"] == keys["bps_code"].iloc[i]).to_numpy() & ~(ids == ids.iloc[i]).to_numpy()]
        raise DuplicateKeyError(f"two districts ({ids.iloc[i]} and {', '.join(sorted(set(other)))}) carry one code "
                                "in one year: key them on ID_ADMIN (add a fix)", file=path,
                                row=int(df["source_row"].iloc[i]), column="districtID",
                                value=(int(keys["bps_code"].iloc[i]), int(keys["year"].iloc[i])))
    flags = _flags(v, ids)
    out = pd.DataFrame({
        "bps_code": keys["bps_code"].to_numpy(), "year": keys["year"].to_numpy(), "id_admin": ids.to_numpy(),
        "code_published": text["districtID"].to_numpy(), "name_published": df["district"].str.strip().to_numpy(),
        "province_published": df["province"].str.strip().to_numpy(),
        **{STAT_COLUMNS[s]: text[s].to_numpy() for s in STATS},
        "seam_period": np.where(keys["year"].to_numpy() >= SEAM_YEAR, f"from_{SEAM_YEAR}", f"pre_{SEAM_YEAR}"),
        **{c: _bool_text(flags[c].to_numpy()) for c in flags.columns},
        "mempawah_fix": _bool_text(fixed),
        "source_id": SOURCE_ID, "source_row": df["source_row"].to_numpy(),
    })
    return out[COLUMNS].sort_values(["bps_code", "year"], kind="mergesort").reset_index(drop=True)


def night_lights(shared: Path, registry: RegionRegistry, code_changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """``data/raw/night_lights.csv`` from the shared source ``idn514_ntl``."""
    return night_lights_from_file(source_path(shared, SOURCE_ID), registry, code_changes)
