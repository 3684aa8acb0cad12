"""The tie rule of the few-treated randomisation test (``few_treated_ties``, issue 15).

Published 2-decimal data make exact ties common: the enumerated copy of the observed assignment,
two units with the same change, a repeated random draw. In floating point the copy of the observed
statistic comes out a few units of rounding away from the observed one (another summation path); the
old code then gave it a half-line ending at the point estimate instead of the whole line, on the side
the rounding happened to fall, so input noise of 1e-10 moved an interval end to another breakpoint
(0.1 and more on the panels below). Checked here against direct counting (no tolerance beyond 1e-12)
and against the printed values of perturbed panels.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sosek_impact.inference import few_treated_inference
from sosek_impact.inference.few_treated_ri import critical_value, invert_permutation_test, permutation_pvalue
from sosek_impact.inference.few_treated_ties import TIE_RTOL, cluster_sorted, snap_magnitudes, tie_scale
from sosek_impact.report.tables import round_for_print
from sosek_impact.simulate import simulate_staggered_panel


def test_snap_magnitudes_makes_near_ties_exact_and_keeps_the_rest():
    v = np.array([1.0, -1.0 * (1 + 1e-12), 1.0 + 1e-13, 0.5, 2e-13, -3.0, 1.0 + 1e-6])
    s = snap_magnitudes(v, 1e-10 * tie_scale(v))
    assert s[0] == -s[1] == s[2] == 1.0  # one magnitude, signs kept
    assert s[4] == 0.0  # within the tolerance of 0
    np.testing.assert_array_equal(s[[3, 5, 6]], v[[3, 5, 6]])  # distinct values untouched


def test_cluster_sorted_chains_steps_within_the_tolerance():
    assert cluster_sorted(np.array([0.0, 0.5, 1.0, 3.0, 3.4]), 0.6).tolist() == [0, 0, 0, 1, 1]
    assert cluster_sorted(np.zeros(0), 1.0).size == 0


def _brute_p(tau: float, a0: float, c0: float, a: np.ndarray, c: np.ndarray, exact: bool) -> float:
    """Direct counting, ties (to 1e-12) counted as extreme."""
    hits = int((np.abs(a - tau * c) >= abs(a0 - tau * c0) - 1e-12).sum())
    return hits / a.size if exact else (1 + hits) / (1 + a.size)


def _tied_statistics(seed: int) -> tuple[float, float, np.ndarray, np.ndarray]:
    """2-decimal statistics with exact ties: the observed pair copied, negated and repeated, a shared exposure."""
    rng = np.random.default_rng(seed)
    n = 60
    a = np.round(rng.normal(size=n), 2)
    c = rng.choice([-0.75, -0.5, -0.25, 0.25, 0.5, 0.75], size=n)
    a0, c0 = a[0], 1.0
    a[0], c[0] = a0, c0  # the observed assignment, enumerated
    a[1], c[1] = -a0, -c0  # its mirror (same |statistic| at every tau)
    a[2:5], c[2:5] = a[5], c[5]  # a repeated draw
    a[6], c[6] = a[8], -c0  # as exposed as the observed one (|c| tied), either sign
    a[7], c[7] = a[9], c0
    a[10], c[10] = 2 * a0, 2 * c0  # zero at the same tau as the observed statistic (a double root)
    return float(a0), float(c0), a, c


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("exact", [True, False])
def test_p_value_and_interval_are_direct_counting_under_exact_ties(seed, exact):
    a0, c0, a, c = _tied_statistics(seed)
    alpha = 0.1
    lo, hi, _ = invert_permutation_test(a0, c0, a, c, alpha, exact)
    assert np.isfinite([lo, hi]).all()
    eps = 1e-7 * (hi - lo)
    # the ends are where the p-value of direct counting crosses alpha; nothing beyond them is accepted
    assert _brute_p(lo, a0, c0, a, c, exact) > alpha >= _brute_p(lo - eps, a0, c0, a, c, exact)
    assert _brute_p(hi, a0, c0, a, c, exact) > alpha >= _brute_p(hi + eps, a0, c0, a, c, exact)
    grid = np.linspace(lo - 20, hi + 20, 2001)
    outside = grid[(grid < lo - eps) | (grid > hi + eps)]
    assert max(_brute_p(t, a0, c0, a, c, exact) for t in outside) <= alpha
    # the p-value is the same step function, ties included (tau = 0 and the ends are ties of some draw)
    for tau in [0.0, lo, hi, a0 / c0, *np.linspace(lo, hi, 7)]:
        assert permutation_pvalue(tau, a0, c0, a, c, exact)[0] == pytest.approx(_brute_p(tau, a0, c0, a, c, exact), abs=1e-15)


@pytest.mark.parametrize("seed", range(6))
def test_rounding_of_the_observed_copy_does_not_move_the_interval(seed):
    """The enumerated copy of the observed statistic, 1e-12 off either way, is a tie at every tau."""
    a0, c0, a, c = _tied_statistics(seed)
    out = []
    for delta in (0.0, 1e-12, -1e-12):
        b = a.copy()
        b[0] = a0 * (1 + delta)
        out.append((*invert_permutation_test(a0, c0, b, c, 0.1, True)[:2], permutation_pvalue(0.0, a0, c0, b, c, True)[0]))
    np.testing.assert_allclose(out[1], out[0], rtol=1e-9)
    np.testing.assert_allclose(out[2], out[0], rtol=1e-9)


def test_critical_value_treats_near_ties_as_one_value():
    t = np.array([3.0, -3.0 * (1 + 1e-12), 2.0, 1.0, 0.5] * 4)
    assert critical_value(t, 0.1, exact=False) == 3.0
    assert TIE_RTOL == 1e-8


def _printed(r) -> list[str]:
    return [f"{round_for_print(v, 3):.3f}" for v in (r.p_value[0], r.conf_low[0], r.conf_high[0])]


@pytest.mark.parametrize("seed", [7, 8])
@pytest.mark.parametrize("scale", ["pre_period", "none"])
def test_printed_p_and_interval_survive_relative_input_noise(seed, scale):
    """2-decimal outcomes at a level of 1e4 (GRDP per capita in thousand IDR), one treated unit, all 51
    assignments enumerated: noise of 1e-10 relative leaves p and both ends unchanged at 3 decimals
    (the old tie handling moved an end by 0.1-0.6 on every one of these panels)."""
    d = simulate_staggered_panel(n_units=51, n_periods=18, cohorts={2010: 1}, effect="constant", seed=seed)
    d["y"] = np.round(d["y"] + 1e4, 2)
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = few_treated_inference(d, "y", "unit", "time", "group", scale=scale)
        assert base.exact
        for _ in range(3):
            e = d.copy()
            e["y"] = e["y"] * (1 + 1e-10 * rng.standard_normal(len(e)))
            other = few_treated_inference(e, "y", "unit", "time", "group", scale=scale)
            assert _printed(other) == _printed(base)
            assert other.p_value[0] == base.p_value[0]


def test_outcome_without_noise_reports_an_interval_that_holds_the_estimate():
    """Every statistic is ``-0.02 c`` up to rounding: all roots are one tied cluster around the estimate,
    and the interval reported is that cluster, the estimate inside (not the cluster's smallest root)."""
    rng = np.random.default_rng(3)
    c = rng.choice([-1.0, -0.5, 0.5, 1.5], size=199)
    a = -0.02 * c * (1 + 1e-14 * rng.standard_normal(c.size))
    c0 = 2.0
    a0 = -0.02 * c0 * (1 + 1e-14)
    lo, hi, _ = invert_permutation_test(a0, c0, a, c, 0.05, exact=False)
    assert lo <= a0 / c0 <= hi
    assert hi - lo < 1e-12
    assert permutation_pvalue(a0 / c0, a0, c0, a, c, exact=False)[0] == 1.0
