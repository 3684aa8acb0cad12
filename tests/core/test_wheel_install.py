"""A wheel of the package, installed into a fresh virtual environment, loads the bundled panel and registry.

The wheel is built from a copy of the repository (so the checkout gets no ``build/`` or ``egg-info``),
installed with ``--no-deps`` into a new venv made without ``--system-site-packages``, and run from a
folder outside the repository. Its dependencies (pandas, pyarrow, ...) come from this interpreter's
site-packages put on ``PYTHONPATH``: ``.pth`` files are not processed for ``PYTHONPATH`` entries, so the
editable install of the checkout (an ``__editable__`` finder loaded by a ``.pth``) stays invisible and
``import sosek_impact`` can only find the installed wheel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in", "sosek_impact", "data")


def _can_build_offline() -> bool:
    """``wheel`` and a setuptools with PEP 621 + ``**`` globs are here: build without an isolated env."""
    if importlib.util.find_spec("wheel") is None:
        return False
    import setuptools

    return tuple(int(p) for p in setuptools.__version__.split(".")[:2]) >= (68, 0)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        elif path.exists():
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", str(out),
           str(src)]
    if _can_build_offline():
        cmd.insert(4, "--no-build-isolation")
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=src)
    assert done.returncode == 0, f"pip wheel failed:\n{done.stdout}\n{done.stderr}"
    (whl,) = out.glob("sosek_impact-*.whl")
    return whl


def test_wheel_carries_the_bundled_data_and_not_the_study(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("sosek_impact/_data/processed/panel.parquet", "sosek_impact/_data/processed/province_panel.parquet",
                 "sosek_impact/_data/raw/regencies.csv", "sosek_impact/_data/raw/provinces.csv",
                 "sosek_impact/_data/raw/registry_events.csv", "sosek_impact/_data/raw/registry_border_regencies.csv",
                 "sosek_impact/_data/raw/registry_code_changes.csv", "sosek_impact/_data/raw/registry_regency_splits.csv",
                 "sosek_impact/harmonise/regency_aliases.csv", "sosek_impact/panel/store.py"):
        assert name in names, name
    # The large series extracts, the CSV copies of the panels and the study stay in the repository.
    assert not [n for n in names if n.endswith(("regency_series.csv", "panel.csv")) or n.startswith(("analysis/", "tests/"))]
    assert wheel.stat().st_size < 2_000_000


SCRIPT = r"""
import json, sys
import sosek_impact as si
from sosek_impact import paths
from sosek_impact.registry import treatment_timing
panel = si.load_panel()
prov = si.load_province_panel()
sambas = panel[(panel["bps_code"] == 6101) & (panel["year"] == 2015)]
timing = treatment_timing("plbn")
from sosek_impact.harmonise import resolve_regencies
from sosek_impact.registry import border_regencies
codes = [int(c) for c in resolve_regencies(["KAB. SAMBAS", "Kota Baru"], ["Kalimantan Barat", "KALIMANTAN SELATAN"])]
border_2012 = sorted(int(c) for c in border_regencies(2012)["bps_code"])
try:
    si.build_panel()
    build_error = None
except FileNotFoundError as exc:
    build_error = str(exc)
try:
    paths.project_root()
    root_error = None
except FileNotFoundError as exc:
    root_error = str(exc)
print(json.dumps({
    "file": si.__file__, "location": paths.data_location(), "rows": len(panel),
    "regencies": int(panel["bps_code"].nunique()), "years": [int(panel["year"].min()), int(panel["year"].max())],
    "population_6101_2015": float(sambas["population"].iloc[0]), "provinces": int(prov["province_code"].nunique()),
    "plbn_treated": sorted(int(c) for c, y in timing.items() if y > 0),
    "codes": codes, "border_2012": border_2012, "build_error": build_error, "root_error": root_error,
}))
"""


def test_installed_wheel_loads_panel_outside_the_repository(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SOSEK_IMPACT_", "PYTHON"))}
    # without PYTHONPATH: a checkout on it (with its egg-info) would make pip think the package is installed
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-compile",
                           "--disable-pip-version-check", "-q", str(wheel)], capture_output=True, text=True, env=clean)
    assert done.returncode == 0, done.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(clean)
    site = sysconfig.get_paths()
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([site["purelib"], site["platlib"]]))  # the dependencies only
    env["PYTHONNOUSERSITE"] = "1"
    run = subprocess.run([str(python), "-c", SCRIPT], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])

    assert Path(got["file"]).resolve().is_relative_to(env_dir.resolve()), got["file"]
    assert got["location"] == "package"
    assert got["regencies"] == 514 and got["years"] == [2000, 2024] and got["rows"] == 514 * 25
    # A value read straight from the committed extract (quarcs_districts, Sambas 2015).
    raw = pd.read_csv(ROOT / "data" / "raw" / "regency_series.csv")
    want = raw[(raw["bps_code"] == 6101) & (raw["year"] == 2015) & (raw["variable"] == "population")]["value"]
    assert len(want) == 1 and got["population_6101_2015"] == pytest.approx(float(want.iloc[0]), rel=1e-12)
    assert got["provinces"] >= 34
    # The registry loads from the bundled extracts: the same PLBN regencies as in the clone.
    from sosek_impact.registry import treatment_timing

    here = treatment_timing("plbn")
    assert got["plbn_treated"] == sorted(int(c) for c, y in here.items() if y > 0) and got["plbn_treated"]
    from sosek_impact.registry import border_regencies

    assert got["border_2012"] == sorted(int(c) for c in border_regencies(2012)["bps_code"]) and 6402 in got["border_2012"]
    assert got["codes"] == [6101, 6302]  # the harmoniser's names and aliases are bundled too
    # What cannot work in an installed package says what to do instead.
    assert "SOSEK_IMPACT_ROOT" in got["build_error"] and "clone" in got["build_error"]
    assert "SOSEK_IMPACT_ROOT" in got["root_error"]
    # The console script is installed and starts.
    cli = env_dir / ("Scripts/sosek-impact.exe" if os.name == "nt" else "bin/sosek-impact")
    helped = subprocess.run([str(cli), "--help"], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert helped.returncode == 0 and "reproduce" in helped.stdout
    # Commands that write the repository's folders refuse, with exit status 2 and what to do.
    refused = subprocess.run([str(cli), "build"], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert refused.returncode == 2 and "SOSEK_IMPACT_ROOT" in refused.stderr and "load_panel" in refused.stderr
