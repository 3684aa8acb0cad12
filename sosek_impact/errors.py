"""One exception hierarchy for the whole package.

Every error raised on bad *input* derives from :class:`InputError` and names, where it
can, the file, the (1-based, as in a text editor) row, the column and the offending value,
so that a user can open the file and find the problem. Errors raised by estimators on a
panel that does not suit them derive from :class:`EstimationError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _plain(value: Any) -> Any:
    """A numpy scalar as a plain Python value (messages show ``6101``, not ``np.int64(6101)``)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


class SosekImpactError(Exception):
    """Base class of every error raised by :mod:`sosek_impact`."""


class InputError(SosekImpactError, ValueError):
    """Bad input data: the message locates the problem.

    Parameters
    ----------
    message
        What is wrong, in plain words.
    file, row, column, value
        Where it is: file path, 1-based line number in the file (or row label), column
        name and the offending raw value. Any may be ``None`` when it does not apply.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | str | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        self.reason = message
        self.file = None if file is None else str(file)
        self.row = _plain(row)
        self.column = column
        self.value = _plain(value)
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return f"{self.reason} ({', '.join(where)})" if where else self.reason


class EmptyFileError(InputError):
    """The file holds no data rows."""


class EncodingError(InputError):
    """The file cannot be decoded with the encodings tried."""


class HeaderError(InputError):
    """The header could not be found or is malformed (missing, shifted, wrong separator)."""


class SchemaError(InputError):
    """A required column is missing, or a row has the wrong number of fields."""


class NumberFormatError(InputError):
    """A cell that should be a number is not one."""


class AmbiguousNumberError(NumberFormatError):
    """A column's decimal convention cannot be told apart (``1.234``: thousand or one point two?).

    Pass ``decimal=","`` or ``decimal="."`` to the reader to settle it.
    """


class DuplicateKeyError(InputError):
    """Two rows share the same key (e.g. regency and year)."""


class UnknownRegionError(InputError):
    """A regency or province name or code that the registry does not know.

    ``offenders`` maps each unknown label to its closest known matches.
    """

    def __init__(self, message: str, *, offenders: dict[str, list[str]] | None = None, **where: Any) -> None:
        self.offenders = dict(offenders or {})
        if self.offenders:
            listing = "; ".join(
                f"{name!r} (closest: {', '.join(m) if m else 'none'})" for name, m in self.offenders.items()
            )
            message = f"{message}: {listing}"
        super().__init__(message, **where)


class ValueRangeError(InputError):
    """A value outside its admissible range (negative population, year 1899, share > 100 %)."""


class EstimationError(SosekImpactError, ValueError):
    """The data do not suit the estimator as asked."""


def _closest_choice(value: Any, choices: tuple[Any, ...]) -> Any:
    """The choice a mistyped ``value`` most likely meant (case ignored), or ``None``.

    A close spelling (``difflib`` ratio >= 0.6: ``"notyet"`` → ``'not_yet'``) wins; otherwise a
    choice that begins the value or that the value begins (``"csdid"`` → ``'cs'``).
    """
    text = str(value).lower()
    lowered = [str(c).lower() for c in choices]
    close = difflib.get_close_matches(text, lowered, n=1, cutoff=0.6)
    if close:
        return choices[lowered.index(close[0])]
    prefix = [c for c, low in zip(choices, lowered) if len(min(low, text, key=len)) >= 2
              and (text.startswith(low) or low.startswith(text))]
    return prefix[0] if len(prefix) == 1 else None


class InvalidOptionError(EstimationError, InputError):
    """A string option of an estimator (``control=``, ``method=``, ``estimator=``, ...) is not one of
    its choices.

    The message names the argument, lists the valid choices and suggests the closest one; the
    same are kept as ``argument``, ``value``, ``choices`` and ``suggestion`` (``column`` is the
    argument's name, as for the :class:`InputError` the synthetic-control and Honest DiD entry
    points raised for a bad option). A :class:`ValueError` too.

    Parameters
    ----------
    argument
        Name of the argument (``"control"``).
    value
        The value passed.
    choices
        The valid values, in the order to list them.
    """

    def __init__(self, argument: str, value: Any, choices: Iterable[Any]) -> None:
        choices = tuple(choices)
        suggestion = _closest_choice(value, choices)
        listed = ", ".join(repr(c) for c in choices)
        hint = f" (did you mean {suggestion!r}?)" if suggestion is not None else ""
        InputError.__init__(self, f"{argument} must be one of {listed}; got {_plain(value)!r}{hint}")
        self.argument = argument
        self.column = argument
        self.value = _plain(value)
        self.choices = choices
        self.suggestion = suggestion


class UnbalancedPanelError(EstimationError):
    """The estimator needs a balanced panel and the data are not one."""


class DuplicateRowsError(UnbalancedPanelError, DuplicateKeyError):
    """Several rows share one (unit, period) pair of a panel.

    The one error of every estimator for duplicated (unit, period) rows (raised by
    :func:`~sosek_impact.estimators._panel_keys.check_unique_pairs`). It is both an
    :class:`UnbalancedPanelError` (the panel is not one row per unit and period) and a
    :class:`DuplicateKeyError` (an :class:`InputError`: ``column`` is the unit column, ``value`` the
    first repeated (unit, period)); ``unit``, ``period`` and ``n_rows`` are kept as attributes.
    """

    def __init__(self, *, unit_column: str, time_column: str, unit: Any, period: Any, n_rows: int) -> None:
        self.unit = _plain(unit)
        self.period = _plain(period)
        self.n_rows = int(n_rows)
        DuplicateKeyError.__init__(
            self,
            f"duplicated (unit, period) rows: {self.n_rows} rows share a ({unit_column!r}, {time_column!r}) pair; "
            f"the first repeated is {unit_column}={self.unit!r}, {time_column}={self.period!r}; "
            "keep one row per unit and period",
        )
        self.column = unit_column
        self.value = (self.unit, self.period)


class PeriodTypeError(EstimationError, TypeError):
    """The time column does not hold numeric periods (e.g. years stored as text ``"2017"``)."""


class MissingAdoptionWarning(UserWarning):
    """Units the registry marks treated have no adoption year: they cannot enter as treated."""


class MissingValueError(UnbalancedPanelError):
    """A variable the estimator needs (outcome, covariate, weight, cluster) is missing or infinite.

    Derives from :class:`UnbalancedPanelError`: dropping the row would leave the panel
    unbalanced, and estimators never drop it silently. The message names the column and the
    first offending (unit, period); the same are kept as attributes.

    Parameters
    ----------
    message
        What is wrong, naming the column and where.
    column, unit, period
        The column and the first offending unit and period (``None`` when unknown).
    """

    def __init__(self, message: str, *, column: str | None = None, unit: Any = None, period: Any = None) -> None:
        self.column = column
        self.unit = unit
        self.period = period
        super().__init__(message)


class TreatedInFirstPeriodError(EstimationError):
    """Units treated in (or before) the first period have no pre-treatment period."""


class SmallGroupError(EstimationError):
    """A treatment cohort or the control group is too small to estimate."""


class GroupColumnError(EstimationError):
    """The group (first-treated period) column is not made of periods of the time column."""
