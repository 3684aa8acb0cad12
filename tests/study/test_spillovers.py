"""The spillover analysis (analysis/spillovers.py): rings, roles, and recovery of known direct and ring effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spillovers

SPEC = {"inference": {"few_treated": {"n_draws": 499, "alpha": 0.05}, "mde": {"alpha": 0.05, "power": 0.8}},
        "seeds": {"randomization": 7}}


def _edges(pairs):
    return pd.DataFrame(pairs, columns=["bps_code", "neighbour_code"])


def test_exposure_starts_with_the_earliest_treated_neighbour():
    # 1 (treated 2010) - 2 - 3 (treated 2008); 4 isolated; 5 touches 2 only
    edges = _edges([(1, 2), (2, 3), (5, 2)])
    first = {1: 2010, 3: 2008}
    out = spillovers.exposure_start(edges, first, {1, 2, 3, 4, 5})
    assert out == {2: 2008, 4: 0, 5: 0}  # 5 touches only an untreated unit: ring 2 is not exposure


def test_exposure_is_symmetric_in_the_edge_list():
    one_way = spillovers.exposure_start(_edges([(2, 1)]), {1: 2012}, {1, 2})
    assert one_way == {2: 2012}


def test_band_exposure_uses_only_open_posts_within_the_band():
    km = {2: {1: 90.0, 3: 40.0}, 4: {1: 151.0}}
    out = spillovers.band_exposure(km, {1: 2010, 3: 0}, {1, 2, 4}, 150.0)
    assert out == {2: 2010, 4: 0}  # unit 3's post is not open; 151 km is outside the band


def _panel(n_far=30, effect=1.0, spill=0.5, seed=0):
    """Units 1-3 treated (2010, 2012, 2012), units 11-16 their neighbours, the rest far controls."""
    rng = np.random.default_rng(seed)
    years = np.arange(2000, 2020)
    first = {1: 2010, 2: 2012, 3: 2012}
    nbr = {11: 1, 12: 1, 13: 2, 14: 2, 15: 3, 16: 3}
    units = [1, 2, 3, *nbr, *range(100, 100 + n_far)]
    rows = []
    for u in units:
        a = rng.normal()
        for t in years:
            y = a + 0.05 * (t - 2000) + rng.normal(scale=0.1)
            if u in first and t >= first[u]:
                y += effect
            if u in nbr and t >= first[nbr[u]]:
                y += spill
            rows.append((u, t, y))
    d = pd.DataFrame(rows, columns=["bps_code", "year", "y"])
    edges = _edges([(k, v) for k, v in nbr.items()])
    return d, first, edges


def test_roles_split_treated_exposed_and_far():
    d, first, edges = _panel()
    exposure = spillovers.exposure_start(edges, first, set(d["bps_code"]))
    frames, roles = spillovers.role_frames(d, first, exposure)
    assert roles["treated"] == [1, 2, 3]
    assert roles["exposed"] == [11, 12, 13, 14, 15, 16]
    assert set(frames["direct"]["bps_code"]) == {1, 2, 3, *range(100, 130)}
    assert set(frames["spillover"]["bps_code"]) == {11, 12, 13, 14, 15, 16, *range(100, 130)}
    g = frames["spillover"].groupby("bps_code")["group"].first()
    assert g.loc[[11, 12, 13, 14, 15, 16]].tolist() == [2010, 2010, 2012, 2012, 2012, 2012]
    assert (g.loc[100:] == 0).all()
    prim = frames["primary"].groupby("bps_code")["group"].first()
    assert (prim.loc[[11, 12, 13, 14, 15, 16]] == 0).all() and prim.loc[1] == 2010


def test_direct_and_spillover_effects_are_recovered_and_the_primary_is_biased():
    """Known truth: direct 1.0, ring 0.5. Keeping the neighbours among the controls biases the primary down."""
    d, first, edges = _panel(n_far=40, seed=3)
    exposure = spillovers.exposure_start(edges, first, set(d["bps_code"]))
    frames, _ = spillovers.role_frames(d, first, exposure)
    failures: list = []
    direct = spillovers.effect(frames["direct"], SPEC, "direct", failures)
    spill = spillovers.effect(frames["spillover"], SPEC, "spillover", failures)
    primary = spillovers.effect(frames["primary"], SPEC, "primary", failures)
    assert not failures
    for r, truth in ((direct, 1.0), (spill, 0.5)):
        ri, ct = r["randomization"], r["conley_taber"]
        assert abs(ri["estimate"] - truth) < 0.15
        assert ri["conf_low"] < truth < ri["conf_high"]
        assert ct["conf_low"] < truth < ct["conf_high"]
        assert ri["p_value"] < 0.05
    # 6 of 46 controls carry +0.5 after treatment: the primary estimate is about 1 - 0.5 * 6/46 * share
    assert primary["randomization"]["estimate"] < direct["randomization"]["estimate"]


def test_no_exposed_unit_is_recorded_not_dropped():
    d, first, _ = _panel()
    frames, roles = spillovers.role_frames(d, first, {u: 0 for u in set(d["bps_code"]) - set(first)})
    failures: list = []
    assert spillovers.effect(frames["spillover"], SPEC, "spillover", failures) is None
    assert failures and failures[0]["what"] == "spillover"


@pytest.mark.parametrize("role", ["direct", "spillover"])
def test_table_rows_carry_both_intervals(role):
    d, first, edges = _panel(seed=5)
    exposure = spillovers.exposure_start(edges, first, set(d["bps_code"]))
    frames, _ = spillovers.role_frames(d, first, exposure)
    r = spillovers.effect(frames[role], SPEC, role, [])
    rows = spillovers.table_rows({"adjacency": {role: r}})
    assert len(rows) == 1
    row = rows[0]
    assert row["RI interval low"] < row["estimate"] < row["RI interval high"]
    assert row["CT interval low"] < row["CT interval high"]
