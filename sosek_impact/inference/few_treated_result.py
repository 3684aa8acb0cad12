"""The result of a few-treated inference procedure for a heterogeneity-robust DiD estimate.

Randomisation inference over adoption timing, Conley–Taber-type intervals and the restricted wild
cluster bootstrap applied to Callaway–Sant'Anna aggregates, Sun–Abraham or the imputation
estimator all return a :class:`FewTreatedResult`, so a study can put any of them in one table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sosek_impact.errors import InvalidOptionError
from sosek_impact.results_protocol import ResultsProtocol, format_number, format_pvalue

if TYPE_CHECKING:
    from sosek_impact.inference.few_treated_power import RankDesign

__all__ = [
    "FewAssignmentsWarning",
    "FewControlsWarning",
    "FewPrePeriodsWarning",
    "FewTreatedResult",
    "FewTreatedWarning",
    "NoiseRatioWarning",
    "UnknownScaleError",
    "event_label",
]


class FewTreatedWarning(UserWarning):
    """A panel shape at which a few-treated method cannot hold its level, or holds it only coarsely."""


class FewAssignmentsWarning(FewTreatedWarning):
    """Too few distinct re-assignments of adoption timing for the randomisation test's level."""


class FewControlsWarning(FewTreatedWarning):
    """Too few comparison units (or pairings) for the Conley–Taber-type distribution."""


class NoiseRatioWarning(FewTreatedWarning):
    """Treated and control units' pre-period residual variances differ clearly.

    An equal-variance interval (``scale="none"``) is then too short when the treated units are the
    noisier ones (it over-rejects) and too long when they are the quieter ones (conservative).
    """


class FewPrePeriodsWarning(FewTreatedWarning):
    """Too few periods before the first cohort for per-unit noise scales."""


class UnknownScaleError(InvalidOptionError):
    """``scale`` is not one of the valid choices (the message lists them and suggests the closest)."""

    def __init__(self, value: Any, choices: Any) -> None:
        super().__init__("scale", value, choices)


def event_label(e: float) -> str:
    """Term label of a dynamic (event-time) term: ``"e=-17"``, ``"e=0"``."""
    e = float(e)
    return f"e={int(e)}" if e.is_integer() else f"e={e:g}"


def _event_time(term: Any) -> float:
    s = str(term)
    return float(s[2:]) if s.startswith("e=") else float(s)


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
        Labels of the estimates (``"ATT"``; event times as ``"e=-17"``, ``"e=0"``; groups).
    estimate
        Point estimates, aligned with ``terms``.
    conf_low, conf_high
        Interval bounds at level ``1 - alpha`` (may be infinite: an unbounded test inversion).
    p_value
        p-values of the null of no effect, from the same test whose inversion gives the interval.
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
        Draws behind each term (term → array), in the estimate's units, for plots and checks; not
        printed. Randomisation: the estimate under every assignment drawn, at the null of the
        point estimate, put on the observed assignment's scale (``sqrt(V_0) t_pi``).
    settings
        The call's settings.
    assignments
        Randomisation inference: the (draws, units) first-treated periods behind ``distribution``
        (units in the panel's sorted order), for checks; ``None`` for other methods.
    scale
        Noise scaling used: ``"pre_period"`` (per-unit scales from the periods before the first
        cohort) or ``"none"`` (equal variance assumed).
    noise_ratio
        Mean pre-period residual variance of the treated units over that of the never-treated
        units (NaN when not computed); ``noise_ratio_pvalue`` its permutation p-value of equality.
    critical_values
        (K, 2) estimates beyond which the test of no effect rejects at ``alpha``: it rejects iff
        ``estimate < low`` or ``estimate > high`` (randomisation: ``-c, c`` at the observed
        assignment's scale, ``c`` infinite when the assignments cannot reach ``alpha``;
        Conley–Taber: the ``alpha/2`` and ``1 - alpha/2`` quantiles of the error). ``None`` where
        the method gives none.
    mde_reason
        Why :meth:`mde` is infinite or absent, when it is.
    mde_noise
        (K, B) the noise draws behind :meth:`mde` (placebo estimates; Conley–Taber error draws).
    mde_noise_sd
        Conley–Taber: (K,) SD of the normal comparison-unit part of the error.
    mde_design
        Randomisation: the :class:`~sosek_impact.inference.few_treated_power.RankDesign` behind
        the MDE's design-based power.
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
    scale: str = "none"
    noise_ratio: float = float("nan")
    noise_ratio_pvalue: float = float("nan")
    critical_values: np.ndarray | None = field(default=None, repr=False)
    mde_reason: str = ""
    mde_noise: np.ndarray | None = field(default=None, repr=False)
    mde_noise_sd: np.ndarray | None = field(default=None, repr=False)
    mde_design: "RankDesign | None" = field(default=None, repr=False)

    def mde(self, power: float = 0.8) -> np.ndarray:
        """Minimum detectable effect of each term at the stored ``alpha`` with probability ``power``.

        The smallest ``tau >= 0`` such that an effect ``+tau`` and an effect ``-tau`` are each
        detected with probability at least ``power`` when the estimate's noise is a draw from
        :attr:`mde_noise` (:mod:`~sosek_impact.inference.few_treated_power`).

        - Randomisation: design-based power. Each placebo assignment that treats none of the
          observed treated units plays the treated once, with the effect planted on its units
          (and carried into every other assignment's estimate through the estimator's weights),
          and is tested against the other assignments by the test's own rule; a new panel's
          critical value and the effect leaking into assignments that re-use the treated units
          are both in it. Found by a scan and bisection to a relative 1e-12.
        - Conley–Taber: the critical values are held at :attr:`critical_values` (quantiles of an
          error distribution built from many comparison units), the noise is a simulated error
          draw plus the normal comparison-unit part of SD :attr:`mde_noise_sd`.

        How close the stated power comes in simulation: docs/few_treated.md, "Minimum detectable
        effect".

        Returns ``inf`` for a term whose test cannot reject at ``alpha`` (``mde_reason`` says why)
        and NaN where the method gives no critical values.
        """
        if not 0 < power < 1:
            raise ValueError(f"power must lie in (0, 1), got {power!r}")
        K = len(self.terms)
        if self.critical_values is None or self.mde_noise is None:
            return np.full(K, np.nan)
        from sosek_impact.inference.few_treated_power import minimum_detectable_effect, rank_test_mde

        if self.method == "randomization":
            d = self.mde_design
            return np.array([math.inf if not np.all(np.isfinite(self.critical_values[k]))
                             else rank_test_mde(self.mde_noise[k], self.alpha, power,
                                                truths=None if d is None else d.truths,
                                                cross=None if d is None else d.cross(k))
                             for k in range(K)])
        sd = np.zeros(K) if self.mde_noise_sd is None else np.asarray(self.mde_noise_sd, float)
        return np.array([minimum_detectable_effect(self.mde_noise[k], self.critical_values[k], power, sd[k])
                         for k in range(K)])

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
            ev = [_event_time(t) for t in self.terms]
            out["event_time"] = [int(e) if float(e).is_integer() else e for e in ev]
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
        scaled = "" if self.method == "wild_bootstrap" else (
            ", per-unit noise scales from the pre-period" if self.scale == "pre_period" else ", equal noise assumed")
        lines = [f"{self.estimator} ({self.aggregate}) with {self.method} inference, {how}{scaled}"]
        if self.assumptions:
            lines.append(f"Valid if: {self.assumptions}")
        if np.isfinite(self.noise_ratio):
            lines.append(f"Pre-period residual variance, treated / never-treated: {format_number(self.noise_ratio, 3)} "
                         f"(permutation p of equal scales = {format_pvalue(self.noise_ratio_pvalue)})")
        return lines

    def _summary_footer(self) -> list[str]:
        out = [f"Warning: {w}" for w in self.warnings]
        if self.mde_reason:
            out.append(f"MDE / critical value: {self.mde_reason}")
        return out
