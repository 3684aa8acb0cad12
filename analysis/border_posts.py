"""Analysis 1: integrated border posts (PLBN) and regency outcomes, 2000-2024.

Reads ``analysis/specs/border_posts.toml``: outcomes, treatment timing from the registry,
three control groups, the estimators and the inference to run, the robustness runs and the
seeds. Every estimator call is attempted; one that fails (e.g. too few treated units for a
method) is recorded with its error and shown as such in the report, never silently dropped.
"""

from __future__ import annotations

from typing import Any

from _common import (
    FIGURES,
    TABLES,
    attempt,
    few_treated_interval,
    load_spec,
    method,
    provenance,
    read_panel,
    write_results,
)
from border_posts_figures import fig_cs_dynamic, fig_event_study, fig_synthetic
from border_posts_inference import _row, _sa_average, honest, honest_cs, sup_t_pretest, treated_by_event_time, twfe_inference
from border_posts_table import _ratio, is_primary, table_row

SPEC = "analysis/specs/border_posts.toml"


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def timing(spec: dict[str, Any], units, last_year: int):
    """First treated year per regency from the registry (0 = not treated within the sample)."""
    from sosek_impact.registry import treatment_timing

    t = spec["treatment"]
    first = treatment_timing(
        t["kind"], units=units, rule=t["rule"], first_full_year=t["first_full_year"],
        min_confidence=t["min_confidence"],
    )
    later = first[(first > last_year)]
    first = first.where(first <= last_year, 0)
    return first.astype(int), {int(k): int(v) for k, v in later.items()}


def border_codes(year: int) -> set[int]:
    """Regencies with a land border with Malaysia in ``year`` (registry)."""
    from sosek_impact.registry import border_regencies

    return set(border_regencies(year)["bps_code"].astype(int))


def ever_border_codes() -> set[int]:
    """Regencies that had a land border in any year (e.g. Kutai Barat until 2012)."""
    from sosek_impact.registry import border_regencies

    table = border_regencies()
    return set(table.loc[table["ever_border"].astype(bool), "bps_code"].astype(int))


def sample_units(kind: str, panel, first, border_now: set[int], ever: set[int]) -> set[int]:
    """Units of a sample: ``border_ever`` / ``treated_plus_nonborder[_kalimantan]``."""
    codes = set(panel["bps_code"].astype(int))
    treated = {c for c, g in first.items() if g > 0}
    if kind == "border_ever":
        return codes & (border_now | treated)
    nonborder = codes - ever
    if kind == "treated_plus_nonborder_kalimantan":
        kal = set(panel.loc[panel["kalimantan"].astype(bool), "bps_code"].astype(int))
        return (treated | (nonborder & kal)) & codes
    if kind == "treated_plus_nonborder":
        return (treated | nonborder) & codes
    raise ValueError(f"unknown sample kind {kind!r}")


def outcome_frame(panel, variable: str, transform: str, units: set[int], years: tuple[int, int],
                  first, drop_years=()):
    """Balanced long frame ``bps_code, year, y, group, treat`` and the units dropped for gaps."""
    import numpy as np

    d = panel.loc[panel["bps_code"].isin(units) & panel["year"].between(*years) & ~panel["year"].isin(drop_years),
                  ["bps_code", "year", variable]].copy()
    d = d.dropna(subset=[variable])
    if transform == "log":
        d = d.loc[d[variable] > 0]
        d["y"] = np.log(d[variable].to_numpy(float))
    else:
        d["y"] = d[variable].astype(float)
    present = sorted(d["year"].unique())
    counts = d.groupby("bps_code")["year"].nunique()
    complete = counts.index[counts == len(present)]
    dropped = sorted(set(units) - set(complete.astype(int)))
    d = d.loc[d["bps_code"].isin(complete)].sort_values(["bps_code", "year"]).reset_index(drop=True)
    d["group"] = d["bps_code"].map(first).fillna(0).astype(int)
    # a unit first treated after the last observed year is not treated within this window
    d.loc[d["group"] > max(present, default=0), "group"] = 0
    d["treat"] = ((d["group"] > 0) & (d["year"] >= d["group"])).astype(int)
    return d, dropped


# --------------------------------------------------------------------------------------------
# estimation
# --------------------------------------------------------------------------------------------


def estimate_all(d, spec: dict[str, Any], control: str, full: bool, failures: list, label: str):
    """Every estimator and inference method of the spec on one outcome x sample frame."""
    import numpy as np
    from scipy import stats

    est = spec["estimators"]
    inf = spec["inference"]
    seeds = spec["seeds"]
    rows: list[dict[str, Any]] = []
    extras: dict[str, Any] = {}
    n_treated = int((d.groupby("bps_code")["group"].first() > 0).sum())
    extras["n_units"] = int(d["bps_code"].nunique())
    extras["n_treated"] = n_treated
    extras["years"] = [int(d["year"].min()), int(d["year"].max())]
    if n_treated == 0:
        failures.append({"what": label, "error": "no treated unit in this window", "where": ""})
        return rows, extras

    if est.get("twfe"):
        res = attempt(f"{label}: twfe", lambda: method("twfe")(d, "y", "bps_code", "year", "treat", cluster=inf["cluster"]), failures)
        if res is not None:
            t = res.tidy().set_index("term").loc["treat"]
            rows.append(_row("TWFE", "cluster-robust by regency (t, G-1 df)", t["estimate"], t["std_error"],
                             t["conf_low"], t["conf_high"], t["p_value"]))
            if full:
                rows += twfe_inference(d, spec, res, failures, label)
    es_conf = est.get("event_study")
    if es_conf and full:
        res = attempt(f"{label}: event_study", lambda: method("event_study")(
            d, "y", "bps_code", "year", "group", leads=es_conf["leads"], lags=es_conf["lags"], cluster=inf["cluster"]), failures)
        if res is not None:
            extras["event_study"] = res.estimates().to_dict(orient="records")
            hd = spec.get("sensitivity", {}).get("honest_did")
            if hd:
                extras["honest_did"] = attempt(f"{label}: honest_did", lambda: honest(res, hd, label), failures)
            if res.pretrend is not None:
                extras["event_study_pretrend"] = {"statistic": res.pretrend.statistic, "pvalue": res.pretrend.pvalue,
                                                  "df": list(np.atleast_1d(res.pretrend.df))}
    cs_conf = est.get("att_gt")
    if cs_conf:
        res = attempt(f"{label}: att_gt", lambda: method("att_gt")(
            d, "y", "bps_code", "year", "group", control=control, method=cs_conf["method"],
            base_period=cs_conf["base_period"], bootstrap=full, n_boot=cs_conf["bootstrap_reps"],
            seed=seeds["bootstrap"]), failures)
        if res is not None:
            simple = attempt(f"{label}: att_gt simple", lambda: res.aggregate("simple", na_rm=True), failures)
            if simple is not None:
                att, se = simple.estimate, simple.std_error
                z = stats.norm.ppf(0.975)
                rows.append(_row("Callaway-Sant'Anna (simple)", f"influence function, {control} controls",
                                 att, se, att - z * se, att + z * se, 2 * stats.norm.sf(abs(att / se)) if se else None,
                                 few_treated=_few_treated(d, "cs", control, spec, failures, label)))
            if full:
                dyn = attempt(f"{label}: att_gt dynamic", lambda: res.aggregate("dynamic", na_rm=True), failures)
                if dyn is not None:
                    extras["cs_dynamic"] = dyn.to_frame().to_dict(orient="records")
                    extras["cs_treated_by_event_time"] = treated_by_event_time(d)
                    extras["cs_pretest_supt"] = sup_t_pretest(dyn.to_frame(), dyn.crit_val)
                    hd = spec.get("sensitivity", {}).get("honest_did")
                    if hd and est.get("event_study"):
                        extras["honest_did_cs"] = attempt(f"{label}: honest_did (CS event study)", lambda: honest_cs(
                            d, control, hd, est["event_study"], label), failures)
                    pre = attempt(f"{label}: few_treated_pretest", lambda: lead_tests(d, control, spec), failures)
                    if pre is not None:
                        extras["few_treated_pretest"] = pre
                    extras["cs_dynamic_overall"] = {"att": dyn.estimate, "se": dyn.std_error, "crit_val": dyn.crit_val}
                if res.pretest is not None and res.pretest.W is not None:
                    extras["cs_pretest"] = {"W": res.pretest.W, "df": res.pretest.df, "pvalue": res.pretest.pvalue}
    if est.get("imputation"):
        res = attempt(f"{label}: did_imputation", lambda: method("did_imputation")(
            d, "y", "bps_code", "year", "group", control=control, cluster=inf["cluster"]), failures)
        if res is not None:
            att, se = float(res.estimate), float(res.std_error)
            z = stats.norm.ppf(0.975)
            rows.append(_row("imputation (Borusyak-Jaravel-Spiess)", f"conservative analytical SE, {control} controls", att, se,
                             att - z * se, att + z * se, 2 * stats.norm.sf(abs(att / se)) if se else None,
                             few_treated=_few_treated(d, "imputation", control, spec, failures, label)))
    if est.get("sun_abraham") and full:
        res = attempt(f"{label}: sun_abraham", lambda: method("sun_abraham")(d, "y", "bps_code", "year", "group", cluster=inf["cluster"]), failures)
        if res is not None:
            agg = attempt(f"{label}: sun_abraham average", lambda: _sa_average(res), failures)
            if agg is not None:
                rows.append(agg | {"few_treated": _few_treated(d, "sa", "never", spec, failures, label)})
    return rows, extras


def lead_tests(d, control: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Joint few-treated test of the CS leads (``few_treated_pretest``), randomisation and Conley-Taber, scaled.

    The leads are the event times ``-(k+1)..-2`` against the base ``-1``, with ``k`` the event study's
    number of leads (``estimators.event_study.leads``) or fewer when the earliest cohort has fewer
    pre-periods.
    """
    import warnings

    from sosek_impact.inference import few_treated_pretest

    conf = spec["inference"]["few_treated"]
    first = int(d.loc[d["group"] > 0, "group"].min())
    k = int(min(spec["estimators"]["event_study"]["leads"], first - int(d["year"].min()) - 1))
    out: dict[str, Any] = {"leads": k, "estimator": "cs", "scale": "pre_period"}
    for name in ("randomization", "conley_taber"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = few_treated_pretest(d, "y", "bps_code", "year", "group", estimator="cs", method=name, leads=k, control=control,
                                    n_draws=int(conf["n_draws"]), seed=int(spec["seeds"]["randomization"]))
        key = "p_value" if name == "randomization" else "conley_taber_p_value"
        out[key] = float(r.p_value)
        out["statistic"] = float(r.statistic)
        out[f"{name}_n_draws"] = int(r.n_draws)
    out["method"] = "joint lead test, studentised randomisation over adoption timing (p_value) and rescaled Conley-Taber"
    out["n_draws"] = out["randomization_n_draws"]
    return out


def _few_treated(d, estimator: str, control: str, spec: dict[str, Any], failures: list, label: str) -> dict[str, Any] | None:
    """The few-treated interval of an overall CS / SA estimate (``None``, recorded, when not available)."""
    conf = spec["inference"]["few_treated"]
    out = attempt(f"{label}: {estimator} few-treated interval", lambda: few_treated_interval(
        d, "y", "bps_code", "year", "group", estimator=estimator, control=control, n_draws=int(conf["n_draws"]),
        alpha=float(conf["alpha"]), seed=int(spec["seeds"]["randomization"]),
        power=float(spec["inference"].get("mde", {}).get("power", 0.8))), failures)
    if out is not None:
        out.pop("distribution_placebo")  # the MDE is the test's own (few_treated_interval)
    return out


def synthetic_controls(panel, spec, first, samples_units, failures) -> dict[str, Any]:
    """Synthetic control for each treated regency (donors: the spec's sample, untreated units)."""
    conf = spec["estimators"]["synthetic_control"]
    oc = spec["outcomes"][conf["outcome"]]
    d, _ = outcome_frame(panel, oc["variable"], oc["transform"], samples_units[conf["sample"]],
                         (spec["data"]["first_year"], spec["data"]["last_year"]), first)
    donors = sorted(set(d.loc[d["group"] == 0, "bps_code"]))
    out = {}
    for unit, g in sorted(first.items()):
        if g <= 0 or unit not in set(d["bps_code"]):
            continue
        sub = d.loc[d["bps_code"].isin([unit, *donors])]
        res = attempt(f"synthetic_control {unit}", lambda: method("synthetic_control")(
            sub, "y", "bps_code", "year", treated_unit=unit, treatment_time=g, placebo=conf["placebos"],
            leave_one_out=True, seed=spec["seeds"]["bootstrap"]), failures)
        if res is None:
            continue
        w = res.weights[res.weights > 1e-3].sort_values(ascending=False)
        out[str(unit)] = {
            "treatment_year": g,
            "att_avg": res.att_avg,
            "pre_rmspe": res.pre_rmspe,
            "post_rmspe": res.post_rmspe,
            "rmspe_ratio": res.rmspe_ratio,
            "p_value": res.p_value,
            "p_value_filtered": res.p_value_filtered,
            "n_donors": len(donors),
            "weights": {str(k): v for k, v in w.items()},
            "path": res.path.reset_index().rename(columns={res.path.index.name or "index": "year"}).to_dict(orient="records"),
            "placebo_gaps": None if res.placebo_gaps is None else {
                str(c): res.placebo_gaps[c].tolist() for c in res.placebo_gaps.columns},
            "placebo_years": None if res.placebo_gaps is None else [int(y) for y in res.placebo_gaps.index],
            "placebo_pre_rmspe": None if res.placebo is None else {str(k): v for k, v in res.placebo["pre_rmspe"].items()},
            "leave_one_out_att": None if res.leave_one_out_att is None else {
                str(k): v for k, v in res.leave_one_out_att.items()},
            "notes": list(res.notes),
        }
    return out


def main(spec_path: str = SPEC) -> None:
    """Run analysis 1 and write its figures, tables and ``reports/results/border_posts.json``."""
    import pandas as pd

    from sosek_impact.report.tables import write_table

    spec = load_spec(spec_path)
    panel = read_panel(spec["data"]["panel"])
    years = (spec["data"]["first_year"], spec["data"]["last_year"])
    units = sorted(panel["bps_code"].astype(int).unique())
    first, beyond = timing(spec, units, years[1])
    names = dict(zip(panel["bps_code"].astype(int), panel["regency"].astype(str)))
    border_now = set().union(*(border_codes(y) for y in spec["data"]["border_set_years"]))
    ever = ever_border_codes()
    samples_units = {s: sample_units(c["units"], panel, first, border_now, ever) for s, c in spec["samples"].items()}
    failures: list[dict[str, str]] = []
    results: dict[str, Any] = {}
    table_rows = []
    dropped_units: dict[str, Any] = {}
    main_outcome = next(iter(spec["outcomes"]))
    for outcome, oc in spec["outcomes"].items():
        results[outcome] = {}
        window = (years[0], oc.get("last_year", years[1]))
        for s, sc in spec["samples"].items():
            d, dropped = outcome_frame(panel, oc["variable"], oc["transform"], samples_units[s], window, first)
            dropped_units[f"{outcome}/{s}"] = dropped
            label = f"{outcome} / {s}"
            rows, extras = estimate_all(d, spec, sc["control"], outcome == main_outcome, failures, label)
            extras["rows"] = rows
            extras["dropped_units_incomplete"] = dropped
            results[outcome][s] = extras
            for r in rows:
                table_rows.append(table_row(outcome, s, r, extras, "primary" if is_primary(spec, outcome, s, r) else "robustness"))
    # robustness for the source break and COVID
    robustness = {}
    oc = spec["outcomes"][main_outcome]
    for rid, rc in spec.get("robustness", {}).items():
        variable = rc.get("variable", oc["variable"])
        win = (years[0], rc.get("last_year", years[1]))
        source = panel
        if rc.get("chain_link_break"):
            from grdp_break import chain_link

            source = panel.assign(**{f"{variable}_chained": chain_link(panel, variable, int(rc["chain_link_break"]))})
            variable = f"{variable}_chained"
        d, _ = outcome_frame(source, variable, oc["transform"], samples_units["kalimantan"], win, first,
                             drop_years=tuple(rc.get("drop_years", ())))
        rows, extras = estimate_all(d, spec, spec["samples"]["kalimantan"]["control"], False, failures, f"robustness {rid}")
        robustness[rid] = {"label": rc["label"], "variable": variable, "rows": rows, **extras}
        for r in rows:
            table_rows.append(table_row(f"{main_outcome} [{rid}]", "kalimantan", r, extras))
    sc = synthetic_controls(panel, spec, first, samples_units, failures) if spec["estimators"].get("synthetic_control") else {}

    figures = {}
    if fig_event_study(results, main_outcome, spec, names, FIGURES / f"event_study_{main_outcome}.png"):
        figures["event_study"] = f"reports/figures/event_study_{main_outcome}.png"
    if fig_cs_dynamic(results, main_outcome, spec, FIGURES / f"cs_dynamic_{main_outcome}.png"):
        figures["cs_dynamic"] = f"reports/figures/cs_dynamic_{main_outcome}.png"
    if fig_synthetic(sc, names, FIGURES / "synthetic_control_regencies.png", FIGURES / "synthetic_control_regencies_placebos.png",
                     max_pre_rmspe_ratio=float(spec["estimators"]["synthetic_control"]["plot_max_pre_rmspe_ratio"])):
        figures["synthetic_control"] = "reports/figures/synthetic_control_regencies.png"
        figures["synthetic_control_placebos"] = "reports/figures/synthetic_control_regencies_placebos.png"

    # the primary specification first, the rest in the order they were run
    table = pd.DataFrame(sorted(table_rows, key=lambda row: row["role"] != "primary"))
    write_table(table, TABLES / "border_posts_effects",
                caption="Border posts: effects on regency outcomes by estimator, inference and control group (primary row first)")
    sc_table = pd.DataFrame([{"bps_code": int(u), "regency": names.get(int(u), ""), "treated_from": r["treatment_year"],
                              "post_gap": r["att_avg"], "pre_rmspe": f"{r['pre_rmspe']:.3f}", "rmspe_ratio": _ratio(r["rmspe_ratio"], r["pre_rmspe"]),
                              "placebo_p": r["p_value"], "placebo_p_filtered": r["p_value_filtered"], "donors": r["n_donors"],
                              "top_donors": ", ".join(f"{names.get(int(k), k)} {v:.2f}" for k, v in list(r["weights"].items())[:3])}
                             for u, r in sorted(sc.items())])
    if len(sc_table):
        write_table(sc_table, TABLES / "border_posts_synthetic_control",
                    caption="Synthetic control per border-post regency (log GRDP per capita)")
    write_results("border_posts", {
        "provenance": provenance(spec, spec["data"]["panel"], "data/raw/registry_events.csv",
                                 "data/raw/registry_border_regencies.csv"),
        "timing": {str(k): int(v) for k, v in first.items() if v > 0},
        "treated_after_sample": {str(k): v for k, v in beyond.items()},
        "names": {str(k): names[k] for k in sorted(names) if k in set(first.index[first > 0]) | border_now},
        "samples": {s: sorted(int(u) for u in v) if s == "border" else len(v) for s, v in samples_units.items()},
        "results": results,
        "robustness": robustness,
        "synthetic_control": sc,
        "figures": figures,
        "tables": {"effects": "reports/tables/border_posts_effects.md",
                   "synthetic_control": "reports/tables/border_posts_synthetic_control.md" if len(sc_table) else None},
        "not_run": failures,
        "dropped_units": dropped_units,
        "main_outcome": main_outcome,
        "primary": {k: v for k, v in spec.get("primary", {}).items()},
    })


if __name__ == "__main__":
    main()
