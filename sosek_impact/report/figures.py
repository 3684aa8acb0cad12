"""Deterministic figure saving: same figure, same bytes, on every run.

Matplotlib writes the software version into PNG metadata and the date plus random ids into
SVG; both are switched off here. The Agg backend and a fixed font family make the pixels
independent of the display and of the fonts found on the machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..atomic import atomic_path

__all__ = ["use_study_style", "save_figure", "add_source_note"]

_STYLE_DONE = False


def use_study_style() -> None:
    """Select the Agg backend and a fixed, readable style (call before creating figures)."""
    global _STYLE_DONE
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import seaborn as sns

    if not _STYLE_DONE:
        sns.set_theme(style="whitegrid", context="notebook")
        plt.rcParams.update(
            {
                "font.family": "DejaVu Sans",  # shipped with matplotlib: same glyphs everywhere
                "svg.hashsalt": "sosek_impact",
                "svg.fonttype": "none",
                "figure.dpi": 100,
                "savefig.dpi": 130,
                "axes.titleweight": "bold",
                "axes.titlesize": 12,
                "figure.titlesize": 13,
            }
        )
        _STYLE_DONE = True


def add_source_note(fig: Any, text: str) -> None:
    """Write a small source line at the bottom left of ``fig``."""
    fig.text(0.01, 0.005, text, fontsize=7.5, color="0.35", ha="left", va="bottom", wrap=True)


def save_figure(fig: Any, path: str | Path, *, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Save ``fig`` atomically and reproducibly in each format, then close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path
        Target path; its suffix is replaced by each entry of ``formats``.
    formats : tuple of str
        ``"png"``, ``"svg"`` and/or ``"pdf"``.

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib.pyplot as plt

    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    }
    written = []
    path = Path(path)
    for fmt in formats:
        target = path.with_suffix("." + fmt)
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, metadata=metadata[fmt], bbox_inches="tight")
        written.append(target)
    plt.close(fig)
    return written
