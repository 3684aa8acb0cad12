"""``validation.md``: what the built panels contain and where the sources disagree.

Nothing here changes a value: every check reports. Breaks, gaps and disagreements are listed so a
reader can judge them; none is smoothed or repaired.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..harmonise.crosswalk import STABLE_FROM_YEAR
from ..registry import read_table
from .assemble import BuildLog
from .choice import IDN514, IDN514_COLUMN, PRIORITY
from .markdown import table
from .validate_welfare import welfare_sections, welfare_summary

#: Plausible closed ranges; values outside are listed (not changed).
RANGES: dict[str, tuple[float, float]] = {
    "grdp": (0.0, np.inf), "population": (1.0, np.inf), "grdp_pc": (0.0, np.inf),
    IDN514_COLUMN: (0.0, np.inf), "poverty_rate": (0.0, 100.0), "hdi": (0.0, 100.0),
    "unemployment_rate": (0.0, 100.0), "labour_force_participation": (0.0, 100.0),
    "electricity_access": (0.0, 100.0), "water_access": (0.0, 100.0), "sanitation_access": (0.0, 100.0),
    "drinking_water_access": (0.0, 100.0), "literacy_rate": (0.0, 100.0), "life_expectancy": (20.0, 100.0),
    "mean_years_schooling": (0.0, 20.0), "mean_years_schooling_kemiskinan_2021": (0.0, 20.0),
    "poverty_rate_wb": (0.0, 100.0), "poverty_gap_wb": (0.0, 100.0), "poverty_line_wb": (0.0, np.inf),
    "hdi_old_method_wb": (0.0, 100.0), "population_wb": (1.0, np.inf), "gdp_pc": (0.0, np.inf), "food_exp": (0.0, np.inf),
    "nonfood_exp": (0.0, np.inf), "total_exp": (0.0, np.inf), "food_share": (0.0, 1.0),
}
#: A year-on-year change this far (relative) from the median change of that year is a level break.
BREAK_THRESHOLD = 0.10
#: Absolute tolerance for "disagreement" between sources of a rate in percent / an index.
DISAGREE_ABS = {"poverty_rate": 0.1, "hdi": 0.1}
DISAGREE_REL = 0.01


def _variables(panel: pd.DataFrame) -> list[str]:
    return [c[: -len("_source")] for c in panel.columns if c.endswith("_source") and c[: -len("_source")] in panel]


def accounting(name: str, log: BuildLog, panel: pd.DataFrame, key: list[str]) -> str:
    ok = log.rows_in == log.rows_used + log.rows_reported
    rows = pd.DataFrame([{
        "input": name, "rows in": log.rows_in, "used in the panel": log.rows_used,
        "reported below (value of a lower-ranked source)": log.rows_reported,
        "rows in = used + reported": ok,
    }])
    n_units = panel[key[0]].nunique()
    n_years = panel["year"].nunique()
    return (table(rows) + f"\nPanel: {len(panel)} rows = {n_units} units × {n_years} years "
            f"({int(panel['year'].min())}–{int(panel['year'].max())}); duplicate keys {key}: "
            f"{int(panel.duplicated(key).sum())}.\n")


def ranges(panel: pd.DataFrame, id_cols: list[str]) -> str:
    out, offenders = [], []
    for v in _variables(panel):
        x = panel[v]
        lo, hi = RANGES.get(v, (-np.inf, np.inf))
        bad = x.notna() & ((x < lo) | (x > hi))
        out.append({"variable": v, "n": int(x.notna().sum()), "min": x.min(), "median": x.median(),
                    "max": x.max(), "admissible": f"[{lo:g}, {hi:g}]" if v in RANGES else "(not checked)",
                    "outside": int(bad.sum())})
        for _, r in panel.loc[bad].head(10).iterrows():
            offenders.append({**{c: r[c] for c in id_cols}, "variable": v, "value": r[v],
                              "source": r[f"{v}_source"], "source_row": r[f"{v}_source_row"]})
    text = table(pd.DataFrame(out))
    text += "\nValues outside their admissible range (first 10 per variable; kept as published):\n\n"
    return text + table(pd.DataFrame(offenders))


def consistency(panel: pd.DataFrame, log: BuildLog) -> str:
    units = log.chosen.drop_duplicates("column").set_index("column")["unit"].to_dict()
    d = panel.loc[(panel["grdp_pc_source"] == "quarcs_districts") & panel["grdp"].notna()
                  & panel["population"].notna()].copy()
    text = (f"Units: grdp in {units.get('grdp', '?')}, population in {units.get('population', '?')}, grdp_pc in "
            f"{units.get('grdp_pc', '?')}. Implied GRDP per capita = grdp × 10^6 / population "
            "(billion IDR → thousand IDR per person). Relative gap = published / implied − 1, rows where "
            "all three come from quarcs_districts.\n\n")
    if d.empty:
        return text + "_(no rows with all three values)_\n"
    d["implied"] = d["grdp"] * 1e6 / d["population"]
    d["gap"] = d["grdp_pc"] / d["implied"] - 1
    a = d["gap"].abs()
    q = a.quantile([0.5, 0.9, 0.99]).to_numpy()
    summary = pd.DataFrame([{"rows": len(d), "median |gap|": q[0], "p90 |gap|": q[1], "p99 |gap|": q[2],
                             "max |gap|": a.max(), "share |gap| > 0.1 %": (a > 0.001).mean(),
                             "share |gap| > 1 %": (a > 0.01).mean()}])
    worst = d.assign(abs_gap=a).sort_values(["abs_gap", "bps_code", "year"], ascending=[False, True, True]).head(10)
    worst = worst[["bps_code", "regency", "year", "grdp", "population", "grdp_pc", "implied", "gap"]]
    return text + table(summary, 3) + "\nLargest gaps:\n\n" + table(worst, 6)


def two_sources(panel: pd.DataFrame) -> str:
    d = panel.loc[(panel["grdp_pc_source"] == "quarcs_districts") & panel[IDN514_COLUMN].notna()].copy()
    text = ("Common years of `quarcs_districts` (panel `grdp_pc` 2000–2017) and `idn514_gdp_pc` "
            "(`grdp_pc_idn514`). Relative gap = idn514 / quarcs − 1.\n\n")
    if d.empty:
        return text + "_(no common rows)_\n"
    d["gap"] = d[IDN514_COLUMN] / d["grdp_pc"] - 1
    by_year = []
    for year, g in d.groupby("year", sort=True):
        a = g["gap"].abs()
        by_year.append({"year": int(year), "n": len(g), "correlation": g["grdp_pc"].corr(g[IDN514_COLUMN]),
                        "median |gap|": a.median(), "p95 |gap|": a.quantile(0.95), "max |gap|": a.max(),
                        "share |gap| > 1 %": (a > 0.01).mean()})
    d["abs_gap"] = d["gap"].abs()
    worst = (d.groupby(["bps_code", "regency"], sort=True)["abs_gap"].agg(["mean", "max"]).reset_index()
             .sort_values(["mean", "bps_code"], ascending=[False, True]).head(10))
    worst.columns = ["bps_code", "regency", "mean |gap|", "max |gap|"]
    last = d.loc[d["year"] == d["year"].max()]
    splice = (f"\nSplice: the panel's `grdp_pc` switches from quarcs_districts to idn514_gdp_pc after "
              f"{int(d['year'].max())}; in that year the median |gap| between them is "
              f"{last['abs_gap'].median():.4f} and {int((last['abs_gap'] > 0.05).sum())} regencies differ by more "
              "than 5 %. Use `grdp_pc_idn514` for a single-source series 2000–2024.\n")
    return (text + table(pd.DataFrame(by_year), 4) + "\nRegencies with the largest mean gap:\n\n"
            + table(worst, 4) + splice)


def level_breaks(panel: pd.DataFrame, variable: str = IDN514_COLUMN) -> str:
    d = panel[["bps_code", "regency", "year", variable]].dropna().sort_values(["bps_code", "year"])
    d["prev"] = d.groupby("bps_code")[variable].shift()
    d["prev_year"] = d.groupby("bps_code")["year"].shift()
    d = d.loc[d["prev"].notna() & (d["prev_year"] == d["year"] - 1)].copy()
    d["change"] = d[variable] / d["prev"] - 1
    d["year_median"] = d.groupby("year")["change"].transform("median")
    d["excess"] = d["change"] - d["year_median"]
    breaks = d.loc[d["excess"].abs() > BREAK_THRESHOLD]
    text = (f"Year-on-year change of `{variable}` that departs from the median change of all regencies "
            f"in that year by more than {BREAK_THRESHOLD:.0%}. Reported, never smoothed.\n\n")
    per_year = (d.groupby("year").agg(regencies=("change", "size"), median_change=("change", "median"))
                .join(breaks.groupby("year").size().rename("breaks")).fillna({"breaks": 0}).reset_index())
    per_year["years"] = (per_year["year"] - 1).astype(str) + "→" + per_year["year"].astype(str)
    per_year["breaks"] = per_year["breaks"].astype(int)
    text += table(per_year[["years", "regencies", "median_change", "breaks"]], 3)
    listing = breaks.assign(years=(breaks["year"] - 1).astype(str) + "→" + breaks["year"].astype(str))
    listing = listing.sort_values(["year", "bps_code"])[["bps_code", "regency", "years", "prev", variable,
                                                          "change", "year_median"]]
    listing.columns = ["bps_code", "regency", "years", "from", "to", "change", "median change that year"]
    return text + f"\nAll {len(listing)} breaks:\n\n" + table(listing, 3)


def coverage(panel: pd.DataFrame) -> str:
    rows = []
    for v in _variables(panel):
        share = panel.groupby("year")[v].apply(lambda s: s.notna().mean())
        years = share.index[share > 0]
        row = {"variable": v, "years with data": (f"{int(years.min())}–{int(years.max())}" if len(years) else ""),
               "n values": int(panel[v].notna().sum())}
        row.update({str(int(y)): f"{100 * s:.0f}" for y, s in share.items() if s > 0})
        rows.append(row)
    df = pd.DataFrame(rows)
    year_cols = sorted((c for c in df.columns if c.isdigit()), key=int)
    df = df[["variable", "years with data", "n values", *year_cols]].fillna("")
    return "Share of units with a value (%), by year (years without any value omitted):\n\n" + table(df)


def backcast(panel: pd.DataFrame) -> str:
    d = panel.loc[panel["backcast"].fillna(False).to_numpy(dtype=bool)]
    if d.empty:
        return "_(no back-cast rows)_\n"
    vars_ = _variables(panel)
    g = d.groupby(["bps_code", "regency"], sort=True).agg(first=("year", "min"), last=("year", "max")).reset_index()
    g["values flagged"] = [int(d.loc[d["bps_code"] == c, vars_].notna().sum().sum()) for c in g["bps_code"]]
    return ("Rows for years before the regency existed (creation year from `registry_regency_splits.csv`, "
            "or a value the extract flags `backcast`); their values are the source's back-cast and carry the "
            "flag `backcast`:\n\n" + table(g))


def disagreements(log: BuildLog, id_col: str) -> str:
    alt = log.alternatives
    alt = alt.loc[~((alt["column"] == "grdp_pc") & (alt["source_id"] == IDN514))]  # covered above
    if alt.empty:
        return "_(no cell has values from more than one source)_\n"
    alt = alt.copy()
    alt["diff"] = alt["value"] - alt["chosen_value"]
    rel = (alt["value"] / alt["chosen_value"] - 1).abs()
    tol_abs = alt["column"].map(DISAGREE_ABS)
    alt["disagree"] = np.where(tol_abs.notna(), alt["diff"].abs() > tol_abs.fillna(0), rel > DISAGREE_REL)
    summary = (alt.groupby(["column", "year", "chosen_source", "source_id"], sort=True)
               .agg(n=("diff", "size"), median_abs_diff=("diff", lambda s: s.abs().median()),
                    max_abs_diff=("diff", lambda s: s.abs().max()), disagreeing=("disagree", "sum"))
               .reset_index())
    summary.columns = ["variable", "year", "used", "not used", "cells", "median |diff|", "max |diff|",
                       "cells beyond tolerance"]
    alt["abs"] = alt["diff"].abs()
    worst = (alt.loc[alt["disagree"]].sort_values(["column", "abs", id_col], ascending=[True, False, True])
             .groupby("column").head(10))
    worst = worst[[id_col, "year", "column", "chosen_source", "chosen_value", "source_id", "value", "diff"]]
    worst.columns = [id_col, "year", "variable", "used", "used value", "not used", "value", "diff"]
    tol = ", ".join(f"{k} {v:g}" for k, v in DISAGREE_ABS.items())
    return (f"Cells where a lower-ranked source also has a value (source order: "
            f"{'; '.join(f'{k}: ' + ' > '.join(v) for k, v in PRIORITY.items())}). Tolerance: "
            f"absolute {tol}; relative {DISAGREE_REL:.0%} otherwise.\n\n" + table(summary, 3)
            + "\nLargest disagreements (10 per variable):\n\n" + table(worst, 4))


def flag_counts(panel: pd.DataFrame) -> str:
    rows = []
    for v in _variables(panel):
        flags = panel[f"{v}_flag"].dropna().str.split(";").explode()
        for marker, n in flags.value_counts().sort_index().items():
            rows.append({"variable": v, "flag": marker, "values": int(n)})
    return table(pd.DataFrame(rows))


def unverified_registry(root) -> str:
    rows = []
    for name, id_col in (("border_regencies", "bps_code"), ("events", "event_id"),
                         ("regency_splits", "child_bps_code"), ("code_changes", "old_bps_code")):
        t = read_table(name, root)
        for rid in t.loc[t["confidence"] == "unverified", id_col]:
            rows.append({"registry table": name, "row": rid})
    return ("Registry rows marked `unverified` are not used by the build (back-cast marks, border flags):\n\n"
            + table(pd.DataFrame(rows)))


def food_consistency(panel: pd.DataFrame) -> str:
    d = panel.loc[panel[["food_exp", "nonfood_exp", "total_exp"]].notna().all(axis=1)].copy()
    if d.empty:
        return "_(no rows with food, non-food and total expenditure)_\n"
    d["gap"] = (d["food_exp"] + d["nonfood_exp"]) / d["total_exp"] - 1
    a = d["gap"].abs()
    worst = d.assign(a=a).sort_values(["a", "province_code", "year"], ascending=[False, True, True]).head(5)
    return (f"food_exp + nonfood_exp vs total_exp over {len(d)} rows: median |gap| {a.median():.2e}, "
            f"max |gap| {a.max():.2e}.\n\n"
            + table(worst[["province_code", "province", "year", "food_exp", "nonfood_exp", "total_exp", "gap"]], 6))


def summary(regency: pd.DataFrame, log: BuildLog, province: pd.DataFrame) -> str:
    """Bullet list of the main findings, computed from the same data as the sections below."""
    out = []
    out.append(f"- Regency panel: {len(regency)} rows, {regency['bps_code'].nunique()} regencies, "
               f"{int(regency['year'].min())}–{int(regency['year'].max())}; duplicate keys: "
               f"{int(regency.duplicated(['bps_code', 'year']).sum())}; every input row used or reported: "
               f"{'yes' if log.rows_in == log.rows_used + log.rows_reported else 'NO'}.")
    outside = 0
    for v in _variables(regency):
        if v in RANGES:
            lo, hi = RANGES[v]
            outside += int(((regency[v] < lo) | (regency[v] > hi)).sum())
    out.append(f"- Values outside their admissible range: {outside}.")
    d = regency.loc[(regency["grdp_pc_source"] == "quarcs_districts") & regency["grdp"].notna()
                    & regency["population"].notna()]
    if len(d):
        gap = (d["grdp_pc"] / (d["grdp"] * 1e6 / d["population"]) - 1).abs()
        verdict = "consistent up to rounding" if gap.max() < 1e-3 else "some rows inconsistent: see below"
        out.append(f"- Published GRDP per capita vs GRDP / population: max relative gap {gap.max():.1e} "
                   f"over {len(d)} rows ({verdict}).")
    both = regency.loc[(regency["grdp_pc_source"] == "quarcs_districts") & regency[IDN514_COLUMN].notna()]
    if len(both):
        gap = (both[IDN514_COLUMN] / both["grdp_pc"] - 1).abs()
        by_year = gap.groupby(both["year"]).apply(lambda g: (g > 0.01).mean())
        differing = [int(y) for y, share in by_year.items() if share > 0]
        out.append("- The two GRDP-per-capita sources agree within 1 % for every regency in "
                   f"{', '.join(str(int(y)) for y, share in by_year.items() if share == 0) or 'no year'}; "
                   f"they differ by more than 1 % for some regencies in {', '.join(map(str, differing)) or 'no year'}.")
    series = regency[["bps_code", "year", IDN514_COLUMN]].dropna().sort_values(["bps_code", "year"])
    change = series.groupby("bps_code")[IDN514_COLUMN].pct_change()
    excess = change - change.groupby(series["year"]).transform("median")
    n_breaks = (excess.abs() > BREAK_THRESHOLD).groupby(series["year"]).sum()
    if len(n_breaks):
        worst_year = int(n_breaks.idxmax())
        out.append(f"- Level breaks in idn514 GRDP per capita: {int(n_breaks.sum())} in all; the most in "
                   f"{worst_year - 1}→{worst_year} ({int(n_breaks.max())} regencies, median change that year "
                   f"{change[series['year'] == worst_year].median():+.1%}). Reported, not smoothed.")
    bc = regency["backcast"].fillna(False).to_numpy(dtype=bool)
    out.append(f"- Back-cast rows (regency not yet created): {int(bc.sum())} rows of "
               f"{regency.loc[bc, 'bps_code'].nunique()} regencies, flagged `backcast`. Known only where the registry "
               f"records the splits (provinces 61, 64, 65) or the source marks a value: "
               f"{int(regency['backcast'].isna().sum())} rows elsewhere before {STABLE_FROM_YEAR} are unknown (missing), "
               "not assumed false.")
    out.extend(welfare_summary(regency))
    fs = province["food_share"].dropna()
    if len(fs):
        out.append(f"- Province food share: {len(fs)} province-years, range {fs.min():.3f}–{fs.max():.3f} "
                   "(fraction of total expenditure).")
    return "\n".join(out) + "\n"


def validation_report(regency: pd.DataFrame, regency_log: BuildLog, province: pd.DataFrame,
                      province_log: BuildLog, root, input_hash: str) -> str:
    """The full ``validation.md`` text (deterministic: no clock, no paths of the machine)."""
    parts = [
        "# Validation of the built panels\n",
        "Written by `sosek_impact.panel.build_panel` from `data/raw` (input hash "
        f"`{input_hash[:16]}`). Every check reports; no value is changed because of it.\n",
        "## Summary\n", summary(regency, regency_log, province),
        "## Regency panel (`panel.parquet`)\n",
        "### Rows in = rows out + rows reported\n", accounting("regency_series.csv", regency_log, regency,
                                                             ["bps_code", "year"]),
        "### Ranges\n", ranges(regency, ["bps_code", "regency", "year"]),
        "### Internal consistency: published GRDP per capita vs GRDP / population\n",
        consistency(regency, regency_log),
        "### Agreement of the two GRDP-per-capita sources\n", two_sources(regency),
        "### Level breaks in the idn514 GRDP-per-capita series\n", level_breaks(regency),
        "### Source disagreements (poverty rate, HDI and others)\n", disagreements(regency_log, "bps_code"),
        "### Coverage by variable and year\n", coverage(regency),
        *welfare_sections(regency),
        "### Back-cast rows\n", backcast(regency),
        "### Flags carried from the sources\n", flag_counts(regency),
        "## Province panel (`province_panel.parquet`)\n",
        "### Rows in = rows out + rows reported\n", accounting("province_series.csv", province_log, province,
                                                             ["province_code", "year"]),
        "### Ranges\n", ranges(province, ["province_code", "province", "year"]),
        "### Food + non-food = total\n", food_consistency(province),
        "### Source disagreements\n", disagreements(province_log, "province_code"),
        "### Coverage by variable and year\n", coverage(province),
        "### Flags carried from the sources\n", flag_counts(province),
        "## Registry\n", unverified_registry(root),
    ]
    return "\n".join(parts)
