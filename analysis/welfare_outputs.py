"""Analysis 6, outputs: the welfare figures and tables (written by ``analysis/welfare.py``).

Figures: synthetic control for Bengkayang with placebo gaps, and the placebo distribution of the
estimate with the MDE. Tables: the effects (few-treated interval first, primary rows first) and the
synthetic controls (an exact pre-fit's RMSPE-ratio rank is not printed: it is noise over noise).
"""

from __future__ import annotations

from typing import Any

SOURCE = ("Source: BPS P0 and HDI (new method) by regency 2020-2024 (web tables), INDO-DAPOER 2019; "
          "data/processed/panel.parquet; PLBN timing from the registry.")
#: a pre-period RMSPE at or below this is an exact fit: the RMSPE-ratio rank p is then not informative
#: (post RMSPE over a pre RMSPE of rounding noise) and its value depends on the machine's last bits
EXACT_PREFIT_RMSPE = 1e-6


def fig_synthetic(sc: dict[str, Any], spec, names, path) -> bool:
    """Treated vs synthetic path and placebo gaps, per outcome (Kalimantan donor pool)."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    items = [(o, r) for o, r in sc.items() if r.get("kalimantan")]
    if not items:
        return False
    use_study_style()
    fig, axes = plt.subplots(len(items), 2, figsize=(10.5, 3.6 * len(items)), squeeze=False)
    for row, (o, by_sample) in zip(axes, items, strict=True):
        r = by_sample["kalimantan"]
        unit = r["unit"]
        p = pd.DataFrame(r["path"])
        ax = row[0]
        ax.plot(p["year"], p["treated"], color="black", marker="o", label=names.get(unit, str(unit)))
        ax.plot(p["year"], p["synthetic"], color="C0", ls="--", marker="s", label="synthetic (Kalimantan donors)")
        ax.axvline(r["treatment_year"] - 0.5, color="grey", ls=":")
        ax.set_title(f"{spec['outcomes'][o]['label']}\n{names.get(unit, unit)}: 2024 gap {r['att_avg']:+.2f}; "
                     f"placebo p (|gap|) = {r['p_value_post_gap']:.2f}", fontsize=9.5)
        ax.set_ylabel(spec["outcomes"][o]["unit"])
        ax.set_xticks(p["year"])
        ax.legend(fontsize=7.5)
        ax = row[1]
        years = r["placebo_years"]
        for k, gaps in sorted(r["placebo_gaps"].items()):
            if k != str(unit):
                ax.plot(years, np.asarray(gaps, float), color="0.75", lw=0.7)
        ax.plot(years, np.asarray(r["placebo_gaps"][str(unit)], float), color="crimson", lw=2, marker="o",
                label=names.get(unit, str(unit)))
        mde = r["mde"]["mde"]
        for s in (1, -1):
            ax.axhline(s * mde, color="C2", ls="--", lw=1, label="MDE (5 %, 80 % power)" if s == 1 else None)
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(r["treatment_year"] - 0.5, color="grey", ls=":")
        ax.set_xticks(years)
        ax.set_title(f"placebo-in-space gaps ({r['n_donors']} donors as if treated)\nMDE {mde:.2f} {spec['outcomes'][o]['unit']}",
                     fontsize=9.5)
        ax.set_ylabel("actual - synthetic")
        ax.legend(fontsize=7.5, loc="upper left")
    for ax in axes[-1]:
        ax.set_xlabel("year")
    fig.suptitle("Second wave: synthetic control for Bengkayang (Jagoi Babang, operating from July 2023; 2024 = post)")
    add_source_note(fig, SOURCE)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path)
    return True


def fig_placebo(rows: list[dict[str, Any]], spec, path) -> bool:
    """Placebo distribution of the CS estimate (primary sample) with the estimate, critical value and MDE."""
    import matplotlib.pyplot as plt
    import numpy as np

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    prim = spec["primary"]
    use = [r for r in rows if r.get("sample") == prim["sample"] and r.get("estimator_id") == prim["estimator"]
           and r.get("robustness") is None and r.get("placebo_estimates")]
    if not use:
        return False
    use_study_style()
    fig, axes = plt.subplots(1, len(use), figsize=(5.2 * len(use), 3.8), squeeze=False)
    for ax, r in zip(axes[0], use, strict=True):
        e = np.asarray(r["placebo_estimates"], float)
        ax.hist(e, bins=20, color="0.7", edgecolor="white", label=f"placebo estimates ({e.size})")
        ax.axvline(r["estimate"], color="crimson", lw=2, label=f"Bengkayang {r['estimate']:+.2f}")
        crit, mde = r["mde"]["critical"], r["mde"]["mde"]
        for s in (1, -1):
            ax.axvline(s * crit, color="C0", ls=":", label="5 % critical value" if s == 1 else None)
            ax.axvline(s * mde, color="C2", ls="--", label="MDE (80 % power)" if s == 1 else None)
        ft = r["few_treated"]
        ax.set_title(f"{spec['outcomes'][r['outcome']]['label']}\nfew-treated 95% CI [{ft['conf_low']:.2f}, {ft['conf_high']:.2f}], "
                     f"p = {ft['p_value']:.2f}", fontsize=9.5)
        ax.set_xlabel(f"Callaway-Sant'Anna ATT, 2024 ({spec['outcomes'][r['outcome']]['unit']})")
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("number of placebo regencies")
    fig.suptitle("What one treated regency and one post-year can detect (non-border Kalimantan regencies as placebos)")
    add_source_note(fig, SOURCE)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path)
    return True


def _ci(lo, hi, assignments: int | None = None) -> str:
    from sosek_impact.report.tables import format_interval

    return format_interval(lo, hi, assignments=assignments)


def effects_table(rows, spec):
    """One row per outcome x sample x estimator (x robustness); few-treated interval first."""
    import pandas as pd

    from sosek_impact.report.tables import format_p

    out = []
    prim = spec["primary"]
    for r in rows:
        ft = r.get("few_treated") or {}
        rob = r.get("robustness")
        is_primary = (rob is None and r["sample"] == prim["sample"] and r["estimator_id"] == prim["estimator"]
                      and r["outcome"] == prim["outcome"])
        valid = r.get("analytical_valid")
        out.append({
            "outcome": r["outcome"], "sample": r["sample"] + (f" [{rob}]" if rob else ""),
            "role": "primary" if is_primary else "robustness",
            "estimator": r["estimator"], "treated": r["n_treated"], "units": r["n_units"],
            "years": f"{r['years'][0]}-{r['years'][1]}",
            "estimate": r.get("estimate"),
            "few-treated 95% CI": _ci(ft.get("conf_low"), ft.get("conf_high"), ft.get("n_draws")) if ft else r.get("not_estimable", ""),
            "few-treated p": format_p(ft.get("p_value")) if ft else "",
            "MDE (5 %, 80 % power)": (r.get("mde") or {}).get("mde"),
            "analytical 95% CI": _ci(r.get("analytical_conf_low"), r.get("analytical_conf_high")) if r.get("estimate") is not None else "",
            "analytical p": format_p(r.get("analytical_p_value")) if valid else ("not meaningful (1 treated)" if r.get("estimate") is not None else ""),
        })
    # the primary rows first (stable order otherwise)
    return pd.DataFrame(sorted(out, key=lambda row: row["role"] != "primary"))


def synthetic_table(sc, spec, names):
    import pandas as pd

    from sosek_impact.report.tables import format_p

    out = []
    for o, by in sc.items():
        for s, r in by.items():
            out.append({"outcome": o, "donor pool": s, "regency": names.get(r["unit"], str(r["unit"])),
                        "treated from": r["treatment_year"], "pre-years": r["n_pre_years"], "donors": r["n_donors"],
                        "post gap": r["att_avg"], "pre-RMSPE": f"{r['pre_rmspe']:.3f}",
                        "placebo p, post gap": format_p(r["p_value_post_gap"]),
                        # an exact pre-period fit makes the RMSPE ratio noise over noise: its rank is not printed
                        "placebo p, RMSPE ratio": (format_p(r["p_value_rmspe_ratio"]) if r["pre_rmspe"] > EXACT_PREFIT_RMSPE
                                                   else "not informative (exact pre-fit)"),
                        "MDE (5 %, 80 % power)": r["mde"]["mde"], "5 % critical gap": r["mde"]["critical"],
                        "top donors": ", ".join(f"{names.get(int(k), k)} {v:.2f}" for k, v in list(r["weights"].items())[:3])})
    return pd.DataFrame(out)
