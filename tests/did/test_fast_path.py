"""The fast computations of ``att_gt`` give the numbers of the general ones (to 1e-12).

- Cells: without covariates ``att_gt`` takes the unconditional reduction of
  :mod:`sosek_impact.estimators.did_cells` (cohort sums, no gathers); with ``_FAST_PATH`` off
  every cell runs the general estimator of :mod:`.did_drdid` instead. Both must give the same
  ATT(g,t), influence functions, covariance, standard errors and aggregates, with weights,
  clusters, not-yet-treated controls, the universal base period and all three methods.
- Aggregation: the weight-estimation term is computed as a per-cohort lookup and all outputs by
  one matrix product; here it is checked against R ``did``'s dense formula (an (n x cells)
  ``wif`` matrix, written out below) on a panel with covariates, weights and clusters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sosek_impact.estimators.did as did_module
import sosek_impact.estimators.did_cells as did_cells
from sosek_impact.estimators import att_gt
from sosek_impact.estimators.did_bootstrap import if_se
from sosek_impact.simulate import simulate_staggered_panel

TOL = 1e-12


def _close(a, b, what: str) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, what
    assert np.array_equal(np.isnan(a), np.isnan(b)), f"{what}: missing values differ"
    ok = ~np.isnan(a)
    scale = max(1.0, float(np.max(np.abs(b[ok]), initial=0.0)))
    diff = float(np.max(np.abs(a[ok] - b[ok]), initial=0.0))
    assert diff <= TOL * scale, f"{what}: max abs diff {diff:.3g} > {TOL} x {scale:.3g}"


def _panel(covariates: int = 0, seed: int = 3) -> pd.DataFrame:
    d = simulate_staggered_panel(
        400, 9, cohorts={2003: 60, 2005: 50, 2006: 40, 2008: 40}, effect="heterogeneous", covariates=covariates,
        covariate_trend=0.5, covariate_shift=0.3, seed=seed,
    )
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.5, 2.0, d["unit"].nunique())
    d["w"] = w[d["unit"].to_numpy() - 1]
    d["cl"] = (d["unit"] - 1) // 8
    return d.sample(frac=1.0, random_state=seed)  # unsorted input: the sort path is exercised too


class _Counter:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *a):
        self.calls += 1
        return self.fn(*a)


def _fit_both(monkeypatch, d, **kw):
    counters = {m: _Counter(f) for m, f in did_cells.ESTIMATORS.items()}
    monkeypatch.setattr(did_cells, "ESTIMATORS", counters)
    fast = att_gt(d, y="y", unit="unit", time="time", group="group", **kw)
    fast_calls = sum(c.calls for c in counters.values())
    monkeypatch.setattr(did_module, "_FAST_PATH", False)
    slow = att_gt(d, y="y", unit="unit", time="time", group="group", **kw)
    slow_calls = sum(c.calls for c in counters.values()) - fast_calls
    monkeypatch.setattr(did_module, "_FAST_PATH", True)
    return fast, slow, fast_calls, slow_calls


def _assert_same(fast, slow) -> None:
    for col in ("att", "se", "ci_lower", "ci_upper"):
        _close(fast.table[col], slow.table[col], col)
    _close(fast.influence, slow.influence, "influence")
    _close(fast.vcov, slow.vcov, "vcov")
    assert (fast.pretest.W is None) == (slow.pretest.W is None)
    if fast.pretest.W is not None:
        assert fast.pretest.W == pytest.approx(slow.pretest.W, rel=1e-9)
    for kind in ("simple", "group", "dynamic", "calendar"):
        a, b = fast.aggregate(kind), slow.aggregate(kind)
        _close([a.overall_att, a.overall_se], [b.overall_att, b.overall_se], f"{kind} overall")
        _close(a[["att", "se"]].to_numpy(), b[["att", "se"]].to_numpy(), f"{kind} rows")
        _close(a.overall_influence, b.overall_influence, f"{kind} influence")


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"weights": "w"},
        {"cluster": "cl"},
        {"control": "not_yet"},
        {"base_period": "universal"},
        {"control": "not_yet", "base_period": "universal", "weights": "w", "cluster": "cl", "anticipation": 1},
    ],
    ids=["plain", "weights", "clusters", "not_yet", "universal", "all"],
)
def test_unconditional_fast_path_equals_general_path(monkeypatch, method, options):
    fast, slow, fast_calls, slow_calls = _fit_both(monkeypatch, _panel(), method=method, **options)
    assert fast_calls == 0, "the fast path was not taken"
    assert slow_calls > 0
    _assert_same(fast, slow)


def test_not_yet_without_never_treated_units(monkeypatch):
    d = _panel()
    d = d[d["group"] > 0]
    fast, slow, fast_calls, _ = _fit_both(monkeypatch, d, control="not_yet", weights="w")
    assert fast_calls == 0
    _assert_same(fast, slow)


def test_trimmed_propensity_score_takes_the_general_path(monkeypatch):
    # 2 comparison units against 600 treated: p = 0.9967 >= DRDID's trim level 0.995, so the
    # comparison units are trimmed and the unconditional reduction does not hold
    d = simulate_staggered_panel(602, 5, cohorts={2002: 600}, effect="constant", seed=1)
    with pytest.warns(RuntimeWarning):
        fast, slow, fast_calls, slow_calls = _fit_both(monkeypatch, d, method="dr")
    assert fast_calls == slow_calls == len(fast.table)
    np.testing.assert_array_equal(fast.table["att"].to_numpy(), slow.table["att"].to_numpy())


def test_covariates_take_the_general_path(monkeypatch):
    fast, slow, fast_calls, slow_calls = _fit_both(monkeypatch, _panel(covariates=2), covariates=["x1", "x2"],
                                                   weights="w", cluster="cl")
    assert fast_calls == slow_calls == len(fast.table)
    _assert_same(fast, slow)


# --------------------------------------------------------------------------- aggregation vs dense wif


def _dense_reference(res, kind: str):
    """R ``did::aggte``'s formulas with the dense (n x cells) weight influence function."""
    cells = res._cells
    group, time, att, psi = cells.group, cells.time, cells.att, cells.psi
    glist = np.unique(cells.unit_group[cells.unit_group != 0])
    pg_group = np.array([np.mean(cells.unit_weight * (cells.unit_group == g)) for g in glist])
    pg = pg_group[np.searchsorted(glist, group)]

    def wif(idx, pgv, cg):
        ind = cells.unit_weight[:, None] * (cells.unit_group[:, None] == cg[idx][None, :]) - pgv[idx][None, :]
        tot = pgv[idx].sum()
        return ind / tot - ind.sum(axis=1, keepdims=True) * (pgv[idx] / tot**2)[None, :]

    def combine(a, p, idx, wts, wf):
        inf = p[:, idx] @ wts
        return float(a[idx] @ wts), inf if wf is None else inf + wf @ a[idx]

    post = group <= time
    out = []
    if kind == "simple":
        idx = np.flatnonzero(post)
        return combine(att, psi, idx, pg[idx] / pg[idx].sum(), wif(idx, pg, group)), out
    if kind == "dynamic":
        e_all = time - group
        for e in np.unique(e_all):
            idx = np.flatnonzero(e_all == e)
            out.append(combine(att, psi, idx, pg[idx] / pg[idx].sum(), wif(idx, pg, group)))
        vals = np.array([v for v, _ in out])
        infs = np.column_stack([i for _, i in out])
        epos = np.flatnonzero(np.unique(e_all) >= 0)
        return combine(vals, infs, epos, np.full(len(epos), 1 / len(epos)), None), out
    if kind == "calendar":
        for t in np.unique(time[time >= group.min()]):
            idx = np.flatnonzero((time == t) & post)
            if len(idx):
                out.append(combine(att, psi, idx, pg[idx] / pg[idx].sum(), wif(idx, pg, group)))
        vals = np.array([v for v, _ in out])
        infs = np.column_stack([i for _, i in out])
        return combine(vals, infs, np.arange(len(out)), np.full(len(out), 1 / len(out)), None), out
    for g in glist:  # group
        idx = np.flatnonzero((group == g) & post)
        out.append(combine(att, psi, idx, np.full(len(idx), 1 / len(idx)), None))
    vals = np.array([v for v, _ in out])
    infs = np.column_stack([i for _, i in out])
    all_idx = np.arange(len(glist))
    return combine(vals, infs, all_idx, pg_group / pg_group.sum(), wif(all_idx, pg_group, glist)), out


@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggregation_equals_dense_weight_influence_function(kind):
    d = _panel(covariates=2, seed=5)
    res = att_gt(d, y="y", unit="unit", time="time", group="group", covariates=["x1", "x2"], weights="w",
                 cluster="cl", control="not_yet")
    agg = res.aggregate(kind)
    (overall, overall_inf), rows = _dense_reference(res, kind)
    cl = res._cells.cluster_codes
    _close(agg.overall_influence, overall_inf, "overall influence")
    _close([agg.overall_att, agg.overall_se], [overall, if_se(overall_inf, cl)[0]], "overall")
    if rows:
        _close(agg["att"], [v for v, _ in rows], "rows att")
        _close(agg.influence, np.column_stack([i for _, i in rows]), "rows influence")
