"""Claim rules on growth and shares (C21-C24) in the built panels: GRDP shares, growth comparisons, incomes.

Same verdict rules as ``claims_levels`` (Welch intervals over regencies, normal-theory MDE when inconclusive).
"""

from __future__ import annotations

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
    interval_verdict,
    mde_normal,
    mde_text,
    rule,
    welch,
)


@rule
def border_grdp_share(ctx) -> Evidence:
    # Seed 002 (Haryatie 2015), Pendahuluan (lines 254-262): "kontribusi ekonomi wilayah perbatasan sangat rendah, yaitu kurang
    # dari 0,1% (satu per mil) terhadap pertumbuhan ekonomi nasional (Badan Perencanaan Pembangunan Nasional, 1980)".
    seed_pct = 0.1
    p, conf = ctx["panel"], cfg(ctx)
    d = p.dropna(subset=["grdp"])
    parts, shares = [], []
    for y in conf["grdp_share_years"]:
        dy = d.loc[d["year"] == y]
        b = dy.loc[dy["border"].astype(bool)]
        s = 100 * b["grdp"].sum() / dy["grdp"].sum()
        shares.append(s)
        parts.append(f"{y}: {rp(s, 2):.2f}% ({len(b)} border regencies)")
    y0, y1 = conf["grdp_growth_share_period"]
    growth = []
    for set_year in (y1, 2012):
        codes = set(d.loc[(d["year"] == set_year) & d["border"].astype(bool), "bps_code"])
        w = d.loc[d["year"].isin([y0, y1])].pivot(index="bps_code", columns="year", values="grdp")
        nat = w[y1].sum() - w[y0].sum()
        bor = w.loc[w.index.isin(codes), y1].sum() - w.loc[w.index.isin(codes), y0].sum()
        g = 100 * bor / nat
        growth.append(g)
        growth_txt = (f"share of the {y0}-{y1} increase of national GRDP: {rp(g, 2):.2f}% (border set of {set_year}"
                      + (", Mahakam Ulu back-cast before 2013" if set_year >= 2013 else ", with Kutai Barat") + ")")
        parts.append(growth_txt)
    all_vals = shares + growth
    ok = max(all_vals) < seed_pct
    verdict = SUPPORTED if ok else CONTRADICTED
    why = (f"the Kalimantan land-border regencies' share of the national GRDP sum is {rp(min(shares), 2):.2f}-{rp(max(shares), 2):.2f}% and their share of "
           f"its {y0}-{y1} growth {rp(min(growth), 2):.2f}-{rp(max(growth), 2):.2f}%, i.e. {rp(min(all_vals) / seed_pct, 0):.0f}-{rp(max(all_vals) / seed_pct, 0):.0f} times the "
           f"seed's {seed_pct:g}%" if not ok else f"all measured shares are below the seed's {seed_pct:g}%")
    why += ("; measured: GRDP at constant 2010 prices summed over the 514 regencies (our 'national' total); the seed cites Bappenas 1980 "
            "and our series start in 2000; its 'wilayah perbatasan' covers all of Indonesia's border areas, while ours are the 8 Kalimantan "
            "regencies on the Malaysian land border, so a wider set would only raise the level share")
    return ev("border regencies' share of national GRDP (sum of 514 regencies, constant 2010 prices): " + "; ".join(parts),
               "GRDP 2016-17 provisional; Mahakam Ulu's values before 2013 are back-cast from Kutai Barat", verdict, why,
               ["data/processed/panel.parquet", "data/raw/regency_series.csv"])


def _annual_growth(ctx, var: str, y0: int, y1: int):
    """Annual log growth (% per year) of ``var`` by regency, with the regency's flags in ``y1``."""
    import numpy as np

    p = ctx["panel"]
    d = p.loc[p["year"].isin([y0, y1])]
    w = d.pivot(index="bps_code", columns="year", values=var).astype(float)
    flags = d.loc[d["year"] == y1].set_index("bps_code")[["border", "kalimantan", "province_code"]]
    g = (100 * (np.log(w[y1]) - np.log(w[y0])) / (y1 - y0)).rename("g")
    out = flags.join(g).dropna(subset=["g"])
    out["border"] = out["border"].astype(bool)
    out["kalimantan"] = out["kalimantan"].astype(bool)
    return out


@rule
def border_low_growth(ctx) -> Evidence:
    # Seed 002 (Haryatie 2015), lines 240-244: "wilayah perbatasan yang umumnya sangat rendah dalam pertumbuhannya".
    conf = cfg(ctx)
    y0, y1 = conf["border_growth_period"]
    g = _annual_growth(ctx, "grdp_pc", y0, y1)
    lvl = conf["confidence"]
    b = g.loc[g["border"], "g"]
    comps = {"non-border Kalimantan": g.loc[g["kalimantan"] & ~g["border"], "g"], "non-border Indonesia": g.loc[~g["border"], "g"]}
    parts = [f"GRDP per capita growth {y0}-{y1} (constant 2010 prices, % per year, regency means): border {rp(b.mean(), 2):.2f} (n={len(b)})"]
    states, labels, mdes = [], [], []
    for name, o in comps.items():
        diff, lo, hi, se = welch(b, o, lvl)
        parts.append(f"{name} {rp(o.mean(), 2):.2f} (n={len(o)}), difference {rp(diff, 2):+.2f} [{rp(lo, 2):+.2f}, {rp(hi, 2):+.2f}]")
        states.append((name, "lower" if hi < 0 else "higher" if lo > 0 else "not distinguishable", diff))
        labels.append(interval_verdict(lo, hi, sign=-1))
        mdes.append(mde_normal(se))
    verdict = combine(labels)
    why = (f"{verdict}: border regencies' GRDP-per-capita growth is " + "; ".join(f"{s} vs {n} ({rp(d, 2):+.2f} points a year)" for n, s, d in states)
           + f". The rule needs growth below both comparisons with the {int(100 * lvl)}% interval excluding zero; period ends in {y1}, "
             "before the seed (Dec 2015)"
           + (f"; {mde_text(max(mdes), 'points a year')} (the larger of the two comparisons' MDEs)" if verdict == INCONCLUSIVE else ""))
    return ev("; ".join(parts), f"Welch {int(100 * lvl)}% intervals over regencies; border set of {y1} (Mahakam Ulu back-cast before 2013)",
               verdict, why, ["data/processed/panel.parquet"])


@rule
def kalbar_border_income_growth(ctx) -> Evidence:
    # Seed 003 (Fahrozi et al.), Kesimpulan (line 166): "peningkatan pendapatan perkapita masyarakat Kalimantan Barat khususnya di
    # daerah-daerah yang berbatasan langsung dengan wilayah Malaysia".
    conf = cfg(ctx)
    y0, y1 = conf["kalbar_growth_period"]
    g = _annual_growth(ctx, "grdp_pc", y0, y1)
    g = g.loc[g["province_code"] == 61]
    b, o = g.loc[g["border"], "g"], g.loc[~g["border"], "g"]
    diff, lo, hi, se = welch(b, o, conf["confidence"])
    rising = bool((b > 0).all())
    faster = diff > 0
    per = ", ".join(f"{ctx['names'].get(int(c), c)} {rp(v, 2):.2f}" for c, v in b.sort_values(ascending=False).items())
    text = (f"West Kalimantan GRDP per capita growth {y0}-{y1} (% per year): border regencies mean {rp(b.mean(), 2):.2f} ({per}); other West "
            f"Kalimantan regencies mean {rp(o.mean(), 2):.2f} (n={len(o)}); difference {rp(diff, 2):+.2f} [{rp(lo, 2):+.2f}, {rp(hi, 2):+.2f}]")
    # the distinguishing part is "especially in the border regencies": growth everywhere does not tell the cooperation
    # from Indonesia's general growth, so the verdict is the comparison's
    verdict = interval_verdict(lo, hi, sign=1)
    why = (f"{verdict}: GRDP per capita {'rose' if rising else 'did not rise'} in every West Kalimantan border regency, but their growth is "
           f"{'above' if faster else 'below'} that of the other West Kalimantan regencies ({rp(diff, 2):+.2f} points a year), so "
           + ("the 'especially in the border regencies' part holds" if verdict == SUPPORTED else
              "the 'especially in the border regencies' part is contradicted" if verdict == CONTRADICTED else
              f"the 'especially in the border regencies' part is not shown either way; {mde_text(mde_normal(se), 'points a year')}")
           + "; GRDP per capita is output per resident, not household income")
    return ev(text, f"Welch {int(100 * conf['confidence'])}% interval over regencies (5 vs {len(o)}); 2016-17 values provisional", verdict, why,
               ["data/processed/panel.parquet", "data/raw/regency_series.csv"])


