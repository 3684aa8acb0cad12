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
    from sosek_impact.report.maps import read_regions

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
    # Regencies are drawn as points at their centroids: the source polygons are Thiessen cells around
    # the centroids, which extend into the sea and misstate the shapes, and no land outline is bundled.
    xy = {r.key: r.centroid for r in regions}
    others = [c for c in xy if c not in border]
    ax0.scatter([xy[c][0] for c in others], [xy[c][1] for c in others], s=5, color="0.7", label="other regencies")
    ax0.scatter([xy[c][0] for c in border if c in xy], [xy[c][1] for c in border if c in xy], s=28, color="crimson",
                edgecolor="black", lw=0.4, label="land border with Malaysia", zorder=3)
    x0, x1, y0, y1 = spec["view"]["kalimantan_extent"]
    ax0.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], color="black", lw=0.8)
    ax0.annotate("enlarged at right", (x0, y0), xytext=(x0, y0 - 1.6), fontsize=8.5)
    ax0.set_title("Indonesia: regency centroids; red = land border with Malaysia")
    ax0.set_xlabel("longitude")
    ax0.set_ylabel("latitude")
    ax0.set_aspect("equal")
    ax0.legend(fontsize=8, loc="lower left")
    lim = max(abs(v) for v in effects.values()) if effects else 0.1
    kal = [c for c in xy if 61 <= c // 100 <= 65]
    ax1.scatter([xy[c][0] for c in kal if c not in border], [xy[c][1] for c in kal if c not in border], s=14, color="0.7")
    ax1.scatter([xy[c][0] for c in kal if c in border and c not in effects], [xy[c][1] for c in kal if c in border and c not in effects],
                s=60, facecolor="white", edgecolor="crimson", lw=1.2, zorder=3)
    eff = [c for c in effects if c in xy]
    sm = ax1.scatter([xy[c][0] for c in eff], [xy[c][1] for c in eff], c=[effects[c] for c in eff], cmap="RdBu", vmin=-lim,
                     vmax=lim, s=140, edgecolor="crimson", lw=1.2, zorder=4) if eff else None
    ax1.set_aspect("equal")
    # Labels in one column in the south-west of the view (no post regency lies there), ordered west to
    # east, each with a leader line to its regency, so that neighbouring labels cannot overlap.
    posts = sorted(((code, by_code[code]) for code in set(timing) | set(later) if code in by_code),
                   key=lambda cr: cr[1].centroid[0])
    w, h = x1 - x0, y1 - y0
    for i, (code, reg) in enumerate(posts):
        cx, cy = reg.centroid
        year = timing.get(code, later.get(code))
        ax1.plot(cx, cy, marker="^", color="black", ms=5, zorder=5)
        label = f"{reg.name}: post {year}" + (f", gap {effects[code]:+.3f}" if code in effects else ", after the data")
        ax1.annotate(label, (cx, cy), xytext=(x0 + 0.03 * w, y0 + (0.43 - 0.072 * i) * h), textcoords="data", fontsize=7.5,
                     va="center", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6", "alpha": 0.9},
                     arrowprops={"arrowstyle": "-", "color": "0.25", "lw": 0.7, "shrinkB": 4})
    ax1.set_xlim(x0, x1)
    ax1.set_ylim(y0, y1)
    ax1.set_title("Kalimantan: synthetic-control gap\n(log GRDP per capita; red ring = border)", fontsize=11)
    ax1.set_xlabel("longitude")
    if sm is not None:
        cb = fig.colorbar(sm, ax=ax1, shrink=0.75, pad=0.02)
        cb.set_label("actual - synthetic (log points)")
    add_source_note(fig, "Points: regency centroids of the QuaRCS-lab indonesia514 map (data/raw/district_map.geojson; its polygons are "
                         "Thiessen cells, not boundaries, so they are not drawn). \nTriangles: PLBN regency (at the regency centroid, "
                         "not the post's location); year = first full year open. Red: land-border regency (registry).")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, FIGURES / "map_border_regencies.png")
    write_results("map", {"provenance": provenance(spec, spec["data"]["map"], spec["data"]["effects"]),
                          "figures": {"map": "reports/figures/map_border_regencies.png"},
                          "effects": {str(k): v for k, v in effects.items()}})


if __name__ == "__main__":
    main()
