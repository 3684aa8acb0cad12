"""Registry of the border: land-border regencies by year, dated events and treatment timing.

Everything here reads the project's registry extracts in ``data/raw/registry_*.csv`` (one sourced
fact a row with a ``confidence``); nothing is typed into the code. ``unverified`` rows are left out
with a warning unless a caller passes ``min_confidence="unverified"``.

Public functions
----------------
border_regencies(year=None, *, min_confidence="medium") -> DataFrame
is_border(codes, year, *, min_confidence="medium") -> ndarray of bool
events(kind=None, *, min_confidence="medium") -> DataFrame
treatment_timing(kind="plbn", *, units=None, level="regency", min_confidence="medium",
                 period="year", rule="first", first_full_year=False) -> Series
forum_timing(*, min_confidence="medium") -> dict[int, int]
border_posts(*, min_confidence="medium") -> DataFrame (post coordinates)
conversions(*, min_confidence="medium") -> DataFrame (exchange rates, PPP factors, household sizes)
map_treatment_timing(data, timing, ...) -> Series (timing on a panel; warns on registry-treated units without a year)
"""

from __future__ import annotations

from .adoption import map_treatment_timing
from .border import border_regencies, is_border
from .conversions import conversion_value, conversions
from .posts import border_posts
from .tables import CONFIDENCE_LEVELS, UnverifiedRowsWarning, read_table
from .timing import events, forum_timing, treatment_timing

__all__ = [
    "CONFIDENCE_LEVELS",
    "UnverifiedRowsWarning",
    "border_posts",
    "border_regencies",
    "conversion_value",
    "conversions",
    "events",
    "forum_timing",
    "is_border",
    "map_treatment_timing",
    "read_table",
    "treatment_timing",
]
