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
    few_treated_interval,
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


def few_treated_food_share(x, share: str, unit: str, spec, beta: float, beta_ci) -> dict[str, Any]:
    """Callaway-Sant'Anna effect on the food share with its few-treated interval and income equivalent.

    ``x`` has ``unit, year, share, group`` (first treated year, 0 = never). The income
    equivalent ``delta / beta`` gets the projection of the few-treated interval of ``delta``
    over the 95% interval of the Engel slope ``beta_ci`` (both ends of the same sign): the
    smallest and largest ratio over that rectangle, a conservative joint interval.
    """
    conf = spec["few_treated"]
    ft = few_treated_interval(x, share, unit, "year", "group", estimator="cs", n_draws=int(conf["n_draws"]),
                              alpha=float(conf["alpha"]), seed=int(spec["seeds"]["randomization"]))
    placebo = ft.pop("distribution_placebo")
    lo_b, hi_b = float(min(beta_ci)), float(max(beta_ci))
    out = ft | {"n_treated": int((x.groupby(unit)["group"].first() > 0).sum()), "n_units": int(x[unit].nunique()),
                "years": [int(x["year"].min()), int(x["year"].max())], "placebo": [float(v) for v in placebo]}
    if lo_b < 0 < hi_b or lo_b > 0 > hi_b:
        return out | {"income_equivalent": None}
    corners = [d / b for d in (ft["conf_low"], ft["conf_high"]) for b in (lo_b, hi_b)]
    return out | {"income_equivalent": {"estimate": ft["estimate"] / beta, "conf_low": min(corners), "conf_high": max(corners),
                                        "beta": beta, "beta_ci": [lo_b, hi_b],
                                        "method": "few-treated interval of delta projected over the 95% interval of beta"}}


def province_balanced(d, spec):
    """Province x year frame ``province_code, year, share, group`` of the provinces seen every year."""
    c = spec["comparison"]
    x = d.loc[:, ["province_code", "year", spec["data"]["share"]]].copy()
    x[spec["data"]["share"]] = x[spec["data"]["share"]].astype(float)
    keep = x.groupby("province_code")["year"].nunique()
    x = x.loc[x["province_code"].isin(keep.index[keep == x["year"].nunique()])].sort_values(["province_code", "year"])
    x["group"] = x["province_code"].isin(c["treated_provinces"]).astype(int) * int(c["post_from"])
    return x.reset_index(drop=True)


def regency_food_share(spec, beta: float, se_beta: float, beta_draws, failures, beta_ci=None):
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
    info["did"] = {"delta": float(t["estimate"]), "se_delta": float(t["std_error"]), "p_value": float(t["p_value"]),
                   "inference": f"TWFE, cluster-robust by regency ({len(info['treated'])} treated clusters: not valid for a verdict)"}
    info["welfare_delta_method"] = we.as_dict()
    if beta_ci is not None:
        x = fs[["bps_code", "year", conf["variable"], "group"]].sort_values(["bps_code", "year"]).reset_index(drop=True)
        info["few_treated"] = attempt("regency food share few-treated interval", lambda: few_treated_food_share(
            x, conf["variable"], "bps_code", spec, beta, beta_ci), failures)
    if beta_draws is not None and len(beta_draws):
        info["welfare_bootstrap"] = welfare_equivalent(
            float(t["estimate"]), beta, se_delta=float(t["std_error"]), beta_draws=beta_draws, method="bootstrap",
            seed=spec["seeds"]["bootstrap"]).as_dict()
    return info


def figure_food_share(x, ft, spec, names, path) -> bool:
    """Treated provinces' food share vs the other provinces' mean, and the placebo distribution of the effect."""
    import matplotlib.pyplot as plt
    import numpy as np

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    share = spec["data"]["share"]
    use_study_style()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10.5, 3.9))
    other = x.loc[x["group"] == 0].groupby("year")[share].mean()
    a.plot(other.index, 100 * other.to_numpy(), color="0.4", marker="s", label=f"other provinces (mean of {x.loc[x['group'] == 0, 'province_code'].nunique()})")
    for k, (code, sub) in enumerate(x.loc[x["group"] > 0].groupby("province_code")):
        a.plot(sub["year"], 100 * sub[share].to_numpy(), marker="o", color=f"C{k}", label=names.get(int(code), str(code)))
    a.axvline(spec["comparison"]["post_from"] - 0.5, color="grey", ls=":")
    a.set_xlabel("year")
    a.set_ylabel("food share of expenditure (%)")
    a.set_title("Food share: second-wave provinces vs the rest", fontsize=9.5)
    lo, hi = a.get_ylim()
    a.set_ylim(lo, hi + 0.35 * (hi - lo))  # room for the legend above the lines
    a.legend(fontsize=7.5, loc="upper right", ncol=2)
    e = 100 * np.asarray(ft["placebo"], float)
    b.hist(e, bins=30, color="0.7", edgecolor="white", label=f"placebo pairs ({e.size})")
    b.axvline(100 * ft["estimate"], color="crimson", lw=2, label=f"estimate {100 * ft['estimate']:+.2f} pp")
    b.axvspan(100 * ft["conf_low"], 100 * ft["conf_high"], color="C0", alpha=0.15, label="few-treated 95% CI")
    b.set_xlabel("Callaway-Sant'Anna effect on the food share (pp)")
    b.set_ylabel("number of assignments")
    b.set_title(f"Placebo distribution (randomisation p = {ft['p_value']:.2f})", fontsize=9.5)
    b.legend(fontsize=7.5)
    fig.suptitle("Border posts and the food share (province level, second wave from 2024)")
    add_source_note(fig, SOURCE_LINE["exp"])
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path)
    return True


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

    from sosek_impact.report.tables import format_interval, format_p, write_table
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
    beta_ci = [float(pd.Series(draws).quantile(q)) for q in (0.025, 0.975)]
    prov_ft = attempt("province food share few-treated interval", lambda: few_treated_food_share(
        province_balanced(d, spec), share, "province_code", spec, main_fit.beta, beta_ci), failures)
    regency = regency_food_share(spec, main_fit.beta, main_fit.se, draws, failures, beta_ci=beta_ci)
    figures = {"engel_curve": "reports/figures/engel_curve.png"}
    if prov_ft is not None and figure_food_share(province_balanced(d, spec), prov_ft, spec, names,
                                                 FIGURES / "engel_food_share_effect.png"):
        figures["food_share_effect"] = "reports/figures/engel_food_share_effect.png"
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
    ft_rows = []
    for label, ft in (("2nd PLBN wave provinces (West and North Kalimantan) from 2024", prov_ft),
                      ("border-post regencies (user table)", regency.get("few_treated"))):
        if ft:
            ie = ft.get("income_equivalent") or {}
            ft_rows.append({"comparison": label, "treated": ft["n_treated"], "units": ft["n_units"],
                            "years": f"{ft['years'][0]}-{ft['years'][1]}", "food-share effect (pp)": f"{100 * ft['estimate']:+.2f}",
                            "few-treated 95% CI (pp)": format_interval(100 * ft["conf_low"], 100 * ft["conf_high"], 2),
                            "few-treated p": format_p(ft["p_value"]), "assignments": ft["n_draws"],
                            "income equivalent (log points)": "" if not ie else f"{ie['estimate']:+.3f}",
                            "income-equivalent 95% CI": "" if not ie else format_interval(ie["conf_low"], ie["conf_high"], 3)})
    if ft_rows:
        write_table(pd.DataFrame(ft_rows), TABLES / "engel_food_share_effect",
                    caption="Food-share effects of the border posts (Callaway-Sant'Anna) with few-treated intervals and income equivalents")
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
        "province_few_treated": prov_ft,
        "regency": regency,
        "years": sorted(int(y) for y in d["year"].unique()),
        "n_provinces": int(d["province_code"].nunique()),
        "figures": figures,
        "tables": {"curve": "reports/tables/engel_curve.md", "welfare": "reports/tables/engel_welfare.md",
                   "food_share_effect": "reports/tables/engel_food_share_effect.md"},
        "not_run": failures,
    })


if __name__ == "__main__":
    main()
