"""Shared fixtures of the DiD tests: the reference panels and a seeded staggered simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def mpdta() -> pd.DataFrame:
    """R did's example panel (500 counties x 2003-2007), copied in tests/did/reference."""
    return pd.read_csv(REF / "mpdta.csv")


def true_effect(g: int, e: int) -> float:
    """Known heterogeneous, dynamic effect of the simulation: grows with e, larger for early cohorts."""
    return 0.0 if e < 0 else (1.0 + 0.5 * (g == 4)) * (e + 1) * 0.5


def simulate(seed: int, n_units: int = 600, n_periods: int = 8, cohorts=(4, 6), shares=(0.25, 0.25)) -> pd.DataFrame:
    """Balanced staggered panel: y = unit effect + period effect + trend by cohort-free shocks + effect + N(0,1).

    Cohort shares of units: ``shares`` for ``cohorts`` (first treated period, periods 1..n_periods),
    the rest never treated (group 0). The unit effect is correlated with the cohort, so levels differ
    by cohort while trends are parallel.
    """
    rng = np.random.default_rng(seed)
    u = np.arange(n_units)
    draw = rng.random(n_units)
    g = np.zeros(n_units, dtype=int)
    edges = np.cumsum(shares)
    for c, lo, hi in zip(cohorts, np.r_[0, edges[:-1]], edges):
        g[(draw >= lo) & (draw < hi)] = c
    alpha = rng.normal(size=n_units) + 0.3 * g
    t = np.arange(1, n_periods + 1)
    lam = np.cumsum(rng.normal(0.2, 0.3, size=n_periods))
    uu, tt = np.meshgrid(u, t, indexing="ij")
    gg = g[uu]
    eff = np.vectorize(true_effect)(gg, tt - gg) * (gg > 0)
    y = alpha[uu] + lam[tt - 1] + eff + rng.normal(size=uu.shape)
    return pd.DataFrame({"unit": uu.ravel(), "time": tt.ravel(), "group": gg.ravel(), "y": y.ravel(),
                         "state": (uu.ravel() % 40)})


@pytest.fixture(scope="session")
def sim_panel() -> pd.DataFrame:
    """The seeded simulation used by the recovery tests."""
    return simulate(seed=20240611)


@pytest.fixture(scope="session")
def effect():
    """The true effect function of :func:`simulate`."""
    return true_effect


@pytest.fixture(scope="session")
def simulator():
    """The :func:`simulate` function itself, for tests that draw many panels."""
    return simulate
