"""Random staggered panels for the diagnostics tests (none of them used while developing the code)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def staggered_panel(seed: int, n_units: int = 40, n_periods: int = 9, cohorts=(0, 3, 5, 6, 8),
                    dynamic: float = 0.3, start: int = 2001) -> pd.DataFrame:
    """Balanced panel with units drawn into the timing groups ``cohorts`` (offsets from ``start - 1``;
    0 = never treated, 1 = always treated) with unequal probabilities; effects grow with exposure."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(len(cohorts)) * 2)
    g_off = rng.choice(np.asarray(cohorts), size=n_units, p=probs)
    for j, c in enumerate(cohorts):  # every cohort present at least once
        g_off[j] = c
    periods = np.arange(start, start + n_periods)
    g = np.where(g_off == 0, 0, start - 1 + g_off)
    a = rng.normal(size=n_units)
    lam = rng.normal(size=n_periods).cumsum() * 0.3
    rows = []
    for i in range(n_units):
        for j, t in enumerate(periods):
            d = g[i] > 0 and t >= g[i]
            eff = (1.0 + dynamic * (t - g[i]) + 0.2 * (g[i] - start)) if d else 0.0
            rows.append((f"u{i:03d}", int(t), int(g[i]), a[i] + lam[j] + eff + rng.normal()))
    return pd.DataFrame(rows, columns=["unit", "year", "first_treat", "y"])
