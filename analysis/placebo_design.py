"""The designs of the placebo study: the study's real frames and the candidate fake adopters.

Frames are built by the study's own functions (``border_posts.outcome_frame``, ``welfare.frame``),
so the placebo designs are the real designs with their real samples, windows and cohorts.
(Kept apart from ``analysis/placebo.py``: the pipeline loads that script under a module name that
is not in ``sys.modules``, where a dataclass cannot be defined.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from _common import load_spec

__all__ = ["Design", "border_design", "nearest", "smallest", "unit_size", "welfare_design"]

BORDER_SPEC = "analysis/specs/border_posts.toml"
WELFARE_SPEC = "analysis/specs/welfare.toml"


@dataclass(frozen=True)
class Design:
    """One design of the placebo study: the real frame and how to draw fake adopters.

    Attributes
    ----------
    id, label
        Key in the outputs and a sentence saying what it is.
    frame
        Balanced long frame ``bps_code, year, y, group`` (``group`` 0 = untreated in the window).
    size
        Mean population per regency (every unit of ``frame``).
    draws
        Fake designs per draw mode (:data:`placebo_summary.MODES`).
    control
        Comparison group passed to ``few_treated_inference`` (``None``: the estimator's default).
    dropped
        Regencies of the sample left out for an incomplete series (listed in the output).
    """

    id: str
    label: str
    frame: pd.DataFrame
    size: pd.Series
    draws: dict[str, int]
    control: str | None = None
    dropped: list[int] = field(default_factory=list)

    @property
    def treated(self) -> dict[int, int]:
        """Real treated regencies of the window and their first treated year."""
        g = self.frame.groupby("bps_code")["group"].first()
        return {int(u): int(v) for u, v in g[g > 0].items()}

    @property
    def pool(self) -> list[int]:
        """Untreated regencies (fake adopter candidates), sorted."""
        g = self.frame.groupby("bps_code")["group"].first()
        return sorted(int(u) for u in g.index[g == 0])


# --------------------------------------------------------------------------------------------
# sizes and candidate sets
# --------------------------------------------------------------------------------------------


def unit_size(panel: pd.DataFrame, column: str, years: tuple[int, int], units) -> pd.Series:
    """Mean of ``column`` over ``years`` per regency (observed years only).

    Raises
    ------
    MissingValueError
        A regency has no value of ``column`` in ``years`` (named): it cannot be ranked or matched.
    """
    from sosek_impact.errors import MissingValueError

    d = panel.loc[panel["bps_code"].isin(list(units)) & panel["year"].between(*years), ["bps_code", column]]
    s = d.dropna(subset=[column]).groupby("bps_code")[column].mean().reindex(sorted(int(u) for u in units))
    if s.isna().any():
        u = int(s.index[s.isna()][0])
        raise MissingValueError(f"size column {column!r} has no value in {years[0]}-{years[1]} for bps_code={u}",
                                column=column, unit=u)
    return s.astype(float)


def smallest(size: pd.Series, pool: list[int], share: float) -> list[int]:
    """The regencies of ``pool`` whose size rank (share of the pool, ties by code) is at most ``share``."""
    s = size.reindex(pool)
    rank = s.rank(method="first", pct=True)
    return sorted(int(u) for u in rank.index[rank <= share + 1e-12])


def nearest(size: pd.Series, pool: list[int], target: float, n: int) -> list[int]:
    """The ``n`` regencies of ``pool`` nearest to ``target`` by size (the matched draw's rule)."""
    s = size.reindex(sorted(pool))
    d = (s - target).abs().to_numpy()
    order = sorted(range(len(d)), key=lambda i: (d[i], i))  # stable, as placebo_study's argsort
    return sorted(int(s.index[i]) for i in order[:n])


# --------------------------------------------------------------------------------------------
# designs of the study
# --------------------------------------------------------------------------------------------


def border_design(panel: pd.DataFrame, did: str, conf: dict[str, Any], size: pd.Series) -> Design:
    """The primary specification's frame in one window, as ``analysis/border_posts.py`` builds it."""
    from border_posts import border_codes, ever_border_codes, outcome_frame, sample_units, timing

    bp = load_spec(BORDER_SPEC)
    units = sorted(panel["bps_code"].astype(int).unique())
    first, _ = timing(bp, units, bp["data"]["last_year"])
    border_now = set().union(*(border_codes(y) for y in bp["data"]["border_set_years"]))
    su = sample_units(bp["samples"][conf["sample"]]["units"], panel, first, border_now, ever_border_codes())
    oc = bp["outcomes"][conf["outcome"]]
    d, dropped = outcome_frame(panel, oc["variable"], oc["transform"], su, (conf["first_year"], conf["last_year"]), first)
    frame = d[["bps_code", "year", "y", "group"]].copy()
    return Design(did, conf["label"], frame, size.reindex(sorted(frame["bps_code"].unique())), dict(conf["draws"]),
                  bp["samples"][conf["sample"]]["control"], dropped)


def welfare_design(panel: pd.DataFrame, did: str, conf: dict[str, Any], size: pd.Series) -> Design:
    """A welfare outcome's frame, as ``analysis/welfare.py`` builds it (second wave)."""
    from welfare import frame as welfare_frame
    from welfare import sample_units, timing

    from sosek_impact.registry import border_regencies

    ws = load_spec(WELFARE_SPEC)
    units = sorted(panel["bps_code"].astype(int).unique())
    first = timing(ws, units)
    table = border_regencies()
    ever = set(table.loc[table["ever_border"].astype(bool), "bps_code"].astype(int))
    first_wave = {int(c) for c, g in first.items() if 0 < g <= ws["treatment"]["second_wave_from"]}
    years = (int(conf["first_year"]), int(conf["last_year"]))
    su = sample_units(ws["samples"][conf["sample"]]["units"], panel, first, ever, first_wave, years[1])
    d, dropped = welfare_frame(panel, ws["outcomes"][conf["outcome"]]["variable"], su, years, first)
    return Design(did, conf["label"], d[["bps_code", "year", "y", "group"]].copy(),
                  size.reindex(sorted(d["bps_code"].unique())), dict(conf["draws"]), None, dropped)
