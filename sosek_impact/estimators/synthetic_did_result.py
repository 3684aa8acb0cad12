"""The result object of synthetic DiD."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sosek_impact.estimators.synth_plot import SynthPathPlot, display_name, path_plot
from sosek_impact.results_protocol import ResultsProtocol, deprecated_alias, legacy_conf_int, normal_tidy, plain

__all__ = ["SyntheticDiDResult"]


@dataclass(repr=False, eq=False)
class SyntheticDiDResult(SynthPathPlot, ResultsProtocol):
    """Outcome of :func:`synthetic_did`, in the package's results protocol.

    ``tidy()`` has one row (term ``"ATT"``) with a normal-approximation interval and p-value from
    ``std_error`` (NaN where ``se_method`` gives none) and the extras ``estimator``, ``se_method``.

    Attributes
    ----------
    estimate : float
        Average effect on the treated units over the post-periods.
    std_error : float
        Standard error by ``se_method`` (NaN where the method is undefined); ``se`` is a
        deprecated alias.
    interval : tuple of float
        Normal-approximation confidence interval at level ``1 - alpha`` (the attribute
        ``conf_int`` until 0.2; ``conf_int`` is now the protocol method, still unpackable as a
        tuple for one release with a ``FutureWarning``).
    unit_weights : pandas.Series
        :math:`\\hat\\omega` over control units (sum to one).
    time_weights : pandas.Series
        :math:`\\hat\\lambda` over pre-treatment periods (sum to one; zero for ``"sc"``).
    treated_units : list
        Treated units.
    treatment_time
        First treated period.
    n_control, n_treated, n_pre, n_post : int
        Panel dimensions.
    noise_level, zeta_omega : float
        :math:`\\hat\\sigma` and the unit-weight regularisation :math:`\\zeta`.
    leave_one_out : pandas.Series or None
        Estimate when dropping each control with weight > 0.001 (weights re-estimated).
    cohorts : pandas.DataFrame or None
        Staggered adoption only: ``cohort, n_treated, n_post, weight, estimate`` per adoption
        cohort (``unit_weights`` and ``time_weights`` are then the cohort-weighted averages).
    replicates : numpy.ndarray
        The placebo / jackknife / bootstrap estimates behind ``std_error``.
    notes : list of str
    alpha : float
        1 − coverage of ``interval``.
    rmspe_ratio : float or None
        Post/pre RMSPE ratio of the gap ``paths["treated"] - paths["synthetic_control"]``
        (``placebo_rank=True``).
    placebo : pandas.DataFrame or None
        ``placebo_rank=True``: one row per unit (treated first) with ``pre_rmspe, post_rmspe,
        ratio, estimate, treated``; each control refitted as if treated, the other controls as
        its donors.
    placebo_p_value : float or None
        Placebo-in-space rank p-value of ``rmspe_ratio``, ``rank / (N0 + 1)``, the same
        statistic and definition as :func:`~sosek_impact.estimators.synthetic_control`'s
        ``p_value`` (:func:`~sosek_impact.estimators.synthetic_control.placebo_rank_p_value`), with the
        exact-fit and tie rules of :mod:`sosek_impact.estimators.synth_rank`.
    covariate_coefficients : pandas.Series or None
        ``covariates=``: the coefficients partialled out of the outcome.
    outcome : str
        Label of the outcome (y axis of :meth:`plot`).
    """

    estimate: float
    std_error: float
    interval: tuple[float, float]
    se_method: str
    estimator: str
    unit_weights: pd.Series
    time_weights: pd.Series
    treated_units: list[Hashable]
    treatment_time: Any
    n_control: int
    n_treated: int
    n_pre: int
    n_post: int
    noise_level: float
    zeta_omega: float
    paths: pd.DataFrame
    leave_one_out: pd.Series | None = None
    replicates: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    notes: list[str] = field(default_factory=list)
    cohorts: pd.DataFrame | None = None
    alpha: float = 0.05
    rmspe_ratio: float | None = None
    placebo: pd.DataFrame | None = None
    placebo_p_value: float | None = None
    covariate_coefficients: pd.Series | None = None
    outcome: str = "outcome"

    se = deprecated_alias("std_error", "se")
    conf_int = legacy_conf_int("interval")

    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        return normal_tidy(["ATT"], [self.estimate], [self.std_error], alpha=alpha,
                           estimator=[self.estimator], se_method=[self.se_method])

    def _summary_header(self) -> list[str]:
        top = self.unit_weights[self.unit_weights > 1e-3].sort_values(ascending=False).head(10)
        return [
            f"Synthetic DiD ({self.estimator}): {self.n_treated} treated, {self.n_control} controls, "
            f"{self.n_pre} pre / {self.n_post} post periods; standard error: {self.se_method}",
            "largest unit weights: " + ", ".join(f"{plain(k)}={w:.3f}" for k, w in top.items()),
        ]

    def _summary_footer(self) -> list[str]:
        return [f"note: {n}" for n in self.notes]

    def _draw_path(self, ax: Any, unit_names: Mapping[Any, Any] | None, ylabel: str, title: str | None) -> Any:
        """Treated (mean) path against the weighted controls shifted by SDID's level, time weights as
        bars (:meth:`plot`); ``unit_names`` names one treated unit, several are labelled "treated
        (mean of N)"."""
        p = self.paths
        label = (display_name(self.treated_units[0], unit_names) if len(self.treated_units) == 1
                 else f"treated (mean of {len(self.treated_units)})")
        fig = path_plot(p.index, p["treated"], p["synthetic_control"], treatment_time=self.treatment_time,
                        treated_label=label, synthetic_label="weighted controls (shifted)",
                        xlabel=str(p.index.name or "period"), ylabel=ylabel, title=title, ax=ax)
        ax_ = fig.axes[0] if ax is None else ax
        lam = self.time_weights
        if len(lam) and lam.max() > 0:
            lo, hi = ax_.get_ylim()
            ax_.bar(lam.index, lam.to_numpy() / lam.max() * 0.1 * (hi - lo), bottom=lo, color="C1", alpha=0.4,
                    label="time weights (scaled)")
            ax_.set_ylim(lo, hi)
            ax_.legend(frameon=False, fontsize=8)
        return fig
