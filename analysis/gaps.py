"""Analysis 3: trends and gaps between border and non-border regencies.

For each outcome and year: mean over border regencies, over non-border regencies of Kalimantan
and of all Indonesia, and the gap (border minus non-border) with a Welch t interval. Reads
``analysis/specs/gaps.toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import FIGURES, TABLES, load_spec, provenance, read_panel, welch_gap, write_results

SPEC = "analysis/specs/gaps.toml"
COMPARISONS = {"kalimantan": "non-border Kalimantan", "national": "non-border Indonesia"}


def compute(panel, spec: dict[str, Any]):
    """Per outcome, comparison and year: the border/non-border means and gap."""
    import numpy as np
    import pandas as pd

    level = spec["inference"]["level"]
    rows = []
    for outcome, conf in spec["outcomes"].items():
        if outcome not in panel.columns:
            continue
        d = panel[["bps_code", "year", "border", "kalimantan", outcome]].dropna(subset=[outcome])
        if conf.get("log"):
            d = d.loc[d[outcome] > 0].assign(**{outcome: lambda x: np.log(x[outcome])})
        for comp in spec["groups"]["comparisons"]:
            for year, g in d.groupby("year", sort=True):
                border = g.loc[g["border"].astype(bool), outcome]
                other = g.loc[~g["border"].astype(bool), :]
                if comp == "kalimantan":
                    other = other.loc[other["kalimantan"].astype(bool)]
                res = welch_gap(border, other[outcome], level)
                rows.append({"outcome": outcome, "comparison": comp, "year": int(year), **res})
    return pd.DataFrame(rows)


def figure(table, outcome: str, conf: dict[str, Any], path: Path) -> None:
    """Two panels: group means over time, and the gap with its interval."""
    import matplotlib.pyplot as plt

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    use_study_style()
    t = table.loc[table["outcome"] == outcome]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    import textwrap

    ylab = textwrap.fill(f"log of {conf['unit']}" if conf.get("log") else conf["unit"], 32)
    kal = t.loc[t["comparison"] == "kalimantan"]
    nat = t.loc[t["comparison"] == "national"]
    ax1.plot(kal["year"], kal["mean_border"], marker="o", color="crimson", label="border regencies")
    ax1.plot(kal["year"], kal["mean_other"], marker="s", color="C0", label=COMPARISONS["kalimantan"])
    ax1.plot(nat["year"], nat["mean_other"], marker="^", color="0.4", label=COMPARISONS["national"])
    ax1.set_xlabel("year")
    ax1.set_ylabel(ylab)
    ax1.set_title("Unweighted means by group")
    ax1.legend(fontsize=8)
    for comp, color in (("kalimantan", "C0"), ("national", "0.4")):
        c = t.loc[t["comparison"] == comp]
        ax2.plot(c["year"], c["gap"], marker="o", color=color, label=f"border minus {COMPARISONS[comp]}")
        ax2.fill_between(c["year"], c["conf_low"], c["conf_high"], color=color, alpha=0.18)
    ax2.axhline(0, color="black", lw=0.8)
    ax2.set_xlabel("year")
    ax2.set_ylabel(f"gap ({conf['gap_unit']})")
    ax2.set_title("Gap with 95% Welch interval")
    ax2.legend(fontsize=8)
    seam = conf.get("source_seam")
    if seam:
        # a change of source between two years: drawn, never smoothed
        for ax in (ax1, ax2):
            ax.axvline(seam["year"] - 0.5, color="0.25", ls="--", lw=1, label=textwrap.fill(seam["label"], 40))
            ax.legend(fontsize=7.5)
    fig.suptitle(f"Border vs non-border regencies: {conf['label']} ({conf['unit']})")
    add_source_note(
        fig,
        conf["source"]
        + " Border = land border with Malaysia in that year (registry); the border set changes in 2013,"
        + " when Mahakam Ulu (split from Kutai Barat) takes over Kutai Barat's border.",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, path)


def main(spec_path: str = SPEC) -> None:
    """Run analysis 3 and write its figures, table and results."""
    from sosek_impact.report.tables import write_table

    spec = load_spec(spec_path)
    panel = read_panel(spec["data"]["panel"])
    table = compute(panel, spec)
    figures = {}
    for outcome, conf in spec["outcomes"].items():
        if (table["outcome"] == outcome).any():
            path = FIGURES / f"gaps_{outcome}.png"
            figure(table, outcome, conf, path)
            figures[outcome] = f"reports/figures/{path.name}"
    years = sorted(set(table["year"]))
    wanted = [y for y in (2000, 2005, 2010, 2015, 2016, 2017, 2019, 2020, 2021, 2024) if y in years]
    shown = table.loc[table["year"].isin(wanted)].round(4)
    write_table(shown[["outcome", "comparison", "year", "n_border", "n_other", "mean_border",
                       "mean_other", "gap", "se", "conf_low", "conf_high"]],
                TABLES / "gaps", caption="Border minus non-border means (log points for GRDP per capita)")
    payload = {
        "provenance": provenance(spec, spec["data"]["panel"]),
        "figures": figures,
        "table": "reports/tables/gaps.md",
        "rows": table.to_dict(orient="records"),
    }
    write_results("gaps", payload)


if __name__ == "__main__":
    main()
