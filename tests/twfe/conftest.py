"""Shared fixtures of the TWFE / event-study tests."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

MPDTA = Path(__file__).resolve().parents[1] / "did" / "reference" / "mpdta.csv"


@pytest.fixture(scope="session")
def sim_panel() -> pd.DataFrame:
    """Study-shaped staggered panel (60 units, 25 years, 12 treated) with one covariate and weights."""
    from sosek_impact.simulate import simulate_staggered_panel

    d = simulate_staggered_panel(n_units=60, n_periods=25, n_treated=12, covariates=1,
                                 covariate_trend=0.5, seed=11)
    rng = np.random.default_rng(11)
    d["x_tv"] = rng.normal(size=len(d)) + 0.1 * d["time"].to_numpy()  # time-varying covariate
    d["y"] = d["y"] + 0.4 * d["x_tv"]
    d["w"] = rng.uniform(0.5, 2.0, len(d))
    d["province"] = d["unit"].to_numpy() % 7
    return d


@pytest.fixture(scope="session")
def mpdta() -> pd.DataFrame:
    """The R ``did`` package's example data (copy kept by the DiD tests, MIT, see its PROVENANCE)."""
    if not MPDTA.exists():
        pytest.skip("mpdta reference copy not present")
    d = pd.read_csv(MPDTA)
    d["treat_post"] = ((d["first.treat"] > 0) & (d["year"] >= d["first.treat"])).astype(float)
    d = d.rename(columns={"first.treat": "first_treat"})
    return d


@pytest.fixture(scope="session")
def pf():
    """pyfixest, the independent reference (quiet)."""
    pyfixest = pytest.importorskip("pyfixest")
    warnings.filterwarnings("ignore", module="pyfixest")
    return pyfixest
