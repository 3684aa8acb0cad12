"""Placebo study on the user's own panel: how often does each method reject a true null of no effect?

:func:`placebo_study` removes the truly treated units, gives *fake* adoption timings to untreated
units -- the real design's cohorts (their years and sizes) -- and applies every estimator x inference
spec to each fake design. No unit is treated, so every rejection of "no effect" is a false one: the
rejection rate at ``alpha`` is the method's size *on these data* (their noise, serial correlation and
unit sizes), which a simulation from a model cannot promise. Fake adopters can be drawn

* ``draw="random"``: uniformly from the untreated units, or from a named subset (``among=``: a boolean
  unit-level column, a callable, or unit ids -- e.g. the smallest third by population, when the real
  treated units are small);
* ``draw="matched"``: for each real treated unit, one of the ``n_nearest`` untreated units nearest to
  it by a ``size`` column (mean over the unit's observed rows), without replacement.

Each draw is one replication of :func:`sosek_impact.montecarlo.engine.run_replications`, so it runs in
this process, in local processes (``n_jobs``) or on any ``concurrent.futures.Executor`` (``executor=``,
e.g. a Dask cluster), with the same draws wherever it runs. The fake assignments are drawn in this
process from ``seed`` before any fit, so the study is deterministic given ``seed``.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sosek_impact.errors import GroupColumnError, MissingValueError, SchemaError
from sosek_impact.estimators._checks import check_panel
from sosek_impact.inference.placebo_result import PlaceboStudyResult
from sosek_impact.montecarlo.engine import run_replications
from sosek_impact.montecarlo.method import Method
from sosek_impact.montecarlo.methods_few_treated import few_treated_method
from sosek_impact.results_protocol import plain

__all__ = ["PlaceboStudyResult", "placebo_specs", "placebo_study"]

Spec = Method | tuple


def placebo_specs(
    estimators: Sequence[str] = ("cs", "imputation"),
    methods: Sequence[str] = ("randomization", "conley_taber"),
    scales: Sequence[str | None] = (None,),
    *,
    n_draws: int | None = 999,
    alpha: float = 0.05,
) -> list[Method]:
    """Few-treated specs (estimator x method x scale), built by the Monte Carlo's one factory.

    ``n_draws`` re-assignments / pairings per fit: 999 for both methods by default (the Monte
    Carlo tables use 4,999 Conley--Taber pairings; its quantile search costs about 5x more there
    and the size of a test does not depend on the number of draws); ``None`` takes the Monte
    Carlo's. ``scale=None`` leaves ``few_treated_inference``'s default; intervals at level
    ``1 - alpha``.
    """
    return [few_treated_method(e, m, s, n_draws=n_draws, alpha=alpha) for e in estimators for m in methods
            for s in scales]


def _zero(data: pd.DataFrame) -> float:
    return 0.0


def _as_method(spec: Spec, alpha: float) -> Method:
    if isinstance(spec, Method):
        m = spec
    elif isinstance(spec, tuple) and 2 <= len(spec) <= 3:
        m = few_treated_method(*spec, alpha=alpha)
    else:
        raise TypeError(f"a spec is a Method or a tuple (estimator, method[, scale]), got {spec!r}")
    return dataclasses.replace(m, target=_zero)  # a placebo effect is zero


@dataclass(frozen=True)
class PlaceboPanels:
    """Panel maker of the study: the untreated units' panel with the fake first-treated periods of draw ``rep``.

    ``base`` holds columns ``y, unit, time`` (sorted by unit, time) and ``codes`` the unit index of
    each row; ``groups[rep]`` is the (n_units,) fake first-treated period of every unit (0 = never).
    """

    base: pd.DataFrame
    codes: np.ndarray
    groups: np.ndarray

    def __call__(self, seed: int, rep: int) -> pd.DataFrame:
        out = self.base.copy()
        out["group"] = self.groups[rep][self.codes]
        return out


@dataclass(frozen=True)
class _Pool:
    units: np.ndarray  # untreated units (sorted)
    eligible: np.ndarray  # bool, may be a fake adopter
    size: np.ndarray | None  # size of each pool unit (matched draw)
    treated_size: np.ndarray | None  # size of each real treated unit, aligned with treated_cohort
    treated_cohort: np.ndarray  # real cohort of each real treated unit
    notes: list[str] = field(default_factory=list)


def _unit_values(data: pd.DataFrame, unit: str, col: str, what: str) -> pd.Series:
    if col not in data.columns:
        raise SchemaError(f"{what} column {col!r} is not in the data", column=col)
    return data.groupby(unit, sort=True)[col]


def _among_mask(among: Any, pool_data: pd.DataFrame, unit: str, units: np.ndarray, all_units: set,
                notes: list[str]) -> np.ndarray:
    if among is None:
        return np.ones(len(units), dtype=bool)
    if isinstance(among, str):
        g = _unit_values(pool_data, unit, among, "among")
        s = g.agg(["first", "nunique"]).reindex(units)
        if (s["nunique"] > 1).any():
            raise GroupColumnError(f"among column {among!r} must be constant within a unit; "
                                   f"{unit}={plain(s.index[s['nunique'] > 1][0])!r} has several values")
        if s["first"].isna().any():
            u = plain(s.index[s["first"].isna()][0])
            raise MissingValueError(f"among column {among!r} is missing for {unit}={u!r}", column=among, unit=u)
        if not np.isin(s["first"].to_numpy(), [0, 1, True, False]).all():
            raise GroupColumnError(f"among column {among!r} must be boolean (0/1)")
        return s["first"].to_numpy().astype(bool)
    chosen = among(pool_data) if callable(among) else among
    if isinstance(chosen, pd.Series) and pd.api.types.is_bool_dtype(chosen):
        ids = list(chosen.index[chosen.to_numpy(dtype=bool)])
    else:
        ids = list(chosen)
    unknown = [plain(u) for u in ids if u not in all_units]
    if unknown:
        raise GroupColumnError(f"among names unit(s) that are not in the panel: {unknown[:5]}")
    pool = set(units.tolist())
    treated = [plain(u) for u in ids if u not in pool]
    if treated:
        notes.append(f"among names {len(treated)} truly treated unit(s) {treated[:5]}: they are dropped, never fake "
                     "adopters")
    return np.isin(units, ids)


def _unit_size(data: pd.DataFrame, unit: str, size: str, units: np.ndarray) -> np.ndarray:
    g = _unit_values(data, unit, size, "size")
    if not pd.api.types.is_numeric_dtype(data[size]):
        raise SchemaError(f"size column {size!r} must be numeric", column=size)
    s = g.mean().reindex(units)  # mean over the unit's observed rows; a unit with none stays missing
    if s.isna().any():
        u = s.index[s.isna()][0]
        raise MissingValueError(f"size column {size!r} has no value for {unit}={plain(u)!r}", column=size, unit=plain(u))
    return s.to_numpy(dtype=float)


def _draw_groups(pool: _Pool, cohort_list: np.ndarray, draw: str, n_draws: int, n_nearest: int,
                 rng: np.random.Generator) -> np.ndarray:
    """(n_draws, n_pool) fake first-treated periods."""
    n = len(pool.units)
    k = len(cohort_list)
    elig = np.flatnonzero(pool.eligible)
    out = np.zeros((n_draws, n), dtype=float)
    if draw == "random":
        for r in range(n_draws):
            out[r, rng.choice(elig, size=k, replace=False)] = rng.permutation(cohort_list)
        return out
    # matched: each real treated unit (random order) takes one of its n_nearest free eligible units
    assert pool.size is not None and pool.treated_size is not None
    for r in range(n_draws):
        free = np.ones(n, dtype=bool)
        free[~pool.eligible] = False
        for j in rng.permutation(len(pool.treated_cohort)):
            cand = np.flatnonzero(free)
            dist = np.abs(pool.size[cand] - pool.treated_size[j])
            near = cand[np.argsort(dist, kind="stable")[:n_nearest]]
            pick = rng.choice(near)
            out[r, pick] = pool.treated_cohort[j]
            free[pick] = False
    return out


def placebo_study(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    group: str,
    *,
    specs: Sequence[Spec] | None = None,
    n_draws: int = 1000,
    draw: Literal["random", "matched"] = "random",
    among: str | Callable[[pd.DataFrame], Any] | Sequence[Any] | None = None,
    size: str | None = None,
    n_nearest: int = 3,
    cohorts: Mapping[int, int] | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    n_jobs: int = 1,
    executor: cf.Executor | None = None,
    chunksize: int | None = None,
    progress: bool | Callable[[int, int], None] = False,
) -> PlaceboStudyResult:
    """Rejection rates of a true null, interval lengths, on the panel's untreated units with fake timings.

    Parameters
    ----------
    data
        Balanced long panel, one row per (unit, time).
    y, unit, time, group
        Outcome, unit, period and first-treated-period columns (0 or missing: never treated).
    specs
        Estimator x inference specs: :class:`~sosek_impact.montecarlo.method.Method` objects (fit on
        columns ``y, unit, time, group``; their intervals at their own level) or tuples
        ``(estimator, method[, scale])`` of ``few_treated_inference`` (built at ``alpha``). Default :func:`placebo_specs`: CS and imputation with randomisation
        inference and the Conley--Taber-type interval.
    n_draws
        Fake designs.
    draw
        ``"random"`` or ``"matched"`` (module docstring).
    among
        Restrict fake adopters to a subset of the untreated units: a boolean unit-level column, a
        callable receiving the untreated units' panel and returning a boolean Series indexed by unit
        (or unit ids), or unit ids. Truly treated units it names are never fake adopters (noted);
        units not in the panel are an error.
    size
        Size column for ``draw="matched"``.
    n_nearest
        Matched draw: candidates per real treated unit.
    cohorts
        Fake cohorts ``{period: n_units}``; default the real ones (first-treated periods within the
        panel's window; units first treated after the last period are untreated in the sample, as
        the estimators count them, and stay in the pool).
    alpha
        Level of the tests; a rejection is an interval excluding 0 (specs are built at this level).
    seed
        Master seed (fake assignments and every randomness inside the fits).
    n_jobs, executor, chunksize, progress
        As in :func:`~sosek_impact.montecarlo.engine.run_replications`.

    Returns
    -------
    PlaceboStudyResult
        ``tidy()``: one row per spec, the rejection rate as ``estimate`` with its Monte Carlo standard
        error, a Clopper--Pearson interval and the exact binomial p-value of "size = alpha";
        ``draws``: one row per (draw, spec).

    Raises
    ------
    SchemaError, MissingValueError, GroupColumnError, ValueError
        Missing columns, a missing size, a bad subset, or too few eligible units for the cohorts.
    """
    if draw not in ("random", "matched"):
        raise ValueError(f"draw must be 'random' or 'matched', got {draw!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if int(n_draws) != n_draws or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}")
    missing = [c for c in (y, unit, time, group) if c not in data.columns]
    if missing:
        raise SchemaError(f"column(s) {missing} are not in the data", column=missing[0])
    # once for every draw: numeric, complete, balanced (MissingValueError / UnbalancedPanelError name the cell)
    check_panel(data, y=y, unit=unit, time=time)
    if not pd.api.types.is_numeric_dtype(data[group]):
        raise GroupColumnError(f"group column {group!r} must hold first-treated periods (numbers), "
                               f"got dtype {data[group].dtype}")
    periods = np.sort(pd.unique(data[time]))
    g_unit = data.groupby(unit, sort=True)[group].agg(["first", "nunique"])
    if (g_unit["nunique"] > 1).any():
        raise GroupColumnError(f"group column {group!r} must be constant within a unit; "
                               f"{unit}={plain(g_unit.index[g_unit['nunique'] > 1][0])!r} has several values")
    g_all = g_unit["first"].fillna(0).to_numpy(dtype=float)
    in_window = (g_all > 0) & (g_all <= periods[-1])
    notes = []
    late = int(((g_all > periods[-1])).sum())
    if late:
        notes.append(f"{late} unit(s) first treated after the last period {periods[-1]} are untreated in the sample "
                     "and stay in the pool")
    treated_units = g_unit.index[in_window].to_numpy()
    treated_cohort = g_all[in_window]
    if cohorts is None:
        if not len(treated_units):
            raise GroupColumnError(f"no unit is treated within the panel's periods (group column {group!r}); "
                                   "give cohorts={period: n_units}")
        cohort_list = np.sort(treated_cohort)
    else:
        bad = [c for c in cohorts if not periods[0] < c <= periods[-1]]
        if bad:
            raise GroupColumnError(f"fake cohort(s) {bad} must start after the first period {_plain_int(periods[0])} "
                                   f"and by the last {_plain_int(periods[-1])}")
        cohort_list = np.sort(np.repeat([float(c) for c in cohorts], [int(v) for v in cohorts.values()]))
    cohort_sizes = {_plain_int(c): int((cohort_list == c).sum()) for c in np.unique(cohort_list)}

    pool_data = data[~data[unit].isin(treated_units)]
    units = np.sort(pd.unique(pool_data[unit]))
    eligible = _among_mask(among, pool_data, unit, units, set(g_unit.index.tolist()), notes)
    pool_size = treated_size = None
    if draw == "matched":
        if size is None:
            raise ValueError("draw='matched' needs size=, a numeric column to match on")
        if cohorts is not None:
            raise ValueError("draw='matched' matches the real treated units; it takes no cohorts=")
        pool_size = _unit_size(pool_data, unit, size, units)
        treated_size = _unit_size(data[data[unit].isin(treated_units)], unit, size, treated_units)
    if int(eligible.sum()) < len(cohort_list):
        raise ValueError(f"{int(eligible.sum())} eligible untreated unit(s) cannot hold the {len(cohort_list)} fake "
                         f"adopters of cohorts {cohort_sizes}")
    pool = _Pool(units, eligible, pool_size, treated_size, treated_cohort, notes)

    ss = np.random.SeedSequence(seed)
    draw_ss, fit_ss = ss.spawn(2)
    groups = _draw_groups(pool, cohort_list, draw, int(n_draws), int(n_nearest), np.random.default_rng(draw_ss))
    n_distinct = int(np.unique(groups, axis=0).shape[0])
    if n_distinct < int(n_draws) / 2:
        notes.append(f"only {n_distinct} distinct fake designs among {int(n_draws)} draws: draws repeat designs, so the "
                     "Monte Carlo standard errors (which treat draws as independent) understate the uncertainty of "
                     f"the rates; they describe these {n_distinct} designs")

    base = pool_data[[unit, time, y]].sort_values([unit, time], kind="mergesort").reset_index(drop=True)
    base.columns = ["unit", "time", "y"]
    codes = np.searchsorted(units, base["unit"].to_numpy())
    methods = [_as_method(s, alpha) for s in (specs if specs is not None else placebo_specs(alpha=alpha))]
    fit_seed = int(fit_ss.generate_state(1, dtype=np.uint32)[0])
    draws = run_replications(methods, PlaceboPanels(base, codes, groups), int(n_draws), seed=fit_seed,
                             n_jobs=n_jobs, executor=executor, chunksize=chunksize, progress=progress)
    draws = draws.drop(columns=["truth"]).rename(columns={"rep": "draw"})
    fake = {r: "; ".join(f"{units[i]}:{int(groups[r, i])}" for i in np.flatnonzero(groups[r] > 0))
            for r in range(int(n_draws))}
    draws["fake_adopters"] = draws["draw"].map(fake)
    settings = dict(y=y, unit=unit, time=time, group=group, draw=draw, among=_describe(among), size=size,
                    n_nearest=int(n_nearest), seed=seed, n_pool=len(units), n_eligible=int(eligible.sum()),
                    n_distinct_designs=n_distinct,
                    dropped_treated=[_plain_int(u) for u in treated_units])
    return PlaceboStudyResult(draws=draws, methods=tuple(m.name for m in methods), alpha=float(alpha),
                              n_draws=int(n_draws), cohorts=cohort_sizes, settings=settings, notes=tuple(notes))


def _plain_int(v: Any) -> Any:
    """``2017.0`` -> ``2017``; other values unchanged (as plain Python values)."""
    v = v.item() if isinstance(v, np.generic) else v
    return int(v) if isinstance(v, float) and math.isfinite(v) and v == int(v) else v


def _describe(among: Any) -> str | None:
    if among is None or isinstance(among, str):
        return among
    return getattr(among, "__name__", type(among).__name__)
