"""The result of the wild cluster bootstrap of one coefficient, :class:`WildBootstrapResult`.

Returned by :func:`~sosek_impact.inference.wild_bootstrap.wild_cluster_bootstrap` and
:func:`~sosek_impact.inference.wild_did.wild_bootstrap_did`, in the package's results protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sosek_impact.results_protocol import ResultsProtocol, format_number, legacy_conf_int

__all__ = ["WildBootstrapResult"]


@dataclass(frozen=True, repr=False, eq=False)
class WildBootstrapResult(ResultsProtocol):
    """Outcome of a wild cluster bootstrap test of ``param = null``.

    In the package's results protocol (``summary()``, ``tidy()``, ``conf_int()``); the p-value and
    the interval exist at the level of the call only (``alpha``), so ``tidy(alpha=...)`` with
    another level raises ``ValueError``.

    Attributes
    ----------
    param
        Name of the tested coefficient.
    estimate, std_error, t_stat
        OLS estimate, its CRV1 standard error and ``(estimate − null)/std_error``.
    pvalue
        Bootstrap p-value of ``param = null`` (type ``pval_type``).
    interval
        ``(lower, upper)`` by test inversion at level ``1 − alpha``, or ``None`` (``ci=False``).
        Until 0.2 this was the attribute ``conf_int``; ``conf_int`` is now the protocol method,
        and unpacking it as a tuple still works for one release with a ``FutureWarning``.
    t_boot
        The ``B`` bootstrap t statistics at the null (read-only array).
    B, full_enumeration
        Number of draws used and whether they are all ``2^G`` (or ``6^G``) weight vectors.
    """

    param: str
    estimate: float
    std_error: float
    t_stat: float
    pvalue: float
    interval: tuple[float, float] | None
    null: float
    alpha: float
    B: int
    n_clusters: int
    weights_type: str
    restricted: bool
    pval_type: str
    full_enumeration: bool
    seed: int | None
    t_boot: np.ndarray = field(repr=False)

    conf_int = legacy_conf_int("interval")
    _alpha_is_fixed = True

    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        lo, hi = self.interval if self.interval is not None else (np.nan, np.nan)
        kind = "WCR" if self.restricted else "WCU"
        return pd.DataFrame({
            "term": [self.param], "estimate": [self.estimate], "std_error": [self.std_error],
            "statistic": [self.t_stat], "p_value": [self.pvalue], "conf_low": [lo], "conf_high": [hi],
            "null": [self.null], "method": [f"wild cluster bootstrap ({kind}, {self.weights_type})"],
        })

    def _summary_header(self) -> list[str]:
        kind = "WCR" if self.restricted else "WCU"
        return [
            f"Wild cluster bootstrap ({kind}, {self.weights_type} weights, B={self.B}"
            f"{', full enumeration' if self.full_enumeration else ''}, G={self.n_clusters})",
            f"H0: {self.param} = {format_number(self.null)}; std_error is CRV1, statistic the t statistic at H0, "
            f"p_value the {self.pval_type} bootstrap p-value, interval by test inversion"
            + ("" if self.interval is not None else " (not computed: ci=False)"),
        ]
