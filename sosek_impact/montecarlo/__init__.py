"""Monte Carlo study of estimator x inference pairs: bias and confidence-interval coverage.

Submodules, each with one job (imports run one way: ``method`` <- ``engine``, ``summary``,
``methods_*`` <- ``catalogue``, ``designs``; none imports this package's ``__init__``):

- :mod:`~sosek_impact.montecarlo.method` -- :class:`Estimate`, :class:`Method`;
- :mod:`~sosek_impact.montecarlo.engine` -- :func:`run_monte_carlo`, :func:`run_replications`,
  :func:`replication_seeds` (local processes or any ``concurrent.futures.Executor``);
- :mod:`~sosek_impact.montecarlo.summary` -- :func:`summarise`, :func:`coverage_band`;
- :mod:`~sosek_impact.montecarlo.methods_classic`, :mod:`~sosek_impact.montecarlo.methods_few_treated`,
  :mod:`~sosek_impact.montecarlo.methods_imputation` -- the fit functions;
- :mod:`~sosek_impact.montecarlo.catalogue` -- :func:`standard_methods`;
- :mod:`~sosek_impact.montecarlo.designs` -- the named designs of ``docs/monte_carlo.md``.
"""

from __future__ import annotations

from sosek_impact.montecarlo.catalogue import imputation_methods, standard_methods
from sosek_impact.montecarlo.designs import DESIGNS, Design, kalimantan_populations, standard_designs
from sosek_impact.montecarlo.engine import SimulatedPanels, replication_seeds, run_monte_carlo, run_replications
from sosek_impact.montecarlo.method import Estimate, Method
from sosek_impact.montecarlo.methods_classic import (
    fit_cs_analytical,
    fit_cs_bootstrap,
    fit_cs_not_yet,
    fit_sun_abraham,
    fit_twfe_cluster,
    fit_twfe_conley_taber,
    fit_twfe_randomization,
    fit_twfe_wild,
    randomization_interval,
)
from sosek_impact.montecarlo.methods_few_treated import (
    FewTreatedFit,
    few_treated_fit,
    few_treated_method,
    few_treated_methods,
    few_treated_scales,
    imputation_available,
    supports_scale,
)
from sosek_impact.montecarlo.methods_imputation import fit_imputation_analytical, fit_imputation_wild, fit_sa_wild
from sosek_impact.montecarlo.summary import coverage_band, summarise

__all__ = [
    "DESIGNS",
    "Design",
    "Estimate",
    "FewTreatedFit",
    "Method",
    "SimulatedPanels",
    "coverage_band",
    "few_treated_fit",
    "few_treated_method",
    "few_treated_methods",
    "few_treated_scales",
    "fit_cs_analytical",
    "fit_cs_bootstrap",
    "fit_cs_not_yet",
    "fit_imputation_analytical",
    "fit_imputation_wild",
    "fit_sa_wild",
    "fit_sun_abraham",
    "fit_twfe_cluster",
    "fit_twfe_conley_taber",
    "fit_twfe_randomization",
    "fit_twfe_wild",
    "imputation_available",
    "imputation_methods",
    "kalimantan_populations",
    "randomization_interval",
    "replication_seeds",
    "run_monte_carlo",
    "run_replications",
    "standard_designs",
    "standard_methods",
    "summarise",
    "supports_scale",
]
