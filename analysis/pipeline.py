"""The study pipeline: ``data/raw`` -> ``data/processed`` -> ``reports/``.

Run by ``sosek-impact reproduce`` (or ``python analysis/pipeline.py``). Each task declares
its inputs (its specification, its script, the library source it uses, the data it reads)
and its outputs; a task reruns only when the content of an input changed or an output is
missing (state in ``reports/.pipeline_state.json``). Heavy modules are imported inside the
tasks, so a run with nothing to do only hashes files.

Options: ``--force`` (rerun everything), ``--only NAME [NAME ...]``, ``--list``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

# One BLAS/OpenMP thread: reductions in a fixed order give the same last bits on every run
# (and the study's matrices are small, so threads buy nothing).
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
ANALYSIS = ROOT / "analysis"
if str(ANALYSIS) not in sys.path:
    sys.path.insert(0, str(ANALYSIS))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sosek_impact.report.runner import Task, UnknownTaskError, run_tasks, select_tasks  # noqa: E402  (standard library only)

STATE = ROOT / "reports" / ".pipeline_state.json"
LIB = "sosek_impact"
CORE = [f"{LIB}/atomic.py", f"{LIB}/errors.py", f"{LIB}/paths.py", f"{LIB}/__init__.py"]
PANEL_LIB = [f"{LIB}/panel", f"{LIB}/io", f"{LIB}/harmonise", f"{LIB}/registry", *CORE]
REPORT_LIB = [f"{LIB}/report", "analysis/_common.py"]
PANEL = "data/processed/panel.parquet"
PROVINCE_PANEL = "data/processed/province_panel.parquet"
REGISTRY = "data/raw/registry_*.csv"
BORDER_POSTS_PARTS = ["analysis/border_posts_figures.py", "analysis/border_posts_inference.py", "analysis/border_posts_table.py"]


def _script(name: str):
    """An action that imports ``analysis/<name>.py`` and calls its ``main()``."""

    def action() -> None:
        path = ANALYSIS / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"sosek_study_{name}", path)
        module = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(module)
        import warnings

        with warnings.catch_warnings():
            # estimator warnings (e.g. a singular pre-test covariance) are recorded in the results
            warnings.simplefilter("ignore")
            module.main()

    return action


def _build_panel() -> None:
    from sosek_impact.panel import build_panel

    build_panel(force=True)


def _study(name: str, *extra_inputs: str, outputs: list[str], depends: list[str]) -> Task:
    return Task(
        name,
        _script(name),
        inputs=[f"analysis/specs/{name}.toml", f"analysis/{name}.py", *REPORT_LIB, *CORE, *extra_inputs],
        outputs=[f"reports/results/{name}.json", *outputs],
        depends=depends,
    )


def tasks() -> list[Task]:
    """The study's tasks in order."""
    fig, tab = "reports/figures", "reports/tables"
    return [
        Task("panel", _build_panel, inputs=["data/raw", *PANEL_LIB],
             outputs=[PANEL, PROVINCE_PANEL, "data/processed/validation.md", "data/processed/DATA_DICTIONARY.md"]),
        _study("gaps", PANEL, outputs=[f"{fig}/gaps_grdp_pc_idn514.png", f"{fig}/gaps_poverty_rate.png", f"{fig}/gaps_hdi.png",
                                       f"{tab}/gaps.md"], depends=["panel"]),
        _study("grdp_break", PANEL, f"{LIB}/registry", outputs=[f"{fig}/grdp_break.png", f"{tab}/grdp_break.md"],
               depends=["panel"]),
        _study("border_posts", PANEL, "analysis/grdp_break.py", *BORDER_POSTS_PARTS, REGISTRY, f"{LIB}/estimators", f"{LIB}/inference", f"{LIB}/registry",
               outputs=[f"{fig}/event_study_log_grdp_pc.png", f"{fig}/cs_dynamic_log_grdp_pc.png",
                        f"{fig}/synthetic_control_regencies.png", f"{fig}/synthetic_control_regencies_placebos.png",
                        f"{tab}/border_posts_effects.md", f"{tab}/border_posts_synthetic_control.md"], depends=["panel"]),
        _study("forums", PROVINCE_PANEL, REGISTRY, f"{LIB}/estimators", f"{LIB}/registry",
               outputs=[f"{fig}/forums_synthetic_control.png", f"{tab}/forums_effects.md"], depends=["panel"]),
        _study("engel", PROVINCE_PANEL, PANEL, REGISTRY, "data/raw/user", "analysis/border_posts.py", *BORDER_POSTS_PARTS,
               "analysis/specs/border_posts.toml", f"{LIB}/welfare", f"{LIB}/estimators", f"{LIB}/inference", f"{LIB}/panel", f"{LIB}/io",
               f"{LIB}/harmonise", f"{LIB}/registry",
               outputs=[f"{fig}/engel_curve.png", f"{fig}/engel_food_share_effect.png", f"{tab}/engel_curve.md",
                        f"{tab}/engel_welfare.md", f"{tab}/engel_food_share_effect.md"], depends=["panel"]),
        _study("welfare", PANEL, "analysis/welfare_outputs.py", REGISTRY, f"{LIB}/estimators", f"{LIB}/inference", f"{LIB}/registry",
               outputs=[f"{fig}/welfare_synthetic_control.png", f"{fig}/welfare_placebo_mde.png", f"{tab}/welfare_effects.md",
                        f"{tab}/welfare_synthetic_control.md", f"{tab}/welfare_comparability_2019.md"], depends=["panel"]),
        _study("welfare_first_wave", PANEL, REGISTRY, "analysis/welfare.py", "analysis/welfare_outputs.py", f"{LIB}/estimators", f"{LIB}/inference",
               f"{LIB}/registry", outputs=[], depends=["panel", "welfare"]),
        _study("spillovers", PANEL, "analysis/border_posts.py", REGISTRY, "data/raw/geography_*.csv", "data/raw/night_lights.csv",
               f"{LIB}/geography.py", f"{LIB}/panel", f"{LIB}/estimators", f"{LIB}/inference", f"{LIB}/registry",
               outputs=[f"{tab}/spillovers_log_grdp_pc.md", f"{tab}/spillovers_log1p_ntl_sum.md"], depends=["panel"]),
        _study("night_lights", "analysis/night_lights_figures.py", "data/raw/night_lights.csv", PANEL, REGISTRY, f"{LIB}/panel", f"{LIB}/inference",
               f"{LIB}/estimators", f"{LIB}/registry", f"{LIB}/harmonise",
               outputs=[f"{fig}/night_lights_event_study.png", f"{fig}/night_lights_seam.png",
                        f"{tab}/night_lights_validation.md", f"{tab}/night_lights_effects.md"], depends=["panel"]),
        _study("design_diagnostics", PANEL, "analysis/border_posts.py", REGISTRY, f"{LIB}/diagnostics", f"{LIB}/estimators",
               f"{LIB}/registry", outputs=[f"{fig}/design_bacon.png"], depends=["panel"]),
        _study("placebo", PANEL, REGISTRY, "analysis/placebo_design.py", "analysis/placebo_methods.py", "analysis/placebo_summary.py",
               "analysis/border_posts.py", "analysis/welfare.py", "analysis/specs/border_posts.toml",
               "analysis/specs/welfare.toml", f"{LIB}/estimators", f"{LIB}/inference", f"{LIB}/montecarlo",
               f"{LIB}/registry", f"{LIB}/simulate.py", outputs=[f"{tab}/placebo.md", f"{tab}/placebo.html", f"{tab}/placebo.tex"],
               depends=["panel"]),
        _study("map", "data/raw/kalimantan_map.geojson", "data/raw/geography_neighbours.csv", "reports/results/border_posts.json",
               REGISTRY, f"{LIB}/registry", f"{LIB}/report/maps.py",
               outputs=[f"{fig}/map_border_regencies.png"], depends=["border_posts"]),
        _study("cross_border", PANEL, REGISTRY, "data/raw/cross_border_pairs.csv", "data/raw/mys_hies_districts.csv",
               f"{LIB}/registry", f"{LIB}/geography.py",
               outputs=[f"{fig}/cross_border.png", f"{tab}/cross_border.md", f"{tab}/cross_border_levels.md"],
               depends=["panel"]),
        _study("claims", "analysis/claims.csv", "analysis/claims_base.py", "analysis/claims_levels.py", "analysis/claims_growth.py", "analysis/claims_effects.py",
               "analysis/claims_records.py", PANEL, PROVINCE_PANEL, REGISTRY, f"{LIB}/registry",
               "reports/results/border_posts.json", "reports/results/forums.json", "reports/results/gaps.json",
               "reports/results/engel.json", "reports/results/welfare.json", "reports/results/welfare_first_wave.json",
               "analysis/claims_cross_border.py", "reports/results/cross_border.json", "reports/results/spillovers.json",
               "reports/results/night_lights.json",
               outputs=[f"{tab}/claims.md"], depends=["gaps", "border_posts", "forums", "engel", "welfare", "welfare_first_wave",
                                                        "cross_border", "spillovers", "night_lights"]),
        Task("report", _script("report"),
             inputs=["analysis/report.py", "analysis/report_welfare.py", "analysis/report_border.py", "analysis/report_lead.py", "analysis/report_results.py",
                     "analysis/report_geography.py",
                     "analysis/claims_base.py", "analysis/specs", "analysis/claims.csv", *REPORT_LIB, *CORE, "reports/results/*.json",
                     "reports/figures", "reports/tables", "data/raw/sources.csv", "data/processed/validation.md", "docs/monte_carlo.md"],
             outputs=["reports/report.html"], depends=["gaps", "grdp_break", "border_posts", "forums", "engel", "welfare", "welfare_first_wave", "spillovers",
                                                   "night_lights", "design_diagnostics", "placebo", "cross_border", "map", "claims"]),
    ]


def _parser(names: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sosek-impact reproduce", description=__doc__.split("\n\n")[0].replace("``", ""),
        epilog=f"tasks, in order: {', '.join(names)}. A task reruns only when one of its inputs changed or an "
               f"output is missing (state in reports/.pipeline_state.json).")
    parser.add_argument("--force", action="store_true", help="rerun every selected task, up to date or not")
    parser.add_argument("--only", nargs="+", metavar="TASK",
                        help="run only these tasks (their dependencies are not added); an unknown name is refused")
    parser.add_argument("--list", action="store_true", help="list the tasks and their outputs, then exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the out-of-date tasks; print progress and the total time.

    Returns 0 when every selected task ran or was up to date, 1 if one failed, 2 for a bad command
    line (an unknown task name in ``--only``: nothing runs, the closest names are printed).
    """
    all_tasks = tasks()
    parser = _parser([t.name for t in all_tasks])
    args = parser.parse_args(argv)
    if args.list:
        for t in all_tasks:
            print(f"{t.name}: {', '.join(map(str, t.outputs))}")
        return 0
    try:
        select_tasks(all_tasks, args.only)
    except UnknownTaskError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr, flush=True)
        return 2
    start = time.perf_counter()
    reports = run_tasks(all_tasks, ROOT, STATE, force=args.force, only=args.only)
    total = time.perf_counter() - start
    ran = sum(r.status == "ran" for r in reports)
    failed = [r for r in reports if r.status == "failed"]
    print(f"pipeline: {ran} task(s) ran, {len(reports) - ran - len(failed)} up to date, {len(failed)} failed; "
          f"total {total:.1f} s", file=sys.stderr, flush=True)
    for r in failed:
        print(f"  failed: {r.name}: {r.error or r.reason}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
