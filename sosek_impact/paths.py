"""Where the project's data live.

The package is installed editable from its repository; the data folders sit at the
repository root. ``SOSEK_IMPACT_ROOT`` overrides the root (e.g. for tests in a temporary
copy). ``SOSEK_IMPACT_SHARED`` overrides where the shared public sources are looked for.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Root of the project (the folder holding ``data/``, ``analysis/`` and ``reports/``)."""
    env = os.environ.get("SOSEK_IMPACT_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


def raw_dir() -> Path:
    """``data/raw``: the project's own tidy extracts (committed)."""
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    """``data/processed``: the built panels and their documentation."""
    return project_root() / "data" / "processed"


def reports_dir() -> Path:
    """``reports``: rendered figures, tables and the HTML report."""
    return project_root() / "reports"


def shared_dir() -> Path | None:
    """``../shared/data`` if it exists (the public sources the extracts are made from), else ``None``."""
    env = os.environ.get("SOSEK_IMPACT_SHARED")
    candidate = Path(env) if env else project_root().parent / "shared" / "data"
    return candidate if candidate.is_dir() else None
