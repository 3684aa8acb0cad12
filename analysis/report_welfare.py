"""Report section of analysis 6 (border posts and welfare): called by ``analysis/report.py``."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from _common import ROOT, p_text


def _fmt(x: Any, nd: int = 2, signed: bool = True) -> str:
    if x is None:
        return "n/a"
    x = float(x)
    if x != x:
        return "n/a"
    if x in (float("inf"), float("-inf")):
        return "\u221e" if x > 0 else "\u2212\u221e"
    return f"{x:+.{nd}f}" if signed else f"{x:.{nd}f}"


def primary_rows(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """outcome -> the row of the primary sample and estimator (no robustness)."""
    prim = wf.get("primary", {})
    return {r["outcome"]: r for r in wf.get("rows", []) if r.get("robustness") is None
            and r.get("sample") == prim.get("sample") and r.get("estimator_id") == prim.get("estimator")}


def section(rep, wf: dict[str, Any], num: Callable[[str], str], src: tuple, md_rows: Callable) -> None:
    """Write "5. Border posts and welfare (poverty, HDI)" into ``rep``."""
    import pandas as pd

    if not wf:
        return
    rep.heading("1. Border posts and welfare: poverty (P0) and HDI, second wave")
    names = wf.get("names", {})
    comp = wf.get("comparability_2019", {})
    units = {"poverty_rate": "percentage points of P0", "hdi": "HDI points"}
    label = {"poverty_rate": "poverty rate P0", "hdi": "HDI"}
    prim = primary_rows(wf)
    lead = []
    for o, r in prim.items():
        ft, m = r.get("few_treated") or {}, r.get("mde") or {}
        lead.append(
            f"<li><b>{label.get(o, o)}</b>: Bengkayang 2024 vs non-border Kalimantan regencies, Callaway&ndash;Sant'Anna "
            f"{num(_fmt(r['estimate']))} {units.get(o, '')}, <b>few-treated 95% interval [{num(_fmt(ft.get('conf_low')))}, "
            f"{num(_fmt(ft.get('conf_high')))}]</b> (randomisation p = {num(p_text(ft.get('p_value')))}, "
            f"{ft.get('n_draws', 'n/a')} assignments{', all enumerated' if ft.get('exact') else ''}); minimum detectable effect "
            f"{num(_fmt(m.get('mde'), 2, False))} {units.get(o, '')} (5 % test, 80 % power; the 5 % critical size alone is "
            f"{num(_fmt(m.get('critical'), 2, False))}).</li>")
    first_wave = ", ".join(names.get(str(u), str(u)) for u in wf.get("first_wave_left_out", []))
    rep.paragraph(
        "The BPS regency P0 and HDI tables start in 2019/2020, so they bracket the <i>second</i> wave only (the first wave, "
        "with the World Bank P0 series from 2002, is section 2): Jagoi Babang (Bengkayang) has "
        "operated since July 2023 and was inaugurated in October 2024. <b>Primary specification</b> (spec "
        + rep.link("analysis/specs/welfare.toml", "analysis/specs/welfare.toml") + "): 2024 is Bengkayang's first treated year "
        "(the first full year of operation; the March 2024 Susenas is eight months after operations began), 2020&ndash;2023 are "
        "the pre-years, the controls are the non-border Kalimantan regencies, the estimator is Callaway&ndash;Sant'Anna and the "
        "interval is the few-treated one (randomisation inference over adoption timing, inverted for a constant effect). "
        f"The first-wave regencies ({html.escape(first_wave)}) are treated in every year of these data and are left out; the "
        "Nunukan and Malinau posts (October 2024) fall after the March 2024 survey: they are not treated within the data and, "
        "as border regencies, not in the donor pools (a robustness row adds them as not-yet-treated controls). With one "
        "treated regency and one post-year, an analytical standard error measures only the controls' noise: its p-values "
        "are not shown as evidence.<ul>" + "".join(lead) + "</ul>"
        "Read as a verdict: no change in poverty or HDI that these data could distinguish from the year-to-year noise of a "
        "single regency; effects smaller than the minimum detectable effects above would go unseen, so <i>no evidence of an "
        "effect</i> is not evidence of no effect.")
    p0 = comp.get("poverty_rate", {})
    hd = comp.get("hdi", {})
    if p0:
        rep.paragraph(
            "<b>Is 2019 comparable?</b> The 2019 values come from another compilation (INDO-DAPOER cross-section), 2020&ndash;2024 "
            "from the BPS series. Per regency, the SD of the 2019&rarr;2020 change is "
            f"{num(_fmt(p0.get('sd_2019_2020'), 2, False))} pp for P0 (later years at most {num(_fmt(p0.get('sd_later_max'), 2, False))}) "
            f"and {num(_fmt(hd.get('sd_2019_2020'), 2, False))} HDI points (later years at most {num(_fmt(hd.get('sd_later_max'), 2, False))}): "
            "noisier than any later year, as a change of source or of the reference month would make it (the panel's "
            + rep.link("validation report", "data/processed/validation.md") + " checks the same seam). 2019 is therefore "
            "used only in a robustness row (five pre-years); the Callaway&ndash;Sant'Anna estimate with its varying base "
            "period does not use it at all (it compares 2024 with 2023), the synthetic control does.", "note")
    for key, cap in (("placebo_mde", "What one treated regency and one post-year can detect: placebo distribution of the estimate"),
                     ("synthetic_control", "Synthetic control for Bengkayang (P0 and HDI) with placebo-in-space gaps")):
        if key in wf.get("figures", {}):
            rep.figure(wf["figures"][key], cap, *src)
    for stem, cap in (("welfare_effects", "Welfare effects of the second-wave border post: few-treated interval first"),
                      ("welfare_synthetic_control", "Synthetic control for Bengkayang: gap, placebo p-values and MDE"),
                      ("welfare_comparability_2019", "2019 (INDO-DAPOER) vs the 2020-2024 BPS series: year-on-year changes")):
        path = ROOT / f"reports/tables/{stem}.md"
        if path.exists():
            rep.table(pd.DataFrame(md_rows(path)), cap, *src, (f"table {stem} (md)", f"reports/tables/{stem}.md"),
                      highlight=lambda r: r.get("role") == "primary")
    sc = wf.get("synthetic_control", {})
    perfect = [o for o, by in sc.items() for s, r in by.items() if (r.get("pre_rmspe") or 1) < 1e-6]
    rep.paragraph(
        "With four pre-years and 47&ndash;500 donors the synthetic control often reproduces Bengkayang's pre-period exactly "
        "(pre-RMSPE near zero"
        + (f", here for {len(perfect)} of the fits" if perfect else "")
        + "): the RMSPE-ratio rank is then uninformative, and the rank of the absolute post-period gap among the placebos is "
        "the test to read. The robustness rows: 2019 added; Bengkayang treated from 2023 (the calendar year operations began: "
        "the March 2023 survey precedes them, so an effect there would be anticipation or noise); the inauguration rule "
        "(2025: no post-year, not estimable); the October-2024 regencies as controls.", "note")
    pre = wf.get("cs_pretests", {})
    ptxt = [f"{html.escape(k)}: W = {num(_fmt(v['pretest']['W'], 2, False))}, p = {num(p_text(v['pretest']['pvalue']))}"
            for k, v in pre.items() if v.get("pretest")]
    if ptxt:
        rep.paragraph("Joint Callaway&ndash;Sant'Anna pre-test (pre-period ATT(g,t) = 0, varying base): " + "; ".join(ptxt) + ".")
    nr = wf.get("not_run", [])
    if nr:
        rep.paragraph("<b>Not run</b>:<ul>" + "".join(
            f"<li>{html.escape(x['what'])}: {html.escape(x['error'][:200])}</li>" for x in nr) + "</ul>", "note")


def first_wave_section(rep, fw: dict[str, Any], num: Callable[[str], str], src: tuple, md_rows: Callable) -> None:
    """Write "6. The first border posts and welfare series with pre-periods" into ``rep``."""
    import pandas as pd

    if not fw:
        return
    rep.heading("2. The first border posts (2017/2018) and welfare series with pre-periods")
    names = fw.get("names", {})
    treated = ", ".join(f"{names.get(k, k)} {v}" for k, v in sorted(fw.get("first_wave", {}).items(), key=lambda kv: kv[1]))
    rows = [r for r in fw.get("rows", []) if r.get("robustness") is None and r.get("sample") == fw["primary"]["sample"]
            and r.get("estimator_id") == fw["primary"]["estimator"] and r.get("few_treated")]
    if not rows:
        nr = fw.get("not_run", [])
        rep.paragraph("The welfare series with years before the first wave (World Bank P0 2002&ndash;2014, unemployment "
                      "2008&ndash;2020, schooling 2010&ndash;2018) are not in this panel, or their estimates need the library's "
                      "few-treated inference: " + html.escape("; ".join(f"{x['what']}: {x['error']}" for x in nr[:4])) + ".", "note")
        return
    unit = {"poverty_rate": "pp", "unemployment_rate": "pp", "mean_years_schooling": "years"}
    items = []
    for r in rows:
        ft, m = r["few_treated"], r.get("mde") or {}
        items.append(f"<li><b>{html.escape(r['outcome'].replace('_', ' '))}</b> ({r['years'][0]}&ndash;{r['years'][1]}, {r['n_treated']} treated "
                     f"of {r['n_units']}): Callaway&ndash;Sant'Anna {num(_fmt(r['estimate']))} {unit.get(r['outcome'], '')}, "
                     f"<b>few-treated 95% CI [{num(_fmt(ft['conf_low']))}, {num(_fmt(ft['conf_high']))}]</b> (p = {num(p_text(ft['p_value']))}); "
                     f"MDE {num(_fmt(m.get('mde'), 2, False))}</li>")
    ident = fw.get("identification", {})
    rep.paragraph(
        f"Treated: {html.escape(treated)} (first full year open), against non-border Kalimantan regencies (primary) and all non-border "
        "regencies. <ul>" + "".join(items) + "</ul><b>What the P0 gap years do to identification.</b> "
        + html.escape(ident.get("poverty_rate", "")) + " Unemployment: " + html.escape(ident.get("unemployment_rate", ""))
        + " Schooling: " + html.escape(ident.get("mean_years_schooling", "")))
    fwo = fw.get("outcomes", {}).get("poverty_rate", {})
    if fwo:
        rep.paragraph(f"P0 years used: {fwo['years'][0]}&ndash;{max(y for y in fwo['years'] if y < 2015)} and "
                      f"{min(y for y in fwo['years'] if y > 2015)}&ndash;{fwo['years'][-1]}; the treated cohorts are observed from "
                      f"{sorted(set(fwo['treated_first_observed'].values()))[0]} on; {fwo['flagged_values_left_out']} values flagged as "
                      "old or suspected boundaries were left out (not repaired), and regencies without a complete series are reported in "
                      "the results file.", "note")
    if "synthetic_control" in fw.get("figures", {}):
        rep.figure(fw["figures"]["synthetic_control"], "First border posts: synthetic control per regency and outcome", *src)
    for stem, cap in (("welfare_first_wave_effects", "First border posts and welfare: effects with few-treated intervals"),
                      ("welfare_first_wave_synthetic_control", "First border posts: synthetic control per regency")):
        path = ROOT / f"reports/tables/{stem}.md"
        if path.exists():
            rep.table(pd.DataFrame(md_rows(path)), cap, *src, (f"table {stem} (md)", f"reports/tables/{stem}.md"),
                      highlight=lambda r: r.get("role") == "primary")
