"""Monte Carlo engine: apply estimator x inference pairs to many seeded panels.

A *method* (:class:`~sosek_impact.montecarlo.method.Method`) is an estimator paired with an
inference procedure. :func:`run_monte_carlo` draws ``n_reps`` panels from
:func:`sosek_impact.simulate.simulate_staggered_panel`, applies every method to every panel, and
records the estimate, its confidence interval and the true value of the method's target on that
panel; :func:`sosek_impact.montecarlo.summary.summarise` turns the draws into bias, RMSE and
coverage with their Monte Carlo standard errors. :func:`run_replications` is the same loop for any
panel maker ``make_data(seed, rep) -> DataFrame`` (the placebo study of
:mod:`sosek_impact.inference.placebo_study` uses it with fake adoption timings on a real panel).

Where the work runs: in this process (``n_jobs=1``), in ``n_jobs`` forked local processes, or on
any :class:`concurrent.futures.Executor` (``executor=``: a ``ProcessPoolExecutor``, or a Dask
cluster through ``distributed.Client(...).get_executor()``). Replications are sent in chunks;
finished chunks are collected in whatever order they complete and sorted at the end.

Determinism: replication ``r`` uses its own seed, spawned from the master seed with
:class:`numpy.random.SeedSequence`; the panel and any randomness inside a method (bootstrap
weights, permutations) derive from it, and every fit runs with one BLAS thread. The draws
therefore do not depend on where they ran, on the number of workers, or on the order in which
chunks finish (only the ``seconds`` column, a wall time, does).
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing as mp
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from sosek_impact.montecarlo.method import Estimate, Method
from sosek_impact.simulate import simulate_staggered_panel

__all__ = ["RunOptions", "SimulatedPanels", "progress_reporter", "replication_seeds", "run_monte_carlo", "run_replications"]

#: Columns of the draws, in order.
DRAW_COLUMNS = ["rep", "method", "estimate", "se", "ci_low", "ci_high", "p_value", "truth", "seconds", "error"]


def replication_seeds(seed: int, n_reps: int) -> list[int]:
    """Independent integer seeds for ``n_reps`` replications, spawned from ``seed``."""
    children = np.random.SeedSequence(seed).spawn(n_reps)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


@dataclass(frozen=True)
class SimulatedPanels:
    """Panel maker of :func:`run_monte_carlo`: ``simulate_staggered_panel(**design, seed=seed)``."""

    design: Mapping[str, Any]

    def __call__(self, seed: int, rep: int) -> pd.DataFrame:
        return simulate_staggered_panel(**self.design, seed=seed)


@dataclass(frozen=True)
class _Job:
    methods: tuple[Method, ...]
    make_data: Callable[[int, int], pd.DataFrame]
    seeds: tuple[int, ...]
    parent_pid: int


_JOB: _Job | None = None  # set in the parent before forking local workers (no pickling needed)
_LIMITED_PID: int | None = None  # worker process whose BLAS threads are already limited


def _method_seed(rep_seed: int, k: int) -> int:
    # each method gets its own stream, so adding a method does not change the others
    return int(np.random.SeedSequence([rep_seed, k]).generate_state(1, dtype=np.uint32)[0])


def _one_replication(job: _Job, rep: int) -> list[dict[str, Any]]:
    rep_seed = job.seeds[rep]
    data = job.make_data(rep_seed, rep)
    rows = []
    for k, m in enumerate(job.methods):
        t0 = time.perf_counter()
        error = ""
        try:
            with warnings.catch_warnings():
                # e.g. "pre-test not computed": informative for a user, noise in 10^4 fits
                warnings.simplefilter("ignore")
                est = m.fit(data, _method_seed(rep_seed, k))
        except Exception as exc:  # recorded, not hidden: summarise() counts failures
            est = Estimate(math.nan)
            error = f"{type(exc).__name__}: {exc}"[:300]
        rows.append(
            {
                "rep": rep,
                "method": m.name,
                "estimate": float(est.estimate),
                "se": float(est.se),
                "ci_low": float(est.ci_low),
                "ci_high": float(est.ci_high),
                "p_value": float(getattr(est, "p_value", math.nan)),
                "truth": float(m.target(data)),
                "seconds": time.perf_counter() - t0,
                "error": error,
            }
        )
    return rows


def _run_chunk(job: _Job | None, reps: Sequence[int]) -> list[dict[str, Any]]:
    """Run replications ``reps``; ``job`` None means the module global (forked local workers)."""
    job = job if job is not None else _JOB
    if job is None:  # pragma: no cover - a worker started without its job
        raise RuntimeError("Monte Carlo worker has no job")
    global _LIMITED_PID
    pid = os.getpid()
    if pid != job.parent_pid and pid != _LIMITED_PID:
        # Another process (forked worker, Dask worker): one BLAS thread, as in the parent, so the
        # fits give the same bits wherever they run. Left set: the worker only runs such fits.
        threadpool_limits(limits=1)
        _LIMITED_PID = pid
    rows: list[dict[str, Any]] = []
    for r in reps:
        rows.extend(_one_replication(job, r))
    return rows


def progress_reporter(progress: bool | Callable[[int, int], None], what: str = "replications") -> Callable[[int, int], None]:
    """The ``report(done, total)`` callable of a ``progress`` argument.

    ``True`` prints a line to stderr about every 5 % of the work (and at the end); a callable is
    returned unchanged; ``False`` reports nothing.
    """
    if callable(progress):
        return progress
    if not progress:
        return lambda done, total: None
    t_start = time.perf_counter()
    last = [0]

    def report(done: int, total: int) -> None:
        step = max(1, total // 20)
        if done - last[0] >= step or done == total:
            last[0] = done
            el = time.perf_counter() - t_start
            print(f"  {done}/{total} {what}, {el:.0f} s", file=sys.stderr, flush=True)

    return report


def _chunks(n_reps: int, chunksize: int) -> list[list[int]]:
    return [list(range(a, min(a + chunksize, n_reps))) for a in range(0, n_reps, chunksize)]


def run_replications(
    methods: Sequence[Method],
    make_data: Callable[[int, int], pd.DataFrame],
    n_reps: int,
    *,
    seed: int,
    n_jobs: int = 1,
    executor: cf.Executor | None = None,
    chunksize: int | None = None,
    progress: bool | Callable[[int, int], None] = False,
) -> pd.DataFrame:
    """Apply every method to ``n_reps`` panels ``make_data(seed_r, r)``.

    Parameters
    ----------
    methods
        The estimator x inference pairs (unique names).
    make_data
        ``make_data(seed, rep) -> DataFrame``: the panel of replication ``rep`` from its seed. It
        must be picklable to run on an ``executor``.
    n_reps
        Number of replications.
    seed
        Master seed; replication seeds come from :func:`replication_seeds`.
    n_jobs
        Local worker processes (``fork``) when no ``executor`` is given; 1 runs in this process.
    executor
        Any :class:`concurrent.futures.Executor`; chunks of replications are submitted to it
        (methods and ``make_data`` are pickled with each chunk). Overrides ``n_jobs``.
    chunksize
        Replications per task (default: about 1 % of ``n_reps`` on an executor, 1 locally).
    progress
        ``True`` prints progress to stderr; a callable receives ``(done, n_reps)`` after each chunk.

    Returns
    -------
    pandas.DataFrame
        One row per (replication, method), sorted by replication then method in the given order,
        columns :data:`DRAW_COLUMNS`.
    """
    global _JOB
    if n_reps < 1:
        raise ValueError(f"n_reps must be >= 1, got {n_reps}")
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValueError(f"method names must be unique, got {names}")
    if executor is not None and not isinstance(executor, cf.Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
    job = _Job(tuple(methods), make_data, tuple(replication_seeds(seed, n_reps)), os.getpid())
    report = progress_reporter(progress)
    if chunksize is None:
        chunksize = max(1, math.ceil(n_reps / 100)) if executor is not None else 1
    chunks = _chunks(n_reps, int(chunksize))

    rows: list[dict[str, Any]] = []
    # One BLAS thread: the fits are small, so threads only contend (and multithreaded reductions
    # may differ in the last bit between runs).
    limiter = threadpool_limits(limits=1)
    try:
        if executor is None and n_jobs <= 1:
            done = 0
            for chunk in chunks:
                rows.extend(_run_chunk(job, chunk))
                done += len(chunk)
                report(done, n_reps)
        elif executor is None:
            _JOB = job
            with cf.ProcessPoolExecutor(n_jobs, mp_context=mp.get_context("fork")) as pool:
                rows = _collect(pool, None, chunks, n_reps, report)
        else:
            rows = _collect(executor, job, chunks, n_reps, report)
    finally:
        _JOB = None
        limiter.restore_original_limits()
    order = {name: k for k, name in enumerate(names)}
    out = pd.DataFrame(rows, columns=DRAW_COLUMNS)
    out = out.sort_values(["rep", "method"], key=lambda c: c.map(order) if c.name == "method" else c, kind="stable")
    return out.reset_index(drop=True)


def _collect(executor: cf.Executor, job: _Job | None, chunks: list[list[int]], n_reps: int,
             report: Callable[[int, int], None]) -> list[dict[str, Any]]:
    """Submit every chunk, gather the rows as chunks finish (any order), report progress."""
    futures = {executor.submit(_run_chunk, job, chunk): len(chunk) for chunk in chunks}
    rows: list[dict[str, Any]] = []
    done = 0
    try:
        for fut in cf.as_completed(futures):
            rows.extend(fut.result())
            done += futures[fut]
            report(done, n_reps)
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    return rows


class RunOptions(TypedDict, total=False):
    """Where and how :func:`run_monte_carlo` runs: the keywords it passes to :func:`run_replications`."""

    n_jobs: int
    executor: cf.Executor | None
    chunksize: int | None
    progress: bool | Callable[[int, int], None]


def run_monte_carlo(
    methods: Sequence[Method],
    n_reps: int,
    *,
    design: Mapping[str, Any] | None = None,
    seed: int = 20240101,
    **options: Unpack[RunOptions],
) -> pd.DataFrame:
    """Apply every method to ``n_reps`` simulated panels.

    Parameters
    ----------
    methods
        The estimator x inference pairs.
    n_reps
        Number of replications.
    design
        Keyword arguments of :func:`~sosek_impact.simulate.simulate_staggered_panel`
        (except ``seed``); default: the study-shaped design.
    seed
        Master seed.
    **options
        Keywords of :class:`RunOptions`, passed to :func:`run_replications`: ``n_jobs``, worker
        processes (``fork``) when no ``executor`` is given, 1 (default) runs in this process, and
        results do not depend on it; ``executor``, any :class:`concurrent.futures.Executor`, e.g.
        ``distributed.Client(...).get_executor()`` for a Dask cluster (``docs/monte_carlo.md``),
        the draws identical to a local run with the same seed (methods must then be picklable:
        module-level functions or class instances); ``chunksize``, replications per submitted
        task (default about 1 % of ``n_reps`` on an executor); ``progress``, ``True`` prints a
        line to stderr every 5 % of replications, a callable receives ``(done, n_reps)`` as
        chunks finish.

    Returns
    -------
    pandas.DataFrame
        One row per (replication, method), methods in the given order: ``rep, method, estimate,
        se, ci_low, ci_high, p_value, truth, seconds, error`` (``error`` is empty unless the method
        raised; its estimate is then NaN). ``attrs["design"]`` holds the design.
    """
    design = dict(design or {})
    design.pop("seed", None)
    out = run_replications(methods, SimulatedPanels(design), n_reps, seed=seed, **options)
    out.attrs["design"] = design
    return out
