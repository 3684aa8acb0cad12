"""The estimator x inference pairs compared in ``docs/monte_carlo.md``: :func:`standard_methods`."""

from __future__ import annotations

from sosek_impact.montecarlo import methods_classic as mc
from sosek_impact.montecarlo import methods_imputation as mi
from sosek_impact.montecarlo.method import Method
from sosek_impact.montecarlo.methods_few_treated import few_treated_methods

__all__ = ["imputation_methods", "standard_methods"]


def imputation_methods() -> list[Method]:
    """Imputation estimator and wild-bootstrap pairs (:mod:`~sosek_impact.montecarlo.methods_imputation`)."""
    return [
        Method("SA + wild bootstrap", mi.fit_sa_wild, estimator="Sun-Abraham (never)",
               inference="WCR bootstrap, Webb, 999, test inversion"),
        Method("Imputation + wild bootstrap", mi.fit_imputation_wild, estimator="Imputation (BJS)",
               inference="WCR bootstrap, Webb, 999, test inversion"),
        Method("Imputation + analytical", mi.fit_imputation_analytical, estimator="Imputation (BJS)",
               inference="BJS conservative (leave-out), normal"),
    ]


def standard_methods() -> list[Method]:
    """The estimator x inference pairs compared in ``docs/monte_carlo.md``.

    The original eight (TWFE with four intervals, CS three ways, Sun--Abraham), then the few-treated
    pairs of :func:`~sosek_impact.montecarlo.methods_few_treated.few_treated_methods` (library
    default scale), then the imputation and wild-bootstrap pairs.
    """
    return [
        Method("TWFE + cluster", mc.fit_twfe_cluster, estimator="TWFE", inference="cluster-robust (CRV1), t(G-1)"),
        Method("TWFE + wild bootstrap", mc.fit_twfe_wild, estimator="TWFE", inference="WCR bootstrap, Rademacher, 999, test inversion"),
        Method("TWFE + randomisation inference", mc.fit_twfe_randomization, estimator="TWFE", inference="permuted adoption timing, 999, test inversion"),
        Method("TWFE + Conley-Taber", mc.fit_twfe_conley_taber, estimator="TWFE", inference="Conley-Taber (2011), 20,000 pairings"),
        Method("CS + analytical", mc.fit_cs_analytical, estimator="Callaway-Sant'Anna (never, dr)", inference="influence function, normal"),
        Method("CS not-yet + analytical", mc.fit_cs_not_yet, estimator="Callaway-Sant'Anna (not-yet, dr)", inference="influence function, normal"),
        Method("CS + multiplier bootstrap", mc.fit_cs_bootstrap, estimator="Callaway-Sant'Anna (never, dr)", inference="multiplier bootstrap (999)"),
        Method("Sun-Abraham", mc.fit_sun_abraham, estimator="Sun-Abraham (never)", inference="cluster-robust, normal"),
        *few_treated_methods(),
        *imputation_methods(),
    ]
