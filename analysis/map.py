"""Map: Kalimantan's regencies by role in the study, the border posts, Sarawak/Sabah, and the effect estimates.

Reads ``analysis/specs/map.toml``: the simplified polygons of ``data/raw/kalimantan_map.geojson``
(56 Kalimantan regencies, the Sarawak/Sabah districts, the land border and the posts, made by
``sosek-impact extract``), the neighbour table ``data/raw/geography_neighbours.csv`` and the
synthetic-control effects written by ``analysis/border_posts.py``. Drawn with matplotlib only.
"""

from __future__ import annotations

import json

from _common import FIGURES, ROOT, load_spec, provenance, write_results

SPEC = "analysis/specs/map.toml"


def _roles(codes, posts_in, posts_after, border, neighbours):
    """Role of each regency, first match wins: post in the data, post after, border, neighbour, other."""
    treated = set(posts_in) | set(posts_after)
    near = {b for a, b in neighbours if a in treated} - treated - set(border)
    out = {}
    for c in codes:
        if c in posts_in:
            out[c] = "post_in"
        elif c in posts_after:
            out[c] = "post_after"
        elif c in border:
            out[c] = "border"
        elif c in near:
            out[c] = "neighbour"
        else:
            out[c] = "other"
    return out


def main(spec_path: str = SPEC) -> None:
    """Draw ``reports/figures/map_border_regencies.png``."""
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    from sosek_impact.registry import border_regencies
    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style
    from sosek_impact.report.maps import add_scale_bar, read_map_layers

    spec = load_spec(spec_path)
    layers = read_map_layers(ROOT / spec["data"]["map"])
    edges = pd.read_csv(ROOT / spec["data"]["neighbours"])
    bp = json.loads((ROOT / spec["data"]["effects"]).read_text(encoding="utf-8"))
    effects = {int(k): v["att_avg"] for k, v in bp.get("synthetic_control", {}).items()}
    timing = {int(k): v for k, v in bp.get("timing", {}).items()}
    later = {int(k): v for k, v in bp.get("treated_after_sample", {}).items()}
    border = set(border_regencies(2024)["bps_code"].astype(int))
    by_code = {r.key: r for r in layers.regencies}
    roles = _roles(by_code, timing, later, border, zip(edges.bps_code, edges.neighbour_code))
    colours = spec["colours"]
    labels = {
        "post_in": "PLBN regency, post opened within the data",
        "post_after": "PLBN regency, post opened after the data",
        "border": "other land-border regency",
        "neighbour": "neighbour of a PLBN regency (spillover ring)",
        "other": "other Kalimantan regency (control pool)",
    }

    use_study_style()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(14, 7.2), gridspec_kw={"width_ratios": [1.3, 1]})
    x0, x1, y0, y1 = spec["view"]["kalimantan_extent"]
    for ax in (ax0, ax1):
        mys = [ring for r in layers.districts for ring in r.rings]
        ax.add_collection(PolyCollection(mys, facecolors=colours["malaysia"], edgecolors="white", linewidths=0.4))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(1.0)  # near the equator a degree of longitude is a degree of latitude to 0.5 %
        ax.grid(False)
        ax.set_xlabel("longitude (°E)")
    ax0.set_ylabel("latitude (°N)")

    # left: roles
    polys = [(ring, colours[roles[r.key]]) for r in layers.regencies for ring in r.rings]
    ax0.add_collection(PolyCollection([p for p, _ in polys], facecolors=[c for _, c in polys], edgecolors="white",
                                      linewidths=0.5))
    for line in layers.border:
        ax0.plot([p[0] for p in line], [p[1] for p in line], color="black", lw=1.6, zorder=4)
    offsets = spec["labels"]
    for post in layers.posts:
        marker = "^" if post["kind"] == "land" else "s"
        hollow = post["confidence"] == "unverified"
        ax0.plot(post["lon"], post["lat"], marker=marker, ms=8, mec="black", mew=1.0,
                 mfc="white" if hollow else "gold", zorder=6)
        code = int(post["bps_code"])
        year = timing.get(code, later.get(code))
        dx, dy = offsets.get(post["post_id"], [0.3, -0.3])
        text = f"{post['name'].replace('PLBN Terpadu ', '').replace('PLBN ', '')}" + (f" ({year})" if year else "")
        ax0.annotate(text, (post["lon"], post["lat"]), xytext=(post["lon"] + dx, post["lat"] + dy), fontsize=8,
                     bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.5", "alpha": 0.9},
                     arrowprops={"arrowstyle": "-", "color": "0.3", "lw": 0.7}, zorder=7)
    for label in spec["figure"]["place_labels"]:
        ax0.text(label[0], label[1], label[2], fontsize=9, color="0.35", style="italic", ha="center", zorder=5)
    add_scale_bar(ax0, *spec["view"]["scale_bar"], km=200)
    handles = [Patch(fc=colours[k], ec="0.6", label=v) for k, v in labels.items()]
    handles.append(Patch(fc=colours["malaysia"], ec="white", label="Sarawak / Sabah district (Malaysia)"))
    handles.append(plt.Line2D([], [], color="black", lw=1.6, label="land border (derived, see note)"))
    handles.append(plt.Line2D([], [], marker="^", ls="", mfc="gold", mec="black", ms=8, label="border post (PLBN), cited location"))
    handles.append(plt.Line2D([], [], marker="^", ls="", mfc="white", mec="black", ms=8,
                              label="border post, approximate location (unverified)"))
    ax0.legend(handles=handles, loc="lower left", fontsize=7.5, framealpha=0.95)
    ax0.set_title("Kalimantan: regencies by role; posts labelled with first full year open")

    # right: effect estimates
    import math

    import matplotlib as mpl

    # colour range symmetric about 0, rounded up to a multiple of 0.05 so that the ticks are round numbers
    lim = max(0.05, math.ceil(max((abs(v) for v in effects.values()), default=0.05) / 0.05 - 1e-9) * 0.05)

    norm = mpl.colors.Normalize(-lim, lim)
    cmap = mpl.colormaps["RdBu"]
    rings, fills = [], []
    for r in layers.regencies:
        fill = cmap(norm(effects[r.key])) if r.key in effects else colours["no_estimate"]
        rings.extend(r.rings)
        fills.extend([fill] * len(r.rings))
    ax1.add_collection(PolyCollection(rings, facecolors=fills, edgecolors="white", linewidths=0.5))
    for line in layers.border:
        ax1.plot([p[0] for p in line], [p[1] for p in line], color="black", lw=1.2, zorder=4)
    places = {int(k): v for k, v in spec["effect_labels"].items()}
    for code, value in sorted(effects.items()):
        reg = by_code.get(code)
        if reg is None:
            continue
        ring = max(reg.rings, key=len)
        cx = sum(p[0] for p in ring) / len(ring)
        cy = sum(p[1] for p in ring) / len(ring)
        lx, ly = places.get(code, (cx, cy))
        ax1.annotate(f"{reg.name}: {value:+.3f}", (cx, cy), xytext=(lx, ly), fontsize=8, zorder=6, ha="center",
                     bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.5", "alpha": 0.9},
                     arrowprops={"arrowstyle": "-", "color": "0.3", "lw": 0.7})
    for post in layers.posts:
        ax1.plot(post["lon"], post["lat"], marker="^" if post["kind"] == "land" else "s", ms=6, mec="black",
                 mfc="white" if post["confidence"] == "unverified" else "gold", zorder=7)
    e0, e1, f0, f1 = spec["view"]["effects_extent"]
    ax1.set_xlim(e0, e1)
    ax1.set_ylim(f0, f1)
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    cb = fig.colorbar(sm, ax=ax1, orientation="horizontal", shrink=0.8, pad=0.1)
    cb.set_ticks([-lim, -lim / 2, 0.0, lim / 2, lim])
    cb.ax.tick_params(labelsize=8)
    cb.set_label("log GRDP per capita, actual - synthetic (log points)")
    ax1.set_title("Western border: synthetic-control gap\nof the PLBN regencies (pale: no estimate)", fontsize=11)
    add_source_note(fig, spec["figure"]["note"])
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    save_figure(fig, FIGURES / "map_border_regencies.png")
    write_results("map", {"provenance": provenance(spec, spec["data"]["map"], spec["data"]["neighbours"], spec["data"]["effects"]),
                          "figures": {"map": "reports/figures/map_border_regencies.png"},
                          "effects": {str(k): v for k, v in effects.items()},
                          "roles": {str(k): v for k, v in sorted(roles.items())}})


if __name__ == "__main__":
    main()
