"""Tests of sosek_impact.inference.honest_did against the HonestDiD README and known properties.

Reference: the HonestDiD R package README (Medicaid example; numbers in data/PROVENANCE.md).
Its event-study inputs are re-estimated here from the same data with NumPy (TWFE with state
and year dummies, cluster-robust covariance by state with fixest's default small-sample
factor G/(G-1) * (n-1)/(n-K), K = 7 event-time coefficients + 7 year effects, the state
effects being nested in the clusters). The README prints 3 significant digits, so the
tolerance is 5e-4 (absolute, in units of the insured share, i.e. 0.05 percentage points).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import InputError
from sosek_impact.inference.honest_did import flci, flci_weights, honest_did, original_ci, rm_confidence_set

DATA = Path(__file__).resolve().parent / "data" / "ehec_2008_2015.csv"

README_RM = {0.5: (0.0240, 0.0672), 1.0: (0.0170, 0.0720), 1.5: (0.00824, 0.0797), 2.0: (-0.000916, 0.0881)}
README_SD = {
    0.00: (0.0259, 0.0607),
    0.01: (0.0132, 0.0787),
    0.02: (0.00286, 0.0907),
    0.03: (-0.00714, 0.101),
    0.04: (-0.0171, 0.111),
    0.05: (-0.0271, 0.121),
}
TOL = 5e-4


@pytest.fixture(scope="module")
def medicaid_event_study() -> tuple[np.ndarray, np.ndarray]:
    wide = pd.read_csv(DATA)
    wide = wide[wide["yexp2"].ne(2015)]
    d = wide.melt(id_vars=["state", "yexp2"], var_name="year", value_name="dins")
    d["year"] = d["year"].str[1:].astype(int)
    treated = (d["yexp2"] == 2014).to_numpy()
    event_years = [2008, 2009, 2010, 2011, 2012, 2014, 2015]
    X = np.column_stack([((d["year"] == y).to_numpy() & treated).astype(float) for y in event_years])
    states = pd.get_dummies(d["state"]).to_numpy(float)
    years = pd.get_dummies(d["year"]).to_numpy(float)[:, 1:]
    Z = np.column_stack([X, states, years])
    y = d["dins"].to_numpy()
    coef, *_ = np.linalg.lstsq(Z, y, rcond=None)
    e = y - Z @ coef
    bread = np.linalg.pinv(Z.T @ Z)
    groups = d["state"].to_numpy()
    meat = np.zeros((Z.shape[1], Z.shape[1]))
    for g in np.unique(groups):
        s = Z[groups == g].T @ e[groups == g]
        meat += np.outer(s, s)
    n, G, K = len(y), len(np.unique(groups)), 7 + 7
    V = bread @ meat @ bread * G / (G - 1) * (n - 1) / (n - K)
    return coef[:7], V[:7, :7]


def test_event_study_inputs_match_readme_plot(medicaid_event_study):
    # The README's event-study plot shows about 0.046 (2014) and 0.069 (2015); the original CI of
    # the 2014 effect that HonestDiD's constructOriginalCS gives on these inputs is computed below.
    b, _ = medicaid_event_study
    assert b[5] == pytest.approx(0.0464, abs=5e-4)
    assert b[6] == pytest.approx(0.0692, abs=5e-4)


def test_relative_magnitudes_match_honestdid_readme(medicaid_event_study):
    b, V = medicaid_event_study
    res = honest_did(b, V, num_pre=5, num_post=2, method="relative_magnitude", Mbar=list(README_RM), refine_breakdown=False)
    assert list(res.table["method"].unique()) == ["C-LF"]
    for _, row in res.table.iterrows():
        lb, ub = README_RM[row["M"]]
        assert row["lb"] == pytest.approx(lb, abs=TOL), row
        assert row["ub"] == pytest.approx(ub, abs=TOL), row
    # README: "the breakdown value for a significant effect is Mbar = 2" (CI at 2 includes 0, at 1.5 not).
    assert 1.5 <= res.breakdown < 2.0


def test_smoothness_flci_matches_honestdid_readme(medicaid_event_study):
    b, V = medicaid_event_study
    res = honest_did(b, V, num_pre=5, num_post=2, method="smoothness", M=list(README_SD), refine_breakdown=True)
    for _, row in res.table.iterrows():
        lb, ub = README_SD[round(row["M"], 2)]
        assert row["lb"] == pytest.approx(lb, abs=TOL), row
        assert row["ub"] == pytest.approx(ub, abs=TOL), row
    # README: "the breakdown value for a significant effect is M ~ 0.03" (significant at 0.02, not at 0.03).
    assert 0.02 <= res.breakdown < 0.03


def test_rm_with_mbar_zero_is_the_parallel_trends_ci(medicaid_event_study):
    # With Mbar = 0 the post-period trend differences are exactly zero, and the conditional test
    # of |beta_1 - theta| reduces to the two-sided z-test: the CI is beta_1 +- 1.96 se (to the
    # bisection tolerance of the test inversion).
    b, V = medicaid_event_study
    lo, hi = rm_confidence_set(b, V, num_pre=5, num_post=2, Mbar=0.0, hybrid="none")
    olo, ohi = original_ci(b, V, num_pre=5, num_post=2)
    assert lo == pytest.approx(olo, abs=1e-7)
    assert hi == pytest.approx(ohi, abs=1e-7)
    assert olo == pytest.approx(b[5] - 1.959964 * np.sqrt(V[5, 5]), abs=1e-6)


def test_robust_cis_widen_with_the_restriction(medicaid_event_study):
    b, V = medicaid_event_study
    res = honest_did(b, V, num_pre=5, num_post=2, method="smoothness", M=[0.0, 0.005, 0.01, 0.02], refine_breakdown=False)
    assert np.all(np.diff(res.table["lb"]) < 0)
    assert np.all(np.diff(res.table["ub"]) > 0)


def _ar1_cov(n: int, rho: float, sd: float) -> np.ndarray:
    idx = np.arange(n)
    return sd**2 * rho ** np.abs(idx[:, None] - idx[None, :])


def test_flci_m0_contains_linear_extrapolation_and_covers():
    # Under Delta^SD(0) the bias is an exact linear trend delta_t = c * t. (a) Without noise the
    # CI is centred on the linear-extrapolation estimate, which recovers tau_1 exactly;
    # (b) the FLCI is affine in betahat (weights independent of betahat); (c) with noise, 2,000
    # seeded draws: coverage of tau_1 must be 0.95 within 3 Monte Carlo standard errors
    # (sqrt(.95 * .05 / 2000) = 0.0049, so [0.935, 0.965]).
    t = np.array([-4, -3, -2, -1, 1, 2, 3], dtype=float)
    tau = np.array([0, 0, 0, 0, 1.0, 1.5, 2.0])
    beta_true = tau + 0.3 * t
    Sig = _ar1_cov(7, 0.4, 0.2)
    lo, hi = flci(beta_true, Sig, num_pre=4, num_post=3, M=0.0, l_vec=[1, 0, 0])
    assert (lo + hi) / 2 == pytest.approx(1.0, abs=1e-9)
    v, half = flci_weights(Sig, num_pre=4, num_post=3, M=0.0, l_vec=[1, 0, 0])
    assert v @ t == pytest.approx(0.0, abs=1e-10)  # unbiased under any linear trend
    rng = np.random.default_rng(7)
    draws = beta_true + rng.standard_normal((2000, 7)) @ np.linalg.cholesky(Sig).T
    for d in draws[:3]:
        lo_d, hi_d = flci(d, Sig, num_pre=4, num_post=3, M=0.0, l_vec=[1, 0, 0])
        assert (lo_d, hi_d) == pytest.approx((v @ d - half, v @ d + half), abs=1e-12)
    covered = np.mean(np.abs(draws @ v - 1.0) <= half)
    assert 0.935 <= covered <= 0.965


def test_flci_covers_under_a_nonlinear_trend_within_m():
    # delta with second differences of size M: 2,000 seeded draws, FLCI(M) must cover tau_1 at
    # least at the nominal rate up to Monte Carlo error (FLCIs are conservative off the worst
    # case): coverage >= 0.95 - 3 * sqrt(.95 * .05 / 2000) = 0.935.
    M = 0.05
    t = np.array([-3, -2, -1, 1, 2], dtype=float)
    delta = 0.5 * M * t * (t + 1)  # second differences equal to M everywhere, delta_0 = 0
    tau = np.array([0, 0, 0, 0.5, 0.7])
    Sig = _ar1_cov(5, 0.3, 0.1)
    v, half = flci_weights(Sig, num_pre=3, num_post=2, M=M)
    rng = np.random.default_rng(11)
    draws = tau + delta + rng.standard_normal((2000, 5)) @ np.linalg.cholesky(Sig).T
    assert np.mean(np.abs(draws @ v - 0.5) <= half) >= 0.935


def test_bad_input_is_named():
    with pytest.raises(InputError, match="num_pre"):
        honest_did([0.1, 0.2, 0.3], np.eye(3), num_pre=1, num_post=1)
    with pytest.raises(InputError, match="symmetric"):
        honest_did([0.1, 0.2], np.array([[1.0, 0.5], [0.0, 1.0]]), num_pre=1, num_post=1)
    with pytest.raises(InputError, match="l_vec"):
        honest_did([0.1, 0.2, 0.3], np.eye(3), num_pre=1, num_post=2, l_vec=[1.0])
    with pytest.raises(InputError, match="method"):
        honest_did([0.1, 0.2], np.eye(2), num_pre=1, num_post=1, method="wild")
    with pytest.raises(InputError, match="missing"):
        honest_did([0.1, np.nan], np.eye(2), num_pre=1, num_post=1)


def test_plot_returns_figure(medicaid_event_study):
    import matplotlib

    matplotlib.use("Agg")
    b, V = medicaid_event_study
    res = honest_did(b, V, num_pre=5, num_post=2, method="smoothness", M=[0.0, 0.02], refine_breakdown=False)
    fig = res.plot()
    assert fig.axes and len(fig.axes[0].lines) > 0


def test_event_study_adapter_passes_the_right_coefficients(medicaid_event_study):
    # A stand-in with the interface of sosek_impact.estimators.event_study results: labelled
    # params/cov with the reference -1 left out, plus a covariate that must be ignored.
    from types import SimpleNamespace

    from sosek_impact.inference.honest_did import honest_did_event_study

    b, V = medicaid_event_study
    names = ["e=-6", "e=-5", "e=-4", "e=-3", "e=-2", "e=0", "e=1", "x"]
    params = pd.Series(np.append(b, 9.9), index=names)
    cov = pd.DataFrame(np.pad(V, ((0, 1), (0, 1))) + np.diag([0] * 7 + [1.0]), index=names, columns=names)
    res_obj = SimpleNamespace(params=params, cov=cov, event_times=[-6, -5, -4, -3, -2, 0, 1], ref=-1)
    via = honest_did_event_study(res_obj, method="smoothness", M=[0.01], refine_breakdown=False)
    direct = honest_did(b, V, num_pre=5, num_post=2, method="smoothness", M=[0.01], refine_breakdown=False)
    pd.testing.assert_frame_equal(via.table, direct.table)
    with pytest.raises(InputError, match="-1"):
        honest_did_event_study(SimpleNamespace(params=params, cov=cov, event_times=[-6, -5], ref=-2))
    with pytest.raises(InputError, match="consecutive"):
        honest_did_event_study(SimpleNamespace(params=params, cov=cov, event_times=[-6, -4, -3, -2, 0, 1], ref=-1))


@pytest.mark.slow
def test_rm_confidence_set_covers_at_a_boundary_point():
    # Truth on the edge of Delta^RM(1): the largest pre-period change is a (= 1, from -1 to 0)
    # and the post-period change equals Mbar * a. 200 seeded draws; the C-LF set must cover
    # tau_1 = 0.5 at least at 0.95 - 3 * sqrt(.95 * .05 / 200) = 0.904.
    rng = np.random.default_rng(5)
    idx = np.arange(3)
    Sig = 0.25 * 0.5 ** np.abs(idx[:, None] - idx[None, :])
    mean = np.array([-1.0, -1.0, 1.0 + 0.5])
    draws = rng.multivariate_normal(mean, Sig, size=200)
    covered = [lo <= 0.5 <= hi for lo, hi in (rm_confidence_set(d, Sig, num_pre=2, num_post=1, Mbar=1.0) for d in draws)]
    assert np.mean(covered) >= 0.904


def test_linear_programming_fallback_agrees_with_vertex_enumeration(medicaid_event_study, monkeypatch):
    # With many post periods the dual vertices are too many to enumerate and linear programmes
    # (HiGHS) take over; both routes must give the same conditional-test confidence set.
    import sosek_impact.inference.honest_arp as arp

    b, V = medicaid_event_study
    b, V = b[3:], V[3:, 3:]  # two leads, two lags: fewer linear programmes
    kw = {"num_pre": 2, "num_post": 2, "Mbar": 1.0, "l_vec": [0.5, 0.5], "hybrid": "none", "grid_points": 21}
    by_vertices = rm_confidence_set(b, V, **kw)
    monkeypatch.setattr(arp, "_dual_vertices", lambda X, sd: None)
    by_lp = rm_confidence_set(b, V, **kw)
    assert by_lp == pytest.approx(by_vertices, abs=1e-6)
