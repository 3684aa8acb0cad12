"""Synthetic DiD with staggered adoption: cohort decomposition (Clarke, Pailanir, Athey and Imbens 2023).

Each adoption cohort is estimated as a block against the never-treated units over all periods, and
the cohort estimates are averaged with weights proportional to their treated unit-periods
``N1_g * T1_g``, as in the Stata package ``sdid``.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from sosek_impact.estimators._options import check_choice
from sosek_impact.errors import SmallGroupError
from sosek_impact.estimators._sdid_weights import Estimator, sdid_estimate
from sosek_impact.estimators.synthetic_did_result import SyntheticDiDResult

__all__ = ["staggered_did"]


def _staggered_att(
    Y: NDArray, control_rows: NDArray, cohort_rows: list[NDArray], cohort_t0: list[int], estimator: Estimator
) -> tuple[float, list[float], list[float], list[NDArray], list[NDArray]]:
    """Cohort-weighted ATT on the unit x period matrix ``Y``.

    Each cohort's block holds the controls and that cohort's units over all periods; the cohort
    estimates are averaged with weights ``N1_g * T1_g`` (treated unit-periods).
    """
    T = Y.shape[1]
    taus, wts, omegas, lams = [], [], [], []
    for rows, t0 in zip(cohort_rows, cohort_t0):
        if rows.size == 0:
            continue
        block = Y[np.concatenate([control_rows, rows])]
        tau, omega, lam, _ = sdid_estimate(block, control_rows.size, t0, estimator)
        taus.append(tau)
        wts.append(float(rows.size * (T - t0)))
        omegas.append(omega)
        lams.append(lam)
    w = np.asarray(wts) / np.sum(wts)
    return float(w @ np.asarray(taus)), taus, list(w), omegas, lams


def staggered_did(
    Yw: pd.DataFrame,
    first: pd.Series,
    controls: list[Hashable],
    unit: str,
    estimator: Estimator,
    se: str,
    n_reps: int,
    seed: int,
    alpha: float,
    leave_one_out: bool,
) -> SyntheticDiDResult:
    """Staggered adoption: SDID per adoption cohort against the never-treated, weighted average.

    Variance: ``placebo`` draws as many controls as there are treated units, gives them the
    treated units' adoption periods, and re-estimates on the controls alone; ``bootstrap``
    resamples units (cohorts absent from a draw drop out of its average); ``jackknife`` leaves
    each unit out. Weights are re-estimated in every replication.
    """
    times = list(Yw.columns)
    order = controls + list(first.sort_values(kind="stable").index)
    Y = Yw.loc[order].to_numpy(dtype=float)
    N0 = len(controls)
    cohorts = sorted(first.unique())
    cohort_rows = [np.array([order.index(u) for u in first.index[first == g]]) for g in cohorts]
    cohort_t0 = [times.index(g) for g in cohorts]
    control_rows = np.arange(N0)
    est, taus, w, omegas, lams = _staggered_att(Y, control_rows, cohort_rows, cohort_t0, estimator)
    notes = [f"staggered adoption: {len(cohorts)} cohorts ({', '.join(map(str, cohorts))}), each against the never-treated"]
    few = [g for g, t0 in zip(cohorts, cohort_t0) if t0 <= 3]
    if few:
        notes.append(f"cohort(s) {', '.join(map(str, few))} have at most 3 pre-treatment periods")
    rng = np.random.default_rng(seed)
    n_tr = sum(r.size for r in cohort_rows)
    sizes = [r.size for r in cohort_rows]
    reps: list[float] = []
    if se == "placebo":
        if N0 <= n_tr:
            raise SmallGroupError(f"placebo variance needs more controls ({N0}) than treated units ({n_tr})")
        for _ in range(n_reps):
            perm = rng.permutation(N0)
            fake, rest = perm[:n_tr], np.sort(perm[n_tr:])
            pieces = np.split(fake, np.cumsum(sizes)[:-1])
            reps.append(_staggered_att(Y, rest, pieces, cohort_t0, estimator)[0])
        se_val = float(np.sqrt((n_reps - 1) / n_reps) * np.std(reps, ddof=1))
    elif se == "bootstrap":
        n = Y.shape[0]
        while len(reps) < n_reps:
            ind = np.sort(rng.integers(0, n, size=n))
            c = ind[ind < N0]
            if c.size < 2:
                continue
            pieces = [ind[np.isin(ind, r)] for r in cohort_rows]
            if all(p.size == 0 for p in pieces):
                continue
            # Resampled rows become distinct rows of a new matrix.
            Yb = Y[np.concatenate([c, *pieces])]
            off = np.cumsum([c.size, *[p.size for p in pieces]])
            new_pieces = [np.arange(off[i], off[i + 1]) for i in range(len(pieces))]
            reps.append(_staggered_att(Yb, np.arange(c.size), new_pieces, cohort_t0, estimator)[0])
        se_val = float(np.sqrt((n_reps - 1) / n_reps) * np.std(reps, ddof=1))
    elif se == "jackknife":
        n = Y.shape[0]
        for i in range(n):
            keep = np.delete(np.arange(n), i)
            Yj = Y[keep]
            c = np.arange(N0 - 1 if i < N0 else N0)
            pieces, start = [], c.size
            for r in cohort_rows:
                k = r.size - int(i in r)
                pieces.append(np.arange(start, start + k))
                start += k
            reps.append(_staggered_att(Yj, c, pieces, cohort_t0, estimator)[0])
        r = np.asarray(reps)
        se_val = float(np.sqrt((n - 1) / n * np.sum((r - r.mean()) ** 2)))
    elif se == "none":
        se_val = float("nan")
    else:
        check_choice("se", se, ("placebo", "jackknife", "bootstrap", "none"))
    z = stats.norm.ppf(1 - alpha / 2)
    omega_avg = np.sum([wi * o for wi, o in zip(w, omegas)], axis=0)
    lam_cal = (
        pd.DataFrame({g: pd.Series(l_, index=times[:t0]) for g, l_, t0 in zip(cohorts, lams, cohort_t0)})
        .reindex(times[: max(cohort_t0)])
        .fillna(0.0)
    )
    lam_avg = lam_cal.to_numpy() @ np.asarray(w)
    loo = None
    if leave_one_out:
        vals = {}
        for i in np.flatnonzero(omega_avg > 1e-3):
            if N0 - 1 < 2:
                break
            keep = np.delete(np.arange(Y.shape[0]), i)
            shifted = [r - 1 for r in cohort_rows]
            vals[controls[i]] = _staggered_att(Y[keep], np.arange(N0 - 1), shifted, cohort_t0, estimator)[0]
        loo = pd.Series(vals, name="estimate", dtype=float)
        loo.index.name = unit
    treated_path = Y[N0:].mean(axis=0)
    paths = pd.DataFrame(
        {"treated": treated_path, "synthetic_control": omega_avg @ Y[:N0]}, index=pd.Index(times, name=Yw.columns.name)
    )
    res = SyntheticDiDResult(
        estimate=est,
        std_error=se_val,
        interval=(est - z * se_val, est + z * se_val),
        alpha=float(alpha),
        se_method=se,
        estimator=estimator,
        unit_weights=pd.Series(omega_avg, index=pd.Index(controls, name=unit), name="omega"),
        time_weights=pd.Series(lam_avg, index=pd.Index(times[: max(cohort_t0)], name=Yw.columns.name), name="lambda"),
        treated_units=list(first.index),
        treatment_time=min(cohorts),
        n_control=N0,
        n_treated=n_tr,
        n_pre=min(cohort_t0),
        n_post=len(times) - min(cohort_t0),
        noise_level=float("nan"),
        zeta_omega=float("nan"),
        paths=paths,
        leave_one_out=loo,
        replicates=np.asarray(reps, dtype=float),
        notes=notes,
    )
    res.cohorts = pd.DataFrame(
        {"cohort": cohorts, "n_treated": sizes, "n_post": [len(times) - t for t in cohort_t0], "weight": w, "estimate": taus}
    )
    return res

