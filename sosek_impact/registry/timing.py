"""Dated events of the border and the treatment timing derived from them.

``registry_events.csv`` lists the Sosek Malindo forums, regulations and the border-post (PLBN)
openings with their date, the date's ``precision`` (``day``, ``month`` or ``year``), the regency's
BPS code, a source and a confidence. Rows for posts that have *not* opened are kept in the registry as
"status rows" (their ``note`` says so); they never count as a treatment.

Timing conventions (documented choices, each switchable):

* A unit is treated from the calendar year of its first opening: PLBN Entikong (Sanggau 6105),
  inaugurated 21 Dec 2016, makes 2016 Sanggau's first treated year. ``first_full_year=True``
  instead starts treatment in the first *full* calendar year after the opening (Sanggau 2017,
  Sambas and Kapuas Hulu 2018); an opening exactly on 1 January counts in its own year, and a date
  known only to the year is treated as a partial year (shifted).
* ``rule="first"`` takes the earliest dated opening, including the start of operation before a
  formal inauguration (Jagoi Babang, Bengkayang 6102: operating from July 2023, medium confidence);
  ``rule="inauguration"`` takes the earliest formal inauguration (*peresmian*; Bengkayang 2024).
* Never-treated units get 0 (the convention of :func:`sosek_impact.estimators.att_gt`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .tables import filter_confidence, read_table

#: Aliases of the registry's event kinds accepted by :func:`events` and :func:`treatment_timing`.
KIND_ALIASES: dict[str, str] = {"plbn": "border_post", "border_post": "border_post", "forum": "forum",
                                "regulation": "regulation", "agreement": "agreement"}

# A registry note that marks a row as the status of a post that has not opened.
_NOT_OPENED = re.compile(r"status row|not an inauguration|no inauguration|not yet open", re.IGNORECASE)
# The formal inauguration of a border post (Indonesian *peresmian*).
_INAUGURATION = re.compile(r"\bperesmian\b", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _parse_dates(df: pd.DataFrame) -> pd.DataFrame:
    years, months, days = [], [], []
    for i, (text, precision) in enumerate(zip(df["date"], df["precision"])):
        m = _DATE.match(str(text).strip()) if pd.notna(text) else None
        if m is None:
            raise InputError("event date must be YYYY, YYYY-MM or YYYY-MM-DD", file=df.attrs.get("file"),
                             row=i + 2, column="date", value=text)
        y, mo, d = (int(g) if g else None for g in m.groups())
        expected = {"year": (mo is None and d is None), "month": (mo is not None and d is None),
                    "day": d is not None}
        if precision not in expected or not expected[precision]:
            raise InputError(f"date {text!r} does not match precision {precision!r}",
                             file=df.attrs.get("file"), row=i + 2, column="precision", value=precision)
        years.append(y)
        months.append(mo)
        days.append(d)
    out = df.copy()
    out["year"] = pd.array(years, dtype="Int64")
    out["month"] = pd.array(months, dtype="Int64")
    out["day"] = pd.array(days, dtype="Int64")
    # First day of the period the date is known to: the earliest the event can have happened.
    out["start"] = pd.to_datetime({"year": out["year"].astype(int), "month": out["month"].fillna(1).astype(int),
                                   "day": out["day"].fillna(1).astype(int)})
    return out


def events(kind: str | None = None, *, min_confidence: str = "medium", root: Path | None = None) -> pd.DataFrame:
    """The registry's dated events, with parsed dates.

    Parameters
    ----------
    kind
        ``None`` for all, or one of ``"plbn"`` (= ``"border_post"``), ``"forum"``, ``"regulation"``,
        ``"agreement"``.
    min_confidence
        Weakest confidence used (``"high"``, ``"medium"`` or ``"unverified"``).
    root
        Folder with the registry extracts (default ``data/raw``).

    Returns
    -------
    pandas.DataFrame
        The registry columns (``event_id, date, precision, kind, name, location, bps_code, source,
        note, confidence`` …) plus ``year, month, day`` (nullable ints, missing below the precision),
        ``start`` (first day of the dated period), ``opened`` (False for status rows of posts not
        opened) and ``inauguration`` (True for a formal *peresmian*). Sorted by ``start, event_id``.
    """
    table = read_table("events", root)
    table = filter_confidence(table, min_confidence, what="events", id_column="event_id")
    if kind is not None:
        if kind not in KIND_ALIASES:
            raise ValueError(f"kind must be one of {sorted(KIND_ALIASES)} or None, got {kind!r}")
        table = table.loc[table["kind"] == KIND_ALIASES[kind]].reset_index(drop=True)
    table = _parse_dates(table)
    note = table["note"].fillna("")
    table["opened"] = ~note.str.contains(_NOT_OPENED)
    table["inauguration"] = table["name"].fillna("").str.contains(_INAUGURATION) & table["opened"]
    return table.sort_values(["start", "event_id"]).reset_index(drop=True)


def _province_codes(root: Path | None, min_confidence: str) -> dict[str, int]:
    """Province name → 2-digit code, read from the border registry (codes are today's BPS codes)."""
    border = read_table("border_regencies", root)
    border = border.loc[border["confidence"].isin(["high", "medium"]) | (min_confidence == "unverified")]
    return {name.strip().lower(): int(code) // 100 for name, code in zip(border["province"], border["bps_code"])}


def forum_timing(*, min_confidence: str = "medium", root: Path | None = None) -> dict[int, int]:
    """First year of a regional Sosek Malindo forum, by province code.

    The forum rows of the registry name the provinces in their ``location`` ("Kalimantan Barat /
    Sarawak", 1985; "Kalimantan Timur / Sabah", 1995). A province created later out of a forum
    province inherits the forum year when the forum predates it: North Kalimantan (65) was part of
    East Kalimantan (64) until 2012 (``registry_code_changes.csv``: 64xx → 65xx from 2012), so its
    territory has had the East Kalimantan–Sabah forum since 1995.

    Returns
    -------
    dict of int to int
        ``{61: 1985, 64: 1995, 65: 1995}`` with the current registry.
    """
    forums = events("forum", min_confidence=min_confidence, root=root)
    names = _province_codes(root, min_confidence)
    timing: dict[int, int] = {}
    for location, year in zip(forums["location"].fillna(""), forums["year"]):
        for part in re.split(r"[/;,]", location):
            code = names.get(part.strip().lower())
            if code is not None:
                timing[code] = min(timing.get(code, 10_000), int(year))
    changes = read_table("code_changes", root)
    # Only code changes that move a regency to another province matter here.
    moved = changes.loc[changes["old_bps_code"] // 100 != changes["new_bps_code"] // 100].reset_index(drop=True)
    moved = filter_confidence(moved, min_confidence, what="forum_timing (code changes)", id_column="old_bps_code")
    for old, new, from_year in zip(moved["old_bps_code"] // 100, moved["new_bps_code"] // 100, moved["from_year"]):
        old, new = int(old), int(new)
        if old in timing and timing[old] < int(from_year) and new not in timing:
            timing[new] = timing[old]
    return dict(sorted(timing.items()))


def _default_units(root: Path | None) -> np.ndarray:
    from ..paths import missing_data_advice, raw_dir

    path = Path(root or raw_dir()) / "regencies.csv"
    if not path.exists():
        raise FileNotFoundError(f"{missing_data_advice(path)}; or pass units=")
    return np.sort(pd.read_csv(path, usecols=["bps_code"])["bps_code"].astype(int).unique())


def treatment_timing(
    kind: str = "plbn",
    *,
    units: Iterable[int] | None = None,
    level: str = "regency",
    min_confidence: str = "medium",
    period: str = "year",
    rule: str = "first",
    first_full_year: bool = False,
    root: Path | None = None,
) -> pd.Series:
    """First treated period per unit, for the staggered estimators.

    Parameters
    ----------
    kind
        ``"plbn"`` (border-post openings) or ``"forum"`` (regional Sosek Malindo forums, see
        :func:`forum_timing`; at regency level every regency of a forum province is treated).
    units
        Unit codes to return (regency BPS codes, or province codes with ``level="province"``);
        units without an event get 0. Default: every regency of ``data/raw/regencies.csv`` (regency
        level) or the treated provinces only (province level).
    level
        ``"regency"`` (index = 4-digit BPS code) or ``"province"`` (2-digit code; a province is treated
        from its first event).
    min_confidence
        Weakest registry confidence used; ``unverified`` rows are left out with a warning unless
        ``"unverified"`` is passed.
    period
        ``"year"`` (int years, 0 = never treated) or ``"date"`` (the first day of the dated period,
        ``NaT`` = never treated).
    rule
        ``"first"``: earliest opening of any kind (start of operation or inauguration);
        ``"inauguration"``: earliest formal inauguration (*peresmian*). Ignored for forums.
    first_full_year
        Shift an opening that falls inside a year to the next year (``period="year"`` only).
    root
        Folder with the registry extracts (default ``data/raw``).

    Returns
    -------
    pandas.Series
        Indexed by unit code (``bps_code`` or ``province_code``), named ``first_treated``. Its
        ``attrs["events"]`` maps each treated unit to the event id used, and
        ``attrs["excluded"]`` lists registry rows of that kind left out and why.

    Examples
    --------
    >>> treatment_timing("plbn", units=[6101, 6105, 6108, 6102, 6107])  # doctest: +SKIP
    bps_code
    6101    2017
    6102    2023
    6105    2016
    6107       0
    6108    2017
    Name: first_treated, dtype: int64
    """
    if kind not in {"plbn", "border_post", "forum"}:
        raise ValueError(f"kind must be 'plbn' or 'forum', got {kind!r}")
    if level not in {"regency", "province"}:
        raise ValueError(f"level must be 'regency' or 'province', got {level!r}")
    if period not in {"year", "date"}:
        raise ValueError(f"period must be 'year' or 'date', got {period!r}")
    if rule not in {"first", "inauguration"}:
        raise ValueError(f"rule must be 'first' or 'inauguration', got {rule!r}")
    if first_full_year and period != "year":
        raise ValueError("first_full_year applies to period='year' only")
    index_name = "bps_code" if level == "regency" else "province_code"

    excluded: list[tuple[str, str]] = []
    if kind == "forum":
        forums = events("forum", min_confidence=min_confidence, root=root)
        by_province = forum_timing(min_confidence=min_confidence, root=root)
        first = {code: pd.Timestamp(year=year, month=1, day=1) for code, year in by_province.items()}
        partial = {code: True for code in by_province}  # forum years are known to the year only
        used = {code: ",".join(forums.loc[forums["year"] == y, "event_id"]) for code, y in by_province.items()}
        if level == "regency":
            codes = _default_units(root) if units is None else np.asarray(list(units), dtype=int)
            first = {c: first[c // 100] for c in codes if c // 100 in first}
            partial = {c: True for c in first}
            used = {c: used[c // 100] for c in first}
    else:
        posts = events("plbn", min_confidence=min_confidence, root=root)
        for eid, opened, code in zip(posts["event_id"], posts["opened"], posts["bps_code"]):
            if not opened:
                excluded.append((eid, "post not opened (status row)"))
            elif pd.isna(code):
                excluded.append((eid, "no BPS regency code (outside the regency registry)"))
        posts = posts.loc[posts["opened"] & posts["bps_code"].notna()]
        if rule == "inauguration":
            for eid in posts.loc[~posts["inauguration"], "event_id"]:
                excluded.append((eid, "not a formal inauguration (rule='inauguration')"))
            posts = posts.loc[posts["inauguration"]]
        key = posts["bps_code"].astype(int) if level == "regency" else posts["bps_code"].astype(int) // 100
        posts = posts.assign(unit=key.to_numpy()).sort_values(["start", "event_id"])
        firsts = posts.groupby("unit", sort=True).head(1)
        first = dict(zip(firsts["unit"], firsts["start"]))
        used = dict(zip(firsts["unit"], firsts["event_id"]))
        # Partial year unless the event is known to the day and falls on 1 January.
        partial = {u: not (p == "day" and s.month == 1 and s.day == 1)
                   for u, p, s in zip(firsts["unit"], firsts["precision"], firsts["start"])}

    if units is None:
        codes = _default_units(root) if level == "regency" else np.array(sorted(first), dtype=int)
    else:
        codes = np.asarray(list(units), dtype=int)
    codes = np.unique(codes)
    if period == "date":
        values = [first.get(c, pd.NaT) for c in codes]
        out = pd.Series(pd.to_datetime(values), index=pd.Index(codes, name=index_name), name="first_treated")
    else:
        years = []
        for c in codes:
            if c not in first:
                years.append(0)
            else:
                years.append(first[c].year + (1 if first_full_year and partial[c] else 0))
        out = pd.Series(np.asarray(years, dtype=np.int64), index=pd.Index(codes, name=index_name),
                        name="first_treated")
    out.attrs["events"] = {int(c): used[c] for c in codes if c in used}
    out.attrs["excluded"] = excluded
    out.attrs["rule"] = {"kind": kind, "rule": rule, "first_full_year": first_full_year,
                         "min_confidence": min_confidence}
    return out
