"""Night lights of the Kalimantan regencies, 1992–2022: four analyses (``analysis/specs/night_lights.toml``).

a. Validation against GRDP (Henderson, Storeygard & Weil 2012): log lights on log GRDP with
   regency and year effects, CRV1 standard errors by regency and a wild cluster bootstrap
   interval; the reverse regression (GRDP on lights, HSW's direction) beside it.
b. The first border posts (PLBN: Sanggau 2017, Sambas and Kapuas Hulu 2018) on log(1 + lights),
   never-border Kalimantan regencies as controls, Callaway–Sant'Anna and imputation estimates
   with few-treated inference (randomisation over adoption timing, Conley–Taber) and the MDE.
c. The 1995 East Kalimantan–Sabah forum: the 1995 land-border regencies (Bulungan and Kutai on
   1995 boundaries) against Kalimantan regencies without a land border, 3 pre-years.
d. The 2013–14 sensor seam (DMSP → VIIRS): jumps of the cross-regency dispersion and of the
   treated–control gap at 2014, and the border-post estimates without 2013–14 or net of a seam
   shift proportional to the regency's pre-seam level.

Lights measure economic activity and settlement, not household welfare.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from _common import (
    FIGURES,
    TABLES,
    attempt,
    data_path,
    few_treated_interval,
    load_spec,
    provenance,
    read_panel,
    write_results,
)

SPEC = "analysis/specs/night_lights.toml"
ESTIMATORS = {"cs": "Callaway-Sant'Anna (simple)", "imputation": "imputation (Borusyak-Jaravel-Spiess)"}


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def lights_panel(spec: dict[str, Any]) -> pd.DataFrame:
    """The night-lights panel of the spec's files (library join of the extract and the regency panel)."""
    from sosek_impact.panel.night_lights import night_lights_panel, read_night_lights

    return night_lights_panel(read_night_lights(data_path(spec["data"]["lights"])), read_panel(spec["data"]["panel"]))


def ever_border() -> set[int]:
    """Regencies with a land border in any year (registry)."""
    from sosek_impact.registry import border_regencies

    t = border_regencies()
    return set(t.loc[t["ever_border"].astype(bool), "bps_code"].astype(int))


def plbn_frame(lp: pd.DataFrame, spec: dict[str, Any], variable: str, timing: pd.Series, border: set[int],
               drop_years: tuple[int, ...] = ()) -> pd.DataFrame:
    """``bps_code, year, y, group``: PLBN regencies treated within the window and never-border controls."""
    lo, hi = spec["plbn"]["years"]
    treated = {int(c) for c, g in timing.items() if 0 < g <= hi}
    units = treated | (set(lp["bps_code"].astype(int)) - border)
    d = lp.loc[lp["bps_code"].isin(units) & lp["year"].between(lo, hi) & ~lp["year"].isin(drop_years),
               ["bps_code", "year", variable]].copy()
    d["y"] = np.log1p(d[variable].to_numpy(float))
    d["group"] = d["bps_code"].map(lambda c: int(timing.get(c, 0)) if c in treated else 0).astype(int)
    return d[["bps_code", "year", "y", "group"]].sort_values(["bps_code", "year"]).reset_index(drop=True)


def forum_frame(lp: pd.DataFrame, conf: dict[str, Any], variable: str, border: set[int], crosswalk: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The forum sample: treated = the treated province's land-border regencies of the vintage year.

    ``boundaries = "vintage"`` (default): today's districts are summed into the regency of
    ``vintage_year`` that contained them (:func:`sosek_impact.harmonise.crosswalk.ancestor`; the
    registry records splits in provinces 61, 64, 65, so districts elsewhere stay on today's
    boundaries). Sums add up; a mean is recomputed as sum / pixels. ``"today"``: today's districts.
    """
    from sosek_impact.harmonise.crosswalk import ancestor

    lo, hi = conf["years"]
    vintage = int(conf["vintage_year"])
    d = lp.loc[lp["year"].between(lo, hi) & ~lp["province_code"].isin(conf.get("exclude_provinces", []))].copy()
    today = conf.get("boundaries", "vintage") == "today"
    d["unit"] = d["bps_code"] if today else d["bps_code"].map(lambda c: ancestor(int(c), vintage, crosswalk))
    agg = d.groupby(["unit", "year"], as_index=False).agg(ntl_sum=("ntl_sum", "sum"), pixel_count=("pixel_count", "sum"),
                                                        province_code=("province_code", "first"))
    agg["ntl_mean"] = agg["ntl_sum"] / agg["pixel_count"]
    members = d.loc[d["year"] == lo].groupby("unit")["bps_code"].apply(lambda s: sorted(int(c) for c in s)).to_dict()
    border_members = {u for u, m in members.items() if set(m) & border}
    # the forum provinces of that year (registry: 64 and its 2012 offshoot 65 for 1995)
    from sosek_impact.registry.timing import forum_timing

    provinces = {p for p, y in forum_timing().items() if y == int(conf["year"])}
    treated = {u for u in border_members if int(u) // 100 in provinces}
    controls = set(members) - border_members
    if conf.get("control_provinces"):
        keep = set(agg.loc[agg["province_code"].isin(conf["control_provinces"]), "unit"])
        controls &= keep
    agg = agg.loc[agg["unit"].isin(treated | controls)]
    agg["y"] = np.log1p(agg[variable].to_numpy(float))
    agg["group"] = np.where(agg["unit"].isin(treated), int(conf["year"]), 0)
    out = agg.rename(columns={"unit": "bps_code"})[["bps_code", "year", "y", "group"]]
    from sosek_impact.harmonise.recode import north_kalimantan_codes

    before_2012 = {new: old for old, new in north_kalimantan_codes().items()}
    info = {"treated": {str(u): members[u] for u in sorted(treated)}, "n_controls": len(controls),
            "treated_codes_before_2012": {str(u): before_2012.get(int(u), int(u)) for u in sorted(treated)},
            "boundaries": "today" if today else f"{vintage} (registry split crosswalk)"}
    return out.sort_values(["bps_code", "year"]).reset_index(drop=True), info


# --------------------------------------------------------------------------------------------
# a. validation
# --------------------------------------------------------------------------------------------


def fe_elasticity(d: pd.DataFrame, y: str, x: str, conf: dict[str, Any], seed: int, extra: list[str] | None = None) -> dict[str, Any]:
    """Coefficient of ``x`` with regency and year effects: CRV1 SE by regency (t, G-1 df) and a wild cluster bootstrap interval."""
    from scipy import stats

    from sosek_impact.inference.wild_bootstrap import wild_cluster_bootstrap

    wb = conf["wild_bootstrap"]
    r = wild_cluster_bootstrap(d, y, [x, *(extra or [])], x, conf["cluster"], fe=["bps_code", "year"],
                               weights_type=wb["weights"], B=int(wb["reps"]), restricted=True, seed=seed)
    g = int(d[conf["cluster"]].nunique())
    t = stats.t.ppf(0.975, g - 1)
    return {"estimate": r.estimate, "se_crv1": r.std_error, "conf_low": r.estimate - t * r.std_error,
            "conf_high": r.estimate + t * r.std_error, "p_crv1": float(2 * stats.t.sf(abs(r.estimate / r.std_error), g - 1)),
            "wild_conf_low": r.interval[0], "wild_conf_high": r.interval[1], "wild_p": r.pvalue,
            "wild": f"{wb['weights']}, restricted, B={r.B}", "n_obs": int(len(d)), "n_regencies": g}


def validation_frame(lp: pd.DataFrame, c: dict[str, Any], seam_year: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows with positive lights and a positive GRDP value in the years of one validation spec."""
    d = lp.loc[lp["year"].between(*c["years"])].copy()
    counts = {"no_grdp": int(d[c["variable"]].isna().sum())}
    d = d.loc[d[c["variable"]].notna()]
    counts["dark_dropped"] = int((d["ntl_sum"] <= 0).sum())
    d = d.loc[(d["ntl_sum"] > 0) & (d[c["variable"]] > 0)]
    if c.get("drop_backcast"):
        # values the regency panel marks back-cast (a year before the regency existed); unknown (NA) kept
        back = d["backcast"].fillna(False).to_numpy(bool)
        counts["backcast_dropped"] = int(back.sum())
        d = d.loc[~back]
    if c.get("drop_flagged"):
        flagged = (d["repeated_previous_year"] | d["sharp_drop"]).fillna(False).to_numpy(bool)
        counts["flagged_dropped"] = int(flagged.sum())
        d = d.loc[~flagged]
    d["log_lights"] = np.log(d["ntl_sum"].to_numpy(float))
    if c.get("lights_per_capita"):
        # lights per person: population from the same source years as the GRDP per capita
        counts["no_population"] = int(d["population"].isna().sum())
        d = d.loc[d["population"] > 0]
        d["log_lights"] = np.log(d["ntl_sum"].to_numpy(float) / d["population"].to_numpy(float))
    d["log_grdp"] = np.log(d[c["variable"]].to_numpy(float))
    d["log_grdp_x_seam"] = d["log_grdp"] * (d["year"] >= seam_year)
    return d, counts


def validation(lp: pd.DataFrame, spec: dict[str, Any], failures: list) -> dict[str, Any]:
    """Lights-on-GRDP and GRDP-on-lights elasticities for every validation spec."""
    conf = spec["validation"]
    seam_year = int(spec["seam"]["first_year_after"])
    out = {}
    for k, c in conf["specs"].items():
        d, counts = validation_frame(lp, c, seam_year)
        seed = int(spec["seeds"]["bootstrap"])
        row = {"label": c["label"], "variable": c["variable"], "years": list(c["years"]), **counts}
        row["lights_on_grdp"] = attempt(f"validation {k}", lambda: fe_elasticity(d, "log_lights", "log_grdp", conf, seed), failures)
        row["grdp_on_lights"] = attempt(f"validation {k} reverse", lambda: fe_elasticity(d, "log_grdp", "log_lights", conf, seed), failures)
        if d["year"].max() >= seam_year > d["year"].min():
            row["seam_change_of_elasticity"] = attempt(f"validation {k} seam", lambda: fe_elasticity(
                d, "log_lights", "log_grdp_x_seam", conf, seed, extra=["log_grdp"]), failures)
        out[k] = row
    return out


# --------------------------------------------------------------------------------------------
# b, c. difference in differences with few-treated inference
# --------------------------------------------------------------------------------------------


def did_rows(d: pd.DataFrame, spec: dict[str, Any], label: str, failures: list) -> list[dict[str, Any]]:
    """CS and imputation estimates with randomisation-inference intervals, MDE and Conley–Taber."""
    from sosek_impact.inference import few_treated_inference

    inf = spec["inference"]
    seed = int(spec["seeds"]["randomization"])
    rows = []
    for est, name in ESTIMATORS.items():
        ri = attempt(f"{label}: {est} randomisation", lambda: few_treated_interval(
            d, "y", "bps_code", "year", "group", estimator=est, n_draws=int(inf["few_treated"]["n_draws"]),
            alpha=float(inf["few_treated"]["alpha"]), seed=seed, power=float(inf["mde"]["power"])), failures)
        if ri is None:
            continue
        ri.pop("distribution_placebo")  # the MDE is the test's own (few_treated_interval)
        ct = attempt(f"{label}: {est} Conley-Taber", lambda: _ct(few_treated_inference, d, est, inf, seed), failures)
        rows.append({"estimator": name, "estimate": ri["estimate"], "randomization": ri, "conley_taber": ct,
                     "n_treated": int((d.groupby("bps_code")["group"].first() > 0).sum()),
                     "n_units": int(d["bps_code"].nunique()), "years": [int(d["year"].min()), int(d["year"].max())]})
    return rows


def _ct(fti, d, est, inf, seed) -> dict[str, Any]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fti(d, "y", "bps_code", "year", "group", estimator=est, method="conley_taber",
                n_draws=int(inf["conley_taber"]["n_draws"]), alpha=float(inf["few_treated"]["alpha"]), seed=seed)
    return {"estimate": float(r.estimate[0]), "conf_low": float(r.conf_low[0]), "conf_high": float(r.conf_high[0]),
            "p_value": float(r.p_value[0]), "n_draws": int(r.n_draws), "exact": bool(r.exact)}


def dynamic(d: pd.DataFrame, spec: dict[str, Any], failures: list, label: str) -> list[dict[str, Any]] | None:
    """Callaway–Sant'Anna event-time effects with pointwise randomisation-inference intervals."""
    import warnings

    from sosek_impact.inference import few_treated_inference

    inf = spec["inference"]["few_treated"]

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = few_treated_inference(d, "y", "bps_code", "year", "group", estimator="cs", aggregate="dynamic",
                                      n_draws=int(inf["n_draws"]), alpha=float(inf["alpha"]),
                                      seed=int(spec["seeds"]["randomization"]))
        return [{"event_time": int(str(t).removeprefix("e=")), "estimate": float(e), "conf_low": float(lo), "conf_high": float(hi), "p_value": float(p)}
                for t, e, lo, hi, p in zip(r.terms, r.estimate, r.conf_low, r.conf_high, r.p_value)]

    return attempt(f"{label}: dynamic", run, failures)


# --------------------------------------------------------------------------------------------
# d. the seam
# --------------------------------------------------------------------------------------------


def jump(series: pd.Series, year: int) -> dict[str, Any]:
    """Change of a yearly series into ``year`` against its other year-on-year changes (z and rank)."""
    s = series.sort_index()
    diff = s.diff().dropna()
    at = float(diff.loc[year])
    other = diff.drop(index=year)
    z = (at - other.mean()) / other.std(ddof=1) if len(other) > 1 and other.std(ddof=1) > 0 else math.nan
    rank = int((other.abs() >= abs(at)).sum()) + 1
    return {"change": at, "mean_other_changes": float(other.mean()), "sd_other_changes": float(other.std(ddof=1)),
            "z": float(z), "rank_of_abs_change": rank, "n_changes": int(len(diff))}


def seam_adjusted(d: pd.DataFrame, seam_year: int, level_years: tuple[int, int]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``y`` net of a seam shift proportional to the regency's pre-seam level, fitted on never-treated units.

    ``y_it = a_i + b_t + beta * 1{t >= seam} * (level_i - mean level) + e_it`` on the controls
    (balanced: the two-way within transform is double demeaning); every unit's ``y`` then loses
    ``beta * 1{t >= seam} * (level_i - mean level)``.
    """
    level = d.loc[d["year"].between(*level_years)].groupby("bps_code")["y"].mean()
    x = (d["year"] >= seam_year).to_numpy(float) * (d["bps_code"].map(level) - level.mean()).to_numpy(float)
    c = d.assign(x=x).loc[d["group"] == 0]

    def within(v: pd.Series) -> np.ndarray:
        return (v - v.groupby(c["bps_code"]).transform("mean") - v.groupby(c["year"]).transform("mean") + v.mean()).to_numpy()

    xt, yt = within(c["x"]), within(c["y"])
    beta = float(xt @ yt / (xt @ xt))
    return d.assign(y=d["y"] - beta * x), {"beta": beta, "level_years": list(level_years), "fitted_on_units": int(c["bps_code"].nunique()),
                                           "controls_frame": c[["bps_code", "year", "y", "x"]]}


def seam_checks(lp: pd.DataFrame, d_plbn: pd.DataFrame, spec: dict[str, Any], failures: list) -> dict[str, Any]:
    """Dispersion and gap jumps at the seam; border-post estimates without 2013-14 and seam-adjusted."""
    year = int(spec["seam"]["first_year_after"])
    lo, hi = spec["data"]["first_year"], spec["data"]["last_year"]
    ly = lp.loc[lp["year"].between(lo, hi)].assign(y=lambda f: np.log1p(f["ntl_sum"]))
    sd = ly.groupby("year")["y"].std(ddof=1)
    lit = ly.loc[ly["ntl_sum"] > 0].assign(ly=lambda f: np.log(f["ntl_sum"])).groupby("year")["ly"].std(ddof=1)
    total = ly.groupby("year")["ntl_sum"].sum()
    gap = d_plbn.assign(t=d_plbn["group"] > 0).groupby(["year", "t"])["y"].mean().unstack()
    gap = gap[True] - gap[False]
    out = {"first_year_after": year,
           "sd_log1p_sum": jump(sd, year), "sd_log_sum_lit": jump(lit, year), "log_total_sum": jump(np.log(total), year),
           "plbn_treated_minus_control": jump(gap.loc[gap.index < min(d_plbn.loc[d_plbn["group"] > 0, "group"])], year),
           "series": {"year": [int(y) for y in sd.index], "sd_log1p_sum": sd.tolist(), "sd_log_sum_lit": lit.reindex(sd.index).tolist(),
                      "plbn_gap": gap.reindex(sd.index).tolist()}}
    out["plbn_drop_2013_2014"] = did_rows(d_plbn.loc[~d_plbn["year"].isin([year - 1, year])], spec, "seam: drop 2013-14", failures)
    adj, info = seam_adjusted(d_plbn, year, tuple(spec["seam"]["level_years"]))
    c = info.pop("controls_frame")
    info["inference"] = attempt("seam: level-shift coefficient", lambda: fe_elasticity(
        c, "y", "x", spec["validation"], int(spec["seeds"]["bootstrap"])), failures)
    info["note"] = ("one post-2014 shift per unit of pre-seam level, fitted on the never-border controls: it also absorbs "
                    "any convergence between 1992-2013 and 2014-2022, so it is an upper bound on the seam's level-dependence")
    out["seam_level_shift"] = info
    out["cs_invariance"] = ("Callaway-Sant'Anna post-period effects compare each year with g - 1 = 2016/2017, after the seam: "
                            "dropping 2013-14 or removing a post-2014 shift cannot move them; the imputation estimator "
                            "fits unit effects on every untreated year, so it can")
    out["plbn_seam_adjusted"] = did_rows(adj, spec, "seam: level-adjusted", failures)
    out["plbn_seam_adjusted_dynamic"] = dynamic(adj, spec, failures, "seam: level-adjusted")
    return out


def headline(val: dict[str, Any], plbn: dict[str, Any], forum: dict[str, Any], seam: dict[str, Any]) -> dict[str, Any]:
    """The primary numbers of each analysis, for the report (each also sits in its own section)."""
    def primary(rows):
        r = next((r for r in rows if r["estimator"].startswith("Callaway")), None)
        if r is None:
            return None
        ri = r["randomization"]
        return {"estimate": r["estimate"], "conf_low": ri["conf_low"], "conf_high": ri["conf_high"], "p_value": ri["p_value"],
                "mde": ri["mde"]["mde"], "n_treated": r["n_treated"], "n_units": r["n_units"]}

    g = (val.get("grdp") or {})
    return {"lights_on_grdp": (g.get("lights_on_grdp") or {}).get("estimate"),
            "grdp_on_lights": (g.get("grdp_on_lights") or {}).get("estimate"),
            "plbn_cs_log1p_sum": primary(plbn["log1p_sum"]["rows"]), "forum_1995_cs": primary(forum["primary"]["rows"]),
            "seam_dispersion_jump_z": seam["sd_log1p_sum"]["z"], "seam_gap_jump_z": seam["plbn_treated_minus_control"]["z"]}


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def main(spec_path: str = SPEC) -> None:
    """Run the four night-lights analyses; write the results JSON, tables and figures."""
    from sosek_impact.harmonise.crosswalk import split_crosswalk
    from sosek_impact.registry import treatment_timing
    from night_lights_figures import effect_row, fig_event_study, fig_seam, validation_rows

    from sosek_impact.report.tables import write_table

    spec = load_spec(spec_path)
    lp = lights_panel(spec)
    failures: list[dict[str, str]] = []
    border = ever_border()
    t = spec["plbn"]
    timing = treatment_timing(t["kind"], units=sorted(lp["bps_code"].unique()), rule=t["rule"],
                              first_full_year=t["first_full_year"], min_confidence=t["min_confidence"])
    crosswalk = split_crosswalk()

    val = validation(lp, spec, failures)
    plbn: dict[str, Any] = {}
    rows = []
    for o, oc in spec["outcomes"].items():
        d = plbn_frame(lp, spec, oc["variable"], timing, border)
        plbn[o] = {"rows": did_rows(d, spec, f"plbn {o}", failures)}
        rows += [effect_row("PLBN 2017/18", o, r, "primary" if o == "log1p_sum" and r["estimator"].startswith("Callaway")
                            else "robustness") for r in plbn[o]["rows"]]
    d_plbn = plbn_frame(lp, spec, spec["outcomes"]["log1p_sum"]["variable"], timing, border)
    plbn["log1p_sum"]["dynamic"] = dynamic(d_plbn, spec, failures, "plbn")
    plbn["timing"] = {str(c): int(g) for c, g in timing.items() if 0 < g <= spec["plbn"]["years"][1]}
    plbn["n_controls"] = int((d_plbn.groupby("bps_code")["group"].first() == 0).sum())

    forum: dict[str, Any] = {}
    base = {k: v for k, v in spec["forum"].items() if k != "robustness"}
    for rid, extra in {"primary": {}, **spec["forum"].get("robustness", {})}.items():
        conf = base | {k: v for k, v in extra.items() if k != "label"}
        d, info = forum_frame(lp, conf, "ntl_sum", border, crosswalk)
        forum[rid] = {"label": extra.get("label", "1995 boundaries, West Kalimantan left out"), **info,
                      "rows": did_rows(d, spec, f"forum {rid}", failures)}
        if rid == "primary":
            forum[rid]["dynamic"] = dynamic(d, spec, failures, "forum")
        rows += [effect_row("forum 1995", rid, r, "primary" if rid == "primary" and r["estimator"].startswith("Callaway")
                            else "robustness") for r in forum[rid]["rows"]]

    seam = seam_checks(lp, d_plbn, spec, failures)
    rows += [effect_row("PLBN 2017/18", "log1p_sum, 2013-14 left out", r, "seam") for r in seam["plbn_drop_2013_2014"]]
    rows += [effect_row("PLBN 2017/18", "log1p_sum, seam x pre-seam level removed", r, "seam") for r in seam["plbn_seam_adjusted"]]

    fig_es = FIGURES / "night_lights_event_study.png"
    fig_sm = FIGURES / "night_lights_seam.png"
    figures = {}
    if fig_event_study([("Border posts: Sanggau 2017, Sambas and Kapuas Hulu 2018\n(never-border Kalimantan controls)",
                         plbn["log1p_sum"]["dynamic"], "1992-2022"),
                        ("1995 East Kalimantan-Sabah forum: Bulungan and Kutai (1995 boundaries)\n"
                         "vs non-border regencies of Central/South/East Kalimantan", forum["primary"].get("dynamic"), "1992-2013")],
                       fig_es):
        figures["event_study"] = "reports/figures/night_lights_event_study.png"
    if fig_seam(seam, fig_sm):
        figures["seam"] = "reports/figures/night_lights_seam.png"
    write_table(pd.DataFrame(validation_rows(val)), TABLES / "night_lights_validation",
                caption="Night lights and GRDP (Kalimantan regencies, regency and year effects)")
    write_table(pd.DataFrame(rows), TABLES / "night_lights_effects",
                caption="Night lights: border posts and the 1995 forum, few-treated inference")
    flags = lp[["repeated_previous_year", "sharp_drop", "dark", "mempawah_fix"]].sum().astype(int).to_dict()
    summary = headline(val, plbn, forum, seam)
    write_results("night_lights", {
        "provenance": provenance(spec, spec["data"]["lights"], spec["data"]["panel"], "data/raw/registry_events.csv",
                                 "data/raw/registry_border_regencies.csv", "data/raw/registry_regency_splits.csv"),
        "data": {"rows": int(len(lp)), "regencies": int(lp["bps_code"].nunique()),
                 "years": [int(lp["year"].min()), int(lp["year"].max())], "flag_counts": flags},
        "validation": val,
        "hsw_reference": {"gdp_on_lights": spec["validation"]["hsw_gdp_on_lights"],
                          "lights_on_gdp": spec["validation"]["hsw_lights_on_gdp"]},
        "summary": summary, "plbn": plbn, "forum": forum, "seam": seam, "figures": figures,
        "tables": {"validation": "reports/tables/night_lights_validation.md", "effects": "reports/tables/night_lights_effects.md"},
        "not_run": failures,
    })


if __name__ == "__main__":
    main()
