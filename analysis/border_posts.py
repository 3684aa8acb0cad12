"""Analysis 1: integrated border posts (PLBN) and regency outcomes, 2000-2024.

Reads ``analysis/specs/border_posts.toml``: outcomes, treatment timing from the registry,
three control groups, the estimators and the inference to run, the robustness runs and the
seeds. Every estimator call is attempted; one that fails (e.g. too few treated units for a
method) is recorded with its error and shown as such in the report, never silently dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import (
    FIGURES,
    SOURCE_LINE,
    TABLES,
    attempt,
    few_treated_interval,
    minimum_detectable_effect,
    load_spec,
    method,
    provenance,
    read_panel,
    write_results,
)

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


def _row(estimator: str, inference: str, est: float, se: float | None, lo: float | None,
         hi: float | None, p: float | None, **extra: Any) -> dict[str, Any]:
    return {"estimator": estimator, "inference": inference, "estimate": est, "se": se,
            "conf_low": lo, "conf_high": hi, "p_value": p, **extra}


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


def _few_treated(d, estimator: str, control: str, spec: dict[str, Any], failures: list, label: str) -> dict[str, Any] | None:
    """The few-treated interval of an overall CS / SA estimate (``None``, recorded, when not available)."""
    conf = spec["inference"]["few_treated"]
    out = attempt(f"{label}: {estimator} few-treated interval", lambda: few_treated_interval(
        d, "y", "bps_code", "year", "group", estimator=estimator, control=control, n_draws=int(conf["n_draws"]),
        alpha=float(conf["alpha"]), seed=int(spec["seeds"]["randomization"])), failures)
    if out is not None:
        m = spec["inference"].get("mde", {"alpha": 0.05, "power": 0.8})
        out["mde"] = minimum_detectable_effect(out.pop("distribution_placebo"), m["alpha"], m["power"])
    return out


def sup_t_pretest(dyn, crit) -> dict[str, Any] | None:
    """Joint pre-test from the uniform band: max over e < 0 of |ATT(e)| / SE against the band's critical value.

    The band's bootstrap critical value covers every event time at once, so the test of the
    pre-periods alone is conservative; it rejects when some pre-period uniform band excludes zero.
    """
    import numpy as np

    pre = dyn.loc[(dyn["egt"] < 0) & (dyn["se"] > 0)]
    if crit is None or not len(pre) or not np.isfinite(crit):
        return None
    t = (pre["att"].abs() / pre["se"]).to_numpy(float)
    k = int(np.argmax(t))
    return {"sup_t": float(t[k]), "at_event_time": int(pre["egt"].iloc[k]), "crit_val": float(crit),
            "rejects": bool(t[k] > crit), "n_pre": int(len(pre))}


def treated_by_event_time(d) -> dict[str, int]:
    """Number of treated regencies observed at each event time (year - first treated year)."""
    t = d.loc[d["group"] > 0, ["bps_code", "year", "group"]]
    e = (t["year"] - t["group"]).astype(int)
    return {str(k): int(v) for k, v in t.assign(e=e).groupby("e")["bps_code"].nunique().items()}


def honest(es, conf: dict[str, Any], label: str) -> dict[str, Any]:
    """Rambachan-Roth intervals for the average post-period event-study effect."""
    import numpy as np

    names = [f"e={e}" for e in es.event_times]
    pre = [n for n, e in zip(names, es.event_times, strict=True) if e < 0]
    post = [n for n, e in zip(names, es.event_times, strict=True) if e >= 0]
    betas = es.params.loc[pre + post].to_numpy(float)
    sigma = es.cov.loc[pre + post, pre + post].to_numpy(float)
    l_vec = np.full(len(post), 1.0 / len(post))
    out: dict[str, Any] = {"target": "average of post-period event-study coefficients", "num_pre": len(pre), "num_post": len(post)}
    if conf.get("smoothness"):
        r = method("honest_did")(betas, sigma, num_pre=len(pre), num_post=len(post), method="smoothness", l_vec=l_vec)
        out["original"] = list(r.original)
        out["smoothness"] = {"table": r.table[["M", "lb", "ub"]].to_dict(orient="records"), "breakdown": r.breakdown}
    sample = label.split(" / ")[-1]
    if conf.get("relative_magnitude") and sample in conf.get("relative_magnitude_samples", []):
        r = method("honest_did")(betas, sigma, num_pre=len(pre), num_post=len(post), method="relative_magnitude",
                                 Mbar=conf["relative_magnitude"], l_vec=l_vec)
        out["original"] = list(r.original)
        out["relative_magnitude"] = {"table": r.table[["M", "lb", "ub"]].to_dict(orient="records"), "breakdown": r.breakdown}
    return out


def _sa_average(res) -> dict[str, Any]:
    """The post-period average effect of a Sun-Abraham result, with a normal interval."""
    from scipy import stats

    att, se = float(res.estimate), float(res.std_error)
    z = stats.norm.ppf(0.975)
    return _row("Sun-Abraham (post average)", "cluster-robust by regency", att, se, att - z * se, att + z * se,
                2 * stats.norm.sf(abs(att / se)) if se else None)


def twfe_inference(d, spec, res, failures, label) -> list[dict[str, Any]]:
    """Few-treated-cluster inference for the TWFE coefficient."""
    inf = spec["inference"]
    seeds = spec["seeds"]
    rows = []
    wb = inf.get("wild_bootstrap")
    if wb:
        r = attempt(f"{label}: wild_cluster_bootstrap", lambda: method("wild_cluster_bootstrap")(
            d, "y", "treat", "treat", inf["cluster"], fe=["bps_code", "year"], weights_type=wb["weights"],
            B=wb["reps"], restricted=True, seed=seeds["bootstrap"]), failures)
        if r is not None:
            rows.append(_inference_row(r, "TWFE", f"wild cluster bootstrap ({wb['weights']}, restricted)", res))
    ri = inf.get("randomization")
    if ri:
        r = attempt(f"{label}: randomization_inference", lambda: method("randomization_inference")(
            d, "y", "bps_code", "year", "group", estimator="twfe", n_perm=ri["reps"], seed=seeds["randomization"]), failures)
        if r is not None:
            rows.append(_inference_row(r, "TWFE", "randomisation inference (permuted timing)", res))
    if inf.get("conley_taber"):
        r = attempt(f"{label}: conley_taber", lambda: method("conley_taber")(d, "y", "bps_code", "year", "treat",
                                                                       seed=seeds["randomization"]), failures)
        if r is not None:
            rows.append(_inference_row(r, "TWFE", "Conley-Taber (2011)", res))
    return rows


def _inference_row(r, estimator: str, method: str, base) -> dict[str, Any]:
    """Read a p-value and an interval off an inference result with tolerant attribute names."""
    def pick(*names):
        for n in names:
            v = getattr(r, n, None)
            if v is not None and not callable(v):
                return v
        return None

    ci = pick("interval", "ci")
    lo, hi = (None, None)
    if ci is not None:
        try:
            lo, hi = float(ci[0]), float(ci[1])
        except (TypeError, IndexError, KeyError):
            lo, hi = None, None
    est = pick("estimate", "coef")
    if est is None:
        est = float(base.params["treat"])
    return _row(estimator, method, float(est), pick("std_error", "se"), lo, hi, pick("p_value", "pvalue"))


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


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------


def fig_event_study(results, outcome, spec, names, path: Path) -> bool:
    import matplotlib.pyplot as plt
    import pandas as pd

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    panels = [(s, results[outcome][s]) for s in spec["samples"] if "event_study" in results[outcome].get(s, {})]
    if not panels:
        return False
    use_study_style()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4), sharey=True, squeeze=False)
    for ax, (s, r) in zip(axes[0], panels, strict=True):
        es = pd.DataFrame(r["event_study"])
        ax.errorbar(es["event_time"], es["estimate"], yerr=[es["estimate"] - es["conf_low"], es["conf_high"] - es["estimate"]],
                    fmt="o", color="C0", ecolor="C0", capsize=3)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", ls=":")
        pt = r.get("event_study_pretrend")
        sub = f"pre-trend Wald p = {pt['pvalue']:.3f}" if pt and pt.get("pvalue") is not None else "pre-trend test n/a"
        ax.set_title(f"{spec['samples'][s]['label'].split('(')[0].strip()}\n{sub}; {r['n_treated']} treated / {r['n_units']} units",
                     fontsize=9.5)
        ax.set_xlabel("years since the post opened (end points binned)")
    axes[0][0].set_ylabel("effect (log points; year -1 = 0)")
    fig.suptitle(f"Event study (TWFE leads and lags): {spec['outcomes'][outcome]['label']}, 95% cluster-robust CIs")
    add_source_note(fig, SOURCE_LINE["idn514"] + " Timing: registry of PLBN openings (first full year).")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path)
    return True


def fig_cs_dynamic(results, outcome, spec, path: Path) -> bool:
    """CS dynamic effects over the spec's event-time window, with the treated count per event time."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from matplotlib.ticker import MaxNLocator

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    panels = [(s, results[outcome][s]) for s in spec["samples"] if "cs_dynamic" in results[outcome].get(s, {})]
    if not panels:
        return False
    window = tuple(spec["estimators"]["att_gt"]["figure_window"])
    base = spec["estimators"]["att_gt"]["base_period"]
    use_study_style()
    fig, axes = plt.subplots(2, len(panels), figsize=(5.0 * len(panels), 5.4), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [4, 1]})
    for j, (s, r) in enumerate(panels):
        ax, axn = axes[0][j], axes[1][j]
        dyn = pd.DataFrame(r["cs_dynamic"])
        dyn = dyn.loc[dyn["egt"].between(*window)]
        if "cband_lower" in dyn:
            # one box per event time (a stepped fill_between loses half of the end boxes)
            ax.bar(dyn["egt"], dyn["cband_upper"] - dyn["cband_lower"], bottom=dyn["cband_lower"], width=0.8,
                   color="C1", alpha=0.25, label="95% uniform band (multiplier bootstrap)")
        ax.errorbar(dyn["egt"], dyn["att"], yerr=[dyn["att"] - dyn["ci_lower"], dyn["ci_upper"] - dyn["att"]],
                    fmt="o", color="C1", ecolor="0.3", capsize=2, label="ATT(e), 95% pointwise")
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", ls=":")
        lo = np.nanmin(dyn[[c for c in ("cband_lower", "ci_lower") if c in dyn]].to_numpy(float))
        hi = np.nanmax(dyn[[c for c in ("cband_upper", "ci_upper") if c in dyn]].to_numpy(float))
        pad = 0.05 * (hi - lo) if np.isfinite(hi - lo) and hi > lo else 0.1
        ax.set_ylim(lo - pad, hi + pad)  # every band drawn in full
        ov = r.get("cs_dynamic_overall", {})
        pt = r.get("cs_pretest") or {}
        sup = r.get("cs_pretest_supt") or {}
        if pt.get("pvalue") is not None:
            pre = f"joint Wald pre-test p = {pt['pvalue']:.3f}" if pt["pvalue"] >= 0.001 else "joint Wald pre-test p < 0.001"
        elif sup:
            pre = f"pre-period sup-t {sup['sup_t']:.2f} vs 95% crit. {sup['crit_val']:.2f}" + (" (rejects)" if sup["rejects"] else "")
        else:
            pre = "joint pre-test n/a"
        ax.set_title(f"{spec['samples'][s]['label'].split('(')[0].strip()}\nmean ATT(e), e >= 0: {ov.get('att', float('nan')):+.3f} "
                     f"(SE {ov.get('se', float('nan')):.3f})\n{pre}", fontsize=9)
        counts = r.get("cs_treated_by_event_time", {})
        es = [e for e in range(window[0], window[1] + 1) if str(e) in counts]
        axn.bar(es, [counts[str(e)] for e in es], color="0.55", width=0.8)
        axn.set_ylabel("treated", fontsize=8)
        axn.yaxis.set_major_locator(MaxNLocator(integer=True))
        axn.set_xlabel(f"event time (window {window[0]}..{window[1]} from the spec)")
        axn.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0][0].set_ylabel("ATT on log GRDP per capita (log points)")
    axes[0][0].legend(fontsize=7.5, loc="lower left")
    base_txt = ("base period varying: pre-period effects compare t with t-1,\npost-period effects compare with g-1"
                if base == "varying" else "base period universal: every effect compares with g-1")
    fig.suptitle(f"Callaway-Sant'Anna dynamic effects of the border posts, with uniform bands ({base_txt})", fontsize=10)
    add_source_note(fig, SOURCE_LINE["idn514"] + " Seeded bootstrap (spec border_posts.toml). Bottom: treated regencies at each event time.")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path)
    return True


def fig_synthetic(sc: dict[str, Any], names: dict[int, str], path_paths: Path, path_placebo: Path,
                  max_pre_rmspe_ratio: float = 5.0) -> bool:
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    if not sc:
        return False
    use_study_style()
    units = sorted(sc, key=int)
    n = len(units)
    ncol = min(n, 2)
    nrow = -(-n // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.5 * ncol, 3.6 * nrow), squeeze=False)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_axis_off()
    for ax, u in zip(flat, units):
        r = sc[u]
        p = pd.DataFrame(r["path"])
        ax.plot(p["year"], p["treated"], color="black", label=names.get(int(u), u))
        ax.plot(p["year"], p["synthetic"], color="C0", ls="--", label="synthetic")
        ax.axvline(r["treatment_year"] - 0.5, color="grey", ls=":")
        ax.set_title(f"{names.get(int(u), u)} ({u})\npost gap {r['att_avg']:.3f}, placebo p = "
                     + (f"{r['p_value']:.2f}" if r.get("p_value") is not None else "n/a"), fontsize=9.5)
        ax.set_xlabel("year")
        ax.legend(fontsize=7.5)
    for ax in axes[:, 0]:
        ax.set_ylabel("log GRDP per capita\n(thousand IDR, 2010 prices)")
    fig.suptitle("Synthetic control per border-post regency\n(donors: non-border Kalimantan regencies)")
    add_source_note(fig, SOURCE_LINE["idn514"])
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path_paths)

    fig, axes = plt.subplots(nrow, ncol, figsize=(5.5 * ncol, 3.6 * nrow), sharey=True, squeeze=False)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_axis_off()
    for ax, u in zip(flat, units):
        r = sc[u]
        if not r.get("placebo_gaps"):
            ax.set_axis_off()
            continue
        years = r["placebo_years"]
        pre = r.get("placebo_pre_rmspe") or {}
        own = r["pre_rmspe"]
        for k, gaps in sorted(r["placebo_gaps"].items()):
            if k == u:
                continue
            if pre.get(k) is not None and pre[k] > max_pre_rmspe_ratio * own:
                continue  # badly fitted placebos hide the picture (Abadie et al. 2010); ratio from the spec
            ax.plot(years, np.asarray(gaps, float), color="0.75", lw=0.7)
        ax.plot(years, np.asarray(r["placebo_gaps"][u], float), color="crimson", lw=2, label=names.get(int(u), u))
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(r["treatment_year"] - 0.5, color="grey", ls=":")
        ax.set_title(f"{names.get(int(u), u)}: RMSPE ratio rank p = "
                     + (f"{r['p_value']:.2f}" if r.get("p_value") is not None else "n/a"), fontsize=9.5)
        ax.set_xlabel("year")
        ax.legend(fontsize=7.5)
    for ax in axes[:, 0]:
        ax.set_ylabel("actual - synthetic (log points)")
    fig.suptitle("Placebo-in-space gaps\n(grey: each donor as if treated; placebos with pre-RMSPE > 5x the treated hidden)")
    add_source_note(fig, SOURCE_LINE["idn514"])
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path_placebo)
    return True


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


ANALYTICAL = ("influence function", "cluster-robust", "conservative analytical")


def _ratio(ratio, pre_rmspe) -> str:
    """Post/pre RMSPE ratio as a cell: two decimals, or why it is not informative."""
    if ratio is None or pre_rmspe is None or pre_rmspe < 1e-6:
        return "n/a (exact pre-fit)"
    return f"{ratio:.2f}"


ESTIMATOR_IDS = {"cs": "Callaway-Sant'Anna", "sa": "Sun-Abraham", "twfe": "TWFE"}


def is_primary(spec: dict[str, Any], outcome: str, sample: str, r: dict[str, Any]) -> bool:
    """The one primary specification of the spec (outcome x sample x estimator; few-treated inference)."""
    p = spec.get("primary", {})
    return (outcome == p.get("outcome") and sample == p.get("sample")
            and r["estimator"].startswith(ESTIMATOR_IDS.get(p.get("estimator"), "?")))


def table_row(outcome: str, sample: str, r: dict[str, Any], extras: dict[str, Any], role: str = "robustness") -> dict[str, Any]:
    """One row of the effects table: the few-treated interval first where the estimator has one.

    An analytical (influence-function or cluster-robust) p-value of a row with one treated
    regency is not shown: it reflects only the controls' noise.
    """
    from sosek_impact.report.tables import format_interval, format_p

    ft = r.get("few_treated") or {}
    heterogeneity_robust = r["estimator"].startswith(("Callaway", "Sun-Abraham", "imputation"))
    one = extras["n_treated"] <= 1 and r["inference"].startswith(ANALYTICAL)
    return {"role": role, "outcome": outcome, "sample": sample, "estimator": r["estimator"], "treated": extras["n_treated"],
            "units": extras["n_units"], "years": f"{extras['years'][0]}-{extras['years'][1]}",
            "estimate": "" if r["estimate"] is None else f"{r['estimate']:+.4f}",
            "few-treated 95% CI": format_interval(ft.get("conf_low"), ft.get("conf_high")) if ft else
            ("not available (see Not run)" if heterogeneity_robust else ""),
            "few-treated p": format_p(ft.get("p_value")) if ft else "",
            "MDE (5 %, 80 % power)": "" if not ft or ft.get("mde") is None else f"{ft['mde']['mde']:.4f}",
            "inference": r["inference"], "95% CI": format_interval(r["conf_low"], r["conf_high"]),
            "p": "not meaningful (1 treated)" if one else format_p(r["p_value"])}


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

    table = pd.DataFrame(table_rows)
    write_table(table, TABLES / "border_posts_effects",
                caption="Border posts: effects on regency outcomes by estimator, inference and control group")
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
