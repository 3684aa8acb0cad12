"""Analysis 2: Sosek Malindo forums and provincial GDP per capita, 1983-2017.

West Kalimantan (forum from 1985) and East Kalimantan (from 1995) against the provinces
without a forum, by synthetic control and synthetic difference-in-differences, each with
placebo-in-space inference. Reads ``analysis/specs/forums.toml``.
"""

from __future__ import annotations

from typing import Any

from _common import FIGURES, SOURCE_LINE, TABLES, attempt, load_spec, method, provenance, read_panel, write_results

SPEC = "analysis/specs/forums.toml"


def frame(panel, spec: dict[str, Any]):
    """Balanced long frame ``province_code, year, y`` and the provinces dropped for gaps."""
    import numpy as np

    dat = spec["data"]
    d = panel.loc[panel["year"].between(dat["first_year"], dat["last_year"]),
                  ["province_code", "year", dat["variable"]]].dropna()
    d = d.loc[d[dat["variable"]] > 0].copy()
    d["y"] = np.log(d[dat["variable"]].to_numpy(float)) if dat["transform"] == "log" else d[dat["variable"]]
    n_years = d["year"].nunique()
    counts = d.groupby("province_code")["year"].nunique()
    keep = counts.index[counts == n_years]
    dropped = sorted(int(c) for c in set(counts.index) - set(keep))
    return d.loc[d["province_code"].isin(keep)].sort_values(["province_code", "year"]).reset_index(drop=True), dropped


def backcast_provinces(spec: dict[str, Any]) -> dict[int, int]:
    """Provinces created after the first year of the spec: code -> year of creation (data/raw/provinces.csv)."""
    import pandas as pd

    from _common import ROOT

    p = pd.read_csv(ROOT / "data/raw/provinces.csv", dtype={"province_code": int, "established_year": "Int64"})
    p = p.dropna(subset=["established_year"])
    first = int(spec["data"]["first_year"])
    return {int(c): int(y) for c, y in zip(p["province_code"], p["established_year"]) if int(y) > first}


def main(spec_path: str = SPEC) -> None:
    """Run analysis 2: SC and SDID for each forum province, figures, table and results."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from sosek_impact.registry import forum_timing
    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style
    from sosek_impact.report.tables import write_table

    spec = load_spec(spec_path)
    panel = read_panel(spec["data"]["panel"])
    names = dict(zip(panel["province_code"].astype(int), panel["province"].astype(str)))
    d, dropped = frame(panel, spec)
    timing = forum_timing()
    treated = [c for c in spec["treatment"]["treated"] if c in timing]
    backcast = backcast_provinces(spec)
    excluded = set(spec["treatment"]["exclude_donors"]) | set(timing)
    if spec["treatment"].get("exclude_backcast_donors"):
        excluded |= set(backcast)
    donors = sorted(int(c) for c in d["province_code"].unique() if c not in excluded)
    seed = spec["seeds"]["placebo"]
    scc = spec["estimators"]["synthetic_control"]
    sdc = spec["estimators"]["synthetic_did"]
    failures: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for code in treated:
        year = timing[code]
        sub = d.loc[d["province_code"].isin([code, *donors])].copy()
        entry: dict[str, Any] = {"province": names.get(code, str(code)), "forum_year": year,
                                 "n_pre": int((sub["year"] < year).sum() // max(sub["province_code"].nunique(), 1)),
                                 "n_donors": len(donors)}
        sc = attempt(f"synthetic_control {code}", lambda: method("synthetic_control")(
            sub, "y", "province_code", "year", treated_unit=code, treatment_time=year,
            placebo=scc["placebos"], v=scc["v"], leave_one_out=scc["leave_one_out"], seed=seed), failures)
        if sc is not None:
            w = sc.weights[sc.weights > 1e-3].sort_values(ascending=False)
            entry["sc"] = {
                "att_avg": sc.att_avg, "pre_rmspe": sc.pre_rmspe, "post_rmspe": sc.post_rmspe,
                "rmspe_ratio": sc.rmspe_ratio, "p_value": sc.p_value, "p_value_filtered": sc.p_value_filtered,
                "p_value_post": getattr(sc, "p_value_post", None),
                "weights": {names.get(int(k), str(k)): v for k, v in w.items()},
                "path": sc.path.reset_index().rename(columns={sc.path.index.name or "index": "year"}).to_dict(orient="records"),
                "placebo_gaps": None if sc.placebo_gaps is None else {str(c): sc.placebo_gaps[c].tolist() for c in sc.placebo_gaps.columns},
                "placebo_years": None if sc.placebo_gaps is None else [int(y) for y in sc.placebo_gaps.index],
                "placebo_pre_rmspe": None if sc.placebo is None else {str(k): v for k, v in sc.placebo["pre_rmspe"].items()},
                "leave_one_out_att": None if sc.leave_one_out_att is None else {names.get(int(k), str(k)): v for k, v in sc.leave_one_out_att.items()},
                "notes": list(sc.notes),
            }
        sub["treat"] = ((sub["province_code"] == code) & (sub["year"] >= year)).astype(int)
        sd = attempt(f"synthetic_did {code}", lambda: method("synthetic_did")(
            sub, "y", "province_code", "year", "treat", se=sdc["se"], n_reps=sdc["reps"], seed=seed,
            leave_one_out=sdc["leave_one_out"]), failures)
        if sd is not None:
            entry["sdid"] = {"estimate": sd.estimate, "se": sd.std_error, "conf_low": sd.interval[0], "conf_high": sd.interval[1],
                             "se_method": sd.se_method,
                             "top_weights": {names.get(int(k), str(k)): v for k, v in
                                             sd.unit_weights[sd.unit_weights > 1e-3].sort_values(ascending=False).head(5).items()},
                             "leave_one_out_range": None if sd.leave_one_out is None or not len(sd.leave_one_out) else
                             [float(sd.leave_one_out.min()), float(sd.leave_one_out.max())],
                             "notes": list(sd.notes)}
        out[str(code)] = entry

    figures = {}
    ok = [c for c in out if "sc" in out[c]]
    if ok:
        use_study_style()
        fig, axes = plt.subplots(2, len(ok), figsize=(5.6 * len(ok), 7.2), squeeze=False)
        for j, c in enumerate(ok):
            r = out[c]["sc"]
            p = pd.DataFrame(r["path"])
            ax = axes[0][j]
            ax.plot(p["year"], p["treated"], color="black", label=out[c]["province"])
            ax.plot(p["year"], p["synthetic"], color="C0", ls="--", label="synthetic control")
            ax.axvline(out[c]["forum_year"] - 0.5, color="grey", ls=":")
            ax.set_title(f"{out[c]['province']}: forum from {out[c]['forum_year']}\n"
                         f"pre-RMSPE {r['pre_rmspe']:.3f}, post gap {r['att_avg']:.3f}", fontsize=10)
            ax.set_ylabel("log GDP per capita (thousand IDR)")
            ax.set_xlabel("year")
            ax.legend(fontsize=8)
            ax = axes[1][j]
            if r.get("placebo_gaps"):
                own = r["pre_rmspe"]
                for k, gaps in sorted(r["placebo_gaps"].items()):
                    if k == c:
                        continue
                    pre = (r.get("placebo_pre_rmspe") or {}).get(k)
                    if pre is not None and pre > 5 * max(own, 1e-9):
                        continue
                    ax.plot(r["placebo_years"], np.asarray(gaps, float), color="0.75", lw=0.7)
                ax.plot(r["placebo_years"], np.asarray(r["placebo_gaps"][c], float), color="crimson", lw=2,
                        label=out[c]["province"])
            ax.axhline(0, color="black", lw=0.6)
            ax.axvline(out[c]["forum_year"] - 0.5, color="grey", ls=":")
            pv = r.get("p_value")
            ax.set_title("placebo gaps (grey: other provinces); rank p = " + (f"{pv:.2f}" if pv is not None else "n/a"), fontsize=10)
            ax.set_ylabel("actual - synthetic (log points)")
            ax.set_xlabel("year")
            ax.legend(fontsize=8)
        fig.suptitle("Sosek Malindo forums: synthetic control of provincial GDP per capita, 1983-2017")
        add_source_note(fig, SOURCE_LINE["provinces"] + " Donors: provinces without a forum.")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        save_figure(fig, FIGURES / "forums_synthetic_control.png")
        figures["synthetic_control"] = "reports/figures/forums_synthetic_control.png"

    rows = []
    for c, e in out.items():
        if "sc" in e:
            rows.append({"province": e["province"], "forum_from": e["forum_year"], "pre_years": e["n_pre"],
                         "method": "synthetic control", "estimate": e["sc"]["att_avg"], "se": None,
                         "conf_low": None, "conf_high": None, "p_value": e["sc"]["p_value"],
                         "fit_pre_rmspe": f"{e['sc']['pre_rmspe']:.3f}", "donors": e["n_donors"]})
        if "sdid" in e:
            rows.append({"province": e["province"], "forum_from": e["forum_year"], "pre_years": e["n_pre"],
                         "method": "synthetic DiD", "estimate": e["sdid"]["estimate"], "se": e["sdid"]["se"],
                         "conf_low": e["sdid"]["conf_low"], "conf_high": e["sdid"]["conf_high"], "p_value": None,
                         "fit_pre_rmspe": None, "donors": e["n_donors"]})
    if rows:
        write_table(pd.DataFrame(rows), TABLES / "forums_effects",
                    caption="Sosek Malindo forums: effect on log provincial GDP per capita (post-forum average, log points)")
    write_results("forums", {
        "provenance": provenance(spec, spec["data"]["panel"], "data/raw/registry_events.csv"),
        "timing": {str(k): v for k, v in timing.items()},
        "donors": [names.get(c, str(c)) for c in donors],
        "backcast_provinces": {names.get(c, str(c)): y for c, y in sorted(backcast.items())},
        "backcast_excluded_from_donors": bool(spec["treatment"].get("exclude_backcast_donors")),
        "other_programmes": list(spec["treatment"].get("other_programmes", [])),
        "dropped_incomplete": [names.get(c, str(c)) for c in dropped],
        "results": out,
        "figures": figures,
        "tables": {"effects": "reports/tables/forums_effects.md" if rows else None},
        "not_run": failures,
    })


if __name__ == "__main__":
    main()
