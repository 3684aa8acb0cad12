"""``from sosek_impact.estimators import twfe`` is callable even after the submodule was imported.

Each estimator module shares its name with its function; importing the submodule first binds the
package attribute to the module. Checked in a fresh interpreter per name, since the order of
imports is what matters.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = [("estimators", "twfe"), ("estimators", "event_study"), ("estimators", "sun_abraham"),
         ("estimators", "synthetic_control"), ("estimators", "synthetic_did"),
         ("inference", "conley_taber"), ("inference", "honest_did")]


@pytest.mark.parametrize("package,name", NAMES)
def test_function_name_is_callable_after_the_submodule_was_imported(package, name):
    code = (f"import sosek_impact.{package}.{name} as module\n"
            f"from sosek_impact.{package} import {name}\n"
            f"assert callable({name}), type({name})\n"
            f"assert module.{name}.__name__ == {name!r}\n"
            # the call reaches the function: a wrong call raises the function's own TypeError
            f"try:\n    {name}()\nexcept TypeError as exc:\n    assert {name!r} in str(exc), exc\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
