"""Every number the effect claims quote is the number in the results JSON it came from.

The claims table is rendered from ``reports/results/claims.json``; for the claims whose evidence is
the estimates of analyses 1, 2 and 6 (the rules of ``analysis/claims_effects.py``, and C13 from the
gaps), each decimal number in the evidence, uncertainty and reason is parsed and traced to a value
of the results files the claim names as sources (as printed, or times 100 for shares and
percentage points), to a threshold of the claims specification, or to the one derived figure the
rules compute, the normal-theory MDE ``(z_0.975 + z_0.8) se`` of a stored standard error.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"(?<![\w.])[+\-\u2212]?\d+\.\d+(?![\w.])")


def _values(obj, key=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _values(v, k)
    elif isinstance(obj, list):
        # rows (lists of records) are searched; lists of numbers (placebo distributions, paths) are not:
        # among thousands of draws any printed number would find a match
        for v in obj:
            if isinstance(v, dict | list):
                yield from _values(v, key)
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        yield key, float(obj)


def candidates(sources: list[str]) -> list[float]:
    """Values a quoted number may come from: the results files named, the claims spec's thresholds, derived MDEs."""
    import claims_base

    out = []
    for s in sources:
        if s.startswith("reports/results/") and s.endswith(".json"):
            for key, v in _values(json.loads((ROOT / s).read_text(encoding="utf-8"))):
                out += [v, 100 * v]
                if key == "se":
                    out.append(claims_base.mde_normal(v))
    spec = tomllib.loads((ROOT / "analysis" / "specs" / "claims.toml").read_text(encoding="utf-8"))
    out += [float(v) for v in spec["rules"].values() if isinstance(v, int | float)]
    return out


def untraced(text: str, values: list[float]) -> list[str]:
    """Decimal numbers in ``text`` that no value rounds to at the printed number of decimals."""
    bad = []
    for m in NUMBER.finditer(text):
        s = m.group().replace("\u2212", "-")
        d = len(s.split(".")[1])
        x = float(s)
        if not any(abs(round(v, d) - x) < 0.5 * 10 ** -d + 1e-12 for v in values):
            bad.append(s)
    return bad


def _traced_claims():
    import claims  # noqa: F401  (registers the rules)
    import claims_effects

    effect_rules = {name for name, fn in vars(claims_effects).items() if callable(fn) and getattr(fn, "__module__", "") == "claims_effects"}
    result = json.loads((ROOT / "reports" / "results" / "claims.json").read_text(encoding="utf-8"))
    return [c for c in result["claims"] if c["rule"] in effect_rules or c["claim_id"] == "C13"]


def test_every_number_of_the_effect_claims_traces_to_its_results_json():
    traced = _traced_claims()
    assert {c["claim_id"] for c in traced} >= {"C06", "C07", "C09", "C10", "C11", "C12", "C13"}
    problems = {}
    for c in traced:
        text = " ".join((c["our_evidence"], c["uncertainty"], c["why"]))
        assert NUMBER.search(text), c["claim_id"]  # a rule that quotes nothing would pass vacuously
        bad = untraced(text, candidates(c["sources"]))
        if bad:
            problems[c["claim_id"]] = bad
    assert problems == {}


def test_donor_count_quoted_is_the_forum_results_count():
    forums = json.loads((ROOT / "reports" / "results" / "forums.json").read_text(encoding="utf-8"))
    by_id = {c["claim_id"]: c for c in json.loads((ROOT / "reports" / "results" / "claims.json").read_text(encoding="utf-8"))["claims"]}
    n = len(forums["donors"])
    for cid in ("C06", "C09"):
        quoted = [int(x) for x in re.findall(r"(\d+) donor provinces", by_id[cid]["uncertainty"])]
        assert quoted == [n], (cid, quoted, n)


def test_tracer_catches_a_stale_number():
    """The check itself: a number that is not in the results (a stale or hand-typed one) is reported."""
    values = [0.19734, -0.3031, 0.40]
    assert untraced("SDID +0.197 [-0.303, +0.696], p = 0.40", values) == ["+0.696"]
    assert untraced("gap 19.73 pp", [100 * v for v in values]) == []  # shares quoted in percent
