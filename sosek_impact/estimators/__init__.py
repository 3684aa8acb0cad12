"""Panel difference-in-differences and synthetic-control estimators.

All entry points take the data first and name the columns by keyword
(``data, y, unit, time, ...``), as :func:`att_gt` does.
"""

from __future__ import annotations

from sosek_impact._lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
