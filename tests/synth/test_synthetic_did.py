"""Synthetic DiD against the published California estimates, the synthdid port, and identities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import EstimationError, InputError, SmallGroupError, TreatedInFirstPeriodError, UnbalancedPanelError
from sosek_impact.estimators.synthetic_did import synthetic_did

REF = json.loads((Path(__file__).resolve().parent / "reference" / "synthdid_reference.json").read_text())
ARGS = ("PacksPerCapita", "State", "Year", "treated")


@pytest.mark.parametrize(
    "estimator,published,port",
    [("sdid", -15.6, REF["sdid"]), ("sc", -19.6, REF["sc"]), ("did", -27.3, REF["did"])],
)
def test_california_matches_published_and_reference_port(prop99, estimator, published, port):
    # Published: Arkhangelsky et al. (2021), Table 1 (one decimal -> tolerance 0.05).
    # Port: synthdid-py 0.1.0, which follows R synthdid step by step -> tolerance 1e-6.
    res = synthetic_did(prop99, *ARGS, estimator=estimator, se="none", leave_one_out=False)
    assert res.estimate == pytest.approx(published, abs=0.05)
    assert res.estimate == pytest.approx(port, abs=1e-6)


def test_california_weights_match_reference_port(prop99):
    res = synthetic_did(prop99, *ARGS, se="none", leave_one_out=False)
    omega = pd.Series(REF["omega"]).reindex(res.unit_weights.index)
    lam = pd.Series({int(k): v for k, v in REF["lambda"].items()}).reindex(res.time_weights.index)
    np.testing.assert_allclose(res.unit_weights.to_numpy(), omega.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(res.time_weights.to_numpy(), lam.to_numpy(), atol=1e-8)
    # Regularisation as in the paper: zeta = (N1 T1)^(1/4) * sd of control first differences.
    pre = prop99[(prop99.Year < 1989) & (prop99.State != "California")].pivot(
        index="State", columns="Year", values="PacksPerCapita"
    )
    sigma = np.std(np.diff(pre.to_numpy(), axis=1), ddof=1)
    assert res.zeta_omega == pytest.approx((1 * 12) ** 0.25 * sigma, rel=1e-12)


def test_did_estimator_is_the_difference_of_means(prop99):
    # Identity: with uniform weights SDID is the 2x2 DiD of means.
    d = prop99.assign(post=prop99.Year >= 1989, tr=prop99.State == "California")
    m = d.groupby(["tr", "post"])["PacksPerCapita"].mean()
    by_hand = (m[True, True] - m[True, False]) - (m[False, True] - m[False, False])
    res = synthetic_did(prop99, *ARGS, estimator="did", se="none", leave_one_out=False)
    assert res.estimate == pytest.approx(by_hand, abs=1e-10)


def test_jackknife_matches_reference_port_with_three_treated(prop99):
    df = prop99.copy()
    df.loc[df.State.isin(["Nevada", "Utah"]) & (df.Year >= 1989), "treated"] = 1
    res = synthetic_did(df, *ARGS, se="jackknife", leave_one_out=False)
    assert res.estimate == pytest.approx(REF["three_treated_sdid"], abs=1e-6)
    assert res.std_error == pytest.approx(REF["three_treated_jackknife_se"], rel=1e-6)


def _null_panel(seed: int, n0: int, n1: int, t0: int, t1: int, effect: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, T = n0 + n1, t0 + t1
    y = rng.normal(size=(n, T)) + rng.normal(0, 3, size=(n, 1)) + np.linspace(0, 2, T)[None, :]
    y[n0:, t0:] += effect
    return pd.DataFrame(
        [(f"u{i:02d}", 2000 + t, y[i, t], int(i >= n0 and t >= t0)) for i in range(n) for t in range(T)],
        columns=["unit", "year", "y", "d"],
    )


def test_did_standard_errors_against_analytic_and_hand_jackknife():
    # iid N(0,1) noise, unit and time effects: Var(DiD) = (1/T1 + 1/T0)(1/N1 + 1/N0).
    n0, n1, t0, t1 = 30, 4, 10, 5
    df = _null_panel(1, n0, n1, t0, t1)
    sd_true = np.sqrt((1 / t1 + 1 / t0) * (1 / n1 + 1 / n0))
    # Jackknife by hand: drop each unit, recompute the DiD of means.
    wide = df.pivot(index="unit", columns="year", values="y").to_numpy()
    treated = np.arange(n0 + n1) >= n0

    def did(rows):
        Y, tr = wide[rows], treated[rows]
        gap = Y[:, t0:].mean(axis=1) - Y[:, :t0].mean(axis=1)
        return gap[tr].mean() - gap[~tr].mean()

    n = n0 + n1
    reps = np.array([did(np.delete(np.arange(n), i)) for i in range(n)])
    jk_hand = np.sqrt((n - 1) / n * np.sum((reps - reps.mean()) ** 2))
    res = synthetic_did(df, "y", "unit", "year", "d", estimator="did", se="jackknife", leave_one_out=False)
    assert res.std_error == pytest.approx(jk_hand, rel=1e-10)
    # Placebo and bootstrap variances: one panel's SE is itself noisy (few units), so average
    # the squared SE over 30 seeded panels (100 replications each) and compare with the
    # analytic variance -- the placebo one uses N1 of the controls as pseudo-treated, so its
    # target has N0 - N1 controls -- within 3 Monte Carlo standard errors.
    targets = {"placebo": (1 / t1 + 1 / t0) * (1 / n1 + 1 / (n0 - n1)), "bootstrap": sd_true**2}
    for method, target in targets.items():
        v = np.array(
            [
                synthetic_did(
                    _null_panel(s, n0, n1, t0, t1),
                    "y",
                    "unit",
                    "year",
                    "d",
                    estimator="did",
                    se=method,
                    n_reps=100,
                    seed=s,
                    leave_one_out=False,
                ).std_error
                ** 2
                for s in range(30)
            ]
        )
        assert abs(v.mean() - target) < 3 * v.std(ddof=1) / np.sqrt(v.size), (method, v.mean(), target)


def test_sdid_recovers_a_known_effect_in_simulation():
    # Factor model where plain DiD is biased (treated units load more on a trending factor);
    # SDID with its placebo CI should cover the true effect 2.0 and be closer than DiD.
    rng = np.random.default_rng(12)
    n0, n1, t0, t1 = 40, 2, 20, 6
    T = t0 + t1
    f = np.cumsum(rng.normal(0.3, 0.5, size=T))
    load = np.concatenate([rng.uniform(0, 1, n0), [0.9, 0.95]])
    y = load[:, None] * f[None, :] * 3 + rng.normal(0, 0.3, size=(n0 + n1, T)) + rng.normal(0, 2, size=(n0 + n1, 1))
    y[n0:, t0:] += 2.0
    df = pd.DataFrame(
        [(i, t, y[i, t], int(i >= n0 and t >= t0)) for i in range(n0 + n1) for t in range(T)], columns=["unit", "year", "y", "d"]
    )
    sd = synthetic_did(df, "y", "unit", "year", "d", se="placebo", n_reps=50, seed=1, leave_one_out=True)
    did = synthetic_did(df, "y", "unit", "year", "d", estimator="did", se="none", leave_one_out=False)
    assert sd.interval[0] <= 2.0 <= sd.interval[1]
    assert abs(sd.estimate - 2.0) < abs(did.estimate - 2.0)
    assert abs(sd.estimate - 2.0) < 0.5
    assert set(sd.leave_one_out.index) == set(sd.unit_weights.index[sd.unit_weights > 1e-3])
    assert sd.unit_weights.sum() == pytest.approx(1.0) and sd.time_weights.sum() == pytest.approx(1.0)


def test_single_treated_unit_jackknife_is_undefined(prop99):
    res = synthetic_did(prop99, *ARGS, estimator="did", se="jackknife", leave_one_out=False)
    assert np.isnan(res.std_error)
    assert any("jackknife" in n for n in res.notes)


def test_bad_panels_raise_typed_errors():
    df = _null_panel(2, 6, 1, 4, 2)
    with pytest.raises(UnbalancedPanelError):
        synthetic_did(df.iloc[1:], "y", "unit", "year", "d", se="none")
    off = df.copy()
    off.loc[(off.unit == "u06") & (off.year == 2005), "d"] = 0  # treated 2004, off again in 2005
    with pytest.raises(EstimationError, match="absorbing"):
        synthetic_did(off, "y", "unit", "year", "d", se="none")
    first = df.copy()
    first.loc[first.unit == "u06", "d"] = 1
    with pytest.raises(TreatedInFirstPeriodError):
        synthetic_did(first, "y", "unit", "year", "d", se="none")
    bad = df.copy()
    bad.loc[0, "d"] = 2
    with pytest.raises(InputError, match="0 or 1"):
        synthetic_did(bad, "y", "unit", "year", "d", se="none")
    with pytest.raises(SmallGroupError):
        synthetic_did(df[df.unit.isin(["u00", "u06"])], "y", "unit", "year", "d", se="none")


def test_summary_tidy_and_plot(prop99):
    res = synthetic_did(prop99, *ARGS, se="none", leave_one_out=False)
    assert "estimate" in res.summary()
    assert list(res.tidy().columns) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                        "conf_high", "estimator", "se_method"]
    fig = res.plot()
    assert len(fig.axes[0].lines) >= 2


@pytest.mark.parametrize("shape", [(12, 30), (30, 12)])
def test_numpy_fallback_of_the_frank_wolfe_loop_agrees_with_the_compiled_one(shape):
    # The readable NumPy loop is the reference; the compiled kernel (Gram-matrix gradient updates)
    # and the same kernel run as plain Python must give the same iterates up to rounding.
    from sosek_impact.estimators import _sdid_weights as m

    rng = np.random.default_rng(0)
    n, k = shape
    A, b = np.asfortranarray(rng.normal(size=(n, k))), rng.normal(size=n)
    x0 = np.full(k, 1 / k)
    ref = m._fw_loop_numpy(A.copy(), b.copy(), x0.copy(), 0.5, 0.04, 1e-14, 2000)
    fast = m._fw_loop(A.copy(order="F"), b.copy(), x0.copy(), 0.5, 0.04, 1e-14, 2000)
    python = m._fw_loop_scalar(A.copy(order="F"), b.copy(), x0.copy(), 0.5, 0.04, 1e-14, 2000)
    np.testing.assert_allclose(fast, ref, atol=1e-12)
    np.testing.assert_allclose(python, ref, atol=1e-12)
    assert ref.min() >= 0 and ref.sum() == pytest.approx(1.0)


def test_staggered_adoption_matches_reference_port(prop99):
    # Made-up staggered design: Nevada and Utah from 1985, California from 1989. Reference:
    # synthdid-py 0.1.0 staggered_synthdid_estimate (Stata sdid's cohort decomposition, never-
    # treated controls, weights N1_g * T1_g) -> tolerance 1e-6.
    df = prop99.copy()
    df.loc[df.State.isin(["Nevada", "Utah"]) & (df.Year >= 1985), "treated"] = 1
    res = synthetic_did(df, *ARGS, se="jackknife", leave_one_out=False)
    by = REF["staggered_by_cohort"]
    assert res.estimate == pytest.approx(REF["staggered_att"], abs=1e-6)
    np.testing.assert_allclose(res.cohorts["estimate"], by["tau"], atol=1e-6)
    np.testing.assert_allclose(res.cohorts["weight"], by["weight"], rtol=1e-12)
    assert list(res.cohorts["n_post"]) == [16, 12]
    assert np.isfinite(res.std_error) and res.std_error > 0
    assert res.unit_weights.sum() == pytest.approx(1.0)


def test_staggered_recovers_known_effects_and_placebo_is_calibrated():
    # Two cohorts with effects 1 (4 units, 6 post periods) and 3 (2 units, 3 post periods) on
    # iid noise with unit and time effects: the cohort-weighted ATT is (24*1 + 6*3) / 30 = 1.4.
    rng = np.random.default_rng(21)
    n0, T = 40, 20
    first = {f"t{i}": 14 for i in range(4)} | {f"s{i}": 17 for i in range(2)}
    units = [f"c{i:02d}" for i in range(n0)] + list(first)
    rows = []
    for u in units:
        a = rng.normal(0, 2)
        for t in range(T):
            g = first.get(u)
            eff = (1.0 if g == 14 else 3.0) if g is not None and t >= g else 0.0
            rows.append((u, t, a + 0.1 * t + rng.normal(0, 0.2) + eff, int(g is not None and t >= g)))
    df = pd.DataFrame(rows, columns=["unit", "year", "y", "d"])
    res = synthetic_did(df, "y", "unit", "year", "d", estimator="did", se="placebo", n_reps=100, seed=2, leave_one_out=False)
    assert res.cohorts["weight"].tolist() == pytest.approx([24 / 30, 6 / 30])
    # Noise sd 0.2: the estimate's sd is about 0.05; allow 4 sd.
    assert res.estimate == pytest.approx(1.4, abs=0.2)
    assert res.interval[0] <= 1.4 <= res.interval[1]
