"""Monte Carlo machinery: bias and confidence-interval coverage of estimator x inference pairs.

A *method* is an estimator paired with an inference procedure (say TWFE with cluster-robust
errors, or Callaway--Sant'Anna with analytical errors). :func:`run_monte_carlo` draws
``n_reps`` panels from :func:`sosek_impact.simulate.simulate_staggered_panel`, applies every
method to every panel, and records the estimate, its confidence interval and the true value
of the method's target on that panel. :func:`summarise` turns the draws into bias (in units
of the error standard deviation ``sigma``), RMSE and coverage, each with its Monte Carlo
standard error, so that a reader (or a test) can tell a real failure from simulation noise.

Determinism: replication ``r`` uses its own seed, spawned from the master seed with
:class:`numpy.random.SeedSequence`; the panel and any randomness inside a method (bootstrap
weights, permutations) derive from it. Results therefore do not depend on the number of
worker processes or on the order in which replications finish.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from sosek_impact.simulate import simulate_staggered_panel, true_simple_att

__all__ = [
    "Estimate",
    "Method",
    "coverage_band",
    "replication_seeds",
    "run_monte_carlo",
    "summarise",
]


@dataclass(frozen=True)
class Estimate:
    """One estimate with its confidence interval.

    Attributes
    ----------
    estimate
        Point estimate.
    ci_low, ci_high
        Bounds of the confidence interval at the method's level (NaN if none).
    se
        Standard error, when the inference procedure has one (NaN otherwise).
    """

    estimate: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    se: float = math.nan


def _default_target(data: pd.DataFrame) -> float:
    return true_simple_att(data)


@dataclass(frozen=True)
class Method:
    """An estimator x inference pair to evaluate.

    Attributes
    ----------
    name
        Label used in tables, e.g. ``"TWFE + cluster"``.
    fit
        ``fit(data, seed) -> Estimate``; ``seed`` is an integer for any randomness of the
        inference (bootstrap, permutations).
    target
        ``target(data) -> float``: the true value the method should estimate on this panel
        (default: the simple ATT of Callaway and Sant'Anna, :func:`true_simple_att`).
    estimator, inference
        Short descriptions for tables.
    """

    name: str
    fit: Callable[[pd.DataFrame, int], Estimate]
    target: Callable[[pd.DataFrame], float] = _default_target
    estimator: str = ""
    inference: str = ""


@dataclass
class _Job:
    methods: Sequence[Method]
    design: Mapping[str, Any]
    seeds: list[int] = field(default_factory=list)


_JOB: _Job | None = None  # set in the parent before forking workers


def replication_seeds(seed: int, n_reps: int) -> list[int]:
    """Independent integer seeds for ``n_reps`` replications, spawned from ``seed``."""
    children = np.random.SeedSequence(seed).spawn(n_reps)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def _one_replication(rep: int) -> list[dict[str, Any]]:
    job = _JOB
    assert job is not None
    rep_seed = job.seeds[rep]
    data = simulate_staggered_panel(**job.design, seed=rep_seed)
    rows = []
    for k, m in enumerate(job.methods):
        # each method gets its own stream, so adding a method does not change the others
        method_seed = int(np.random.SeedSequence([rep_seed, k]).generate_state(1, dtype=np.uint32)[0])
        t0 = time.perf_counter()
        error = ""
        try:
            with warnings.catch_warnings():
                # e.g. "pre-test not computed": informative for a user, noise in 10^4 fits
                warnings.simplefilter("ignore")
                est = m.fit(data, method_seed)
        except Exception as exc:  # recorded, not hidden: summarise() counts failures
            est = Estimate(math.nan)
            error = f"{type(exc).__name__}: {exc}"
            if len(error) > 300:
                error = error[:300]
        rows.append(
            {
                "rep": rep,
                "method": m.name,
                "estimate": float(est.estimate),
                "se": float(est.se),
                "ci_low": float(est.ci_low),
                "ci_high": float(est.ci_high),
                "truth": float(m.target(data)),
                "seconds": time.perf_counter() - t0,
                "error": error,
            }
        )
    return rows


def run_monte_carlo(
    methods: Sequence[Method],
    n_reps: int,
    *,
    design: Mapping[str, Any] | None = None,
    seed: int = 20240101,
    n_jobs: int = 1,
    progress: bool | Callable[[int, int], None] = False,
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
    n_jobs
        Worker processes (``fork``); 1 runs in this process. Results do not depend on it.
    progress
        ``True`` prints a line to stderr every 5 % of replications; a callable receives
        ``(done, n_reps)``.

    Returns
    -------
    pandas.DataFrame
        One row per (replication, method), methods in the given order: ``rep, method, estimate, se, ci_low, ci_high,
        truth, seconds, error`` (``error`` is empty unless the method raised; its estimate
        is then NaN). ``attrs["design"]`` holds the design.
    """
    global _JOB
    if n_reps < 1:
        raise ValueError(f"n_reps must be >= 1, got {n_reps}")
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValueError(f"method names must be unique, got {names}")
    design = dict(design or {})
    design.pop("seed", None)
    _JOB = _Job(methods=list(methods), design=design, seeds=replication_seeds(seed, n_reps))

    if callable(progress):
        report = progress
    elif progress:
        step = max(1, n_reps // 20)
        t_start = time.perf_counter()

        def report(done: int, total: int) -> None:
            if done % step == 0 or done == total:
                el = time.perf_counter() - t_start
                print(f"  {done}/{total} replications, {el:.0f} s", file=sys.stderr, flush=True)

    else:

        def report(done: int, total: int) -> None:
            return None

    rows: list[dict[str, Any]] = []
    # One BLAS thread per process: the fits are small, so threads only contend (and
    # multithreaded reductions may differ in the last bit between runs).
    limiter = threadpool_limits(limits=1)
    try:
        if n_jobs <= 1:
            for r in range(n_reps):
                rows.extend(_one_replication(r))
                report(r + 1, n_reps)
        else:
            ctx = mp.get_context("fork")
            with ctx.Pool(n_jobs) as pool:
                for done, part in enumerate(pool.imap(_one_replication, range(n_reps), chunksize=1), 1):
                    rows.extend(part)
                    report(done, n_reps)
    except Exception:
        traceback.print_exc()
        raise
    finally:
        _JOB = None
        limiter.restore_original_limits()
    order = {name: k for k, name in enumerate(names)}
    out = pd.DataFrame(rows)
    out = out.sort_values(["rep", "method"], key=lambda c: c.map(order) if c.name == "method" else c, kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["design"] = design
    return out


def coverage_band(
    n_reps: int,
    *,
    low: float = 0.93,
    high: float = 0.97,
    nominal: float = 0.95,
    k: float = 3.0,
) -> tuple[float, float]:
    """Acceptance band for an estimated coverage rate, widened by simulation error.

    An estimated coverage from ``n_reps`` independent replications has standard error
    ``sqrt(p (1 - p) / n_reps)`` with ``p`` the true coverage; at ``p = nominal`` this is
    the Monte Carlo noise of a correct interval. The band ``[low - k se, high + k se]``
    accepts a correct interval except with probability of order ``2 Phi(-k)`` (0.3 % at
    ``k = 3``), while an interval whose true coverage lies outside ``[low, high]`` by more
    than ``2 k se`` is rejected with high probability.
    """
    se = math.sqrt(nominal * (1.0 - nominal) / n_reps)
    return max(0.0, low - k * se), min(1.0, high + k * se)


def summarise(draws: pd.DataFrame, *, sigma: float | None = None) -> pd.DataFrame:
    """Bias, RMSE and coverage per method, with Monte Carlo standard errors.

    Parameters
    ----------
    draws
        Output of :func:`run_monte_carlo`.
    sigma
        Scale for ``bias_sigma`` and ``rmse_sigma``; default ``draws.attrs["design"]["sigma"]``
        or 1.

    Returns
    -------
    pandas.DataFrame
        Indexed by method (in order of appearance): ``reps`` (successful), ``failures``,
        ``bias`` (mean of estimate - truth), ``mcse_bias`` (its standard error,
        sd / sqrt(reps)), ``bias_sigma`` and ``mcse_bias_sigma`` (divided by ``sigma``),
        ``sd`` (of the estimate), ``rmse_sigma``, ``mean_se`` (mean reported standard error),
        ``coverage`` (share of intervals holding the truth, NaN if the method gives no
        interval; an unbounded interval covers), ``mcse_coverage`` (``sqrt(c (1 - c) / reps)``),
        ``ci_width`` (mean over bounded intervals), ``infinite_ci`` (number of unbounded intervals),
        ``seconds`` (mean per fit).
    """
    if sigma is None:
        sigma = float(draws.attrs.get("design", {}).get("sigma", 1.0))
    out = []
    for name, d in draws.groupby("method", sort=False):
        ok = d[np.isfinite(d["estimate"])]
        err = ok["estimate"] - ok["truth"]
        n = len(ok)
        # an infinite (unbounded) interval is an interval and covers; NaN means no interval
        has_ci = ok["ci_low"].notna() & ok["ci_high"].notna()
        finite_ci = has_ci & np.isfinite(ok["ci_low"]) & np.isfinite(ok["ci_high"])
        cov = float(((ok["ci_low"] <= ok["truth"]) & (ok["truth"] <= ok["ci_high"]))[has_ci].mean()) if has_ci.any() else math.nan
        n_ci = int(has_ci.sum())
        bias = float(err.mean()) if n else math.nan
        sd = float(ok["estimate"].std(ddof=1)) if n > 1 else math.nan
        mcse = float(err.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        out.append(
            {
                "method": name,
                "reps": n,
                "failures": int(len(d) - n),
                "bias": bias,
                "mcse_bias": mcse,
                "bias_sigma": bias / sigma,
                "mcse_bias_sigma": mcse / sigma,
                "sd": sd,
                "rmse_sigma": float(np.sqrt((err**2).mean())) / sigma if n else math.nan,
                "mean_se": float(ok["se"].mean()) if ok["se"].notna().any() else math.nan,
                "coverage": cov,
                "mcse_coverage": math.sqrt(cov * (1 - cov) / n_ci) if n_ci else math.nan,
                "ci_width": float((ok["ci_high"] - ok["ci_low"])[finite_ci].mean()) if finite_ci.any() else math.nan,
                "infinite_ci": int((has_ci & ~finite_ci).sum()),
                "seconds": float(d["seconds"].mean()),
            }
        )
    return pd.DataFrame(out).set_index("method")


# ---------------------------------------------------------------------------------------------
# The estimator x inference pairs of the study. Column names are those of the simulator.
# Imports are local so that the machinery above works before every estimator exists.
# ---------------------------------------------------------------------------------------------

_COLS = {"y": "y", "unit": "unit", "time": "time"}


def fit_twfe_cluster(data: pd.DataFrame, seed: int) -> Estimate:
    """TWFE DiD with unit-clustered (CRV1) errors; interval from ``t(G - 1)``."""
    from sosek_impact.estimators import twfe

    res = twfe(data, treat="treat", **_COLS)
    ci = res.conf_int().loc["treat"]
    return Estimate(float(res.params["treat"]), float(ci.iloc[0]), float(ci.iloc[1]), float(res.std_errors["treat"]))


def fit_twfe_wild(data: pd.DataFrame, seed: int) -> Estimate:
    """TWFE DiD, restricted wild cluster bootstrap (Rademacher, 999 draws), interval by test inversion."""
    from sosek_impact.inference import wild_cluster_bootstrap

    r = wild_cluster_bootstrap(
        data, y="y", x="treat", param="treat", cluster="unit", fe=["unit", "time"], B=999,
        weights_type="rademacher", restricted=True, seed=seed, ci=True,
    )
    lo, hi = r.interval if r.interval is not None else (math.nan, math.nan)
    return Estimate(float(r.estimate), float(lo), float(hi), float(r.std_error))


def fit_twfe_conley_taber(data: pd.DataFrame, seed: int) -> Estimate:
    """TWFE DiD with the Conley--Taber (2011) interval (20,000 random pairings)."""
    from sosek_impact.inference import conley_taber

    r = conley_taber(data, treat="treat", max_pairings=20_000, seed=seed, **_COLS)
    return Estimate(float(r.estimate), float(r.interval[0]), float(r.interval[1]))


def randomization_interval(
    statistic: float, perm_y: np.ndarray, perm_d: np.ndarray, alpha: float = 0.05
) -> tuple[float, float]:
    """Confidence interval by inverting a permutation test of a constant additive effect.

    Under ``H0: tau = tau0`` the outcome without treatment is ``y - tau0 D``. A linear statistic
    (the TWFE coefficient) of that outcome is ``statistic - tau0`` at the observed assignment
    and ``a_b - tau0 c_b`` at permuted assignment ``b``, where ``a_b`` and ``c_b`` are the
    statistic of ``y`` and of the observed ``D`` under that permutation. The two-sided p-value is
    ``(1 + #{|a_b - tau0 c_b| >= |statistic - tau0|}) / (1 + B)``; the interval is the hull of
    the ``tau0`` whose p-value exceeds ``alpha`` (not rejected), found on a grid and refined by
    bisection.

    Parameters
    ----------
    statistic
        Observed statistic.
    perm_y, perm_d
        Statistic of ``y`` and of ``D`` under the same ``B`` permutations.
    alpha
        One minus the confidence level.
    """
    a = np.asarray(perm_y, dtype=float)
    c = np.asarray(perm_d, dtype=float)
    B = a.size
    limit = alpha * (1 + B) - 1  # p-value > alpha  <=>  count of extreme draws > limit

    def accepted(tau: np.ndarray) -> np.ndarray:
        tau = np.atleast_1d(tau)
        extreme = np.abs(a[None, :] - tau[:, None] * c[None, :]) >= np.abs(statistic - tau)[:, None]
        return extreme.sum(axis=1) > limit

    width = 10.0 * max(float(np.std(a)), 1e-12)
    grid = np.linspace(statistic - width, statistic + width, 2001)
    ok = accepted(grid)
    if not ok.any():
        return (math.nan, math.nan)
    i_lo, i_hi = int(np.argmax(ok)), int(len(ok) - 1 - np.argmax(ok[::-1]))
    if i_lo == 0 or i_hi == len(grid) - 1:
        return (-math.inf if i_lo == 0 else math.nan, math.inf if i_hi == len(grid) - 1 else math.nan)

    def refine(inside: float, outside: float) -> float:
        for _ in range(40):
            mid = 0.5 * (inside + outside)
            if accepted(mid)[0]:
                inside = mid
            else:
                outside = mid
        return inside

    return refine(grid[i_lo], grid[i_lo - 1]), refine(grid[i_hi], grid[i_hi + 1])


def fit_twfe_randomization(data: pd.DataFrame, seed: int) -> Estimate:
    """TWFE DiD with a randomisation-inference interval (999 permutations of adoption timing).

    The same permutations (same seed) are applied to ``y`` and to the treatment indicator, and
    the test of a constant effect is inverted by :func:`randomization_interval`.
    """
    from sosek_impact.inference import randomization_inference

    kw = dict(unit="unit", time="time", group="group", estimator="twfe", n_perm=999, seed=seed)
    ry = randomization_inference(data, y="y", **kw)
    rd = randomization_inference(data, y="treat", **kw)
    p0 = (1 + np.sum(np.abs(ry.distribution) >= abs(ry.statistic))) / (1 + ry.distribution.size)
    if ry.exact or not math.isclose(p0, ry.pvalue, rel_tol=1e-9):
        raise RuntimeError(f"unexpected randomisation p-value convention ({p0} vs {ry.pvalue})")
    lo, hi = randomization_interval(ry.statistic, ry.distribution, rd.distribution)
    return Estimate(float(ry.statistic), lo, hi)


def fit_sun_abraham(data: pd.DataFrame, seed: int) -> Estimate:
    """Sun--Abraham interaction-weighted overall ATT, unit-clustered errors, normal interval."""
    from sosek_impact.estimators import sun_abraham

    r = sun_abraham(data, group="group", **_COLS)
    z = 1.959963984540054
    return Estimate(float(r.estimate), r.estimate - z * r.std_error, r.estimate + z * r.std_error, float(r.std_error))


def _fit_cs(data: pd.DataFrame, rep_seed: int, **kwargs: Any) -> Estimate:
    from sosek_impact.estimators import att_gt

    agg = att_gt(data, group="group", **_COLS, **kwargs).aggregate("simple")
    o = agg.overall()
    return Estimate(float(o["att"]), float(o["ci_lower"]), float(o["ci_upper"]), float(o["se"]))


def fit_cs_analytical(data: pd.DataFrame, seed: int) -> Estimate:
    """Callaway--Sant'Anna simple ATT (never-treated controls, DR), influence-function errors, normal interval."""
    return _fit_cs(data, seed)


def fit_cs_not_yet(data: pd.DataFrame, seed: int) -> Estimate:
    """Callaway--Sant'Anna simple ATT with not-yet-treated controls, analytical errors."""
    return _fit_cs(data, seed, control="not_yet")


def fit_cs_bootstrap(data: pd.DataFrame, seed: int) -> Estimate:
    """Callaway--Sant'Anna simple ATT, multiplier-bootstrap (Mammen, 999 draws) errors."""
    return _fit_cs(data, seed, bootstrap=True, n_boot=999, seed=seed)


def standard_methods() -> list[Method]:
    """The estimator x inference pairs compared in ``docs/monte_carlo.md``.

    The few-treated pairs of :mod:`sosek_impact.montecarlo_methods` (heterogeneity-robust
    estimators with randomisation or Conley--Taber-type intervals) follow the original eight.
    """
    from sosek_impact.montecarlo_methods import few_treated_methods

    return [
        Method("TWFE + cluster", fit_twfe_cluster, estimator="TWFE", inference="cluster-robust (CRV1), t(G-1)"),
        Method("TWFE + wild bootstrap", fit_twfe_wild, estimator="TWFE", inference="WCR bootstrap, Rademacher, 999, test inversion"),
        Method("TWFE + randomisation inference", fit_twfe_randomization, estimator="TWFE", inference="permuted adoption timing, 999, test inversion"),
        Method("TWFE + Conley-Taber", fit_twfe_conley_taber, estimator="TWFE", inference="Conley-Taber (2011), 20,000 pairings"),
        Method("CS + analytical", fit_cs_analytical, estimator="Callaway-Sant'Anna (never, dr)", inference="influence function, normal"),
        Method("CS not-yet + analytical", fit_cs_not_yet, estimator="Callaway-Sant'Anna (not-yet, dr)", inference="influence function, normal"),
        Method("CS + multiplier bootstrap", fit_cs_bootstrap, estimator="Callaway-Sant'Anna (never, dr)", inference="multiplier bootstrap (999)"),
        Method("Sun-Abraham", fit_sun_abraham, estimator="Sun-Abraham (never)", inference="cluster-robust, normal"),
        *few_treated_methods(),
    ] + _imputation_methods()


def _imputation_methods() -> list[Method]:
    """Imputation estimator and wild-bootstrap pairs (``sosek_impact.montecarlo_imputation``)."""
    from sosek_impact import montecarlo_imputation as mi

    return [
        Method("SA + wild bootstrap", mi.fit_sa_wild, estimator="Sun-Abraham (never)",
               inference="WCR bootstrap, Webb, 999, test inversion"),
        Method("Imputation + wild bootstrap", mi.fit_imputation_wild, estimator="Imputation (BJS)",
               inference="WCR bootstrap, Webb, 999, test inversion"),
        Method("Imputation + analytical", mi.fit_imputation_analytical, estimator="Imputation (BJS)",
               inference="BJS conservative (leave-out), normal"),
    ]
