"""Result objects of synthetic control: one treated unit, and several averaged."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError
from sosek_impact.estimators.synth_plot import SynthPathPlot, display_name, gap_plot, path_plot
from sosek_impact.results_protocol import ResultsProtocol, as_event_times, format_number, format_pvalue, plain

__all__ = ["MultiSyntheticControlResult", "SyntheticControlResult"]


@dataclass(repr=False, eq=False)
class SyntheticControlResult(SynthPathPlot, ResultsProtocol):
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
        Placebo rank p-value ``rank / (J + 1)`` of the RMSPE ratio, under the exact-fit and tie
        rules of :mod:`sosek_impact.estimators.synth_rank`: a pre-RMSPE at or below
        ``resolution`` is an exact fit (reported as 0, ratio infinite) and exact fits are ranked
        by their post-RMSPE; statistics within a relative 1e-6 are ties, counted against the
        treated unit.
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
    outcome : str
        Label of the outcome (the y axis of the figures).
    unit_name : str or None
        Display name of the treated unit (legend of the figures), else its code.
    resolution : float
        Exact-fit resolution ``1e-6 * sd`` of the pre-period outcomes of all units in the fit;
        gaps and RMSPEs at or below it are reported as exactly 0.
    exact_fit : bool
        The treated unit's pre-period fit is exact (pre-RMSPE at or below ``resolution``).
    n_exact_fit_placebos : int or None
        Placebos whose pre-period fit is exact (ranked by their post-RMSPE).
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
    outcome: str = "outcome"
    unit_name: str | None = None
    resolution: float = 0.0
    exact_fit: bool = False
    n_exact_fit_placebos: int | None = None
    design: Any = field(default=None, repr=False)

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
            f"pre-treatment periods: {self.n_pre}; donors with weight > 0.001: " + self._top_weights(),
            (f"pre-RMSPE 0 (exact fit: at most {format_number(self.resolution, 2)}), post-RMSPE "
             f"{format_number(self.post_rmspe)}, ratio undefined (ranked by post-RMSPE among exact fits)"
             if self.exact_fit else
             f"pre-RMSPE {format_number(self.pre_rmspe)}, post-RMSPE {format_number(self.post_rmspe)}, "
             f"ratio {format_number(self.rmspe_ratio)}"),
        ]
        if self.p_value is not None:
            lines.append(
                f"p_value of 'ATT': placebo rank of the RMSPE ratio {format_pvalue(self.p_value)} (filtered: "
                f"{format_pvalue(self.p_value_filtered)}; post-RMSPE only: {format_pvalue(self.p_value_post)}); "
                "rows t=...: gap treated - synthetic"
            )
            if self.n_exact_fit_placebos:
                lines.append(f"{self.n_exact_fit_placebos} of {len(self.placebo) - 1} placebos fit the pre-period "
                             "exactly (ranked by post-RMSPE)")
        return lines

    def _summary_footer(self) -> list[str]:
        return [f"note: {n}" for n in self.notes]

    def _top_weights(self, n: int = 10) -> str:
        """The ``n`` largest weights above 0.001 (ties by donor order), and how many more there are."""
        w = self.weights[self.weights > 1e-3]
        top = w.iloc[np.lexsort((np.arange(len(w)), -w.to_numpy()))][:n]
        text = ", ".join(f"{plain(k)}={v:.3f}" for k, v in top.items())
        return text + (f" (+{len(w) - n} more)" if len(w) > n else "")

    def _name(self, unit_names: Mapping[Any, Any] | None) -> str:
        return display_name(self.treated_unit, unit_names, None if unit_names else self.unit_name)

    def _draw_path(self, ax: Any, unit_names: Mapping[Any, Any] | None, ylabel: str, title: str | None) -> Any:
        """Treated path against its synthetic control (:meth:`plot`); ``unit_names`` defaults to the
        ``unit_names`` given to the fit, else the unit's code."""
        p = self.path
        return path_plot(p.index, p["treated"], p["synthetic"], treatment_time=self.treatment_time,
                         treated_label=self._name(unit_names), xlabel=str(p.index.name or "period"),
                         ylabel=ylabel, title=title, ax=ax)

    def plot_path(self, ax: Any = None, **kwargs: Any) -> Any:
        """Same as :meth:`plot` (kept for earlier callers)."""
        return self.plot(ax, **kwargs)

    def plot_placebos(self, ax: Any = None, max_pre_rmspe_ratio: float | None = None, *,
                      unit_names: Mapping[Any, Any] | None = None, title: str | None = None) -> Any:
        """Placebo "spaghetti" of gaps, treated unit in black; returns the Figure.

        ``max_pre_rmspe_ratio`` leaves out placebos whose pre-RMSPE exceeds that multiple of the
        treated unit's (both floored at ``resolution``).
        """
        if self.placebo_gaps is None or self.placebo is None:
            raise EstimationError("placebos were not computed (placebo=False)")
        keep = None
        if max_pre_rmspe_ratio is not None:
            floor = max(self.pre_rmspe, self.resolution)
            pre = np.maximum(self.placebo["pre_rmspe"], self.resolution)
            keep = list(self.placebo.index[pre <= max_pre_rmspe_ratio * floor])
        return gap_plot(self.placebo_gaps, self.treated_unit, treatment_time=self.treatment_time,
                        treated_label=self._name(unit_names), keep=keep,
                        xlabel=str(self.path.index.name or "period"),
                        ylabel=f"gap in {self.outcome} (treated − synthetic)", title=title, ax=ax)

    def plot_leave_one_out(self, ax: Any = None, *, unit_names: Mapping[Any, Any] | None = None,
                           title: str | None = None) -> Any:
        """Synthetic paths of the leave-one-out refits (grey) around the main one; returns the Figure."""
        if self.leave_one_out is None:
            raise EstimationError("leave-one-out refits were not computed (leave_one_out=False)")
        p = self.path
        return path_plot(p.index, p["treated"], p["synthetic"], treatment_time=self.treatment_time,
                         treated_label=self._name(unit_names), others=self.leave_one_out,
                         others_label="leaving out one donor", xlabel=str(p.index.name or "period"),
                         ylabel=self.outcome, title=title, ax=ax)

    def in_time_placebo(self, shift: int | list[int] = 1) -> Any:
        """In-time placebos: treatment pretended ``shift`` periods earlier, re-fitted on the earlier periods.

        See :func:`sosek_impact.estimators.synth_in_time.in_time_placebo`.
        """
        from sosek_impact.estimators.synth_in_time import in_time_placebo

        return in_time_placebo(self, shift)

    def conformal(self, theta0: Any = 0.0, **kwargs: Any) -> Any:
        """Conformal test of the effect path ``theta0`` and per-period confidence sets (CWZ 2021).

        See :func:`sosek_impact.estimators.synth_conformal.conformal_inference`.
        """
        from sosek_impact.estimators.synth_conformal import conformal_inference

        return conformal_inference(self, theta0, **kwargs)


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


    def plot(self, *, unit_names: Mapping[Any, Any] | None = None, ylabel: str | None = None, ncols: int = 3,
             title: str | None = None) -> Any:
        """One panel per treated unit: its path against its synthetic control; returns the Figure.

        ``unit_names`` maps units to display names (panel titles and legends); ``ylabel``
        defaults to the outcome column.
        """
        from matplotlib.figure import Figure

        n = len(self.fits)
        ncols = max(1, min(ncols, n))
        nrows = -(-n // ncols)
        fig = Figure(figsize=(3.6 * ncols, 2.8 * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax, (u, fit) in zip(axes.ravel(), self.fits.items()):
            name = fit._name(unit_names)
            fit.plot(ax=ax, unit_names=unit_names, ylabel=ylabel, title=name)
        for ax in axes.ravel()[n:]:
            ax.set_visible(False)
        if title:
            fig.suptitle(title, fontsize=11)
        return fig
