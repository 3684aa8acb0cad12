"""The result of :func:`~sosek_impact.inference.placebo_study.placebo_study`: rejection rates of a true null."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.results_protocol import ResultsProtocol, format_number

__all__ = ["PlaceboStudyResult", "rejections"]


def rejections(draws: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per-draw ``reject`` (interval excludes 0; missing without an interval), ``reject_p``
    (p-value <= ``alpha``; missing without a p-value) and ``length`` (inf when unbounded)."""
    lo, hi = draws["ci_low"], draws["ci_high"]
    has_ci = lo.notna() & hi.notna() & np.isfinite(draws["estimate"])
    out = draws.copy()
    out["reject"] = ((lo > 0) | (hi < 0)).astype(float).where(has_ci)
    out["reject_p"] = (draws["p_value"] <= alpha).astype(float).where(draws["p_value"].notna())
    out["length"] = (hi - lo).where(has_ci)
    return out


@dataclass(frozen=True, repr=False)
class PlaceboStudyResult(ResultsProtocol):
    """Rejection rates of "no effect" when no unit is treated, per estimator x inference spec.

    Attributes
    ----------
    draws
        One row per (draw, spec): ``draw, method, estimate, se, ci_low, ci_high, p_value, seconds,
        error, fake_adopters`` (``unit:cohort`` pairs) and the derived ``reject``, ``reject_p``,
        ``length``.
    methods
        Spec names, in order.
    alpha
        Level of the tests.
    n_draws
        Fake designs drawn.
    cohorts
        ``{period: n_units}`` of the fake designs.
    settings
        The call's settings (draw rule, pool size, dropped treated units, seed).
    notes
        Remarks about the panel (e.g. units treated after the window).

    Notes
    -----
    ``tidy()`` reports, per spec, the rejection rate (interval excludes 0) as ``estimate``, its Monte
    Carlo standard error ``sqrt(r (1 - r) / n)`` as ``std_error``, a Clopper--Pearson interval for the
    true rejection rate at the requested level, ``statistic = (r - alpha) / sqrt(alpha (1 - alpha) / n)``
    and the exact two-sided binomial p-value of "the size is alpha" as ``p_value``; extras
    ``n`` (draws with an interval), ``failures``, ``rejection_rate_p`` (p-value <= alpha),
    ``mean_length`` (over bounded intervals), ``share_infinite``, ``mean_estimate`` and ``sd_estimate``.
    """

    draws: pd.DataFrame
    methods: tuple[str, ...]
    alpha: float
    n_draws: int
    cohorts: dict[Any, int]
    settings: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if "reject" not in self.draws.columns:
            object.__setattr__(self, "draws", rejections(self.draws, self.alpha))

    def _tidy(self, alpha: float) -> pd.DataFrame:
        rows = []
        se0_unit = math.sqrt(self.alpha * (1 - self.alpha))
        for name in self.methods:
            d = self.draws[self.draws["method"] == name]
            ok = d[d["reject"].notna()]
            n = len(ok)
            k = int(ok["reject"].sum())
            r = k / n if n else math.nan
            if n:
                test = stats.binomtest(k, n, self.alpha)
                ci = test.proportion_ci(confidence_level=1 - alpha, method="exact")
                lo_ci, hi_ci, p = float(ci.low), float(ci.high), float(test.pvalue)
            else:
                lo_ci = hi_ci = p = math.nan
            length = ok["length"]
            finite = np.isfinite(length)
            rp = d["reject_p"].dropna()
            rows.append({
                "term": name,
                "estimate": r,
                "std_error": math.sqrt(r * (1 - r) / n) if n else math.nan,
                "statistic": (r - self.alpha) / (se0_unit / math.sqrt(n)) if n else math.nan,
                "p_value": p,
                "conf_low": lo_ci,
                "conf_high": hi_ci,
                "n": n,
                "failures": int(len(d) - n),
                "rejection_rate_p": float(rp.mean()) if len(rp) else math.nan,
                "mean_length": float(length[finite].mean()) if finite.any() else math.nan,
                "share_infinite": float((~finite).mean()) if n else math.nan,
                "mean_estimate": float(ok["estimate"].mean()) if n else math.nan,
                "sd_estimate": float(ok["estimate"].std(ddof=1)) if n > 1 else math.nan,
            })
        return pd.DataFrame(rows)

    _summary_columns = ("estimate", "std_error", "p_value", "conf_low", "conf_high", "mean_length", "share_infinite")

    def _summary_header(self) -> list[str]:
        s = self.settings
        among = f" among {s['among']}" if s.get("among") else ""
        how = "matched by " + str(s.get("size")) if s.get("draw") == "matched" else f"random{among}"
        return [
            f"Placebo study: {format_number(self.n_draws)} fake designs ({s.get('n_distinct_designs', '?')} distinct) "
            f"on {s.get('n_pool', '?')} untreated units "
            f"({s.get('n_eligible', '?')} eligible; fake adopters {how}), cohorts {self.cohorts}",
            f"estimate = rejection rate of 'no effect' at alpha = {self.alpha:g} (no unit is treated: its size "
            "on these data); p_value tests size = alpha",
        ]

    def _summary_footer(self) -> list[str]:
        return [f"Note: {n}" for n in self.notes]
