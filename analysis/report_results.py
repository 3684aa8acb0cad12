"""Report sections 4-6 of analysis 2-4: the forums, the border vs non-border gaps, welfare through Engel's law.

Called by ``analysis/report.py`` after the welfare and border-post results; every number goes
through ``num(text, results, name)`` so it links to the files that made it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from _common import ROOT, p_text


def f(x: Any, nd: int = 3, signed: bool = False) -> str:
    """Format a number (empty for missing)."""
    if x is None:
        return "n/a"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if x != x:
        return "n/a"
    return f"{x:+.{nd}f}" if signed else f"{x:.{nd}f}"


def other_results(rep, fo: dict[str, Any], gaps: dict[str, Any], en: dict[str, Any], num: Callable[[str, dict, str], str],
                  src: Callable[[dict], tuple], md_rows: Callable) -> None:
    """Write sections 4 (forums), 5 (gaps) and 6 (Engel) into ``rep``."""
    import pandas as pd

    rep.heading("4. Sosek Malindo forums (provinces, 1983-2017)")
    items = []
    for code, e in fo.get("results", {}).items():
        sc, sd = e.get("sc", {}), e.get("sdid", {})
        items.append(f"<li>{html.escape(e['province'])} (forum from {e['forum_year']}, {e['n_pre']} pre-forum years): synthetic-control "
                     f"gap {num(f(sc.get('att_avg'), 3, True), fo, 'forums')} (placebo rank p of the RMSPE ratio = "
                     f"{num(f(sc.get('p_value'), 2), fo, 'forums')}, of the post-period RMSPE = {num(f(sc.get('p_value_post'), 2), fo, 'forums')}, "
                     f"pre-RMSPE {num(f(sc.get('pre_rmspe'), 3), fo, 'forums')}); synthetic DiD {num(f(sd.get('estimate'), 3, True), fo, 'forums')} "
                     f"[{num(f(sd.get('conf_low'), 3, True), fo, 'forums')}, {num(f(sd.get('conf_high'), 3, True), fo, 'forums')}]</li>")
    notes = [n for e in fo.get("results", {}).values() for n in e.get("sc", {}).get("notes", [])]
    if notes:
        items.append("<li>Estimator notes: " + " ".join(html.escape(n) + "." for n in notes) + "</li>")
    bc = fo.get("backcast_provinces", {})
    if bc:
        items.append("<li>Donor pool: " + html.escape(", ".join(fo.get("donors", []))) + ". Back-cast provinces (created after 1983: "
                     + html.escape(", ".join(f"{k} {v}" for k, v in bc.items())) + ") hold back-cast values, not observations, before "
                     "their creation" + (" and are left out of the donor pool" if fo.get("backcast_excluded_from_donors") else "")
                     + ". Other cross-border programmes cover many donors: " + html.escape("; ".join(fo.get("other_programmes", [])))
                     + " &ndash; the forum effect is measured against provinces that had programmes of their own.</li>")
    rep.paragraph("<ul>" + "".join(items) + "</ul>West Kalimantan has only two pre-forum years (1983&ndash;84): any weighting fits two "
                  "points, so the post-1985 gap mixes the forum with the province's own faster trend. East Kalimantan's GDP per capita "
                  "(oil and gas) lies above every donor, outside their convex hull: the synthetic control cannot fit it, and only the "
                  "synthetic DiD, which allows a level difference, is informative. North Kalimantan is back-cast before 2012 and "
                  "left out; QuaRCS province values are interpolated by the publisher.")
    if "synthetic_control" in fo.get("figures", {}):
        rep.figure(fo["figures"]["synthetic_control"], "Forums: synthetic control paths and placebo gaps", *src(fo))

    rep.heading("5. Border vs non-border gaps")
    labels = {"grdp_pc_idn514": "log GRDP per capita", "poverty_rate": "poverty rate P0", "hdi": "HDI"}
    last = {}
    for r in gaps.get("rows", []):
        last[(r["outcome"], r["comparison"])] = r
    gl = []
    for (o, c), r in sorted(last.items()):
        if r.get("gap") is None:
            continue
        gl.append(f"<li>{html.escape(labels.get(o, o))} vs non-border {html.escape(c)} in {r['year']}: gap "
                  f"{num(f(r['gap'], 2, True), gaps, 'gaps')} [{num(f(r['conf_low'], 2, True), gaps, 'gaps')}, "
                  f"{num(f(r['conf_high'], 2, True), gaps, 'gaps')}] ({r['n_border']} border regencies)</li>")
    rep.paragraph("Latest year of each series (GRDP per capita in log points; P0 in percentage points; HDI in index points):<ul>"
                  + "".join(gl) + "</ul>")
    labels = {"grdp_pc_idn514": "log GRDP per capita", "poverty_rate": "poverty rate P0", "hdi": "HDI"}
    for o, fig_path in gaps.get("figures", {}).items():
        rep.figure(fig_path, f"Border vs non-border regencies: {labels.get(o, o)}", *src(gaps))

    rep.heading("6. Welfare through Engel's law")
    em = en.get("engel_main", {})
    ea = en.get("engel_alt", {})
    eb = en.get("engel_bootstrap", {})
    rep.paragraph(
        f"Across {em.get('nobs', 'n/a')} province-years, {min(en.get('years', [0]))}&ndash;{max(en.get('years', [0]))} (34 provinces "
        f"each year to 2023, {en.get('n_provinces', 'n/a')} from 2024 when the four provinces split from Papua in 2022 enter), "
        f"the Engel slope is {num(f(100 * em.get('beta', float('nan')), 1), en, 'engel')} percentage points of food share per log point of "
        f"per-capita expenditure (year effects; cluster-robust SE {num(f(100 * em.get('se', float('nan')), 1), en, 'engel')} pp; cluster "
        f"bootstrap 95% interval of the slope [{num(f(100 * eb.get('ci', [float('nan')] * 2)[0], 1), en, 'engel')}, "
        f"{num(f(100 * eb.get('ci', [float('nan')] * 2)[1], 1), en, 'engel')}] pp); with province and year effects "
        f"{num(f(100 * ea.get('beta', float('nan')), 1), en, 'engel')} pp. Prices: nominal expenditure is used and the year effects "
        "absorb each year's national price level; province effects (second curve) absorb time-invariant regional price levels. "
        "Household size is not in the province table, so it cannot be controlled for.")
    wl = []
    for g, r in en.get("gaps", {}).items():
        w = r["welfare"]
        wl.append(f"<li>{html.escape(', '.join(r['provinces']))}: food share {num(f(100 * r['delta'], 2, True), en, 'engel')} pp at equal "
                  f"expenditure, income equivalent {num(f(w['estimate'], 3, True), en, 'engel')} log points "
                  f"[{num(f(w['conf_low'], 3, True), en, 'engel')}, {num(f(w['conf_high'], 3, True), en, 'engel')}] (delta method, "
                  "joint covariance of &delta; and &beta;)</li>")
    pft = en.get("province_few_treated") or {}
    if pft:
        ie = pft.get("income_equivalent") or {}
        wl.append(f"<li><b>Second PLBN wave at province level</b> (West and North Kalimantan from 2024 vs {pft['n_units'] - pft['n_treated']} "
                  f"other provinces, Callaway&ndash;Sant'Anna): food share {num(f(100 * pft['estimate'], 2, True), en, 'engel')} pp, "
                  f"<b>few-treated 95% CI [{num(f(100 * pft['conf_low'], 2, True), en, 'engel')}, "
                  f"{num(f(100 * pft['conf_high'], 2, True), en, 'engel')}] pp</b> (randomisation p = {num(p_text(pft['p_value']), en, 'engel')}, "
                  f"all {pft['n_draws']} assignments of two provinces); income equivalent "
                  + (f"{num(f(ie['estimate'], 3, True), en, 'engel')} log points, interval [{num(f(ie['conf_low'], 3, True), en, 'engel')}, "
                     f"{num(f(ie['conf_high'], 3, True), en, 'engel')}] (the few-treated interval projected over the Engel slope's "
                     "bootstrap interval)" if ie else "not defined") + ".</li>")
    did = en.get("province_did") or {}
    if did:
        wd, wb = did.get("welfare_delta_method", {}), did.get("welfare_bootstrap", {})
        wl.append(f"<li>Second PLBN wave at province level (West and North Kalimantan, 2024&ndash;25 vs other provinces, DiD): food share "
                  f"{num(f(100 * did['delta'], 2, True), en, 'engel')} pp (SE {num(f(100 * did['se_delta'], 2), en, 'engel')}), income "
                  f"equivalent {num(f(wd.get('estimate'), 3, True), en, 'engel')} [{num(f(wd.get('conf_low'), 3, True), en, 'engel')}, "
                  f"{num(f(wd.get('conf_high'), 3, True), en, 'engel')}] (delta method, block-diagonal) or "
                  f"[{num(f(wb.get('conf_low'), 3, True), en, 'engel')}, {num(f(wb.get('conf_high'), 3, True), en, 'engel')}] "
                  "(bootstrap): TWFE with cluster-robust errors from two treated clusters, shown for reference only; "
                  "these intervals are too narrow.</li>")
    rep.paragraph("<ul>" + "".join(wl) + "</ul>")
    if "engel_curve" in en.get("figures", {}):
        rep.figure(en["figures"]["engel_curve"], "Engel curve across provinces, 2017-2025", *src(en))
    if "food_share_effect" in en.get("figures", {}):
        rep.figure(en["figures"]["food_share_effect"], "Food share of the second-wave provinces and the placebo distribution of the effect",
                   *src(en))
    fse = ROOT / "reports/tables/engel_food_share_effect.md"
    if fse.exists():
        rep.table(pd.DataFrame(md_rows(fse)), "Food-share effects with few-treated intervals and income equivalents", *src(en),
                  ("table (md)", "reports/tables/engel_food_share_effect.md"))
    reg = en.get("regency", {})
    if reg.get("present"):
        rd = reg.get("did", {})
        rft = reg.get("few_treated") or {}
        rie = rft.get("income_equivalent") or {}
        text = (f"Regency food shares were found at {rep.link(reg['path'], reg['path'])} ({reg.get('regencies')} regencies, "
                f"{len(reg.get('treated', []))} with a border post): ")
        if rft:
            text += (f"Callaway&ndash;Sant'Anna effect on the food share {num(f(100 * rft['estimate'], 2, True), en, 'engel')} pp, "
                     f"<b>few-treated 95% CI [{num(f(100 * rft['conf_low'], 2, True), en, 'engel')}, "
                     f"{num(f(100 * rft['conf_high'], 2, True), en, 'engel')}] pp</b> (randomisation p = {num(p_text(rft['p_value']), en, 'engel')}); "
                     + (f"income equivalent {num(f(rie['estimate'], 3, True), en, 'engel')} log points "
                        f"[{num(f(rie['conf_low'], 3, True), en, 'engel')}, {num(f(rie['conf_high'], 3, True), en, 'engel')}]. " if rie else ""))
        text += (f"(The TWFE coefficient {num(f(rd.get('delta'), 4, True), en, 'engel')} with cluster-robust errors from "
                 f"{len(reg.get('treated', []))} treated clusters is not a basis for a verdict.)")
        rep.paragraph(text)
    else:
        rep.paragraph("<b>Regency food shares are not in the bundled data.</b> To estimate the border posts' effect on the food share "
                      "directly, download the BPS table <i>" + html.escape(reg.get("bps_table", "")) + "</i> (by kabupaten/kota, one file "
                      "per year or a wide table with years as columns, as exported from bps.go.id) and save it as <code>"
                      + html.escape(reg.get("path", "")) + "</code>; <code>sosek-impact reproduce</code> then reads it with "
                      "<code>add_bps_table</code>, estimates the effect and converts it with the Engel slope above. "
                      "(The test suite exercises this path with a small labelled test fixture, never as data.)", "note")
