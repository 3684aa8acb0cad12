"""Claim rules on effects (C06, C07, C09-C12): forums and border posts against the estimates.

Every number comes from the results of analyses 1, 2 and 6 (``reports/results/*.json``); the verdict
comes from the valid interval (few-treated where there are few treated units) by
:func:`claims_base.interval_verdict`, with the minimum detectable effect when it is inconclusive.
"""

from __future__ import annotations

from typing import Any

from sosek_impact.report.tables import round_for_print as rp

from claims_base import (
    CONTRADICTED,
    INCONCLUSIVE,
    NOT_TESTABLE,
    SUPPORTED,
    Evidence,
    cfg,
    combine,
    ev,
    interval_text,
    interval_verdict,
    mde_normal,
    mde_text,
    rule,
)

NAN = float("nan")


def _forum(ctx, code: str):
    f = ctx["forums"].get("results", {}).get(code, {})
    return f, f.get("sc", {}), f.get("sdid", {})


def _sc_fits(sc: dict[str, Any]) -> bool:
    return not any("outside the donors' range" in n for n in sc.get("notes", []))


def sc_p(ctx, sc: dict[str, Any]) -> tuple[float | None, str]:
    """The informative placebo rank p-value of a synthetic control and what it is.

    With an exact pre-period fit (pre-RMSPE ~ 0) the post/pre RMSPE ratio is noise over noise and
    its rank says nothing (its value even depends on the machine's last bits, so it is not
    quoted); the rank of the post-period RMSPE (``p_value_post``) is used instead.
    """
    pre = sc.get("pre_rmspe")
    threshold = cfg(ctx)["exact_prefit_rmspe"]
    if pre is not None and pre <= threshold and sc.get("p_value_post") is not None:
        return sc["p_value_post"], (f"post-period-RMSPE rank p (exact pre-fit, pre-RMSPE below {threshold:g}: the RMSPE-ratio "
                                    "rank is not informative)")
    label = "RMSPE-ratio rank p"
    if not _sc_fits(sc):
        label += " (the synthetic control cannot fit: pre-period level outside the donors' range)"
    return sc.get("p_value"), label


def sc_verdict(p: float | None, gap: float | None, alpha: float, fits: bool = True) -> str:
    """Synthetic control: supported/contradicted if the informative placebo p <= alpha (by the gap's sign)."""
    if not fits or p is None or gap is None:
        return INCONCLUSIVE
    if p <= alpha:
        return SUPPORTED if gap > 0 else CONTRADICTED
    return INCONCLUSIVE


def forum_test(ctx, code: str) -> dict[str, Any] | None:
    """Evidence of one forum province: SDID interval and synthetic-control gap with its informative p."""
    f, sc, sd = _forum(ctx, code)
    if not sd and not sc:
        return None
    alpha = cfg(ctx)["alpha"]
    p, p_label = sc_p(ctx, sc)
    v_sdid = interval_verdict(sd.get("conf_low"), sd.get("conf_high"))
    v_sc = sc_verdict(p, sc.get("att_avg"), alpha, _sc_fits(sc))
    mde = mde_normal(sd.get("se"))
    text = (f"{f.get('province')}: SDID {rp(sd.get('estimate', NAN), 3):+.3f} {interval_text(sd.get('conf_low'), sd.get('conf_high'))}, "
            f"SC gap {rp(sc.get('att_avg', NAN), 3):+.3f} log points, {p_label} = {rp(p if p is not None else NAN, 2):.2f}")
    reasons = [f"SDID {v_sdid} (interval {'excludes' if v_sdid != INCONCLUSIVE else 'includes'} zero)"]
    reasons.append("its synthetic control does not fit" if not _sc_fits(sc) else
                   f"SC placebo p {rp(p, 2):.2f} {'<=' if p is not None and p <= alpha else '>'} {alpha:g}")
    parts = [v_sdid] + ([v_sc] if _sc_fits(sc) else [])
    return {"province": f.get("province"), "n_pre": f.get("n_pre"), "text": text, "verdict": combine(parts),
            "reasons": reasons, "mde": mde}


@rule
def forum_kalbar(ctx) -> Evidence:
    t = forum_test(ctx, "61")
    if t is None:
        return ev("forum estimates not available", "", NOT_TESTABLE, "the forum analysis did not run", ["reports/results/forums.json"])
    n_donors = len(ctx["forums"].get("donors", []))
    unc = (f"SDID 95% CI (placebo SE over {n_donors} donor provinces); only {t['n_pre']} pre-forum years, so the SC weights and "
           "placebo ranks rest on very few points")
    why = (f"{t['verdict']}: " + " and ".join(t["reasons"])
           + (f"; {mde_text(t['mde'], 'log points')}" if t["verdict"] == INCONCLUSIVE else "")
           + f". GDP per capita (province) is only a proxy for welfare; with {t['n_pre']} pre-forum years no design can separate the "
             "forum from Kalimantan Barat's own trend")
    return ev(t["text"], unc, t["verdict"], why,
              ["reports/results/forums.json", "analysis/specs/forums.toml", "data/processed/province_panel.parquet"])


@rule
def forum_both(ctx) -> Evidence:
    tests = [t for t in (forum_test(ctx, c) for c in ("61", "64")) if t is not None]
    if not tests:
        return ev("not available", "", NOT_TESTABLE, "forum analysis did not run", ["reports/results/forums.json"])
    verdict = combine(t["verdict"] for t in tests)
    why = "; ".join(f"{t['province']}: {t['verdict']} ({', '.join(t['reasons'])}; SDID MDE {rp(t['mde'], 2):.2f} log points)"
                    for t in tests)
    why += {INCONCLUSIVE: " - neither forum province shows a GDP-per-capita change distinguishable from zero against provinces "
                          "without a forum; changes below the MDEs are not ruled out",
            SUPPORTED: " - both forum provinces show a gain"}.get(verdict, " - the forum provinces' verdicts differ")
    n_donors = len(ctx["forums"].get("donors", []))
    return ev("; ".join(t["text"] for t in tests),
              f"placebo-based SE ({n_donors} donor provinces); East Kalimantan lies outside the donors' range (oil and gas), so its "
              "synthetic control does not fit",
              verdict, why, ["reports/results/forums.json", "analysis/specs/forums.toml"])


@rule
def sanggau_post_effect(ctx) -> Evidence:
    sc = ctx["border_posts"].get("synthetic_control", {})
    if "6105" not in sc:
        return ev("not available", "", NOT_TESTABLE, "synthetic control for Sanggau did not run", ["reports/results/border_posts.json"])
    s, alpha = sc["6105"], cfg(ctx)["alpha"]
    others = {k: v["att_avg"] for k, v in sc.items() if k != "6105"}
    largest = max(sc, key=lambda k: sc[k]["att_avg"])
    p = s.get("p_value")
    v_own = sc_verdict(p, s["att_avg"], alpha)
    # the claim: Sanggau's effect is the larger one; a significant positive gap that is not the largest contradicts it
    verdict = (SUPPORTED if v_own == SUPPORTED and largest == "6105" else
               CONTRADICTED if v_own == CONTRADICTED or (v_own == SUPPORTED and largest != "6105") else INCONCLUSIVE)
    largest_txt = "the largest" if largest == "6105" else f"not the largest (largest: {ctx['names'].get(int(largest), largest)})"
    return ev(f"Sanggau (Entikong, from {s['treatment_year']}): synthetic-control gap {rp(s['att_avg'], 3):+.3f} log points, placebo p = {rp(p, 2):.2f}; "
              "other post regencies: " + ", ".join(f"{ctx['names'].get(int(k), k)} {rp(v, 3):+.3f}" for k, v in sorted(others.items())),
              f"rank p-value among {s['n_donors']} placebo donors; the 2019/2020 source break falls in the post period",
              verdict,
              f"{verdict}: Sanggau's post-opening gap is {largest_txt} and its placebo p {rp(p, 2):.2f} is {'<=' if p <= alpha else '>'} "
              f"{alpha:g}, so no post-regency effect is distinguishable from the placebo gaps",
              ["reports/results/border_posts.json", "analysis/specs/border_posts.toml"])


def valid_interval(r: dict) -> tuple[float | None, float | None, str, dict]:
    """The interval a verdict uses: the few-treated one when the row has it, else the row's own."""
    ft = r.get("few_treated") or {}
    if "conf_low" in ft:
        return ft.get("conf_low"), ft.get("conf_high"), "few-treated", ft
    return r.get("conf_low"), r.get("conf_high"), "analytical", {}


@rule
def gdp_effects(ctx) -> Evidence:
    bp = ctx["border_posts"]
    out = bp.get("results", {}).get(bp.get("main_outcome", "log_grdp_pc"), {})
    parts, labels, kinds, mdes = [], [], set(), []
    for s in ("border", "kalimantan", "national"):
        for r in out.get(s, {}).get("rows", []):
            if r["estimator"].startswith("Callaway"):
                lo, hi, kind, ft = valid_interval(r)
                kinds.add(kind)
                parts.append(f"CS {s}: {rp(r['estimate'], 3):+.3f} {interval_text(lo, hi, n=ft.get('n_draws'))}")
                labels.append(interval_verdict(lo, hi))
                m = (ft.get("mde") or {}).get("mde")
                if m is not None:
                    mdes.append(m)
    fb = forum_both(ctx)
    verdict = combine([*labels, fb["verdict"]])
    unc = ("CS estimates with few-treated 95% intervals (randomisation inference over adoption timing, inverted)"
           if kinds == {"few-treated"} else "CS intervals: " + " / ".join(sorted(kinds)) + " (few-treated where available)")
    why = {INCONCLUSIVE: "inconclusive: no estimate shows a GDP-per-capita change whose valid interval excludes zero; "
                         + (mde_text(min(mdes), "log points", 3) + " with the best-powered control group" if mdes else "")
                         + "; several point estimates are negative, partly reflecting the 2019/2020 level break of the source"}.get(
        verdict, f"{verdict}: the border-post and forum estimates point different ways" if verdict == "mixed" else
        f"{verdict}: the valid intervals exclude zero")
    return ev("border posts, log GRDP per capita: " + "; ".join(parts) + ". Forums: " + fb["evidence"],
              unc + "; few treated units (4 post regencies, 2 forum provinces)", verdict, why,
              ["reports/results/border_posts.json", "reports/results/forums.json", "analysis/specs/border_posts.toml"])


def welfare_primary(ctx, outcome: str, key: str = "welfare") -> dict | None:
    """The primary-specification row of ``outcome`` in the welfare results (with its few-treated interval)."""
    w = ctx.get(key) or {}
    prim = w.get("primary", {})
    for r in w.get("rows", []):
        if (r.get("outcome") == outcome and r.get("robustness") is None and r.get("sample") == prim.get("sample")
                and r.get("estimator_id") == prim.get("estimator") and r.get("few_treated")):
            return r
    return None


def gap_rows(ctx, outcome: str, comparison: str):
    """Rows of the gaps results for one outcome and comparison, with a gap."""
    return [r for r in ctx["gaps"].get("rows", []) if r["outcome"] == outcome and r["comparison"] == comparison and r.get("gap") is not None]


@rule
def poverty_effect(ctx) -> Evidence:
    r = welfare_primary(ctx, "poverty_rate")
    rows = gap_rows(ctx, "poverty_rate", "kalimantan")
    if r is None:
        if not rows:
            return ev("no poverty data", "", NOT_TESTABLE, "", ["reports/results/gaps.json"])
        return ev("welfare estimates not available", "", NOT_TESTABLE, "the welfare analysis did not run", ["reports/results/welfare.json"])
    ft, m = r["few_treated"], r.get("mde") or {}
    r1 = welfare_primary(ctx, "poverty_rate", "welfare_first_wave")
    labels = [interval_verdict(ft.get("conf_low"), ft.get("conf_high"), sign=-1)]
    ev_text = (f"second-wave border post (Jagoi Babang, Bengkayang, 2024) vs non-border Kalimantan regencies: P0 change "
               f"{rp(r['estimate'], 2):+.2f} pp (Callaway-Sant'Anna), few-treated 95% CI {interval_text(ft.get('conf_low'), ft.get('conf_high'), 2)}, "
               f"p = {rp(ft['p_value'], 2):.2f}; minimum detectable effect {rp(m.get('mde', NAN), 2):.2f} pp")
    if r1 is not None:
        f1, m1 = r1["few_treated"], r1.get("mde") or {}
        labels.append(interval_verdict(f1.get("conf_low"), f1.get("conf_high"), sign=-1))
        ev_text += (f"; first-wave posts (Sanggau, Sambas, Kapuas Hulu), P0 {r1['years'][0]}-2014 vs 2020-2024: {rp(r1['estimate'], 2):+.2f} pp, "
                    f"few-treated 95% CI {interval_text(f1.get('conf_low'), f1.get('conf_high'), 2)}, MDE {rp(m1.get('mde', NAN), 2):.2f} pp "
                    "(a level comparison across the 2015-2019 gap and two survey compilations)")
    if rows:
        a, b = rows[0], rows[-1]
        ev_text += f"; descriptive border minus non-border Kalimantan P0 gap {rp(a['gap'], 2):+.2f} pp ({a['year']}) -> {rp(b['gap'], 2):+.2f} pp ({b['year']})"
    verdict = combine(labels)
    why = (f"{verdict}: " + ("the poverty rate fell relative to comparable regencies with an interval excluding zero" if verdict == SUPPORTED else
                             "the poverty rate rose relative to comparable regencies with an interval excluding zero" if verdict == CONTRADICTED else
                             "no fall in the poverty rate distinguishable from the year-to-year noise of one regency; "
                             + mde_text(m.get("mde"), "pp") + ", so a smaller effect is not ruled out")
           + (f". At the first posts: MDE {(r1.get('mde') or {}).get('mde', NAN):.2f} pp. The forums (1985/1995) predate every regency "
              "P0 series" if r1 is not None else
              ". The bundled data bracket only the second-wave post: the forums (1985/1995) and the first posts (2016-17) predate "
              "the regency P0 series"))
    return ev(ev_text, f"one treated regency, one post-year: randomisation inference over adoption timing ({ft['n_draws']} assignments), "
              "inverted", verdict, why, ["reports/results/welfare.json", "reports/results/welfare_first_wave.json", "analysis/specs/welfare.toml",
                                  "reports/results/gaps.json"])


@rule
def unemployment_effect(ctx) -> Evidence:
    r = welfare_primary(ctx, "unemployment_rate", "welfare_first_wave")
    if r is not None:
        ft, m = r["few_treated"], r.get("mde") or {}
        verdict = interval_verdict(ft.get("conf_low"), ft.get("conf_high"), sign=-1)
        why = (f"{verdict}: " + ("unemployment fell relative to comparable regencies with an interval excluding zero" if verdict == SUPPORTED
                                 else "unemployment rose relative to comparable regencies" if verdict == CONTRADICTED else
                                 "no fall in unemployment distinguishable from noise; " + mde_text(m.get("mde"), "pp"))
               + "; the post-period ends in the COVID year 2020")
        return ev(f"first-wave border posts (Sanggau 2017, Sambas and Kapuas Hulu 2018) vs non-border Kalimantan regencies, open "
                  f"unemployment {r['years'][0]}-{r['years'][1]}: {rp(r['estimate'], 2):+.2f} pp (Callaway-Sant'Anna), few-treated 95% CI "
                  f"{interval_text(ft.get('conf_low'), ft.get('conf_high'), 2)}, p = {rp(ft['p_value'], 2):.2f}",
                  f"{r['n_treated']} treated regencies, randomisation inference over adoption timing; MDE {rp(m.get('mde', NAN), 2):.2f} pp",
                  verdict, why, ["reports/results/welfare_first_wave.json", "analysis/specs/welfare_first_wave.toml"])
    p = ctx["panel"]
    d = p.loc[(p["year"] == 2021) & p["kalimantan"].astype(bool)].dropna(subset=["unemployment_rate"])
    if d.empty:
        return ev("no unemployment data", "", NOT_TESTABLE, "", [])
    b = d.loc[d["border"].astype(bool), "unemployment_rate"]
    o = d.loc[~d["border"].astype(bool), "unemployment_rate"]
    return ev(f"2021 open unemployment: border regencies {rp(b.mean(), 2):.2f}% (n={len(b)}), non-border Kalimantan {rp(o.mean(), 2):.2f}% (n={len(o)})",
              "one cross-section (year inferred as 2021 by the data team)", NOT_TESTABLE,
              "unemployment by regency is in the bundled data for one year only: a change cannot be measured",
              ["data/processed/panel.parquet", "data/raw/regency_series.csv"])
