"""Build, store and load the panels under ``data/processed``.

Outputs (all written atomically through :mod:`sosek_impact.atomic`, deterministic bytes):
``panel.parquet``, ``panel.csv``, ``province_panel.parquet``, ``province_panel.csv``,
``DATA_DICTIONARY.md``, ``validation.md``. Each Parquet file stores the hash of its inputs (the bytes
of the ``data/raw`` extracts and of the build code) in its schema metadata under
``sosek_impact.input_hash``; the loaders rebuild when it no longer matches.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_path, write_csv, write_text
from ..paths import missing_data_advice, packaged, processed_dir, raw_dir
from .assemble import province_panel, regency_panel
from .dictionary import data_dictionary
from .inputs import input_hash, read_inputs
from .night_lights import FILE as NIGHT_LIGHTS_FILE
from .night_lights import night_lights_panel, read_night_lights
from .validate import validation_report

HASH_KEY = b"sosek_impact.input_hash"
OUTPUTS = ("panel.parquet", "panel.csv", "province_panel.parquet", "province_panel.csv", "DATA_DICTIONARY.md",
           "validation.md")
_LOCK = threading.Lock()


def _write_parquet(df: pd.DataFrame, path: Path, digest: str) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[HASH_KEY] = digest.encode()
    table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)


def stored_hash(path: Path) -> str | None:
    """The input hash stored in a panel Parquet file, or ``None`` if absent/unreadable."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    value = meta.get(HASH_KEY)
    return value.decode() if value else None


def _units(log) -> dict[str, str]:
    chosen = log.chosen
    if chosen.empty:
        return {}
    first = chosen.sort_values(["column", "rank"]).drop_duplicates("column")
    return {c: (u if isinstance(u, str) else "") for c, u in zip(first["column"], first["unit"])}


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain objects for a fast CSV writer (same bytes: missing is an empty cell)."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _up_to_date(out: Path, digest: str) -> bool:
    return all((out / name).exists() for name in OUTPUTS) and all(
        stored_hash(out / name) == digest for name in ("panel.parquet", "province_panel.parquet"))


def build_panel(force: bool = False, *, log: Callable[[str], object] | None = None) -> Path:
    """Build the regency and province panels and their reports into ``data/processed``.

    Parameters
    ----------
    force
        Rebuild even if the stored panels match the current inputs.
    log
        Receives one progress line per step (what it did and the seconds since the start); default:
        silent. ``sosek-impact build`` prints them.

    Returns
    -------
    pathlib.Path
        Path of ``data/processed/panel.parquet``.

    Raises
    ------
    FileNotFoundError
        In an installed package (no clone, no ``SOSEK_IMPACT_ROOT``), which bundles the built panels but
        not the series they are built from; or if an extract of ``data/raw`` is missing.

    Notes
    -----
    Reads only ``data/raw`` (see ``docs/panel.md`` for the data contract and the source choices).
    Two builds from the same inputs give byte-identical files.
    """
    if packaged():
        raise FileNotFoundError(
            "build_panel needs the repository's data/raw series, which the installed package does not bundle "
            "(load_panel() reads the bundled panel): clone the repository and set SOSEK_IMPACT_ROOT to the clone")
    start = time.perf_counter()

    def step(what: str) -> None:
        if log is not None:
            log(f"{what} ({time.perf_counter() - start:.1f} s)")

    out = processed_dir()
    raw_root = raw_dir()
    with _LOCK:
        digest = input_hash(raw_root)
        if not force and _up_to_date(out, digest):
            step(f"{out / 'panel.parquet'} is up to date")
            return out / "panel.parquet"
        raw = read_inputs(raw_root)
        step(f"read and checked the extracts of {raw_root}")
        with warnings.catch_warnings():
            # Unverified registry rows are listed in validation.md rather than warned about here.
            warnings.simplefilter("ignore", category=UserWarning)
            regency, regency_log = regency_panel(raw)
            step(f"assembled the regency panel: {len(regency):,} rows x {regency.shape[1]} columns")
            province, province_log = province_panel(raw)
            step(f"assembled the province panel: {len(province):,} rows x {province.shape[1]} columns")
        out.mkdir(parents=True, exist_ok=True)
        write_text(out / "validation.md",
                   validation_report(regency, regency_log, province, province_log, raw_root, digest))
        step("wrote validation.md")
        lights = None
        if (raw_root / NIGHT_LIGHTS_FILE).exists():
            lights = night_lights_panel(read_night_lights(raw_root / NIGHT_LIGHTS_FILE), regency, raw_root)
            step(f"assembled the night-lights panel: {len(lights):,} rows x {lights.shape[1]} columns")
        write_text(out / "DATA_DICTIONARY.md",
                   data_dictionary(regency, _units(regency_log), province, _units(province_log), lights))
        step("wrote DATA_DICTIONARY.md")
        write_csv(_plain(regency), out / "panel.csv")
        write_csv(_plain(province), out / "province_panel.csv")
        step("wrote panel.csv and province_panel.csv")
        # Parquet last: its stored hash marks the whole build as complete.
        _write_parquet(province, out / "province_panel.parquet", digest)
        _write_parquet(regency, out / "panel.parquet", digest)
        step(f"wrote panel.parquet and province_panel.parquet in {out}")
    return out / "panel.parquet"


def _load(name: str, build_if_missing: bool) -> pd.DataFrame:
    path = processed_dir() / name
    if packaged():
        # An installed package reads the panels bundled at build time; it has no series to rebuild from.
        if not path.exists():
            raise FileNotFoundError(missing_data_advice(path))
        return pd.read_parquet(path)
    if build_if_missing:
        raw_root = raw_dir()
        if not path.exists() or stored_hash(path) != input_hash(raw_root):
            build_panel(force=True)
    elif not path.exists():
        raise FileNotFoundError(missing_data_advice(path))
    elif stored_hash(path) != input_hash(raw_dir()):
        warnings.warn(f"{path} is older than data/raw or the build code; run `sosek-impact build`",
                      stacklevel=3)
    return pd.read_parquet(path)


def load_panel(build_if_missing: bool = True) -> pd.DataFrame:
    """The regency × year panel (``data/processed/panel.parquet``).

    Parameters
    ----------
    build_if_missing
        Build the panel if it is missing or out of date (``data/raw`` or the build code changed since
        it was built). If ``False``, a missing panel raises ``FileNotFoundError`` and an out-of-date one
        is returned with a warning. In an installed package (no clone, no ``SOSEK_IMPACT_ROOT``) the panel
        bundled at build time is read as it is.

    Returns
    -------
    pandas.DataFrame
        One row per (``bps_code``, ``year``) on the full grid (missing values stay missing). Columns:
        ``bps_code, year, regency, province_code, province, kind, kalimantan, border, backcast``; the
        variables ``grdp`` (billion IDR, constant 2010 prices), ``population`` (persons), ``grdp_pc``
        (thousand IDR per person; quarcs_districts 2000–2017 then idn514), ``grdp_pc_idn514``,
        ``poverty_rate`` (%), ``hdi`` (index) and the cross-section extras; and for each variable
        ``<var>_source``, ``<var>_flag``, ``<var>_source_row``. See ``data/processed/DATA_DICTIONARY.md``.
    """
    return _load("panel.parquet", build_if_missing)


def load_province_panel(build_if_missing: bool = True) -> pd.DataFrame:
    """The province × year panel (``data/processed/province_panel.parquet``).

    Returns
    -------
    pandas.DataFrame
        One row per (``province_code``, ``year``), province code 0 = Indonesia (drop it before using
        provinces as donors). Columns ``province, gdp_pc`` (thousand IDR per person, 1983–2017),
        ``food_exp, nonfood_exp, total_exp`` (IDR per person per month, nominal, 2017–2025),
        ``food_share`` (= food_exp / total_exp, a fraction 0–1) and the provenance columns.
    """
    return _load("province_panel.parquet", build_if_missing)
