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


def test_forum_start_year_rule_compares_years_and_is_consistency_only():
    import claims_records

    strict = claims_records.forum_duration(_ctx(start_year_tolerance=0))
    loose = claims_records.forum_duration(_ctx(start_year_tolerance=1))
    assert "1984" in strict["evidence"] and "1985" in strict["evidence"]
    assert "conflicts with" in strict["why"] and "agrees with" in loose["why"]
    # the registry's forum rows come from the seeds: agreement is consistency, never "supported"
    assert strict["verdict"] == loose["verdict"] == "consistency only"
    assert claims_records._registry_verdict(True, ["https://setkab.go.id/x"]) == "supported"
    assert claims_records._registry_verdict(False, ["https://setkab.go.id/x"]) == "contradicted"
    assert claims_records._registry_verdict(True, ["seeds/001_a.txt; seeds/003_b.txt"]) == "consistency only"
    assert claims_records._registry_verdict(True, ["seeds/001_a.txt; https://kompas.com/y"]) == "supported"


def test_verdict_rules():
    from claims_base import combine, interval_verdict, within_tolerance

    assert interval_verdict(0.1, 0.3) == "supported" and interval_verdict(-0.3, -0.1) == "contradicted"
    assert interval_verdict(-0.3, -0.1, sign=-1) == "supported" and interval_verdict(-0.1, 0.2) == "inconclusive"
    assert interval_verdict(None, None) == "inconclusive" and interval_verdict(float("-inf"), float("inf")) == "inconclusive"
    assert combine(["inconclusive", "inconclusive"]) == "inconclusive"
    assert combine(["supported", "contradicted"]) == "mixed" and combine(["supported", "inconclusive"]) == "mixed"
    assert combine(["not testable"]) == "not testable" and combine(["not testable", "contradicted"]) == "contradicted"
    assert within_tolerance(1.9, 2.0) == "supported" and within_tolerance(-2.1, 2.0) == "contradicted"


def test_verdicts_are_derived_not_typed_and_defined():
    """claims.csv carries no verdict for a claim with a rule; every label used is defined in the table's legend."""
    from claims_base import DEFINITIONS, VERDICTS

    with open(ROOT / "analysis" / "claims.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        assert (r["verdict"] == "") if r["rule"] != "none" else (r["verdict"] == "not testable"), r["claim_id"]
    assert set(DEFINITIONS) == set(VERDICTS)
    legend = (ROOT / "reports" / "tables" / "claims.md").read_text(encoding="utf-8")
    for label in VERDICTS:
        assert f"- {label}: " in legend, label
    by_id = _claims()
    assert {c["verdict"] for c in by_id.values()} <= set(VERDICTS)
    # the referee's cases: evidence against, inconclusive (with an MDE), mixed, consistency only
    for cid in ("C02", "C04", "C19", "C21", "C29"):
        assert by_id[cid]["verdict"] == "contradicted", cid
    for cid in ("C06", "C09", "C10", "C11", "C12", "C23"):
        assert by_id[cid]["verdict"] == "inconclusive" and "MDE" in by_id[cid]["why"], cid
    for cid in ("C13", "C14"):
        assert by_id[cid]["verdict"] == "mixed", cid
    for cid in ("C08", "C26"):
        assert by_id[cid]["verdict"] == "consistency only", cid
    assert by_id["C05"]["verdict"] == "not testable" and "price index" in by_id["C05"]["why"]


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
