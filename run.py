#!/usr/bin/env python3
"""Set up a local virtual environment (if needed) and run the study or the tests.

Usage::

    python3 run.py reproduce     # the whole study: data/raw -> data/processed -> reports/
    python3 run.py test          # the test suite

Only the Python standard library is used here, so this works on a fresh machine with
Python >= 3.11 and pip. The environment lives in ``.venv/`` and is reused; it is
reinstalled when ``pyproject.toml`` changes.
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


def ensure_env() -> None:
    """Create ``.venv`` and install the project with its test extras unless already done."""
    if not PY.exists():
        print("run.py: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("run.py: installing sosek_impact and its dependencies into .venv", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"reproduce", "test", "build"}:
        print(__doc__)
        return 2
    ensure_env()
    cmd, rest = argv[0], argv[1:]
    if cmd == "test":
        return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT)
    return subprocess.call([str(BIN / "sosek-impact"), cmd, *rest], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
