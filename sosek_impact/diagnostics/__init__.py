"""Diagnostics of staggered difference-in-differences designs.

- :func:`bacon_decomposition` — Goodman-Bacon (2021) decomposition of the TWFE coefficient;
- :func:`twfe_weights` — de Chaisemartin & D'Haultfœuille (2020) weights of the treated cells
  in the TWFE coefficient, negative weights and the sensitivity measure;
- :func:`pretrends_power` and :func:`slope_for_power` — Roth (2022) power of pre-tests and the
  bias of estimates that passed one;
- :func:`event_time_inputs` — event-time coefficients and covariance from any event-time result
  of the package (shared with :func:`sosek_impact.inference.honest_did`).
"""

from __future__ import annotations

from sosek_impact._lazy import lazy_exports

_LAZY = {
    "bacon_decomposition": "sosek_impact.diagnostics.bacon",
    "BaconDecompositionResult": "sosek_impact.diagnostics.bacon",
    "twfe_weights": "sosek_impact.diagnostics.twfe_weights",
    "TWFEWeightsResult": "sosek_impact.diagnostics.twfe_weights",
    "pretrends_power": "sosek_impact.diagnostics.pretrends_power",
    "slope_for_power": "sosek_impact.diagnostics.pretrends_power",
    "PretrendsPowerResult": "sosek_impact.diagnostics.pretrends_power",
    "event_time_inputs": "sosek_impact.diagnostics.event_time_inputs",
    "EventTimeInputs": "sosek_impact.diagnostics.event_time_inputs",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
