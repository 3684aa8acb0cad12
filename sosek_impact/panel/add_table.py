"""Add a BPS table a user downloaded (food share, expenditure, poverty …) to a panel in one call."""

from __future__ import annotations

import difflib
import re
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DuplicateKeyError, InputError, UnknownRegionError
from ..paths import raw_dir

_PREFIXES = {"kabupaten": "kabupaten", "kab": "kabupaten", "regency": "kabupaten", "kota": "kota", "city": "kota"}


def _words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^0-9a-z]+", " ", text).split()


def _key(name: str) -> str:
    return "".join(_words(name))


def _parse(name: str) -> tuple[str | None, str, str]:
    """(kind hint, key without prefix/suffix, key of the whole name)."""
    w = _words(name)
    full = "".join(w)
    if len(w) > 1 and w[0] in _PREFIXES:
        return _PREFIXES[w[0]], "".join(w[1:]), full
    if len(w) > 1 and w[-1] in _PREFIXES:
        return _PREFIXES[w[-1]], "".join(w[:-1]), full
    return None, full, full


class _Resolver:
    """Map (province block, name) as written in a BPS table to today's BPS codes."""

    def __init__(self, root: Path | None = None) -> None:
        root = Path(root or raw_dir())
        self.regencies = pd.read_csv(root / "regencies.csv", dtype={"bps_code": int, "province_code": int})
        provinces = pd.read_csv(root / "provinces.csv", dtype={"province_code": int})
        self.province_keys: dict[str, int] = {"indonesia": 0}
        for col in ("province", "province_en"):
            for name, code in zip(provinces[col], provinces["province_code"]):
                if isinstance(name, str):
                    self.province_keys[_key(name)] = int(code)
        self.province_names = dict(zip(provinces["province_code"].astype(int), provinces["province"]))

    def province(self, name: str) -> int | None:
        return self.province_keys.get(_key(name))

    def regency(self, name: str, province_code: int | None) -> int | None:
        cand = self.regencies
        if province_code is not None:
            cand = cand.loc[cand["province_code"] == province_code]
        kind, bare, full = _parse(name)
        exact = cand.loc[cand["name"].map(_key) == full]
        if len(exact) == 1 and (kind is None or exact["kind"].iloc[0] == kind or full.startswith("kota")):
            return int(exact["bps_code"].iloc[0])
        parsed = cand["name"].map(_parse)
        bare_match = cand.loc[[p[1] == bare for p in parsed]]
        if kind is not None:
            bare_match = bare_match.loc[bare_match["kind"] == kind]
        elif len(bare_match) > 1:  # "Sambas" alone means the kabupaten, not a city of the same name
            bare_match = bare_match.loc[bare_match["kind"] == "kabupaten"]
        return int(bare_match["bps_code"].iloc[0]) if len(bare_match) == 1 else None

    def closest(self, name: str, province_code: int | None) -> list[str]:
        cand = self.regencies if province_code is None else self.regencies.loc[
            self.regencies["province_code"] == province_code]
        labels = [f"{n} ({c})" for n, c in zip(cand["name"], cand["bps_code"])]
        keys = [_key(n) for n in cand["name"]]
        hits = difflib.get_close_matches(_parse(name)[1], keys, n=3, cutoff=0.5)
        return [labels[keys.index(h)] for h in hits]


def add_bps_table(path: str | Path, variable: str, *, level: str = "regency", panel: pd.DataFrame | None = None,
                  source_variable: str | None = None, **read_kwargs) -> pd.DataFrame:
    """Read a BPS table and add it to a panel as a new column with its provenance.

    Parameters
    ----------
    path
        CSV or XLSX as exported from the BPS website (wide or long; read with
        :func:`sosek_impact.io.read_bps_table`).
    variable
        Name of the new column (snake case, e.g. ``"food_share_regency"``).
    source_variable
        For a table with several variables (e.g. food and non-food columns), the published label of
        the one to add; not needed for a one-variable table.
    level
        ``"regency"``: regency/city rows are merged on (``bps_code``, ``year``); province and national
        rows of the table are dropped (and counted). ``"province"``: province rows (and the national row
        as province code 0) are merged on (``province_code``, ``year``).
    panel
        The panel to extend; default :func:`sosek_impact.load_panel` (or
        :func:`sosek_impact.load_province_panel` for ``level="province"``).
    **read_kwargs
        Passed to ``read_bps_table`` (``decimal=``, ``year=``, …).

    Returns
    -------
    pandas.DataFrame
        A copy of the panel with ``<variable>``, ``<variable>_source`` (file name),
        ``<variable>_flag`` and ``<variable>_source_row``. ``attrs["add_bps_table"]`` counts rows read,
        merged, dropped as province/national rows and outside the panel.

    Raises
    ------
    UnknownRegionError
        Names that match no regency (or province) — all of them, each with its closest matches.
    DuplicateKeyError
        Two rows of the table give the same unit and year.
    ValueError
        ``variable`` already is a column of the panel, or the table's variables do not include it.
    """
    from ..io import read_bps_table

    if level not in {"regency", "province"}:
        raise ValueError(f"level must be 'regency' or 'province', got {level!r}")
    if panel is None:
        from .store import load_panel, load_province_panel

        panel = load_panel() if level == "regency" else load_province_panel()
    if variable in panel.columns:
        raise ValueError(f"the panel already has a column {variable!r}")
    path = Path(path)
    table = read_bps_table(path, **read_kwargs)
    names = sorted(set(map(str, table["variable"].dropna())))
    if source_variable is not None:
        if source_variable not in names:
            raise ValueError(f"{path.name} has no variable {source_variable!r}; it has {names}")
        table = table.loc[table["variable"] == source_variable]
    elif len(names) > 1:
        raise ValueError(f"{path.name} holds several variables {names}; pass source_variable= to pick one")
    table = table.reset_index(drop=True)
    if table["year"].isna().any():
        i = int(table["year"].isna().to_numpy().nonzero()[0][0])
        raise InputError("the table gives no year for a value; pass year= to read the table",
                         file=path, row=table["source_row"].iloc[i], column="year")

    resolver = _Resolver()
    is_province = table["is_province"].fillna(False).astype(bool)
    is_national = table["is_national"].fillna(False).astype(bool)
    counts = {"rows_read": len(table), "province_rows_dropped": 0, "national_rows_dropped": 0}
    if level == "regency":
        counts["province_rows_dropped"] = int((is_province & ~is_national).sum())
        counts["national_rows_dropped"] = int(is_national.sum())
        rows = table.loc[~is_province & ~is_national].copy()
        key_col = "bps_code"
    else:
        rows = table.loc[is_province | is_national].copy()
        counts["regency_rows_dropped"] = int(len(table) - len(rows))
        key_col = "province_code"

    codes: list[int | None] = []
    offenders: dict[str, list[str]] = {}
    for region, block, national in zip(rows["region"], rows.get("province_block", pd.Series(index=rows.index)),
                                       rows["is_national"].fillna(False)):
        if level == "province":
            code = 0 if national else resolver.province(region)
            if code is None:
                offenders[str(region)] = difflib.get_close_matches(
                    _key(region), list(resolver.province_keys), n=3, cutoff=0.5)
        else:
            prov = resolver.province(block) if isinstance(block, str) and block.strip() else None
            code = resolver.regency(region, prov)
            if code is None:
                label = f"{region} [{block}]" if isinstance(block, str) else str(region)
                offenders[label] = resolver.closest(region, prov)
        codes.append(code)
    if offenders:
        raise UnknownRegionError(f"{len(offenders)} name(s) in the table match no {level}", file=path,
                                 offenders=offenders)
    rows[key_col] = np.asarray(codes, dtype=np.int64)
    rows["year"] = rows["year"].astype(np.int64)
    dup = rows.duplicated([key_col, "year"], keep=False)
    if dup.any():
        r = rows.loc[dup].iloc[1]
        raise DuplicateKeyError(f"two rows give {key_col} {int(r[key_col])} in {int(r['year'])}", file=path,
                                row=r["source_row"], column="region", value=r["region"])

    new = pd.DataFrame({
        key_col: rows[key_col].to_numpy(), "year": rows["year"].to_numpy(),
        variable: pd.to_numeric(rows["value"], errors="coerce").astype("float64").to_numpy(),
        f"{variable}_source": pd.array([path.name] * len(rows), dtype="string"),
        f"{variable}_flag": pd.array(rows["flag"].where(rows["flag"].notna() & (rows["flag"] != "")), dtype="string"),
        f"{variable}_source_row": pd.array(rows["source_row"], dtype="Int64"),
    })
    keys = pd.MultiIndex.from_frame(panel[[key_col, "year"]].astype(np.int64))
    inside = pd.MultiIndex.from_frame(new[[key_col, "year"]]).isin(keys)
    counts["merged"] = int(inside.sum())
    counts["outside_panel"] = int((~inside).sum())
    if counts["outside_panel"]:
        outside = new.loc[~inside, [key_col, "year"]].head(5).to_records(index=False).tolist()
        warnings.warn(f"{counts['outside_panel']} row(s) of {path.name} fall outside the panel's units/years "
                      f"and are not merged (e.g. {outside})", stacklevel=2)
    out = panel.merge(new.loc[inside], on=[key_col, "year"], how="left", validate="one_to_one")
    out.attrs = {**panel.attrs, "add_bps_table": counts}
    return out
