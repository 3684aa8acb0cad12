"""What every peer comparison shares: the row type, the agreement check, a silencer, the panels.

A comparison first checks that two programs give the same numbers (:func:`agree`, which raises
:class:`DisagreementError` when they do not) and only then times them. Not part of the package.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
from _harness import ROOT

from sosek_impact.simulate import simulate_staggered_panel

MPDTA_LOCAL = ROOT / "tests" / "did" / "reference" / "mpdta.csv"
MPDTA_SHARED = ROOT.parent / "shared" / "data" / "reference" / "did_mpdta" / "mpdta.csv"

Row = dict[str, Any]


class DisagreementError(AssertionError):
    """Two programs gave different numbers on the same data: timing them would be meaningless."""


def agree(name: str, ours: float, peer: float, *, rel: float = 0.0, abs_: float = 0.0) -> float:
    """Return ``|ours - peer|``; raise :class:`DisagreementError` above ``abs_ + rel * |peer|``."""
    diff = abs(ours - peer)
    if not diff <= abs_ + rel * abs(peer):
        raise DisagreementError(f"{name}: ours {ours!r} vs peer {peer!r} (|diff| {diff:.3g}, tol abs {abs_} rel {rel})")
    return diff


def quiet(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Silence a peer's printing and warnings (csdid prints its tables)."""

    def run() -> Any:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return fn()

    return run


def twfe_panel(n_units: int, n_periods: int = 25, seed: int = 1) -> pd.DataFrame:
    """A staggered panel of ``n_units * n_periods`` rows (three cohorts, 30 % treated)."""
    k = n_units // 10
    return simulate_staggered_panel(
        n_units, n_periods, cohorts={2008: k, 2012: k, 2016: k}, effect="constant", seed=seed
    )
