"""Analysis 5: claims of the five seed papers against our data and estimates.

``analysis/claims.csv`` holds each claim, where it is made, what would test it and the name of a
rule. The rules live in four modules by the kind of evidence they use: ``claims_levels`` (levels
in the built panels), ``claims_growth`` (growth and shares), ``claims_effects`` (the estimates of analyses 1, 2 and 6) and
``claims_records`` (dates, counts and lengths the seeds state). Each returns our figure, its
uncertainty and a verdict derived by the rules of ``claims_base`` (labels and definitions in
:data:`claims_base.DEFINITIONS`). Claims whose rule is ``none`` keep the reason written in the CSV
and are always "not testable".
"""

from __future__ import annotations

from typing import Any

import claims_cross_border  # noqa: F401  (registers its rules)
import claims_effects  # noqa: F401
import claims_growth  # noqa: F401
import claims_levels  # noqa: F401
import claims_records  # noqa: F401
from _common import ROOT, TABLES, load_spec, read_panel, read_results, write_results
from claims_base import DEFINITIONS, NOT_TESTABLE, RULES, VERDICTS, ev

SPEC = "analysis/specs/claims.toml"
RESULT_NAMES = ("border_posts", "forums", "gaps", "engel", "welfare", "welfare_first_wave", "cross_border", "spillovers", "night_lights")


def legend() -> list[str]:
    """The claims table's legend: one line per verdict label with its definition."""
    return [f"{label}: {DEFINITIONS[label]}." for label in VERDICTS]


def evaluate(row: dict[str, str], ctx: dict[str, Any]) -> dict[str, Any]:
    """Evidence of one claims.csv row by its rule (a rule that fails leaves the claim not testable, with the reason)."""
    if row["rule"] == "none":
        if row["verdict"] not in ("", NOT_TESTABLE, "not testable here"):
            raise ValueError(f"analysis/claims.csv row {row['claim_id']}: a claim without a rule can only be 'not testable', "
                             f"not {row['verdict']!r}")
        return ev("", "", NOT_TESTABLE, row["why"], [])
    if row["rule"] not in RULES:
        raise KeyError(f"analysis/claims.csv row {row['claim_id']}: unknown rule {row['rule']!r}")
    try:
        return RULES[row["rule"]](ctx)
    except Exception as exc:  # recorded in the table, never a silent pass
        return ev("", "", NOT_TESTABLE, f"evidence could not be computed: {type(exc).__name__}: {exc}", [])


def main(spec_path: str = SPEC) -> None:
    """Fill in the evidence of every claim and write the claims table and results."""
    import pandas as pd

    from sosek_impact.report.tables import write_table

    spec = load_spec(spec_path)
    claims = pd.read_csv(ROOT / spec["data"]["claims"], dtype=str, keep_default_na=False)
    panel = read_panel(spec["data"]["panel"])
    ctx = {
        "rules": spec["rules"],
        "registry_events": pd.read_csv(ROOT / spec["data"]["registry_events"], dtype=str, keep_default_na=False),
        "panel": panel,
        "province_panel": read_panel(spec["data"]["province_panel"]),
        "names": dict(zip(panel["bps_code"].astype(int), panel["regency"].astype(str))),
        **{name: read_results(name) for name in RESULT_NAMES},
    }
    out = []
    for row in claims.to_dict(orient="records"):
        e = evaluate(row, ctx)
        out.append({**{k: row[k] for k in ("claim_id", "seed_file", "author_title", "claim", "page_section", "what_would_test_it", "rule")},
                    "our_evidence": e["evidence"], "uncertainty": e["uncertainty"], "verdict": e["verdict"],
                    "why": e["why"], "sources": e["sources"]})
    table = pd.DataFrame(out)
    write_table(table.drop(columns=["sources", "rule", "author_title"]), TABLES / "claims",
                caption="Claims of the seed papers vs the evidence in our data", legend=legend())
    counts = {label: int((table["verdict"] == label).sum()) for label in VERDICTS}
    write_results("claims", {"claims": out, "counts": counts, "definitions": DEFINITIONS,
                             "provenance": {"spec": spec["_path"], "script": spec["analysis"]["script"],
                                            "data": [spec["data"]["claims"], spec["data"]["panel"], spec["data"]["province_panel"],
                                                     spec["data"]["registry_events"], *spec["data"]["results"]]}})


if __name__ == "__main__":
    main()
