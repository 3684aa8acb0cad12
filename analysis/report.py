"""The self-contained HTML report: ``reports/report.html``.

Assembles the results of analyses 1-5 (``reports/results/*.json``), the figures (embedded as
base64) and the tables. Every number is a link to the files that made it (its specification,
script and data), relative to the report so the page works from a checkout.
"""

from __future__ import annotations

import csv
import html
from typing import Any

from _common import ROOT, p_text, read_results
from report_results import f

REPORT = ROOT / "reports" / "report.html"
CONTROL_LABEL = {"border": "the other border regencies", "kalimantan": "non-border Kalimantan regencies",
                 "national": "all non-border regencies"}


def main() -> None:
    """Write ``reports/report.html``."""
    import pandas as pd

    from sosek_impact.report.html import Report

    gaps, bp, fo, en, cl, mp, wf, gb = (read_results(n) for n in ("gaps", "border_posts", "forums", "engel", "claims", "map",
                                                                  "welfare", "grdp_break"))
    rep = Report("Did Sosek Malindo and the border posts raise welfare in Indonesia's border regencies?", REPORT, ROOT)

    def src(res: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        p = res.get("provenance", {})
        out = [("spec", p["spec"]), ("script", p["script"])] if p else []
        out += [(f"data {i + 1}", d) for i, d in enumerate(p.get("data", [])) if "*" not in d]
        return tuple(out)

    def num(text: str, res: dict[str, Any], result_name: str) -> str:
        return rep.number(text, *src(res), ("result", f"reports/results/{result_name}.json"))

    import report_lead

    fw = read_results("welfare_first_wave")
    report_lead.abstract(rep, bp, wf, fw, fo, cl, {n: (lambda text, r=r, n=n: num(text, r, n)) for n, r in
                                                    (("border_posts", bp), ("welfare", wf), ("welfare_first_wave", fw), ("forums", fo))})
    # ---------------------------------------------------------------- question
    rep.section("Question", "question")
    rep.paragraph(
        "Indonesia and Malaysia have run the Sosek Malindo socio-economic cooperation on the Borneo border since the 1980s "
        "(regional forums: West Kalimantan&ndash;Sarawak from 1985, East Kalimantan&ndash;Sabah from 1995), and Indonesia opened "
        "integrated border posts (PLBN) from December 2016 (Entikong, Sanggau), March 2017 (Nanga Badau, Kapuas Hulu; Aruk, Sambas) "
        "and 2023&ndash;24 (Jagoi Babang, Bengkayang; Nunukan and Malinau posts). Did these raise welfare in the Indonesian border "
        "regencies compared with regencies that got neither? The five seed papers (listed in the claims section) assert that they did; "
        "this report sets their claims beside what the public BPS data show.")
    # ---------------------------------------------------------------- data
    rep.section("Data and provenance", "data")
    rows = list(csv.DictReader((ROOT / "data/raw/sources.csv").open(encoding="utf-8")))
    seen, slim = set(), []
    for r in rows:
        key = r["repository"]
        if key in seen:
            continue
        seen.add(key)
        slim.append({"source": r["source_id"] + (" (and sister files)" if sum(x["repository"] == key for x in rows) > 1 else ""),
                     "repository": r["repository"], "commit": (r["commit"] or "")[:10], "licence": r["licence"],
                     "publisher": r["publisher"]})
    rep.paragraph("All numbers come from the project's own tidy extracts in " + rep.link("data/raw", "data/raw/sources.csv")
                  + " (every value row carries its source file and line), built into the panels by <code>sosek-impact build</code>; see "
                  + rep.link("the data dictionary", "data/processed/DATA_DICTIONARY.md") + " and "
                  + rep.link("the validation report", "data/processed/validation.md") + ".")
    rep.table(pd.DataFrame(slim), "Sources (one row per repository; full list with citations in data/raw/sources.csv)",
              ("sources.csv", "data/raw/sources.csv"))
    rep.paragraph(
        "What the data can and cannot carry: (i) regency GRDP per capita exists from two sources, QuaRCS 2000&ndash;2017 and "
        "indonesia514 2000&ndash;2024; the latter shows a level break between 2019 and 2020 for several regencies (a splice or "
        "revision, coinciding with COVID), which the validation report lists and which we never smooth; (ii) regencies created after "
        "2000 carry back-cast values before they existed (flagged); QuaRCS values are interpolated by the publisher; (iii) regency "
        "GRDP and population end in 2017, poverty (P0) and HDI start in 2019/2020, unemployment is one 2021 cross-section; "
        "(iv) province GDP per capita runs 1983&ndash;2017, food and non-food expenditure by province 2017&ndash;2025; "
        "(v) East Kalimantan's GDP is dominated by oil and gas; North Kalimantan is back-cast before its 2012 creation. "
        "<b>Regency food shares are not in the bundled data</b>: see the Engel section for the BPS table to add.", "note")
    # ---------------------------------------------------------------- design
    rep.section("Design and identification", "design")
    t = bp.get("timing", {})
    names = bp.get("names", {})
    timing_txt = ", ".join(f"{names.get(k, k)} {v}" for k, v in sorted(t.items(), key=lambda kv: kv[1]))
    later = ", ".join(f"{names.get(k, k)} {v}" for k, v in bp.get("treated_after_sample", {}).items())
    rep.paragraph(
        "<b>Border posts (analysis 1).</b> Treatment timing comes from the registry of PLBN openings (first full year open): "
        + html.escape(timing_txt) + (f"; opened after the data end: {html.escape(later)} (controls within the window)" if later else "")
        + ". Three control groups are compared side by side: the other border regencies (not-yet- and never-treated), non-border "
        "Kalimantan regencies, and all non-border regencies. Estimators: two-way fixed effects (TWFE; biased under staggered, "
        "heterogeneous effects, shown for reference), an event study with leads and lags and a joint pre-trend test, "
        "Callaway&ndash;Sant'Anna group-time effects (main estimate), Sun&ndash;Abraham, and a synthetic control for each post "
        "regency with placebo-in-space inference. With 1&ndash;4 treated regencies, cluster-robust standard errors over-reject, "
        "so the TWFE contrast of the main outcome is also tested by the restricted wild cluster bootstrap (Webb weights), "
        "randomisation inference over permuted adoption timing and Conley&ndash;Taber intervals, all reported in the table below. "
        "Specification: " + rep.link("analysis/specs/border_posts.toml", "analysis/specs/border_posts.toml") + ".")
    rep.paragraph(
        "<b>Forums (analysis 2).</b> West Kalimantan (1985) and East Kalimantan (1995) against provinces without a forum, log GDP "
        "per capita 1983&ndash;2017, synthetic control (outcome in every pre-year as predictors) and synthetic DiD (Arkhangelsky et al. "
        "2021) with placebo inference. Spec: " + rep.link("analysis/specs/forums.toml", "analysis/specs/forums.toml") + ".")
    rep.paragraph(
        "<b>Gaps (analysis 3)</b>: yearly means of border vs non-border regencies with Welch intervals. <b>Engel (analysis 4)</b>: "
        "food share on log per-capita expenditure; a food-share effect &delta; is worth &delta;/&beta; = &minus;&delta;/|&beta;| log "
        "points of real income (Hamilton 2001; Costa 2001). <b>Claims (analysis 5)</b>: each checkable claim of the seed papers with a "
        "rule that computes our evidence.")
    rep.section("Identifying assumptions", "assumptions")
    report_lead.assumptions(rep, bp, lambda text: num(text, bp, "border_posts"))
    # ---------------------------------------------------------------- results
    rep.section("Results: welfare first", "results")
    import report_welfare

    report_welfare.section(rep, wf, lambda text: num(text, wf, "welfare"), (*src(wf), ("result", "reports/results/welfare.json")),
                           _md_rows)
    report_welfare.first_wave_section(rep, fw, lambda text: num(text, fw, "welfare_first_wave"),
                                      (*src(fw), ("result", "reports/results/welfare_first_wave.json")), _md_rows)
    rep.heading("3. Border posts and regency output (GRDP per capita)")
    main_outcome = bp.get("main_outcome", "log_grdp_pc")
    res = bp.get("results", {}).get(main_outcome, {})
    bullets = []
    for s, r in res.items():
        for row in r.get("rows", []):
            if row["estimator"].startswith("Callaway"):
                ft = row.get("few_treated") or {}
                valid = (report_lead.ci(lambda text: num(text, bp, "border_posts"), ft) + " (randomisation p = "
                         f"{num(p_text(ft['p_value']), bp, 'border_posts')})" if ft else "few-treated interval not available")
                bullets.append(f"<li>{CONTROL_LABEL.get(s, html.escape(s))} ({r['n_treated']} treated of {r['n_units']} regencies, "
                               f"{r['years'][0]}&ndash;{r['years'][1]}): ATT "
                               + num(f(row['estimate'], 3, True), bp, "border_posts") + " log points, <b>" + valid + "</b></li>")
    cs_rows = [(s, row) for s, r in res.items() for row in r.get("rows", []) if row["estimator"].startswith("Callaway")]

    def bounds(row):
        ft = row.get("few_treated") or {}
        return (ft["conf_low"], ft["conf_high"]) if ft else (row.get("conf_low"), row.get("conf_high"))

    gains = [CONTROL_LABEL.get(s, html.escape(s)) for s, row in cs_rows if (bounds(row)[0] or 0) > 0]
    losses = [CONTROL_LABEL.get(s, html.escape(s)) for s, row in cs_rows if (bounds(row)[1] or 0) < 0]
    which = ("few-treated" if all(row.get("few_treated") for _, row in cs_rows) else
             "few-treated where available, analytical otherwise,")
    verdict = (f"With the {which} intervals, no control group shows a gain distinguishable from zero." if not gains else
               f"The {which} interval excludes zero on the positive side with " + " and with ".join(gains) + " as controls.")
    if losses:
        verdict += (" It excludes zero on the negative side with " + " and with ".join(losses) + " as controls; "
                    "the synthetic-control panels show why: "
                    "Sambas (and several placebo regencies) drop at the 2019/2020 level break of the source, which falls in "
                    "the post period of the first wave, so a negative estimate is not evidence of harm either.")
    sup = {s: r.get("cs_pretest_supt") for s, r in res.items() if r.get("cs_pretest_supt")}
    rejected = [s for s, v in sup.items() if v["rejects"]]
    pre_text = (" Before reading these: the Callaway&ndash;Sant'Anna pre-period sup-t test (largest |ATT(e)|/SE over the leads "
                "against the uniform band's critical value) "
                + ("rejects parallel pre-trends with " + " and with ".join(CONTROL_LABEL.get(s, html.escape(s)) for s in rejected)
                   + " as controls: the treated regencies were already on different paths before the posts opened, so the "
                   "Honest DiD bounds under Robustness are the relevant intervals (see Identifying assumptions)."
                   if rejected else "does not reject with any control group.") if sup else "")
    import report_border

    report_border.primary(rep, bp, lambda text: num(text, bp, "border_posts"))
    rep.paragraph("Callaway&ndash;Sant'Anna average effect of a border post on log GRDP per capita (indonesia514 source):<ul>"
                  + "".join(bullets) + "</ul>" + verdict + pre_text)
    for key, cap in (("event_study", "TWFE event study of log GRDP per capita, by control group (reference only: its leads mix cohorts "
                                     "under staggered timing, and its cluster-robust intervals are not valid with 4 treated regencies)"),
                     ("cs_dynamic", "Callaway-Sant'Anna dynamic effects, point estimates only: the analytical and multiplier-bootstrap "
                                    "intervals under-cover with 1-4 treated regencies (docs/monte_carlo.md), so none is drawn; the "
                                    "few-treated interval of each overall estimate is in the panel titles"),
                     ("synthetic_control", "Synthetic control for each border-post regency"),
                     ("synthetic_control_placebos", "Placebo-in-space gaps for each border-post regency")):
        if key in bp.get("figures", {}):
            rep.figure(bp["figures"][key], cap, *src(bp))
    sambas = bp.get("synthetic_control", {}).get("6101") or {}
    sb = (gb.get("units") or {}).get("6101") or {}
    if sambas.get("p_value") is not None and sb:
        rep.paragraph("<b>Flag: Sambas' synthetic-control placebo p = " + num(f(sambas["p_value"], 2), bp, "border_posts")
                      + f" (gap {num(f(sambas['att_avg'], 3, True), bp, 'border_posts')} log points) is an artefact of the population "
                      "denominator break, not an effect of the Aruk post.</b> Its post-period gap opens in 2020, not at the post's "
                      f"opening (2018): from 2019 to 2020 Sambas' log GRDP per capita breaks by {num(f(sb['break'], 3, True), gb, 'grdp_break')} "
                      f"against its usual change, while its GRDP grew {num(f(sb['grdp_change'], 3, True), gb, 'grdp_break')} (log, 2019-21) and "
                      f"the population the series divides by jumped {num(f(sb['implied_population_change'], 3, True), gb, 'grdp_break')} "
                      "(see the break section under Robustness). No verdict uses this p-value.", "note")
    rep.paragraph("How to read the table below: every Callaway&ndash;Sant'Anna and Sun&ndash;Abraham row carries a few-treated "
                  "95% interval (randomisation inference over adoption timing, inverted for a constant effect) beside its "
                  "analytical one; read the few-treated one. Log GRDP and log population end in 2017, so only Sanggau (from 2017) "
                  "is treated there, with one post year; with a single treated unit an analytical standard error reflects only the "
                  "controls' variation, so those rows show no analytical p-value. For the TWFE contrast of the main outcome the "
                  "wild cluster bootstrap, randomisation inference and Conley-Taber rows play the same role.", "note")
    eff = ROOT / "reports/tables/border_posts_effects.md"
    if eff.exists():
        rows = [r for r in _md_rows(eff)]
        rep.table(pd.DataFrame(rows), "All estimates: outcome x control group x estimator x inference (the primary row, "
                  "highlighted, first; every other row is robustness)", *src(bp),
                  ("table (md)", "reports/tables/border_posts_effects.md"), ("table (tex)", "reports/tables/border_posts_effects.tex"),
                  highlight=lambda r: r.get("role") == "primary")
    mc = monte_carlo_coverage(ROOT / "docs/monte_carlo.md")
    if len(mc):
        rep.paragraph("What the intervals of the table above are worth at the study's shape: the project's Monte Carlo (panels "
                      "shaped like the study; " + rep.link("docs/monte_carlo.md", "docs/monte_carlo.md")
                      + ") measured the coverage of each nominal 95 % interval. Rows for the heterogeneity-robust estimators and "
                      "the few-treated methods (the study has 4 treated regencies in the GRDP-per-capita rows): the analytical "
                      "intervals under-cover there, the few-treated ones hold their level, which is why the verdicts use them.", "note")
        rep.table(mc, "Monte Carlo coverage of nominal 95 % intervals at the study's shape (docs/monte_carlo.md)",
                  ("monte carlo", "docs/monte_carlo.md"))
    if "map" in mp.get("figures", {}):
        rep.figure(mp["figures"]["map"], "Border regencies, border posts and synthetic-control effects", *src(mp))
    nr = bp.get("not_run", [])
    if nr:
        rep.paragraph("<b>Not run</b> (the estimator refused the data or is not available in this version of the library):<ul>"
                      + "".join(f"<li>{html.escape(x['what'])}: {html.escape(x['error'][:200])}</li>" for x in nr) + "</ul>", "note")

    import report_results

    report_results.other_results(rep, fo, gaps, en, num, src, _md_rows)

    import report_geography

    report_geography.placebo(rep, src, _md_rows)
    report_geography.spillovers(rep, src, _md_rows)
    report_geography.night_lights(rep, src, _md_rows)
    report_geography.malaysian_side(rep, src, _md_rows)
    report_geography.design_diagnostics(rep, src)

    # ---------------------------------------------------------------- robustness
    rep.section("Robustness: the source break, COVID and the 2000-2017 source", "robustness")
    rl = []
    for rid, r in bp.get("robustness", {}).items():
        for row in r.get("rows", []):
            ft = row.get("few_treated") or {}
            interval = (report_lead.ci(lambda text: num(text, bp, "border_posts"), ft) if ft else
                        "no few-treated interval (TWFE: see the wild bootstrap, randomisation and Conley-Taber rows of the table)")
            rl.append(f"<li>{html.escape(r['label'])} ({html.escape(row['estimator'])}, {r.get('n_treated')} treated): "
                      f"{num(f(row['estimate'], 3, True), bp, 'border_posts')}, {interval}</li>")
    rob_gain = any(((row.get("few_treated") or {}).get("conf_low") or 0) > 0
                   for r in bp.get("robustness", {}).values() for row in r.get("rows", []))
    rep.paragraph("Kalimantan control group, log GRDP per capita:<ul>" + "".join(rl) + "</ul>Ending in 2019 removes the 2019/2020 "
                  "level break and COVID but leaves only 1&ndash;2 post years for the first wave; the 2000&ndash;2017 source leaves "
                  "one post year for Sanggau only. "
                  + ("None of these runs shows a gain whose few-treated interval excludes zero." if not rob_gain else
                     "At least one run shows a gain whose interval excludes zero: see the table."))

    report_border.break_section(rep, gb, bp, lambda text: num(text, gb, "grdp_break"),
                                (*src(gb), ("result", "reports/results/grdp_break.json")), _md_rows)

    hrows = []
    for smp, r, key, what in [(smp, r, key, what) for smp, r in res.items()
                              for key, what in (("honest_did_cs", "Callaway-Sant'Anna (universal base)"), ("honest_did", "TWFE event study"))]:
        h = r.get(key) or {}
        if not h:
            continue
        row = {"control group": smp, "event study": what,
               "original 95% CI": f"[{f(h['original'][0], 3, True)}, {f(h['original'][1], 3, True)}]"}
        sm = (h.get("smoothness") or {}).get("table") or []
        if sm:
            row["smoothness, M = 0"] = f"[{f(sm[0]['lb'], 3, True)}, {f(sm[0]['ub'], 3, True)}]"
            row["smoothness, largest M of the grid"] = (f"[{f(sm[-1]['lb'], 3, True)}, {f(sm[-1]['ub'], 3, True)}] "
                                                         f"at M = {f(sm[-1]['M'], 4)}")
            zero_in = [t["M"] for t in sm if t["lb"] <= 0 <= t["ub"]]
            row["smallest M whose interval contains 0"] = f(min(zero_in), 4) if zero_in else "none in the grid"
        rm = (h.get("relative_magnitude") or {}).get("table") or []
        for t in rm:
            row[f"relative magnitude, Mbar = {f(t['M'], 1)}"] = f"[{f(t['lb'], 3, True)}, {f(t['ub'], 3, True)}]"
        hrows.append(row)
    if hrows:
        rep.paragraph("Sensitivity to violations of parallel trends (Rambachan and Roth, via <code>honest_did</code>) for the average "
                      "post-opening event-study effect: the intervals under smoothness restrictions (M bounds the change in the slope of "
                      "the differential trend) and relative magnitudes (post-period violations at most Mbar times the largest pre-period "
                      "one). The Callaway&ndash;Sant'Anna sup-t pre-test rejects with "
                      + (", ".join(html.escape(k) for k in rejected) or "no control group")
                      + " (Identifying assumptions). Rows marked Callaway-Sant'Anna run on the primary estimator's event study "
                      "(universal base period, influence-function covariance); the TWFE rows on the regression event study. The bounds "
                      "are built on each event study's analytical covariance, which "
                      "under-covers with 4 treated regencies: read them for how far a violation moves the estimate, not as "
                      "valid intervals. Where the pre-trend test rejects, the unadjusted intervals are not credible and the sensitivity bounds matter. "
                      "M = 0 extrapolates the pre-period trend linearly; an interval that excludes zero there but contains it "
                      "for a small M is an effect that rests on that extrapolation.")
        rep.table(pd.DataFrame(hrows), "Honest DiD intervals, log GRDP per capita (log points)", *src(bp))

    # ---------------------------------------------------------------- claims
    rep.section("Claims vs evidence", "claims")
    counts = cl.get("counts", {})
    rep.paragraph("Each verdict is derived by a rule (" + rep.link("analysis/claims_base.py", "analysis/claims_base.py")
                  + "), never typed by hand. The labels:")
    report_lead.verdict_definitions(rep, report_lead.in_label_order(cl.get("definitions", {})))
    rep.paragraph("Verdicts: " + ", ".join(f"{html.escape(k)}: {v}" for k, v in report_lead.in_label_order(counts).items()) + ". Claims, rules and "
                  "sources: " + rep.link("analysis/claims.csv", "analysis/claims.csv") + "; evidence computed by "
                  + rep.link("analysis/claims.py", "analysis/claims.py") + ".")
    seeds = {
        "000_8891db26dff91350.txt": "seed 000", "001_da676618ea1bb90c.txt": "seed 001", "002_4e2fb1fc5ae69048.txt": "seed 002",
        "003_2cec98f0835ef3a1.txt": "seed 003", "004_10cedc3a97257f2f.txt": "seed 004"}
    legend = {}
    for c in cl.get("claims", []):
        legend.setdefault(seeds.get(c["seed_file"], c["seed_file"]), (c["seed_file"], c["author_title"]))
    if legend:
        rep.paragraph("Seed papers cited in the table by id:<ul>" + "".join(
            f"<li><b>{html.escape(k)}</b> (<code>{html.escape(v[0])}</code>): {html.escape(v[1])}</li>" for k, v in sorted(legend.items()))
            + "</ul>")
    ctab = pd.DataFrame([{"id": c["claim_id"], "source": seeds.get(c["seed_file"], c["seed_file"]),
                          "claim": c["claim"], "where": c["page_section"], "our evidence": c["our_evidence"],
                          "uncertainty": c["uncertainty"], "verdict": c["verdict"], "why": c["why"]} for c in cl.get("claims", [])])
    if len(ctab):
        rep.table(ctab, "Claims of the seed papers (../shared/seeds) and our evidence",
                  ("claims.csv", "analysis/claims.csv"), ("script", "analysis/claims.py"), ("result", "reports/results/claims.json"))

    # ---------------------------------------------------------------- limitations
    rep.section("Limitations", "limitations")
    rep.paragraph(
        "<ul><li>Few treated units: 4 post regencies with post-opening data (1 before 2018), one for the second-wave welfare "
        "outcomes, 2 forum provinces. Cluster-robust and influence-function intervals with so few treated clusters over-reject: "
        "in the project's Monte Carlo (" + rep.link("docs/monte_carlo.md", "docs/monte_carlo.md") + ", study-shaped panels with "
        "8 and with 4 treated regencies) the analytical Callaway&ndash;Sant'Anna and Sun&ndash;Abraham intervals cover below 95 %, "
        "the randomisation-inference and Conley&ndash;Taber intervals hold their level. Verdicts therefore use the few-treated "
        "intervals; their minimum detectable effects say how large an effect could have been seen.</li>"
        "<li>The 2019/2020 break of GRDP per capita is a change of the population denominator (see Robustness), not of output; "
        "it and COVID fall in the post period of the first wave.</li>"
        "<li>Welfare series: the BPS P0/HDI tables start in 2020 (2019 from another compilation, not comparable); the World Bank P0 "
        "series ends in 2014, so first-wave P0 effects compare levels across the 2015&ndash;2019 gap and two survey compilations.</li>"
        "<li>GRDP per capita measures output per resident, not household welfare; regency food shares and expenditure, the "
        "welfare measures of Engel's law, are not in the bundled data (a user's table is picked up).</li>"
        "<li>Back-cast and interpolated values (QuaRCS) smooth the paths and can hide or create effects around split years.</li>"
        "<li>East Kalimantan's oil and gas make its GDP per capita incomparable with other provinces' in levels.</li>"
        "<li>The seeds' numerical claims could not all be matched to a table: our BPS figures for West Kalimantan differ from the ones "
        "one paper quotes.</li></ul>")
    rep.section("Reproduction", "reproduction")
    rep.paragraph("Run <code>python3 run.py reproduce</code> (or <code>.venv/bin/sosek-impact reproduce</code>); the pipeline "
                  + rep.link("analysis/pipeline.py", "analysis/pipeline.py") + " reruns only what changed. Documentation: "
                  + rep.link("docs/study.md", "docs/study.md") + ".")
    rep.write()


def monte_carlo_coverage(path):
    """Coverage rows of the heterogeneity-robust estimators and few-treated methods in docs/monte_carlo.md."""
    import pandas as pd

    if not path.exists():
        return pd.DataFrame()
    text = path.read_text(encoding="utf-8")
    begin, end = "<!-- monte-carlo-table:begin -->", "<!-- monte-carlo-table:end -->"
    if begin not in text or end not in text:
        return pd.DataFrame()
    rows, design = [], None
    for line in text[text.index(begin):text.index(end)].splitlines():
        if line.startswith("### "):
            design = line[4:].split(":")[0].replace("Design", "").replace("design", "").replace("`", "").strip(" ,")
            continue
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == "estimator + inference":
            head = cells
            continue
        name = cells[0]
        if name.lower().startswith(("cs", "sun-abraham", "sa ", "imputation")) or "few-treated" in name.lower():
            row = dict(zip(head, cells, strict=False))
            rows.append({"design": design, "estimator + inference": name,
                         "95 % coverage (MC se)": row.get("95 % coverage (MC se)", "").replace("**", ""),
                         "mean CI width": row.get("mean CI width", "")})
    return pd.DataFrame(rows)


def _md_rows(path):
    """Rows of a Markdown table written by :func:`sosek_impact.report.tables.write_table`."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(head, (c.strip() for c in ln.strip("|").split("|")), strict=False)) for ln in lines[2:]]


if __name__ == "__main__":
    main()
