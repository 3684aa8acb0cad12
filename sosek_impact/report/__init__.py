"""Reporting tools: an incremental task runner, reproducible figures, tables, maps, HTML.

Submodules are imported on demand so that a pipeline run with nothing to do stays fast:
``runner`` (standard library only), ``figures``, ``tables``, ``maps``, ``html``.
"""

from __future__ import annotations

from sosek_impact._lazy import lazy_exports

_EXPORTS = {
    "Task": "runner",
    "run_tasks": "runner",
    "inputs_digest": "runner",
    "save_figure": "figures",
    "use_study_style": "figures",
    "add_source_note": "figures",
    "write_table": "tables",
    "to_markdown": "tables",
    "to_latex": "tables",
    "to_html": "tables",
    "read_regions": "maps",
    "plot_regions": "maps",
    "Report": "html",
    "check_report": "html",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, {name: f".{module}" for name, module in _EXPORTS.items()})
