"""One results protocol for every estimator and inference result of the package.

Every result object (TWFE, event study, ``att_gt`` and its aggregates, Sun–Abraham, the
imputation estimator, synthetic control, synthetic DiD, wild bootstrap, randomisation inference,
Conley–Taber, Honest DiD, few-treated inference) offers the same few calls, in the manner of
linearmodels and pyfixest:

- ``summary()`` — a compact plain-text report; ``print(result)`` and the notebook repr show it
  (never raw arrays);
- ``tidy(alpha=0.05)`` — a DataFrame with the standard columns :data:`TIDY_COLUMNS` (``term``,
  ``estimate``, ``std_error``, ``statistic``, ``p_value``, ``conf_low``, ``conf_high``), plus
  estimator-specific extras after them (e.g. ``event_time`` as an integer, ``group``, ``time``);
- ``conf_int(alpha=0.05)`` — a method returning the ``conf_low``/``conf_high`` columns indexed by
  term;
- ``plot()`` — for event-time results, a matplotlib Figure (see
  :func:`sosek_impact.estimators.plotting.event_time_plot`).

A class takes part by subclassing :class:`ResultsProtocol` and implementing
:meth:`ResultsProtocol._tidy` (and usually :meth:`ResultsProtocol._summary_header`). The rest is
written once here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "TIDY_COLUMNS",
    "LegacyInterval",
    "ResultsProtocol",
    "as_event_times",
    "check_alpha",
    "deprecated_alias",
    "legacy_conf_int",
    "format_number",
    "format_pvalue",
    "normal_tidy",
    "plain",
    "pvalue_phrase",
]

TIDY_COLUMNS: tuple[str, ...] = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")


def check_alpha(alpha: float | None = None, level: float | None = None) -> float:
    """The significance level ``alpha`` from ``alpha`` or a coverage ``level`` (``1 - alpha``).

    Raises
    ------
    ValueError
        If both are given, or the value is not strictly between 0 and 1.
    """
    if alpha is not None and level is not None:
        raise ValueError("give either alpha or level, not both")
    if level is not None:
        if not 0 < level < 1:
            raise ValueError(f"level must lie in (0, 1), got {level!r}")
        return 1.0 - float(level)
    alpha = 0.05 if alpha is None else alpha
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    return float(alpha)


def plain(value: Any) -> Any:
    """A plain Python value for messages: ``np.int64(6101)`` → ``6101``, ``np.float64(2.5)`` → ``2.5``."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def format_number(value: Any, digits: int = 4) -> str:
    """A number as text with ``digits`` significant digits; missing as ``"—"``; integers unchanged."""
    value = plain(value)
    if value is None:
        return "—"
    if isinstance(value, (bool, int)):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value != 0 and (abs(value) < 1e-4 or abs(value) >= 1e7):
            return f"{value:.{max(digits - 1, 0)}e}"
        return f"{value:.{digits}g}"
    return str(value)


def format_pvalue(p: Any) -> str:
    """A p-value as text: ``"< 0.001"`` below one in a thousand, three decimals otherwise."""
    p = plain(p)
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def pvalue_phrase(p: Any) -> str:
    """``"p < 0.001"`` or ``"p = 0.123"`` (``"p = —"`` when missing), for sentences in summaries."""
    text = format_pvalue(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def normal_tidy(
    terms: Iterable[Any],
    estimate: Iterable[float],
    std_error: Iterable[float],
    alpha: float = 0.05,
    df: int | None = None,
    **extras: Iterable[Any],
) -> pd.DataFrame:
    """A tidy frame from estimates and standard errors with normal (or t(``df``)) intervals.

    Parameters
    ----------
    terms, estimate, std_error
        Term labels, point estimates and standard errors (same length).
    alpha
        1 − coverage of the intervals.
    df
        Degrees of freedom of a t reference distribution; ``None`` uses the normal.
    **extras
        Further columns, appended after the standard ones.

    Returns
    -------
    DataFrame
        Columns :data:`TIDY_COLUMNS` then ``extras``.
    """
    b = np.asarray(list(estimate), dtype=float)
    se = np.asarray(list(std_error), dtype=float)
    dist = stats.norm if df is None else stats.t(df)
    q = dist.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, b / se, np.nan)
    p = 2 * dist.sf(np.abs(stat))
    out = pd.DataFrame(
        {
            "term": [str(plain(t)) for t in terms],
            "estimate": b,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "conf_low": b - q * se,
            "conf_high": b + q * se,
        }
    )
    for name, values in extras.items():
        if isinstance(values, pd.Series):
            values = values.array  # keep the dtype (e.g. nullable Int64), drop the index
        elif not isinstance(values, (np.ndarray, pd.api.extensions.ExtensionArray)):
            values = list(values)
        out[name] = values
    return out


def as_event_times(values: Iterable[Any]) -> pd.Series:
    """Labels as integers (``int64``, or nullable ``Int64`` with missing values) when all are whole.

    Event times, groups and periods are stored as floats by several estimators; users expect
    ``-1, 0, 1`` rather than ``-1.0, 0.0, 1.0``. Values that are not whole numbers are kept as floats.
    """
    s = pd.Series(list(values), dtype="float64")
    finite = s.dropna()
    if len(finite) and not np.all(np.isclose(finite, np.round(finite))):
        return s
    if s.isna().any():
        return s.round().astype("Int64")
    return s.round().astype("int64")


class ResultsProtocol:
    """Mixin giving a result ``summary``, ``tidy``, ``conf_int``, ``print`` and notebook repr.

    Subclasses implement :meth:`_tidy` (the standard columns plus extras, at level ``1 - alpha``)
    and may override :meth:`_summary_header` (lines printed above the table) and
    :meth:`_summary_footer` (lines below it, e.g. a pre-test).

    A result whose intervals were computed at one level during the fit (test inversion, placebo
    ranks, bootstrap bands) returns that level from :meth:`_stored_alpha`; it is then the default of
    ``alpha``, and with ``_alpha_is_fixed = True`` another level is refused with a ``ValueError``
    naming the stored one (the intervals cannot be recomputed without refitting).
    """

    #: columns of :meth:`tidy` shown by :meth:`summary`, after ``term``
    _summary_columns: tuple[str, ...] = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")
    #: longest table :meth:`summary` prints in full; longer ones show their head and tail
    _summary_max_rows: int = 24
    #: True when intervals exist only at the stored level (see :meth:`_stored_alpha`)
    _alpha_is_fixed: bool = False

    # ------------------------------------------------------------------ to implement
    def _tidy(self, alpha: float) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def _stored_alpha(self) -> float | None:
        """The level ``alpha`` the fit used for its stored intervals, if any."""
        return None

    def _resolve_alpha(self, alpha: float | None, level: float | None) -> float:
        stored = self._stored_alpha()
        if alpha is None and level is None:
            return check_alpha(stored if stored is not None else 0.05)
        a = check_alpha(alpha, level)
        if self._alpha_is_fixed and stored is not None and not math.isclose(a, stored, rel_tol=1e-9):
            raise ValueError(
                f"{type(self).__name__} holds intervals at alpha={stored:g} only; rerun the method with "
                f"alpha={a:g} for other intervals"
            )
        return a

    def _summary_header(self) -> list[str]:
        return [type(self).__name__]

    def _summary_footer(self) -> list[str]:
        return []

    # ------------------------------------------------------------------ the protocol
    def tidy(self, alpha: float | None = None, *, level: float | None = None) -> pd.DataFrame:
        """One row per estimate with the standard columns :data:`TIDY_COLUMNS` first.

        Parameters
        ----------
        alpha
            1 − coverage of ``conf_low``/``conf_high`` (default 0.05).
        level
            Coverage instead of ``alpha`` (as linearmodels' ``level``).
        """
        out = self._tidy(self._resolve_alpha(alpha, level))
        missing = [c for c in TIDY_COLUMNS if c not in out.columns]
        if missing:  # a programming error of the subclass, not of the user
            raise TypeError(f"{type(self).__name__}._tidy lacks the columns {missing}")
        extras = [c for c in out.columns if c not in TIDY_COLUMNS]
        return out[[*TIDY_COLUMNS, *extras]].reset_index(drop=True)

    def conf_int(self, alpha: float | None = None, *, level: float | None = None) -> pd.DataFrame:
        """Confidence intervals: columns ``conf_low``, ``conf_high`` indexed by term (as in :meth:`tidy`)."""
        t = self.tidy(alpha, level=level)
        return t.set_index("term")[["conf_low", "conf_high"]]

    def summary(self, alpha: float | None = None, *, level: float | None = None) -> str:
        """A compact plain-text report: header facts, the estimates table, footer notes."""
        a = self._resolve_alpha(alpha, level)
        table = self.tidy(a)
        lines = list(self._summary_header())
        if len(table):
            shown = table[["term", *[c for c in self._summary_columns if c in table.columns]]].copy()
            shown = shown.rename(columns={"conf_low": f"[{1 - a:.0%}", "conf_high": "conf.]"})
            for col in shown.columns[1:]:
                fmt = format_pvalue if col == "p_value" else format_number
                shown[col] = [fmt(v) for v in shown[col]]
            n, cap = len(shown), self._summary_max_rows
            if n > cap:
                half = cap // 2
                text = shown.to_string(index=False).split("\n")
                omitted = f"... {n - 2 * half} of {n} rows not shown; tidy() has them all"
                lines.extend([*text[: half + 1], omitted, *text[-half:]])
            else:
                lines.append(shown.to_string(index=False))
        lines.extend(self._summary_footer())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return self.summary()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(self.summary() if not cycle else type(self).__name__)

    def _repr_html_(self) -> str:  # notebooks
        import html

        return f"<pre>{html.escape(self.summary())}</pre>"


def deprecated_alias(new: str, old: str, removed_in: str = "0.3") -> property:
    """A read-only property ``old`` that returns attribute ``new`` with a ``FutureWarning``.

    Example: ``conf_int_tuple = deprecated_alias("interval", "conf_int_tuple")`` in a class body.
    """

    def getter(self: Any) -> Any:
        warnings.warn(f"{type(self).__name__}.{old} is deprecated and will be removed in {removed_in}; use {new}",
                      FutureWarning, stacklevel=2)
        return getattr(self, new)

    return property(getter, doc=f"Deprecated alias of ``{new}``.")


class LegacyInterval(tuple):
    """``(low, high)`` that is also callable as the :meth:`ResultsProtocol.conf_int` method.

    Results that once stored their interval as a tuple attribute ``conf_int`` return this from a
    ``conf_int`` property for one release: ``res.conf_int()`` (or ``res.conf_int(alpha=...)``) is
    the protocol method; unpacking or indexing ``res.conf_int`` as a tuple still works with a
    ``FutureWarning`` pointing to the new attribute.
    """

    def __new__(cls, bounds: tuple[float, float], method: Any, owner: str, attribute: str) -> LegacyInterval:
        obj = super().__new__(cls, (float(bounds[0]), float(bounds[1])))
        obj._method, obj._owner, obj._attribute = method, owner, attribute
        return obj

    def __call__(self, alpha: float | None = None, *, level: float | None = None) -> pd.DataFrame:
        return self._method(alpha, level=level)

    def _warn(self) -> None:
        warnings.warn(
            f"{self._owner}.conf_int as a (low, high) tuple is deprecated and will be removed in 0.3; "
            f"use {self._owner}.{self._attribute} or the method conf_int()",
            FutureWarning, stacklevel=3,
        )

    def __iter__(self):  # noqa: D105
        self._warn()
        return super().__iter__()

    def __getitem__(self, item: Any) -> Any:  # noqa: D105
        self._warn()
        return super().__getitem__(item)

    def __eq__(self, other: Any) -> bool:  # noqa: D105
        self._warn()
        return tuple.__eq__(self, other)

    __hash__ = tuple.__hash__


def legacy_conf_int(attribute: str) -> property:
    """A ``conf_int`` property: the protocol method, also a deprecated ``(low, high)`` tuple.

    ``attribute`` names the new tuple attribute (e.g. ``"interval"``); where it is ``None`` the
    property is the plain method.
    """

    def getter(self: Any) -> Any:
        bounds = getattr(self, attribute)
        method = ResultsProtocol.conf_int.__get__(self)
        if bounds is None:
            return method
        return LegacyInterval(bounds, method, type(self).__name__, attribute)

    return property(getter, doc=ResultsProtocol.conf_int.__doc__)
