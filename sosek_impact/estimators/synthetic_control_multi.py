"""Synthetic controls for several treated units, fitted one by one and averaged."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.errors import SmallGroupError
from sosek_impact.estimators.synth_rank import TIE_RTOL
from sosek_impact.estimators.synthetic_control_fit import synthetic_control
from sosek_impact.estimators.synthetic_control_result import MultiSyntheticControlResult

__all__ = ["synthetic_control_multi"]


def synthetic_control_multi(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    treated: Mapping[Hashable, Any],
    *,
    seed: int = 0,
    n_draws: int = 10_000,
    **kwargs: Any,
) -> MultiSyntheticControlResult:
    """Fit :func:`synthetic_control` to each treated unit separately and average the effects.

    Parameters
    ----------
    data, y, unit, time
        As in :func:`synthetic_control`.
    treated
        Mapping ``treated unit -> first treated period``. Other treated units are never donors.
    seed, n_draws
        Seed and number of draws for the placebo distribution of the mean RMSPE ratio.
    **kwargs
        Passed on to :func:`synthetic_control` (``predictors``, ``v``, ``placebo`` ...).

    Returns
    -------
    MultiSyntheticControlResult
    """
    if not treated:
        raise SmallGroupError("no treated unit given")
    all_units = pd.unique(data[unit])
    donors = kwargs.pop("donors", None)
    pool = [u for u in (donors if donors is not None else all_units) if u not in treated]
    fits = {u: synthetic_control(data, y, unit, time, u, t0, donors=pool, seed=seed, **kwargs) for u, t0 in treated.items()}
    gaps = {}
    for u, fit in fits.items():
        et = pd.Index(np.asarray(fit.path.index) - fit.treatment_time, name="event_time")
        gaps[u] = pd.Series(fit.path["gap"].to_numpy(), index=et)
    gaps_df = pd.DataFrame(gaps).sort_index()
    att_et = gaps_df.loc[gaps_df.index >= 0].mean(axis=1)
    att_avg = float(np.mean([f.att_avg for f in fits.values()]))
    p_value = None
    if all(f.placebo is not None for f in fits.values()):
        # Each unit's rank statistic (post/pre RMSPE with the pre-RMSPE floored at its exact-fit
        # resolution; see synth_rank), averaged; ties within TIE_RTOL count against the treated.
        tables = [f.placebo for f in fits.values() if f.placebo is not None]
        treated_mean = float(np.mean([t["statistic"].iloc[0] for t in tables]))
        rng = np.random.default_rng(seed)
        placebo_stats = [t.loc[~t["treated"], "statistic"].dropna().to_numpy() for t in tables]
        draws = np.mean([r[rng.integers(r.size, size=n_draws)] for r in placebo_stats], axis=0)
        p_value = float((1 + np.sum(draws >= treated_mean * (1 - TIE_RTOL))) / (n_draws + 1))
    return MultiSyntheticControlResult(fits, gaps_df, att_et, att_avg, p_value)

