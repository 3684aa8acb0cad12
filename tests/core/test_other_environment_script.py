"""scripts/other_environment.py: what it counts as a change of printed numbers (on a small git repo)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("other_environment", ROOT / "scripts" / "other_environment.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _repo(tmp: Path) -> Path:
    (tmp / "reports" / "tables").mkdir(parents=True)
    (tmp / "reports" / "tables" / "t.md").write_text("| a |\n| 0.123 |\n")
    (tmp / "reports" / "report.html").write_text('<p>estimate 0.123</p><img src="data:image/png;base64,AAAA">')
    (tmp / "data").mkdir()
    (tmp / "data" / "panel.csv").write_text("x\n1.0\n")
    for cmd in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *cmd], cwd=tmp, check=True)
    return tmp


def test_figures_and_processed_csv_may_change(tmp_path):
    repo = _repo(tmp_path)
    (repo / "reports" / "report.html").write_text('<p>estimate 0.123</p><img src="data:image/png;base64,BBBB">')
    (repo / "data" / "panel.csv").write_text("x\n1.0000000000000002\n")
    assert _module().changed_outputs(repo) == []


def test_a_table_or_the_report_text_may_not(tmp_path):
    repo = _repo(tmp_path)
    (repo / "reports" / "tables" / "t.md").write_text("| a |\n| 0.124 |\n")
    (repo / "reports" / "report.html").write_text('<p>estimate 0.124</p><img src="data:image/png;base64,AAAA">')
    assert _module().changed_outputs(repo) == ["reports/tables/t.md", "reports/report.html (text)"]
