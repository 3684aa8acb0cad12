"""Which source gives the panel's value when several sources hold the same variable and year.

Choices (documented in ``docs/panel.md`` and restated in ``validation.md``):

* ``grdp``, ``population``: QuaRCS districts (``quarcs_districts``, 2000–2017); the DAPOER 2019
  population fills 2019 only.
* ``grdp_pc``: QuaRCS districts for 2000–2017 (consistent with ``grdp`` / ``population`` of the same
  source), then ``idn514_gdp_pc`` for 2018–2024. ``grdp_pc_source`` says which one a row holds; the
  whole ``idn514_gdp_pc`` series 2000–2024 is also kept as ``grdp_pc_idn514`` for analyses that want
  a single source from end to end.
* ``poverty_rate``, ``hdi``: the BPS yearly tables (``bps_p0_YYYY``, ``bps_ipm_YYYY``, 2020–2024)
  first, then DAPOER 2019 (the only source for 2019), then the ~2021 Kaggle copy
  (``kemiskinan_2021``, year inferred). Values a lower-ranked source gives for a cell already filled
  are not used: they are compared with the chosen value in ``validation.md``.
* ``unemployment_rate``: ``quarcs_okun`` (2008–2020), then ``kemiskinan_2021`` (2021): one column,
  the source of each value in ``unemployment_rate_source``.
* ``mean_years_schooling``: ``quarcs_mys`` (population 25+, 2010–2018); the ~2021 Kaggle copy
  measures the population 15+ (another unit), so it becomes ``mean_years_schooling_kemiskinan_2021``.
* ``poverty_rate_wb``, ``poverty_gap_wb``, ``poverty_line_wb``, ``hdi_old_method_wb``: the World Bank
  INDO-DAPOER export only (2002–2014), kept apart from the BPS ``poverty_rate`` / new-method ``hdi``.
* Any other variable: the order of :data:`DEFAULT_ORDER`, then source id alphabetically.

A variable whose rows come in different units is never mixed: rows in a unit other than that of its
first-ranked source become a column of their own, ``<variable>_<source_id>``.
"""

from __future__ import annotations

import pandas as pd

#: Second GRDP-per-capita source, kept whole as its own column.
IDN514 = "idn514_gdp_pc"
IDN514_COLUMN = "grdp_pc_idn514"

#: Source order per variable (prefix match on ``source_id``; earlier wins).
PRIORITY: dict[str, tuple[str, ...]] = {
    "grdp": ("quarcs_districts",),
    "population": ("quarcs_districts", "dapoer_2019"),
    "grdp_pc": ("quarcs_districts", IDN514),
    "poverty_rate": ("bps_p0_", "dapoer_2019", "kemiskinan_2021"),
    "hdi": ("bps_ipm_", "dapoer_2019", "kemiskinan_2021"),
    "unemployment_rate": ("quarcs_okun", "kemiskinan_2021"),
    "mean_years_schooling": ("quarcs_mys", "kemiskinan_2021"),
}
DEFAULT_ORDER: tuple[str, ...] = ("quarcs_", "bps_", "dapoer_", "kemiskinan_", "idn514_")


def source_rank(variable: str, source_id: str) -> int:
    """Rank of ``source_id`` for ``variable`` (0 = preferred)."""
    order = PRIORITY.get(variable, DEFAULT_ORDER)
    for i, prefix in enumerate(order):
        if source_id.startswith(prefix):
            return i
    return len(order)


def split_units(long: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rename rows whose unit differs from the unit of the variable's first-ranked source.

    Returns a copy with a ``column`` holding the panel column each row feeds.
    """
    out = long.copy()
    pairs = out[["variable", "source_id"]].astype(str).drop_duplicates()
    ranks = {(v, s): source_rank(v, s) for v, s in zip(pairs["variable"], pairs["source_id"])}
    keys = pd.MultiIndex.from_frame(out[["variable", "source_id"]].astype(str))
    out["rank"] = pd.Series(ranks).reindex(keys).to_numpy(dtype="int64")
    out["column"] = out["variable"].astype(str)
    first = out.sort_values(["variable", "rank", "source_id"]).groupby("variable", sort=True).head(1)
    main_unit = dict(zip(first["variable"], first["unit"].fillna("")))
    other = out["unit"].fillna("").to_numpy() != out["variable"].map(main_unit).fillna("").to_numpy()
    out.loc[other, "column"] = out.loc[other, "variable"].astype(str) + "_" + out.loc[other, "source_id"].astype(str)
    return out


def choose(long: pd.DataFrame, key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split long rows into the chosen value per (key, column) and the alternatives not used.

    Parameters
    ----------
    long
        Output of :func:`split_units` (needs ``column``, ``rank``, ``source_id``).
    key
        Unit and year columns, e.g. ``["bps_code", "year"]``.

    Returns
    -------
    chosen, alternatives
        ``chosen`` has one row per (key, column); ``alternatives`` holds every other row with the
        chosen value beside it (``chosen_value``, ``chosen_source``) for the validation report.
    """
    ordered = long.sort_values(key + ["column", "rank", "source_id"], kind="mergesort")
    first = ~ordered.duplicated(key + ["column"], keep="first")
    chosen = ordered.loc[first].reset_index(drop=True)
    alternatives = ordered.loc[~first].merge(
        chosen[key + ["column", "value", "source_id"]].rename(
            columns={"value": "chosen_value", "source_id": "chosen_source"}),
        on=key + ["column"], how="left",
    )
    return chosen, alternatives.reset_index(drop=True)
