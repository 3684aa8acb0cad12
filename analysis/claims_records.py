"""Claim rules on records (C08, C26-C29): dates, counts and lengths stated by the seeds.

The registry's forum rows are compiled from the seed papers themselves, so a seed that agrees
with them is consistent with the other seeds, not confirmed: such verdicts are
``consistency only`` (:data:`claims_base.CONSISTENCY`).
"""

from __future__ import annotations

from sosek_impact.report.tables import round_for_print as rp

from claims_base import (
    CONSISTENCY,
    CONTRADICTED,
    NOT_TESTABLE,
    SUPPORTED,
    Evidence,
    cfg,
    ev,
    pd_num,
    registry_forum,
    rule,
    seed_sourced,
)


def _registry_verdict(agrees: bool, sources: list[str]) -> str:
    """A seed's record against registry rows: consistency only if every row comes from a seed."""
    if all(seed_sourced(s) for s in sources):
        return CONSISTENCY
    return SUPPORTED if agrees else CONTRADICTED


@rule
def forum_duration(ctx) -> Evidence:
    # Seed 003, Pembahasan (line 94): "KK Sosek Malindo sendiri sudah berjalan selama 34 tahun yang dimulai pada tahun 1984";
    # the same seed's abstract (line 16) says the regional forum "terbentuk pada tahun 1985" and line 54 dates
    # SK Gubernur No. 408 Tahun 1985 to 21 Desember 1985. Its latest reference was accessed on 02 September 2018.
    seed_start, seed_years, seed_accessed = 1984, 34, 2018
    reg = registry_forum(ctx, "Kalimantan Barat")
    if reg is None:
        return ev("no forum year in the registry", "", NOT_TESTABLE, "the registry has no Kalimantan Barat-Sarawak forum row",
                  ["data/raw/registry_events.csv"])
    tol = cfg(ctx)["start_year_tolerance"]
    diff = seed_start - reg["year"]
    ok = abs(diff) <= tol
    verdict = _registry_verdict(ok, [reg["source"]])
    text = (f"seed: \"sudah berjalan selama {seed_years} tahun yang dimulai pada tahun {seed_start}\" ({seed_start}+{seed_years} = "
            f"{seed_start + seed_years}, the year of its latest reference access, {seed_accessed}); registry {reg['event_id']}: "
            f"regional forum Kalimantan Barat-Sarawak from {reg['year']} ({reg['source']}), i.e. {seed_accessed - reg['year']} years by "
            f"{seed_accessed}: the start years differ by {diff:+d} year(s); the seed's own abstract (line 16) gives 1985")
    why = (f"{verdict}: the seed's start year {seed_start} {'agrees with' if ok else 'conflicts with'} the registry's {reg['year']} "
           f"(difference {diff:+d}, tolerance {tol} years)"
           + ("" if ok else f"; the seed contradicts itself (1985 in the abstract and the SK of 21 Dec 1985); counted from {reg['year']} "
                            f"the forum had run {seed_accessed - reg['year']} years in {seed_accessed}, not {seed_years}")
           + "; the registry row is itself compiled from a seed paper, so this is a consistency check, not independent evidence")
    return ev(text, "year precision only; the paper's writing year is inferred from its last access date", verdict, why,
              ["data/raw/registry_events.csv"])


def _forum_start(ctx, province: str, seed_year: int, seed_file: str) -> Evidence:
    reg = registry_forum(ctx, province)
    if reg is None:
        return ev("no registry row", "", NOT_TESTABLE, f"the registry has no {province} forum row", ["data/raw/registry_events.csv"])
    tol = cfg(ctx)["start_year_tolerance"]
    events = ctx["registry_events"]
    others = events.loc[events["name"].str.contains(province, regex=False) & events["name"].str.contains("Sosek Malindo", regex=False)
                        & events["date"].astype(str).str[:4].astype(int).eq(seed_year)
                        & ~events["source"].str.contains(seed_file, regex=False)]
    corro = "; ".join(f"{r.event_id} {r.date} ({r.source})" for r in others.itertuples())
    diff = seed_year - reg["year"]
    ok = abs(diff) <= tol
    verdict = _registry_verdict(ok, [reg["source"], *others["source"]])
    text = (f"seed: {seed_year}; registry {reg['event_id']}: {reg['year']} (source {reg['source']}); other registry rows for the same year "
            f"not taken from this seed: {corro or 'none'}")
    if not ok:
        why = f"the seed's year differs from the registry's by {diff:+d} (tolerance {tol})"
    elif corro:
        why = (f"the registry's {reg['year']} agrees and another row gives the same year ({corro}); every one of these rows comes from a "
               "seed paper, not an official record")
    else:
        why = (f"the registry's {reg['year']} agrees, but its only source is this seed ({seed_file}): no independent record of the start "
               "year is bundled")
    return ev(text, "year precision", verdict, f"{verdict}: {why}", ["data/raw/registry_events.csv"])


@rule
def forum_start_kalbar(ctx) -> Evidence:
    # Seed 001, Pendahuluan (lines 112-113): "Kerjasama Sosek Malindo pertama kali dimulai pada tahun 1985 di perbatasan Kalbar-Serawak".
    return _forum_start(ctx, "Kalimantan Barat", 1985, "001_da676618ea1bb90c.txt")


@rule
def forum_start_kaltim(ctx) -> Evidence:
    # Seed 001, Pendahuluan (lines 113-114): "Kemudian tahun 1995 di perbatasan Kaltim-Sabah" (also lines 399-405).
    return _forum_start(ctx, "Kalimantan Timur", 1995, "001_da676618ea1bb90c.txt")


@rule
def kalbar_crossing_count(ctx) -> Evidence:
    # Seed 003, Pendahuluan (line 48): "Terdapat 13 Pos Lintas Batas (PLB) disepanjang perbatasan darat Kalimantan Barat".
    seed_n = 13
    events = ctx["registry_events"]
    posts = events.loc[(events["kind"] == "border_post") & (pd_num(events["bps_code"]) // 100 == 61)]
    locs = sorted(set(posts["location"]))
    n = len(locs)
    return ev(f"registry: {n} national border posts (PLBN, opened, building or planned) listed in West Kalimantan ({'; '.join(locs)}); "
              f"the seed counts {seed_n} PLB of all types",
              "", SUPPORTED if n == seed_n else NOT_TESTABLE,
              (f"the registry lists only the national posts (PLBN Terpadu, {n}), not the smaller traditional crossings (PLB), so the seed's "
               f"count of {seed_n} cannot be checked" if n != seed_n else "counts agree"),
              ["data/raw/registry_events.csv"])


@rule
def border_length_consistency(ctx) -> Evidence:
    # Seed 001, Kondisi Umum (lines 311-322, citing Koespramoedyo et al. 2003): total "lebih kurang 1.200 km"; "70,58 persen berada di
    # wilayah Provinsi Kalimantan Barat atau sepanjang lebih kurang 847,3 km"; Kalimantan Timur "lebih kurang sekitar 850 km".
    total, west, west_pct, east = 1200.0, 847.3, 70.58, 850.0
    tol = cfg(ctx)["length_sum_tolerance_pct"]
    share = 100 * west / total
    s = west + east
    off = 100 * (s / total - 1)
    ok = abs(off) <= tol and abs(share - west_pct) <= tol
    text = (f"the seed's own figures: 847.3 / 1,200 = {rp(share, 2):.2f}% (stated 70.58%), but 847.3 + 850 = {rp(s, 1):,.1f} km, {rp(off, 0):+.0f}% over the "
            f"stated 1,200 km total; 847.3 / (847.3 + 850) = {rp(100 * west / s, 1):.1f}%; no border-length data in the bundled sources")
    return ev(text, "arithmetic on the seed's figures", NOT_TESTABLE if ok else CONTRADICTED,
              (f"not testable: the parts add up to the total within {tol:g}%, and we hold no length data to check them" if ok else
               f"contradicted: the stated figures cannot all hold: the two provincial lengths exceed the stated total by {rp(off, 0):.0f}% "
               f"(tolerance {tol:g}%); which figure is wrong cannot be told from our data (the regency list itself is checked in C16)"),
              ["../shared/seeds/001_da676618ea1bb90c.txt"])
