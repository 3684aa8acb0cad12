"""The 2019->2020 level break of regency GRDP per capita (indonesia514): diagnosis and a chain-linked series.

Reads ``analysis/specs/grdp_break.toml``. The national mean change of log GRDP per capita in 2020
is far below any other year's and its spread the largest; the question is whether the
denominator changed (population rebased to the 2020 census) rather than output. The bundled data
have no regency GRDP or population series across 2020, but two cross-sections bracket it: GRDP
and population in 2019 (INDO-DAPOER) and GRDP in 2021 (BPS indicators compiled on Kaggle). With
GRDP per capita in both years, they imply the population change 2019->2021 behind the per-capita
series, next to the change of GRDP itself. A break in the denominator shows as a 2020 fall of
GRDP per capita that goes with a jump of the implied population, not with a fall of GRDP.

``chain_link`` gives the break-adjusted series used by the border-post robustness run.
"""

from __future__ import annotations

from typing import Any

from _common import FIGURES, TABLES, load_spec, provenance, read_panel, write_results

SPEC = "analysis/specs/grdp_break.toml"


def chain_link(panel, variable: str, year: int):
    """``variable`` with the ``year - 1 -> year`` growth of every regency replaced by the mean of its
    own growth the year before and the year after, the later segment chained on (log scale).

    Returns a Series aligned with ``panel`` (missing where the regency lacks one of the four
    years needed). It removes the break, and with it any true regency-specific shock of that
    year (COVID, the 2020 border closure), which the report says.
    """
    import numpy as np

    w = panel.pivot(index="bps_code", columns="year", values=variable).astype(float)
    L = np.log(w)
    own = L[year] - L[year - 1]
    adjacent = 0.5 * ((L[year - 1] - L[year - 2]) + (L[year + 1] - L[year]))
    shift = (adjacent - own).rename("shift")
    d = panel[["bps_code", "year"]].join(shift, on="bps_code")
    out = np.log(panel[variable].astype(float)) + np.where(panel["year"] >= year, d["shift"], 0.0)
    return np.exp(out)


def diagnose(panel, spec) -> dict[str, Any]:
    """Per regency: the break-year change, its usual change, and the implied population and GRDP changes."""
    import numpy as np
    import pandas as pd
    from scipy import stats

    c = spec["break"]
    y = int(c["year"])
    w = panel.pivot(index="bps_code", columns="year", values=c["variable"]).astype(float)
    L = np.log(w)
    D = L.diff(axis=1)
    by_year = pd.DataFrame({"mean": D.mean(), "sd": D.std(), "share_below_minus_10pct": (D < np.log(0.9)).mean()}).dropna()
    others = D.drop(columns=[y, D.columns[0]]).loc[:, c["usual_years"][0]:c["usual_years"][1]]
    x = panel.loc[panel["year"] == c["before"]].set_index("bps_code")
    z = panel.loc[panel["year"] == c["after"]].set_index("bps_code")
    pop_before = x[c["population_before"]].astype(float)
    grdp_before = x[c["grdp_before"]].astype(float)
    grdp_after = z[c["grdp_after"]].astype(float)
    scale = float(c["grdp_to_pc_scale"])  # million IDR / thousand IDR per person -> persons
    implied_pop_after = grdp_after * scale / w[c["after"]]
    implied_pop_before = grdp_before * scale / w[c["before"]]
    t = pd.DataFrame({
        "change_break_year": D[y], "usual_change": others.median(axis=1),
        "change_pc_before_after": L[c["after"]] - L[c["before"]],
        "implied_population_change": np.log(implied_pop_after) - np.log(pop_before),
        "grdp_change": np.log(grdp_after) - np.log(grdp_before),
        "consistency_before": implied_pop_before / pop_before,
    })
    t["break"] = t["change_break_year"] - t["usual_change"]
    # rows whose two GRDP compilations disagree by more than the spec's tolerance in the base year
    # (units or coverage differ) are reported and left out of the correlation, not corrected
    tol = float(c["consistency_tolerance"])
    ok = t["consistency_before"].between(1 - tol, 1 + tol) & t.notna().all(axis=1)
    s = t.loc[ok]
    rho_pop = stats.spearmanr(s["break"], s["implied_population_change"]).statistic
    rho_grdp = stats.spearmanr(s["break"], s["grdp_change"]).statistic
    X = np.column_stack([np.ones(len(s)), s["implied_population_change"], s["grdp_change"]])
    beta = np.linalg.lstsq(X, s["change_break_year"].to_numpy(), rcond=None)[0]
    return {"table": t, "ok": ok, "by_year": by_year,
            "summary": {"n_regencies": int(D[y].notna().sum()), "mean_change": float(D[y].mean()), "sd_change": float(D[y].std()),
                        "share_below_minus_10pct": float((D[y] < np.log(0.9)).mean()),
                        "n_consistent": int(ok.sum()), "n_inconsistent": int((~ok & t.notna().all(axis=1)).sum()),
                        "spearman_break_vs_implied_population": float(rho_pop),
                        "spearman_break_vs_grdp": float(rho_grdp),
                        "ols_break_on_population_and_grdp": {"const": float(beta[0]), "population": float(beta[1]),
                                                             "grdp": float(beta[2])},
                        "median_implied_population_change": float(s["implied_population_change"].median()),
                        "median_grdp_change": float(s["grdp_change"].median())}}


def figure(t, ok, units, names, spec, path) -> None:
    import matplotlib.pyplot as plt

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    c = spec["break"]
    use_study_style()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.2))
    s = t.loc[ok]
    for ax, col, lab in ((axes[0], "implied_population_change", f"implied population change {c['before']}-{c['after']} (log)"),
                         (axes[1], "grdp_change", f"GRDP change {c['before']}-{c['after']} (log)")):
        ax.scatter(s[col], s["break"], s=8, color="0.6", label=f"regencies ({len(s)})")
        for k, u in enumerate(units):
            if u in s.index:
                ax.scatter(s.loc[u, col], s.loc[u, "break"], s=40, color=f"C{k}", zorder=3, label=names.get(u, str(u)))
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_xlabel(lab)
        q = s[col].quantile([0.01, 0.99])
        ax.set_xlim(q.iloc[0] - 0.05, q.iloc[1] + 0.05)
    axes[0].set_ylabel(f"{c['year']} change - usual change\n(log GRDP per capita)")
    axes[0].set_title("the break goes with the population denominator", fontsize=9.5)
    axes[1].set_title("not with GRDP itself", fontsize=9.5)
    axes[1].legend(fontsize=7, loc="lower right")
    lo = min(s["break"].quantile(0.005), -0.3)
    for ax in axes:
        ax.set_ylim(lo, max(s["break"].quantile(0.995), 0.2))
    fig.suptitle(f"The {c['year'] - 1}-{c['year']} level break of regency GRDP per capita (indonesia514)")
    add_source_note(fig, "Source: idn514 GRDP per capita; INDO-DAPOER 2019 GRDP and population; BPS regency indicators 2021 (Kaggle); "
                    "data/processed/panel.parquet.")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path)


def main(spec_path: str = SPEC) -> None:
    """Diagnose the break and write ``reports/results/grdp_break.json``, its table and figure."""
    import pandas as pd

    from sosek_impact.registry import treatment_timing
    from sosek_impact.report.tables import write_table

    spec = load_spec(spec_path)
    panel = read_panel(spec["data"]["panel"])
    names = dict(zip(panel["bps_code"].astype(int), panel["regency"].astype(str)))
    first = treatment_timing("plbn", first_full_year=True)
    units = sorted(int(u) for u, g in first.items() if g > 0)
    r = diagnose(panel, spec)
    t = r["table"]
    rows = [{"bps_code": u, "regency": names.get(u, str(u)), "post from": int(first[u]),
             **{k: t.loc[u, k] for k in ("change_break_year", "usual_change", "break", "implied_population_change", "grdp_change")},
             "cross-sections consistent": bool(r["ok"].get(u, False))} for u in units if u in t.index]
    tab = pd.DataFrame(rows).rename(columns={"change_break_year": f"change {spec['break']['year']}",
                                             "usual_change": "usual change (median)", "break": "break",
                                             "implied_population_change": "implied population change 2019-21",
                                             "grdp_change": "GRDP change 2019-21"})
    write_table(tab, TABLES / "grdp_break", caption="The 2019-2020 level break of GRDP per capita at the border-post regencies (log changes)")
    figure(t, r["ok"], units, names, spec, FIGURES / "grdp_break.png")
    write_results("grdp_break", {
        "provenance": provenance(spec, spec["data"]["panel"]),
        "summary": r["summary"],
        "by_year": {int(k): v for k, v in r["by_year"].to_dict(orient="index").items()},
        "units": {str(row["bps_code"]): row for row in rows},
        "inconsistent_cross_sections": sorted(int(u) for u in t.index[~r["ok"] & t.notna().all(axis=1)]),
        "figures": {"break": "reports/figures/grdp_break.png"}, "tables": {"break": "reports/tables/grdp_break.md"},
    })


if __name__ == "__main__":
    main()
