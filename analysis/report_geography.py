"""Report sections of the placebo study, spillovers, night lights, the Malaysian side and the design diagnostics.

Each section reads its task's results JSON and Markdown table (``reports/results/<task>.json``,
``reports/tables/<task>*.md``); a task that has not run leaves its section out with a note, never a gap
filled in.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from _common import ROOT, read_results


def _load(name: str) -> dict[str, Any] | None:
    try:
        return read_results(name)
    except FileNotFoundError:
        return None


def _table(rep, md_rows: Callable, stem: str, caption: str, targets: tuple, keep: list[str] | None = None) -> None:
    import pandas as pd

    path = ROOT / "reports" / "tables" / f"{stem}.md"
    if not path.exists():
        rep.paragraph(f"<b>{html.escape(stem)}</b>: the table was not written (its task did not run).", "note")
        return
    rows = md_rows(path)
    df = pd.DataFrame(rows)
    if keep:
        df = df[[c for c in keep if c in df.columns]]
    rep.table(df, caption, *targets)


def placebo(rep, src: Callable, md_rows: Callable) -> None:
    """Placebo study on the study's own panel, next to the results it qualifies."""
    pl = _load("placebo")
    rep.heading("Placebo study: how often each method rejects a true null on these data")
    if pl is None:
        rep.paragraph("The placebo task has not run.", "note")
        return
    verdicts = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(str(v.get('verdict', '')))}</li>"
                       for k, v in pl.get("recommendation", {}).items())
    rep.paragraph("No regency is treated in these designs: fake adoption years with the real cohort structure are given to "
                  "untreated regencies (at random, among the smallest third by population, or matched to the treated ones by "
                  "population), and each estimator &times; inference method is applied. Every rejection is a false one, so the "
                  "rejection rate is the method's size on these data. The default few-treated intervals are scaled for unequal "
                  "noise (<code>scale=\"pre_period\"</code>); <code>scale=\"none\"</code> is the equal-variance method, shown for "
                  "comparison. Verdicts (rate at most 0.075 at a nominal 0.05 under the small-regency draw):<ul>" + verdicts + "</ul>")
    _table(rep, md_rows, "placebo", "Placebo study on the study panel: rejections of a true null at 0.05, with Monte Carlo "
           "standard errors and Clopper-Pearson intervals", src(pl))


def spillovers(rep, src: Callable, md_rows: Callable) -> None:
    """Direct effects against far controls and the ring effect on neighbours (Butts 2023)."""
    sp = _load("spillovers")
    rep.heading("Spillovers to neighbouring regencies")
    if sp is None:
        rep.paragraph("The spillover task has not run.", "note")
        return
    roles = sp.get("roles", {}).get("log_grdp_pc", {}).get("adjacency", {})
    exposed = ", ".join(r["regency"] for r in roles.get("exposed", []))
    rep.paragraph("Many controls touch a treated regency. Each regency of the primary sample is <i>treated</i>, <i>exposed</i> "
                  "(it shares a boundary with a treated regency, from that neighbour's first treated year; real polygons, "
                  "queen contiguity) or a <i>far control</i>. The direct effect compares treated regencies with far controls only; "
                  "the spillover effect compares exposed regencies with the same far controls. Exposed by adjacency: "
                  + html.escape(exposed or "none") + ". A distance band (within 150 km of an open post) is the robustness "
                  "ring. Intervals are few-treated (randomisation over timing and Conley&ndash;Taber, scaled for unequal noise). "
                  "Method: " + rep.link("docs/spillovers.md", "docs/spillovers.md") + ".")
    for stem, what in (("spillovers_log_grdp_pc", "log GRDP per capita, 2000-2019"),
                       ("spillovers_log1p_ntl_sum", "log(1 + night-light sum), 1992-2022")):
        _table(rep, md_rows, stem, f"Direct and spillover effects, {what}: CS simple ATT with few-treated 95 % intervals", src(sp))


def night_lights(rep, src: Callable, md_rows: Callable) -> None:
    """Night lights 1992-2022: validation against GRDP, the first posts, the 1995 forum, the seam."""
    nl = _load("night_lights")
    rep.heading("Night lights, 1992-2022 (activity, not welfare)")
    if nl is None:
        rep.paragraph("The night-lights task has not run.", "note")
        return
    rep.paragraph("Annual LACC night lights (Tang et al. 2025) for the 56 Kalimantan regencies, with the source's quirks flagged "
                  "(the Mempawah code fix, repeated years, sharp drops, the 2013-14 sensor seam). They give about 25 pre-years for "
                  "the first posts, free of the 2019/2020 GRDP denominator break, and three pre-years for the 1995 East "
                  "Kalimantan&ndash;Sabah forum. Lights measure economic activity and settlement, not household welfare. Method: "
                  + rep.link("docs/night_lights.md", "docs/night_lights.md") + ".")
    _table(rep, md_rows, "night_lights_validation", "Night lights against GRDP: elasticities with regency and year fixed effects",
           src(nl))
    _table(rep, md_rows, "night_lights_effects", "Border posts and the 1995 forum on log(1 + lights): few-treated intervals and MDEs",
           src(nl))
    for key, cap in (("event_study", "Night lights: event-time effects with few-treated pointwise intervals"),
                     ("seam", "Night lights: the 2013-14 sensor seam")):
        path = f"reports/figures/night_lights_{key}.png"
        if (ROOT / path).exists():
            rep.figure(path, cap, *src(nl))


def malaysian_side(rep, src: Callable, md_rows: Callable) -> None:
    """Household income across the land border (levels, not effects)."""
    cb = _load("cross_border")
    rep.heading("The Malaysian side of the border: levels, not effects")
    if cb is None:
        rep.paragraph("The cross-border task has not run.", "note")
        return
    rep.paragraph("For each land-border regency, the Sarawak and Sabah districts that touch it across the border (from the "
                  "polygons) and their HIES household income (DOSM). The two sides are compared only through conversions kept in "
                  "the registry with their sources (exchange rates, household sizes); where one is missing the comparison says "
                  "so. Malaysian household income per person is set against Kalimantan consumption expenditure per person: income "
                  "is not expenditure, and poverty rates are shown side by side but never divided (households vs persons, "
                  "different national lines). These are differences in levels, not effects of any programme.")
    _table(rep, md_rows, "cross_border", "Across the land border, 2019 (US$ per person per month at exchange rates)", src(cb))
    path = "reports/figures/cross_border.png"
    if (ROOT / path).exists():
        rep.figure(path, "Household income per person across the border, 2019", *src(cb))


def design_diagnostics(rep, src: Callable) -> None:
    """Goodman-Bacon weights, TWFE cell weights and the pre-test's power on the primary sample."""
    dd = _load("design_diagnostics")
    rep.heading("Design diagnostics: what TWFE averages, what the pre-test can see")
    if dd is None:
        rep.paragraph("The design-diagnostics task has not run.", "note")
        return
    r = dd.get("results", {})
    bacon = {b["comparison_type"]: b for b in r.get("bacon", {}).get("by_type", [])}
    w = r.get("twfe_weights", {})
    pt = r.get("pretrends", {})
    forbidden = bacon.get("later_vs_earlier", {}).get("weight")
    items = []
    if bacon:
        items.append("Goodman-Bacon: the TWFE coefficient " + f"{r['bacon']['twfe']:.4f}" + " puts weight "
                     + ", ".join(f"{html.escape(k)} {v['weight']:.4f}" for k, v in bacon.items())
                     + (f" on its comparisons; the forbidden (later vs already treated) comparisons carry {forbidden:.4f}." if forbidden
                        is not None else "."))
    if w:
        items.append(f"de Chaisemartin&ndash;D'Haultf&oelig;uille weights: {w['n_negative']} negative (sum {w['sum_negative']:.4f}).")
    for power, e in pt.items():
        if "slope" in e:
            items.append(f"Pre-test power (Roth 2022, cluster-robust covariance, {html.escape(str(dd.get('results', {}).get('years')))}): "
                         f"a linear pre-trend of {e['slope']:.4f} log points a year is detected with probability {float(power):.0%}.")
    rep.paragraph("Primary sample, break-free window. <ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>The event-study "
                  "covariance is the cluster-robust one, too small with three treated regencies, so the power is an upper bound "
                  "and the undetectable slopes a lower bound.")
    path = "reports/figures/design_bacon.png"
    if (ROOT / path).exists():
        rep.figure(path, "Goodman-Bacon decomposition of the TWFE coefficient, primary sample", *src(dd))
