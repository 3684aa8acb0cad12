"""Inference that stays valid with few (treated) clusters, and sensitivity analysis."""

from __future__ import annotations

from sosek_impact._lazy import lazy_exports

_LAZY = {
    "wild_cluster_bootstrap": "sosek_impact.inference.wild_bootstrap",
    "randomization_inference": "sosek_impact.inference.randomization",
    "conley_taber": "sosek_impact.inference.conley_taber",
    "honest_did": "sosek_impact.inference.honest_did",
    "few_treated_inference": "sosek_impact.inference.few_treated",
    "wild_bootstrap_did": "sosek_impact.inference.wild_did",
    "FewTreatedResult": "sosek_impact.inference.few_treated_result",
    "FewTreatedWarning": "sosek_impact.inference.few_treated",
    "FewAssignmentsWarning": "sosek_impact.inference.few_treated",
    "FewControlsWarning": "sosek_impact.inference.few_treated",
    "NoiseRatioWarning": "sosek_impact.inference.few_treated",
    "FewPrePeriodsWarning": "sosek_impact.inference.few_treated",
    "UnknownScaleError": "sosek_impact.inference.few_treated",
    "few_treated_pretest": "sosek_impact.inference.few_treated_pretest",
    "FewTreatedPretest": "sosek_impact.inference.few_treated_pretest",
    "placebo_study": "sosek_impact.inference.placebo_study",
    "placebo_specs": "sosek_impact.inference.placebo_study",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
