"""``run_monte_carlo(executor=...)``: the same draws as a local run, wherever and in whatever order chunks run."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp

import pandas as pd
import pytest

from sosek_impact.montecarlo import FewTreatedFit, Method, fit_cs_analytical, run_monte_carlo

DESIGN = {"n_units": 24, "n_periods": 6, "cohorts": {2003: 1, 2004: 2}, "effect": "constant"}
# package-level (picklable) fits: an analytical interval and a seeded randomisation interval
METHODS = [
    Method("CS + analytical", fit_cs_analytical),
    Method("CS + RI", FewTreatedFit("cs", "randomization", n_draws=99)),
]
COLS = ["rep", "method", "estimate", "se", "ci_low", "ci_high", "p_value", "truth", "error"]
N = 10


@pytest.fixture(scope="module")
def local() -> pd.DataFrame:
    return run_monte_carlo(METHODS, N, design=DESIGN, seed=5)


class ReversedExecutor(cf.Executor):
    """Runs nothing until all ``n`` tasks are submitted, then runs them last-first."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.pending: list = []

    def submit(self, fn, /, *args, **kwargs):
        fut: cf.Future = cf.Future()
        self.pending.append((fut, fn, args, kwargs))
        if len(self.pending) == self.n:
            for f, g, a, k in reversed(self.pending):
                f.set_result(g(*a, **k))
        return fut


def test_local_run_is_sane(local):
    assert len(local) == 2 * N and (local["error"] == "").all()
    ri = local["method"] == "CS + RI"
    assert local.loc[ri, "p_value"].between(0, 1).all()  # the few-treated fit reports its p-value
    assert local.loc[~ri, "p_value"].isna().all()  # the analytical one has none: left missing


def test_order_of_completion_does_not_matter(local):
    out = run_monte_carlo(METHODS, N, design=DESIGN, seed=5, executor=ReversedExecutor(N), chunksize=1)
    pd.testing.assert_frame_equal(out[COLS], local[COLS])
    other = run_monte_carlo(METHODS, N, design=DESIGN, seed=6, executor=ReversedExecutor(N), chunksize=1)
    assert not other["estimate"].equals(local["estimate"])  # the seed matters: the comparison can fail


def test_threads_and_processes_give_the_local_draws(local):
    with cf.ThreadPoolExecutor(3) as ex:
        pd.testing.assert_frame_equal(run_monte_carlo(METHODS, N, design=DESIGN, seed=5, executor=ex)[COLS], local[COLS])
    with cf.ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as ex:
        out = run_monte_carlo(METHODS, N, design=DESIGN, seed=5, executor=ex, chunksize=3)
    pd.testing.assert_frame_equal(out[COLS], local[COLS])
    assert out.attrs["design"] == local.attrs["design"]


def test_progress_is_reported_with_an_executor():
    calls: list[tuple[int, int]] = []
    run_monte_carlo(METHODS[:1], 7, design=DESIGN, seed=1, executor=ReversedExecutor(4), chunksize=2,
                    progress=lambda d, t: calls.append((d, t)))
    assert [t for _, t in calls] == [7] * 4
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == 7 and len(set(done)) == 4


def test_bad_executor_is_a_type_error():
    with pytest.raises(TypeError, match="concurrent.futures.Executor"):
        run_monte_carlo(METHODS, 2, design=DESIGN, executor=object())


@pytest.mark.parametrize("processes", [False, True])
def test_dask_cluster_gives_the_local_draws(local, processes):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        calls: list[int] = []
        out = run_monte_carlo(METHODS, N, design=DESIGN, seed=5, executor=client.get_executor(), chunksize=2,
                              progress=lambda d, t: calls.append(d))
    pd.testing.assert_frame_equal(out[COLS], local[COLS])
    assert calls[-1] == N and calls == sorted(calls)
