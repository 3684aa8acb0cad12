"""Seeded simulator of staggered-adoption panels with a known treatment effect.

The data-generating process (DGP) is the one the Monte Carlo study and several test
suites use to check that an estimator recovers a known effect::

    y_it = alpha_i + lambda_t + x_i' (beta * s_t) + tau_it * D_it + e_it
    e_it = rho * e_i,t-1 + u_it,    u_it ~ N(0, sigma^2 (1 - rho^2))

* ``alpha_i ~ N(treated_fe_shift * 1{treated}, unit_fe_sd^2)`` -- level differences between
  treated and untreated units are allowed (they do not break parallel trends);
* ``lambda_t ~ N(0, time_fe_sd^2)`` i.i.d. across periods;
* ``x_i ~ N(covariate_shift * 1{treated}, 1)`` time-invariant covariates; with
  ``covariate_trend != 0`` they move the outcome along ``s_t = (t - t_0) / (T - 1)`` so
  parallel trends hold only *conditional* on ``x`` (unconditionally when
  ``covariate_shift == 0``);
* ``e_it`` is a stationary AR(1): its marginal standard deviation is ``sigma`` whatever
  ``rho`` is, so "bias in units of sigma" has one meaning across designs. Unequal noise
  (optional): every error path of an ever-treated unit is multiplied by
  ``treated_noise_ratio``, and with a ``population`` vector unit ``i``'s by
  ``sqrt((1 / population_i) / mean(1 / population))`` (SD proportional to
  ``1 / sqrt(population)``, mean variance ``sigma^2``), the treated units then being the
  smallest ones with ``treated="smallest"``;
* ``D_it = 1{t >= G_i}`` with ``G_i`` the first treated period (0 = never treated);
  treatment is absorbing and there is no anticipation.

The effect ``tau_it`` is a deterministic function of the cohort ``G_i`` and the event time
``e = t - G_i`` (plus optional unit-level noise ``effect_sd``), so the true group-time
effects ATT(g, t) are known exactly; :func:`true_att_gt`, :func:`true_aggregate` and
:func:`twfe_estimand` compute the targets an estimator should hit (they live in
:mod:`sosek_impact.simulate_targets` and are re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from sosek_impact.simulate_targets import true_aggregate, true_att_gt, true_simple_att, twfe_estimand

__all__ = [
    "EffectFunction",
    "default_cohorts",
    "effect_function",
    "simulate_staggered_panel",
    "true_aggregate",
    "true_att_gt",
    "true_simple_att",
    "twfe_estimand",
]

#: An effect function maps arrays of cohorts ``g`` and periods ``t`` (treated cells only,
#: ``t >= g``) to the effect ``tau(g, t)`` of each cell.
EffectFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]

EffectKind = Literal["constant", "dynamic", "heterogeneous"]

#: Growth of the "dynamic" and "heterogeneous" effects per period of exposure, as a
#: fraction of ``effect_size`` (an effect that builds up as a border post matures).
DYNAMIC_SLOPE = 0.1


def default_cohorts(n_treated: int, periods: np.ndarray, n_cohorts: int = 4) -> dict[int, int]:
    """Spread ``n_treated`` units over evenly spaced adoption cohorts.

    Cohorts sit between the first third and the last fifth of the window so that every
    cohort has at least a few pre- and post-treatment periods. Units are dealt round-robin,
    so cohort sizes differ by at most one.

    Parameters
    ----------
    n_treated
        Number of ever-treated units (>= 1).
    periods
        The sorted periods of the panel.
    n_cohorts
        Number of distinct adoption periods (capped at ``n_treated``).

    Returns
    -------
    dict
        ``{first_treated_period: n_units}``.
    """
    if n_treated < 1:
        raise ValueError(f"n_treated must be >= 1, got {n_treated}")
    n_cohorts = max(1, min(n_cohorts, n_treated))
    T = len(periods)
    lo, hi = T // 3, T - max(2, T // 5)
    idx = np.unique(np.round(np.linspace(lo, hi, n_cohorts)).astype(int))
    sizes = np.zeros(len(idx), dtype=int)
    for k in range(n_treated):
        sizes[k % len(idx)] += 1
    return {int(periods[i]): int(s) for i, s in zip(idx, sizes)}


def effect_function(
    kind: EffectKind | EffectFunction,
    cohorts: Mapping[int, int],
    effect_size: float = 1.0,
) -> EffectFunction:
    """Return the effect function ``tau(g, t)`` named by ``kind``.

    Parameters
    ----------
    kind
        ``"constant"``: ``tau = effect_size`` in every treated cell.
        ``"dynamic"``: ``tau = effect_size * (1 + 0.1 e)`` with event time ``e = t - g``,
        the same path for every cohort.
        ``"heterogeneous"``: ``tau = effect_size * w_g * (1 + 0.1 e)`` with a cohort level
        ``w_g`` falling linearly from 1.5 (earliest cohort) to 0.5 (latest); effects differ
        across cohorts *and* grow with exposure -- the case in which two-way fixed effects is
        biased (Goodman-Bacon 2021; de Chaisemartin and D'Haultfoeuille 2020).
        A callable is returned unchanged.
    cohorts
        ``{first_treated_period: n_units}``, used to rank cohorts for ``"heterogeneous"``.
    effect_size
        Scale of the effect (in outcome units).
    """
    if callable(kind):
        return kind
    if kind == "constant":
        return lambda g, t: np.full(np.shape(g), float(effect_size))
    if kind == "dynamic":
        return lambda g, t: effect_size * (1.0 + DYNAMIC_SLOPE * (np.asarray(t) - np.asarray(g)))
    if kind == "heterogeneous":
        order = sorted(cohorts)
        levels = np.linspace(1.5, 0.5, len(order)) if len(order) > 1 else np.array([1.0])
        level_of = dict(zip(order, levels))

        def heterogeneous(g: np.ndarray, t: np.ndarray) -> np.ndarray:
            g = np.asarray(g)
            w = np.array([level_of[int(v)] for v in g.ravel()], dtype=float).reshape(g.shape)
            return effect_size * w * (1.0 + DYNAMIC_SLOPE * (np.asarray(t) - g))

        return heterogeneous
    raise ValueError(f"effect must be 'constant', 'dynamic', 'heterogeneous' or a callable, got {kind!r}")


def simulate_staggered_panel(
    n_units: int = 60,
    n_periods: int = 25,
    *,
    cohorts: Mapping[int, int] | None = None,
    n_treated: int = 8,
    effect: EffectKind | EffectFunction = "heterogeneous",
    effect_size: float = 1.0,
    effect_sd: float = 0.0,
    rho: float = 0.5,
    sigma: float = 1.0,
    unit_fe_sd: float = 1.0,
    time_fe_sd: float = 0.5,
    treated_fe_shift: float = 0.0,
    covariates: int = 0,
    covariate_trend: float = 0.0,
    covariate_shift: float = 0.0,
    start: int = 2000,
    treated_noise_ratio: float = 1.0,
    population: Sequence[float] | np.ndarray | None = None,
    treated: Literal["random", "smallest"] = "random",
    seed: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Simulate a balanced staggered-adoption panel with a known effect.

    Shaped by default like the study: 60 regencies, 25 years (2000--2024), 8 treated in
    4 staggered cohorts, heterogeneous and growing effects, AR(1) errors with ``rho = 0.5``.

    Parameters
    ----------
    n_units, n_periods
        Panel size; periods are ``start, ..., start + n_periods - 1``.
    cohorts
        ``{first_treated_period: n_units}``. If ``None``, ``n_treated`` units are spread
        over four cohorts by :func:`default_cohorts`. Every cohort must start after the
        first period (a unit treated throughout has no pre-period).
    n_treated
        Number of ever-treated units when ``cohorts`` is ``None``.
    effect
        ``"constant"``, ``"dynamic"``, ``"heterogeneous"`` (see :func:`effect_function`)
        or a callable ``tau(g, t)`` vectorised over treated cells.
    effect_size
        Scale of the named effects.
    effect_sd
        Standard deviation of a unit-specific, time-invariant deviation added to the
        effect of each treated unit (0: the effect depends on (g, t) only).
    rho
        AR(1) coefficient of the idiosyncratic error, ``|rho| < 1``.
    sigma
        Marginal (stationary) standard deviation of the idiosyncratic error.
    unit_fe_sd, time_fe_sd
        Standard deviations of the unit and period effects.
    treated_fe_shift
        Mean shift of the unit effect of ever-treated units (selection on levels).
    covariates
        Number of time-invariant covariates ``x1, x2, ...``.
    covariate_trend
        Effect of each covariate on the outcome trend (over the whole window).
    covariate_shift
        Mean shift of the covariates of ever-treated units.
    start
        First period.
    treated_noise_ratio
        Standard deviation of the ever-treated units' errors relative to the others' (1: equal
        noise; 2 or 3: the few treated units are noisier than the controls, the case in which an
        equal-variance few-treated method over-rejects).
    population
        Optional unit sizes (one per unit, positive; ``n_units`` must equal their number). The
        error SD of unit ``i`` is then proportional to ``1 / sqrt(population_i)`` (the sampling
        noise of a survey-based mean), scaled so that the mean error variance over units is
        ``sigma^2``; the output gains a ``population`` column.
    treated
        ``"random"``: treated units are a random draw. ``"smallest"`` (needs ``population``):
        the ``sum(cohorts)`` smallest units are the treated ones, their cohorts in random order.
    seed
        Seed or ``numpy.random.Generator``; the same seed gives the same panel. The defaults of
        the three noise arguments leave every draw of earlier designs unchanged, seed for seed.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``unit, time``, columns ``unit`` (1..n_units), ``time``, ``y``, ``group``
        (first treated period, 0 never treated), ``treat`` (0/1), ``true_effect``
        (``tau_it``, 0 in untreated cells), ``x1..xk`` and (with ``population``) ``population``.
        ``attrs`` carries the design (``cohorts``, ``sigma``, ``rho``) and the true simple ATT
        (``true_att``).
    """
    if n_units < 2 or n_periods < 2:
        raise ValueError(f"need n_units >= 2 and n_periods >= 2, got {n_units}, {n_periods}")
    if not -1.0 < rho < 1.0:
        raise ValueError(f"rho must lie in (-1, 1) for a stationary AR(1), got {rho}")
    if sigma < 0 or unit_fe_sd < 0 or time_fe_sd < 0 or effect_sd < 0:
        raise ValueError("standard deviations must be non-negative")
    if not (np.isfinite(treated_noise_ratio) and treated_noise_ratio > 0):
        raise ValueError(f"treated_noise_ratio must be positive and finite, got {treated_noise_ratio}")
    pop = _check_population(population, n_units, treated)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    periods = np.arange(start, start + n_periods)
    if cohorts is None:
        cohorts = default_cohorts(n_treated, periods)
    cohorts = {int(g): int(n) for g, n in sorted(cohorts.items()) if int(n) > 0}
    total_treated = sum(cohorts.values())
    if total_treated > n_units:
        raise ValueError(f"cohorts hold {total_treated} units but the panel has {n_units}")
    for g in cohorts:
        if not periods[0] < g <= periods[-1]:
            raise ValueError(
                f"cohort {g} must start after the first period {periods[0]} and by the last {periods[-1]}"
            )

    # Which units are treated is random, so unit ids carry no information.
    group_of_slot = np.concatenate(
        [np.repeat(list(cohorts), list(cohorts.values())), np.zeros(n_units - total_treated, dtype=int)]
    ).astype(int)
    group = rng.permutation(group_of_slot)
    if treated == "smallest":
        # the smallest units take the treated cohorts, in the (random) order the permutation gave them
        order = np.argsort(pop, kind="stable")
        labels = group[group > 0]
        group = np.zeros(n_units, dtype=int)
        group[order[: len(labels)]] = labels
    ever = group > 0

    alpha = rng.normal(0.0, unit_fe_sd, n_units) + treated_fe_shift * ever
    lam = rng.normal(0.0, time_fe_sd, n_periods)
    X = rng.normal(0.0, 1.0, (n_units, covariates)) + covariate_shift * ever[:, None]

    # Stationary AR(1): start from the marginal law, innovations scaled to keep sd = sigma.
    e = np.empty((n_units, n_periods))
    e[:, 0] = rng.normal(0.0, sigma, n_units)
    innov_sd = sigma * np.sqrt(1.0 - rho**2)
    u = rng.normal(0.0, innov_sd, (n_units, n_periods))
    for t in range(1, n_periods):
        e[:, t] = rho * e[:, t - 1] + u[:, t]
    # Unequal noise rescales whole (linear, stationary) error paths after the draws, so the random
    # stream -- and every panel of the equal-noise designs -- is unchanged.
    noise_scale = np.ones(n_units)
    if pop is not None:
        inv = 1.0 / pop
        noise_scale *= np.sqrt(inv / inv.mean())
    if treated_noise_ratio != 1.0:
        noise_scale = noise_scale * np.where(ever, float(treated_noise_ratio), 1.0)
    if pop is not None or treated_noise_ratio != 1.0:
        e = e * noise_scale[:, None]

    unit_dev = rng.normal(0.0, effect_sd, n_units) * ever if effect_sd > 0 else np.zeros(n_units)

    G = np.broadcast_to(group[:, None], (n_units, n_periods))
    Tm = np.broadcast_to(periods[None, :], (n_units, n_periods))
    D = (G > 0) & (Tm >= G)
    tau = np.zeros((n_units, n_periods))
    if D.any():
        f = effect_function(effect, cohorts, effect_size)
        tau[D] = np.asarray(f(G[D], Tm[D]), dtype=float) + np.broadcast_to(unit_dev[:, None], D.shape)[D]

    s = (periods - periods[0]) / max(n_periods - 1, 1)
    trend = (X.sum(axis=1) * covariate_trend)[:, None] * s[None, :] if covariates else 0.0
    y = alpha[:, None] + lam[None, :] + trend + tau + e

    out = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(1, n_units + 1), n_periods),
            "time": np.tile(periods, n_units),
            "y": y.ravel(),
            "group": G.ravel().astype(int),
            "treat": D.ravel().astype(int),
            "true_effect": tau.ravel(),
        }
    )
    for k in range(covariates):
        out[f"x{k + 1}"] = np.repeat(X[:, k], n_periods)
    if pop is not None:
        out["population"] = np.repeat(pop, n_periods)
    out.attrs.update(
        {"cohorts": dict(cohorts), "sigma": float(sigma), "rho": float(rho), "true_att": true_simple_att(out)}
    )
    if pop is not None or treated_noise_ratio != 1.0:
        out.attrs["noise_sd"] = tuple(float(v) for v in sigma * noise_scale)  # per unit, in unit order
    return out


def _check_population(population: Sequence[float] | np.ndarray | None, n_units: int, treated: str) -> np.ndarray | None:
    if treated not in ("random", "smallest"):
        raise ValueError(f"treated must be 'random' or 'smallest', got {treated!r}")
    if population is None:
        if treated == "smallest":
            raise ValueError("treated='smallest' needs a population vector")
        return None
    pop = np.asarray(population, dtype=float).ravel()
    if pop.size != n_units:
        raise ValueError(f"population has {pop.size} values but the panel has n_units={n_units}")
    bad = np.flatnonzero(~np.isfinite(pop) | (pop <= 0))
    if bad.size:
        raise ValueError(f"population must be positive and finite; unit {int(bad[0]) + 1} has {pop[bad[0]]!r}")
    return pop


