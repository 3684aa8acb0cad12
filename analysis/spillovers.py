"""Spillovers of the border posts to neighbouring regencies: direct and ring effects (Butts 2023).

Reads ``analysis/specs/spillovers.toml``. A border post that moves trade and traffic can raise or drain
the regencies around the treated one, and many of the study's controls touch a treated regency
(Sanggau borders Sekadau, Landak, Ketapang and Kubu Raya, all non-border controls). Then the primary
comparison is biased twice: the controls are not untreated, and the neighbours' own response is
unmeasured. Following Butts (2023, "Difference-in-differences with spatial spillovers"), every regency
of the sample gets one of three roles:

- *treated*: its own border post opened (first full year, registry);
- *exposed*: not treated, and it shares a boundary with a treated regency (queen contiguity from the
  real polygons, ``si.load_neighbours()``), from the first treated year of its earliest treated
  neighbour; a distance-band variant instead exposes the untreated regencies whose centroid lies
  within ``distance_band_km`` of an open post;
- *far control*: neither.

The direct effect compares treated regencies with far controls only; the spillover effect compares the
exposed regencies with the same far controls (the treated left out). Both are Callaway-Sant'Anna simple
ATTs with few-treated intervals (randomisation over adoption timing and Conley-Taber, both scaled for
unequal noise as the library does by default), beside the primary comparison that keeps the
neighbours among the controls. Identification assumes parallel trends of the far controls and no
exposure beyond the ring (a ring-2 effect would bias both estimates; the distance band is a check).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from _common import TABLES, attempt, few_treated_interval, load_spec, provenance, read_panel, write_results

SPEC = "analysis/specs/spillovers.toml"


def exposure_start(edges, first: Mapping[int, int], units: set[int]) -> dict[int, int]:
    """First exposed year of every unit of ``units`` that is not treated itself (0 = never exposed).

    ``edges`` has columns ``bps_code, neighbour_code`` (both directions or one: symmetrised here);
    ``first`` maps a unit to its first treated year (0 or absent: never treated). A unit is exposed
    from the earliest first treated year among its treated neighbours.
    """
    pairs = set()
    for a, b in zip(edges["bps_code"].astype(int), edges["neighbour_code"].astype(int), strict=True):
        pairs.add((a, b))
        pairs.add((b, a))
    out: dict[int, int] = {}
    for u in sorted(units):
        if first.get(u, 0) > 0:
            continue
        years = [first[v] for (a, v) in pairs if a == u and first.get(v, 0) > 0]
        out[u] = min(years) if years else 0
    return out


def band_exposure(distance_km: Mapping[int, Mapping[int, float]], first: Mapping[int, int], units: set[int],
                  band_km: float) -> dict[int, int]:
    """Exposure by distance: an untreated unit whose distance to a treated unit's post is at most ``band_km``.

    ``distance_km[u][t]`` is the distance from unit ``u`` to the post of treated unit ``t``; exposure
    starts in the earliest first treated year among the posts within the band.
    """
    out: dict[int, int] = {}
    for u in sorted(units):
        if first.get(u, 0) > 0:
            continue
        years = [first[t] for t, km in distance_km.get(u, {}).items() if first.get(t, 0) > 0 and km <= band_km]
        out[u] = min(years) if years else 0
    return out


def role_frames(d, first: Mapping[int, int], exposure: Mapping[int, int]):
    """The direct, spillover and primary (neighbours kept as controls) frames of one outcome frame.

    ``d`` is a balanced frame ``bps_code, year, y``; the returned frames carry ``group`` (first treated
    or first exposed year, 0 for the comparison units). A unit first treated or exposed after the last
    year is a comparison unit of its frame only if it is neither treated nor exposed within it.
    """
    last = int(d["year"].max())
    codes = set(d["bps_code"].astype(int))
    treated = {u for u in codes if 0 < first.get(u, 0) <= last}
    exposed = {u for u in codes - treated if 0 < exposure.get(u, 0) <= last}
    far = codes - treated - exposed

    def frame(units: set[int], timing: Mapping[int, int]):
        f = d.loc[d["bps_code"].isin(units)].copy()
        f["group"] = f["bps_code"].map(lambda u: timing.get(int(u), 0) if int(u) in units - far else 0).astype(int)
        return f.reset_index(drop=True)

    return {"direct": frame(treated | far, first), "spillover": frame(exposed | far, exposure),
            "primary": frame(codes, first)}, {"treated": sorted(treated), "exposed": sorted(exposed),
                                                                  "far": sorted(far)}


def effect(f, spec: dict[str, Any], label: str, failures: list) -> dict[str, Any] | None:
    """CS simple ATT of one frame with its few-treated randomisation and Conley-Taber intervals and MDE."""
    import warnings

    from sosek_impact.inference import few_treated_inference

    conf = spec["inference"]["few_treated"]
    seed = int(spec["seeds"]["randomization"])
    n_treated = int((f.groupby("bps_code")["group"].first() > 0).sum())
    if n_treated == 0:
        failures.append({"what": label, "error": "no treated or exposed unit in this window", "where": ""})
        return None
    ri = attempt(f"{label}: randomisation", lambda: few_treated_interval(
        f, "y", "bps_code", "year", "group", estimator="cs", control="never", n_draws=int(conf["n_draws"]),
        alpha=float(conf["alpha"]), seed=seed, power=float(spec["inference"]["mde"]["power"])), failures)
    out: dict[str, Any] = {"n_units": int(f["bps_code"].nunique()), "n_treated": n_treated,
                           "cohorts": {str(int(g)): int(n) for g, n in f.groupby("bps_code")["group"].first()
                                       .loc[lambda s: s > 0].value_counts().sort_index().items()}}
    if ri is not None:
        ri.pop("distribution_placebo")  # the MDE is the test's own (few_treated_interval)
        out["randomization"] = ri

    def conley_taber():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = few_treated_inference(f, "y", "bps_code", "year", "group", estimator="cs", aggregate="simple",
                                      method="conley_taber", control="never", n_draws=int(conf["n_draws"]),
                                      alpha=float(conf["alpha"]), seed=seed)
        return {"estimate": float(r.estimate[0]), "conf_low": float(r.conf_low[0]), "conf_high": float(r.conf_high[0]),
                "p_value": float(r.p_value[0])}

    ct = attempt(f"{label}: Conley-Taber", conley_taber, failures)
    if ct is not None:
        out["conley_taber"] = ct
    return out


def outcome_data(panel, oc: dict[str, Any], units: set[int], window: tuple[int, int], first: Mapping[int, int]):
    """Balanced frame ``bps_code, year, y`` of one outcome of the spec (regency panel or night lights)."""
    import numpy as np

    from border_posts import outcome_frame

    if oc.get("source") == "night_lights":
        import sosek_impact as si

        lights = si.load_night_lights()
        if oc["transform"] != "log1p":
            raise ValueError(f"night-light outcome transform must be 'log1p', got {oc['transform']!r}")
        lights = lights.assign(_y=np.log1p(lights[oc["variable"]].astype(float)))
        d, dropped = outcome_frame(lights, "_y", "level", units, window, first)
    else:
        d, dropped = outcome_frame(panel, oc["variable"], oc["transform"], units, window, first)
    return d[["bps_code", "year", "y"]], dropped


def table_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per ring definition x role for the spillover table."""
    rows = []
    names = {"primary": "treated vs all controls (neighbours kept)", "direct": "treated vs far controls (direct)",
             "spillover": "exposed neighbours vs far controls (spillover)"}
    for ring, by_role in results.items():
        for role in ("primary", "direct", "spillover"):
            r = by_role.get(role)
            if not r:
                continue
            ri, ct = r.get("randomization", {}), r.get("conley_taber", {})
            rows.append({"rings": ring, "comparison": names[role], "units": r["n_units"], "treated/exposed": r["n_treated"],
                         "estimate": ri.get("estimate"), "RI interval low": ri.get("conf_low"), "RI interval high": ri.get("conf_high"),
                         "RI p": ri.get("p_value"), "CT interval low": ct.get("conf_low"), "CT interval high": ct.get("conf_high"),
                         "MDE": (ri.get("mde") or {}).get("mde")})
    return rows


def main() -> None:
    import pandas as pd

    import sosek_impact as si
    from border_posts import ever_border_codes, sample_units, timing
    from sosek_impact.report.tables import write_table

    spec = load_spec(SPEC)
    panel = read_panel(spec["data"]["panel"])
    years = (int(spec["data"]["first_year"]), int(spec["data"]["last_year"]))
    codes = set(panel["bps_code"].astype(int))
    first, later = timing(spec, sorted(codes), years[1])
    first_all = {int(k): int(v) for k, v in first.items()}
    ever = ever_border_codes()
    units = sample_units(spec["rings"]["sample"], panel, first, set(), ever)
    edges = si.load_neighbours()
    failures: list[dict[str, str]] = []
    band = float(spec["rings"]["distance_band_km"])
    post_km = _post_distances(first_all)

    results: dict[str, Any] = {}
    membership: dict[str, Any] = {}
    for name, oc in spec["outcomes"].items():
        window = (int(oc.get("first_year", years[0])), int(oc.get("last_year", years[1])))
        first_w, _ = timing(spec, sorted(codes), window[1])
        first_w = {int(k): int(v) for k, v in first_w.items()}
        d, dropped = outcome_data(panel, oc, units, window, first_w)
        exposures = {"adjacency": exposure_start(edges, first_w, units),
                     f"within {band:g} km of a post": band_exposure(post_km, first_w, units, band)}
        for ring, exposure in exposures.items():
            frames, roles = role_frames(d, first_w, exposure)
            membership.setdefault(name, {})[ring] = roles
            results.setdefault(name, {})[ring] = {
                role: effect(f, spec, f"{name} / {ring} / {role}", failures) for role, f in frames.items()}
        results[name]["window"] = list(window)
        results[name]["dropped_for_gaps"] = dropped
    names = panel.drop_duplicates("bps_code").set_index("bps_code")["regency"]
    membership_named = {o: {ring: {role: [{"bps_code": u, "regency": str(names.get(u, ""))} for u in us] for role, us in roles.items()}
                            for ring, roles in by_ring.items()} for o, by_ring in membership.items()}
    for name, oc in spec["outcomes"].items():
        rows = table_rows({k: v for k, v in results[name].items() if k not in ("dropped_for_gaps", "window")})
        write_table(pd.DataFrame(rows), TABLES / f"spillovers_{name}",
                    caption=f"Direct and spillover effects of the border posts on {oc['label']}: CS simple ATT, "
                            "few-treated intervals (randomisation over timing, Conley-Taber), 95 %")
    write_results("spillovers", {"provenance": provenance(spec, spec["data"]["panel"], "data/raw/geography_neighbours.csv"),
                                 "results": results, "roles": membership_named, "treated_after_window": later,
                                 "failures": failures})


def _post_distances(first: Mapping[int, int]) -> dict[int, dict[int, float]]:
    """Distance (km, nearest point of the regency's polygon) from every regency to each treated regency's post.

    Posts and the regency that hosts each come from the registry (``border_posts``, coordinates with
    sources and confidence, the unverified proxies included: they are a few km from the post, against a
    band of 150 km); distances from ``load_post_distances()``. A treated regency with more than one post
    counts its nearest.
    """
    import warnings

    from sosek_impact.geography import load_post_distances
    from sosek_impact.registry import border_posts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the proxies are used on purpose (a few km off; the band is 150 km)
        posts = border_posts(min_confidence="unverified")
    hosts = posts.set_index("post_id")["bps_code"].astype(int)
    dist = load_post_distances()
    dist = dist.loc[dist["post_id"].isin(hosts.index)].assign(host=lambda x: x["post_id"].map(hosts))
    dist = dist.loc[dist["host"].map(lambda h: first.get(int(h), 0) > 0)]
    near = dist.groupby(["bps_code", "host"])["dist_polygon_km"].min()
    out: dict[int, dict[int, float]] = {}
    for (u, host), km in near.items():
        out.setdefault(int(u), {})[int(host)] = float(km)
    return out


if __name__ == "__main__":
    main()
