"""``validation.md`` sections on the welfare series: coverage, survey basis, seams between sources.

Reports only; no value is changed. The seams compared: World Bank P0 2002–2014 → (no value
2015–2018) → DAPOER 2019 → BPS 2020–2024; QuaRCS unemployment 2008–2020 → the ~2021 cross-section;
QuaRCS mean years of schooling (25+) 2010–2018 → the ~2021 cross-section (15+); the old-method HDI
(2004–2013) → the new-method HDI (2019–2024).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .comparability import comparability_section, series_comparability
from .markdown import table

WELFARE_COLUMNS = ("poverty_rate_wb", "poverty_gap_wb", "poverty_line_wb", "poverty_rate", "hdi_old_method_wb",
                   "hdi", "unemployment_rate", "mean_years_schooling", "mean_years_schooling_kemiskinan_2021")
#: A year-on-year change of P0 (percentage points) this far from that year's median change is a break.
P0_BREAK_PP = 2.0


def welfare_coverage(panel: pd.DataFrame) -> str:
    """Number of regencies with a value, per welfare column and year (empty = none)."""
    cols = [c for c in WELFARE_COLUMNS if c in panel]
    years = range(2002, int(panel["year"].max()) + 1)
    rows = []
    for c in cols:
        n = panel.loc[panel[c].notna()].groupby("year").size()
        src = panel.loc[panel[c].notna()].groupby("year")[f"{c}_source"].agg(lambda s: ",".join(sorted(set(s))))
        row = {"column": c}
        row.update({str(y): (str(int(n[y])) if y in n.index else "") for y in years})
        row["sources"] = "; ".join(f"{s} {int(g.min())}–{int(g.max())}" for s, g in
                                   src.reset_index().groupby(f"{c}_source")["year"])
        rows.append(row)
    return ("Regencies with a value (of 514), by year; an empty cell is a year without any value (e.g. P0 "
            "2015–2018: no source).\n\n" + table(pd.DataFrame(rows)))


def survey_basis_breaks(panel: pd.DataFrame) -> str:
    """Year-on-year changes of ``poverty_rate_wb``: median and breaks, with the 2010→2011 basis change."""
    if "poverty_rate_wb" not in panel:
        return "_(no poverty_rate_wb)_\n"
    d = panel.loc[panel["poverty_rate_wb"].notna(), ["bps_code", "year", "poverty_rate_wb", "poverty_survey_basis"]]
    d = d.sort_values(["bps_code", "year"])
    d["prev"] = d.groupby("bps_code")["poverty_rate_wb"].shift()
    d["prev_year"] = d.groupby("bps_code")["year"].shift()
    d = d.loc[d["prev"].notna() & (d["prev_year"] == d["year"] - 1)].copy()
    d["change"] = d["poverty_rate_wb"] - d["prev"]
    d["excess"] = d["change"] - d.groupby("year")["change"].transform("median")
    g = d.groupby("year").agg(regencies=("change", "size"), median_change=("change", "median"),
                              sd_change=("change", "std"),
                              breaks=("excess", lambda e: int((e.abs() > P0_BREAK_PP).sum()))).reset_index()
    g["years"] = (g["year"] - 1).astype(str) + "→" + g["year"].astype(str)
    g["share breaks"] = g["breaks"] / g["regencies"]
    seam = g.loc[g["year"] == 2011]
    other = g.loc[g["year"] != 2011]
    note = ""
    if len(seam) and len(other):
        s = seam.iloc[0]
        worst = g.sort_values(["share breaks", "year"], ascending=[False, True]).iloc[0]
        note = (f"\n2010→2011 (survey basis change, flag `basis_susenas_to_2010` → `basis_susenas_from_2011`): "
                f"median change {s.median_change:+.2f} pp, SD {s.sd_change:.2f}, {s['share breaks']:.1%} breaks; "
                f"other years: median SD {other['sd_change'].median():.2f}, median share of breaks "
                f"{other['share breaks'].median():.1%}; the most breaks in {worst.years} "
                f"({worst['share breaks']:.1%}, median change {worst.median_change:+.2f} pp). The panel keeps both sides in one column with the basis "
                "per value in `poverty_survey_basis`; an estimator using 2002–2014 should allow a level shift "
                "at 2011 (year effects absorb a common one).\n")
    return (f"Year-on-year change of `poverty_rate_wb` (percentage points); break = |change − median change "
            f"of the year| > {P0_BREAK_PP:g} pp. Reported, not smoothed.\n\n"
            + table(g[["years", "regencies", "median_change", "sd_change", "breaks", "share breaks"]], 3) + note)


def _pair(panel: pd.DataFrame, a: str, ya: int, b: str, yb: int) -> dict[str, object]:
    x = panel.loc[panel["year"] == ya, ["bps_code", a]].rename(columns={a: "a"})
    y = panel.loc[panel["year"] == yb, ["bps_code", b]].rename(columns={b: "b"})
    m = x.merge(y, on="bps_code").dropna()
    out: dict[str, object] = {"first": f"{a} {ya}", "second": f"{b} {yb}", "regencies": len(m)}
    if len(m) >= 3:
        diff = m["b"] - m["a"]
        out.update({"correlation": float(np.corrcoef(m["a"], m["b"])[0, 1]), "mean_difference": float(diff.mean()),
                    "sd_difference": float(diff.std()), "median_abs_difference": float(diff.abs().median())})
    return out


#: (column, year, column, year, what the comparison shows)
SEAMS = (
    ("unemployment_rate", 2019, "unemployment_rate", 2020, "reference: two years of quarcs_okun"),
    ("unemployment_rate", 2020, "unemployment_rate", 2021, "seam quarcs_okun → kemiskinan_2021"),
    ("mean_years_schooling", 2017, "mean_years_schooling", 2018, "reference: two years of quarcs_mys"),
    ("mean_years_schooling", 2018, "mean_years_schooling_kemiskinan_2021", 2021,
     "25+ (quarcs_mys) vs 15+ (kemiskinan_2021), three years apart: different definitions"),
    ("poverty_rate_wb", 2013, "poverty_rate_wb", 2014, "reference: two years of the World Bank series"),
    ("poverty_rate_wb", 2014, "poverty_rate", 2019, "World Bank 2014 vs DAPOER 2019 (5 years apart; no overlap)"),
    ("poverty_rate", 2019, "poverty_rate", 2020, "DAPOER 2019 vs BPS 2020"),
    ("hdi_old_method_wb", 2013, "hdi", 2019, "old-method HDI vs new-method HDI: never spliced"),
)


def seams(panel: pd.DataFrame) -> str:
    """Overlap and adjacent-year comparisons across the source seams of :data:`SEAMS`."""
    rows = []
    for a, ya, b, yb, what in SEAMS:
        if a in panel and b in panel:
            rows.append({**_pair(panel, a, ya, b, yb), "what": what})
    text = ("Same regency, two years (difference = second − first). No source overlaps another in the same "
            "year for these columns; adjacent years of one source are shown as a reference.\n\n")
    return text + table(pd.DataFrame(rows), 3)


def _flagged(panel: pd.DataFrame, column: str, marker: str) -> pd.Series:
    f = panel[f"{column}_flag"].fillna("").str.contains(rf"(?:^|;){marker}(?:;|$)", regex=True)
    return f & panel[column].notna()


def _runs(years: pd.Series) -> str:
    ys = sorted(int(y) for y in years)
    parts, start = [], ys[0]
    for a, b in zip(ys, ys[1:] + [None]):
        if b != a + 1:
            parts.append(f"{start}" if start == a else f"{start}–{a}")
            start = b
    return ", ".join(parts)


def boundary_flags(panel: pd.DataFrame) -> str:
    """``old_boundary`` (registry splits) and ``boundary_suspected`` (population check) World Bank values."""
    if "poverty_rate_wb" not in panel:
        return "_(no World Bank values)_\n"
    rows = []
    for (code, name), g in panel.loc[_flagged(panel, "poverty_rate_wb", "old_boundary")].groupby(["bps_code", "regency"]):
        rows.append({"bps_code": int(code), "regency": name, "years": _runs(g["year"]), "P0 values": len(g)})
    text = ("`old_boundary`: World Bank values of a parent regency before a child (registry `regency_splits`, "
            "provinces 61, 64, 65) has a value of its own; the parent figure covers the child's area too "
            "(P0 shown; P1, poverty line and old HDI are flagged alike).\n\n" + table(pd.DataFrame(rows)))
    sus = _flagged(panel, "poverty_rate_wb", "boundary_suspected")
    by_year = panel.loc[sus].groupby("year").size()
    wb_years = panel.loc[panel["poverty_rate_wb"].notna()].groupby("year").size()
    counts = pd.DataFrame({"year": wb_years.index.astype(int), "P0 values": wb_years.to_numpy(),
                           "boundary_suspected": by_year.reindex(wb_years.index).fillna(0).astype(int).to_numpy()})
    listing = [{"bps_code": int(c), "regency": n, "years": _runs(g["year"])}
               for (c, n), g in panel.loc[sus].groupby(["bps_code", "regency"])]
    text += ("\n`boundary_suspected`: the DataBank population of the regency-year differs from QuaRCS' (2017 "
             "boundaries) by more than 10 % in that year and an adjacent one. Most are parents of splits the "
             "registry does not record (e.g. Tangerang before Tangerang Selatan 2008, Ciamis before "
             "Pangandaran 2012); some may be disagreeing population estimates before the 2010 census. The DataBank has no 2014 "
             "population: 2014 values are not checked. "
             f"{int(sus.sum())} P0 values of {len(listing)} regencies:\n\n" + table(counts)
             + "\nRegencies and years flagged:\n\n" + table(pd.DataFrame(listing)))
    return text


def welfare_summary(panel: pd.DataFrame) -> list[str]:
    """Bullets for the summary of ``validation.md``."""
    out = []
    if "poverty_rate_wb" in panel:
        wb = panel.loc[panel["poverty_rate_wb"].notna()]
        sus = int(_flagged(panel, "poverty_rate_wb", "boundary_suspected").sum())
        old = int(_flagged(panel, "poverty_rate_wb", "old_boundary").sum())
        out.append(f"- World Bank P0 (`poverty_rate_wb`): {len(wb)} values, {wb['bps_code'].nunique()} regencies, "
                   f"{int(wb['year'].min())}–{int(wb['year'].max())}; no P0 from any source in 2015–2018; "
                   f"{old} values `old_boundary`, {sus} `boundary_suspected`; survey basis changes in 2011.")
    res = series_comparability(panel)
    for r in res.itertuples(index=False):
        if "share_jumps" in res and pd.notna(r.share_jumps):
            out.append(f"- 2019 `{r.variable}` ({r.test_source}) vs BPS 2020: correlation {r.correlation:.3f}, mean "
                       f"change {r.mean_difference:+.3f}, {r.share_jumps:.1%} of regencies jump beyond the 95 % "
                       "quantile of BPS year-to-year changes (5 % expected for a normal year).")
    return out


def welfare_sections(panel: pd.DataFrame) -> list[str]:
    """The welfare sections of ``validation.md`` (headings and bodies, in order)."""
    return [
        "### Welfare series: coverage by year\n", welfare_coverage(panel),
        "### World Bank P0: survey basis and breaks\n", survey_basis_breaks(panel),
        "### Welfare series: seams between sources\n", seams(panel),
        "### Comparability of the 2019 cross-section with the BPS 2020–2024 series\n", comparability_section(panel),
        "### World Bank values on old boundaries\n", boundary_flags(panel),
    ]
