"""Immutable results of a linear estimator: coefficients, covariance and their summaries.

Modelled on linearmodels' results classes: the estimator fits, this object only reports.
Other estimators of the package may reuse :class:`EstimationResults` directly or subclass it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


class EstimationResults:
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

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals ``params ± q · std_errors``.

        Parameters
        ----------
        level
            Coverage, between 0 and 1.

        Returns
        -------
        DataFrame
            Columns ``lower`` and ``upper``, indexed by term.
        """
        if not 0 < level < 1:
            raise ValueError(f"level must lie in (0, 1), got {level!r}")
        q = self._dist().ppf(0.5 + level / 2)
        se = self.std_errors
        return pd.DataFrame({"lower": self.params - q * se, "upper": self.params + q * se})

    # ------------------------------------------------------------------ reporting
    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per term: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``."""
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "term": self.params.index.astype(str),
                "estimate": self.params.to_numpy(),
                "std_error": self.std_errors.to_numpy(),
                "statistic": self.tstats.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "conf_low": ci["lower"].to_numpy(),
                "conf_high": ci["upper"].to_numpy(),
            }
        )

    def summary(self, level: float = 0.95) -> str:
        """A plain-text table of the estimates, in the manner of linearmodels."""
        lines = [
            f"{self.method}",
            f"Observations: {self.nobs}    Covariance: {self.cov_type}",
        ]
        for key, val in self.info.items():
            if isinstance(val, (int, float, str, np.integer, np.floating)):
                lines.append(f"{key}: {val}")
        table = self.tidy(level).set_index("term")
        with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
            lines.append(table.to_string())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
