"""Let a module that shares its name with its main function be called like the function.

``sosek_impact.estimators.twfe`` (the module) defines ``twfe`` (the function). Once the submodule
is imported (``import sosek_impact.estimators.twfe`` anywhere, e.g. by another module), Python
binds the package attribute ``twfe`` to the *module*, so ``from sosek_impact.estimators import
twfe`` returns the module rather than the function. Making the module callable keeps both
spellings working: calling it calls the function, and its attributes stay the module's.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["make_module_callable"]


class _CallableModule(types.ModuleType):
    """A module whose call is forwarded to the function of the same name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rsplit(".", 1)[-1])(*args, **kwargs)


def make_module_callable(module_name: str) -> None:
    """Make ``sys.modules[module_name]`` callable as its function of the same (last) name."""
    sys.modules[module_name].__class__ = _CallableModule
