"""Monte Carlo methods for the heterogeneity-robust estimators with few-treated inference.

Every (estimator, inference method, scale) is one :class:`~sosek_impact.montecarlo.method.Method`
built by one factory, :func:`few_treated_method`, whose fit is a :class:`FewTreatedFit`: a small
picklable callable around :func:`~sosek_impact.inference.few_treated.few_treated_inference`
(simple ATT, the simulator's columns ``y, unit, time, group`` unless told otherwise).

``scale`` is passed to ``few_treated_inference`` only when it is not ``None``, so these methods run
with an installation whose ``few_treated_inference`` has no ``scale`` option (``None`` then means
"the library's default"); :func:`supports_scale` says whether it has one, and
:func:`few_treated_scales` gives the scales a table should compare.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module

import pandas as pd

from sosek_impact.montecarlo.method import Estimate, Method

__all__ = [
    "ESTIMATOR_LABELS",
    "FewTreatedFit",
    "N_DRAWS",
    "few_treated_fit",
    "few_treated_method",
    "few_treated_methods",
    "few_treated_scales",
    "imputation_available",
    "supports_scale",
]

#: Draws per fit: 999 re-assignments (randomisation), 4,999 pairings (Conley–Taber).
N_DRAWS = {"randomization": 999, "conley_taber": 4999}

#: (label in method names, description in tables) of each estimator.
ESTIMATOR_LABELS = {
    "cs": ("CS", "Callaway-Sant'Anna (never)"),
    "sa": ("Sun-Abraham", "Sun-Abraham (never)"),
    "imputation": ("Imputation", "imputation (Borusyak-Jaravel-Spiess)"),
}
_METHOD_LABELS = {"randomization": "randomisation inference", "conley_taber": "Conley-Taber"}


def _few_treated_inference():
    return import_module("sosek_impact.inference.few_treated").few_treated_inference


def supports_scale() -> bool:
    """Whether this installation's ``few_treated_inference`` has a ``scale`` parameter."""
    return "scale" in inspect.signature(_few_treated_inference()).parameters


def few_treated_scales() -> tuple[str | None, ...]:
    """Scales to compare: ``("none", "pre_period")`` when ``scale`` exists, else ``(None,)`` (the only method)."""
    return ("none", "pre_period") if supports_scale() else (None,)


@dataclass(frozen=True)
class FewTreatedFit:
    """``fit(data, seed) -> Estimate`` for one (estimator, method, scale) of ``few_treated_inference``.

    Attributes
    ----------
    estimator, method
        As in :func:`~sosek_impact.inference.few_treated.few_treated_inference`.
    scale
        Passed on as ``scale=`` unless ``None`` (then the library default applies).
    n_draws
        Re-assignments or pairings (default :data:`N_DRAWS` of the method).
    columns
        Outcome, unit, period and first-treated-period columns of the panels.
    alpha
        1 − level of the interval.
    """

    estimator: str
    method: str
    scale: str | None = None
    n_draws: int | None = None
    columns: tuple[str, str, str, str] = ("y", "unit", "time", "group")
    alpha: float = 0.05

    def __call__(self, data: pd.DataFrame, seed: int) -> Estimate:
        kw = {} if self.scale is None else {"scale": self.scale}
        n = self.n_draws if self.n_draws is not None else N_DRAWS[self.method]
        r = _few_treated_inference()(data, *self.columns, estimator=self.estimator, aggregate="simple",
                                     method=self.method, n_draws=n, alpha=self.alpha, seed=seed, **kw)
        se = float(r.std_error[0])
        return Estimate(float(r.estimate[0]), float(r.conf_low[0]), float(r.conf_high[0]),
                        se if math.isfinite(se) else math.nan, float(r.p_value[0]))


def few_treated_fit(estimator: str, method: str, data: pd.DataFrame, seed: int) -> Estimate:
    """Simple ATT of ``estimator`` with the ``method`` interval (library default scale)."""
    return FewTreatedFit(estimator, method)(data, seed)


def few_treated_method(
    estimator: str,
    method: str,
    scale: str | None = None,
    *,
    n_draws: int | None = None,
    columns: tuple[str, str, str, str] = ("y", "unit", "time", "group"),
    alpha: float = 0.05,
    name: str | None = None,
) -> Method:
    """The :class:`Method` of one (estimator, method, scale).

    Its name is ``"<estimator> + <method>"`` (e.g. ``"CS + randomisation inference"``), with
    ``" [scale=<scale>]"`` appended when ``scale`` is given.
    """
    if estimator not in ESTIMATOR_LABELS:
        raise ValueError(f"estimator must be one of {list(ESTIMATOR_LABELS)}, got {estimator!r}")
    if method not in _METHOD_LABELS:
        raise ValueError(f"method must be one of {list(_METHOD_LABELS)}, got {method!r}")
    label, desc = ESTIMATOR_LABELS[estimator]
    n = n_draws if n_draws is not None else N_DRAWS[method]
    if method == "randomization":
        inference = f"permuted adoption timing, {n:,}, exact test inversion"
    else:
        inference = f"Conley-Taber type, {n:,} pairings + control-error term"
    if scale is not None:
        inference += f", scale={scale}"
    if name is None:
        name = f"{label} + {_METHOD_LABELS[method]}" + ("" if scale is None else f" [scale={scale}]")
    return Method(name, FewTreatedFit(estimator, method, scale, n_draws, tuple(columns), alpha),
                  estimator=desc, inference=inference)


def imputation_available() -> bool:
    """Whether the imputation estimator's outcome weights can be imported."""
    try:
        return hasattr(import_module("sosek_impact.estimators.imputation"), "imputation_linear_weights")
    except ImportError:
        return False


def few_treated_methods(
    scales: Sequence[str | None] = (None,),
    *,
    estimators: Sequence[str] | None = None,
    methods: Sequence[str] = ("randomization", "conley_taber"),
    n_draws: int | None = None,
) -> list[Method]:
    """The heterogeneity-robust estimator x few-treated inference x scale pairs.

    Parameters
    ----------
    scales
        Scales to cross with every pair; the default ``(None,)`` gives one method per pair with the
        library's default (names without a scale suffix).
    estimators
        Default ``cs``, ``sa`` and, where its weights exist, ``imputation``.
    methods
        Inference methods of ``few_treated_inference``.
    n_draws
        Draws per fit (default :data:`N_DRAWS`).
    """
    if estimators is None:
        estimators = ["cs", "sa"] + (["imputation"] if imputation_available() else [])
    return [few_treated_method(e, m, s, n_draws=n_draws) for e in estimators for m in methods for s in scales]


# Named fits kept for callers of the earlier module (instances of the one factory, not copies).
fit_cs_randomization = FewTreatedFit("cs", "randomization")
fit_cs_conley_taber = FewTreatedFit("cs", "conley_taber")
fit_sa_randomization = FewTreatedFit("sa", "randomization")
fit_sa_conley_taber = FewTreatedFit("sa", "conley_taber")
fit_imputation_randomization = FewTreatedFit("imputation", "randomization")
fit_imputation_conley_taber = FewTreatedFit("imputation", "conley_taber")
