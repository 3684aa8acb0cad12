"""Randomisation (permutation) inference for staggered adoption: permute treatment timing.

Under the sharp null of no effect for any unit in any period, the outcomes do not depend on
which unit got which first-treated period, so re-assigning the vector of first-treated periods
across units (keeping how many units start in each period) and re-estimating gives the null
distribution of any statistic (Fisher 1935; for DiD with few treated units see MacKinnon &
Webb 2020, "Randomization inference for difference-in-differences with few treated clusters").

With ``n`` units and cohort sizes ``n_g`` there are ``n! / Π n_g!`` distinct assignments; when
that is at most ``n_perm`` they are all enumerated and the p-value is exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError
from sosek_impact.estimators._checks import check_balanced, check_choice, check_panel, never_treated_mask
from sosek_impact.results_protocol import ResultsProtocol, format_number

__all__ = ["randomization_inference", "RandomizationResult", "n_assignments", "distinct_permutations"]

Estimator = Callable[[pd.DataFrame, str, str, str, str], float]


@dataclass(frozen=True, repr=False, eq=False)
class RandomizationResult(ResultsProtocol):
    """Observed statistic, its permutation distribution and the p-value (in the results protocol).

    ``pvalue`` is ``(1 + #{|θ_b| ≥ |θ|}) / (1 + B)`` for ``B`` random permutations (the observed
    assignment counted once, which keeps the test exact), or ``#{|θ_a| ≥ |θ|} / A`` over all ``A``
    distinct assignments when enumerated (``exact``). One-sided versions use ``θ_b ≥ θ`` or ``≤``.
    ``tidy()`` has one row: ``estimate`` is the observed statistic, ``p_value`` the randomisation
    p-value; there is no standard error or interval (NaN), as a test of the sharp null gives none.
    """

    statistic: float
    pvalue: float
    distribution: np.ndarray = field(repr=False)
    n_perm: int
    exact: bool
    n_assignments: int
    scheme: str
    alternative: str
    estimator: str
    seed: int | None

    def _tidy(self, alpha: float) -> pd.DataFrame:
        return pd.DataFrame({
            "term": [self.estimator], "estimate": [self.statistic], "std_error": [np.nan], "statistic": [np.nan],
            "p_value": [self.pvalue], "conf_low": [np.nan], "conf_high": [np.nan],
            "method": [f"randomization ({self.scheme}, {self.alternative})"], "exact": [self.exact],
        })

    def _summary_header(self) -> list[str]:
        how = (f"all {format_number(self.n_perm)} assignments (exact)" if self.exact
               else f"{format_number(self.n_perm)} random permutations")
        return [f"Randomisation inference ({self.scheme}, {how}; estimator {self.estimator})",
                f"{self.alternative} p-value of the sharp null of no effect; no standard error or interval"]


def n_assignments(groups: Sequence[Any]) -> int:
    """Number of distinct re-assignments of a vector of first-treated periods (multinomial)."""
    counts = pd.Series(list(groups)).value_counts().to_numpy()
    return math.factorial(len(groups)) // math.prod(math.factorial(int(c)) for c in counts)


def distinct_permutations(values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Every distinct ordering of a multiset, each once (lexicographic order of the sorted values)."""
    items = sorted(values)
    n = len(items)
    while True:
        yield tuple(items)
        # next lexicographic permutation (Narayana Pandita)
        i = n - 2
        while i >= 0 and items[i] >= items[i + 1]:
            i -= 1
        if i < 0:
            return
        j = n - 1
        while items[j] <= items[i]:
            j -= 1
        items[i], items[j] = items[j], items[i]
        items[i + 1 :] = reversed(items[i + 1 :])


def _twfe_statistic(data: pd.DataFrame, y: str, unit: str, time: str, group: str) -> float:
    """TWFE coefficient of ``1{time ≥ group}`` (group > 0), unit and time effects."""
    from sosek_impact.estimators.twfe import fit_fe_ols

    g = data[group].to_numpy(dtype=float, na_value=0.0)
    d = ((g > 0) & (data[time].to_numpy(dtype=float) >= g)).astype(float)
    reg = pd.DataFrame({"treat": d}, index=data.index)
    return float(fit_fe_ols(data, y, unit, time, reg, backend="within").params["treat"])


def _att_gt_statistic(data: pd.DataFrame, y: str, unit: str, time: str, group: str) -> float:
    from sosek_impact.estimators import att_gt

    return float(att_gt(data, y=y, unit=unit, time=time, group=group).aggregate("simple").estimate)


_NAMED: dict[str, Estimator] = {"twfe": _twfe_statistic, "att_gt": _att_gt_statistic}


def _balanced_twfe_many(y: np.ndarray, periods: np.ndarray, G: np.ndarray) -> np.ndarray:
    """TWFE treatment coefficients for many assignments at once on a balanced panel.

    ``y`` is ``(n_units, T)``, ``G`` is ``(n_assign, n_units)`` first-treated periods (0 = never).
    On a balanced panel the two-way within transform is ``x − x̄_i − x̄_t + x̄``, so each
    coefficient is ``D̈'ÿ / D̈'D̈`` without refitting.
    """
    yd = y - y.mean(1, keepdims=True) - y.mean(0, keepdims=True) + y.mean()
    D = ((G[:, :, None] > 0) & (periods[None, None, :] >= G[:, :, None])).astype(float)
    Dd = D - D.mean(2, keepdims=True) - D.mean(1, keepdims=True) + D.mean((1, 2), keepdims=True)
    num = np.einsum("aut,ut->a", Dd, yd)
    den = np.einsum("aut,aut->a", Dd, Dd)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def randomization_inference(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    group: str,
    estimator: str | Estimator = "twfe",
    n_perm: int = 999,
    seed: int | None = None,
    scheme: str = "permute_timing",
    *,
    strata: str | None = None,
    alternative: str = "two-sided",
    exact: bool | None = None,
) -> RandomizationResult:
    """Permutation test of the sharp null of no effect by re-assigning first-treated periods.

    Parameters
    ----------
    data
        Long panel, one row per (unit, time).
    y, unit, time
        Outcome, unit and period columns.
    group
        First treated period of each unit (0 or missing = never treated).
    estimator
        ``"twfe"`` (TWFE coefficient, default), ``"att_gt"`` (Callaway–Sant'Anna simple ATT) or a
        callable ``f(data, y, unit, time, group) -> float`` re-estimated on each assignment.
    n_perm
        Number of random permutations; if the number of distinct assignments is at most
        ``n_perm`` they are all used instead (unless ``exact=False``).
    seed
        Seed of :func:`numpy.random.default_rng`.
    scheme
        ``"permute_timing"``: permute the unit-level vector of first-treated periods across
        units (within ``strata`` if given), keeping the number of units per cohort.
    strata
        Optional unit-level column (e.g. province): permute only within its levels.
    alternative
        ``"two-sided"`` (``|θ_b| ≥ |θ|``), ``"greater"`` or ``"less"``.
    exact
        Force (``True``) or forbid (``False``) full enumeration; automatic by default.

    Returns
    -------
    RandomizationResult
    """
    check_choice("scheme", scheme, ("permute_timing",))
    check_choice("alternative", alternative, ("two-sided", "greater", "less"))
    check_panel(data, y=y, unit=unit, time=time, group=group, balanced=False)
    name = estimator if isinstance(estimator, str) else getattr(estimator, "__name__", "callable")
    if isinstance(estimator, str):
        check_choice("estimator", estimator, sorted(_NAMED))  # or a callable
        func = _NAMED[estimator]
    else:
        func = estimator

    units = pd.unique(data[unit])
    per_unit = data.groupby(unit, sort=False)[group].first().reindex(units)
    g_obs = per_unit.to_numpy(dtype=float, na_value=0.0)
    g_obs[never_treated_mask(per_unit)] = 0.0
    if strata is None:
        blocks = [np.arange(len(units))]
    else:
        s = data.groupby(unit, sort=False)[strata].agg(["first", "nunique"]).reindex(units)
        if (s["nunique"] > 1).any():
            raise EstimationError(f"strata column {strata!r} must be constant within each unit")
        blocks = [np.flatnonzero(s["first"].to_numpy() == v) for v in pd.unique(s["first"])]
    total = math.prod(n_assignments(g_obs[b]) for b in blocks)
    if total < 2:
        raise EstimationError("only one assignment of treatment timing exists; nothing to permute")
    enumerate_all = (total <= n_perm) if exact is None else bool(exact)
    if enumerate_all and total > 200_000:
        raise EstimationError(f"{total} assignments are too many to enumerate; use random permutations")
    rng = np.random.default_rng(seed)
    if enumerate_all:
        per_block = [list(distinct_permutations(g_obs[b].tolist())) for b in blocks]
        combos = np.zeros((total, len(units)))
        idx = np.indices([len(p) for p in per_block]).reshape(len(blocks), -1).T
        for row, choice in enumerate(idx):
            for b, block, c in zip(range(len(blocks)), blocks, choice):
                combos[row, block] = per_block[b][c]
        assignments = combos
    else:
        assignments = np.tile(g_obs, (n_perm, 1))
        for b in blocks:
            assignments[:, b] = rng.permuted(assignments[:, b], axis=1)

    fast = estimator == "twfe"
    try:
        check_balanced(data, unit, time)
    except EstimationError:
        fast = False
    if fast:
        wide = data.pivot(index=unit, columns=time, values=y).reindex(units)
        periods = wide.columns.to_numpy(dtype=float)
        Y = wide.to_numpy(dtype=float)
        stat = float(_balanced_twfe_many(Y, periods, g_obs[None, :])[0])
        dist = np.concatenate([_balanced_twfe_many(Y, periods, assignments[i : i + 256])
                               for i in range(0, len(assignments), 256)])
    else:
        stat = float(func(data, y, unit, time, group))
        codes = pd.Index(units).get_indexer(data[unit])
        dist = np.empty(len(assignments))
        for i, a in enumerate(assignments):
            dist[i] = func(data.assign(**{group: a[codes]}), y, unit, time, group)

    tol = 1e-10 * max(1.0, abs(stat))
    if alternative == "two-sided":
        hits = np.abs(dist) >= abs(stat) - tol
    elif alternative == "greater":
        hits = dist >= stat - tol
    else:
        hits = dist <= stat + tol
    hits &= ~np.isnan(dist)
    if enumerate_all:
        p = float(hits.sum() / len(dist))
    else:
        p = float((1 + hits.sum()) / (1 + len(dist)))
    dist.flags.writeable = False
    return RandomizationResult(
        statistic=stat, pvalue=p, distribution=dist, n_perm=len(dist), exact=enumerate_all,
        n_assignments=int(total), scheme=scheme, alternative=alternative, estimator=name, seed=seed,
    )
