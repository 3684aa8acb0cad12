"""One mechanism for packages whose public names are imported on first use.

``import sosek_impact`` (and its subpackages) stays light: a package lists each public name with
the module that defines it and gets its module-level ``__getattr__`` and ``__dir__`` from
:func:`lazy_exports`::

    _LAZY = {"att_gt": "sosek_impact.estimators.did", ...}
    __all__ = list(_LAZY)
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY)

A module path starting with ``.`` is relative to the package. On first access the name is
imported and bound in the package, so later look-ups are plain attribute reads; binding the
object itself also undoes the case where importing a submodule of the same name (``twfe``) has
bound the *module* to the package attribute.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` for ``package`` whose names ``exports`` maps to modules.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Public name → module defining it (absolute, or relative to ``package`` with a leading ``.``).

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)`` to assign at the package's top level. ``__getattr__`` raises
        :class:`AttributeError` naming the package for any other name; ``__dir__`` lists the
        exported names, sorted.
    """
    exports = dict(exports)

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        obj = getattr(import_module(target, package), name)
        setattr(sys.modules[package], name, obj)
        return obj

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
