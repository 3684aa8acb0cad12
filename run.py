#!/usr/bin/env python3
"""Set up a local virtual environment (if needed) and run the study or the tests.

``python3 run.py --help`` prints the commands and how the environment is kept (the help text is
:func:`_parser`'s; this file uses the standard library only).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".sosek_impact_installed"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _installed_extras() -> set[str] | None:
    """Extras installed for the current ``pyproject.toml``, or ``None`` if it changed since."""
    if not STAMP.exists():
        return None
    lines = STAMP.read_text().splitlines()
    if not lines or lines[0] != _fingerprint():
        return None
    return set(lines[1].split(",")) - {""} if len(lines) > 1 else set()


def ensure_env(extras: set[str] = frozenset()) -> None:
    """Create ``.venv`` and install the project with ``extras`` unless already done.

    ``reproduce`` needs the core dependencies only; ``test`` adds the ``test`` extra. Byte
    compilation is skipped (``--no-compile``): it doubles the install time and Python compiles
    what it imports on first use anyway.
    """
    if not PY.exists():
        print("run.py: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    have = _installed_extras()
    if have is not None and extras <= have:
        return
    want = set(extras) | (have or set())
    target = f"{ROOT}[{','.join(sorted(want))}]" if want else str(ROOT)
    print(f"run.py: installing sosek_impact{'[' + ','.join(sorted(want)) + ']' if want else ''} into .venv", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check",
                    "-e", target], check=True)
    STAMP.write_text(_fingerprint() + "\n" + ",".join(sorted(want)) + "\n")


COMMANDS = ("reproduce", "test", "build")

_COMMAND_HELP = """\
commands:
  python3 run.py reproduce [--force] [--only TASK ...] [--list]
      the whole study: data/raw -> data/processed -> reports/; `reproduce --help` lists
      the study's options and tasks (it sets up .venv first)
  python3 run.py test [PYTEST ARGS]
      the test suite; arguments go to pytest (e.g. -m "not slow")
  python3 run.py build
      data/raw -> data/processed only
"""

_EPILOG = """\
The environment lives in .venv/ and is reused; it is reinstalled when pyproject.toml changes.
`reproduce` and `build` install the core dependencies, `test` adds the test extra (pytest,
hypothesis and the reference libraries). Only the Python standard library is needed to start:
Python >= 3.11 and pip.

exit status: 0 done (or --help), 2 a missing or unknown command; otherwise the command's own.
"""


def _parser() -> argparse.ArgumentParser:
    """The help text of run.py, formatted by argparse (the commands are dispatched by :func:`main`)."""
    return argparse.ArgumentParser(
        prog="python3 run.py", usage="%(prog)s {reproduce,test,build} [ARGS ...]",
        description="Set up a local virtual environment (if needed) and run the study or the tests.\n\n"
                    + _COMMAND_HELP,
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)


def main(argv: list[str]) -> int:
    """Run a command; exit status 0 for ``--help``, 2 for a missing or unknown command."""
    if argv and argv[0] in {"-h", "--help", "help"}:
        _parser().print_help()
        return 0
    if not argv or argv[0] not in COMMANDS:
        problem = f"unknown command {argv[0]!r}" if argv else "no command given"
        parser = _parser()
        print(f"{parser.format_usage()}run.py: error: {problem} (choose from {', '.join(COMMANDS)}); "
              "python3 run.py --help lists them", file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    ensure_env({"test"} if cmd == "test" else set())
    if cmd == "test":
        return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT)
    return subprocess.call([str(BIN / "sosek-impact"), cmd, *rest], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
