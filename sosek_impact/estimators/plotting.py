"""Event-time figures of estimator results; functions return the Figure and never show it.

One function, :func:`event_time_plot`, draws every event-time result of the package (event study,
``att_gt``'s dynamic aggregate, Sun–Abraham): point estimates with pointwise intervals, the uniform
band where the fit has one (multiplier bootstrap), the reference period as a hollow point at zero,
and pre- and post-treatment periods in two colours either side of a dashed line at ``-0.5``. The
look follows the study's report figures (``analysis/border_posts.py``): bars for the uniform band,
error bars for pointwise intervals, a black zero line.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["event_time_plot", "event_study_plot"]

PRE_COLOR = "0.45"
POST_COLOR = "C1"


def event_time_plot(
    table: pd.DataFrame,
    *,
    ref: int | None = None,
    level: float = 0.95,
    ax: Any = None,
    title: str | None = None,
    xlabel: str = "Event time (periods since first treatment)",
    ylabel: str | None = None,
    band_label: str = "uniform band",
) -> Any:
    """Estimates by event time with pointwise intervals and, if given, a uniform band.

    Parameters
    ----------
    table
        One row per event time with columns ``event_time`` (integers), ``estimate``, ``conf_low``,
        ``conf_high`` and optionally ``cband_low``, ``cband_high`` (a uniform band). Rows with a
        missing ``event_time`` (e.g. an overall average) are left out; a missing interval is drawn
        as a point without bar (never filled in).
    ref
        The normalised reference event time (estimate 0 by construction), drawn as a hollow point;
        ``None`` when there is none (e.g. ``att_gt`` with a varying base period).
    level
        Coverage of the pointwise intervals, for the legend.
    ax
        Axes to draw on; a new Figure is made when ``None``.
    title, xlabel, ylabel
        Labels; ``ylabel`` defaults to "Effect relative to event time {ref}" or "Effect".
    band_label
        Legend entry of the uniform band.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes (not shown, not saved).
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        fig = Figure(figsize=(7, 4), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    t = table.loc[table["event_time"].notna()].copy()
    t["event_time"] = t["event_time"].astype(int)
    if ref is not None:
        t = t.loc[t["event_time"] != ref]
    t = t.sort_values("event_time")
    e = t["event_time"].to_numpy()
    b = t["estimate"].to_numpy(dtype=float)
    lo, hi = t["conf_low"].to_numpy(dtype=float), t["conf_high"].to_numpy(dtype=float)
    pre = e < 0
    if {"cband_low", "cband_high"} <= set(t.columns):
        blo, bhi = t["cband_low"].to_numpy(dtype=float), t["cband_high"].to_numpy(dtype=float)
        ok = np.isfinite(blo) & np.isfinite(bhi)
        ax.bar(e[ok], (bhi - blo)[ok], bottom=blo[ok], width=0.8, color=POST_COLOR, alpha=0.2, linewidth=0,
               label=f"{level:.0%} {band_label}")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linewidth=0.8, linestyle=":")
    for mask, color, name in ((pre, PRE_COLOR, "before treatment"), (~pre, POST_COLOR, "after treatment")):
        if not mask.any():
            continue
        err = np.vstack([b[mask] - lo[mask], hi[mask] - b[mask]])
        ax.errorbar(e[mask], b[mask], yerr=np.nan_to_num(err, nan=0.0), fmt="o", color=color, ecolor=color,
                    elinewidth=1.2, capsize=2.5, markersize=5, label=f"{name}, {level:.0%} pointwise")
    if ref is not None:
        ax.plot([ref], [0.0], marker="o", markersize=6, markerfacecolor="white", markeredgecolor="black",
                linestyle="none", label=f"reference period (e = {ref})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel if ylabel is not None else ("Effect" if ref is None else f"Effect relative to e = {ref}"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    return fig


def event_study_plot(result: Any, level: float = 0.95, ax: Any = None, **kwargs: Any) -> Any:
    """The figure of an event-time result: ``result.plot(level=level, ax=ax, **kwargs)``.

    Kept for earlier callers; every event-time result's ``plot()`` draws with
    :func:`event_time_plot`.
    """
    return result.plot(level=level, ax=ax, **kwargs)
