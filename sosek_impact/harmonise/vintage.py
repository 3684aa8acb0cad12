"""Map a regency panel to the boundaries of a chosen year, and flag back-cast values.

Only the splits the registry records are known: provinces 61, 64, 65 (West, East and North
Kalimantan), 1999–2013. Mapping a panel that holds regencies of other provinces to a year
before 2014 raises :class:`~sosek_impact.harmonise.crosswalk.VintageCoverageError` unless
the caller explicitly keeps those regencies as they are (``outside="keep"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DuplicateKeyError, SchemaError
from .crosswalk import COVERED_PROVINCES, STABLE_FROM_YEAR, VintageCoverageError, ancestor, creation_years, split_crosswalk

DEFAULT_RATIOS: dict[str, tuple[str, str, float]] = {"grdp_pc": ("grdp", "population", 1e6)}
"""GRDP per capita (thousand IDR) = GRDP (billion IDR) / population (persons) × 1e6."""
DEFAULT_RATES: dict[str, str] = {"poverty_rate": "population"}


def to_vintage(
    panel: pd.DataFrame,
    vintage_year: int,
    *,
    unit: str = "bps_code",
    time: str = "year",
    additive: Sequence[str] = ("grdp", "population"),
    ratios: Mapping[str, tuple[str, str, float]] | None = None,
    rates: Mapping[str, str] | None = None,
    boundaries: str = "fixed",
    outside: str = "raise",
    allow_unverified: bool = False,
    crosswalk: pd.DataFrame | None = None,
    raw: str | Path | None = None,
) -> pd.DataFrame:
    """Aggregate a regency panel (today's codes) to the boundaries of ``vintage_year``.

    Regencies created after ``vintage_year`` are merged into the regency they were split
    from, recursively (for 1998: Bulungan = Bulungan + Malinau + Nunukan + Tana Tidung).

    Parameters
    ----------
    panel
        One row per (``unit``, ``time``); units are BPS codes of today's vintage.
    vintage_year
        Year whose boundaries the output uses.
    additive
        Variables summed over the merged regencies (GRDP in billion IDR, population in persons).
    ratios
        ``{name: (numerator, denominator, factor)}``: recomputed from the summed parts as
        ``factor * numerator / denominator`` for merged cells. Default
        :data:`DEFAULT_RATIOS` (GRDP per capita, thousand IDR: factor 1e6), used only for
        the ratios whose columns are present.
    rates
        ``{name: weight}``: averaged with the weight (a summed variable, e.g. poverty rate
        weighted by population). Default :data:`DEFAULT_RATES` (when the columns exist).
    boundaries
        How the input panel draws regencies before they split. ``"fixed"`` (default): every
        row describes today's area in every year (sources that back-cast, such as QuaRCS),
        so a merged cell needs all of today's components. ``"contemporaneous"``: a child has
        no row before its split and its parent's value covers it then, so a merged cell needs
        only the components that existed in that year.
    outside
        What to do with regencies outside provinces 61, 64, 65 when ``vintage_year`` is before
        2014: ``"raise"`` (default) or ``"keep"`` them unchanged (their splits are unknown).
    allow_unverified
        The registry keeps splits it could not verify (``confidence == "unverified"``, e.g.
        Kota Singkawang from Bengkayang, 2001) so that they can be checked, never used
        silently: a mapping that needs one raises unless this is ``True``.
    crosswalk
        Split table; default :func:`~sosek_impact.harmonise.crosswalk.split_crosswalk`.

    Returns
    -------
    pandas.DataFrame
        One row per (vintage regency, time): ``unit``, ``time``, the variables, ``n_units``
        (number of today's regencies merged) and ``components`` (their codes, ``;``-joined).
        A merged cell with a missing component (row absent or value missing) is missing:
        partial sums are never presented as totals. Unmerged cells keep their values.

    Raises
    ------
    VintageCoverageError
        ``vintage_year`` < 2014 and the panel holds regencies whose splits are not recorded.
    DuplicateKeyError
        Two rows for one (unit, time).
    """
    if boundaries not in ("fixed", "contemporaneous"):
        raise ValueError("boundaries must be 'fixed' or 'contemporaneous'")
    if outside not in ("raise", "keep"):
        raise ValueError("outside must be 'raise' or 'keep'")
    cw = split_crosswalk(raw) if crosswalk is None else crosswalk
    ratios = {k: v for k, v in DEFAULT_RATIOS.items() if k in panel.columns} if ratios is None else dict(ratios)
    rates = {k: v for k, v in DEFAULT_RATES.items() if k in panel.columns} if rates is None else dict(rates)
    for name, (num, den, _factor) in ratios.items():
        for col in (num, den):
            if col not in additive:
                raise SchemaError(f"ratio {name!r} needs {col!r} among the additive variables", column=col)
    for name, weight in rates.items():
        if weight not in additive:
            raise SchemaError(f"rate {name!r} needs its weight {weight!r} among the additive variables", column=weight)
    needed = [unit, time, *additive, *ratios, *rates]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise SchemaError(f"panel lacks columns {missing}", column=missing[0])
    dup = panel.duplicated([unit, time], keep=False)
    if dup.any():
        first = panel[dup].iloc[0]
        raise DuplicateKeyError("two rows for one regency and period", row=str(first.name), column=unit, value=(first[unit], first[time]))

    df = panel[needed].copy()
    df[unit] = df[unit].astype("int64")
    codes = sorted(df[unit].unique())
    if vintage_year < STABLE_FROM_YEAR:
        uncovered = [c for c in codes if c // 100 not in COVERED_PROVINCES]
        if uncovered and outside == "raise":
            raise VintageCoverageError(
                f"boundaries of {vintage_year} need regency splits outside provinces 61, 64, 65, which the registry "
                f"does not record ({len(uncovered)} regencies, e.g. {uncovered[:5]}); restrict the panel to "
                "provinces 61, 64 and 65 (West, East and North Kalimantan) or pass outside='keep'",
                column=unit, value=uncovered[:5],
            )
    if not allow_unverified and "confidence" in cw.columns:
        weak = cw[(cw["confidence"] == "unverified") & (cw["effective_year"] > vintage_year)]
        used = weak[weak["child_bps_code"].isin(codes) | weak["parent_bps_code"].isin(codes)]
        if len(used):
            raise VintageCoverageError(
                f"boundaries of {vintage_year} need splits the registry marks unverified "
                f"({used['parent_bps_code'].tolist()} -> {used['child_bps_code'].tolist()}); pass allow_unverified=True "
                "to use them",
                column=unit, value=used["child_bps_code"].tolist(),
            )
    target = {c: ancestor(c, vintage_year, cw) for c in codes}
    born = creation_years(cw)
    members: dict[int, list[int]] = {}
    for c, t in target.items():
        members.setdefault(t, []).append(c)
    # today's regencies inside each target, whether or not the panel has them
    all_children = set(cw["child_bps_code"].astype(int)) | set(cw["parent_bps_code"].astype(int))
    for c in all_children:
        t = ancestor(c, vintage_year, cw)
        if t in members and c not in members[t]:
            members[t].append(c)
    for t in members:
        members[t].sort()

    df["_target"] = df[unit].map(target)
    years = sorted(df[time].unique())
    rows = []
    singles = [t for t, comps in members.items() if comps == [t]]
    alone = df[df[unit].isin(singles)].drop(columns="_target").assign(n_units=1, components=lambda d: d[unit].astype(str))
    indexed = df.set_index([unit, time])
    for t, comps in sorted(members.items()):
        if comps == [t]:
            continue
        for y in years:
            need = [c for c in comps if boundaries == "fixed" or born.get(c, -10**9) <= y or c == t]
            present = [(c, y) in indexed.index for c in need]
            if len(need) == 1:
                if present[0]:
                    rec = indexed.loc[(need[0], y)]
                    row = {unit: t, time: y, **{v: rec[v] for v in [*additive, *ratios, *rates]}}
                    row.update(n_units=1, components=str(need[0]))
                    rows.append(row)
                continue
            if not any(present):
                continue
            sub = indexed.reindex([(c, y) for c in need])
            row = {unit: t, time: y}
            for v in additive:
                vals = sub[v].to_numpy(dtype=float)
                row[v] = float(vals.sum()) if not np.isnan(vals).any() else np.nan
            for name, (num, den, factor) in ratios.items():
                row[name] = factor * row[num] / row[den] if np.isfinite(row[num]) and np.isfinite(row[den]) and row[den] != 0 else np.nan
            for name, weight in rates.items():
                r = sub[name].to_numpy(dtype=float)
                w = sub[weight].to_numpy(dtype=float)
                ok = not (np.isnan(r).any() or np.isnan(w).any()) and w.sum() > 0
                row[name] = float((r * w).sum() / w.sum()) if ok else np.nan
            row.update(n_units=len(need), components=";".join(str(c) for c in need))
            rows.append(row)
    columns = [unit, time, *additive, *ratios, *rates, "n_units", "components"]
    merged = pd.DataFrame(rows, columns=columns)
    out = pd.concat([alone[columns], merged], ignore_index=True) if len(merged) else alone[columns]
    return out.sort_values([unit, time], kind="stable").reset_index(drop=True)


def backcast_status(codes: Any, years: Any, born: dict[int, int]) -> pd.arrays.BooleanArray:
    """Back-cast status of (regency, year) rows given the creation year of split regencies.

    ``True`` for a year before the regency was created (``born``), ``False`` when it existed,
    missing where nobody knows: years before 2014 in provinces whose splits the registry does
    not record (outside 61, 64, 65). The one rule behind :func:`flag_backcast` and the panel build.
    """
    codes = np.asarray(codes, dtype="int64")
    years = np.asarray(years, dtype="int64")
    created = pd.Series(codes).map(born).to_numpy(dtype=float)  # NaN: no recorded creation
    recorded = ~np.isnan(created)
    unknown = ~recorded & ~np.isin(codes // 100, list(COVERED_PROVINCES)) & (years < STABLE_FROM_YEAR)
    return pd.array(np.where(unknown, None, recorded & (years < created)), dtype="boolean")


def flag_backcast(
    panel: pd.DataFrame,
    *,
    unit: str = "bps_code",
    time: str = "year",
    column: str = "backcast",
    crosswalk: pd.DataFrame | None = None,
    raw: str | Path | None = None,
) -> pd.DataFrame:
    """Mark rows for years before their regency existed (values the source back-casts).

    Returns a copy with a boolean column ``column``: ``True`` for a year before the
    regency's split from its parent (e.g. Mahakam Ulu 6411 before 2013), ``False`` when the
    regency existed, and missing (``pd.NA``) for years before 2014 in provinces whose splits
    the registry does not record (outside 61, 64, 65) — unknown, not assumed false.
    """
    cw = split_crosswalk(raw) if crosswalk is None else crosswalk
    out = panel.copy()
    flag = backcast_status(out[unit], out[time], creation_years(cw))
    out[column] = flag
    return out
