"""Shared fixtures of the synthetic-control tests."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def prop99() -> pd.DataFrame:
    """California Proposition 99 panel (see data/PROVENANCE.md)."""
    return pd.read_csv(HERE / "data" / "california_prop99.csv", sep=";")


def convex_combination_panel(seed: int = 1, n_donors: int = 10, n_pre: int = 20, n_post: int = 5, effect: float = 2.0):
    """Donors from a noisy factor model; the treated unit is exactly 0.5 d0 + 0.3 d1 + 0.2 d2 before
    treatment and that plus ``effect`` after."""
    rng = np.random.default_rng(seed)
    T = n_pre + n_post
    years = np.arange(2000, 2000 + T)
    f = np.cumsum(rng.normal(0.3, 1.0, size=(T, 3)), axis=0)
    load = rng.uniform(0.0, 2.0, size=(n_donors, 3))
    Y = f @ load.T + rng.normal(0, 1.0, size=(T, n_donors)) + rng.normal(5, 2, size=n_donors)
    w_true = np.zeros(n_donors)
    w_true[:3] = [0.5, 0.3, 0.2]
    y1 = Y @ w_true + effect * (years >= years[n_pre])
    rows = [("T", t, v) for t, v in zip(years, y1)]
    for j in range(n_donors):
        rows += [(f"d{j}", t, v) for t, v in zip(years, Y[:, j])]
    df = pd.DataFrame(rows, columns=["unit", "year", "y"])
    return df, pd.Series(w_true, index=[f"d{j}" for j in range(n_donors)]), int(years[n_pre])


@pytest.fixture(scope="session")
def make_convex_panel():
    """The :func:`convex_combination_panel` factory (tests import nothing from conftest)."""
    return convex_combination_panel
