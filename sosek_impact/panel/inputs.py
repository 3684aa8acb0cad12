"""Read the project's tidy extracts in ``data/raw`` for the panel build, with schema checks.

The extracts follow the data contract of the project (see ``docs/panel.md``): UTF-8 CSV, plain
numbers, missing = empty cell, every value row carrying ``source_id`` and ``source_row``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import DuplicateKeyError, NumberFormatError, SchemaError, ValueRangeError
from ..paths import missing_data_advice, raw_dir

REGENCY_SERIES_COLUMNS = ("bps_code", "year", "variable", "value", "unit", "flag", "source_id", "source_row",
                          "name_published")
PROVINCE_SERIES_COLUMNS = ("province_code", "year", "variable", "value", "unit", "flag", "source_id",
                           "source_row", "name_published")
REGENCY_COLUMNS = ("bps_code", "name", "kind", "province_code")
PROVINCE_COLUMNS = ("province_code", "province", "province_en")

#: Files of ``data/raw`` the panel depends on (their bytes enter the build hash).
INPUT_FILES = ("regencies.csv", "provinces.csv", "regency_series.csv", "province_series.csv",
               "registry_border_regencies.csv", "registry_events.csv", "registry_regency_splits.csv",
               "registry_code_changes.csv", "sources.csv", "night_lights.csv")


@dataclass(frozen=True)
class RawInputs:
    """The extracts the panel is built from."""

    regencies: pd.DataFrame
    provinces: pd.DataFrame
    regency_series: pd.DataFrame
    province_series: pd.DataFrame
    root: Path


def _read(path: Path, required: tuple[str, ...], ints: tuple[str, ...], numbers: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(missing_data_advice(path))
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SchemaError(f"extract lacks column(s) {missing}", file=path, row=1, column=missing[0])
    for col in ints + numbers:
        num = pd.to_numeric(df[col], errors="coerce")
        bad = num.isna() & df[col].notna()
        if col in ints:
            bad |= num.notna() & (num != num.round())
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise NumberFormatError("not a plain number", file=path, row=i + 2, column=col, value=df[col].iloc[i])
        df[col] = num.astype("Int64") if col in ints else num.astype("float64")
    for col in df.columns:
        if col not in ints + numbers:
            df[col] = df[col].astype("string")
    df.attrs["file"] = str(path)
    return df


#: Admissible years of a value row.
YEAR_RANGE = (1900, 2100)


def _check_years(df: pd.DataFrame, path: Path) -> None:
    bad = ~df["year"].between(*YEAR_RANGE)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ValueRangeError(f"year outside {YEAR_RANGE[0]}–{YEAR_RANGE[1]}", file=path, row=i + 2, column="year",
                              value=int(df["year"].iloc[i]))


def _check_unique(df: pd.DataFrame, key: list[str], path: Path) -> None:
    dup = df.duplicated(key, keep=False)
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][1])
        raise DuplicateKeyError(f"duplicate key {key}", file=path, row=i + 2, column=",".join(key),
                                value=tuple(df.iloc[i][key].tolist()))


def read_inputs(root: Path | None = None) -> RawInputs:
    """Read and check the four panel extracts of ``data/raw`` (or ``root``).

    Raises
    ------
    FileNotFoundError
        An extract is missing.
    SchemaError, NumberFormatError, DuplicateKeyError, ValueRangeError
        An extract breaks the data contract (a missing column, a non-number, a repeated key, a year
        outside 1900–2100); the error names the file, row, column and value.
    """
    root = Path(root or raw_dir())
    regencies = _read(root / "regencies.csv", REGENCY_COLUMNS, ("bps_code", "province_code"), ())
    _check_unique(regencies, ["bps_code"], root / "regencies.csv")
    provinces = _read(root / "provinces.csv", PROVINCE_COLUMNS, ("province_code",), ())
    _check_unique(provinces, ["province_code"], root / "provinces.csv")
    regency_series = _read(root / "regency_series.csv", REGENCY_SERIES_COLUMNS,
                           ("bps_code", "year", "source_row"), ("value",))
    _check_years(regency_series, root / "regency_series.csv")
    _check_unique(regency_series, ["bps_code", "year", "variable", "source_id"], root / "regency_series.csv")
    province_series = _read(root / "province_series.csv", PROVINCE_SERIES_COLUMNS,
                            ("province_code", "year", "source_row"), ("value",))
    _check_years(province_series, root / "province_series.csv")
    _check_unique(province_series, ["province_code", "year", "variable", "source_id"],
                  root / "province_series.csv")
    return RawInputs(regencies, provinces, regency_series, province_series, root)


def input_hash(root: Path | None = None) -> str:
    """SHA-256 of the panel's inputs: the bytes of :data:`INPUT_FILES` and of the build code.

    A stored panel whose hash differs from this one is out of date (new extracts, or a new version of
    the code that builds it).
    """
    root = Path(root or raw_dir())
    h = hashlib.sha256()
    for name in INPUT_FILES:
        path = root / name
        h.update(name.encode())
        h.update(path.read_bytes() if path.exists() else b"<missing>")
    here = Path(__file__).resolve().parent
    for code in sorted(list(here.glob("*.py")) + list((here.parent / "registry").glob("*.py"))):
        h.update(code.name.encode())
        h.update(code.read_bytes())
    return h.hexdigest()
