"""Printed numbers survive another machine: input noise of 1e-10 and another BLAS thread count.

Slow (two runs of the study's table-writing tasks, ~2 min each). Each run calls the pipeline's own
task functions (``analysis/pipeline.py``) in a subprocess, writing into a temporary output folder
(``SOSEK_STUDY_OUTPUT_ROOT``):

(a) every float of the built panels multiplied by ``1 + 1e-10 * z`` (z standard normal, seeded),
    read from a temporary data root (``SOSEK_STUDY_DATA_ROOT``), one BLAS thread;
(b) the committed panels, two BLAS threads (``threadpoolctl``).

Every committed table (``reports/tables/*``: Markdown, LaTeX, HTML, i.e. the printed precision)
must come out byte-identical, and every stored float of ``reports/results/*.json`` must agree with
the committed one to the stored precision up to one unit in its last stored digit (a value lying
within the noise of a rounding boundary may round the other way; the committed tables may not).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
TASKS = ["gaps", "grdp_break", "border_posts", "forums", "engel", "welfare", "welfare_first_wave", "claims"]

_RUNNER = """
import sys
sys.path.insert(0, {analysis!r})
import pipeline
from threadpoolctl import threadpool_limits
names = {names!r}
with threadpool_limits(limits={threads}):
    for task in pipeline.tasks():
        if task.name in names:
            task.action()
print("ran", len(names))
"""


def perturb_panels(dest: Path, rel_noise: float = 1e-10, seed: int = 20261204) -> None:
    """Copy the built panels to ``dest/data/processed`` with every float multiplied by ``1 + rel_noise * z``."""
    rng = np.random.default_rng(seed)
    for name in ("panel", "province_panel"):
        d = pd.read_parquet(ROOT / "data" / "processed" / f"{name}.parquet")
        for c in d.columns:
            if d[c].dtype.kind == "f":
                d[c] = d[c] * (1.0 + rel_noise * rng.standard_normal(len(d)))
        out = dest / "data" / "processed" / f"{name}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        d.to_parquet(out, index=False)
    # files the scripts read through the data root besides the panels
    user = ROOT / "data" / "raw" / "user"
    if user.exists():
        (dest / "data" / "raw").mkdir(parents=True, exist_ok=True)
        os.symlink(user, dest / "data" / "raw" / "user")


def run_tasks(out: Path, data_root: Path | None, threads: int) -> None:
    """Run the table-writing tasks into ``out`` (subprocess, its own thread pool)."""
    env = {**os.environ, "SOSEK_STUDY_OUTPUT_ROOT": str(out), "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"}
    if data_root is not None:
        env["SOSEK_STUDY_DATA_ROOT"] = str(data_root)
    code = _RUNNER.format(analysis=str(ROOT / "analysis"), names=TASKS, threads=threads)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]


def table_differences(out: Path) -> list[str]:
    """Committed tables that the run in ``out`` did not reproduce byte for byte."""
    bad = []
    for p in sorted((ROOT / "reports" / "tables").glob("*")):
        q = out / "reports" / "tables" / p.name
        if not q.exists():
            bad.append(f"{p.name}: not written")
        elif q.read_bytes() != p.read_bytes():
            old, new = p.read_text(encoding="utf-8").splitlines(), q.read_text(encoding="utf-8").splitlines()
            first = next((f"{a!r} -> {b!r}" for a, b in zip(old, new, strict=False) if a != b), "length differs")
            bad.append(f"{p.name}: {first[:300]}")
    return bad


def _floats(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _floats(v, f"{path}/{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _floats(v, f"{path}/{i}")
    elif isinstance(obj, float):
        yield path, obj


def result_differences(out: Path, names: list[str]) -> list[str]:
    """Stored floats that differ by more than one unit in the last stored digit."""
    from sosek_impact.report.tables import STORED_SIGNIFICANT

    bad = []
    for name in names:
        a = dict(_floats(json.loads((ROOT / "reports" / "results" / f"{name}.json").read_text(encoding="utf-8"))))
        b = dict(_floats(json.loads((out / "reports" / "results" / f"{name}.json").read_text(encoding="utf-8"))))
        if a.keys() != b.keys():
            bad.append(f"{name}: keys differ: {sorted(set(a) ^ set(b))[:5]}")
            continue
        for k, x in a.items():
            y = b[k]
            ulp = 10.0 ** (np.floor(np.log10(abs(x))) - STORED_SIGNIFICANT + 1) if x else 10.0 ** -STORED_SIGNIFICANT
            if abs(x - y) > 1.01 * ulp:
                bad.append(f"{name}{k}: {x!r} -> {y!r}")
    return bad


@pytest.mark.slow
@pytest.mark.parametrize("case", ["inputs_perturbed_1e-10", "two_blas_threads"])
def test_committed_tables_survive_noise_and_thread_count(tmp_path, case):
    out = tmp_path / "out"
    if case == "inputs_perturbed_1e-10":
        data = tmp_path / "data_root"
        perturb_panels(data)
        run_tasks(out, data, threads=1)
    else:
        run_tasks(out, None, threads=2)
    assert table_differences(out) == []
    assert result_differences(out, TASKS) == []


def test_perturbation_really_changes_the_inputs(tmp_path):
    """The noise of case (a) is there (and small): a perturbed panel differs from the committed one."""
    perturb_panels(tmp_path)
    a = pd.read_parquet(ROOT / "data" / "processed" / "panel.parquet")
    b = pd.read_parquet(tmp_path / "data" / "processed" / "panel.parquet")
    x, y = a["grdp_pc_idn514"].to_numpy(float), b["grdp_pc_idn514"].to_numpy(float)
    ok = np.isfinite(x)
    rel = np.abs(y[ok] / x[ok] - 1)
    assert (rel > 0).mean() > 0.9
    assert rel.max() < 1e-8
    assert np.array_equal(np.isnan(x), np.isnan(y))  # missing stays missing
