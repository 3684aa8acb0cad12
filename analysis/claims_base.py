"""The verdict vocabulary of analysis 5 and the one rule set every claim rule uses.

A claim's verdict is never typed by hand: a rule (``claims_levels``, ``claims_effects``,
``claims_records``) computes the evidence and then calls one of the functions below, which turn
intervals, tolerances and sources into a label of :data:`VERDICTS`. The labels and their
definitions (:data:`DEFINITIONS`) are printed in the report and in the claims table's legend.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from _common import welch_gap

SUPPORTED, CONTRADICTED, INCONCLUSIVE, MIXED, NOT_TESTABLE, CONSISTENCY = (
    "supported", "contradicted", "inconclusive", "mixed", "not testable", "consistency only")
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, MIXED, NOT_TESTABLE, CONSISTENCY)

DEFINITIONS = {
    SUPPORTED: "the evidence agrees with the claim: a level within the stated tolerance of the seed's figure, or an effect "
               "whose valid 95 % interval (few-treated where there are few treated units) excludes zero in the claimed direction",
    CONTRADICTED: "the evidence is against the claim: a level outside the tolerance, an interval that excludes zero in the "
                  "opposite direction, or figures of the seed that cannot all hold",
    INCONCLUSIVE: "the test could not tell: the valid interval contains zero; the minimum detectable effect (MDE: the effect "
                  "that a 5 % test would detect with 80 % power) says how large an effect could have been seen, so a smaller "
                  "one is not ruled out. An interval that is the whole line (too few assignments) is 'not informative'",
    MIXED: "the claim's parts (or its comparisons) get different verdicts: some agree with it, others do not",
    NOT_TESTABLE: "the bundled data hold nothing that could test the claim (the reason is given)",
    CONSISTENCY: "the only evidence is the seed papers' own statements (the registry rows are compiled from the seeds): "
                 "agreement is consistency between seeds, not independent confirmation",
}

ALPHA, POWER = 0.05, 0.8


class Evidence(dict):
    """``evidence, uncertainty, verdict, why, sources`` of one claim."""


def ev(evidence: str, uncertainty: str, verdict: str, why: str, sources: list[str]) -> Evidence:
    """One claim's evidence; ``verdict`` must be one of :data:`VERDICTS`."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; expected one of {VERDICTS}")
    return Evidence(evidence=evidence, uncertainty=uncertainty, verdict=verdict, why=why, sources=sources)


RULES: dict[str, Callable[[dict[str, Any]], Evidence]] = {}


def rule(fn: Callable[[dict[str, Any]], Evidence]) -> Callable[[dict[str, Any]], Evidence]:
    """Register a claim rule under its function name (the ``rule`` column of claims.csv)."""
    RULES[fn.__name__] = fn
    return fn


def cfg(ctx: dict[str, Any]) -> dict[str, Any]:
    """The ``[rules]`` table of the claims specification (thresholds and periods)."""
    return ctx["rules"]


# ------------------------------------------------------------------ the rules that make a label


def within_tolerance(diff: float, tolerance: float) -> str:
    """A seed's figure against ours: supported within ``tolerance``, contradicted outside it."""
    return SUPPORTED if abs(diff) <= tolerance else CONTRADICTED


def interval_verdict(low: float | None, high: float | None, sign: int = 1) -> str:
    """A directional claim (``sign`` +1: a rise, -1: a fall) against a valid 95 % interval.

    Supported if the interval excludes zero in the claimed direction, contradicted if it excludes
    zero in the other, inconclusive otherwise (also when an end is missing or infinite).
    """
    if not informative(low, high):
        return INCONCLUSIVE
    lo, hi = (low, high) if sign > 0 else (-high, -low)
    if lo > 0:
        return SUPPORTED
    if hi < 0:
        return CONTRADICTED
    return INCONCLUSIVE


def informative(low: Any, high: Any) -> bool:
    """Whether an interval has two finite ends (an interval that is the whole line says nothing)."""
    return all(isinstance(x, int | float) and math.isfinite(x) for x in (low, high))


def combine(labels: Iterable[str]) -> str:
    """One verdict from the verdicts of a claim's parts: their common label, else ``mixed``.

    Parts that are not testable are left out; if nothing is left the claim is not testable.
    """
    got = [x for x in labels if x != NOT_TESTABLE]
    if not got:
        return NOT_TESTABLE
    return got[0] if len(set(got)) == 1 else MIXED


def mde_normal(se: float | None, alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable effect of a two-sided normal test with standard error ``se``: ``(z_{1-a/2} + z_power) se``."""
    from scipy import stats

    if se is None or not math.isfinite(se):
        return math.nan
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)


def mde_text(mde: Any, unit: str, nd: int = 2) -> str:
    """The MDE sentence of an inconclusive verdict (missing or infinite MDE said in words)."""
    if not isinstance(mde, int | float) or not math.isfinite(mde):
        return "the test could not reject at any effect size (no finite minimum detectable effect)"
    return f"effects smaller than about {mde:.{nd}f} {unit} could not have been detected (MDE, 5 % test, 80 % power)"


def interval_text(low: Any, high: Any, nd: int = 3, n: int | None = None) -> str:
    """``[low, high]`` with signs, or 'not informative (only N assignments)' for the whole line."""
    if not informative(low, high):
        return f"not informative (only {n} assignments)" if n else "not informative"
    return f"[{low:+.{nd}f}, {high:+.{nd}f}]"


def welch(a, b, level: float) -> tuple[float, float, float, float]:
    """Mean of ``a`` minus mean of ``b`` with its Welch t interval and SE: (diff, low, high, se)."""
    w = welch_gap(a, b, level)
    return float(w["gap"]), float(w["conf_low"]), float(w["conf_high"]), float(w["se"])


def pd_num(s):
    """``s`` as numbers (unparseable -> NaN)."""
    import pandas as pd

    return pd.to_numeric(s, errors="coerce")


def registry_forum(ctx: dict[str, Any], province: str) -> dict[str, Any] | None:
    """The registry row (data/raw/registry_events.csv) of the regional forum of ``province``."""
    events = ctx["registry_events"]
    rows = events.loc[(events["kind"] == "forum") & events["name"].str.contains(f"{province}\u2013", regex=False)]
    if rows.empty:
        return None
    r = rows.iloc[0].to_dict()
    r["year"] = int(str(r["date"])[:4])
    return r


def seed_sourced(source: str) -> bool:
    """Whether every source of a registry row (``;``-separated) is one of the seed papers, not an official record."""
    parts = [x.strip() for x in str(source).split(";") if x.strip()]
    return bool(parts) and all(x.startswith(("seeds/", "../shared/seeds/")) for x in parts)
