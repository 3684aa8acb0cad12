"""Monte Carlo fit functions for the heterogeneity-robust estimators with few-treated inference.

Each ``fit_*`` function has the ``fit(data, seed) -> Estimate`` signature of
:class:`sosek_impact.montecarlo.Method` and targets the simple ATT of the simulator's panels
(columns ``y, unit, time, group``). :func:`few_treated_methods` lists the estimator x inference
pairs that :func:`sosek_impact.montecarlo.standard_methods` appends; the imputation pairs appear
only where ``sosek_impact.estimators.imputation`` provides ``imputation_linear_weights``.
"""

from __future__ import annotations

import math
from importlib import import_module
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from sosek_impact.montecarlo import Estimate, Method

__all__ = ["few_treated_fit", "few_treated_methods", "imputation_available"]

#: Draws per fit: 999 re-assignments (randomisation), 4,999 pairings (Conley–Taber).
N_DRAWS = {"randomization": 999, "conley_taber": 4999}


def few_treated_fit(estimator: str, method: str, data: pd.DataFrame, seed: int) -> Estimate:
    """Simple ATT of ``estimator`` with the ``method`` interval of :func:`few_treated_inference`."""
    from sosek_impact.inference.few_treated import few_treated_inference
    from sosek_impact.montecarlo import Estimate

    r = few_treated_inference(data, "y", "unit", "time", "group", estimator=estimator, aggregate="simple",
                              method=method, n_draws=N_DRAWS[method], seed=seed)
    se = float(r.std_error[0])
    return Estimate(float(r.estimate[0]), float(r.conf_low[0]), float(r.conf_high[0]), se if math.isfinite(se) else math.nan)


def fit_cs_randomization(data: pd.DataFrame, seed: int) -> Estimate:
    """Callaway–Sant'Anna simple ATT (never-treated controls), randomisation-inference interval."""
    return few_treated_fit("cs", "randomization", data, seed)


def fit_cs_conley_taber(data: pd.DataFrame, seed: int) -> Estimate:
    """Callaway–Sant'Anna simple ATT (never-treated controls), Conley–Taber-type interval."""
    return few_treated_fit("cs", "conley_taber", data, seed)


def fit_sa_randomization(data: pd.DataFrame, seed: int) -> Estimate:
    """Sun–Abraham overall ATT, randomisation-inference interval."""
    return few_treated_fit("sa", "randomization", data, seed)


def fit_sa_conley_taber(data: pd.DataFrame, seed: int) -> Estimate:
    """Sun–Abraham overall ATT, Conley–Taber-type interval."""
    return few_treated_fit("sa", "conley_taber", data, seed)


def fit_imputation_randomization(data: pd.DataFrame, seed: int) -> Estimate:
    """Imputation (Borusyak–Jaravel–Spiess) overall ATT, randomisation-inference interval."""
    return few_treated_fit("imputation", "randomization", data, seed)


def fit_imputation_conley_taber(data: pd.DataFrame, seed: int) -> Estimate:
    """Imputation overall ATT, Conley–Taber-type interval."""
    return few_treated_fit("imputation", "conley_taber", data, seed)


def imputation_available() -> bool:
    """Whether the imputation estimator's outcome weights can be imported."""
    try:
        return hasattr(import_module("sosek_impact.estimators.imputation"), "imputation_linear_weights")
    except ImportError:
        return False


def few_treated_methods() -> list[Method]:
    """The heterogeneity-robust estimator x few-treated inference pairs."""
    from sosek_impact.montecarlo import Method

    ri = f"permuted adoption timing, {N_DRAWS['randomization']}, exact test inversion"
    ct = f"Conley-Taber type, {N_DRAWS['conley_taber']:,} pairings + control-error term"
    out = [
        Method("CS + randomisation inference", fit_cs_randomization, estimator="Callaway-Sant'Anna (never)", inference=ri),
        Method("CS + Conley-Taber", fit_cs_conley_taber, estimator="Callaway-Sant'Anna (never)", inference=ct),
        Method("Sun-Abraham + randomisation inference", fit_sa_randomization, estimator="Sun-Abraham (never)", inference=ri),
        Method("Sun-Abraham + Conley-Taber", fit_sa_conley_taber, estimator="Sun-Abraham (never)", inference=ct),
    ]
    if imputation_available():
        out += [
            Method("Imputation + randomisation inference", fit_imputation_randomization,
                   estimator="imputation (Borusyak-Jaravel-Spiess)", inference=ri),
            Method("Imputation + Conley-Taber", fit_imputation_conley_taber,
                   estimator="imputation (Borusyak-Jaravel-Spiess)", inference=ct),
        ]
    return out
