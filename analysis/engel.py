"""Analysis 4: welfare through Engel's law.

1. Engel curve across provinces and years (2017-2025): food share on log per-capita
   expenditure with year effects (main) and with province and year effects (alternative),
   clustered by province, plus a cluster bootstrap of the slope.
2. Kalimantan border provinces vs the rest: the food-share gap at equal expenditure and its
   income equivalent -delta/beta (delta method with the joint covariance of delta and beta
   from the same regression).
3. The second PLBN wave at province level (difference-in-differences on the food share, 2024+)
   turned into an income equivalent (delta method with block-diagonal covariance, and the
   bootstrap alternative).
4. Regency food shares: not in the bundled data. If the BPS table named in the spec is saved
   at the spec's path, it is read with ``sosek_impact.panel.add_bps_table`` and the border-post
   effect on the regency food share is estimated and converted the same way.

Reads ``analysis/specs/engel.toml``.
"""

from __future__ import annotations

from typing import Any

from _common import (
    FIGURES,
    ROOT,
    SOURCE_LINE,
    TABLES,
    attempt,
    data_path,
    load_spec,
    method,
    provenance,
    read_panel,
    write_results,
)

SPEC = "analysis/specs/engel.toml"


def province_data(spec: dict[str, Any]):
    """Province-years with a food share and total expenditure, in the spec's window."""
    dat = spec["data"]
    panel = read_panel(dat["panel"])
    d = panel.loc[panel["year"].between(dat["first_year"], dat["last_year"])
                  & ~panel["province_code"].isin(dat["exclude_provinces"])].dropna(subset=[dat["share"], dat["expenditure"]])
    return d.reset_index(drop=True), panel


def gap_regression(d, spec, groups: dict[str, list[int]]):
    """Food share on log expenditure, year effects and group dummies (clustered by province).

    Returns a dict per group with delta, its SE, the Engel slope, its SE and their covariance,
    all from the same regression (so the delta method uses the joint covariance).
    """
    from sosek_impact.welfare import engel_curve

    e = spec["engel"]
    x = d.copy()
    for name, codes in groups.items():
        x[name] = x["province_code"].isin(codes).astype(float)
    fit = engel_curve(x, share=spec["data"]["share"], expenditure=spec["data"]["expenditure"],
                      effects=tuple(e["main_effects"]), controls=tuple(groups), cluster=e["cluster"])
    out = {}
    for name in groups:
        out[name] = {"delta": float(fit.params[name]), "se_delta": float(fit.cov.loc[name, name] ** 0.5),
                     "beta": fit.beta, "se_beta": fit.se, "cov_delta_beta": float(fit.cov.loc[name, "ln_x"])}
    return out, fit


def province_did(d, spec):
    """Food share on treated-province x post (province and year effects), clustered by province."""
    import numpy as np

    c = spec["comparison"]
    x = d.copy()
    x["treat"] = (x["province_code"].isin(c["treated_provinces"]) & (x["year"] >= c["post_from"])).astype(int)
    x["share_pp"] = x[spec["data"]["share"]].astype(float)
    x = x.loc[:, ["province_code", "year", "share_pp", "treat"]]
    # balanced panel for the TWFE: provinces observed in every year of the window
    n_years = x["year"].nunique()
    keep = x.groupby("province_code")["year"].nunique()
    x = x.loc[x["province_code"].isin(keep.index[keep == n_years])]
    res = method("twfe")(x, "share_pp", "province_code", "year", "treat")
    t = res.tidy().set_index("term").loc["treat"]
    return {"delta": float(t["estimate"]), "se_delta": float(t["std_error"]), "p_value": float(t["p_value"]),
            "n_provinces": int(x["province_code"].nunique()), "n_treated": int(len(c["treated_provinces"])),
            "years": [int(x["year"].min()), int(x["year"].max())], "df_note": "t with G-1 df; 2 treated clusters"} | {
        "treated_provinces": list(c["treated_provinces"]), "post_from": int(c["post_from"]),
        "balanced_dropped": int(np.sum(keep != n_years))}


def regency_food_share(spec, beta: float, se_beta: float, beta_draws, failures):
    """The regency path: used only when the user saved the BPS table at the spec's path."""
    conf = spec["regency"]
    path = data_path(conf["path"])
    info: dict[str, Any] = {"path": conf["path"], "bps_table": conf["bps_table"], "present": path.exists()}
    if not path.exists():
        return info
    from sosek_impact.panel import add_bps_table
    from sosek_impact.welfare import welfare_equivalent

    panel = read_panel("data/processed/panel.parquet")
    with_fs = add_bps_table(path, conf["variable"], panel=panel)
    fs = with_fs.dropna(subset=[conf["variable"]]).copy()
    if conf.get("percent"):
        fs[conf["variable"]] = fs[conf["variable"]] / 100.0
    import sys

    sys.path.insert(0, str(ROOT / "analysis"))
    from border_posts import timing

    bp = __import__("_common").load_spec("analysis/specs/border_posts.toml")
    first, _ = timing(bp, sorted(fs["bps_code"].astype(int).unique()), int(fs["year"].max()))
    fs["group"] = fs["bps_code"].map(first).fillna(0).astype(int)
    fs["treat"] = ((fs["group"] > 0) & (fs["year"] >= fs["group"])).astype(int)
    info.update({"rows": int(len(fs)), "regencies": int(fs["bps_code"].nunique()),
                 "years": sorted(int(y) for y in fs["year"].unique()),
                 "treated": sorted(int(c) for c in fs.loc[fs["group"] > 0, "bps_code"].unique())})
    res = attempt("regency food share twfe", lambda: method("twfe")(
        fs[["bps_code", "year", conf["variable"], "treat"]], conf["variable"], "bps_code", "year", "treat"), failures)
    if res is None:
        return info
    t = res.tidy().set_index("term").loc["treat"]
    we = welfare_equivalent(float(t["estimate"]), beta, se_delta=float(t["std_error"]), se_beta=se_beta)
    info["did"] = {"delta": float(t["estimate"]), "se_delta": float(t["std_error"]), "p_value": float(t["p_value"])}
    info["welfare_delta_method"] = we.as_dict()
    if beta_draws is not None and len(beta_draws):
        info["welfare_bootstrap"] = welfare_equivalent(
            float(t["estimate"]), beta, se_delta=float(t["std_error"]), beta_draws=beta_draws, method="bootstrap",
            seed=spec["seeds"]["bootstrap"]).as_dict()
    return info


def figure(d, fit, spec, names, path) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    use_study_style()
    share, exp = spec["data"]["share"], spec["data"]["expenditure"]
    fig, ax = plt.subplots(figsize=(8.5, 5.2))
    border = set(spec["comparison"]["border_provinces"])
    other = d.loc[~d["province_code"].isin(border)]
    ax.scatter(np.log(other[exp]), 100 * other[share], s=14, color="0.65", label="other provinces (each year)")
    colors = {61: "crimson", 64: "darkorange", 65: "purple"}
    for code in sorted(border):
        g = d.loc[d["province_code"] == code].sort_values("year")
        if g.empty:
            continue
        ax.plot(np.log(g[exp]), 100 * g[share], marker="o", ms=4, color=colors.get(code, "C0"),
                label=f"{names.get(code, code)} 2017-2025")
        last = g.iloc[-1]
        ax.annotate(str(int(last["year"])), (np.log(last[exp]), 100 * last[share]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    # fitted line at the mean of the year effects
    xs = np.linspace(np.log(d[exp]).min(), np.log(d[exp]).max(), 50)
    year_terms = [c for c in fit.params.index if c.startswith("year_")]
    mean_fe = float(np.mean([0.0, *fit.params[year_terms]])) if year_terms else 0.0
    ax.plot(xs, 100 * (fit.params["const"] + mean_fe + fit.beta * xs), color="black", lw=1.5,
            label=f"Engel curve, year effects: slope {100 * fit.beta:.1f} pp per log point (SE {100 * fit.se:.1f})")
    ax.set_xlabel("log monthly per-capita expenditure (IDR, nominal; year effects absorb prices)")
    ax.set_ylabel("food share of expenditure (%)")
    ax.set_title("Engel's law across Indonesian provinces, 2017-2025")
    ax.legend(fontsize=8, loc="lower left")
    add_source_note(fig, SOURCE_LINE["exp"])
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    save_figure(fig, path)


def main(spec_path: str = SPEC) -> None:
    """Run analysis 4 and write its figure, tables and results."""
    import pandas as pd

    from sosek_impact.report.tables import write_table
    from sosek_impact.welfare import engel_bootstrap, engel_curve, welfare_equivalent

    spec = load_spec(spec_path)
    d, panel = province_data(spec)
    names = dict(zip(panel["province_code"].astype(int), panel["province"].astype(str)))
    e = spec["engel"]
    share, exp = spec["data"]["share"], spec["data"]["expenditure"]
    failures: list[dict[str, str]] = []
    main_fit = engel_curve(d, share=share, expenditure=exp, effects=tuple(e["main_effects"]), cluster=e["cluster"])
    alt_fit = engel_curve(d, share=share, expenditure=exp, effects=tuple(e["alt_effects"]), cluster=e["cluster"])
    draws = engel_bootstrap(d, share=share, expenditure=exp, effects=tuple(e["main_effects"]), cluster=e["cluster"],
                            reps=e["bootstrap_reps"], seed=spec["seeds"]["bootstrap"])
    groups = {"kalimantan_border_provinces": list(spec["comparison"]["border_provinces"])}
    groups |= {f"province_{c}": [c] for c in spec["comparison"]["border_provinces"]}
    gaps = {}
    for gname, codes in groups.items():
        g, _ = gap_regression(d, spec, {gname: codes})
        r = g[gname]
        we = welfare_equivalent(r["delta"], r["beta"], se_delta=r["se_delta"], se_beta=r["se_beta"],
                                cov_delta_beta=r["cov_delta_beta"])
        gaps[gname] = {**r, "provinces": [names.get(c, str(c)) for c in codes], "welfare": we.as_dict()}
    did = attempt("province DiD on the food share", lambda: province_did(d, spec), failures)
    if did is not None:
        did["welfare_delta_method"] = welfare_equivalent(did["delta"], main_fit.beta, se_delta=did["se_delta"],
                                                         se_beta=main_fit.se).as_dict()
        did["welfare_bootstrap"] = welfare_equivalent(did["delta"], main_fit.beta, se_delta=did["se_delta"],
                                                      beta_draws=draws, method="bootstrap",
                                                      seed=spec["seeds"]["bootstrap"]).as_dict()
    regency = regency_food_share(spec, main_fit.beta, main_fit.se, draws, failures)
    figure(d, main_fit, spec, names, FIGURES / "engel_curve.png")

    curve_rows = []
    for label, fit in (("year effects (main)", main_fit), ("province + year effects", alt_fit)):
        t = fit.tidy().iloc[0].to_dict()
        curve_rows.append({"specification": label, **{k: t[k] for k in ("estimate", "std_error", "conf_low", "conf_high", "nobs", "clusters")}})
    curve_rows.append({"specification": "year effects, cluster bootstrap", "estimate": main_fit.beta,
                       "std_error": float(draws.std(ddof=1)), "conf_low": float(pd.Series(draws).quantile(0.025)),
                       "conf_high": float(pd.Series(draws).quantile(0.975)), "nobs": main_fit.nobs,
                       "clusters": main_fit.n_clusters})
    write_table(pd.DataFrame(curve_rows), TABLES / "engel_curve",
                caption="Engel curve: change in the food share (fraction) per log point of per-capita expenditure", digits=4)
    wrows = []
    for gname, g in gaps.items():
        w = g["welfare"]
        wrows.append({"comparison": f"{', '.join(g['provinces'])} vs other provinces (level gap)", "delta": g["delta"],
                      "se_delta": g["se_delta"], "income_equivalent": w["estimate"], "se": w["se"],
                      "conf_low": w["conf_low"], "conf_high": w["conf_high"], "percent": w["percent"], "method": "delta (joint cov.)"})
    if did is not None:
        for key in ("welfare_delta_method", "welfare_bootstrap"):
            w = did[key]
            wrows.append({"comparison": "2nd PLBN wave provinces x 2024+ (DiD)", "delta": did["delta"], "se_delta": did["se_delta"],
                          "income_equivalent": w["estimate"], "se": w["se"], "conf_low": w["conf_low"],
                          "conf_high": w["conf_high"], "percent": w["percent"], "method": w["method"]})
    write_table(pd.DataFrame(wrows), TABLES / "engel_welfare",
                caption="Food-share effects (delta, fraction) and their income equivalents delta/beta = -delta/abs(beta) (log points of real income; positive = gain)", digits=4)
    write_results("engel", {
        "provenance": provenance(spec, spec["data"]["panel"]),
        "engel_main": {"beta": main_fit.beta, "se": main_fit.se, "ci": list(main_fit.conf_int()), "nobs": main_fit.nobs,
                       "clusters": main_fit.n_clusters, "effects": list(main_fit.effects)},
        "engel_alt": {"beta": alt_fit.beta, "se": alt_fit.se, "ci": list(alt_fit.conf_int()), "nobs": alt_fit.nobs,
                      "effects": list(alt_fit.effects)},
        "engel_bootstrap": {"reps": int(len(draws)), "sd": float(draws.std(ddof=1)),
                            "ci": [float(pd.Series(draws).quantile(q)) for q in (0.025, 0.975)]},
        "gaps": gaps,
        "province_did": did,
        "regency": regency,
        "years": sorted(int(y) for y in d["year"].unique()),
        "n_provinces": int(d["province_code"].nunique()),
        "figures": {"engel_curve": "reports/figures/engel_curve.png"},
        "tables": {"curve": "reports/tables/engel_curve.md", "welfare": "reports/tables/engel_welfare.md"},
        "not_run": failures,
    })


if __name__ == "__main__":
    main()
