"""Analysis: the two sides of the land border in levels (claims C15, C22; project issue 16 #5).

For each Kalimantan land-border regency, the Sarawak/Sabah districts opposite it (geography pairs),
their HIES household income and poverty by year, and beside them the regency's own per-capita
expenditure and poverty. The only year with both sides is 2019. Figures are compared only through
conversions of ``data/raw/registry_conversions.csv`` (each with its source): Malaysian household
income / the state's household size / the ringgit's exchange rate, against Indonesian per-capita
expenditure / the rupiah's exchange rate. A conversion that is not in the registry leaves the figure
missing ("not comparable: ..."), never filled in; where only the household size is missing, a lower
bound on per-capita income (household income over an upper bound on the state's average household
size, from the ranking of state averages that DOSM published) is reported
separately and labelled as such. These are differences in levels, not effects.

Reads ``analysis/specs/cross_border.toml``; writes ``reports/results/cross_border.json``,
``reports/tables/cross_border.{md,html,tex}`` and ``reports/figures/cross_border.png``.
"""

from __future__ import annotations

from typing import Any

from _common import FIGURES, TABLES, data_path, load_spec, provenance, write_results

SPEC = "analysis/specs/cross_border.toml"
SEP = " — "


# --------------------------------------------------------------------------------------------
# conversions
# --------------------------------------------------------------------------------------------


def factors(conv, spec: dict[str, Any], states: list[str]) -> dict[str, Any]:
    """Every conversion the comparison needs, looked up in the registry (sourced, not found or no row)."""
    from sosek_impact.registry import conversion_value

    c = spec["comparison"]
    year, hy = int(c["year"]), int(c["household_size_year"])
    cur = c["currency"]
    return {
        "fx_myr": conversion_value(conv, "exchange_rate", cur["Malaysia"], year),
        "fx_idr": conversion_value(conv, "exchange_rate", cur["Indonesia"], year),
        "ppp_myr": conversion_value(conv, "ppp_private_consumption", cur["Malaysia"], year),
        "ppp_idr": conversion_value(conv, "ppp_private_consumption", cur["Indonesia"], year),
        "hh": {s: conversion_value(conv, "household_size", s, hy) for s in states},
        "hh_bound": {s: conversion_value(conv, "household_size", c["household_size_bound"][s], hy)
                     for s in states if s in c.get("household_size_bound", {})},
    }


def _div(a, *bs):
    """``a / b1 / b2 ...``, or ``None`` when any input is missing."""
    import math

    if a is None or (isinstance(a, float) and math.isnan(a)):
        return None
    out = float(a)
    for b in bs:
        if b is None or (isinstance(b, float) and math.isnan(b)) or b == 0:
            return None
        out /= float(b)
    return out


def _missing(*lookups: dict[str, Any]) -> list[str]:
    return [f"{f['id'] or f['kind'] + ' ' + f['region']} ({f['status']})" for f in lookups if f["value"] is None]


# --------------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------------


def compare(pairs, hies, panel, fac: dict[str, Any], spec: dict[str, Any]):
    """One row per regency-district pair in the comparison year, every conversion shown or marked missing.

    ``hies`` is the wide HIES table (``load_mys_hies(wide=True)``), ``panel`` the regency panel.
    """
    import pandas as pd

    c = spec["comparison"]
    year = int(c["year"])
    margin = float(spec["verdict"]["margin"])
    h = hies.loc[hies["year"] == year].set_index(["state", "district"])
    p = panel.loc[panel["year"] == year].set_index("bps_code")
    fx_m, fx_i = fac["fx_myr"]["value"], fac["fx_idr"]["value"]
    ppp_m, ppp_i = fac["ppp_myr"]["value"], fac["ppp_idr"]["value"]
    rows = []
    for r in pairs.sort_values(["bps_code", "state", "district"]).itertuples(index=False):
        code = int(r.bps_code)
        key = (r.state, r.district)
        inc = {v: (float(h.at[key, v]) if key in h.index and pd.notna(h.at[key, v]) else None)
               for v in [*c["malaysian_income"], *c["malaysian_poverty"]]}
        hh = fac["hh"][r.state]
        hb = fac["hh_bound"].get(r.state)
        bound = hb["value"] if hb else None
        exp_idr = float(p.at[code, c["indonesian_measure"]]) if code in p.index and pd.notna(p.at[code, c["indonesian_measure"]]) else None
        pov = float(p.at[code, c["indonesian_poverty"]]) if code in p.index and pd.notna(p.at[code, c["indonesian_poverty"]]) else None
        main = inc[c["main_income"]]
        row = {"bps_code": code, "regency": p.at[code, "regency"] if code in p.index else None,
               "state": r.state, "district": r.district, "shared_border_km": float(r.shared_border_km), "year": year,
               **{f"mys_{k}": v for k, v in inc.items()},
               "household_size": hh["value"], "household_size_id": hh["id"], "household_size_status": hh["status"],
               "household_size_bound": bound,
               "idn_expenditure_pc_idr": exp_idr, "idn_poverty_rate": pov}
        for v in c["malaysian_income"]:
            row[f"mys_pc_{v}_rm"] = _div(inc[v], hh["value"])
            row[f"mys_pc_{v}_usd"] = _div(inc[v], hh["value"], fx_m)
            row[f"mys_pc_{v}_usd_bound"] = _div(inc[v], bound, fx_m)
            row[f"mys_pc_{v}_ppp"] = _div(inc[v], hh["value"], ppp_m)
        row["idn_expenditure_pc_usd"] = _div(exp_idr, fx_i)
        row["idn_expenditure_pc_ppp"] = _div(exp_idr, ppp_i)
        usd, usd_b = row[f"mys_pc_{c['main_income']}_usd"], row[f"mys_pc_{c['main_income']}_usd_bound"]
        row["ratio_usd"] = _div(usd, row["idn_expenditure_pc_usd"])
        row["ratio_usd_bound"] = _div(usd_b, row["idn_expenditure_pc_usd"])
        row["ratio_ppp"] = _div(row[f"mys_pc_{c['main_income']}_ppp"], row["idn_expenditure_pc_ppp"])
        # sensitivity: the Malaysian median household (the Indonesian figure is a mean)
        row["ratio_usd_median"] = _div(row["mys_pc_income_median_usd"], row["idn_expenditure_pc_usd"])
        row["ratio_usd_bound_median"] = _div(row["mys_pc_income_median_usd_bound"], row["idn_expenditure_pc_usd"])
        reasons = []
        if main is None:
            reasons.append(f"no HIES {year} value for {r.district}")
        if exp_idr is None:
            reasons.append(f"no {c['indonesian_measure']} {year} for {code}")
        reasons += _missing(fac["fx_myr"], fac["fx_idr"], hh)
        row["status_usd"] = "comparable at exchange rates" if row["ratio_usd"] is not None else "not comparable: " + "; ".join(reasons)
        row["status_ppp"] = ("comparable at PPP" if row["ratio_ppp"] is not None else "not comparable at PPP: "
                             + "; ".join(reasons + _missing(fac["ppp_myr"], fac["ppp_idr"])))
        row["status_bound"] = (f"lower bound (household size of {hb['id']})" if row["ratio_usd_bound"] is not None
                               else "no bound: " + ("; ".join(reasons[:2] + _missing(fac["fx_myr"], fac["fx_idr"], hb))
                                                    if hb else f"no household-size bound for {r.state} in the spec"))
        row["pair_reading"] = pair_reading(row["ratio_usd"], row["ratio_usd_bound"], margin)
        row["poverty_note"] = "not comparable: % of households below Malaysia's lines vs % of persons below Indonesia's"
        rows.append(row)
    return pd.DataFrame(rows)


def pair_reading(ratio: float | None, ratio_bound: float | None, margin: float) -> str:
    """Which side is higher for one pair, from the sourced ratio, else from the lower bound (one direction only).

    The bound divides household income by an upper bound on the state's household size, so it can only
    understate the Malaysian per-capita figure: it can show the Malaysian side higher, never lower.
    """
    if ratio is not None:
        if ratio >= margin:
            return "malaysia higher"
        if ratio <= 1.0 / margin:
            return "kalimantan higher"
        return "within margin"
    if ratio_bound is not None:
        return "malaysia higher (bound)" if ratio_bound >= margin else "within margin (bound)"
    return "not comparable"


def claim_summaries(rows, spec: dict[str, Any], border_codes: list[int]) -> dict[str, Any]:
    """The numbers the claim rules read (C15: every pair; C22: West Kalimantan vs the Sarawak districts)."""
    v = spec["verdict"]
    readings = rows["pair_reading"].value_counts().to_dict()
    ev = rows.loc[rows["pair_reading"] != "not comparable"]
    covered = sorted(set(ev["bps_code"]))
    c15 = {"year": int(spec["comparison"]["year"]), "margin": float(v["margin"]), "n_pairs": int(len(rows)),
           "n_pairs_evaluable": int(len(ev)), "readings": {k: int(n) for k, n in readings.items()},
           "n_border_regencies": len(border_codes), "regencies_covered": covered,
           "regency_share": len(covered) / len(border_codes) if border_codes else 0.0,
           "min_regency_share": float(v["min_regency_share"]),
           "ratio_usd": _range(ev["ratio_usd"]), "ratio_usd_bound": _range(ev["ratio_usd_bound"]),
           "ratio_usd_median": _range(ev["ratio_usd_median"]), "ratio_usd_bound_median": _range(ev["ratio_usd_bound_median"]),
           "not_comparable": rows.loc[rows["pair_reading"] == "not comparable", ["bps_code", "district", "status_usd"]].to_dict(orient="records")}
    c = spec["c22"]
    wk = rows.loc[(rows["bps_code"] // 100 == int(c["indonesian_province"])) & (rows["state"] == c["malaysian_state"])]
    main = spec["comparison"]["main_income"]
    idn = wk.drop_duplicates("bps_code")["idn_expenditure_pc_usd"]
    mys = wk.drop_duplicates("district")
    c22 = {"seed_year": int(c["seed_year"]), "seed_indonesia_usd": float(c["seed_indonesia_usd"]),
           "seed_malaysia_usd": float(c["seed_malaysia_usd"]),
           "seed_ratio": float(c["seed_malaysia_usd"]) / float(c["seed_indonesia_usd"]),
           "similar_factor": float(c["similar_factor"]), "year": int(spec["comparison"]["year"]),
           "regencies": sorted(int(x) for x in wk["bps_code"].unique()), "districts": sorted(mys["district"]),
           "idn_expenditure_pc_usd_mean": _mean(idn), "mys_pc_usd_mean": _mean(mys[f"mys_pc_{main}_usd"]),
           "mys_pc_usd_bound_mean": _mean(mys[f"mys_pc_{main}_usd_bound"])}
    c22["ratio_usd"] = _div(c22["mys_pc_usd_mean"], c22["idn_expenditure_pc_usd_mean"])
    c22["ratio_usd_bound"] = _div(c22["mys_pc_usd_bound_mean"], c22["idn_expenditure_pc_usd_mean"])
    c22["missing"] = sorted(set(s for s in wk["status_usd"] if s.startswith("not comparable")))
    return {"c15": c15, "c22": c22}


def _mean(s) -> float | None:
    """Unweighted mean of the values present, ``None`` if any is missing (a partial mean would mislead)."""
    s = list(s)
    if not s or any(x is None or x != x for x in s):
        return None
    return float(sum(s) / len(s))


def _range(s) -> dict[str, float | None]:
    vals = [float(x) for x in s if x is not None and x == x]
    return {"min": min(vals) if vals else None, "max": max(vals) if vals else None, "n": len(vals)}


def levels_by_year(pairs, hies, panel, spec: dict[str, Any]):
    """Every HIES year of the districts opposite each regency, with the regency's own poverty rate (no ratios)."""
    c = spec["comparison"]
    d = pairs[["bps_code", "state", "district"]].merge(hies, on=["state", "district"], how="left")
    p = panel[["bps_code", "year", c["indonesian_poverty"], c["indonesian_measure"]]]
    d = d.merge(p, on=["bps_code", "year"], how="left")
    cols = ["bps_code", "state", "district", "year", *c["malaysian_income"], *c["malaysian_poverty"],
            c["indonesian_poverty"], c["indonesian_measure"]]
    out = d[cols].sort_values(["bps_code", "district", "year"]).reset_index(drop=True)
    return out.astype(object).where(out.notna(), None)


# --------------------------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------------------------


def table(rows, spec: dict[str, Any]):
    """The report table: one row per pair, US$ per person per month, every status beside its number."""
    main = spec["comparison"]["main_income"]
    t = rows[["bps_code", "regency", "district", f"mys_{main}", "household_size", f"mys_pc_{main}_usd",
              f"mys_pc_{main}_usd_bound", "idn_expenditure_pc_usd", "ratio_usd", "ratio_usd_bound", "pair_reading",
              "status_usd"]].copy()
    t.columns = ["code", "regency", "district opposite", "HH income RM/month (mean)", "HH size",
                 "MYS income US$/person", "MYS income US$/person, bound", "IDN expenditure US$/person",
                 "ratio", "ratio, bound", "reading", "status"]
    return t


def levels_table(levels, panel, spec: dict[str, Any]):
    """Every HIES year of each district opposite a regency, beside the regency's own poverty rate: no ratios."""
    c = spec["comparison"]
    names = panel.drop_duplicates("bps_code").set_index("bps_code")["regency"]
    t = levels.copy()
    t.insert(1, "regency", t["bps_code"].map(names))
    t = t.drop(columns=["state"])
    t.columns = ["code", "regency", "district opposite", "year", "HH income RM/month, mean", "HH income RM/month, median",
                 "% households below MYS absolute line", "% households below MYS relative line",
                 "% persons below IDN line (regency)", f"regency {c['indonesian_measure']}, IDR/person/month"]
    return t


def figure(rows, spec: dict[str, Any], path) -> None:
    """Per pair: Malaysian per-capita income (sourced or bound) and the regency's per-capita expenditure, US$."""
    import matplotlib.pyplot as plt
    import numpy as np

    from sosek_impact.report.figures import add_source_note, save_figure, use_study_style

    use_study_style()
    main = spec["comparison"]["main_income"]
    labels = [f"{r.regency} | {r.district}" for r in rows.itertuples()]
    y = np.arange(len(rows))
    sourced = rows[f"mys_pc_{main}_usd"].astype(float)
    bound = rows[f"mys_pc_{main}_usd_bound"].astype(float)
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.8))
    ax.barh(y + 0.2, np.where(sourced.notna(), sourced, np.nan), height=0.38, color="C0",
            label="Malaysian district: household income / state household size")
    hb = rows["household_size_bound"].dropna()
    ax.barh(y + 0.2, np.where(sourced.isna(), bound, np.nan), height=0.38, color="none", edgecolor="C0", hatch="//",
            label=("Malaysian district: lower bound, household income / "
                   f"{hb.iloc[0] if len(hb) else 'n.a.'} (upper bound on the state's average household size)"))
    ax.barh(y - 0.2, rows["idn_expenditure_pc_usd"].astype(float), height=0.38, color="crimson",
            label="Kalimantan regency: consumption expenditure per person")
    for i in np.flatnonzero(sourced.isna() & bound.isna()):
        ax.text(1, y[i] + 0.2, "no Malaysian figure: " + rows["status_usd"].iloc[i].removeprefix("not comparable: "),
                va="center", fontsize=6.5, color="0.3")
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(f"US$ per person per month, {spec['comparison']['year']}, at exchange rates\n"
                  "(income on the Malaysian side, consumption expenditure on the Indonesian side: levels, not effects)",
                  fontsize=9)
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    add_source_note(fig, "Source: DOSM HIES 2019 (mys_hies_districts.csv); INDO-DAPOER 2019 expenditure (panel); "
                         "conversions in data/raw/registry_conversions.csv.")
    save_figure(fig, path)
    plt.close(fig)


def main() -> None:
    import pandas as pd

    from sosek_impact.geography import load_cross_border_pairs, load_mys_hies
    from sosek_impact.registry import border_regencies, conversions
    from sosek_impact.report.tables import write_table

    spec = load_spec(SPEC)
    d = spec["data"]
    raw = data_path(d["pairs"]).parent
    pairs = load_cross_border_pairs(root=raw)
    hies = load_mys_hies(wide=True, root=raw)
    panel = pd.read_parquet(data_path(d["panel"]))
    conv = conversions(min_confidence=d["min_confidence"], root=raw)
    fac = factors(conv, spec, sorted(pairs["state"].unique()))
    rows = compare(pairs, hies, panel, fac, spec)
    year = int(spec["comparison"]["year"])
    border = sorted(int(c) for c in border_regencies(year)["bps_code"])
    summaries = claim_summaries(rows, spec, border)
    TABLES.mkdir(parents=True, exist_ok=True)
    write_table(table(rows, spec), TABLES / "cross_border", digits=2,
                caption=f"Across the land border, {year}: Malaysian household income per person vs Kalimantan "
                        "consumption expenditure per person, US$ per month at exchange rates. Levels, not effects; "
                        "income is not expenditure.")
    levels = levels_by_year(pairs, hies, panel, spec)
    write_table(levels_table(levels, panel, spec), TABLES / "cross_border_levels", digits=1,
                caption="Both sides of the land border by year, in their own units: HIES household income and poverty of "
                        "the districts opposite each regency (DOSM), the regency's poverty rate P0 and per-capita "
                        "expenditure (BPS, INDO-DAPOER). Poverty is not comparable across the border (households vs "
                        "persons, different lines); empty cells are years without a value.")
    figure(rows, spec, FIGURES / "cross_border.png")
    lookups = [fac["fx_myr"], fac["fx_idr"], fac["ppp_myr"], fac["ppp_idr"], *fac["hh"].values(), *fac["hh_bound"].values()]
    payload = {
        "provenance": provenance(spec, d["pairs"], d["hies"], d["panel"], d["conversions"]),
        "notes": spec["notes"], "year": year, "border_regencies": border,
        "conversions_used": [f for f in lookups if f["value"] is not None],
        "conversions_missing": [f for f in lookups if f["value"] is None],
        "household_size_bound": {s: f["id"] for s, f in fac["hh_bound"].items()},
        "ppp": ("comparable at PPP" if rows["ratio_ppp"].notna().any() else
                "not comparable at PPP: " + "; ".join(_missing(fac["ppp_myr"], fac["ppp_idr"]))),
        "pairs": rows.astype(object).where(rows.notna(), None).to_dict(orient="records"),
        "levels_by_year": levels.to_dict(orient="records"),
        **summaries,
    }
    write_results("cross_border", payload)


if __name__ == "__main__":
    main()
