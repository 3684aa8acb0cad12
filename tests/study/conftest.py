"""Shared set-up of the study tests: the analysis scripts are importable, the panel is built."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANALYSIS = ROOT / "analysis"
if str(ANALYSIS) not in sys.path:
    sys.path.insert(0, str(ANALYSIS))


@pytest.fixture(scope="session")
def built_panel() -> Path:
    """Build data/processed from data/raw if it is missing or out of date (no-op otherwise)."""
    from sosek_impact.panel import build_panel

    return build_panel()
