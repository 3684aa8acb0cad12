"""Analysis 1, figures: event study, Callaway-Sant'Anna dynamic effects, synthetic controls.

Called by ``analysis/border_posts.py`` with its results; each function saves one figure
reproducibly (``sosek_impact.report.figures``) and returns whether it drew anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import SOURCE_LINE


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
        # point estimates only: with 4 treated regencies the cluster-robust intervals (and the Wald pre-test built on
        # them) over-reject, and TWFE leads mix cohorts under staggered timing; the pre-trend evidence is the CS sup-t test
        ax.plot(es["event_time"], es["estimate"], "o-", color="C0", lw=0.8)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", ls=":")
        ax.set_title(f"{spec['samples'][s]['label'].split('(')[0].strip()}\n{r['n_treated']} treated / {r['n_units']} units",
                     fontsize=9.5)
        ax.set_xlabel("years since the post opened (end points binned)")
    axes[0][0].set_ylabel("effect (log points; year -1 = 0)")
    fig.suptitle(f"Event study (TWFE leads and lags, reference only): {spec['outcomes'][outcome]['label']}, point estimates")
    add_source_note(fig, SOURCE_LINE["idn514"] + " Timing: registry of PLBN openings (first full year). No intervals: cluster-robust "
                    "ones are not valid with 4 treated regencies (docs/monte_carlo.md).")
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
        # no interval is drawn: the analytical pointwise intervals and the multiplier-bootstrap uniform bands
        # under-cover with 1-4 treated regencies (docs/monte_carlo.md); the valid (few-treated) interval of
        # the overall estimate is printed in the title
        ax.plot(dyn["egt"], dyn["att"], "o-", color="C1", lw=0.8, label="ATT(e), point estimate (no valid interval at this shape)")
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", ls=":")
        lo, hi = float(np.nanmin(dyn["att"].to_numpy(float))), float(np.nanmax(dyn["att"].to_numpy(float)))
        pad = 0.15 * (hi - lo) if np.isfinite(hi - lo) and hi > lo else 0.1
        ax.set_ylim(min(lo, 0.0) - pad, max(hi, 0.0) + pad)
        ov = r.get("cs_dynamic_overall", {})
        sup = r.get("cs_pretest_supt") or {}
        pre = (f"pre-period sup-t {sup['sup_t']:.2f} vs 95% crit. {sup['crit_val']:.2f}" + (" (rejects)" if sup["rejects"] else "")
               if sup else "sup-t pre-test n/a")
        cs = next((x for x in r.get("rows", []) if x["estimator"].startswith("Callaway")), {})
        ft = cs.get("few_treated") or {}
        lo_ft, hi_ft = ft.get("conf_low"), ft.get("conf_high")
        ft_txt = (f"few-treated 95% CI [{lo_ft:+.3f}, {hi_ft:+.3f}]" if lo_ft is not None and np.isfinite(lo_ft) and np.isfinite(hi_ft)
                  else f"few-treated CI not informative ({ft.get('n_draws', 'n/a')} assignments)" if ft else "few-treated CI n/a")
        ax.set_title(f"{spec['samples'][s]['label'].split('(')[0].strip()}\nsimple ATT {cs.get('estimate', float('nan')):+.3f}, "
                     f"{ft_txt}\n{pre}", fontsize=9)
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
    fig.suptitle(f"Callaway-Sant'Anna dynamic effects of the border posts: point estimates only ({base_txt})", fontsize=10)
    add_source_note(fig, SOURCE_LINE["idn514"] + " No band drawn: analytical and multiplier-bootstrap intervals under-cover at this "
                    "shape (docs/monte_carlo.md). Bottom: treated regencies at each event time.")
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
