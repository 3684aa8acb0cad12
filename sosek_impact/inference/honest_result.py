"""Result object of the Honest DiD sensitivity analysis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.results_protocol import ResultsProtocol, format_number, normal_tidy

__all__ = ["HonestDiDResult"]

_PARAMETER = {"relative_magnitude": "Mbar", "sdrm": "Mbar", "smoothness": "M"}
_WHAT = {"relative_magnitude": "relative magnitudes (Mbar)", "smoothness": "smoothness (M)",
         "sdrm": "relative magnitudes of second differences, SDRM (Mbar)"}


@dataclass(repr=False, eq=False)
class HonestDiDResult(ResultsProtocol):
    """Sensitivity of a confidence interval to violations of parallel trends.

    In the package's results protocol: ``tidy()`` has the interval under exact parallel trends
    (term ``"original"``, a normal interval with its standard error and p-value) then one row per
    value of the restriction parameter (``"Mbar=0.5"`` or ``"M=0.02"``, extra column ``M``) whose
    ``conf_low, conf_high`` are the robust bounds (no standard error or p-value: a robust set is
    not centred on an estimate). ``estimate`` is ``l' beta_post`` in every row. The intervals
    exist at the call's ``alpha`` only.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``M, lb, ub, method, restriction``: the robust CI at each value of the
        restriction parameter (``Mbar`` for relative magnitudes and SDRM, ``M`` for smoothness).
    original : tuple of float
        CI under exact parallel trends.
    breakdown : float
        Largest value of the parameter at which the robust CI still excludes zero (refined by
        bisection between grid points); 0 if it already includes zero at the smallest value,
        ``inf`` if it never does on the grid; NaN if the original CI includes zero.
    alpha : float
        1 − coverage of every interval.
    """

    table: pd.DataFrame
    original: tuple[float, float]
    breakdown: float
    method: str
    restriction: str
    alpha: float = 0.05

    _alpha_is_fixed = True

    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        lo, hi = self.original
        z = stats.norm.ppf(1 - self.alpha / 2)
        est, se = (lo + hi) / 2, (hi - lo) / (2 * z)  # original_ci is est ± z·se
        name = _PARAMETER.get(self.restriction, "M")
        orig = normal_tidy(["original"], [est], [se], alpha=alpha)
        robust = pd.DataFrame({
            "term": [f"{name}={format_number(m)}" for m in self.table["M"]], "estimate": est, "std_error": np.nan,
            "statistic": np.nan, "p_value": np.nan, "conf_low": self.table["lb"].to_numpy(dtype=float),
            "conf_high": self.table["ub"].to_numpy(dtype=float),
        })
        out = pd.concat([orig, robust], ignore_index=True)
        out["M"] = [np.nan, *self.table["M"].to_numpy(dtype=float)]
        out["method"] = ["normal (parallel trends)", *self.table["method"]]
        return out

    def _summary_header(self) -> list[str]:
        what = _WHAT.get(self.restriction, self.restriction)
        return [f"HonestDiD (Rambachan & Roth 2023): robust {1 - self.alpha:.0%} intervals under {what}, {self.method}"]

    def _summary_footer(self) -> list[str]:
        return [f"Breakdown value: {format_number(self.breakdown)} (largest restriction at which the interval excludes 0)"]

    def plot(self, ax=None):
        """Robust CIs against the parameter, the original CI at the left; returns the Figure."""
        import matplotlib.pyplot as plt

        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
        t = self.table
        step = float(np.min(np.diff(t["M"]))) if len(t) > 1 else 1.0
        x0 = float(t["M"].min()) - step
        ax.errorbar(
            [x0],
            [np.mean(self.original)],
            yerr=[[np.mean(self.original) - self.original[0]], [self.original[1] - np.mean(self.original)]],
            fmt="o",
            color="black",
            capsize=3,
            label="original",
        )
        mid = (t["lb"] + t["ub"]) / 2
        ax.errorbar(t["M"], mid, yerr=[mid - t["lb"], t["ub"] - mid], fmt="none", color="tab:blue", capsize=3, label=self.method)
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_xlabel(_PARAMETER.get(self.restriction, "M"))
        ax.legend(frameon=False)
        return fig

