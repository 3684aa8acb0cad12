"""The one check of an estimator's string options (``control=``, ``method=``, ``estimator=``...).

Every entry point calls :func:`check_choice` for each option that takes one of a fixed set of
values, so that a wrong value always raises the same
:class:`~sosek_impact.errors.InvalidOptionError`, naming the argument, listing the choices and
suggesting the closest one (``control="notyet"`` → did you mean ``'not_yet'``?).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sosek_impact.errors import InvalidOptionError

__all__ = ["check_choice"]


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    """Raise :class:`~sosek_impact.errors.InvalidOptionError` unless ``value`` is one of ``choices``.

    Parameters
    ----------
    name
        The argument's name as the user typed it (``"control"``).
    value
        The value passed.
    choices
        The valid values, in the order the message lists them.

    Raises
    ------
    InvalidOptionError
        ``value`` is not among ``choices`` (``True`` is not ``1``).
    """
    choices = tuple(choices)
    if not any(_same(value, c) for c in choices):
        raise InvalidOptionError(name, value, choices)


def _same(value: Any, choice: Any) -> bool:
    """``value == choice`` without ``True == 1`` and without an array's element-wise answer."""
    if isinstance(value, bool) != isinstance(choice, bool):
        return False
    try:
        return bool(value == choice)
    except (TypeError, ValueError):
        return False
