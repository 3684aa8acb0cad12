"""In-time placebos of synthetic control (Abadie, Diamond and Hainmueller 2015, sec. 4).

The treatment is pretended to start ``k`` periods before it did, at the ``k``-th last
pre-treatment period ``t_f``. The synthetic control is re-fitted with the same settings (predictors,
``V`` rule, donors) on the periods before ``t_f`` only -- the held-out periods ``[t_f, T0)`` and
everything after the true start are not used -- and its gap over the held-out window is the
placebo "effect". A credible synthetic control shows no gap there.

Predictors given as ``(column, periods[, how])`` keep only their periods before ``t_f``; a
predictor with none left is dropped and the drop is noted. Gaps and RMSPEs follow the exact-fit
resolution of the original fit (:mod:`sosek_impact.estimators.synth_rank`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError, InputError
from sosek_impact.estimators.synth_rank import rmspe_ratio, snap_gap
from sosek_impact.results_protocol import ResultsProtocol, as_event_times, format_number, plain

if TYPE_CHECKING:  # pragma: no cover
    from sosek_impact.estimators.synthetic_control_result import SyntheticControlResult

__all__ = ["InTimePlaceboResult", "in_time_placebo"]


@dataclass(repr=False, eq=False)
class InTimePlaceboResult(ResultsProtocol):
    """In-time placebos of one synthetic control.

    ``tidy()`` has one row per shift (term ``"shift=k"``): ``estimate`` the mean placebo gap over the
    held-out window, no standard error or interval (NaN), extras ``placebo_time`` (the pretended
    start), ``n_pre``, ``n_held_out``, ``pre_rmspe``, ``held_out_rmspe``.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by shift ``k``: ``placebo_time, n_pre, n_held_out, pre_rmspe, held_out_rmspe, ratio,
        placebo_att`` (RMSPEs at or below the fit's resolution are 0; the ratio is then infinite).
    gaps : pandas.DataFrame
        Gap (treated - synthetic of the placebo fit) by period (rows) and shift (columns), over all
        periods, the true post-period included.
    weights : pandas.DataFrame
        Donor weights of each placebo fit (columns: shifts).
    treatment_time
        The true first treated period.
    notes : list of str
    """

    table: pd.DataFrame
    gaps: pd.DataFrame
    weights: pd.DataFrame
    treatment_time: Any
    outcome: str = "outcome"
    notes: list[str] = field(default_factory=list)

    def _tidy(self, alpha: float) -> pd.DataFrame:
        t = self.table
        try:
            placebo_time = as_event_times(t["placebo_time"]).array
        except (TypeError, ValueError):
            placebo_time = t["placebo_time"].to_numpy()
        return pd.DataFrame({
            "term": [f"shift={k}" for k in t.index],
            "estimate": t["placebo_att"].to_numpy(dtype=float),
            "std_error": np.nan, "statistic": np.nan, "p_value": np.nan, "conf_low": np.nan, "conf_high": np.nan,
            "placebo_time": placebo_time,
            "n_pre": t["n_pre"].to_numpy(dtype="int64"),
            "n_held_out": t["n_held_out"].to_numpy(dtype="int64"),
            "pre_rmspe": t["pre_rmspe"].to_numpy(dtype=float),
            "held_out_rmspe": t["held_out_rmspe"].to_numpy(dtype=float),
        })

    def _summary_header(self) -> list[str]:
        return [
            f"In-time placebos: treatment pretended to start k periods before {plain(self.treatment_time)}, "
            "synthetic control re-fitted on the earlier periods only",
            "estimate: mean placebo gap over the held-out periods (should be near 0); "
            + "; ".join(f"k={k}: pre-RMSPE {format_number(r.pre_rmspe)}, held-out RMSPE {format_number(r.held_out_rmspe)}"
                        for k, r in self.table.iterrows()),
        ]

    def _summary_footer(self) -> list[str]:
        return [f"note: {n}" for n in self.notes]

    def plot(self, ax: Any = None, *, title: str | None = None) -> Any:
        """Placebo gap of each shift over all periods, a dotted line at each pretended start."""
        from sosek_impact.estimators.synth_plot import gap_plot

        g = self.gaps.copy()
        g.columns = [f"pretended start {plain(t)} (k={k})" for k, t in zip(self.table.index, self.table["placebo_time"])]
        fig = gap_plot(g, g.columns[0], keep=[], treatment_time=self.treatment_time, treated_label=g.columns[0],
                       xlabel=str(g.index.name or "period"), ylabel=f"gap in {self.outcome} (treated − synthetic)",
                       title=title, ax=ax)
        ax_ = fig.axes[0] if ax is None else ax
        for k, col in enumerate(g.columns[1:], start=1):
            ax_.plot(g.index, g[col].to_numpy(dtype=float), color=f"C{k}", linewidth=1.2, label=col)
        for k, t in enumerate(self.table["placebo_time"]):
            ax_.axvline(t, color="black" if k == 0 else f"C{k}", linestyle=(0, (1, 3)), linewidth=0.8)
        ax_.legend(frameon=False, fontsize=8)
        return fig


def _truncated_predictors(predictors: Sequence[Any] | None, keep: set[Any]) -> tuple[list[Any] | None, list[str]]:
    if predictors is None:
        return None, []
    out, dropped = [], []
    for spec in predictors:
        if isinstance(spec, str):
            out.append(spec)
            continue
        periods = [t for t in spec[1] if t in keep]
        if not periods:
            dropped.append(str(spec[0]) + str(list(spec[1])[:3]))
            continue
        out.append((spec[0], periods, *spec[2:]))
    return out, dropped


def in_time_placebo(result: SyntheticControlResult, shift: int | Sequence[int] = 1) -> InTimePlaceboResult:
    """Re-fit ``result``'s synthetic control as if treatment had started ``shift`` periods earlier.

    Parameters
    ----------
    result
        A :class:`~sosek_impact.estimators.synthetic_control.SyntheticControlResult`.
    shift
        One or several positive integers ``k``: the pretended start is the ``k``-th last
        pre-treatment period, so that ``k`` pre-periods are held out. At least one pre-period
        must remain before it.

    Returns
    -------
    InTimePlaceboResult

    Raises
    ------
    InputError
        A shift that is not a positive integer or leaves no pre-period to fit.
    EstimationError
        The result carries no design (it was not made by ``synthetic_control``) or every predictor
        falls in the held-out window.
    """
    from sosek_impact.estimators.synthetic_control_fit import synthetic_control

    d = result.design
    if d is None:
        raise EstimationError("in-time placebos need the fit's design; refit with synthetic_control")
    shifts = [shift] if isinstance(shift, (int, np.integer)) else list(shift)
    pre = list(d.pre)
    rows, gaps, weights, notes = [], {}, {}, []
    times = d.times
    for k in shifts:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1 or k >= len(pre):
            raise InputError(
                f"shift must be an integer from 1 to {len(pre) - 1} (the fit has {len(pre)} pre-periods)",
                column="shift", value=plain(k),
            )
        t_f = pre[len(pre) - int(k)]
        fit_periods = [t for t in pre if t < t_f]
        preds, dropped = _truncated_predictors(d.predictors, set(fit_periods))
        if dropped:
            notes.append(f"k={k}: predictor(s) {', '.join(dropped)} lie in the held-out window and are dropped")
        if d.predictors is not None and not preds:
            raise EstimationError(f"shift {k}: every predictor lies in the held-out window")
        v = d.v
        if preds is not None and len(preds) != (len(d.predictors) if d.predictors else 0) and not isinstance(v, str):
            v = "optimize"  # an explicit V no longer matches the predictors
            notes.append(f"k={k}: the given V does not fit the remaining predictors; V optimised instead")
        sub = d.data.loc[d.data[d.unit].isin(d.units) & d.data[d.time].isin(list(times[times < result.treatment_time]))]
        fit = synthetic_control(
            sub, d.y, d.unit, d.time, d.units[0], t_f, predictors=preds, pre_periods=fit_periods, v=v,
            placebo=False, leave_one_out=False, donors=list(d.units[1:]), n_starts=d.n_starts, seed=d.seed,
        )
        w = fit.weights.reindex(d.units[1:]).fillna(0.0)  # donors dropped in the refit have weight 0
        synth = d.Y[:, 1:] @ w.to_numpy()
        gap = snap_gap(d.Y[:, 0] - synth, result.resolution)
        pre_mask = np.asarray(times < t_f) & np.isin(np.asarray(times), fit_periods)
        held = np.asarray((times >= t_f) & (times < result.treatment_time)) & np.isin(np.asarray(times), pre)
        pr, po, ratio = rmspe_ratio(gap, pre_mask, held, result.resolution)
        rows.append((int(k), plain(t_f), int(pre_mask.sum()), int(held.sum()), pr, po, ratio, float(np.mean(gap[held]))))
        gaps[int(k)] = gap
        weights[int(k)] = w
    table = pd.DataFrame(rows, columns=["shift", "placebo_time", "n_pre", "n_held_out", "pre_rmspe", "held_out_rmspe",
                                        "ratio", "placebo_att"]).set_index("shift")
    gap_df = pd.DataFrame(gaps, index=times)
    gap_df.columns.name = "shift"
    return InTimePlaceboResult(table, gap_df, pd.DataFrame(weights), result.treatment_time, result.outcome, notes)
