"""The factored influence functions of the unconditional cells (:mod:`.did_factored`).

Checked against the general path (``_FAST_PATH`` off: every cell through the DRDID estimator with
its dense influence function) on panels whose outcome levels and unit effects dwarf the
within-unit changes, where an uncentred Gram matrix would lose the standard errors to
cancellation; and the factored products against the dense matrix they stand for.
"""

from __future__ import annotations

import numpy as np
import pytest

from sosek_impact.estimators import did as did_module
from sosek_impact.estimators import att_gt
from sosek_impact.estimators.did_factored import FactoredInfluence

from .conftest import simulate


@pytest.mark.parametrize("control", ["never", "not_yet"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_large_levels_same_se_as_general_path(monkeypatch, control, base_period):
    d = simulate(seed=5, n_units=300, n_periods=6)
    rng = np.random.default_rng(1)
    d["y"] = d["y"] + 1e6 + 1e4 * rng.normal(size=300)[d["unit"].to_numpy()]  # rupiah-like levels
    d["w"] = rng.uniform(0.5, 2.0, 300)[d["unit"].to_numpy()]
    kw = dict(y="y", unit="unit", time="time", group="group", control=control, base_period=base_period, weights="w")
    fast = att_gt(d, **kw)
    assert isinstance(fast._cells.influence, FactoredInfluence)
    monkeypatch.setattr(did_module, "_FAST_PATH", False)
    slow = att_gt(d, **kw)
    ok = ~np.isnan(slow.table["se"].to_numpy())
    np.testing.assert_allclose(fast.table["att"], slow.table["att"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(fast.table["se"].to_numpy()[ok], slow.table["se"].to_numpy()[ok], rtol=1e-9)
    for kind in ("simple", "dynamic"):
        a, b = fast.aggregate(kind), slow.aggregate(kind)
        assert a.std_error == pytest.approx(b.std_error, rel=1e-9)


def test_products_equal_dense_matrix(sim_panel):
    res = att_gt(sim_panel, y="y", unit="unit", time="time", group="group", control="not_yet")
    fac = res._cells.influence
    assert isinstance(fac, FactoredInfluence)
    dense = fac.dense()
    wm = np.random.default_rng(2).normal(size=(dense.shape[1], 3))
    np.testing.assert_allclose(fac @ wm, dense @ wm, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fac.gram(), dense.T @ dense, rtol=1e-10, atol=1e-6)
    # the dense matrix is built once and then kept
    assert res.influence is res.influence
