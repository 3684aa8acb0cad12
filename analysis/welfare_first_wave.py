"""Analysis 7: the first border posts (2017/2018) and welfare series with years before them.

Reads ``analysis/specs/welfare_first_wave.toml``. Outcomes whose data start before the first wave
(Sanggau from 2017, Sambas and Kapuas Hulu from 2018, first full year open): the World Bank
INDO-DAPOER poverty rate P0 2002-2014 joined to the BPS P0 2020-2024 (nothing in 2015-2019), open
unemployment 2008-2020 and mean years of schooling 2010-2018. Same estimators and inference as
analysis 6 (Callaway-Sant'Anna, Sun-Abraham, imputation with few-treated intervals; a synthetic
control per treated regency with placebo-in-space p-values; minimum detectable effects).

For P0 the gap years decide what can be identified: the treatment years fall inside the gap, so
the first period after treatment with data is 2020 and every effect is a 2020-2024 level compared
with the last pre-gap years; there is no pre-trend check across the gap, and the comparison runs
across two survey compilations (the DiD removes a method change only if it shifted every regency
alike). The treated cohorts are therefore re-timed to the first observed post-period (recorded).
An outcome whose columns are not in the panel is reported as not run.
"""

from __future__ import annotations

from typing import Any

from _common import FIGURES, TABLES, attempt, load_spec, provenance, read_panel, write_results

SPEC = "analysis/specs/welfare_first_wave.toml"


def series(panel, oc: dict[str, Any], failures: list, name: str):
    """``bps_code, year, value`` of one outcome over its windows, joining the spec's columns; None if missing.

    Values the panel flags with any of the spec's ``drop_flags`` (e.g. a parent regency before a
    split) are left out and counted, never repaired.
    """
    import pandas as pd

    parts, dropped = [], 0
    for piece in oc["pieces"]:
        col = piece["variable"]
        if col not in panel.columns:
            failures.append({"what": f"{name}: data", "error": f"column {col!r} is not in this panel (welfare data not merged)", "where": ""})
            return None, 0
        sub = panel.loc[panel["year"].between(*piece["years"]), ["bps_code", "year", col]].rename(columns={col: "value"})
        flag = f"{col}_flag"
        if oc.get("drop_flags") and flag in panel.columns:
            f = panel.loc[sub.index, flag].astype("string").fillna("")
            bad = f.str.contains("|".join(oc["drop_flags"]), regex=True)
            dropped += int((bad & sub["value"].notna()).sum())
            sub = sub.loc[~bad]
        parts.append(sub.dropna(subset=["value"]))
    d = pd.concat(parts, ignore_index=True)
    if d.empty or d["year"].nunique() < 3:
        failures.append({"what": f"{name}: data", "error": "fewer than three years with values in the panel", "where": ""})
        return None, dropped
    return d, dropped


def retime(first, years: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Move each first-treated year to the first observed year at or after it (the gap years)."""
    obs = sorted(years)
    out, moved = {}, {}
    for u, g in first.items():
        if g <= 0:
            continue
        later = [y for y in obs if y >= g]
        if not later:
            continue
        out[int(u)] = later[0]
        if later[0] != g:
            moved[int(u)] = int(g)
    return out, moved


def main(spec_path: str = SPEC) -> None:
    """Run analysis 7 and write ``reports/results/welfare_first_wave.json`` with its table and figure."""
    import pandas as pd

    import welfare as w2
    from sosek_impact.registry import border_regencies
    from sosek_impact.report.tables import write_table

    spec = load_spec(spec_path)
    panel = read_panel(spec["data"]["panel"])
    names = dict(zip(panel["bps_code"].astype(int), panel["regency"].astype(str)))
    first = w2.timing(spec, sorted(panel["bps_code"].astype(int).unique()))
    t = border_regencies()
    ever = set(t.loc[t["ever_border"].astype(bool), "bps_code"].astype(int))
    wave = {int(c): int(g) for c, g in first.items() if 0 < g <= int(spec["treatment"]["first_wave_until"])}
    stats_fns = w2.statistics(spec)
    failures: list[dict[str, str]] = []
    rows, sc, info = [], {}, {}
    for o, oc in spec["outcomes"].items():
        d0, n_flagged = series(panel, oc, failures, o)
        if d0 is None:
            continue
        years = sorted(int(y) for y in d0["year"].unique())
        g_obs, moved = retime(pd.Series(wave), years)
        sc[o] = {}
        info[o] = {"years": years, "gap_years": [y for y in range(years[0], years[-1] + 1) if y not in years],
                   "treated_first_observed": {str(k): v for k, v in g_obs.items()}, "retimed_from": {str(k): v for k, v in moved.items()},
                   "flagged_values_left_out": n_flagged}
        for s, c in spec["samples"].items():
            units = set(g_obs) | (w2.sample_units(c["units"], panel, pd.Series(dtype=int), ever, set(), years[-1]))
            frame_panel = d0.rename(columns={"value": oc["pieces"][0]["variable"]})
            d, dropped = w2.frame(frame_panel.assign(kalimantan=frame_panel["bps_code"] // 100 >= 61), oc["pieces"][0]["variable"],
                                  units, (years[0], years[-1]), pd.Series(g_obs, dtype=int))
            info[o][f"dropped_incomplete/{s}"] = dropped
            label = f"{o} / {s}"
            if d.empty or not (d["group"] > 0).any():
                failures.append({"what": label, "error": "no treated regency with complete data", "where": ""})
                continue
            for name, fn in stats_fns.items():
                r = w2.estimate_row(d, name, fn, spec, s, label, failures)
                if r is not None:
                    rows.append(r | {"outcome": o, "sample": s, "robustness": None})
            if s in spec["estimators"]["synthetic_control"]["samples"]:
                for unit in sorted(int(u) for u in d.loc[d["group"] > 0, "bps_code"].unique()):
                    # the synthetic control uses the registry year: pre-periods before it, post from it
                    r = attempt(f"{label}: synthetic control {unit}", lambda: w2.synthetic(
                        d.assign(group=d["group"].where(d["bps_code"] != unit, wave[unit])), unit, wave[unit], spec,
                        f"{label}: synthetic control {unit}", failures, many_donors=s != "kalimantan"), failures)
                    if r is not None:
                        sc[o][f"{s}/{unit}"] = r | {"unit": unit}
    table = w2.effects_table(rows, spec) if rows else pd.DataFrame()
    if len(table):
        write_table(table, TABLES / "welfare_first_wave_effects",
                    caption="First border posts (2017/2018) and welfare series with pre-periods: effects with few-treated intervals")
    sct = w2.synthetic_table(sc, spec, names) if any(sc.values()) else pd.DataFrame()
    if len(sct):
        write_table(sct, TABLES / "welfare_first_wave_synthetic_control",
                    caption="Synthetic control per first-wave regency: post gap, placebo p-values and MDE")
    figures = {}
    if any(sc.values()) and fig_paths(sc, spec, names, FIGURES / "welfare_first_wave_synthetic_control.png"):
        figures["synthetic_control"] = "reports/figures/welfare_first_wave_synthetic_control.png"
    write_results("welfare_first_wave", {
        "provenance": provenance(spec, spec["data"]["panel"], "data/raw/registry_events.csv"),
        "first_wave": {str(k): v for k, v in wave.items()}, "names": {str(k): names.get(k, "") for k in wave},
        "primary": spec["primary"], "rows": rows, "synthetic_control": sc, "outcomes": info,
        "identification": spec["identification"], "figures": figures,
        "tables": {"effects": "reports/tables/welfare_first_wave_effects.md" if len(table) else None,
                   "synthetic_control": "reports/tables/welfare_first_wave_synthetic_control.md" if len(sct) else None},
        "not_run": failures,
    })


def fig_paths(sc, spec, names, path) -> bool:
    """Treated vs synthetic path per outcome and first-wave regency (Kalimantan donors)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    items = [(o, k, r) for o, by in sc.items() for k, r in by.items() if k.startswith("kalimantan/")]
    if not items:
        return False
    outcomes = sorted({o for o, _, _ in items}, key=list(spec["outcomes"]).index)
    units = sorted({r["unit"] for _, _, r in items})
    use_study_style()
    fig, axes = plt.subplots(len(outcomes), len(units), figsize=(4.4 * len(units), 3.2 * len(outcomes)), squeeze=False)
    for i, o in enumerate(outcomes):
        for j, u in enumerate(units):
            ax = axes[i][j]
            r = sc[o].get(f"kalimantan/{u}")
            if r is None:
                ax.set_axis_off()
                continue
            p = pd.DataFrame(r["path"]).set_index("year")
            p = p.reindex(range(int(p.index.min()), int(p.index.max()) + 1)).rename_axis("year").reset_index()  # breaks at gaps
            ax.plot(p["year"], p["treated"], color="black", marker=".", label=names.get(u, str(u)))
            ax.plot(p["year"], p["synthetic"], color="C0", ls="--", marker=".", label="synthetic")
            ax.axvline(r["treatment_year"] - 0.5, color="grey", ls=":")
            ax.set_title(f"{names.get(u, u)}: {spec['outcomes'][o]['short']}\npost gap {r['att_avg']:+.2f}, placebo p = "
                         f"{r['p_value_post_gap']:.2f}, MDE {r['mde']['mde']:.2f}", fontsize=8.5)
            if j == 0:
                ax.set_ylabel(spec["outcomes"][o]["unit"], fontsize=8)
            ax.legend(fontsize=6.5)
    fig.suptitle("First border posts: synthetic control per regency (donors: non-border Kalimantan regencies); a break in a line = years without data")
    add_source_note(fig, "Source: World Bank INDO-DAPOER P0 2002-2014, BPS P0 2020-2024, QuaRCS unemployment 2008-2020 and "
                         "schooling 2010-2018; data/processed/panel.parquet.")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path)
    return True


if __name__ == "__main__":
    main()
