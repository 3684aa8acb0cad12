"""The result of a few-treated inference procedure for a heterogeneity-robust DiD estimate.

Randomisation inference over adoption timing, Conley–Taber-type intervals and the restricted wild
cluster bootstrap applied to Callaway–Sant'Anna aggregates, Sun–Abraham or the imputation
estimator all return a :class:`FewTreatedResult`, so a study can put any of them in one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.results_protocol import ResultsProtocol, format_number

__all__ = ["FewTreatedResult"]


@dataclass(frozen=True, repr=False)
class FewTreatedResult(ResultsProtocol):
    """Point estimates of one estimator with intervals and p-values from a few-treated method.

    Attributes
    ----------
    estimator
        ``"cs"``, ``"sa"`` or ``"imputation"`` (with its settings in ``settings``).
    aggregate
        ``"simple"``, ``"dynamic"`` or ``"group"``.
    method
        ``"randomization"``, ``"conley_taber"`` or ``"wild_bootstrap"``.
    terms
        Labels of the estimates (``"ATT"``; event times as ``int``; groups).
    estimate
        Point estimates, aligned with ``terms``.
    conf_low, conf_high
        Interval bounds at level ``1 - alpha`` (may be infinite: an unbounded test inversion).
    p_value
        p-values of the null of no effect, aligned with ``terms``.
    std_error
        A standard error where the method gives one (e.g. the SD of the null distribution), else NaN.
    alpha
        1 − coverage of the stored intervals.
    n_draws
        Permutations, pairings or bootstrap draws used.
    exact
        True when every distinct assignment / pairing was enumerated.
    assumptions
        One sentence on what makes the method valid (shown by :meth:`summary`).
    warnings
        Messages about the panel's support for the method (also issued as warnings).
    distribution
        Draws behind each term (term → array), for plots and checks; not printed.
    settings
        The call's settings.
    assignments
        Randomisation inference: the (draws, units) first-treated periods behind ``distribution``
        (units in the panel's sorted order), for checks; ``None`` for other methods.
    """

    estimator: str
    aggregate: str
    method: str
    terms: tuple[Any, ...]
    estimate: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    p_value: np.ndarray
    std_error: np.ndarray
    alpha: float
    n_draws: int
    exact: bool
    assumptions: str = ""
    warnings: tuple[str, ...] = ()
    distribution: dict[Any, np.ndarray] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    assignments: np.ndarray | None = field(default=None, repr=False)

    def _tidy(self, alpha: float) -> pd.DataFrame:
        if not np.isclose(alpha, self.alpha):
            raise ValueError(
                f"this {self.method} result holds intervals at alpha={self.alpha:g}; rerun with alpha={alpha:g}"
            )
        out = pd.DataFrame(
            {
                "term": [str(t) for t in self.terms],
                "estimate": np.asarray(self.estimate, dtype=float),
                "std_error": np.asarray(self.std_error, dtype=float),
                "statistic": np.full(len(self.terms), np.nan),
                "p_value": np.asarray(self.p_value, dtype=float),
                "conf_low": np.asarray(self.conf_low, dtype=float),
                "conf_high": np.asarray(self.conf_high, dtype=float),
            }
        )
        if self.aggregate == "dynamic":
            out["event_time"] = [int(t) for t in self.terms]
        out["method"] = self.method
        return out

    def tidy(self, alpha: float | None = None, *, level: float | None = None) -> pd.DataFrame:
        """Standard tidy columns; the stored level is used when neither ``alpha`` nor ``level`` is given."""
        if alpha is None and level is None:
            alpha = self.alpha
        return super().tidy(alpha, level=level)

    def summary(self, alpha: float | None = None, *, level: float | None = None) -> str:
        if alpha is None and level is None:
            alpha = self.alpha
        return super().summary(alpha, level=level)

    def _summary_header(self) -> list[str]:
        how = "all assignments (exact)" if self.exact else f"{format_number(self.n_draws)} draws"
        lines = [f"{self.estimator} ({self.aggregate}) with {self.method} inference, {how}"]
        if self.assumptions:
            lines.append(f"Valid if: {self.assumptions}")
        return lines

    def _summary_footer(self) -> list[str]:
        return [f"Warning: {w}" for w in self.warnings]
