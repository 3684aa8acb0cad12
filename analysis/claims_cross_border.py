"""Claim rules C15 and C22 (seed 002, Haryatie 2015): the Malaysian side of the border.

Each rule reads the results of ``analysis/cross_border.py`` (``reports/results/cross_border.json``,
passed in as a dict) and returns ``{"claim", "label", "evidence", "uncertainty", "why", "sources"}``
with a label among :data:`LABELS`. Every number quoted in ``evidence`` is read from the results (and
only rounded for printing); nothing is recomputed or typed in here. Kept apart from
``analysis/claims.py`` so that the claims module can wire them in.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LABELS", "c15_neighbour_welfare", "c22_kalbar_sarawak_income"]

LABELS = ("supported", "contradicted", "inconclusive", "mixed", "not testable")
SOURCES = ["reports/results/cross_border.json", "data/raw/registry_conversions.csv", "data/raw/mys_hies_districts.csv",
           "data/processed/panel.parquet"]
_HIGHER = ("malaysia higher", "malaysia higher (bound)")
_LOWER = ("kalimantan higher",)


def _out(claim: str, label: str, evidence: str, uncertainty: str, why: str) -> dict[str, Any]:
    assert label in LABELS, label
    return {"claim": claim, "label": label, "evidence": evidence, "uncertainty": uncertainty, "why": why,
            "sources": list(SOURCES)}


def _f(x: float | None, digits: int = 2) -> str:
    return "n.a." if x is None else f"{x:,.{digits}f}"


def _bound_size(res: dict[str, Any]) -> str:
    used = {f.get("id"): f for f in res.get("conversions_used", [])}
    parts = [f"{_f(used[i]['value'], 1)} persons for {state}, {i}, an upper bound on the state's average"
             for state, i in sorted(res.get("household_size_bound", {}).items()) if i in used]
    return "; ".join(parts) or "n.a."


def _uncertainty(res: dict[str, Any]) -> str:
    notes = res.get("notes", {})
    ppp = res.get("ppp", "")
    return " ".join(x for x in (notes.get("concept", ""), notes.get("exchange", ""), ppp[:1].upper() + ppp[1:] + ".",
                                "The lower bound assumes a district's households are no larger than the bound on its "
                                "state's average (a single district can exceed it).",
                                "Survey means, no sampling errors.", notes.get("levels", "")) if x)


def c15_neighbour_welfare(res: dict[str, Any]) -> dict[str, Any]:
    """C15: "the welfare of the neighbouring (Malaysian) border communities is generally better than Kalimantan's".

    Per regency-district pair (2019, US$ per person per month at exchange rates): Malaysian household
    income per person against the regency's consumption expenditure per person. A pair reads
    "Malaysian side higher" when the ratio is at least the spec's margin (from the sourced household
    size, or from the lower bound where it is missing: the bound can only show the Malaysian side
    higher), "Kalimantan higher" at most 1/margin. Label: *not testable* without an evaluable pair;
    *mixed* when pairs point both ways; *inconclusive* when fewer than the spec's share of land-border
    regencies have an evaluable pair, or some pairs fall within the margin; *supported* / *contradicted*
    when every evaluable pair points the same way.
    """
    c = res.get("c15")
    if not c:
        return _out("C15", "not testable", "cross-border results not available", "", "analysis/cross_border.py did not run")
    r = c.get("readings", {})
    n_ev = int(c.get("n_pairs_evaluable", 0))
    higher = sum(int(r.get(k, 0)) for k in _HIGHER)
    lower = sum(int(r.get(k, 0)) for k in _LOWER)
    sourced, bound = c.get("ratio_usd", {}), c.get("ratio_usd_bound", {})
    med, medb = c.get("ratio_usd_median", {}), c.get("ratio_usd_bound_median", {})
    missing = "; ".join(f"{m['bps_code']} | {m['district']}: {m['status_usd'].removeprefix('not comparable: ')}"
                        for m in c.get("not_comparable", []))
    ev = (f"{c['year']}, US$ per person per month at exchange rates, Malaysian district household income per person over "
          f"the Kalimantan regency's consumption expenditure per person: {_f(sourced.get('min'))}-{_f(sourced.get('max'))} "
          f"in the {sourced.get('n', 0)} pair(s) with a sourced household size; at least {_f(bound.get('min'))}-"
          f"{_f(bound.get('max'))} in the {bound.get('n', 0)} pair(s) with the lower bound (household size "
          f"{_bound_size(res)}). Malaysian side higher by at least {_f(c['margin'], 1)}x in {higher} of {n_ev} evaluable "
          f"pair(s) ({int(r.get('malaysia higher (bound)', 0))} of them by the lower bound only), Kalimantan side higher "
          f"in {lower}; {len(c.get('regencies_covered', []))} of "
          f"{c['n_border_regencies']} land-border regencies covered"
          + (f"; with the Malaysian median instead of the mean: {_f(med.get('min'))}-{_f(med.get('max'))} (sourced), at "
             f"least {_f(medb.get('min'))}-{_f(medb.get('max'))} (bound)" if med.get("n") or medb.get("n") else "")
          + (f"; not comparable: {missing}" if missing else "")
          + ". Poverty rates are shown side by side in the results but not compared (households vs persons, different lines).")
    unc = _uncertainty(res)
    if n_ev == 0:
        return _out("C15", "not testable", ev, unc, "no regency-district pair has both sides in comparable units")
    if higher and lower:
        return _out("C15", "mixed", ev, unc, "some pairs show the Malaysian side higher, others the Kalimantan side")
    if float(c.get("regency_share", 0.0)) < float(c.get("min_regency_share", 0.0)):
        return _out("C15", "inconclusive", ev, unc,
                    f"evaluable pairs cover too few land-border regencies (share {_f(c.get('regency_share'))} < "
                    f"{_f(c.get('min_regency_share'))})")
    if higher == n_ev:
        return _out("C15", "supported", ev, unc,
                    "in every evaluable pair the Malaysian side's income per person exceeds the Kalimantan side's expenditure "
                    "per person by more than the margin allowed for income vs expenditure; a level difference, not an effect")
    if lower == n_ev:
        return _out("C15", "contradicted", ev, unc, "in every evaluable pair the Kalimantan side is higher by more than the margin")
    return _out("C15", "inconclusive", ev, unc, "some pairs fall within the margin that the income/expenditure gap could explain")


def c22_kalbar_sarawak_income(res: dict[str, Any]) -> dict[str, Any]:
    """C22: "average income in West Kalimantan vs the Sarawak border area is US$700 : US$4,000" (Bappeda 2007).

    The 2007 levels cannot be checked (no 2007 figure on either side). The rule compares the seed's
    ratio with the one measurable in 2019 in US$ per person at exchange rates: the Sarawak districts
    opposite West Kalimantan against West Kalimantan's border regencies. Label: *inconclusive* when a
    2019 ratio (or its lower bound) exists, saying whether it is of similar size; *not testable* when
    neither exists.
    """
    c = res.get("c22")
    if not c:
        return _out("C22", "not testable", "cross-border results not available", "", "analysis/cross_border.py did not run")
    seed = (f"seed ({c['seed_year']}): US${_f(c['seed_malaysia_usd'], 0)} / US${_f(c['seed_indonesia_usd'], 0)} = "
            f"{_f(c['seed_ratio'])}")
    ratio, bound, k = c.get("ratio_usd"), c.get("ratio_usd_bound"), float(c["similar_factor"])
    sides = (f"{len(c.get('districts', []))} Sarawak districts opposite {len(c.get('regencies', []))} West Kalimantan border "
             f"regencies, unweighted means, {c['year']}")
    unc = _uncertainty(res)
    cannot = ("the 2007 levels themselves cannot be checked: no 2007 figure for either side, and no sourced 2007 ringgit "
              "exchange rate; a 2019 ratio says nothing about 2007")
    missing = "; ".join(c.get("missing", []))
    if ratio is not None:
        similar = 1.0 / k <= ratio / c["seed_ratio"] <= k
        ev = (f"{seed}; {c['year']}: Malaysian income per person US${_f(c['mys_pc_usd_mean'])} / West Kalimantan expenditure "
              f"per person US${_f(c['idn_expenditure_pc_usd_mean'])} per month = {_f(ratio)} ({sides}); "
              + ("of similar size" if similar else "not of similar size") + f" (within a factor {_f(k, 0)})")
        return _out("C22", "inconclusive", ev, unc, cannot)
    if bound is not None:
        ev = (f"{seed}; {c['year']}: no ratio in comparable units ({missing}); with the lower bound on household size the "
              f"ratio is at least {_f(bound)} (Malaysian income per person at least US${_f(c['mys_pc_usd_bound_mean'])} vs "
              f"West Kalimantan expenditure per person US${_f(c['idn_expenditure_pc_usd_mean'])} per month; {sides}); "
              + ("the bound alone exceeds the seed's ratio" if bound > c["seed_ratio"] else
                 "the seed's ratio is consistent with this bound"))
        return _out("C22", "inconclusive", ev, unc, cannot + "; the 2019 ratio is only bounded from below")
    return _out("C22", "not testable", f"{seed}; {c['year']}: no ratio in comparable units ({missing or 'no data'})", unc,
                cannot + "; no comparable 2019 ratio either")


# ---- registration as claims rules (analysis/claims.py) -----------------------------------------


def _as_evidence(out: dict[str, Any]):
    from claims_base import ev

    return ev(out["evidence"], out["uncertainty"], out["label"], out["why"], ["reports/results/cross_border.json", *out.get("sources", [])])


def _register() -> None:
    from claims_base import rule

    def neighbour_welfare(ctx):
        return _as_evidence(c15_neighbour_welfare(ctx["cross_border"]))

    def kalbar_sarawak_income(ctx):
        return _as_evidence(c22_kalbar_sarawak_income(ctx["cross_border"]))

    rule(neighbour_welfare)
    rule(kalbar_sarawak_income)


_register()
