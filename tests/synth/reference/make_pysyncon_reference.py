"""Make the pysyncon reference numbers used by tests/synth/test_synthetic_control.py.

Run once, in a separate environment with ``pip install pysyncon==1.7.0`` (it is not a project
dependency):

    python tests/synth/reference/make_pysyncon_reference.py

Writes ``sim_panel.csv`` (a seeded factor-model panel: 1 treated unit, inside the donors' hull, + 15 donors, 1990-2009,
treatment from 2005 with effect +3, two predictors) and ``pysyncon_reference.json`` (pysyncon's
weights for a fixed V, and its pre-period loss with V optimised by Nelder-Mead from equal V).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from pysyncon import Dataprep, Synth

HERE = Path(__file__).resolve().parent


def simulate() -> pd.DataFrame:
    rng = np.random.default_rng(20240611)
    years = np.arange(1990, 2010)
    n = 16
    f = np.cumsum(rng.normal(0.5, 1.0, size=(years.size, 2)), axis=0)
    load = rng.uniform(0.2, 1.5, size=(n, 2))
    alpha = rng.normal(10.0, 2.0, size=n)
    # The treated unit lies inside the donors' convex hull, so several donors get weight.
    mix = np.array([0.4, 0.35, 0.25])
    load[0] = mix @ load[1:4]
    alpha[0] = mix @ alpha[1:4]
    rows = []
    for i in range(n):
        y = alpha[i] + f @ load[i] + rng.normal(0, 0.5, size=years.size)
        if i == 0:
            y = y + 3.0 * (years >= 2005)
        x1 = load[i, 0] * 10 + rng.normal(0, 0.3, size=years.size)
        x2 = load[i, 1] * 5 + alpha[i] / 4 + rng.normal(0, 0.3, size=years.size)
        for t, yy, a, b in zip(years, y, x1, x2):
            rows.append(
                {
                    "unit": f"u{i:02d}",
                    "year": int(t),
                    "y": round(float(yy), 6),
                    "x1": round(float(a), 6),
                    "x2": round(float(b), 6),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    df = simulate()
    df.to_csv(HERE / "sim_panel.csv", index=False, lineterminator="\n")
    controls = sorted(u for u in df["unit"].unique() if u != "u00")
    pre = range(1990, 2005)
    dp = Dataprep(
        foo=df,
        predictors=["x1", "x2"],
        predictors_op="mean",
        dependent="y",
        unit_variable="unit",
        time_variable="year",
        treatment_identifier="u00",
        controls_identifier=controls,
        time_predictors_prior=pre,
        time_optimize_ssr=pre,
        special_predictors=[("y", [1995], "mean"), ("y", [2000], "mean"), ("y", [2004], "mean")],
    )
    fixed_v = np.array([0.1, 0.1, 0.2, 0.3, 0.3])
    s = Synth()
    s.fit(dataprep=dp, custom_V=fixed_v)
    w_fixed = dict(zip(controls, map(float, s.W)))
    s2 = Synth()
    s2.fit(dataprep=dp, optim_method="Nelder-Mead", optim_initial="equal")
    out = {
        "source": "pysyncon 1.7.0 (Synth.fit), this script",
        "predictor_order": ["x1", "x2", "y[1995]", "y[2000]", "y[2004]"],
        "fixed_v": fixed_v.tolist(),
        "weights_fixed_v": w_fixed,
        "loss_v_fixed_v": float(s.loss_V),
        "weights_optimized_v": dict(zip(controls, map(float, s2.W))),
        "v_optimized": list(map(float, s2.V)),
        "loss_v_optimized": float(s2.loss_V),
    }
    (HERE / "pysyncon_reference.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
