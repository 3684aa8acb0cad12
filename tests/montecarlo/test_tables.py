"""The table command of ``docs/monte_carlo.md``: Markdown blocks and the marker rewrite."""

from __future__ import annotations

import pandas as pd

from sosek_impact.montecarlo.tables import few_treated_design_tables, few_treated_table_methods, markdown_table, replace_between_markers


def test_few_treated_design_table_runs_every_method_on_a_design():
    text = few_treated_design_tables(3, designs=["welfare"], n_jobs=1, progress=False)
    assert text.startswith("### Design `welfare`")
    assert "49 units, 5 periods; cohorts {2024: 1}" in text and "3 replications" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [r.split(" | ")[0][2:] for r in rows] == [m.name for m in few_treated_table_methods()]
    assert all(r.rstrip(" |").endswith("| 0 | 0") for r in rows)  # no failures, no unbounded intervals


def test_markdown_table_bolds_coverage_outside_the_band():
    s = pd.DataFrame({"bias_sigma": [0.01, 0.0], "mcse_bias_sigma": [0.01, 0.01], "rmse_sigma": [0.2, 0.2],
                      "ci_width": [1.0, 1.0], "coverage": [0.95, 0.80], "mcse_coverage": [0.01, 0.02],
                      "seconds": [0.01, 0.01], "failures": [0, 0], "infinite_ci": [0, 1]}, index=["ok", "bad"])
    lines = markdown_table(s, 500).splitlines()
    assert "| 0.950 (0.010) |" in lines[2] and "**0.800 (0.020)**" in lines[3] and lines[3].endswith("| 0 | 1 |")


def test_replace_between_markers_keeps_the_rest(tmp_path):
    p = tmp_path / "doc.md"
    p.write_text("intro\n<!-- a -->\nold\n<!-- b -->\noutro\n", encoding="utf-8")
    replace_between_markers(p, "<!-- a -->", "<!-- b -->", "new\n")
    assert p.read_text(encoding="utf-8") == "intro\n<!-- a -->\nnew\n<!-- b -->\noutro\n"
    q = tmp_path / "none.md"
    q.write_text("text\n", encoding="utf-8")
    replace_between_markers(q, "<!-- a -->", "<!-- b -->", "x\n")
    assert q.read_text(encoding="utf-8") == "text\n\n<!-- a -->\nx\n<!-- b -->\n"
