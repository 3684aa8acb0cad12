"""Goodman-Bacon (2021) decomposition of the TWFE coefficient of a staggered binary treatment.

On a balanced panel where units adopt a binary treatment at different times and keep it, the
coefficient of ``D`` in ``y_it = a_i + l_t + beta D_it + e_it`` is a weighted average of every
2x2 difference-in-differences that the timing allows (Goodman-Bacon 2021, Theorem 1):

``"treated_vs_never"``
    timing group ``k`` against the units whose treatment never changes in the sample ``U``
    (never treated and always treated: a constant ``D`` is absorbed by the unit effect), over
    all periods;
``"earlier_vs_later"``
    an earlier group ``k`` (treated at ``t_k``) against a later group ``l`` not yet treated,
    over the periods before ``t_l``;
``"later_vs_earlier"``
    the later group ``l`` against the earlier group ``k`` *already treated*, over the periods
    from ``t_k`` on — the "forbidden" comparison, biased when effects change over time.

Each weight is ``(share of the panel's observations in the comparison)^2 x (variance of the
two-way demeaned treatment within the comparison) / (variance of the two-way demeaned treatment
in the whole panel)``: the weights sum to one and ``sum(weight x estimate)`` is the TWFE
coefficient exactly. Each 2x2 estimate is the TWFE coefficient on the comparison's sub-panel
(two groups, its window), which is the difference in differences of the groups' period means.
No covariates, no weights; the panel must be balanced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.diagnostics._timing_panel import double_demean, timing_panel, twfe_coefficient
from sosek_impact.results_protocol import ResultsProtocol, format_number, plain

__all__ = ["BaconDecompositionResult", "bacon_decomposition", "COMPARISON_TYPES"]

COMPARISON_TYPES = ("treated_vs_never", "earlier_vs_later", "later_vs_earlier")
_LABELS = {"treated_vs_never": "treated vs never/always treated", "earlier_vs_later": "earlier vs later treated",
           "later_vs_earlier": "later vs earlier treated (forbidden)"}
_COLORS = {"treated_vs_never": "C0", "earlier_vs_later": "C2", "later_vs_earlier": "C3"}


@dataclass(repr=False, eq=False)
class BaconDecompositionResult(ResultsProtocol):
    """Result of :func:`bacon_decomposition`.

    In the package's results protocol: ``tidy()`` has the TWFE coefficient first (term
    ``"TWFE"``), then one row per 2x2 comparison (term ``"<type>: <treated> vs <control>"``) with
    the extras ``comparison_type``, ``treated``, ``control``, ``weight``, ``window_start``,
    ``window_end``. The decomposition is exact arithmetic on the sample: it has no standard
    errors, so ``std_error``, ``statistic``, ``p_value`` and the interval are missing.

    Attributes
    ----------
    table
        One row per comparison: ``comparison_type, treated, control, estimate, weight,
        window_start, window_end, n_units``. ``control`` is ``"U"`` for the never/always
        treated units.
    twfe_estimate
        The TWFE coefficient.
    n_never_treated, n_always_treated
        Units in ``U``.
    """

    table: pd.DataFrame
    twfe_estimate: float
    n_never_treated: int
    n_always_treated: int

    def _tidy(self, alpha: float) -> pd.DataFrame:
        t = self.table
        terms = ["TWFE", *(f"{c}: {plain(a)} vs {plain(b)}" for c, a, b in zip(t["comparison_type"], t["treated"], t["control"]))]
        nan = [np.nan] * len(terms)
        return pd.DataFrame({
            "term": terms, "estimate": [self.twfe_estimate, *t["estimate"]], "std_error": nan, "statistic": nan,
            "p_value": nan, "conf_low": nan, "conf_high": nan,
            "comparison_type": ["twfe", *t["comparison_type"]], "treated": [None, *t["treated"]],
            "control": [None, *t["control"]], "weight": [1.0, *t["weight"]],
            "window_start": [np.nan, *t["window_start"]], "window_end": [np.nan, *t["window_end"]],
        })

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted average 2x2 estimate of each comparison type (types present)."""
        rows = []
        for c in COMPARISON_TYPES:
            part = self.table[self.table["comparison_type"] == c]
            if len(part):
                w = float(part["weight"].sum())
                avg = float((part["weight"] * part["estimate"]).sum() / w) if w > 0 else float("nan")
                rows.append((c, len(part), w, avg))
        return pd.DataFrame(rows, columns=["comparison_type", "n_comparisons", "weight", "average_estimate"])

    def _summary_header(self) -> list[str]:
        return [
            "Goodman-Bacon (2021) decomposition of the TWFE coefficient",
            f"TWFE coefficient: {format_number(self.twfe_estimate)}    comparisons: {len(self.table)}    "
            f"U = {self.n_never_treated} never + {self.n_always_treated} always treated units",
        ]

    _summary_columns = ("estimate", "weight")

    def _summary_footer(self) -> list[str]:
        lines = ["By comparison type (weight, weighted average 2x2 estimate):"]
        for _, r in self.by_type().iterrows():
            lines.append(f"  {_LABELS[r['comparison_type']]:<38} {format_number(r['weight'])}  "
                         f"{format_number(r['average_estimate'])}")
        return lines

    def plot(self, ax: Any = None) -> Any:
        """2x2 estimates against their weights by comparison type, the TWFE coefficient as a line."""
        import matplotlib.pyplot as plt

        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 4.2))
        for c in COMPARISON_TYPES:
            part = self.table[self.table["comparison_type"] == c]
            if len(part):
                ax.scatter(part["weight"], part["estimate"], s=36, color=_COLORS[c], label=_LABELS[c],
                           marker={"treated_vs_never": "o", "earlier_vs_later": "^", "later_vs_earlier": "x"}[c])
        ax.axhline(self.twfe_estimate, color="black", linestyle="--", linewidth=1,
                   label=f"TWFE = {format_number(self.twfe_estimate, 3)}")
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_xlabel("weight")
        ax.set_ylabel("2x2 DiD estimate")
        ax.set_title("Goodman-Bacon decomposition")
        ax.legend(frameon=False, fontsize=8)
        return fig


def bacon_decomposition(data: pd.DataFrame, y: str, unit: str, time: str, group: str) -> BaconDecompositionResult:
    """Goodman-Bacon decomposition of the TWFE coefficient into 2x2 comparisons.

    Parameters
    ----------
    data
        Balanced long panel, one row per (unit, period), no missing outcome.
    y
        Outcome column.
    unit, time
        Unit and (numeric) period columns.
    group
        First treated period of each unit (constant within unit); 0 or missing = never treated.
        Units first treated in the first period are always treated and join ``U``; groups after
        the last period are never treated.

    Returns
    -------
    BaconDecompositionResult

    Raises
    ------
    SchemaError, MissingValueError, UnbalancedPanelError, GroupColumnError, EstimationError
        See :func:`sosek_impact.diagnostics._timing_panel.timing_panel`.
    """
    p = timing_panel(data, y, unit, time, group)
    n, n_t = p.y.shape
    first = p.periods[0]
    untreated = (p.unit_group == 0) | (p.unit_group == first)
    timed = np.sort(np.unique(p.unit_group[~untreated]))
    total_var = float(np.mean(double_demean(p.d) ** 2))
    rows = []

    def comparison(kind: str, treated: float, control: Any, units: np.ndarray, cols: np.ndarray) -> None:
        ys, ds = p.y[np.ix_(units, cols)], p.d[np.ix_(units, cols)]
        share = units.sum() * cols.sum() / (n * n_t)
        weight = share**2 * float(np.mean(double_demean(ds) ** 2)) / total_var
        rows.append((kind, treated, control, twfe_coefficient(ys, ds), weight, float(p.periods[cols][0]),
                     float(p.periods[cols][-1]), int(units.sum())))

    all_t = np.ones(n_t, dtype=bool)
    for k in timed:
        in_k = p.unit_group == k
        if untreated.any():
            comparison("treated_vs_never", k, "U", in_k | untreated, all_t)
        for l_ in timed[timed > k]:
            both = in_k | (p.unit_group == l_)
            comparison("earlier_vs_later", k, l_, both, p.periods < l_)
            comparison("later_vs_earlier", l_, k, both, p.periods >= k)
    table = pd.DataFrame(rows, columns=["comparison_type", "treated", "control", "estimate", "weight",
                                        "window_start", "window_end", "n_units"])
    table["treated"] = table["treated"].astype(object).map(_as_period)
    table["control"] = table["control"].map(_as_period)
    return BaconDecompositionResult(
        table=table, twfe_estimate=twfe_coefficient(p.y, p.d), n_never_treated=int((p.unit_group == 0).sum()),
        n_always_treated=int((p.unit_group == first).sum()),
    )


def _as_period(v: Any) -> Any:
    """A whole-number period as an int (``2004.0`` → ``2004``), anything else unchanged."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    return v
