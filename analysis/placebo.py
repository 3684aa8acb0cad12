"""Placebo study on the study's own panel: how often does each method reject a true null?

Reads ``analysis/specs/placebo.toml``. For the primary specification (border posts, Kalimantan
sample, log GRDP per capita; the primary window 2000-2024 and the break-free window 2000-2019) and
each welfare outcome (P0 and HDI, 2020-2024), the frames are built by the study's own functions
(``border_posts.outcome_frame``, ``welfare.frame``), the truly treated regencies are dropped and
untreated regencies of the sample get fake adoption timings with the real design's cohorts
(:func:`sosek_impact.inference.placebo_study.placebo_study`). No regency is treated, so every
rejection of "no effect" is false. Fake adopters are drawn

* ``random``: among all untreated regencies of the sample;
* ``smallest_third``: among the smallest third by mean population (``[data]`` of the spec);
* ``matched``: each real treated regency replaced by one of its ``matched_n_nearest`` nearest
  untreated regencies by mean population;
* ``restricted``: as ``smallest_third``, with randomisation inference re-assigning adoption only
  among the smallest third (``eligible=``): the check of whether restricting re-assignment is needed.

A design with one fake adopter (the welfare design: Bengkayang 2024) has as many distinct designs
as candidate regencies, so it is enumerated (every candidate once) instead of drawn, when there
are no more candidates than the draws the spec allows. Results:
``reports/results/placebo.json`` and ``reports/tables/placebo.{md,html,tex}``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import TABLES, clean, load_spec, provenance, read_panel, write_results  # noqa: E402
from placebo_design import Design, border_design, nearest, smallest, unit_size, welfare_design  # noqa: E402
from placebo_methods import SpecInfo, restricted_specs, study_specs  # noqa: E402
from placebo_summary import MODES, payload, recommendation, summarise, table_frame  # noqa: E402

SPEC = "analysis/specs/placebo.toml"
__all__ = ["Design", "border_design", "main", "nearest", "run_design", "run_mode", "smallest", "unit_size",
           "welfare_design"]


# --------------------------------------------------------------------------------------------
# runs
# --------------------------------------------------------------------------------------------


def _enumerate(design: Design, adopters: list[int], specs: list, alpha: float, seed: int, how: str):
    """Every one-adopter design once: one ``placebo_study`` draw per candidate, gathered in one result."""
    from sosek_impact.inference.placebo_study import PlaceboStudyResult, placebo_study

    parts, notes = [], []
    r = None
    for i, u in enumerate(adopters):
        r = placebo_study(design.frame, "y", "bps_code", "year", "group", specs=specs, n_draws=1, among=[u],
                          alpha=alpha, seed=seed + i)
        parts.append(r.draws.assign(draw=i))
        notes += [n for n in r.notes if n not in notes]
    assert r is not None
    settings = dict(r.settings, draw=how, among=how, n_eligible=len(adopters), n_distinct_designs=len(adopters), seed=seed)
    return PlaceboStudyResult(draws=pd.concat(parts, ignore_index=True), methods=r.methods, alpha=alpha,
                              n_draws=len(adopters), cohorts=r.cohorts, settings=settings, notes=tuple(notes))


def run_mode(design: Design, mode: str, specs: list, alpha: float, seed: int, small: list[int], n_nearest: int):
    """The placebo study of one draw mode; returns ``(result, enumerated)``.

    (The Monte Carlo engine silences the fits' warnings; the whole-line intervals they would
    announce show as ``share_infinite``.)
    """
    from sosek_impact.inference.placebo_study import placebo_study

    treated = design.treated
    cand = None
    if len(treated) == 1:
        (t_unit,) = treated
        cand = {"random": design.pool, "smallest_third": small, "restricted": small,
                "matched": nearest(design.size, design.pool, float(design.size[t_unit]), n_nearest)}[mode]
    if cand is not None and len(cand) <= int(design.draws[mode]):
        res, enumerated = _enumerate(design, cand, specs, alpha, seed, mode), True
    else:
        kw: dict[str, Any] = {"draw": "random"}
        if mode in ("smallest_third", "restricted"):
            kw["among"] = small
        elif mode == "matched":
            kw = {"draw": "matched", "size": "size", "n_nearest": n_nearest}
        data = design.frame.assign(size=design.frame["bps_code"].map(design.size))
        res = placebo_study(data, "y", "bps_code", "year", "group", specs=specs, n_draws=int(design.draws[mode]),
                            alpha=alpha, seed=seed, **kw)
        enumerated = False
    return res, enumerated


def run_design(design: Design, conf: dict[str, Any], seed: int) -> dict[str, Any]:
    """Every draw mode of one design: ``{mode: summary}`` plus the design's facts."""
    sc = conf["specs"]
    alpha = float(sc["alpha"])
    specs, info = study_specs(sc["estimators"], sc["methods"], sc["scales"], n_draws=int(sc["n_draws_per_fit"]),
                              alpha=alpha, control=design.control)
    small = smallest(design.size, design.pool, float(conf["data"]["small_share"]))
    r_specs, r_info = restricted_specs(sc["estimators"], sc["scales"], small, "smallest third",
                                       n_draws=int(sc["n_draws_per_fit"]), alpha=alpha, control=design.control)
    all_info: dict[str, SpecInfo] = info | r_info
    runs = {}
    for k, mode in enumerate(MODES):
        res, enumerated = run_mode(design, mode, r_specs if mode == "restricted" else specs, alpha,
                                           seed + k, small, int(sc["matched_n_nearest"]))
        runs[mode] = summarise(res, all_info, enumerated=enumerated, planned=int(design.draws[mode]))
    sizes = design.size
    pool_rank = sizes.rank(pct=True)
    return {
        "label": design.label, "window": [int(design.frame["year"].min()), int(design.frame["year"].max())],
        "n_units": int(design.frame["bps_code"].nunique()), "n_pool": len(design.pool),
        "control": design.control or "estimator default",
        "treated": {str(u): g for u, g in design.treated.items()},
        "treated_population_rank": {str(u): float(pool_rank[u]) for u in design.treated},
        "smallest_third": small, "dropped_incomplete": [int(u) for u in design.dropped],
        "runs": runs,
    }


def main(spec_path: str = SPEC) -> None:
    """Run the placebo study and write ``reports/results/placebo.json`` and ``reports/tables/placebo.*``."""
    from sosek_impact.report.tables import write_table

    conf = load_spec(spec_path)
    panel = read_panel(conf["data"]["panel"])
    dc = conf["data"]
    size = unit_size(panel, dc["size_column"], tuple(dc["size_years"]), panel["bps_code"].astype(int).unique())
    builders = {"border_posts": border_design, "welfare": welfare_design}
    base_seed = int(conf["seeds"]["placebo"])
    out = {}
    start = time.process_time()
    for i, (did, dconf) in enumerate(conf["designs"].items()):
        t0 = time.process_time()
        design = builders[dconf["kind"]](panel, did, dconf, size)
        out[did] = run_design(design, conf, base_seed + 100 * i)
        print(f"placebo: {did} done, {time.process_time() - t0:.0f} s CPU", file=sys.stderr, flush=True)
    rec = recommendation(out, default_scale=conf["specs"]["default_scale"], limit=float(conf["specs"]["level_limit"]),
                         alpha=float(conf["specs"]["alpha"]))
    names = dict(zip(panel["bps_code"].astype(int), panel["regency"].astype(str)))
    write_table(table_frame(out), TABLES / "placebo",
                caption="Placebo study on the study panel: share of fake designs in which 'no effect' is rejected "
                        f"at {conf['specs']['alpha']:g} (no regency is treated)")
    prov = provenance(conf, conf["data"]["panel"], "data/raw/registry_events.csv", "data/raw/registry_border_regencies.csv")
    write_results("placebo", clean(payload(conf, out, rec, names, prov), 6))  # 6 significant digits
    print(f"placebo: total {time.process_time() - start:.0f} s CPU", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
