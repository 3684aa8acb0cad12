"""Synthetic control (Abadie, Diamond and Hainmueller 2010; Abadie and Gardeazabal 2003).

The treated unit's counterfactual is a convex combination of donor units, with weights
:math:`W^*(V)` chosen to match its pre-treatment characteristics :math:`X_1` (predictor means
and/or pre-period outcomes) in the metric of a diagonal importance matrix :math:`V`:

.. math::

    W^*(V) = \\arg\\min_{W \\in \\Delta^{J}} (X_1 - X_0 W)' V (X_1 - X_0 W),

and, with ``v="optimize"``, :math:`V` itself minimises the pre-treatment mean squared
prediction error of the outcome, :math:`\\lVert Y_1^{pre} - Y_0^{pre} W^*(V) \\rVert^2 / T_0`
(the nested optimisation of R's ``Synth``). Predictors are rescaled by their standard deviation
across units first, as ``Synth`` does, so that ``V`` is comparable across predictors.

Inference is by placebo in space: the same procedure is applied to every donor as if it were
treated (using the other donors), and the treated unit's ratio of post- to pre-treatment RMSPE is
ranked among all of them; the rank p-value is ``rank / (J + 1)``. Leave-one-out refits drop each
donor with positive weight in turn.

The inner problem is solved by :func:`sosek_impact.estimators._simplex.simplex_least_squares`
(active-set NNLS with an exact KKT polish), fast enough for ~500 regency donors.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import minimize

from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import (
    EstimationError,
    InputError,
    MissingValueError,
    SmallGroupError,
    TreatedInFirstPeriodError,
    ValueRangeError,
)
from sosek_impact.estimators._checks import check_columns, check_numeric
from sosek_impact.estimators._simplex import simplex_least_squares
from sosek_impact.results_protocol import ResultsProtocol, as_event_times, format_number, format_pvalue, plain

__all__ = [
    "MultiSyntheticControlResult",
    "SyntheticControlResult",
    "placebo_rank_p_value",
    "rmspe_ratio",
    "synthetic_control",
    "synthetic_control_multi",
]

PredictorSpec = str | tuple[str, Sequence[Any]] | tuple[str, Sequence[Any], str]


# ---------------------------------------------------------------------------------------------
# Data preparation
# ---------------------------------------------------------------------------------------------


def _check_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    check_columns(data, columns)


def _wide(data: pd.DataFrame, y: str, unit: str, time: str) -> pd.DataFrame:
    """Outcome as a (time x unit) table; duplicate (unit, time) keys are an error."""
    dup = data.duplicated([unit, time], keep=False)
    if dup.any():
        row = data.loc[dup].iloc[0]
        raise InputError("duplicate (unit, time) rows", column=unit, value=(plain(row[unit]), plain(row[time])))
    check_numeric(data, [y], unit, time)
    frame = data[[unit, time]].assign(_y=data[y].astype(float))
    return frame.pivot(index=time, columns=unit, values="_y").sort_index()


def _check_treatment_time(times: pd.Index, treatment_time: Any, time: str) -> None:
    """Refuse a fractional treatment time on integer periods (``2016.5`` for years)."""
    try:
        value = float(treatment_time)
    except (TypeError, ValueError):
        return  # non-numeric periods (dates, labels) are compared as given
    numeric = pd.api.types.is_numeric_dtype(times)
    integral_periods = numeric and bool(np.all(np.mod(np.asarray(times, dtype=float), 1) == 0))
    if integral_periods and not float(value).is_integer():
        raise ValueRangeError(
            f"treatment_time {plain(treatment_time)!r} is fractional but the periods of {time!r} are whole numbers; "
            "give the first treated period (e.g. the first full year of treatment)",
            column=time, value=plain(treatment_time),
        )


def _predictor_matrix(
    data: pd.DataFrame,
    unit: str,
    time: str,
    units: Sequence[Hashable],
    predictors: Sequence[PredictorSpec],
    default_periods: Sequence[Any],
) -> pd.DataFrame:
    """(predictor x unit) table of predictor values averaged over their periods, missing ignored."""
    rows: dict[str, pd.Series] = {}
    for spec in predictors:
        if isinstance(spec, str):
            col, periods, how = spec, list(default_periods), "mean"
        else:
            col, periods = spec[0], list(spec[1])
            how = spec[2] if len(spec) > 2 else "mean"
        _check_columns(data, [col])
        if how not in {"mean", "median", "last"}:
            raise InputError("predictor aggregation must be 'mean', 'median' or 'last'", column=col, value=how)
        sub = data.loc[data[time].isin(periods) & data[unit].isin(units), [unit, time, col]]
        vals = pd.to_numeric(sub[col], errors="coerce")
        if (vals.isna() & sub[col].notna()).any():
            raise InputError("predictor is not numeric", column=col, value=sub.loc[vals.isna() & sub[col].notna(), col].iloc[0])
        sub = sub.assign(_v=vals).dropna(subset=["_v"]).sort_values([unit, time])
        grouped = sub.groupby(unit)["_v"]
        agg = grouped.last() if how == "last" else getattr(grouped, how)()
        label = col if isinstance(spec, str) else f"{col}[{periods[0]}..{periods[-1]}]" + ("" if how == "mean" else f":{how}")
        rows[label] = agg.reindex(list(units))
    return pd.DataFrame(rows).T


# ---------------------------------------------------------------------------------------------
# Core fit on matrices
# ---------------------------------------------------------------------------------------------


@dataclass
class _Fit:
    w: NDArray[np.float64]
    v: NDArray[np.float64]
    pre_mspe: float


def _weights_given_v(X1: NDArray, X0: NDArray, v: NDArray) -> NDArray:
    sv = np.sqrt(v)
    return simplex_least_squares(X0 * sv[:, None], X1 * sv)


def _fit_matrices(
    X1: NDArray,
    X0: NDArray,
    Z1: NDArray,
    Z0: NDArray,
    v_spec: str | NDArray,
    n_starts: int,
    seed: int,
) -> _Fit:
    """Weights (and V) for one treated unit: X are scaled predictors, Z pre-period outcomes."""
    k = X1.size

    def pre_mspe(w: NDArray) -> float:
        r = Z1 - Z0 @ w
        return float(r @ r / r.size)

    if isinstance(v_spec, str) and v_spec == "equal" or k == 1:
        v = np.full(k, 1.0 / k)
        w = _weights_given_v(X1, X0, v)
        return _Fit(w, v, pre_mspe(w))
    if not isinstance(v_spec, str):
        v = np.asarray(v_spec, dtype=float)
        v = v / v.sum()
        w = _weights_given_v(X1, X0, v)
        return _Fit(w, v, pre_mspe(w))

    # Nested optimisation: V = softmax(theta); outer objective is the pre-period outcome MSPE.
    def v_of(theta: NDArray) -> NDArray:
        e = np.exp(theta - theta.max())
        return e / e.sum()

    cache: dict[bytes, float] = {}

    def outer(theta: NDArray) -> float:
        key = np.round(theta, 12).tobytes()
        if key not in cache:
            cache[key] = pre_mspe(_weights_given_v(X1, X0, v_of(theta)))
        return cache[key]

    rng = np.random.default_rng(seed)
    starts = [np.zeros(k)]
    # A regression-based start, as Synth does: importance proportional to how well each
    # predictor, alone, lines up the pre-period outcomes across units.
    X = np.column_stack([X1, X0])
    Z = np.column_stack([Z1, Z0]).mean(axis=0)
    corr = np.array([abs(np.corrcoef(X[i], Z)[0, 1]) if np.std(X[i]) > 0 else 0.0 for i in range(k)])
    starts.append(np.log(np.nan_to_num(corr, nan=0.0) + 1e-3))
    for _ in range(max(0, n_starts - 2)):
        starts.append(np.log(rng.dirichlet(np.ones(k))))
    best: _Fit | None = None
    for theta0 in starts[: max(1, n_starts)]:
        res = minimize(outer, theta0, method="Nelder-Mead", options={"maxiter": 200 * k, "xatol": 1e-4, "fatol": 1e-10})
        v = v_of(res.x)
        w = _weights_given_v(X1, X0, v)
        fit = _Fit(w, v, pre_mspe(w))
        if best is None or fit.pre_mspe < best.pre_mspe - 1e-15:
            best = fit
    assert best is not None
    return best


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


def placebo_rank_p_value(treated_ratio: float, placebo_ratios: Sequence[float]) -> float:
    """Rank p-value of the treated unit's post/pre RMSPE ratio among placebo ratios.

    ``p = #{units (treated included) with ratio >= treated ratio} / (J + 1)``: ties count
    against the treated unit (conservative), as in Abadie et al. (2010).
    """
    ratios = np.asarray([r for r in placebo_ratios if np.isfinite(r)], dtype=float)
    rank = 1 + int(np.sum(ratios >= treated_ratio))
    return rank / (ratios.size + 1)


@dataclass(repr=False, eq=False)
class SyntheticControlResult(ResultsProtocol):
    """Outcome of :func:`synthetic_control` for one treated unit.

    In the package's results protocol: ``tidy()`` has the post-period average effect (term
    ``"ATT"``, with the placebo rank ``p_value``) then the gap in each post period (``"t=2015"``,
    extras ``time`` and ``event_time``); there is no standard error or interval (NaN): inference
    is by placebo ranks. The path itself is ``path``.

    Attributes
    ----------
    treated_unit, treatment_time
        The unit and its first treated period.
    weights : pandas.Series
        Donor weights (non-negative, summing to one), indexed by donor.
    v : pandas.Series
        Predictor importance (diagonal of ``V``, summing to one).
    predictor_balance : pandas.DataFrame
        Unscaled predictor values: ``treated``, ``synthetic``, ``donor_mean``.
    path : pandas.DataFrame
        Indexed by period: ``treated``, ``synthetic``, ``gap`` (treated − synthetic), ``post``.
    pre_rmspe, post_rmspe, rmspe_ratio : float
        Root mean squared gap before and after treatment, and their ratio.
    att : pandas.Series
        Gap in each post-treatment period (the effect on the treated unit).
    att_avg : float
        Mean of ``att`` over post periods with a non-missing outcome.
    placebo : pandas.DataFrame or None
        One row per unit (treated first): ``pre_rmspe, post_rmspe, ratio, att_avg, treated``.
    placebo_gaps : pandas.DataFrame or None
        Gaps by period (rows) and unit (columns), the treated unit included.
    p_value : float or None
        Placebo rank p-value ``rank / (J + 1)`` of the RMSPE ratio.
    p_value_filtered : float or None
        Same, keeping only placebos whose pre-RMSPE is at most ``pre_rmspe_cutoff`` times the
        treated unit's (Abadie et al. 2010 drop poorly fitted placebos).
    p_value_post : float or None
        Rank p-value of the post-treatment RMSPE alone. Use it when the pre-period fit is exact
        (few pre-periods), which makes the RMSPE ratio unbounded and its rank meaningless.
    leave_one_out : pandas.DataFrame or None
        Synthetic paths by period (rows) when dropping each positive-weight donor (columns).
    leave_one_out_att : pandas.Series or None
        ``att_avg`` of each leave-one-out refit.
    notes : list of str
        Warnings about the design (few pre-periods, dropped donors, coarse p-values).
    """

    treated_unit: Hashable
    treatment_time: Any
    weights: pd.Series
    v: pd.Series
    predictor_balance: pd.DataFrame
    path: pd.DataFrame
    pre_rmspe: float
    post_rmspe: float
    rmspe_ratio: float
    att: pd.Series
    att_avg: float
    n_pre: int
    placebo: pd.DataFrame | None = None
    placebo_gaps: pd.DataFrame | None = None
    p_value: float | None = None
    p_value_filtered: float | None = None
    p_value_post: float | None = None
    leave_one_out: pd.DataFrame | None = None
    leave_one_out_att: pd.Series | None = None
    notes: list[str] = field(default_factory=list)

    def _tidy(self, alpha: float) -> pd.DataFrame:
        post = self.path.loc[self.path["post"].astype(bool)]
        times = list(post.index)
        try:
            event = as_event_times([np.nan, *(float(t) - float(self.treatment_time) for t in times)])
        except (TypeError, ValueError):  # non-numeric periods: no event time
            event = None
        n = len(times)
        out = pd.DataFrame({
            "term": ["ATT", *(f"t={plain(t)}" for t in times)],
            "estimate": [self.att_avg, *post["gap"].to_numpy(dtype=float)],
            "std_error": np.nan, "statistic": np.nan,
            "p_value": [np.nan if self.p_value is None else self.p_value, *([np.nan] * n)],
            "conf_low": np.nan, "conf_high": np.nan,
        })
        if event is not None:  # numeric periods: integers where whole
            out["time"] = as_event_times([np.nan, *(float(t) for t in times)]).array
            out["event_time"] = event.array
        else:
            out["time"] = pd.Series([None, *times], dtype=object)
        return out

    def _summary_header(self) -> list[str]:
        lines = [
            f"Synthetic control: {plain(self.treated_unit)!r}, treated from {plain(self.treatment_time)}",
            f"pre-treatment periods: {self.n_pre}; donors with weight > 0.001: "
            + ", ".join(f"{plain(k)}={w:.3f}" for k, w in self.weights[self.weights > 1e-3].sort_values(ascending=False).items()),
            f"pre-RMSPE {format_number(self.pre_rmspe)}, post-RMSPE {format_number(self.post_rmspe)}, "
            f"ratio {format_number(self.rmspe_ratio)}",
        ]
        if self.p_value is not None:
            lines.append(
                f"p_value of 'ATT': placebo rank of the RMSPE ratio {format_pvalue(self.p_value)} (filtered: "
                f"{format_pvalue(self.p_value_filtered)}; post-RMSPE only: {format_pvalue(self.p_value_post)}); "
                "rows t=...: gap treated - synthetic"
            )
        return lines

    def _summary_footer(self) -> list[str]:
        return [f"note: {n}" for n in self.notes]

    def plot_path(self, ax: Any = None) -> Any:
        """Treated path against its synthetic control; returns the matplotlib Figure."""
        import matplotlib.pyplot as plt

        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
        ax.plot(self.path.index, self.path["treated"], color="black", label=str(self.treated_unit))
        ax.plot(self.path.index, self.path["synthetic"], color="tab:blue", linestyle="--", label="synthetic")
        ax.axvline(self.treatment_time, color="grey", linestyle=":")
        ax.set_xlabel("period")
        ax.legend(frameon=False)
        return fig

    def plot_placebos(self, ax: Any = None, max_pre_rmspe_ratio: float | None = None) -> Any:
        """Placebo "spaghetti" of gaps, treated unit in black; returns the Figure."""
        import matplotlib.pyplot as plt

        if self.placebo_gaps is None or self.placebo is None:
            raise EstimationError("placebos were not computed (placebo=False)")
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
        for u in self.placebo_gaps.columns:
            if u == self.treated_unit:
                continue
            if max_pre_rmspe_ratio is not None and self.placebo.loc[u, "pre_rmspe"] > max_pre_rmspe_ratio * self.pre_rmspe:
                continue
            ax.plot(self.placebo_gaps.index, self.placebo_gaps[u], color="lightgrey", linewidth=0.8)
        ax.plot(self.path.index, self.path["gap"], color="black", linewidth=1.8, label=str(self.treated_unit))
        ax.axhline(0.0, color="grey", linewidth=0.6)
        ax.axvline(self.treatment_time, color="grey", linestyle=":")
        ax.set_ylabel("gap (treated − synthetic)")
        ax.legend(frameon=False)
        return fig

    def plot_leave_one_out(self, ax: Any = None) -> Any:
        """Synthetic paths of the leave-one-out refits around the main one; returns the Figure."""
        import matplotlib.pyplot as plt

        if self.leave_one_out is None:
            raise EstimationError("leave-one-out refits were not computed (leave_one_out=False)")
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
        for u in self.leave_one_out.columns:
            ax.plot(self.leave_one_out.index, self.leave_one_out[u], color="lightgrey", linewidth=0.8)
        ax.plot(self.path.index, self.path["treated"], color="black", label=str(self.treated_unit))
        ax.plot(self.path.index, self.path["synthetic"], color="tab:blue", linestyle="--", label="synthetic")
        ax.axvline(self.treatment_time, color="grey", linestyle=":")
        ax.legend(frameon=False)
        return fig


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------


def _rmspe(x: NDArray) -> float:
    x = x[np.isfinite(x)]
    return float(np.sqrt(np.mean(x * x))) if x.size else float("nan")


def rmspe_ratio(gap: NDArray, pre_mask: NDArray, post_mask: NDArray) -> tuple[float, float, float]:
    """Pre- and post-treatment root mean squared gap and their ratio (post / pre).

    The statistic ranked by the placebo-in-space test of :func:`synthetic_control` and
    :func:`~sosek_impact.estimators.synthetic_did.synthetic_did` (Abadie, Diamond and Hainmueller
    2010): ``gap`` is the treated outcome minus its synthetic counterpart, period by period. The
    ratio is infinite when the pre-period fit is exact.
    """
    gap = np.asarray(gap, dtype=float)
    pre, post = _rmspe(gap[np.asarray(pre_mask)]), _rmspe(gap[np.asarray(post_mask)])
    return pre, post, (post / pre if pre > 0 else float("inf"))


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
    _check_columns(data, [y, unit, time])
    if missing_treated not in ("raise", "drop"):
        raise InputError("missing_treated must be 'raise' or 'drop'", column="missing_treated", value=missing_treated)
    Y = _wide(data, y, unit, time)
    if treated_unit not in Y.columns:
        raise InputError("treated unit not in data", column=unit, value=treated_unit)
    _check_treatment_time(Y.index, treatment_time, time)
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
        P = _predictor_matrix(data, unit, time, units_all, list(predictors), pre)
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
    elif v_spec not in {"optimize", "equal"}:
        raise InputError("v must be 'optimize', 'equal' or an array", column="v", value=v_spec)

    P_raw = P.to_numpy(dtype=float)
    sd = P_raw.std(axis=1, ddof=1)
    sd[~np.isfinite(sd) | (sd <= 0)] = 1.0
    P_scaled = P_raw / sd[:, None]
    Yall = Y[units_all].to_numpy(dtype=float)
    pre_idx = np.array([times.get_loc(t) for t in pre])

    if placebo_v not in {"refit", "treated"}:
        raise InputError("placebo_v must be 'refit' or 'treated'", column="placebo_v", value=placebo_v)

    def fit_unit(j: int, pool_idx: list[int], starts: int, v_use: str | NDArray | None = None) -> tuple[_Fit, NDArray]:
        f = _fit_matrices(
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
    gap = Yall[:, 0] - synth
    path = pd.DataFrame({"treated": Yall[:, 0], "synthetic": synth, "gap": gap, "post": post_mask}, index=times)
    path.index.name = time
    pre_rmspe, post_rmspe, ratio = rmspe_ratio(gap, pre_mask, post_mask)
    scale = float(np.nanstd(Yall[pre_mask])) or 1.0
    if pre_rmspe <= 1e-8 * scale:
        notes.append(
            "the pre-period fit is exact (pre-RMSPE ~ 0), so the post/pre RMSPE ratio is unbounded and its placebo "
            "rank is not informative; read p_value_post (rank of the post-period RMSPE) instead"
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
    )

    if placebo:
        rows = []
        gaps = {treated_unit: gap}
        rows.append((treated_unit, pre_rmspe, post_rmspe, ratio, result.att_avg, True))
        for j in donor_idx:
            pool_idx = [k for k in donor_idx if k != j]
            _, s = fit_unit(j, pool_idx, placebo_n_starts, fit.v if placebo_v == "treated" else None)
            g = Yall[:, j] - s
            pr, po, rt = rmspe_ratio(g, pre_mask, post_mask)
            rows.append((units_all[j], pr, po, rt, float(np.mean(g[post_mask])), False))
            gaps[units_all[j]] = g
        table = pd.DataFrame(rows, columns=[unit, "pre_rmspe", "post_rmspe", "ratio", "att_avg", "treated"]).set_index(unit)
        result.placebo = table
        result.placebo_gaps = pd.DataFrame(gaps, index=times)
        others = table.loc[~table["treated"]]
        result.p_value = placebo_rank_p_value(ratio, others["ratio"].tolist())
        kept = others.loc[others["pre_rmspe"] <= pre_rmspe_cutoff * pre_rmspe]
        result.p_value_filtered = placebo_rank_p_value(ratio, kept["ratio"].tolist())
        result.p_value_post = placebo_rank_p_value(post_rmspe, others["post_rmspe"].tolist())

    if leave_one_out:
        paths, atts = {}, {}
        for d in weights.index[weights.to_numpy() > 1e-3]:
            k = units_all.index(d)
            pool_idx = [i for i in donor_idx if i != k]
            if len(pool_idx) < 1:
                continue
            _, s = fit_unit(0, pool_idx, n_starts)
            paths[d] = s
            atts[d] = float(np.nanmean((Yall[:, 0] - s)[post_mask]))
        result.leave_one_out = pd.DataFrame(paths, index=times)
        result.leave_one_out_att = pd.Series(atts, name="att_avg", dtype=float)
    return result


# ---------------------------------------------------------------------------------------------
# Several treated units
# ---------------------------------------------------------------------------------------------


@dataclass(repr=False, eq=False)
class MultiSyntheticControlResult(ResultsProtocol):
    """Separate synthetic controls for several treated units and their average.

    ``tidy()`` has the average effect (term ``"ATT"``, with ``p_value``) then the mean gap at each
    event time ``>= 0`` (``"e=0"``, extra ``event_time``); no standard error or interval (NaN).

    Attributes
    ----------
    fits : dict
        :class:`SyntheticControlResult` by treated unit.
    gaps_by_event_time : pandas.DataFrame
        Gap of each treated unit (columns) by event time ``period - treatment_time`` (rows;
        requires numeric periods).
    att_by_event_time : pandas.Series
        Mean gap across treated units at each event time ``>= 0``.
    att_avg : float
        Mean of the units' post-period average effects.
    p_value : float or None
        Placebo p-value of the mean RMSPE ratio: the mean of the treated units' ratios against
        the distribution of means obtained by drawing one placebo ratio from each treated
        unit's donor placebos (a seeded Monte Carlo of ``n_draws`` draws).
    """

    fits: dict[Hashable, SyntheticControlResult]
    gaps_by_event_time: pd.DataFrame
    att_by_event_time: pd.Series
    att_avg: float
    p_value: float | None

    def _tidy(self, alpha: float) -> pd.DataFrame:
        e = as_event_times(self.att_by_event_time.index)
        n = len(e)
        return pd.DataFrame({
            "term": ["ATT", *(f"e={plain(v)}" for v in e)],
            "estimate": [self.att_avg, *self.att_by_event_time.to_numpy(dtype=float)],
            "std_error": np.nan, "statistic": np.nan,
            "p_value": [np.nan if self.p_value is None else self.p_value, *([np.nan] * n)],
            "conf_low": np.nan, "conf_high": np.nan,
            "event_time": as_event_times([np.nan, *e]).array,
        })

    def _summary_header(self) -> list[str]:
        return [f"Synthetic controls for {len(self.fits)} treated units: "
                + ", ".join(str(plain(u)) for u in self.fits),
                "Row 'ATT': mean of the units' post-period average gaps; p_value: placebo test of the mean RMSPE ratio; "
                "rows e=...: mean gap at each event time"]


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
        treated_mean = float(np.mean([f.rmspe_ratio for f in fits.values()]))
        rng = np.random.default_rng(seed)
        draws = np.empty(n_draws)
        placebo_ratios = [f.placebo.loc[~f.placebo["treated"], "ratio"].to_numpy() for f in fits.values()]
        for i in range(n_draws):
            draws[i] = np.mean([r[rng.integers(r.size)] for r in placebo_ratios])
        p_value = float((1 + np.sum(draws >= treated_mean)) / (n_draws + 1))
    return MultiSyntheticControlResult(fits, gaps_df, att_et, att_avg, p_value)


make_module_callable(__name__)  # `from sosek_impact.estimators import synthetic_control` is the function either way
