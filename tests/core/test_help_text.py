"""``--help`` of ``sosek-impact`` and ``run.py`` is formatted text, not a raw docstring.

Both are run in this process (no environment is built): the help must list every command, carry
no reStructuredText markup (double back-quotes, ``::`` blocks, roles) and no line longer than
100 characters.
"""

from __future__ import annotations

import importlib.util

import pytest

from sosek_impact import cli, paths


def _run_py():
    spec = importlib.util.spec_from_file_location("run_py_under_test", paths.project_root() / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assert_plain(text: str) -> None:
    assert "``" not in text and "::" not in text and ":func:" not in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_sosek_impact_help(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    _assert_plain(out)
    assert out.startswith("usage: sosek-impact")
    for command in ("extract", "build", "reproduce"):
        assert f"\n    {command}" in out
    assert "exit status: 0 done, 1 a step failed, 2" in out
    assert "Indonesia-Malaysia border cooperation" in out


def test_run_py_help_and_unknown_command(capsys):
    run = _run_py()
    assert run.main(["--help"]) == 0
    out = capsys.readouterr().out
    _assert_plain(out)
    assert out.startswith("usage: python3 run.py {reproduce,test,build}")
    for command in ("reproduce [--force] [--only TASK ...] [--list]", "test [PYTEST ARGS]", "build"):
        assert f"  python3 run.py {command}\n" in out
    assert run.main(["bogus"]) == 2
    err = capsys.readouterr().err
    assert "run.py: error: unknown command 'bogus' (choose from reproduce, test, build)" in err
    assert err.startswith("usage: python3 run.py")
    assert len(err.splitlines()) == 2  # usage and the error, not the whole help
