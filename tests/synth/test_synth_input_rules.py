"""Synthetic control / synthetic DiD: input rules, the SDID placebo rank p-value and placebo SE.

References:
- The RMSPE-ratio rank p-value (Abadie, Diamond and Hainmueller 2010) is recomputed by hand: each
  control is refitted through the public ``synthetic_did`` entry point as the only treated unit of a
  panel without the real treated unit, its gap ``paths.treated - paths.synthetic_control`` gives pre-
  and post-RMSPE with numpy, and the treated unit's ratio is ranked among them,
  ``p = #{ratios >= treated} / (N0 + 1)`` counting the treated unit. Tolerance 1e-6 on the ratios:
  both paths solve the same Frank–Wolfe problems, with the controls in a different row order.
- synthdid's placebo SE (Arkhangelsky et al. 2021, Algorithm 4; R ``synthdid::placebo_se``):
  ``sqrt((r - 1) / r) * sd(replicates)`` with ``sd`` the n-1 standard deviation, i.e. the root mean
  squared deviation of the r placebo estimates from their mean. Recomputed from ``replicates``
  to 1e-12 relative; dropping the factor changes the SE by sqrt(r / (r - 1)) (2.6 % at r = 20).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import EstimationError, MissingValueError, SchemaError, ValueRangeError
from sosek_impact.estimators.synthetic_control import synthetic_control
from sosek_impact.estimators.synthetic_did import synthetic_did


def _factor_panel(seed: int = 3, n0: int = 9, t0: int = 10, t1: int = 4, effect: float = 1.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = t0 + t1
    f = np.cumsum(rng.normal(0.2, 0.6, size=T))
    load = np.concatenate([rng.uniform(0.3, 1.2, n0), [0.8]])
    y = load[:, None] * f[None, :] * 2 + rng.normal(0, 0.4, size=(n0 + 1, T)) + rng.normal(0, 1.5, size=(n0 + 1, 1))
    y[n0:, t0:] += effect
    names = [f"c{i}" for i in range(n0)] + ["tr"]
    return pd.DataFrame(
        [(names[i], 2000 + t, y[i, t], int(i == n0 and t >= t0)) for i in range(n0 + 1) for t in range(T)],
        columns=["unit", "year", "y", "d"],
    )


def _ratio_by_hand(paths: pd.DataFrame, t0: int) -> float:
    gap = (paths["treated"] - paths["synthetic_control"]).to_numpy()
    pre, post = gap[paths.index < t0], gap[paths.index >= t0]
    return float(np.sqrt(np.mean(post**2)) / np.sqrt(np.mean(pre**2)))


def test_sdid_placebo_rank_p_value_matches_hand_computation():
    df = _factor_panel()
    t0 = 2010
    res = synthetic_did(df, "y", "unit", "year", "d", se="none", leave_one_out=False, placebo_rank=True)
    treated_ratio = _ratio_by_hand(res.paths, t0)
    ratios = {}
    base = df[df["unit"] != "tr"]
    for c in sorted(base["unit"].unique()):
        pl = synthetic_did(base.assign(d=((base["unit"] == c) & (base["year"] >= t0)).astype(int)), "y", "unit", "year",
                           "d", se="none", leave_one_out=False)
        ratios[c] = _ratio_by_hand(pl.paths, t0)
    expected_p = (1 + sum(r >= treated_ratio for r in ratios.values())) / (len(ratios) + 1)
    assert res.rmspe_ratio == pytest.approx(treated_ratio, rel=1e-6)
    placebo = res.placebo.loc[~res.placebo["treated"], "ratio"]
    np.testing.assert_allclose(placebo.loc[list(ratios)].to_numpy(), list(ratios.values()), rtol=1e-6)
    assert res.placebo_p_value == pytest.approx(expected_p, abs=1e-12)
    assert res.placebo_p_value < 0.5  # a 1.5 effect on noise sd 0.4 ranks high among 9 placebos
    # staggered designs are refused rather than ranked in a way nobody defined
    stag = df.copy()
    stag.loc[(stag["unit"] == "c0") & (stag["year"] >= 2012), "d"] = 1
    with pytest.raises(EstimationError, match="block design"):
        synthetic_did(stag, "y", "unit", "year", "d", se="none", leave_one_out=False, placebo_rank=True)


def test_sdid_placebo_se_is_synthdid_definition():
    df = _factor_panel(seed=5, n0=12)
    r = 20
    res = synthetic_did(df, "y", "unit", "year", "d", se="placebo", n_reps=r, seed=4, leave_one_out=False)
    reps = np.asarray(res.replicates)
    assert reps.size == r and np.isfinite(reps).all() and reps.std() > 0
    by_definition = np.sqrt(np.sum((reps - reps.mean()) ** 2) / r)  # sqrt((r-1)/r) * sd, sd with n-1
    assert res.std_error == pytest.approx(by_definition, rel=1e-12)


def test_sdid_placebo_se_staggered_is_synthdid_definition():
    df = _factor_panel(seed=6, n0=12)
    df.loc[(df["unit"] == "c0") & (df["year"] >= 2012), "d"] = 1  # a second cohort, adopting in 2012
    r = 15
    res = synthetic_did(df, "y", "unit", "year", "d", se="placebo", n_reps=r, seed=4, leave_one_out=False)
    assert res.cohorts is not None and len(res.cohorts) == 2
    reps = np.asarray(res.replicates)
    assert res.std_error == pytest.approx(np.sqrt(np.sum((reps - reps.mean()) ** 2) / r), rel=1e-12)


def test_synthetic_control_refuses_fractional_treatment_time(make_convex_panel):
    df, _, t0 = make_convex_panel()
    with pytest.raises(ValueRangeError, match=r"treatment_time 2019.5 is fractional"):
        synthetic_control(df, "y", "unit", "year", "T", t0 - 0.5, placebo=False, leave_one_out=False)
    res = synthetic_control(df, "y", "unit", "year", "T", float(t0), placebo=False, leave_one_out=False)
    assert res.n_pre == t0 - 2000  # a whole-number float is fine


def test_synthetic_control_missing_treated_pre_year_is_an_error(make_convex_panel):
    df, _, t0 = make_convex_panel()
    bad = df.copy()
    bad.loc[(bad["unit"] == "T") & (bad["year"] == 2004), "y"] = np.nan
    with pytest.raises(MissingValueError, match=r"\(unit, year\) = \('T', 2004\)") as err:
        synthetic_control(bad, "y", "unit", "year", "T", t0, placebo=False, leave_one_out=False)
    assert (err.value.unit, err.value.period) == ("T", 2004)
    res = synthetic_control(bad, "y", "unit", "year", "T", t0, placebo=False, leave_one_out=False, missing_treated="drop")
    assert res.n_pre == t0 - 2000 - 1 and any("2004" in n for n in res.notes)


def test_text_outcome_is_named(make_convex_panel):
    df, _, t0 = make_convex_panel()
    text = df.astype({"y": object})
    text.loc[text.index[3], "y"] = "Sambas"
    with pytest.raises(SchemaError, match=r"'Sambas' at \(unit, year\) = \('T', 2003\)"):
        synthetic_control(text, "y", "unit", "year", "T", t0, placebo=False, leave_one_out=False)
    sd = _factor_panel().astype({"y": object})
    sd.loc[sd.index[0], "y"] = "Sambas"
    with pytest.raises(SchemaError, match=r"'Sambas' at \(unit, year\) = \('c0', 2000\)"):
        synthetic_did(sd, "y", "unit", "year", "d", se="none", leave_one_out=False)
