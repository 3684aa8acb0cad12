"""Fitting synthetic control for one treated unit, with placebo-in-space and leave-one-out refits.

See :mod:`sosek_impact.estimators.synthetic_control` for the method; the placebo rank follows the
exact-fit and tie rules of :mod:`sosek_impact.estimators.synth_rank`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sosek_impact.errors import (
    EstimationError,
    InputError,
    MissingValueError,
    SmallGroupError,
    TreatedInFirstPeriodError,
)
from sosek_impact.estimators._checks import check_choice, check_columns, check_time_column
from sosek_impact.estimators._synth_data import PredictorSpec, check_treatment_time, predictor_matrix, wide_outcome
from sosek_impact.estimators._synth_fit import Fit, fit_matrices
from sosek_impact.estimators.synth_rank import (
    fit_resolution,
    placebo_rank_p_value,
    rank_statistic,
    rmspe_ratio,
    snap_gap,
)
from sosek_impact.estimators.synthetic_control_result import SyntheticControlResult
from sosek_impact.results_protocol import plain

__all__ = ["SynthDesign", "synthetic_control"]


@dataclass
class SynthDesign:
    """What a refit of one synthetic control needs (in-time placebos, conformal inference).

    ``Y`` is (period x unit) with the treated unit in column 0 and the donors after it;
    ``P_scaled`` the scaled predictors (predictor x unit) in the same column order.
    """

    data: pd.DataFrame
    y: str
    unit: str
    time: str
    units: list[Hashable]
    times: pd.Index
    pre: list[Any]
    Y: NDArray[np.float64]
    P_scaled: NDArray[np.float64]
    predictors: list[PredictorSpec] | None
    v: Any
    n_starts: int
    seed: int


def synthetic_control(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    treated_unit: Hashable,
    treatment_time: Any,
    predictors: Sequence[PredictorSpec] | None = None,
    pre_periods: Sequence[Any] | None = None,
    v: str | Sequence[float] | NDArray = "optimize",
    placebo: bool = True,
    leave_one_out: bool = True,
    donors: Sequence[Hashable] | None = None,
    *,
    n_starts: int = 4,
    placebo_n_starts: int = 1,
    placebo_v: str = "refit",
    pre_rmspe_cutoff: float = 5.0,
    seed: int = 0,
    missing_treated: str = "raise",
    unit_names: Mapping[Any, Any] | str | None = None,
    exact_fit_rtol: float = 1e-6,
) -> SyntheticControlResult:
    """Fit a synthetic control for one treated unit, with placebo and leave-one-out checks.

    Parameters
    ----------
    data
        Long panel, one row per (unit, period).
    y
        Outcome column.
    unit, time
        Unit identifier and period columns (period values must be orderable).
    treated_unit
        Identifier of the treated unit.
    treatment_time
        First treated period: periods ``< treatment_time`` are pre-treatment.
    predictors
        Characteristics to match: each item is a column name (averaged over
        ``pre_periods``), ``(column, periods)`` or ``(column, periods, "mean"|"median"|"last")``.
        Use ``(y, [t])`` to add a lagged outcome. ``None`` (default) matches the outcome in every
        pre-period (then ``V`` is taken equal, which makes the fit the plain pre-period least
        squares of Abadie 2021, sec. 3).
    pre_periods
        Pre-treatment periods used to average predictors and to judge the pre-period fit
        (default: all periods before ``treatment_time`` where the treated outcome is observed).
    v
        ``"optimize"`` (nested minimisation of pre-period MSPE; default), ``"equal"``, or an
        array of non-negative predictor importances.
    placebo
        Refit with each donor as the treated unit (placebo in space).
    leave_one_out
        Refit dropping, in turn, each donor with weight above 0.001.
    donors
        Donor pool (default: every other unit with a complete outcome series).
    n_starts, placebo_n_starts
        Starting points of the ``V`` search for the main fit and for each placebo (the first is
        equal ``V``, the second regression-based, the others seeded Dirichlet draws).
    placebo_v
        ``"refit"`` (default: each placebo gets its own ``V`` search, as in Abadie et al. 2010)
        or ``"treated"`` (placebos reuse the treated unit's ``V``; much faster with hundreds
        of donors and an optimised ``V``).
    pre_rmspe_cutoff
        Placebos with pre-RMSPE above this multiple of the treated unit's are left out of
        ``p_value_filtered``.
    seed
        Seed of the random ``V`` starts.
    missing_treated
        ``"raise"`` (default): a missing treated outcome in a pre- or post-treatment period is a
        :class:`~sosek_impact.errors.MissingValueError` naming the (unit, period). ``"drop"``:
        leave those periods out of the fit and the RMSPEs, with a note naming them.
    unit_names
        Display name of units for the figures: a mapping unit -> name, or the name of a column of
        ``data`` holding each unit's name (e.g. the regency name beside its code).
    exact_fit_rtol
        Exact-fit resolution relative to the standard deviation of the pre-period outcomes of all
        units in the fit (see :mod:`sosek_impact.estimators.synth_rank`): pre-RMSPEs and gaps at
        or below it are reported as 0, and exact fits are ranked by their post-RMSPE.

    Returns
    -------
    SyntheticControlResult

    Raises
    ------
    SchemaError
        A named column is missing.
    TreatedInFirstPeriodError
        No pre-treatment period with an observed treated outcome.
    ValueRangeError
        A fractional ``treatment_time`` on integer periods (e.g. 2016.5 for years).
    MissingValueError
        The treated outcome is missing in a pre- or post-treatment period (``missing_treated="raise"``).
    SmallGroupError
        Fewer than two donors with a complete outcome series.
    """
    check_columns(data, [y, unit, time])
    check_time_column(data, time, unit)
    check_choice("missing_treated", missing_treated, ("raise", "drop"))
    Y = wide_outcome(data, y, unit, time)
    if treated_unit not in Y.columns:
        raise InputError("treated unit not in data", column=unit, value=treated_unit)
    check_treatment_time(Y.index, treatment_time, time)
    notes: list[str] = []
    times = Y.index
    treated_y = Y[treated_unit]
    if pre_periods is None:
        pre = [t for t in times if t < treatment_time]
    else:
        pre = [t for t in pre_periods if t in times and t < treatment_time]
        if len(pre) < len(list(pre_periods)):
            raise InputError(
                "pre_periods must be periods of the data before treatment_time", column=time, value=list(pre_periods)
            )
    used = pre + [t for t in times if t >= treatment_time]
    gaps_t = [plain(t) for t in used if not np.isfinite(treated_y.loc[t])]
    if gaps_t:
        listed = ", ".join(map(repr, gaps_t[:10])) + (" ..." if len(gaps_t) > 10 else "")
        if missing_treated == "raise":
            raise MissingValueError(
                f"column {y!r}: the treated unit's outcome is missing in {len(gaps_t)} period(s), the first at "
                f"({unit}, {time}) = ({plain(treated_unit)!r}, {gaps_t[0]!r}) (periods {listed}); fill or drop them "
                "explicitly, or pass missing_treated='drop' to leave those periods out",
                column=y, unit=plain(treated_unit), period=gaps_t[0],
            )
        notes.append(f"treated outcome missing in period(s) {listed}: left out of the fit and the RMSPEs")
        pre = [t for t in pre if np.isfinite(treated_y.loc[t])]
    if not pre:
        raise TreatedInFirstPeriodError(
            f"treated unit {plain(treated_unit)!r} has no observed outcome before {plain(treatment_time)!r}"
        )
    post = [t for t in times if t >= treatment_time]
    if not post:
        raise EstimationError(f"no period at or after treatment_time {plain(treatment_time)!r}")

    pool = [u for u in (donors if donors is not None else Y.columns) if u != treated_unit]
    missing_pool = [u for u in pool if u not in Y.columns]
    if missing_pool:
        raise InputError("donor not in data", column=unit, value=missing_pool[0])
    complete = [u for u in pool if Y.loc[pre, u].notna().all() and Y.loc[post, u].notna().all()]
    dropped = sorted(set(pool) - set(complete), key=str)
    if dropped:
        notes.append(
            f"{len(dropped)} donor(s) dropped for missing outcomes: {', '.join(map(str, dropped[:10]))}"
            + (" ..." if len(dropped) > 10 else "")
        )
    if len(complete) < 2:
        raise SmallGroupError(f"synthetic control needs at least 2 donors with complete outcomes; found {len(complete)}")
    donors_ = complete
    if len(pre) <= 3:
        notes.append(
            f"only {len(pre)} pre-treatment period(s) ({', '.join(map(str, pre))}): the donor weights are weakly "
            "identified, a near-perfect pre-period fit is expected and says little, and the RMSPE ratios of the "
            "placebo test rest on very few points"
        )
    if len(donors_) + 1 < 20:
        notes.append(
            f"{len(donors_)} donors: the smallest attainable placebo p-value is 1/{len(donors_) + 1} = {1 / (len(donors_) + 1):.3f}"
        )
    units_all = [treated_unit, *donors_]

    if predictors is None:
        P = Y.loc[pre, units_all]
        labels = [f"{y}[{t}]" for t in pre]
        v_spec: str | NDArray = "equal" if isinstance(v, str) else np.asarray(v, dtype=float)
    else:
        P = predictor_matrix(data, unit, time, units_all, list(predictors), pre)
        labels = list(P.index)
        bad = P.columns[P.isna().any(axis=0)]
        if treated_unit in bad:
            row = P.index[P[treated_unit].isna()][0]
            raise InputError("predictor missing for the treated unit over its periods", column=str(row), value=treated_unit)
        if len(bad):
            notes.append(f"{len(bad)} donor(s) dropped for missing predictors: {', '.join(map(str, list(bad)[:10]))}")
            donors_ = [u for u in donors_ if u not in set(bad)]
            units_all = [treated_unit, *donors_]
            P = P[units_all]
            if len(donors_) < 2:
                raise SmallGroupError("fewer than 2 donors have complete predictors")
        v_spec = v if isinstance(v, str) else np.asarray(v, dtype=float)
    if not isinstance(v_spec, str):
        if v_spec.shape != (len(labels),) or np.any(v_spec < 0) or v_spec.sum() <= 0:
            raise InputError(
                f"v must be 'optimize', 'equal' or {len(labels)} non-negative numbers", column="v", value=list(v_spec)
            )
    else:
        check_choice("v", v_spec, ("optimize", "equal"))  # or an array of weights

    P_raw = P.to_numpy(dtype=float)
    sd = P_raw.std(axis=1, ddof=1)
    sd[~np.isfinite(sd) | (sd <= 0)] = 1.0
    P_scaled = P_raw / sd[:, None]
    Yall = Y[units_all].to_numpy(dtype=float)
    pre_idx = np.array([times.get_loc(t) for t in pre])

    check_choice("placebo_v", placebo_v, ("refit", "treated"))

    def fit_unit(j: int, pool_idx: list[int], starts: int, v_use: str | NDArray | None = None) -> tuple[Fit, NDArray]:
        f = fit_matrices(
            P_scaled[:, j],
            P_scaled[:, pool_idx],
            Yall[pre_idx, j],
            Yall[np.ix_(pre_idx, pool_idx)],
            v_spec if v_use is None else v_use,
            starts,
            seed,
        )
        synth = Yall[:, pool_idx] @ f.w
        return f, synth

    donor_idx = list(range(1, len(units_all)))
    fit, synth = fit_unit(0, donor_idx, n_starts)
    post_mask = np.asarray(times >= treatment_time)
    pre_mask = np.isin(np.arange(len(times)), pre_idx)
    resolution = fit_resolution(Yall[pre_mask], exact_fit_rtol)
    gap = snap_gap(Yall[:, 0] - synth, resolution)
    path = pd.DataFrame({"treated": Yall[:, 0], "synthetic": synth, "gap": gap, "post": post_mask}, index=times)
    path.index.name = time
    pre_rmspe, post_rmspe, ratio = rmspe_ratio(gap, pre_mask, post_mask, resolution)
    if pre_rmspe == 0.0:
        notes.append(
            f"the pre-period fit is exact (pre-RMSPE at most {resolution:.2g}, {exact_fit_rtol:g} x the sd of the "
            "pre-period outcomes), so the post/pre RMSPE ratio is undefined; the placebo rank compares exact fits by "
            "their post-RMSPE (see p_value_post for the post-RMSPE rank among all placebos); where the match is exact to "
            "solver precision many weight vectors fit, and the weights reported are the unique minimum-norm ones"
        )
    pre_treated = Yall[pre_mask, 0].mean()
    pre_donors = Yall[np.ix_(pre_mask, np.arange(1, Yall.shape[1]))].mean(axis=0)
    if pre_treated > pre_donors.max() or pre_treated < pre_donors.min():
        notes.append(
            "the treated unit's pre-period mean outcome lies outside the donors' range, so no convex combination "
            "can match its level; consider synthetic DiD (which allows a level shift) or a demeaned outcome"
        )
    att = path.loc[post_mask, "gap"]
    weights = pd.Series(fit.w, index=pd.Index(donors_, name=unit), name="weight")
    vser = pd.Series(fit.v, index=pd.Index(labels, name="predictor"), name="v")
    balance = pd.DataFrame(
        {"treated": P_raw[:, 0], "synthetic": P_raw[:, 1:] @ fit.w, "donor_mean": P_raw[:, 1:].mean(axis=1)},
        index=pd.Index(labels, name="predictor"),
    )
    result = SyntheticControlResult(
        treated_unit=treated_unit,
        treatment_time=treatment_time,
        weights=weights,
        v=vser,
        predictor_balance=balance,
        path=path,
        pre_rmspe=pre_rmspe,
        post_rmspe=post_rmspe,
        rmspe_ratio=ratio,
        att=att,
        att_avg=float(np.nanmean(att.to_numpy())) if att.notna().any() else float("nan"),
        n_pre=len(pre),
        notes=notes,
        outcome=y,
        unit_name=_unit_name(data, unit, treated_unit, unit_names),
        resolution=resolution,
        exact_fit=pre_rmspe == 0.0,
        design=SynthDesign(data, y, unit, time, list(units_all), times, list(pre), Yall, P_scaled,
                           None if predictors is None else list(predictors), v, n_starts, seed),
    )

    if placebo:
        rows = []
        gaps = {treated_unit: gap}
        rows.append((treated_unit, pre_rmspe, post_rmspe, ratio, result.att_avg, True))  # type: ignore[arg-type]
        for j in donor_idx:
            pool_idx = [k for k in donor_idx if k != j]
            _, s = fit_unit(j, pool_idx, placebo_n_starts, fit.v if placebo_v == "treated" else None)
            g = snap_gap(Yall[:, j] - s, resolution)
            pr, po, rt = rmspe_ratio(g, pre_mask, post_mask, resolution)
            rows.append((units_all[j], pr, po, rt, float(np.mean(g[post_mask])), False))
            gaps[units_all[j]] = g
        table = pd.DataFrame(rows, columns=[unit, "pre_rmspe", "post_rmspe", "ratio", "att_avg", "treated"]).set_index(unit)
        table.insert(3, "exact_fit", table["pre_rmspe"] == 0.0)
        table.insert(4, "statistic", rank_statistic(table["pre_rmspe"], table["post_rmspe"], resolution))
        result.placebo = table
        result.placebo_gaps = pd.DataFrame(gaps, index=times)
        others = table.loc[~table["treated"]]
        result.n_exact_fit_placebos = int(others["exact_fit"].sum())
        stat = float(table["statistic"].iloc[0])
        result.p_value = placebo_rank_p_value(stat, others["statistic"].to_numpy())
        floor = max(pre_rmspe, resolution)
        kept = others.loc[np.maximum(others["pre_rmspe"], resolution) <= pre_rmspe_cutoff * floor]
        result.p_value_filtered = placebo_rank_p_value(stat, kept["statistic"].to_numpy())
        result.p_value_post = placebo_rank_p_value(post_rmspe, others["post_rmspe"].to_numpy())

    if leave_one_out:
        paths, atts = {}, {}
        for d in weights.index[weights.to_numpy() > 1e-3]:
            k = units_all.index(d)
            pool_idx = [i for i in donor_idx if i != k]
            if len(pool_idx) < 1:
                continue
            _, s = fit_unit(0, pool_idx, n_starts)
            paths[d] = s
            atts[d] = float(np.nanmean(snap_gap(Yall[:, 0] - s, resolution)[post_mask]))
        result.leave_one_out = pd.DataFrame(paths, index=times)
        result.leave_one_out_att = pd.Series(atts, name="att_avg", dtype=float)
    return result


def _unit_name(data: pd.DataFrame, unit: str, treated_unit: Hashable, unit_names: Mapping[Any, Any] | str | None) -> str | None:
    """The treated unit's display name from a mapping or a name column (``None``: none given)."""
    if unit_names is None:
        return None
    if isinstance(unit_names, str):
        check_columns(data, [unit_names])
        names = data.loc[data[unit] == treated_unit, unit_names].dropna().unique()
        if len(names) > 1:
            raise InputError("unit has several names", column=unit_names, value=(plain(treated_unit), list(names[:3])))
        return str(names[0]) if len(names) else None
    from sosek_impact.estimators.synth_plot import display_name

    name = display_name(treated_unit, unit_names, default="")
    return name or None
