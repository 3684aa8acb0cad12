"""Figures of estimator results; functions return the Figure and never show it."""

from __future__ import annotations

from typing import Any

__all__ = ["event_study_plot"]


def event_study_plot(
    result: Any,
    level: float = 0.95,
    ax: Any = None,
    *,
    title: str | None = None,
    ylabel: str = "Effect relative to event time −1",
    color: str = "C0",
) -> Any:
    """Event-study coefficients with pointwise confidence intervals.

    Parameters
    ----------
    result
        An :class:`~sosek_impact.estimators.event_study.EventStudyResults` (anything with an
        ``estimates(level)`` method returning ``event_time, estimate, conf_low, conf_high``).
    level
        Coverage of the intervals.
    ax
        Axes to draw on; a new Figure is made when ``None``.
    title, ylabel, color
        Labels and colour.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes (not shown, not saved).
    """
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 4))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    ref = getattr(result, "ref", None)
    est = result.estimates(level)
    est = est[est["event_time"] != ref]
    e = est["event_time"].to_numpy()
    b = est["estimate"].to_numpy()
    err = [b - est["conf_low"].to_numpy(), est["conf_high"].to_numpy() - b]
    ax.axhline(0.0, color="0.5", linewidth=0.8)
    ax.axvline(-0.5, color="0.5", linewidth=0.8, linestyle="--")
    ax.errorbar(e, b, yerr=err, fmt="o", color=color, capsize=3, label=f"{level:.0%} CI")
    if ref is not None:
        ax.plot([ref], [0.0], marker="o", markerfacecolor="white", color=color, linestyle="none",
                label=f"reference ({ref})")
    ax.set_xlabel("Event time (periods since first treatment)")
    ax.set_ylabel(ylabel)
    pre = getattr(result, "pretrend", None)
    if title is None and pre is not None:
        title = f"Joint test of leads: F({pre.df[0]}, {pre.df[1]}) = {pre.statistic:.2f}, p = {pre.pvalue:.3f}"
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    return fig
