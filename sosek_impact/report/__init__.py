"""Reporting tools: an incremental task runner, reproducible figures, tables, maps, HTML.

Submodules are imported on demand so that a pipeline run with nothing to do stays fast:
``runner`` (standard library only), ``figures``, ``tables``, ``maps``, ``html``.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(name)
