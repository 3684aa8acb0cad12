"""Figures and table rows of the night-lights study (``analysis/night_lights.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SOURCE = ("Source: LACC night lights (Tang et al. 2025) aggregated by QuaRCS-lab indonesia514, data/raw/night_lights.csv; "
          "registry of border posts and regencies.")


def fig_event_study(panels: list[tuple[str, list[dict[str, Any]] | None, str]], path) -> bool:
    """One panel per design: CS event-time effects with pointwise few-treated (randomisation) intervals."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    panels = [p for p in panels if p[1]]
    if not panels:
        return False
    use_study_style()
    fig, axes = plt.subplots(1, len(panels), figsize=(6.0 * len(panels), 4.4), squeeze=False)
    for ax, (title, dyn, note) in zip(axes[0], panels):
        f = pd.DataFrame(dyn)
        lo = f["conf_low"].clip(lower=-5.0)
        hi = f["conf_high"].clip(upper=5.0)
        open_end = ~np.isfinite(f["conf_low"]) | ~np.isfinite(f["conf_high"]) | (f["conf_low"] < -5) | (f["conf_high"] > 5)
        pre = f["event_time"] < 0
        for mask, colour, lab in ((pre, "0.45", "pre-period (t vs t-1)"), (~pre, "C3", "post-period (t vs g-1)")):
            ax.errorbar(f.loc[mask, "event_time"], f.loc[mask, "estimate"],
                        yerr=[(f["estimate"] - lo)[mask], (hi - f["estimate"])[mask]], fmt="o", ms=3.5, color=colour,
                        ecolor=colour, elinewidth=1, capsize=2, label=lab)
        if open_end.any():
            ax.plot(f.loc[open_end, "event_time"], f.loc[open_end, "estimate"], "x", color="black", label="interval clipped at ±5")
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", ls=":")
        ax.set_ylim(float(lo.min()) - 0.3, float(hi.max()) + 0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=9.5)
        ax.set_xlabel(f"event time (years from first treated year)\n{note}", fontsize=8.5)
        ax.legend(fontsize=7.5, loc="lower left")
    axes[0][0].set_ylabel("ATT(e) on log(1 + sum of lights)")
    fig.suptitle("Night lights: Callaway-Sant'Anna event-time effects, 95% pointwise randomisation-inference intervals "
                 "(few treated)", fontsize=10)
    add_source_note(fig, SOURCE)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    save_figure(fig, path)
    plt.close(fig)
    return True


def fig_seam(seam: dict[str, Any], path) -> bool:
    import matplotlib.pyplot as plt

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    s = seam["series"]
    use_study_style()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.0))
    axes[0].plot(s["year"], s["sd_log1p_sum"], "o-", ms=3, label="SD of log(1 + sum), 56 districts")
    axes[0].plot(s["year"], s["sd_log_sum_lit"], "s--", ms=3, label="SD of log(sum), lit districts")
    axes[1].plot(s["year"], s["plbn_gap"], "o-", ms=3, color="C3", label="treated (3 PLBN regencies) - controls")
    for ax in axes:
        ax.axvline(seam["first_year_after"] - 0.5, color="grey", ls=":", label="DMSP / VIIRS seam")
        ax.set_xlabel("year")
        ax.legend(fontsize=7.5)
    axes[0].set_title(f"Cross-district dispersion: change into 2014 z = {seam['sd_log1p_sum']['z']:+.2f}", fontsize=9.5)
    axes[1].set_title("Mean log(1 + sum), border-post regencies minus never-border controls\n"
                      f"(change into 2014 z = {seam['plbn_treated_minus_control']['z']:+.2f}, before the posts)", fontsize=9.5)
    axes[0].set_ylabel("log points")
    add_source_note(fig, SOURCE)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    save_figure(fig, path)
    plt.close(fig)
    return True


def effect_row(design: str, sample: str, r: dict[str, Any], role: str) -> dict[str, Any]:
    from sosek_impact.report.tables import format_interval, format_p

    ri, ct = r["randomization"], r.get("conley_taber") or {}
    return {"role": role, "design": design, "sample": sample, "estimator": r["estimator"], "treated": r["n_treated"],
            "units": r["n_units"], "years": f"{r['years'][0]}-{r['years'][1]}", "estimate": f"{r['estimate']:+.3f}",
            "randomisation 95% CI": format_interval(ri["conf_low"], ri["conf_high"]), "randomisation p": format_p(ri["p_value"]),
            "MDE (5%, 80%)": "" if ri["mde"]["mde"] is None or not np.isfinite(ri["mde"]["mde"]) else f"{ri['mde']['mde']:.3f}",
            "Conley-Taber 95% CI": format_interval(ct.get("conf_low"), ct.get("conf_high")) if ct else "n/a",
            "Conley-Taber p": format_p(ct.get("p_value")) if ct else ""}


def validation_rows(v: dict[str, Any]) -> list[dict[str, Any]]:
    from sosek_impact.report.tables import format_interval, format_p

    rows = []
    for k, r in v.items():
        for direction, label in (("lights_on_grdp", "log lights on log GRDP"), ("grdp_on_lights", "log GRDP on log lights"),
                                 ("seam_change_of_elasticity", "change of lights-on-GRDP elasticity from 2014")):
            e = r.get(direction)
            if not e:
                continue
            rows.append({"spec": k, "regression": label, "sample": r["label"], "estimate": f"{e['estimate']:.3f}",
                         "CRV1 SE": f"{e['se_crv1']:.3f}", "95% CI (t, G-1)": format_interval(e["conf_low"], e["conf_high"]),
                         "wild bootstrap 95% CI": format_interval(e["wild_conf_low"], e["wild_conf_high"]),
                         "wild p": format_p(e["wild_p"]), "obs": e["n_obs"], "regencies": e["n_regencies"],
                         "dark left out": r["dark_dropped"]})
    return rows
