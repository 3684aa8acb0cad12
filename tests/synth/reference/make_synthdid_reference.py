"""Make the synthdid-py reference numbers used by tests/synth/test_synthetic_did.py.

Run once, in a separate environment with ``pip install synthdid-py==0.1.0`` (a Python port of
the reference R package synthdid; not a project dependency):

    python tests/synth/reference/make_synthdid_reference.py

Writes ``synthdid_reference.json``: on the California Proposition 99 panel
(tests/synth/data/california_prop99.csv) the SDID, SC and DiD estimates, the SDID unit weights
(omega, by state) and time weights (lambda, by year), and the jackknife standard error of SDID
on a panel with three treated states (California, Nevada, Utah, treated from 1989: a design
made up for the test).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from synthdid import did_estimate, panel_matrices, sc_estimate, synthdid_estimate

HERE = Path(__file__).resolve().parent


def main() -> None:
    df = pd.read_csv(HERE.parent / "data" / "california_prop99.csv", sep=";")
    p = panel_matrices(df, unit="State", time="Year", outcome="PacksPerCapita", treatment="treated")
    sdid = synthdid_estimate(p.Y, p.N0, p.T0)
    sc = sc_estimate(p.Y, p.N0, p.T0)
    did = did_estimate(p.Y, p.N0, p.T0)
    units = list(p.units)
    times = [int(t) for t in p.time]
    out = {
        "source": "synthdid-py 0.1.0 (port of R synthdid), this script",
        "sdid": float(sdid),
        "sc": float(sc),
        "did": float(did),
        "omega": dict(zip(units[: p.N0], map(float, sdid.weights.omega))),
        "lambda": dict(zip(map(str, times[: p.T0]), map(float, sdid.weights.lambda_))),
    }
    df3 = df.copy()
    df3.loc[df3["State"].isin(["Nevada", "Utah"]) & (df3["Year"] >= 1989), "treated"] = 1
    p3 = panel_matrices(df3, unit="State", time="Year", outcome="PacksPerCapita", treatment="treated")
    est3 = synthdid_estimate(p3.Y, p3.N0, p3.T0)
    out["three_treated_sdid"] = float(est3)
    out["three_treated_jackknife_se"] = float(np.sqrt(est3.vcov(method="jackknife")[0, 0]))
    (HERE / "synthdid_reference.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()


def staggered() -> None:
    """Staggered reference: Nevada and Utah treated from 1985, California from 1989 (made up)."""
    from synthdid import staggered_synthdid_estimate

    df = pd.read_csv(HERE.parent / "data" / "california_prop99.csv", sep=";")
    df.loc[df["State"].isin(["Nevada", "Utah"]) & (df["Year"] >= 1985), "treated"] = 1
    est = staggered_synthdid_estimate(df, unit="State", time="Year", outcome="PacksPerCapita", treatment="treated")
    path = HERE / "synthdid_reference.json"
    out = json.loads(path.read_text())
    out["staggered_att"] = float(est)
    out["staggered_by_cohort"] = est.by_cohort.astype({c: float for c in est.by_cohort.select_dtypes("number").columns}).to_dict(
        orient="list"
    )
    path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    staggered()
