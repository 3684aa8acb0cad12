"""Analysis 6: border posts and welfare (poverty rate P0, HDI), second wave.

Reads ``analysis/specs/welfare.toml``. The bundled regency P0 and HDI run 2019-2024 (2020-2024
from one BPS series), so they bracket the second wave only: Jagoi Babang (Bengkayang) operating
from July 2023 (first full year 2024); the Nunukan and Malinau posts of October 2024 fall after
the data. With one treated regency and one post-year the study can only say how large an effect
it could have seen: every estimate carries a few-treated interval (randomisation inference over
adoption timing, inverted) and a minimum detectable effect from its placebo-in-space
distribution; analytical p-values of single-treated-unit rows are never shown as meaningful.
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
    minimum_detectable_effect,
    provenance,
    read_panel,
    write_results,
)
from welfare_outputs import effects_table, fig_placebo, fig_synthetic, synthetic_table  # noqa: F401  (welfare_first_wave uses the tables)

SPEC = "analysis/specs/welfare.toml"
ESTIMATORS = {"cs": "Callaway-Sant'Anna (simple ATT)", "sa": "Sun-Abraham (post average)",
              "imputation": "imputation (Borusyak-Jaravel-Spiess)"}


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def timing(spec: dict[str, Any], units) -> Any:
    """First treated year per regency (0 = none) from the registry, as the spec defines it."""
    from sosek_impact.registry import treatment_timing

    t = spec["treatment"]
    return treatment_timing(t["kind"], units=units, rule=t["rule"], first_full_year=t["first_full_year"],
                            min_confidence=t["min_confidence"]).astype(int)


def sample_units(kind: str, panel, first, ever_border: set[int], first_wave: set[int], last_year: int) -> set[int]:
    """Second-wave regencies treated within the data plus the non-border regencies of the sample.

    Border regencies treated after ``last_year`` (the October-2024 posts) and border regencies
    without a post are in neither group (a robustness row adds the former as controls).
    """
    codes = set(panel["bps_code"].astype(int))
    treated = {int(c) for c, g in first.items() if 0 < g <= last_year} - first_wave
    nonborder = codes - ever_border
    if kind == "treated_plus_nonborder_kalimantan":
        kal = set(panel.loc[panel["kalimantan"].astype(bool), "bps_code"].astype(int))
        return ((treated & kal) | (nonborder & kal)) & codes
    if kind == "treated_plus_nonborder":
        return (treated | nonborder) & codes
    raise ValueError(f"unknown sample kind {kind!r}")


def frame(panel, variable: str, units: set[int], years: tuple[int, int], first):
    """Balanced frame ``bps_code, year, y, group`` (units with a gap are reported, not imputed)."""
    d = panel.loc[panel["bps_code"].isin(units) & panel["year"].between(*years), ["bps_code", "year", variable]]
    d = d.dropna(subset=[variable]).rename(columns={variable: "y"})
    d["y"] = d["y"].astype(float)
    n_years = d["year"].nunique()
    counts = d.groupby("bps_code")["year"].nunique()
    keep = counts.index[counts == n_years]
    dropped = sorted(int(u) for u in set(units) - set(keep.astype(int)))
    d = d.loc[d["bps_code"].isin(keep)].sort_values(["bps_code", "year"]).reset_index(drop=True)
    d["bps_code"] = d["bps_code"].astype(int)
    d["year"] = d["year"].astype(int)
    d["group"] = d["bps_code"].map(first).fillna(0).astype(int)
    d.loc[d["group"] > years[1], "group"] = 0  # treated after the data: untreated within the window
    return d, dropped


def comparability_2019(panel, spec) -> dict[str, Any]:
    """Is the 2019 cross-section (INDO-DAPOER) comparable with the 2020-2024 BPS series?

    Year-on-year changes of every regency: mean, SD, share beyond 2 units, and the correlation
    of levels. If 2019 were the same series, its change to 2020 would look like the later years'.
    """
    import numpy as np

    from sosek_impact.report.tables import round_stored

    out: dict[str, Any] = {}
    for name, oc in spec["outcomes"].items():
        w = panel.pivot(index="bps_code", columns="year", values=oc["variable"]).loc[:, 2019:spec["data"]["last_year"]]
        src = panel.loc[panel["year"] == 2019, f"{oc['variable']}_source"].astype(str).value_counts().to_dict()
        rows = []
        for y in range(2020, int(w.columns.max()) + 1):
            ch = (w[y] - w[y - 1]).dropna()
            rows.append({"change": f"{y - 1}-{y}", "n": int(ch.size), "mean": float(ch.mean()), "sd": float(ch.std()),
                         # the data are published to 2 decimals: a change of exactly 1.00 must not count as > 1 because
                         # of the last bit of a float subtraction (rounded to the stored precision first)
                         "share_abs_gt_1": float((ch.abs().map(round_stored) > 1).mean()),
                         "corr_levels": float(np.corrcoef(w[y - 1].loc[ch.index], w[y].loc[ch.index])[0, 1])})
        later = [r["sd"] for r in rows[1:]]
        out[name] = {"source_2019": src, "changes": rows, "sd_2019_2020": rows[0]["sd"],
                     "sd_later_max": max(later), "sd_ratio_to_later_median": rows[0]["sd"] / float(np.median(later))}
    return out


# --------------------------------------------------------------------------------------------
# estimators (each a point estimate and an analytical result; all linear in y)
# --------------------------------------------------------------------------------------------


def _cs(d, y, unit, time, group, conf):
    return method("att_gt")(d, y, unit, time, group, control="never", method=conf["method"],
                            base_period=conf["base_period"]).aggregate("simple", na_rm=True)


def _sa(d, y, unit, time, group):
    return method("sun_abraham")(d, y, unit, time, group, control="never")


def _imputation(d, y, unit, time, group):
    import importlib

    module = importlib.import_module("sosek_impact.estimators")
    fn = getattr(module, "did_imputation", None)
    if fn is None:
        raise NotImplementedError("sosek_impact.estimators.did_imputation is not in this library version yet")
    return fn(d, y, unit, time, group)


def _overall(res) -> tuple[float, float]:
    for att, se in (("estimate", "std_error"), ("overall_att", "overall_se")):
        if hasattr(res, att):
            return float(getattr(res, att)), float(getattr(res, se))
    t = res.tidy()
    return float(t["estimate"].iloc[0]), float(t["std_error"].iloc[0])


def statistics(spec) -> dict[str, Any]:
    """name -> f(data, y, unit, time, group) -> (estimate, analytical SE)."""
    est = spec["estimators"]
    out = {}
    if est.get("cs"):
        out["cs"] = lambda d, y, u, t, g: _overall(_cs(d, y, u, t, g, est["cs"]))
    if est.get("sa"):
        out["sa"] = lambda d, y, u, t, g: _overall(_sa(d, y, u, t, g))
    if est.get("imputation"):
        out["imputation"] = lambda d, y, u, t, g: _overall(_imputation(d, y, u, t, g))
    return out


def estimate_row(d, name: str, fn, spec, sample: str, label: str, failures: list) -> dict[str, Any] | None:
    """One estimator on one frame: estimate, analytical interval, few-treated interval, MDE."""
    from scipy import stats

    n_treated = int((d.groupby("bps_code")["group"].first() > 0).sum())
    base = {"estimator": ESTIMATORS[name], "estimator_id": name, "n_treated": n_treated,
            "n_units": int(d["bps_code"].nunique()), "years": [int(d["year"].min()), int(d["year"].max())]}
    if n_treated == 0:
        failures.append({"what": f"{label}: {name}", "error": "no treated regency with a post-year in the data", "where": ""})
        return base | {"estimate": None, "not_estimable": "no treated regency with a post-year in the data"}
    first = attempt(f"{label}: {name}", lambda: fn(d, "y", "bps_code", "year", "group"), failures)
    if first is None:
        return None
    att, se = first
    z = stats.norm.ppf(0.975)
    inf = spec["inference"]["few_treated"]
    ft = attempt(f"{label}: {name} few-treated interval", lambda: few_treated_interval(
        d, "y", "bps_code", "year", "group", estimator=name, n_draws=int(inf["n_draws"][sample]),
        alpha=float(inf["alpha"]), seed=int(spec["seeds"]["randomization"]),
        power=float(spec["inference"]["mde"]["power"])),
        failures)
    row = base | {"estimate": att, "analytical_se": se, "analytical_conf_low": att - z * se,
                  "analytical_conf_high": att + z * se,
                  "analytical_p_value": 2 * stats.norm.sf(abs(att / se)) if se else None,
                  "analytical_valid": n_treated >= 2}
    if ft is not None:
        placebo = ft.pop("distribution_placebo")
        row |= {"few_treated": ft, "mde": ft["mde"], "placebo_estimates": placebo.tolist()}
    return row


# --------------------------------------------------------------------------------------------
# synthetic control
# --------------------------------------------------------------------------------------------


def synthetic(d, unit: int, g: int, spec, label: str, failures: list, many_donors: bool) -> dict[str, Any] | None:
    """Synthetic control for one treated regency with placebo-in-space p-values and the MDE."""
    import numpy as np

    donors = sorted(set(d.loc[d["group"] == 0, "bps_code"]))
    sub = d.loc[d["bps_code"].isin([unit, *donors])]
    res = attempt(label, lambda: method("synthetic_control")(
        sub, "y", "bps_code", "year", treated_unit=unit, treatment_time=g, placebo=True,
        leave_one_out=not many_donors, placebo_v="treated" if many_donors else "refit",
        seed=int(spec["seeds"]["synthetic_control"])), failures)
    if res is None:
        return None
    gaps = res.placebo_gaps
    post_years = [int(y) for y in gaps.index if y >= g]
    post = gaps.loc[post_years].mean(axis=0)
    own = float(post[unit])
    others = post.drop(unit).to_numpy(float)
    p_gap = float((1 + np.sum(np.abs(others) >= abs(own) - 1e-12)) / (1 + others.size))
    m = spec["inference"]["mde"]
    w = res.weights[res.weights > 1e-3].sort_values(ascending=False)
    return {
        "treatment_year": g, "post_years": post_years, "att_avg": float(res.att_avg), "pre_rmspe": float(res.pre_rmspe),
        "rmspe_ratio": None if not np.isfinite(res.rmspe_ratio) else float(res.rmspe_ratio),
        "p_value_rmspe_ratio": res.p_value, "p_value_post_gap": p_gap, "n_donors": len(donors),
        "n_pre_years": int(sum(y < g for y in gaps.index)),
        "weights": {str(k): float(v) for k, v in w.items()},
        "path": res.path.reset_index().rename(columns={res.path.index.name or "index": "year"}).to_dict(orient="records"),
        "placebo_post_gap": {str(k): float(v) for k, v in post.items()},
        "placebo_gaps": {str(c): gaps[c].tolist() for c in gaps.columns}, "placebo_years": [int(y) for y in gaps.index],
        "mde": minimum_detectable_effect(others, m["alpha"], m["power"]),
        "leave_one_out_att": None if res.leave_one_out_att is None else {str(k): float(v) for k, v in res.leave_one_out_att.items()},
        "notes": list(res.notes),
    }


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def main(spec_path: str = SPEC) -> None:
    """Run analysis 6 and write its figures, tables and ``reports/results/welfare.json``."""
    import pandas as pd

    from sosek_impact.registry import border_regencies
    from sosek_impact.report.tables import write_table

    spec = load_spec(spec_path)
    panel = read_panel(spec["data"]["panel"])
    units = sorted(panel["bps_code"].astype(int).unique())
    first = timing(spec, units)
    names = dict(zip(panel["bps_code"].astype(int), panel["regency"].astype(str)))
    table = border_regencies()
    ever = set(table.loc[table["ever_border"].astype(bool), "bps_code"].astype(int))
    first_wave = {int(c) for c, g in first.items() if 0 < g <= spec["treatment"]["second_wave_from"]}
    years = (int(spec["data"]["first_year"]), int(spec["data"]["last_year"]))
    samples = {s: sample_units(c["units"], panel, first, ever, first_wave, years[1]) for s, c in spec["samples"].items()}
    stats_fns = statistics(spec)
    failures: list[dict[str, str]] = []
    rows: list[dict[str, Any]] = []
    dropped: dict[str, list[int]] = {}
    sc: dict[str, dict[str, Any]] = {}
    pretests: dict[str, Any] = {}
    for o, oc in spec["outcomes"].items():
        sc[o] = {}
        for s in spec["samples"]:
            d, dropped[f"{o}/{s}"] = frame(panel, oc["variable"], samples[s], years, first)
            label = f"{o} / {s}"
            for name, fn in stats_fns.items():
                r = estimate_row(d, name, fn, spec, s, label, failures)
                if r is not None:
                    rows.append(r | {"outcome": o, "sample": s, "robustness": None})
            cs_full = attempt(f"{label}: cs pre-test", lambda: method("att_gt")(
                d, "y", "bps_code", "year", "group", control="never", method=spec["estimators"]["cs"]["method"],
                base_period=spec["estimators"]["cs"]["base_period"]), failures)
            if cs_full is not None:
                dyn = cs_full.aggregate("dynamic", na_rm=True)
                pretests[label] = {"dynamic": dyn.to_frame().to_dict(orient="records"),
                                   "pretest": None if cs_full.pretest is None or cs_full.pretest.W is None else
                                   {"W": cs_full.pretest.W, "df": cs_full.pretest.df, "pvalue": cs_full.pretest.pvalue}}
            if s in spec["estimators"]["synthetic_control"]["samples"]:
                for unit in sorted(int(u) for u in d.loc[d["group"] > 0, "bps_code"].unique()):
                    g = int(d.loc[d["bps_code"] == unit, "group"].iloc[0])
                    r = synthetic(d, unit, g, spec, f"{label}: synthetic control {unit}", failures, many_donors=s != "kalimantan")
                    if r is not None:
                        sc[o][s] = r | {"unit": unit}
        # robustness: Kalimantan sample, the primary estimator with its few-treated interval, and the SC
        for rid, rc in spec.get("robustness", {}).items():
            f2 = first.copy()
            for k, v in rc.get("override_first", {}).items():
                f2.loc[int(k)] = int(v)
            u2 = samples["kalimantan"] | {int(u) for u in rc.get("add_units", [])}
            yrs = (int(rc.get("first_year", years[0])), years[1])
            d, _ = frame(panel, oc["variable"], u2, yrs, f2)
            label = f"{o} / robustness {rid}"
            for name in [spec["primary"]["estimator"]]:
                r = estimate_row(d, name, stats_fns[name], spec, "kalimantan", label, failures)
                if r is not None:
                    rows.append(r | {"outcome": o, "sample": "kalimantan", "robustness": rid})
            treated = sorted(int(u) for u in d.loc[d["group"] > 0, "bps_code"].unique())
            for unit in treated:
                g = int(d.loc[d["bps_code"] == unit, "group"].iloc[0])
                r = synthetic(d, unit, g, spec, f"{label}: synthetic control {unit}", failures, many_donors=False)
                if r is not None:
                    sc[o][f"kalimantan [{rid}]"] = r | {"unit": unit}

    comp = comparability_2019(panel, spec)
    figures = {}
    if fig_synthetic(sc, spec, names, FIGURES / "welfare_synthetic_control.png"):
        figures["synthetic_control"] = "reports/figures/welfare_synthetic_control.png"
    if fig_placebo(rows, spec, FIGURES / "welfare_placebo_mde.png"):
        figures["placebo_mde"] = "reports/figures/welfare_placebo_mde.png"

    write_table(effects_table(rows, spec), TABLES / "welfare_effects",
                caption="Border posts and welfare (second wave, Bengkayang 2024): effects with few-treated intervals")
    write_table(synthetic_table(sc, spec, names), TABLES / "welfare_synthetic_control",
                caption="Synthetic control for Bengkayang: 2024 gap, placebo-in-space p-values and minimum detectable effect")
    write_table(pd.DataFrame([{"outcome": o, **r} for o, c in comp.items() for r in c["changes"]]),
                TABLES / "welfare_comparability_2019",
                caption="Year-on-year changes per regency: 2019 (INDO-DAPOER) to 2020 vs the later years of the BPS series")
    write_results("welfare", {
        "provenance": provenance(spec, spec["data"]["panel"], "data/raw/registry_events.csv", "data/raw/registry_border_regencies.csv"),
        "timing": {str(k): int(v) for k, v in first.items() if v > 0},
        "first_wave_left_out": sorted(first_wave),
        "names": {str(k): names[k] for k in sorted(names) if first.get(k, 0) > 0},
        "samples": {s: len(v) for s, v in samples.items()},
        "primary": spec["primary"],
        "rows": rows,
        "synthetic_control": sc,
        "cs_pretests": pretests,
        "comparability_2019": comp,
        "figures": figures,
        "tables": {"effects": "reports/tables/welfare_effects.md", "synthetic_control": "reports/tables/welfare_synthetic_control.md",
                   "comparability_2019": "reports/tables/welfare_comparability_2019.md"},
        "dropped_units": dropped,
        "not_run": failures,
    })


if __name__ == "__main__":
    main()
