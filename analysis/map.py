"""Map: border regencies, border posts (at the regency centroid) and effect estimates.

Reads ``analysis/specs/map.toml``, the district polygons of ``data/raw/district_map.geojson``
and the synthetic-control effects written by ``analysis/border_posts.py``.
"""

from __future__ import annotations

import json

from _common import FIGURES, ROOT, load_spec, provenance, write_results

SPEC = "analysis/specs/map.toml"


def main(spec_path: str = SPEC) -> None:
    """Draw ``reports/figures/map_border_regencies.png``."""
    import matplotlib.pyplot as plt

    from sosek_impact.registry import border_regencies
    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style
    from sosek_impact.report.maps import plot_regions, read_regions

    spec = load_spec(spec_path)
    regions = read_regions(ROOT / spec["data"]["map"], key="bps_code", name="name")
    bp = json.loads((ROOT / spec["data"]["effects"]).read_text(encoding="utf-8"))
    effects = {int(k): v["att_avg"] for k, v in bp.get("synthetic_control", {}).items()}
    timing = {int(k): v for k, v in bp.get("timing", {}).items()}
    later = {int(k): v for k, v in bp.get("treated_after_sample", {}).items()}
    border = set(border_regencies(2024)["bps_code"].astype(int))
    by_code = {r.key: r for r in regions}

    use_study_style()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(13, 5.6), gridspec_kw={"width_ratios": [1.45, 1]})
    plot_regions(ax0, regions, {c: 1.0 for c in border}, cmap="Reds", vmin=0, vmax=1.4, highlight=border, linewidth=0.1)
    x0, x1, y0, y1 = spec["view"]["kalimantan_extent"]
    ax0.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], color="black", lw=0.8)
    ax0.set_title("Indonesia: regencies with a land border with Malaysia (red)")
    ax0.set_xlabel("longitude")
    ax0.set_ylabel("latitude")
    lim = max(abs(v) for v in effects.values()) if effects else 0.1
    kal = [r for r in regions if 61 <= r.key // 100 <= 65]
    sm = plot_regions(ax1, kal, effects, cmap="RdBu", vmin=-lim, vmax=lim, highlight=border, linewidth=0.3)
    # Labels in one column in the south-west of the view (no post regency lies there), ordered west to
    # east, each with a leader line to its regency, so that neighbouring labels cannot overlap.
    posts = sorted(((code, by_code[code]) for code in set(timing) | set(later) if code in by_code),
                   key=lambda cr: cr[1].centroid[0])
    w, h = x1 - x0, y1 - y0
    for i, (code, reg) in enumerate(posts):
        cx, cy = reg.centroid
        year = timing.get(code, later.get(code))
        ax1.plot(cx, cy, marker="^", color="black", ms=7)
        label = f"{reg.name}: post {year}" + (f", gap {effects[code]:+.3f}" if code in effects else ", after the data")
        ax1.annotate(label, (cx, cy), xytext=(x0 + 0.03 * w, y0 + (0.43 - 0.072 * i) * h), textcoords="data", fontsize=7.5,
                     va="center", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6", "alpha": 0.9},
                     arrowprops={"arrowstyle": "-", "color": "0.25", "lw": 0.7, "shrinkB": 4})
    ax1.set_xlim(x0, x1)
    ax1.set_ylim(y0, y1)
    ax1.set_title("Kalimantan: synthetic-control gap after\nthe post opened (log GRDP per capita)")
    ax1.set_xlabel("longitude")
    if sm is not None:
        cb = fig.colorbar(sm, ax=ax1, shrink=0.75, pad=0.02)
        cb.set_label("actual - synthetic (log points)")
    add_source_note(fig, "Polygons: QuaRCS-lab indonesia514 map, data/raw/district_map.geojson: Thiessen cells around district "
                         "centroids, not administrative boundaries. Triangles: PLBN regency (at the regency centroid, not the "
                         "post's location);\nyear = first full year open. Red outline: land-border regency (registry).")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, FIGURES / "map_border_regencies.png")
    write_results("map", {"provenance": provenance(spec, spec["data"]["map"], spec["data"]["effects"]),
                          "figures": {"map": "reports/figures/map_border_regencies.png"},
                          "effects": {str(k): v for k, v in effects.items()}})


if __name__ == "__main__":
    main()
