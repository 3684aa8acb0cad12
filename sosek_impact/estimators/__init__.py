"""Panel difference-in-differences and synthetic-control estimators.

All entry points take the data first and name the columns by keyword
(``data, y, unit, time, ...``), as :func:`att_gt` does.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "twfe": "sosek_impact.estimators.twfe",
    "event_study": "sosek_impact.estimators.event_study",
    "att_gt": "sosek_impact.estimators.did",
    "sun_abraham": "sosek_impact.estimators.sun_abraham",
    "synthetic_control": "sosek_impact.estimators.synthetic_control",
    "synthetic_did": "sosek_impact.estimators.synthetic_did",
    "did_imputation": "sosek_impact.estimators.imputation",
    "imputation_linear_weights": "sosek_impact.estimators.imputation",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        obj = getattr(import_module(_LAZY[name]), name)
        # Importing a submodule of the same name binds the module to the package;
        # rebind the public name to the function itself.
        globals()[name] = obj
        return obj
    raise AttributeError(f"module 'sosek_impact.estimators' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
