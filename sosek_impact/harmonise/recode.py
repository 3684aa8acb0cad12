"""The 2012 North Kalimantan recode: Kalimantan Timur codes 64xx → Kalimantan Utara 65xx.

UU 20/2012 carved Kalimantan Utara (65) out of Kalimantan Timur (64); BPS renumbered its five
regencies (Malinau 6406 → 6501, Bulungan 6407 → 6502, Tana Tidung 6410 → 6503, Nunukan
6408 → 6504, Kota Tarakan 6473 → 6571). The table is the registry's ``code_changes.csv``
(``data/raw/registry_code_changes.csv``); old codes are marked ``medium`` confidence there
(inferred from the gaps of the post-2012 list).

Also the 2022 Papua recode (:func:`recode_papua_2022`): the four new provinces renumbered 26
regencies (Merauke 9401 → 9501, Sorong 9107 → 9202, ...); the table
``code_changes_papua_2022.csv`` beside this module was matched by name and province between
the pre-2022 sources (QuaRCS, the idn514 map) and the post-2022 list (idn514 gdp_pc).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import DuplicateKeyError, SchemaError


def north_kalimantan_codes(raw: str | Path | None = None) -> dict[int, int]:
    """Old 64xx code → new 65xx code, from the registry's 2012 code changes."""
    raw = Path(raw) if raw is not None else paths.raw_dir()
    path = raw / "registry_code_changes.csv"
    df = pd.read_csv(path)
    sel = df[(df["from_year"] == 2012) & (df["old_bps_code"] // 100 == 64) & (df["new_bps_code"] // 100 == 65)]
    mapping = dict(zip(sel["old_bps_code"].astype(int), sel["new_bps_code"].astype(int)))
    if len(set(mapping.values())) != len(mapping):
        raise SchemaError("two old codes map to one new code", file=path)
    return mapping


_PAPUA = Path(__file__).with_name("code_changes_papua_2022.csv")


def papua_2022_codes() -> dict[int, int]:
    """Pre-2022 code → post-2022 code of the regencies moved to the new Papua provinces."""
    df = pd.read_csv(_PAPUA)
    return dict(zip(df["old_bps_code"].astype(int), df["new_bps_code"].astype(int)))


def _apply(df: pd.DataFrame, code: str, mapping: dict[int, int], time: str | None) -> pd.DataFrame:
    out = df.copy()
    codes = pd.to_numeric(out[code], errors="raise")
    out[code] = codes.map(lambda c: mapping.get(int(c), c) if pd.notna(c) else c).astype(codes.dtype)
    if time is not None:
        dup = out.duplicated([code, time], keep=False)
        if dup.any():
            first = out[dup].iloc[0]
            raise DuplicateKeyError(
                "the panel holds the same regency under its old and new code",
                row=str(first.name), column=code, value=(int(first[code]), first[time]),
            )
    return out


def recode_papua_2022(df: pd.DataFrame, code: str = "bps_code", *, time: str | None = None, inverse: bool = False) -> pd.DataFrame:
    """Recode a panel coded before the 2022 Papua split (91xx/94xx) to today's codes (92xx, 95–97xx).

    Parameters and errors as :func:`recode_north_kalimantan`. No old code is reused for another
    regency, so the mapping is one-to-one both ways.
    """
    mapping = papua_2022_codes()
    if inverse:
        mapping = {new: old for old, new in mapping.items()}
    return _apply(df, code, mapping, time)


def recode_north_kalimantan(
    df: pd.DataFrame,
    code: str = "bps_code",
    *,
    time: str | None = None,
    inverse: bool = False,
    raw: str | Path | None = None,
) -> pd.DataFrame:
    """Recode a panel coded in the pre-2012 vintage (64xx) to today's codes (65xx).

    Parameters
    ----------
    df
        The panel; not modified.
    code
        Column of 4-digit BPS regency codes.
    time
        Optional time column: when given, a (code, time) pair that occurs twice after the
        recode (the panel mixed both vintages) raises :class:`DuplicateKeyError`.
    inverse
        Map 65xx back to the old 64xx codes (for data to be matched with an old-vintage source).
    raw
        Folder holding the registry extract; default ``data/raw``.

    Returns
    -------
    pandas.DataFrame
        A copy with ``code`` recoded; other codes are unchanged.
    """
    mapping = north_kalimantan_codes(raw)
    if inverse:
        mapping = {new: old for old, new in mapping.items()}
    return _apply(df, code, mapping, time)
