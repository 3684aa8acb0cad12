"""The named simulation designs of ``docs/monte_carlo.md``.

A :class:`Design` is a name, a sentence and keyword arguments of
:func:`~sosek_impact.simulate.simulate_staggered_panel`. The first two (``heterogeneous``,
``constant``) take their shape (number of treated units over four cohorts) from the caller; the
others fix their own cohorts:

``study_cohorts``
    The study's exact cohorts: 2000--2024, 48 never-treated units, cohorts 2017 (1 unit),
    2018 (2) and 2024 (1).
``treated_noise_2x``, ``treated_noise_3x``
    The study cohorts with the treated units' error SD 2 and 3 times the controls'.
``population_smallest``
    Kalimantan's 56 regencies with their 2017 populations from the bundled panel
    (:func:`kalimantan_populations`), error SD proportional to ``1 / sqrt(population)``, the
    study cohorts given to the four smallest regencies.
``welfare``
    One treated unit with one post-period in five periods (2020--2024, 48 controls): the welfare
    outcomes of the second wave.

All new designs have a constant effect 1, so the inference is what is tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sosek_impact.errors import MissingValueError

__all__ = ["DESIGNS", "Design", "STUDY_COHORTS", "kalimantan_populations", "standard_designs"]

#: Cohorts of the study panel (first full year of a border post), 2000--2024.
STUDY_COHORTS: dict[int, int] = {2017: 1, 2018: 2, 2024: 1}

#: Names of :func:`standard_designs`, in table order.
DESIGNS: tuple[str, ...] = (
    "heterogeneous", "constant", "study_cohorts", "treated_noise_2x", "treated_noise_3x",
    "population_smallest", "welfare",
)


@dataclass(frozen=True)
class Design:
    """A named simulation design.

    Attributes
    ----------
    name
        Key of the design.
    description
        One sentence for tables.
    kwargs
        Keyword arguments of :func:`~sosek_impact.simulate.simulate_staggered_panel`.
    shaped
        True when the caller sets the shape (``n_treated``); False when ``kwargs`` fix the cohorts.
    """

    name: str
    description: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    shaped: bool = False


def kalimantan_populations(year: int = 2017) -> np.ndarray:
    """Population of every Kalimantan regency in ``year`` from the bundled panel, by BPS code.

    Raises
    ------
    MissingValueError
        If a Kalimantan regency has no population in ``year`` (nothing is filled in), or there is
        no Kalimantan row in that year.
    """
    from sosek_impact.panel import load_panel

    panel = load_panel()
    k = panel[panel["kalimantan"].astype(bool) & (panel["year"] == year)].sort_values("bps_code")
    if k.empty:
        raise MissingValueError(f"the panel has no Kalimantan rows in {year}", column="population", period=year)
    missing = k.loc[k["population"].isna(), "bps_code"].tolist()
    if missing:
        raise MissingValueError(f"population is missing in {year} for Kalimantan regencies (bps_code) {missing[:5]}",
                                column="population", unit=missing[0], period=year)
    return k["population"].to_numpy(dtype=float)


def _fixed(name: str, description: str, **kwargs: Any) -> Design:
    base = {"n_units": 52, "n_periods": 25, "start": 2000, "cohorts": dict(STUDY_COHORTS), "effect": "constant"}
    return Design(name, description, {**base, **kwargs})


def _make(name: str) -> Design:
    if name == "heterogeneous":
        return Design(name, "effects differ by cohort (1.5 ... 0.5) and grow 10 % a year of exposure",
                      {"effect": "heterogeneous"}, shaped=True)
    if name == "constant":
        return Design(name, "constant effect 1 (TWFE unbiased: isolates the inference)", {"effect": "constant"},
                      shaped=True)
    if name == "study_cohorts":
        return _fixed(name, "the study's cohorts (2017: 1, 2018: 2, 2024: 1), 48 controls, 2000-2024, equal noise")
    if name in ("treated_noise_2x", "treated_noise_3x"):
        r = 2.0 if name.endswith("2x") else 3.0
        return _fixed(name, f"study cohorts, treated units' error SD {r:g}x the controls'", treated_noise_ratio=r)
    if name == "population_smallest":
        pop = kalimantan_populations(2017)
        return _fixed(name, f"{pop.size} Kalimantan regencies, error SD ~ 1/sqrt(2017 population), study cohorts "
                            "given to the 4 smallest", n_units=int(pop.size), population=tuple(pop.tolist()),
                      treated="smallest")
    if name == "welfare":
        return _fixed(name, "one treated unit with one post-year in five periods (2020-2024), 48 controls",
                      n_units=49, n_periods=5, start=2020, cohorts={2024: 1})
    raise ValueError(f"unknown design {name!r}; known: {list(DESIGNS)}")


def standard_designs(names: Iterable[str] | None = None) -> dict[str, Design]:
    """The named designs (all of :data:`DESIGNS` by default), built on demand.

    ``population_smallest`` reads the bundled panel, so it is built only when asked for.
    """
    return {n: _make(n) for n in (DESIGNS if names is None else names)}
