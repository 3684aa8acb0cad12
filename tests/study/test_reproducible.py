"""Two clean runs of the whole study give byte-identical outputs; a rerun does nothing.

Slow: it copies the repository's tracked files to two temporary folders (as a fresh clone
would have them) and runs ``analysis/pipeline.py`` in each.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
ROOT = Path(__file__).resolve().parents[2]


def _clone(dest):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, files):
        src = ROOT / name.decode()
        if src.is_file():
            (dest / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name.decode())
    for gone in ("reports/.pipeline_state.json",):
        (dest / gone).unlink(missing_ok=True)


def _run(root):
    # PYTHONPATH: the copy's own library, not the working tree's (which may change meanwhile)
    env = {**os.environ, "SOSEK_IMPACT_ROOT": str(root), "PYTHONHASHSEED": "0", "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, str(root / "analysis" / "pipeline.py")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)


def _digests(root):
    out = {}
    for folder in ("reports", "data/processed"):
        for p in sorted((root / folder).rglob("*")):
            if p.is_file() and p.name != ".pipeline_state.json" and "__pycache__" not in p.parts:
                out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.mark.slow
def test_two_clean_runs_are_byte_identical_and_rerun_is_a_no_op(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        _clone(root)
        run = _run(root)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "0 failed" in run.stderr
    da, db = _digests(a), _digests(b)
    assert da.keys() == db.keys()
    assert [k for k in da if da[k] != db[k]] == []
    again = _run(a)
    assert again.returncode == 0
    assert f"{a}/sosek_impact" in subprocess.run(
        [sys.executable, "-c", "import sosek_impact; print(sosek_impact.__file__)"], env={**os.environ, "PYTHONPATH": str(a)},
        capture_output=True, text=True, cwd=a).stdout
    assert "0 task(s) ran" in again.stderr  # nothing changed: every task up to date
