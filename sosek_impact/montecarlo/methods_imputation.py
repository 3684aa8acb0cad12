"""Monte Carlo fits of the imputation estimator and of the wild bootstrap for SA and imputation.

Each ``fit_*`` has the ``fit(data, seed) -> Estimate`` signature of
:class:`~sosek_impact.montecarlo.method.Method` and uses the simulator's column names. Their target is
the default one, the simple ATT (mean true effect over treated observations), which is what the
imputation estimator's overall ATT and Sun–Abraham's count-weighted post-period average estimate.
"""

from __future__ import annotations

import pandas as pd

from sosek_impact.montecarlo.method import Estimate

__all__ = ["fit_imputation_analytical", "fit_imputation_wild", "fit_sa_wild"]

_COLS = {"y": "y", "unit": "unit", "time": "time", "group": "group"}


def fit_imputation_analytical(data: pd.DataFrame, seed: int) -> Estimate:
    """Imputation overall ATT with BJS conservative (leave-out) standard errors, unit clusters, normal interval."""
    from sosek_impact.estimators.imputation import did_imputation

    r = did_imputation(data, **_COLS)
    t = r.tidy().iloc[0]
    return Estimate(float(t["estimate"]), float(t["conf_low"]), float(t["conf_high"]), float(t["std_error"]))


def _wild(data: pd.DataFrame, seed: int, estimator: str) -> Estimate:
    from sosek_impact.inference.wild_did import wild_bootstrap_did

    r = wild_bootstrap_did(data, **_COLS, estimator=estimator, aggregate="simple", n_boot=999, seed=seed,
                           weight_type="webb")
    return Estimate(float(r.estimate[0]), float(r.conf_low[0]), float(r.conf_high[0]), float(r.std_error[0]))


def fit_sa_wild(data: pd.DataFrame, seed: int) -> Estimate:
    """Sun–Abraham overall ATT, restricted wild cluster bootstrap (Webb, 999 draws), test inversion."""
    return _wild(data, seed, "sa")


def fit_imputation_wild(data: pd.DataFrame, seed: int) -> Estimate:
    """Imputation overall ATT (extended-TWFE form), restricted wild cluster bootstrap (Webb, 999), test inversion."""
    return _wild(data, seed, "imputation")
