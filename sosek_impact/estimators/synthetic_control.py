"""Synthetic control (Abadie, Diamond and Hainmueller 2010; Abadie and Gardeazabal 2003).

The treated unit's counterfactual is a convex combination of donor units, with weights
:math:`W^*(V)` chosen to match its pre-treatment characteristics :math:`X_1` (predictor means
and/or pre-period outcomes) in the metric of a diagonal importance matrix :math:`V`:

.. math::

    W^*(V) = \\arg\\min_{W \\in \\Delta^{J}} (X_1 - X_0 W)' V (X_1 - X_0 W),

and, with ``v="optimize"``, :math:`V` itself minimises the pre-treatment mean squared
prediction error of the outcome, :math:`\\lVert Y_1^{pre} - Y_0^{pre} W^*(V) \\rVert^2 / T_0`
(the nested optimisation of R's ``Synth``). Predictors are rescaled by their standard deviation
across units first, as ``Synth`` does, so that ``V`` is comparable across predictors.

Inference is by placebo in space: the same procedure is applied to every donor as if it were
treated (using the other donors), and the treated unit's ratio of post- to pre-treatment RMSPE is
ranked among all of them; the rank p-value is ``rank / (J + 1)``, with the exact-fit and tie
rules of :mod:`sosek_impact.estimators.synth_rank`. Leave-one-out refits drop each donor with
positive weight in turn. In-time placebos (:mod:`~sosek_impact.estimators.synth_in_time`) and the
conformal inference of Chernozhukov, Wüthrich and Zhu (2021,
:mod:`~sosek_impact.estimators.synth_conformal`) are methods of the result.

The code is split by job: data preparation (``_synth_data``), the weight fit (``_synth_fit``,
with the simplex solver ``_simplex``), the entry point (``synthetic_control_fit``), results
(``synthetic_control_result``), several treated units (``synthetic_control_multi``), the rank
statistic (``synth_rank``) and figures (``synth_plot``). This module gathers the public names.
"""

from __future__ import annotations

from sosek_impact._callable_module import make_module_callable
from sosek_impact.estimators._synth_data import PredictorSpec
from sosek_impact.estimators.synth_rank import placebo_rank_p_value, rank_statistic, rmspe_ratio
from sosek_impact.estimators.synthetic_control_fit import synthetic_control
from sosek_impact.estimators.synthetic_control_multi import synthetic_control_multi
from sosek_impact.estimators.synthetic_control_result import MultiSyntheticControlResult, SyntheticControlResult

__all__ = [
    "MultiSyntheticControlResult",
    "PredictorSpec",
    "SyntheticControlResult",
    "placebo_rank_p_value",
    "rank_statistic",
    "rmspe_ratio",
    "synthetic_control",
    "synthetic_control_multi",
]

make_module_callable(__name__)  # `from sosek_impact.estimators import synthetic_control` is the function either way
