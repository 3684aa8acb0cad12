"""The result object of an aggregation of ATT(g,t): :class:`AggregatedEffects` (R ``did::aggte``).

Built by :func:`~sosek_impact.estimators.did_aggregate.aggregate_cells`; it behaves as every
result of the package (``summary``, ``tidy``, ``conf_int``, ``plot``) and, for one more release,
as the DataFrame of releases before 0.2 (with a ``FutureWarning``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.results_protocol import (
    ResultsProtocol,
    as_event_times,
    deprecated_alias,
    format_number,
    normal_tidy,
    plain,
)

__all__ = ["LABELS", "AggregatedEffects"]


#: column and term prefix of the rows of each kind (``"simple"`` has no rows)
LABELS = {"group": ("group", "g"), "dynamic": ("event_time", "e"), "calendar": ("time", "t")}


@dataclass(frozen=True, repr=False, eq=False)
class AggregatedEffects(ResultsProtocol):
    """Aggregated effects of an ``att_gt`` fit (R ``did::aggte``), in the package's results protocol.

    ``summary()`` / ``print``, ``tidy()``, ``conf_int()`` and, for event times, ``plot()`` behave as
    for every other result. ``tidy()`` has the overall summary parameter first (term ``"ATT"``),
    then one row per group (``"g=2004"``), event time (``"e=-1"``) or period (``"t=2006"``) with the
    label as an integer column ``group`` / ``event_time`` / ``time``; with the multiplier bootstrap
    it adds the uniform band ``cband_low, cband_high`` (at the fit's ``alpha``).

    Attributes
    ----------
    kind
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    table
        One row per label: ``group``/``event_time``/``time``, ``estimate``, ``std_error``,
        ``conf_low``, ``conf_high`` (normal, at the fit's ``alpha``) and, with the bootstrap,
        ``cband_low``, ``cband_high``. No rows for ``"simple"``.
    estimate, std_error
        The overall summary parameter and its standard error (for ``"simple"`` the only estimate).
    vcov
        Covariance of ``table.estimate`` (from the influence functions), e.g. for an event-study
        sensitivity analysis; ``None`` for ``"simple"``.
    influence, overall_influence
        (n units × rows) influence functions of the rows, and that of the overall parameter.
    crit_val
        Critical value of the uniform band (bootstrap) or the normal quantile (pointwise).
    alpha
        1 − coverage of the stored intervals and band.
    reference
        For ``"dynamic"`` with a universal base period, the base event time (estimate 0 by
        construction); otherwise ``None``.

    Notes
    -----
    Until release 0.2 this object was a pandas DataFrame with columns ``egt, att, se, ci_lower,
    ci_upper`` (``cband_lower, cband_upper``). :meth:`to_frame` returns that layout; DataFrame-style
    use of the object itself (``agg["egt"]``, ``agg.merge(...)``, ``len(agg)``) still works for one
    release with a ``FutureWarning``, as do ``overall_att`` and ``overall_se``.
    """

    kind: str
    table: pd.DataFrame
    estimate: float
    std_error: float
    vcov: np.ndarray | None
    influence: np.ndarray
    overall_influence: np.ndarray
    crit_val: float
    alpha: float
    bootstrap: bool = False
    reference: int | None = None

    overall_att = deprecated_alias("estimate", "overall_att")
    overall_se = deprecated_alias("std_error", "overall_se")

    # ------------------------------------------------------------------ protocol
    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        label = LABELS.get(self.kind)
        labels = [] if label is None else list(self.table[label[0]])
        terms = ["ATT", *(f"{label[1]}={plain(v)}" for v in labels)] if label else ["ATT"]
        out = normal_tidy(terms, [self.estimate, *self.table["estimate"]], [self.std_error, *self.table["std_error"]],
                          alpha=alpha)
        if label is not None:
            out[label[0]] = as_event_times([np.nan, *labels])
        if self.kind == "dynamic":
            out["post"] = pd.array([None, *[int(e >= 0) for e in labels]], dtype="Int64")
        if self.bootstrap and math.isclose(alpha, self.alpha):
            out["cband_low"] = [np.nan, *self.table["cband_low"]]
            out["cband_high"] = [np.nan, *self.table["cband_high"]]
        return out

    def _summary_header(self) -> list[str]:
        what = {"simple": "simple weighted average of post-treatment ATT(g,t)",
                "group": "average by group (first treated period)",
                "dynamic": "average by event time (event study)",
                "calendar": "average by calendar period"}[self.kind]
        overall = {"simple": "ATT", "group": "ATT = weighted mean of the group effects",
                   "dynamic": "ATT = mean of ATT(e) over e >= 0", "calendar": "ATT = mean of the period effects"}
        inference = "multiplier bootstrap" if self.bootstrap else "analytical influence function"
        lines = [f"Aggregated ATT(g,t) (Callaway & Sant'Anna 2021): {what}; standard errors: {inference}"]
        if self.kind != "simple":
            lines.append(f"Row 'ATT': {overall[self.kind]}")
        return lines

    def _summary_footer(self) -> list[str]:
        if self.bootstrap and self.kind != "simple":
            return [f"Uniform band: critical value {format_number(self.crit_val)} (columns cband_low, cband_high of tidy())"]
        return []

    def plot(self, alpha: float | None = None, *, level: float | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """Estimates by label with pointwise intervals and the uniform band (bootstrap); a Figure.

        Drawn by :func:`~sosek_impact.estimators.plotting.event_time_plot`; the reference period
        (universal base period) is marked.
        """
        from sosek_impact.estimators.plotting import event_time_plot

        if self.kind == "simple":
            raise TypeError("a simple aggregate is one number: nothing to plot by event time; use aggregate('dynamic')")
        a = self._resolve_alpha(alpha, level)
        t = self.tidy(a)
        col = LABELS[self.kind][0]
        t = t.rename(columns={col: "event_time"}) if col != "event_time" else t
        if self.kind != "dynamic":
            kwargs.setdefault("xlabel", {"group": "Group (first treated period)", "calendar": "Period"}[self.kind])
            kwargs.setdefault("ylabel", "ATT")
        kwargs.setdefault("title", f"ATT by {col.replace('_', ' ')} (Callaway & Sant'Anna); overall "
                                   f"{format_number(self.estimate, 3)} (SE {format_number(self.std_error, 3)})")
        return event_time_plot(t, ref=self.reference if self.kind == "dynamic" else None, level=1 - a, ax=ax,
                               band_label="uniform band (multiplier bootstrap)", **kwargs)

    # ------------------------------------------------------------------ earlier DataFrame layout
    def overall(self) -> pd.Series:
        """The overall summary as a Series (``att, se, ci_lower, ci_upper``, normal at ``alpha``)."""
        z = stats.norm.ppf(1 - self.alpha / 2)
        return pd.Series(
            {"att": self.estimate, "se": self.std_error, "ci_lower": self.estimate - z * self.std_error,
             "ci_upper": self.estimate + z * self.std_error},
            name=self.kind,
        )

    def to_frame(self) -> pd.DataFrame:
        """The rows in the layout of releases before 0.2: ``egt, att, se, ci_lower, ci_upper`` (+ ``cband_*``).

        ``egt`` is the group, event time or period (an integer where the labels are whole); the
        overall parameter is in ``attrs["overall_att"]`` and ``attrs["overall_se"]``.
        """
        label = LABELS.get(self.kind)
        t = self.table
        frame = pd.DataFrame(
            {
                "egt": as_event_times(t[label[0]]) if label else pd.Series([], dtype="int64"),
                "att": t["estimate"].to_numpy(dtype=float),
                "se": t["std_error"].to_numpy(dtype=float),
                "ci_lower": t["conf_low"].to_numpy(dtype=float),
                "ci_upper": t["conf_high"].to_numpy(dtype=float),
            }
        )
        if self.bootstrap:
            frame["cband_lower"] = t["cband_low"].to_numpy(dtype=float)
            frame["cband_upper"] = t["cband_high"].to_numpy(dtype=float)
        frame.attrs.update(kind=self.kind, overall_att=self.estimate, overall_se=self.std_error)
        return frame

    def _legacy_frame(self, what: str) -> pd.DataFrame:
        warnings.warn(
            f"AggregatedEffects is no longer a DataFrame ({what}); this use is deprecated and will be removed "
            "in 0.3: use .table or .tidy() (columns estimate, std_error, conf_low, conf_high), or .to_frame() "
            "for the earlier layout egt, att, se, ci_lower, ci_upper",
            FutureWarning, stacklevel=3,
        )
        return self.to_frame()

    def __getitem__(self, key: Any) -> Any:
        return self._legacy_frame(f"indexing with {key!r}")[key]

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails: DataFrame methods and columns of the old layout
        if name.startswith("_") or not (hasattr(pd.DataFrame, name) or name in ("egt", "att", "se", "ci_lower",
                                                                             "ci_upper", "cband_lower", "cband_upper")):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(self._legacy_frame(f".{name}"), name)

    def __len__(self) -> int:
        return len(self._legacy_frame("len()"))

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(self._legacy_frame("iteration"))

    def __contains__(self, key: Any) -> bool:
        return key in self._legacy_frame("'in'")
