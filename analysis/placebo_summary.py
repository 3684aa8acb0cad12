"""Summaries of the placebo study: rates per spec, the recommendation, the table and the JSON payload.

Everything here works on plain dictionaries, so the recommendation logic can be checked on
constructed rates (``tests/study/test_placebo.py``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MODES", "MODE_LABELS", "payload", "recommendation", "round_sig", "summarise", "table_frame"]

#: Draw modes, in order (``restricted``: smallest-third adopters, re-assignment restricted to them).
MODES = ("random", "smallest_third", "matched", "restricted")
MODE_LABELS = {
    "random": "random among all untreated",
    "smallest_third": "random among the smallest third by population",
    "matched": "matched by population (nearest 3)",
    "restricted": "smallest third; RI re-assigns among the smallest third only",
}
_METHOD = {"randomization": "randomisation inference", "conley_taber": "Conley-Taber"}


def round_sig(x: Any, digits: int = 6) -> Any:
    """``x`` rounded to ``digits`` significant digits (non-floats unchanged)."""
    if isinstance(x, float) and x == x and x not in (float("inf"), float("-inf")):
        return float(f"{x:.{digits}g}")
    return x


def summarise(result, info: dict, *, enumerated: bool, planned: int) -> dict[str, Any]:
    """One draw mode's result as a dict: design facts and one row per spec.

    Each row's ``rate`` is ``rejections / n`` (``n``: draws with an interval; a rejection is an
    interval excluding 0), with its Monte Carlo standard error ``sqrt(r (1 - r) / n)`` and a 95 %
    Clopper--Pearson interval (from ``PlaceboStudyResult.tidy``).
    """
    tidy = result.tidy().set_index("term")
    rows = []
    for name in result.methods:
        d = result.draws[result.draws["method"] == name]
        ok = d[d["reject"].notna()]
        k, n = int(ok["reject"].sum()), int(len(ok))
        t = tidy.loc[name]
        si = info[name]
        rows.append({
            "spec": name, "estimator": si.estimator, "method": si.method, "scale": si.scale,
            "restricted": si.restricted, "draws": int(len(d)), "n": n, "rejections": k,
            "rate": round_sig(k / n) if n else None,
            "mc_se": round_sig(float(t["std_error"])), "cp_low": round_sig(float(t["conf_low"])),
            "cp_high": round_sig(float(t["conf_high"])), "binomial_p_size_is_alpha": round_sig(float(t["p_value"])),
            "rate_p_value": round_sig(float(t["rejection_rate_p"])),
            "mean_length": round_sig(float(t["mean_length"])), "share_infinite": round_sig(float(t["share_infinite"])),
            "mean_estimate": round_sig(float(t["mean_estimate"])), "sd_estimate": round_sig(float(t["sd_estimate"])),
            "failures": int(t["failures"]),
        })
    s = result.settings
    notes = list(result.notes)
    if enumerated:
        notes.append("one fake adopter: every candidate design enumerated once, so the rates have no simulation "
                     "error on this panel; mc_se and the Clopper-Pearson interval read the count as a sample of "
                     f"{result.n_draws} designs")
    elif result.n_draws < planned:
        notes.append(f"{result.n_draws} draws, fewer than the {planned} planned")
    if not enumerated and result.n_draws < 475:
        notes.append(f"{result.n_draws} draws (runtime budget): Monte Carlo SE of a rate near 0.05 is "
                     f"{(0.05 * 0.95 / result.n_draws) ** 0.5:.3f}, above the 0.01 target")
    return {"draws": int(result.n_draws), "distinct_designs": int(s["n_distinct_designs"]), "enumerated": enumerated,
            "n_eligible": int(s["n_eligible"]), "cohorts": {str(k): v for k, v in result.cohorts.items()},
            "seed": int(s["seed"]), "notes": notes, "specs": rows}


def _verdict_ri(row: dict, restricted: dict | None, limit: float) -> str:
    if row["rate"] is not None and row["rate"] <= limit:
        return "not needed: the default holds its level"
    if restricted is None or restricted["rate"] is None:
        return "not checked"
    if restricted["share_infinite"] == 1.0:
        return ("not possible: re-assignment among the smallest third leaves too few assignments to reach the level "
                "(every interval is the whole line)")
    if restricted["rate"] <= limit:
        return f"needed: eligible=smallest third brings the rate to {restricted['rate']:.4f}"
    return f"does not fix it: with eligible=smallest third the rate is still {restricted['rate']:.4f}"


def _conclusive(row: dict, holds: bool, limit: float, alpha: float) -> bool:
    """Whether the count settles the verdict: the Clopper--Pearson interval lies below ``limit`` (holds)
    or above ``alpha`` (does not)."""
    if row["rate"] is None:
        return False
    return row["cp_high"] <= limit if holds else row["cp_low"] > alpha


def recommendation(designs: dict[str, Any], *, default_scale: str, limit: float, alpha: float = 0.05) -> dict[str, Any]:
    """Per design: does the default scale hold its level under the small-regency draw, and is restriction needed?

    Parameters
    ----------
    designs
        ``{design: {"runs": {mode: {"specs": [row, ...]}}}}`` as :func:`summarise` makes them
        (a row needs ``spec, estimator, method, scale, restricted, rate, n, cp_low, cp_high, share_infinite``).
    default_scale
        The library default (``"pre_period"``).
    limit
        Largest rejection rate that still "holds the level" (0.075 at alpha 0.05).
    alpha
        Level of the tests; a verdict is ``conclusive`` when the rate's 95 % Clopper--Pearson
        interval lies below ``limit`` (holds) or above ``alpha`` (over-rejects).
    """
    out = {}
    for did, d in designs.items():
        runs = d["runs"]
        small = [r for r in runs["smallest_third"]["specs"] if r["scale"] == default_scale and not r["restricted"]]
        restricted = {r["estimator"]: r for r in runs.get("restricted", {"specs": []})["specs"]
                      if r["scale"] == default_scale}
        per_spec = {}
        for r in small:
            holds = r["rate"] is not None and r["rate"] <= limit
            entry = {"rate": r["rate"], "n": r["n"], "cp_low": r["cp_low"], "cp_high": r["cp_high"], "holds_level": holds,
                     "conclusive": _conclusive(r, holds, limit, alpha)}
            if r["method"] == "randomization":
                rr = restricted.get(r["estimator"])
                entry["restriction"] = _verdict_ri(r, rr, limit)
                if rr is not None:
                    entry["restricted_rate"], entry["restricted_share_infinite"] = rr["rate"], rr["share_infinite"]
            else:
                entry["restriction"] = ("not needed: the default holds its level" if holds else
                                        "not available: Conley-Taber has no re-assignment to restrict "
                                        "(few_treated_inference refuses eligible/strata for it)")
            per_spec[r["spec"]] = entry
        above = {m: [f"{r['spec']} ({r['rejections']}/{r['n']})" for r in runs[m]["specs"]
                     if r["scale"] == default_scale and not r["restricted"] and not (r["rate"] is not None and r["rate"] <= limit)]
                 for m in runs if m != "restricted"}
        by_draw = {m: not v for m, v in above.items()}
        holds_all = all(v["holds_level"] for v in per_spec.values())
        needed = any(v["restriction"].startswith("needed") for v in per_spec.values())
        if holds_all:
            text = (f"scale={default_scale} holds its level under the small-regency draw for every estimator x "
                    "inference method; no restriction of re-assignment is needed.")
        else:
            bad = [k for k, v in per_spec.items() if not v["holds_level"]]
            text = (f"scale={default_scale} rejects more often than {limit:g} under the small-regency draw for: "
                    f"{'; '.join(bad)}. "
                    + ("Restricting re-assignment to the smallest third fixes randomisation inference." if needed else ""))
        text = text.rstrip()
        for m, v in above.items():
            if m != "smallest_third" and v:
                text += (f" Under the {MODE_LABELS[m]} draw ({runs[m]['distinct_designs']} distinct designs) the default "
                         f"exceeds {limit:g} for: {'; '.join(v)}.")
        vague = [k for k, v in per_spec.items() if not v["conclusive"]]
        if vague:
            n_min = min(v["n"] for v in per_spec.values())
            text += (f" Inconclusive with {n_min} designs (the 95 % Clopper-Pearson interval of the rate contains both "
                     f"{alpha:g} and {limit:g}) for: {'; '.join(vague)}.")
        out[did] = {"default_scale": default_scale, "limit": limit,
                    "default_holds_level_smallest_third": holds_all, "restriction_needed": needed,
                    "default_holds_level_by_draw": by_draw, "specs": per_spec, "verdict": text.strip()}
    return out


def table_frame(designs: dict[str, Any]):
    """One row per design x draw mode x spec (rates as exact counts)."""
    import pandas as pd

    rows = []
    for did, d in designs.items():
        for mode, run in d["runs"].items():
            n_d = f"{run['draws']} ({run['distinct_designs']} distinct{', all' if run['enumerated'] else ''})"
            for r in run["specs"]:
                rate = "n/a" if r["rate"] is None else f"{r['rate']:.4f}"
                rows.append({
                    "design": did, "fake adopters": MODE_LABELS[mode], "designs drawn": n_d,
                    "estimator": {"cs": "CS", "imputation": "imputation"}.get(r["estimator"], r["estimator"]),
                    "inference": _METHOD[r["method"]] + (" (restricted)" if r["restricted"] else ""),
                    "scale": r["scale"], "rejected": f"{r['rejections']}/{r['n']}", "rate": rate,
                    "MC SE": "n/a" if r["mc_se"] is None else f"{r['mc_se']:.4f}",
                    "95% CP": "n/a" if r["cp_low"] is None else f"[{r['cp_low']:.3f}, {r['cp_high']:.3f}]",
                    "mean length": r["mean_length"], "share infinite": r["share_infinite"],
                })
    return pd.DataFrame(rows)


def payload(conf: dict[str, Any], designs: dict[str, Any], rec: dict[str, Any], names: dict[int, str],
            prov: dict[str, Any]) -> dict[str, Any]:
    """The JSON of ``reports/results/placebo.json`` (no runtimes: a rerun is byte-identical)."""
    used = {int(u) for d in designs.values() for u in list(d["treated"]) + d["smallest_third"]}
    return {
        "provenance": prov,
        "settings": {"alpha": conf["specs"]["alpha"], "level_limit": conf["specs"]["level_limit"],
                     "estimators": conf["specs"]["estimators"], "methods": conf["specs"]["methods"],
                     "scales": conf["specs"]["scales"], "n_draws_per_fit": conf["specs"]["n_draws_per_fit"],
                     "matched_n_nearest": conf["specs"]["matched_n_nearest"],
                     "size": {"column": conf["data"]["size_column"], "years": conf["data"]["size_years"],
                              "statistic": "mean over the observed years (2018 and 2020-2024 missing in the panel; "
                                           "2019 from another compilation, left out)"},
                     "small_share": conf["data"]["small_share"], "seed": conf["seeds"]["placebo"],
                     "draw_modes": MODE_LABELS,
                     "rejection": "the interval at level 1 - alpha excludes 0 (rate_p_value: p-value <= alpha)"},
        "designs": designs,
        "recommendation": rec,
        "names": {str(u): names.get(u, "") for u in sorted(used)},
        "tables": {"placebo": "reports/tables/placebo.md"},
    }
