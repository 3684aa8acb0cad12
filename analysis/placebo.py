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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import TABLES, clean, load_spec, provenance, read_panel, write_results  # noqa: E402
from placebo_methods import SpecInfo, restricted_specs, study_specs  # noqa: E402
from placebo_summary import MODES, payload, recommendation, summarise, table_frame  # noqa: E402

SPEC = "analysis/specs/placebo.toml"
BORDER_SPEC = "analysis/specs/border_posts.toml"
WELFARE_SPEC = "analysis/specs/welfare.toml"


@dataclass(frozen=True)
class Design:
    """One design of the placebo study: the real frame and how to draw fake adopters.

    Attributes
    ----------
    id, label
        Key in the outputs and a sentence saying what it is.
    frame
        Balanced long frame ``bps_code, year, y, group`` (``group`` 0 = untreated in the window).
    size
        Mean population per regency (every unit of ``frame``).
    draws
        Fake designs per draw mode (:data:`placebo_summary.MODES`).
    control
        Comparison group passed to ``few_treated_inference`` (``None``: the estimator's default).
    dropped
        Regencies of the sample left out for an incomplete series (listed in the output).
    """

    id: str
    label: str
    frame: pd.DataFrame
    size: pd.Series
    draws: dict[str, int]
    control: str | None = None
    dropped: list[int] = field(default_factory=list)

    @property
    def treated(self) -> dict[int, int]:
        """Real treated regencies of the window and their first treated year."""
        g = self.frame.groupby("bps_code")["group"].first()
        return {int(u): int(v) for u, v in g[g > 0].items()}

    @property
    def pool(self) -> list[int]:
        """Untreated regencies (fake adopter candidates), sorted."""
        g = self.frame.groupby("bps_code")["group"].first()
        return sorted(int(u) for u in g.index[g == 0])


# --------------------------------------------------------------------------------------------
# sizes and candidate sets
# --------------------------------------------------------------------------------------------


def unit_size(panel: pd.DataFrame, column: str, years: tuple[int, int], units) -> pd.Series:
    """Mean of ``column`` over ``years`` per regency (observed years only).

    Raises
    ------
    MissingValueError
        A regency has no value of ``column`` in ``years`` (named): it cannot be ranked or matched.
    """
    from sosek_impact.errors import MissingValueError

    d = panel.loc[panel["bps_code"].isin(list(units)) & panel["year"].between(*years), ["bps_code", column]]
    s = d.dropna(subset=[column]).groupby("bps_code")[column].mean().reindex(sorted(int(u) for u in units))
    if s.isna().any():
        u = int(s.index[s.isna()][0])
        raise MissingValueError(f"size column {column!r} has no value in {years[0]}-{years[1]} for bps_code={u}",
                                column=column, unit=u)
    return s.astype(float)


def smallest(size: pd.Series, pool: list[int], share: float) -> list[int]:
    """The regencies of ``pool`` whose size rank (share of the pool, ties by code) is at most ``share``."""
    s = size.reindex(pool)
    rank = s.rank(method="first", pct=True)
    return sorted(int(u) for u in rank.index[rank <= share + 1e-12])


def nearest(size: pd.Series, pool: list[int], target: float, n: int) -> list[int]:
    """The ``n`` regencies of ``pool`` nearest to ``target`` by size (the matched draw's rule)."""
    s = size.reindex(sorted(pool))
    d = (s - target).abs().to_numpy()
    order = sorted(range(len(d)), key=lambda i: (d[i], i))  # stable, as placebo_study's argsort
    return sorted(int(s.index[i]) for i in order[:n])


# --------------------------------------------------------------------------------------------
# designs of the study
# --------------------------------------------------------------------------------------------


def border_design(panel: pd.DataFrame, did: str, conf: dict[str, Any], size: pd.Series) -> Design:
    """The primary specification's frame in one window, as ``analysis/border_posts.py`` builds it."""
    from border_posts import border_codes, ever_border_codes, outcome_frame, sample_units, timing

    bp = load_spec(BORDER_SPEC)
    units = sorted(panel["bps_code"].astype(int).unique())
    first, _ = timing(bp, units, bp["data"]["last_year"])
    border_now = set().union(*(border_codes(y) for y in bp["data"]["border_set_years"]))
    su = sample_units(bp["samples"][conf["sample"]]["units"], panel, first, border_now, ever_border_codes())
    oc = bp["outcomes"][conf["outcome"]]
    d, dropped = outcome_frame(panel, oc["variable"], oc["transform"], su, (conf["first_year"], conf["last_year"]), first)
    frame = d[["bps_code", "year", "y", "group"]].copy()
    return Design(did, conf["label"], frame, size.reindex(sorted(frame["bps_code"].unique())), dict(conf["draws"]),
                  bp["samples"][conf["sample"]]["control"], dropped)


def welfare_design(panel: pd.DataFrame, did: str, conf: dict[str, Any], size: pd.Series) -> Design:
    """A welfare outcome's frame, as ``analysis/welfare.py`` builds it (second wave)."""
    from welfare import frame as welfare_frame
    from welfare import sample_units, timing

    from sosek_impact.registry import border_regencies

    ws = load_spec(WELFARE_SPEC)
    units = sorted(panel["bps_code"].astype(int).unique())
    first = timing(ws, units)
    table = border_regencies()
    ever = set(table.loc[table["ever_border"].astype(bool), "bps_code"].astype(int))
    first_wave = {int(c) for c, g in first.items() if 0 < g <= ws["treatment"]["second_wave_from"]}
    years = (int(conf["first_year"]), int(conf["last_year"]))
    su = sample_units(ws["samples"][conf["sample"]]["units"], panel, first, ever, first_wave, years[1])
    d, dropped = welfare_frame(panel, ws["outcomes"][conf["outcome"]]["variable"], su, years, first)
    return Design(did, conf["label"], d[["bps_code", "year", "y", "group"]].copy(),
                  size.reindex(sorted(d["bps_code"].unique())), dict(conf["draws"]), None, dropped)


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
    rec = recommendation(out, default_scale=conf["specs"]["default_scale"], limit=float(conf["specs"]["level_limit"]))
    names = dict(zip(panel["bps_code"].astype(int), panel["regency"].astype(str)))
    write_table(table_frame(out), TABLES / "placebo",
                caption="Placebo study on the study panel: share of fake designs in which 'no effect' is rejected "
                        f"at {conf['specs']['alpha']:g} (no regency is treated)")
    prov = provenance(conf, conf["data"]["panel"], "data/raw/registry_events.csv", "data/raw/registry_border_regencies.csv")
    write_results("placebo", clean(payload(conf, out, rec, names, prov), 6))  # 6 significant digits
    print(f"placebo: total {time.process_time() - start:.0f} s CPU", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
