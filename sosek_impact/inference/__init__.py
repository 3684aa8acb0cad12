"""Inference that stays valid with few (treated) clusters, and sensitivity analysis."""

from __future__ import annotations

from importlib import import_module
from typing import Any

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
    "placebo_study": "sosek_impact.inference.placebo_study",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        obj = getattr(import_module(_LAZY[name]), name)
        # Importing a submodule of the same name binds the module to the package;
        # rebind the public name to the function itself.
        globals()[name] = obj
        return obj
    raise AttributeError(f"module 'sosek_impact.inference' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
