"""Immutable results of a linear estimator: coefficients, covariance and their summaries.

Modelled on linearmodels' results classes: the estimator fits, this object only reports.
Other estimators of the package may reuse :class:`EstimationResults` directly or subclass it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.results_protocol import ResultsProtocol, format_number, normal_tidy


class EstimationResults(ResultsProtocol):
    """Coefficients and their (cluster-robust) covariance; read-only.

    Parameters
    ----------
    params
        Point estimates, indexed by term name.
    cov
        Covariance matrix of ``params`` (same index and columns).
    nobs
        Number of observations used.
    cov_type
        Description of the covariance estimator, e.g. ``"clustered (unit), CRV1"``.
    df_inference
        Degrees of freedom of the t reference distribution for tests and intervals
        (``G - 1`` with ``G`` clusters, as in Stata and pyfixest); ``None`` uses the normal.
    method
        Name of the estimator, shown in :meth:`summary`.
    info
        Further facts about the fit (number of clusters, fixed effects, R², ...).

    Notes
    -----
    Attributes cannot be re-assigned, and ``params``, ``cov`` and ``info`` return copies, so a
    result never changes after the fit.
    """

    def __init__(
        self,
        params: pd.Series,
        cov: pd.DataFrame,
        nobs: int,
        cov_type: str,
        df_inference: int | None = None,
        method: str = "OLS",
        info: Mapping[str, Any] | None = None,
    ) -> None:
        params = pd.Series(params, dtype=float).copy()
        cov = pd.DataFrame(cov).astype(float).loc[params.index, params.index].copy()
        object.__setattr__(self, "_params", params)
        object.__setattr__(self, "_cov", cov)
        object.__setattr__(self, "nobs", int(nobs))
        object.__setattr__(self, "cov_type", str(cov_type))
        object.__setattr__(self, "df_inference", None if df_inference is None else int(df_inference))
        object.__setattr__(self, "method", str(method))
        object.__setattr__(self, "_info", dict(info or {}))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def _set(self, **values: Any) -> None:
        """Set attributes once, in a subclass's ``__init__``."""
        for key, val in values.items():
            object.__setattr__(self, key, val)

    @property
    def params(self) -> pd.Series:
        """Point estimates (a copy)."""
        return self._params.copy()

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of the estimates (a copy)."""
        return self._cov.copy()

    @property
    def info(self) -> dict[str, Any]:
        """Facts about the fit (a copy)."""
        return dict(self._info)

    # ------------------------------------------------------------------ inference
    @property
    def std_errors(self) -> pd.Series:
        """Standard errors, the square roots of the covariance diagonal."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index, name="std_error")

    @property
    def tstats(self) -> pd.Series:
        """t statistics of the hypotheses ``param = 0``."""
        return (self.params / self.std_errors).rename("t_stat")

    def _dist(self) -> Any:
        return stats.norm if self.df_inference is None else stats.t(self.df_inference)

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of ``param = 0`` from the t(``df_inference``) or normal distribution."""
        return pd.Series(2 * self._dist().sf(np.abs(self.tstats.to_numpy())), index=self.params.index, name="p_value")

    # ------------------------------------------------------------------ the results protocol
    def _legacy(self, alpha: float | None, level: float | None) -> tuple[float | None, float | None]:
        """Earlier releases took a coverage ``level`` as first argument (``conf_int(0.9)``)."""
        if alpha is not None and level is None and alpha > 0.5:
            warnings.warn(
                f"{type(self).__name__}: a first argument of {alpha:g} is read as a coverage level as in earlier "
                f"releases; this is deprecated: pass level={alpha:g} or alpha={1 - alpha:g}",
                FutureWarning, stacklevel=3,
            )
            return None, alpha
        return alpha, level

    def _tidy(self, alpha: float) -> pd.DataFrame:
        return normal_tidy(self.params.index, self.params.to_numpy(), self.std_errors.to_numpy(), alpha=alpha,
                           df=self.df_inference)

    def tidy(self, alpha: float | None = None, *, level: float | None = None) -> pd.DataFrame:
        """One row per term: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``.

        Tests and intervals use the t(``df_inference``) distribution (normal when ``None``).

        Parameters
        ----------
        alpha
            1 − coverage (default 0.05).
        level
            Coverage instead of ``alpha``, as linearmodels' ``level``.
        """
        a, lv = self._legacy(alpha, level)
        return super().tidy(a, level=lv)

    def conf_int(self, alpha: float | None = None, *, level: float | None = None) -> pd.DataFrame:
        """Confidence intervals ``params ± q · std_errors``: columns ``conf_low``, ``conf_high`` by term.

        ``q`` is the ``1 - alpha/2`` quantile of t(``df_inference``) (normal when ``None``).
        """
        a, lv = self._legacy(alpha, level)
        return super().conf_int(a, level=lv)

    def summary(self, alpha: float | None = None, *, level: float | None = None) -> str:
        """A plain-text table of the estimates, in the manner of linearmodels."""
        a, lv = self._legacy(alpha, level)
        return super().summary(a, level=lv)

    def _summary_header(self) -> list[str]:
        lines = [
            f"{self.method}",
            f"Observations: {format_number(self.nobs)}    Covariance: {self.cov_type}"
            + ("" if self.df_inference is None else f"    t reference df: {self.df_inference}"),
        ]
        facts = [f"{key}: {format_number(val)}" for key, val in self.info.items()
                 if isinstance(val, (int, float, str, np.integer, np.floating))]
        if facts:
            lines.append("    ".join(facts))
        return lines
