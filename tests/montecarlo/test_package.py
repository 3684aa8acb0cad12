"""The ``sosek_impact.montecarlo`` package: one-way imports between its submodules, public names kept."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sosek_impact.montecarlo as mc_pkg

PKG = Path(mc_pkg.__file__).parent
PREFIX = "sosek_impact.montecarlo"
SUBMODULES = sorted(p.stem for p in PKG.glob("*.py") if p.stem != "__init__")


def _module_level_imports(path: Path) -> set[str]:
    """Sibling submodules that ``path`` imports at module level (``__init__`` counts as ``""``)."""
    out: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PREFIX:  # from sosek_impact.montecarlo import x: a submodule, or the __init__
                for alias in node.names:
                    out.add(alias.name if alias.name in SUBMODULES else "")
            elif node.module.startswith(PREFIX + "."):
                out.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PREFIX + "."):
                    out.add(alias.name.split(".")[2])
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if state.get(m) is None and (found := visit(m)):
                return found
        state[n] = 2
        stack.pop()
        return None

    for n in sorted(graph):
        if state.get(n) is None and (found := visit(n)):
            return found
    return None


def test_cycle_finder_finds_a_planted_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_submodules_import_each_other_one_way_only():
    graph = {name: _module_level_imports(PKG / f"{name}.py") for name in SUBMODULES}
    assert all("" not in deps for deps in graph.values()), {n: d for n, d in graph.items() if "" in d}
    assert _cycle(graph) is None
    assert graph["method"] == set()  # the base module imports no sibling
    assert "engine" in SUBMODULES and "summary" in SUBMODULES and "catalogue" in SUBMODULES


@pytest.mark.parametrize("name", [*(f"{PREFIX}.{m}" for m in SUBMODULES), "sosek_impact.inference.placebo_study"])
def test_each_submodule_imports_alone_in_a_fresh_interpreter(name):
    env = {**os.environ, "PYTHONPATH": str(PKG.parents[1])}
    r = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]


def test_public_names_are_kept():
    from sosek_impact.montecarlo import run_monte_carlo, standard_methods, summarise  # noqa: F401

    for name in mc_pkg.__all__:
        assert hasattr(mc_pkg, name), name
    assert not (PKG.parent / "montecarlo.py").exists()
    assert not (PKG.parent / "montecarlo_methods.py").exists()
