#!/usr/bin/env python3
"""Set up a local virtual environment (if needed) and run the study or the tests.

Usage::

    python3 run.py reproduce [--force] [--only TASK ...] [--list]
                                 # the whole study: data/raw -> data/processed -> reports/
    python3 run.py test [PYTEST ARGS]
                                 # the test suite (arguments go to pytest, e.g. -m "not slow")
    python3 run.py build         # data/raw -> data/processed only
    python3 run.py --help        # this text

``reproduce --help`` lists the study's options and tasks (it sets up ``.venv`` first).

Only the Python standard library is used here, so this works on a fresh machine with
Python >= 3.11 and pip. The environment lives in ``.venv/`` and is reused; it is
reinstalled when ``pyproject.toml`` changes. ``reproduce`` installs the core dependencies,
``test`` adds the test extra (pytest, hypothesis and the reference libraries).
"""

from __future__ import annotations

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


def main(argv: list[str]) -> int:
    """Run a command; exit status 0 for ``--help``, 2 for a missing or unknown command."""
    if argv and argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    if not argv or argv[0] not in COMMANDS:
        problem = f"unknown command {argv[0]!r}" if argv else "no command given"
        print(f"run.py: error: {problem} (choose from {', '.join(COMMANDS)})\n{__doc__}", file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    ensure_env({"test"} if cmd == "test" else set())
    if cmd == "test":
        return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT)
    return subprocess.call([str(BIN / "sosek-impact"), cmd, *rest], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
