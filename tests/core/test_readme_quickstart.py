"""The README's package example runs without a single warning (``-W error``).

It used to emit three: border regencies first treated after the sample counted as never treated,
a cohort of a single treated unit (analytical standard errors understate the uncertainty) and a
singular pre-test covariance. The example now leaves out the units treated after the window and
uses the few-treated inference; any warning it triggers again fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys

from sosek_impact import paths

ROOT = paths.project_root()


def _quickstart() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("```python\nimport numpy as np\nimport sosek_impact as si")
    code = text[start + len("```python\n"):]
    return code[:code.index("```")]


def test_readme_package_example_runs_without_warnings():
    if not (paths.processed_dir() / "panel.parquet").exists():
        import pytest

        pytest.skip("panel not built")
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-W", "error", "-c", _quickstart()], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
    assert "cs (dynamic) with randomization inference" in done.stdout
