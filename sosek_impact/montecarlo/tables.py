"""Markdown tables of Monte Carlo summaries, written between markers of ``docs/monte_carlo.md``.

:func:`few_treated_design_tables` is the rerunnable command behind the few-treated designs table
(``scripts/monte_carlo_few_treated.py`` calls it): every few-treated (estimator, method, scale) of
:func:`~sosek_impact.montecarlo.methods_few_treated.few_treated_methods`, with the scales this
installation's ``few_treated_inference`` offers, on the fixed-cohort designs of
:mod:`~sosek_impact.montecarlo.designs`.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from sosek_impact.atomic import write_text
from sosek_impact.montecarlo import methods_classic as mc
from sosek_impact.montecarlo import methods_imputation as mi
from sosek_impact.montecarlo.designs import standard_designs
from sosek_impact.montecarlo.engine import run_monte_carlo
from sosek_impact.montecarlo.method import Method
from sosek_impact.montecarlo.methods_few_treated import few_treated_methods, few_treated_scales
from sosek_impact.montecarlo.summary import coverage_band, summarise
from sosek_impact.simulate import simulate_staggered_panel

__all__ = ["FEW_TREATED_DESIGNS", "few_treated_design_tables", "markdown_table", "replace_between_markers"]

#: The fixed-cohort designs of the few-treated table.
FEW_TREATED_DESIGNS = ("study_cohorts", "treated_noise_2x", "treated_noise_3x", "population_smallest", "welfare")


def _fmt(v: float, spec: str) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def markdown_table(summary: pd.DataFrame, reps: int) -> str:
    """Markdown table of one design's summary; coverage outside the simulation-error band is bold."""
    lo, hi = coverage_band(reps)
    lines = [
        "| estimator + inference | bias / sigma (MC se) | RMSE / sigma | mean CI width | 95 % coverage (MC se) | s per fit | failures | unbounded CIs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in summary.iterrows():
        cov = r["coverage"]
        cov_s = "" if math.isnan(cov) else f"{cov:.3f} ({r['mcse_coverage']:.3f})"
        if cov_s and not lo <= cov <= hi:
            cov_s = f"**{cov_s}**"
        lines.append(
            f"| {name} | {_fmt(r['bias_sigma'], '+.3f')} ({_fmt(r['mcse_bias_sigma'], '.3f')}) | "
            f"{_fmt(r['rmse_sigma'], '.3f')} | {_fmt(r['ci_width'], '.3f')} | {cov_s} | {_fmt(r['seconds'], '.2f')} | "
            f"{int(r['failures'])} | {int(r['infinite_ci'])} |"
        )
    return "\n".join(lines)


def replace_between_markers(path: Path, begin: str, end: str, body: str) -> None:
    """Write ``body`` between the ``begin`` and ``end`` lines of ``path`` (appended if absent), atomically."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Monte Carlo\n"
    if begin not in text or end not in text:
        text = text.rstrip("\n") + f"\n\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    write_text(path, head + begin + "\n" + body + end + tail)


def few_treated_table_methods() -> list[Method]:
    """Analytical references (CS, imputation), then every few-treated (estimator, method, scale)."""
    return [
        Method("CS + analytical", mc.fit_cs_analytical, estimator="Callaway-Sant'Anna (never, dr)",
               inference="influence function, normal"),
        Method("Imputation + analytical", mi.fit_imputation_analytical, estimator="Imputation (BJS)",
               inference="BJS conservative (leave-out), normal"),
        *few_treated_methods(few_treated_scales()),
    ]


def few_treated_design_tables(
    reps: int = 500,
    *,
    designs: Sequence[str] = FEW_TREATED_DESIGNS,
    seed: int = 20161201,
    n_jobs: int = 2,
    executor: cf.Executor | None = None,
    progress: bool | Callable[[int, int], None] = True,
) -> str:
    """Markdown blocks (one per design) of the few-treated methods' bias and coverage.

    Parameters
    ----------
    reps
        Replications per design.
    designs
        Names of :func:`~sosek_impact.montecarlo.designs.standard_designs`.
    seed, n_jobs, executor, progress
        As in :func:`~sosek_impact.montecarlo.engine.run_monte_carlo`.
    """
    methods = few_treated_table_methods()
    blocks = []
    lo, hi = coverage_band(reps)
    for name, d in standard_designs(designs).items():
        probe = simulate_staggered_panel(**d.kwargs, seed=0)
        print(f"design {name!r}: {reps} replications x {len(methods)} methods", file=sys.stderr, flush=True)
        draws = run_monte_carlo(methods, reps, design=d.kwargs, seed=seed, n_jobs=n_jobs, executor=executor,
                                progress=progress)
        shape = f"{probe['unit'].nunique()} units, {probe['time'].nunique()} periods"
        blocks.append(
            f"### Design `{name}`: {d.description}\n\n"
            f"{shape}; cohorts {probe.attrs['cohorts']}; true effect 1; {reps} replications, seed {seed}. "
            f"Coverage outside [{lo:.3f}, {hi:.3f}] is in bold.\n\n{markdown_table(summarise(draws), reps)}\n"
        )
    return "\n".join(blocks)
