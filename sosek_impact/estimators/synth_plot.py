"""Figures of synthetic-control and synthetic-DiD results; functions return the Figure and never show it.

Every figure has the periods on the x axis with whole-number ticks when the periods are whole
numbers (years), the outcome's label on the y axis, the start of treatment as a dotted line, and the
treated unit under its name (from a ``unit_names`` mapping, e.g. regency code -> regency name) in
the legend rather than its code.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SynthPathPlot", "display_name", "gap_plot", "path_plot"]

TREATED_COLOR = "black"
SYNTH_COLOR = "C0"
PLACEBO_COLOR = "0.78"


def display_name(unit: Hashable, unit_names: Mapping[Any, Any] | None = None, default: str | None = None) -> str:
    """The unit's name from ``unit_names`` (by the unit, or by its ``int``/``str`` spelling), else its code."""
    if unit_names:
        for key in (unit, _as_int(unit), str(unit)):
            if key is not None and key in unit_names and pd.notna(unit_names[key]):
                return str(unit_names[key])
    if default is not None:
        return default
    v = unit.item() if isinstance(unit, np.generic) else unit
    return str(v)


def _as_int(unit: Any) -> int | None:
    try:
        f = float(unit)
    except (TypeError, ValueError):
        return None
    return int(f) if np.isfinite(f) and f.is_integer() else None


def _axes(ax: Any) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), layout="constrained")
    return fig, fig.add_subplot()


def _finish(ax: Any, index: pd.Index, treatment_time: Any, xlabel: str, ylabel: str, title: str | None) -> None:
    from matplotlib.ticker import MaxNLocator

    if treatment_time is not None:
        try:
            ax.axvline(treatment_time, color="grey", linestyle=":", linewidth=1.0, label="treatment starts")
        except (TypeError, ValueError):  # non-numeric periods: no line
            pass
    if pd.api.types.is_numeric_dtype(index):
        vals = np.asarray(index, dtype=float)
        if vals.size and np.all(np.mod(vals[np.isfinite(vals)], 1) == 0):
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=8)


def path_plot(
    index: pd.Index,
    treated: Sequence[float],
    synthetic: Sequence[float],
    *,
    treatment_time: Any = None,
    treated_label: str,
    synthetic_label: str = "synthetic control",
    others: pd.DataFrame | None = None,
    others_label: str | None = None,
    xlabel: str = "period",
    ylabel: str = "outcome",
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Treated path (solid black) against its synthetic counterpart (dashed), optional grey paths.

    Parameters
    ----------
    index
        Periods (x values).
    treated, synthetic
        Outcome of the treated unit and of its synthetic counterpart by period (missing values
        are gaps in the line, never filled).
    treatment_time
        First treated period (dotted vertical line).
    treated_label, synthetic_label
        Legend entries (the treated unit's name, not its code).
    others, others_label
        Further paths (columns) drawn in grey first, e.g. leave-one-out synthetic controls.
    xlabel, ylabel, title
        Axis labels (``ylabel``: the outcome's label) and title.
    ax
        Axes to draw on; a new Figure when ``None``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    if others is not None:
        for k, col in enumerate(others.columns):
            ax.plot(others.index, others[col].to_numpy(dtype=float), color=PLACEBO_COLOR, linewidth=0.8,
                    label=others_label if k == 0 else None)
    ax.plot(index, np.asarray(treated, dtype=float), color=TREATED_COLOR, linewidth=1.6, label=treated_label)
    ax.plot(index, np.asarray(synthetic, dtype=float), color=SYNTH_COLOR, linestyle="--", linewidth=1.6,
            label=synthetic_label)
    _finish(ax, pd.Index(index), treatment_time, xlabel, ylabel, title)
    return fig


def gap_plot(
    gaps: pd.DataFrame,
    treated: Hashable,
    *,
    treatment_time: Any = None,
    treated_label: str,
    keep: Sequence[Hashable] | None = None,
    xlabel: str = "period",
    ylabel: str = "gap (treated − synthetic)",
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Placebo "spaghetti": every unit's gap in grey, the treated unit's in black.

    Parameters
    ----------
    gaps
        Gap by period (rows) and unit (columns), the treated unit included.
    treated
        The treated unit's column.
    keep
        Placebo columns to draw (default all).
    treatment_time, treated_label, xlabel, ylabel, title, ax
        As in :func:`path_plot`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    cols = [c for c in (gaps.columns if keep is None else keep) if c != treated]
    for k, c in enumerate(cols):
        ax.plot(gaps.index, gaps[c].to_numpy(dtype=float), color=PLACEBO_COLOR, linewidth=0.8,
                label="placebos (donors as if treated)" if k == 0 else None)
    ax.plot(gaps.index, gaps[treated].to_numpy(dtype=float), color=TREATED_COLOR, linewidth=1.8, label=treated_label)
    ax.axhline(0.0, color="grey", linewidth=0.6)
    _finish(ax, gaps.index, treatment_time, xlabel, ylabel, title)
    return fig


class SynthPathPlot:
    """Mixin giving a synthetic-comparison result its :meth:`plot` (treated path against the synthetic one).

    The result class draws the figure in ``_draw_path(ax, unit_names, ylabel, title)``; it has an
    ``outcome`` attribute, the default y-axis label.
    """

    outcome: str

    def _draw_path(self, ax: Any, unit_names: Mapping[Any, Any] | None, ylabel: str, title: str | None) -> Any:
        raise NotImplementedError  # pragma: no cover - implemented by the result class

    def plot(self, ax: Any = None, *, unit_names: Mapping[Any, Any] | None = None, ylabel: str | None = None,
             title: str | None = None) -> Any:
        """Treated path against its synthetic comparison; returns the matplotlib Figure (not shown).

        What is drawn, and how ``unit_names`` labels the treated unit(s), is said by the result
        class's ``_draw_path``.

        Parameters
        ----------
        ax
            Axes to draw on (new Figure when ``None``).
        unit_names
            Mapping unit -> display name for the legend.
        ylabel, title
            Y-axis label (default: the outcome column) and title.

        Returns
        -------
        matplotlib.figure.Figure
        """
        return self._draw_path(ax, unit_names, ylabel or self.outcome, title)
