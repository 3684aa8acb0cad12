"""Add a BPS table a user downloaded (food share, expenditure, poverty …) to a panel in one call."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DuplicateKeyError, InputError

def _collapse_repeats(rows: pd.DataFrame, key_col: str, path: Path, counts: dict[str, int]) -> pd.DataFrame:
    """Keep one row per (unit, year) where BPS lists a regency twice with the same or one missing value.

    BPS tables list the regencies of the new Papua provinces twice (under the old and the new province),
    with the same value or with "-" in one place. Such repeats collapse to the row with a value (counted
    in ``duplicates_collapsed``); two different values for the same unit and year raise.
    """
    dup = rows.duplicated([key_col, "year"], keep=False)
    counts["duplicates_collapsed"] = 0
    if not dup.any():
        return rows
    for (code, year), g in rows.loc[dup].groupby([key_col, "year"], sort=True):
        values = g["value"].dropna().unique()
        if len(values) > 1:
            r = g.iloc[1]
            raise DuplicateKeyError(f"two rows give different values for {key_col} {int(code)} in {int(year)}",
                                    file=path, row=r["source_row"], column="region", value=r["region"])
    rows = rows.assign(_missing=rows["value"].isna()).sort_values([key_col, "year", "_missing", "source_row"],
                                                                   kind="mergesort")
    keep = ~rows.duplicated([key_col, "year"], keep="first")
    counts["duplicates_collapsed"] = int((~keep).sum())
    return rows.loc[keep].drop(columns="_missing").sort_values("source_row", kind="mergesort")


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
        Names that match no regency (or province) — all of them, each with its closest matches
        (names are resolved by :func:`sosek_impact.harmonise.resolve_regencies` within their province
        block, with the harmoniser's aliases).
    DuplicateKeyError
        Two rows of the table give different values for the same unit and year (a repeat with the
        same value, or with one of the two missing, is collapsed and counted).
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

    from ..harmonise import resolve_provinces, resolve_regencies

    is_province = table["is_province"].fillna(False).astype(bool)
    is_national = table["is_national"].fillna(False).astype(bool)
    counts = {"rows_read": len(table), "province_rows_dropped": 0, "national_rows_dropped": 0}
    if level == "regency":
        counts["province_rows_dropped"] = int((is_province & ~is_national).sum())
        counts["national_rows_dropped"] = int(is_national.sum())
        rows = table.loc[~is_province & ~is_national].copy()
        key_col = "bps_code"
        blocks = rows["province_block"] if "province_block" in rows else None
        codes = resolve_regencies(rows["region"], None if blocks is None else list(blocks), file=path,
                                  column="region", rows=list(rows["source_row"]))
    else:
        rows = table.loc[is_province | is_national].copy()
        counts["regency_rows_dropped"] = int(len(table) - len(rows))
        key_col = "province_code"
        codes = resolve_provinces(rows["region"], file=path, column="region", national=True)
    rows[key_col] = codes.to_numpy(dtype=np.int64)
    rows["year"] = rows["year"].astype(np.int64)
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype("float64")
    rows = _collapse_repeats(rows, key_col, path, counts)

    new = pd.DataFrame({
        key_col: rows[key_col].to_numpy(), "year": rows["year"].to_numpy(),
        variable: rows["value"].to_numpy(),
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
