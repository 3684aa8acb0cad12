"""Report pieces of analysis 1 added for the referee: the primary specification and the 2019/2020 break."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from _common import ROOT


def _s(x: Any, nd: int = 3) -> str:
    return "n/a" if x is None else f"{float(x):+.{nd}f}"


def _u(x: Any, nd: int = 2) -> str:
    return "n/a" if x is None else f"{float(x):.{nd}f}"


def primary(rep, bp: dict[str, Any], num: Callable[[str], str]) -> None:
    """The one primary specification with its few-treated interval and minimum detectable effect."""
    p = bp.get("primary") or {}
    if not p:
        return
    r = bp.get("results", {}).get(p["outcome"], {}).get(p["sample"], {})
    row = next((x for x in r.get("rows", []) if x["estimator"].startswith("Callaway")), None)
    if row is None:
        return
    ft = row.get("few_treated") or {}
    m = ft.get("mde") or {}
    text = ("<b>Primary specification</b> (named in " + rep.link("analysis/specs/border_posts.toml", "analysis/specs/border_posts.toml")
            + "; every other row is robustness): log GRDP per capita, border-post regencies vs non-border Kalimantan regencies, "
            f"Callaway&ndash;Sant'Anna simple ATT {num(_s(row['estimate']))} log points")
    if ft:
        text += (f", few-treated 95% CI [{num(_s(ft['conf_low']))}, {num(_s(ft['conf_high']))}] (randomisation p = "
                 + num(f"{ft['p_value']:.3f}") + f"); minimum detectable effect {num(_u(m.get('mde'), 3))} log points "
                 "(5 % test, 80 % power, from the placebo distribution of the estimate).")
    else:
        text += "; its few-treated interval needs <code>sosek_impact.inference.few_treated_inference</code> (see Not run)."
    rep.paragraph(text)


def break_section(rep, gb: dict[str, Any], bp: dict[str, Any], num: Callable[[str], str], src: tuple, md_rows: Callable) -> None:
    """Diagnosis of the 2019->2020 level break and the re-estimates beside it."""
    if not gb:
        return
    s = gb["summary"]
    sd, share = _u(s["sd_change"], 3), _u(100 * s["share_below_minus_10pct"], 0)
    med_g, rho_g = _u(100 * s["median_grdp_change"], 1), _u(s["spearman_break_vs_grdp"], 2)
    med_p, rho_p = _u(100 * s["median_implied_population_change"], 1), _u(s["spearman_break_vs_implied_population"], 2)
    slope = _u(s["ols_break_on_population_and_grdp"]["population"], 2)
    rep.heading("The 2019/2020 level break of regency GRDP per capita")
    rep.paragraph(
        f"From 2019 to 2020 log GRDP per capita (indonesia514) changes by {num(_s(s['mean_change']))} on average across "
        f"{s['n_regencies']} regencies (SD {num(sd)}; {num(share)} % fall by "
        "more than 10 %), far outside every other year. Is it output or the denominator? Two cross-sections bracket 2020: GRDP and "
        "population in 2019 (INDO-DAPOER) and GRDP in 2021 (BPS indicators). Since GRDP per capita = GRDP / population, the change "
        "of GRDP per capita from 2019 to 2021 splits into the change of GRDP (measured) and of the population the series divides by "
        f"(implied). Over the {s['n_consistent']} regencies whose 2019 pieces agree within 5 %, GRDP rose by a median "
        f"{num(med_g)} % and is nearly unrelated to the break (Spearman "
        f"{num(rho_g)}), while the implied population jumps (median {num(med_p)} % "
        f"in two years; Spearman with the break {num(rho_p)}; regression slope "
        f"{num(slope)}, a pure denominator effect would give &minus;1). "
        "The break sits in the denominator, as a rebasing of the population to the 2020 census (SP2020) would put it, not in output: a level shift of the "
        "denominator in every post-period of the first wave, which alone makes e.g. Sambas' synthetic-control 'effect'.")
    for key in ("break",):
        if key in gb.get("figures", {}):
            rep.figure(gb["figures"][key], "The 2019-2020 break against the implied population and GRDP changes", *src)
    path = ROOT / "reports/tables/grdp_break.md"
    if path.exists():
        import pandas as pd

        rep.table(pd.DataFrame(md_rows(path)), "The break at each border-post regency (log changes)", *src,
                  ("table (md)", "reports/tables/grdp_break.md"))
    rob = bp.get("robustness", {})
    lines = []
    for rid in ("break_adjusted", "drop_2020", "end_2019"):
        r = rob.get(rid)
        if not r:
            continue
        for row in r.get("rows", []):
            if row["estimator"].startswith("Callaway"):
                ft = row.get("few_treated") or {}
                ci = (f"few-treated CI [{num(_s(ft['conf_low']))}, {num(_s(ft['conf_high']))}]" if ft else
                      f"analytical CI [{num(_s(row['conf_low']))}, {num(_s(row['conf_high']))}]")
                lines.append(f"<li>{html.escape(r['label'])}: CS {num(_s(row['estimate']))}, {ci}</li>")
    if lines:
        rep.paragraph("Re-estimates of the primary specification beside the break (Kalimantan sample):<ul>" + "".join(lines)
                      + "</ul>The chain-linked series removes the break and with it any true regency-specific 2020 shock "
                      "(COVID, the 2020 border closure), so it bounds the break's influence rather than recovering the truth.")
