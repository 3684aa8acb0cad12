"""Claims (analysis 5): rules read their thresholds from the spec, verdicts follow the evidence."""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def _claims() -> dict[str, dict]:
    result = json.loads((ROOT / "reports" / "results" / "claims.json").read_text(encoding="utf-8"))
    return {c["claim_id"]: c for c in result["claims"]}


def _ctx(**rules) -> dict:
    spec = tomllib.loads((ROOT / "analysis" / "specs" / "claims.toml").read_text(encoding="utf-8"))
    events = pd.read_csv(ROOT / spec["data"]["registry_events"], dtype=str, keep_default_na=False)
    return {"rules": {**spec["rules"], **rules}, "registry_events": events}


def test_rule_thresholds_live_in_the_spec():
    spec = tomllib.loads((ROOT / "analysis" / "specs" / "claims.toml").read_text(encoding="utf-8"))
    for key in ("expenditure_tolerance_pct", "food_share_tolerance_pp", "alpha", "exact_prefit_rmspe", "start_year_tolerance",
                "behind_margin_log_grdp_pc", "behind_margin_hdi"):
        assert key in spec["rules"], key


def test_forum_start_year_rule_compares_years():
    import claims

    strict = claims.forum_duration(_ctx(start_year_tolerance=0))
    loose = claims.forum_duration(_ctx(start_year_tolerance=1))
    assert strict["verdict"] == "not supported" and "1984" in strict["evidence"] and "1985" in strict["evidence"]
    assert loose["verdict"] == "supported"


def test_forum_claims_use_the_informative_p_value():
    forums = json.loads((ROOT / "reports" / "results" / "forums.json").read_text(encoding="utf-8"))
    p_post = forums["results"]["61"]["sc"]["p_value_post"]
    by_id = _claims()
    for cid in ("C06", "C09"):
        assert "post-period-RMSPE rank p" in by_id[cid]["our_evidence"], cid
        assert f"= {p_post:.2f}" in by_id[cid]["our_evidence"], cid


def test_seed_002_is_cited_by_author_and_new_claims_exist():
    with open(ROOT / "analysis" / "claims.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["seed_file"].startswith("002_"):
            assert "Nira Haryatie" in r["author_title"] and "Jurnal Proyeksi" in r["author_title"], r["claim_id"]
    ids = {r["claim_id"] for r in rows}
    assert {f"C{i:02d}" for i in range(1, 30)} <= ids
    by_id = _claims()
    assert "Java" in by_id["C14"]["why"] and "behind Java on HDI" in by_id["C14"]["why"]
    assert "rest of Indonesia" in by_id["C19"]["our_evidence"]
