"""The report's lead: abstract (one headline estimand per question), verdict labels, identifying assumptions.

Called by ``analysis/report.py``. Every interval quoted is the few-treated one (randomisation
inference over adoption timing, inverted); an interval that is the whole line is written as not
informative with its number of assignments.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

from _common import p_text


def in_label_order(by_label: dict[str, Any]) -> dict[str, Any]:
    """``by_label`` in the order of the verdict labels (supported, contradicted, inconclusive, ...)."""
    from claims_base import VERDICTS

    return {k: by_label[k] for k in VERDICTS if k in by_label}


def _s(x: Any, nd: int = 3) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):+.{nd}f}"


def ci(num: Callable[[str], str], ft: dict[str, Any], nd: int = 3, scale: float = 1.0) -> str:
    """``few-treated 95% CI [lo, hi]`` or ``not informative (only N assignments)``."""
    lo, hi = ft.get("conf_low"), ft.get("conf_high")
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return f"few-treated 95% CI not informative (only {ft.get('n_draws', 'n/a')} assignments)"
    return f"few-treated 95% CI [{num(_s(scale * lo, nd))}, {num(_s(scale * hi, nd))}]"


def _welfare_row(w: dict[str, Any], outcome: str) -> dict[str, Any] | None:
    prim = w.get("primary", {})
    return next((r for r in w.get("rows", []) if r.get("outcome") == outcome and r.get("robustness") is None
                 and r.get("sample") == prim.get("sample") and r.get("estimator_id") == prim.get("estimator")
                 and r.get("few_treated")), None)


def abstract(rep, bp: dict, wf: dict, fw: dict, fo: dict, cl: dict, nums: dict[str, Callable[[str], str]]) -> None:
    """The abstract: welfare first (P0, HDI, unemployment), then output, forums and the claims' verdicts."""
    items = []
    for o, label, unit in (("poverty_rate", "Poverty rate (P0)", "pp"), ("hdi", "HDI", "points")):
        r = _welfare_row(wf, o)
        if r:
            ft, m = r["few_treated"], r.get("mde") or {}
            items.append(f"<li><b>{label}</b>, second-wave post (Bengkayang 2024) vs non-border Kalimantan regencies: "
                         f"{nums['welfare'](_s(r['estimate'], 2))} {unit}, {ci(nums['welfare'], ft, 2)} "
                         f"(p = {nums['welfare'](p_text(ft.get('p_value')))}); MDE {nums['welfare'](_s(m.get('mde'), 2).lstrip('+'))} {unit}.</li>")
    for o, label in (("poverty_rate", "Poverty rate (P0), first posts"), ("unemployment_rate", "Open unemployment, first posts")):
        r = _welfare_row(fw, o)
        if r:
            ft, m = r["few_treated"], r.get("mde") or {}
            items.append(f"<li><b>{label}</b> (Sanggau 2017, Sambas and Kapuas Hulu 2018): {nums['welfare_first_wave'](_s(r['estimate'], 2))} pp, "
                         f"{ci(nums['welfare_first_wave'], ft, 2)}; MDE {nums['welfare_first_wave'](_s(m.get('mde'), 2).lstrip('+'))} pp.</li>")
    p = bp.get("primary") or {}
    r = bp.get("results", {}).get(p.get("outcome", ""), {}).get(p.get("sample", ""), {})
    row = next((x for x in r.get("rows", []) if x["estimator"].startswith("Callaway")), None)
    if row:
        ft = row.get("few_treated") or {}
        items.append(f"<li><b>Log GRDP per capita</b> (primary specification: four post regencies vs non-border Kalimantan, "
                     f"Callaway&ndash;Sant'Anna): {nums['border_posts'](_s(row['estimate']))} log points, {ci(nums['border_posts'], ft)}; "
                     f"MDE {nums['border_posts'](_s((ft.get('mde') or {}).get('mde')).lstrip('+'))}. The analytical pre-period test rejects "
                     "parallel trends (CS sup-t, all three control groups) while the few-treated joint lead test"
                     + ((" does not" if r["few_treated_pretest"]["p_value"] >= 0.05 else " also rejects")
                        + f" (randomisation p = {nums['border_posts'](p_text(r['few_treated_pretest'].get('p_value')))})"
                        if r.get("few_treated_pretest") else " is not available")
                     + "; the analytical test is not valid with so few treated units, and the pre-trends remain a question "
                     "(Identifying assumptions).</li>")
    f61 = fo.get("results", {}).get("61", {})
    sd = f61.get("sdid") or {}
    if sd:
        items.append(f"<li><b>Forum, West Kalimantan</b> (1985, province GDP per capita, synthetic DiD with placebo SE over "
                     f"{len(fo.get('donors', []))} donor provinces): {nums['forums'](_s(sd.get('estimate')))} "
                     f"[{nums['forums'](_s(sd.get('conf_low')))}, {nums['forums'](_s(sd.get('conf_high')))}], with two pre-forum years.</li>")
    counts = in_label_order(cl.get("counts", {}))
    verdicts = ", ".join(f"{html.escape(k)} {v}" for k, v in counts.items() if v)
    rep.raw('<div class="abstract"><p><b>Abstract.</b> Did the Sosek Malindo cooperation and the integrated border posts raise '
            "welfare in Indonesia's Kalimantan border regencies? With one to four treated regencies, every interval below is the "
            "few-treated one (randomisation inference over adoption timing, inverted), with the minimum detectable effect (MDE, "
            "5 % test, 80 % power).</p><ul>" + "".join(items) + "</ul><p>No welfare or output effect is distinguishable from zero; "
            "effects below the MDEs are not ruled out, so the data neither confirm nor exclude modest gains. Of the seed papers' "
            f"claims: {verdicts} (labels defined in <a href=\"#claims\">Claims vs evidence</a>).</p></div>")


def verdict_definitions(rep, definitions: dict[str, str]) -> None:
    """The definitions of the claims' verdict labels."""
    rep.raw('<dl class="verdicts">' + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}.</dd>" for k, v in definitions.items())
            + "</dl>")


def assumptions(rep, bp: dict, num: Callable[[str], str]) -> None:
    """The identifying assumptions of the border-post comparisons and what the data say about each."""
    res = bp.get("results", {}).get(bp.get("main_outcome", "log_grdp_pc"), {})
    sup = {s: r.get("cs_pretest_supt") for s, r in res.items() if r.get("cs_pretest_supt")}
    parts = []
    for s, v in sup.items():
        t, c = format(v["sup_t"], ".2f"), format(v["crit_val"], ".2f")
        parts.append(f"{html.escape(s)}: sup-t {num(t)} vs 95 % critical value {num(c)}" + (" (rejects)" if v["rejects"] else ""))
    sup_txt = "; ".join(parts)
    pretests = {s: r.get("few_treated_pretest") for s, r in res.items() if r.get("few_treated_pretest")}
    ft_pre = ("; ".join(f"{html.escape(s)}: p = {num(p_text(v.get('p_value')))} (randomisation), "
                        f"{num(p_text(v.get('conley_taber_p_value')))} (Conley&ndash;Taber), {int(v.get('leads', 0))} leads"
                        for s, v in pretests.items()) if pretests else "not available (see the failures of border_posts.json)")
    rep.paragraph(
        "<ul><li><b>Parallel trends.</b> Without the posts, the post regencies' outcomes would have moved like the controls'. "
        "Evidence: the Callaway&ndash;Sant'Anna pre-period sup-t test " + (sup_txt or "n/a") + ". It rejects with every control "
        "group: the treated regencies were on different paths before the posts opened, so the effect estimates rest on an "
        "assumption the data reject, and the Honest DiD bounds (Robustness) show how far they move. (The TWFE event-study "
        "pre-test is not used: its leads are contaminated by the staggered timing.) Few-treated lead tests: " + ft_pre + ".</li>"
        "<li><b>No anticipation.</b> Outcomes do not react before the first treated year. The posts were decreed in 2015 (Inpres "
        "6/2015) and built in 2015&ndash;2016; spending on construction would show up before the opening year. Jagoi Babang "
        "operated from July 2023 (a robustness row treats Bengkayang from 2023).</li>"
        "<li><b>No spillovers to the controls.</b> Cross-border trade that moves from one crossing to another, or traffic "
        "through neighbouring regencies, changes the controls too. The border-regency control group is the most exposed "
        "(its members share the border economy); non-border Kalimantan regencies include neighbours on the roads to the posts "
        "(e.g. the Pontianak&ndash;Entikong road). Spillovers towards the controls bias the estimates towards zero. The section "
        "<i>Spillovers to neighbouring regencies</i> estimates the direct effect against controls that exclude the neighbours, "
        "and the neighbours' own effect, with few-treated intervals.</li>"
        "<li><b>Why these sites.</b> The posts were placed at the existing main crossings (Entikong is the road to Kuching, Aruk "
        "and Badau the next busiest), chosen for traffic, security and the national programme of seven PLBN, not at random. The "
        "comparison is therefore with regencies the planners did not choose, whose paths may differ for the same reasons.</li></ul>")
