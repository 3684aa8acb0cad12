"""Re-run the study in another environment and check that every printed number is unchanged.

Usage (from the project root; needs the package index, takes about 5 minutes)::

    python3 scripts/other_environment.py                       # the default older library versions
    python3 scripts/other_environment.py --pins numpy==2.3.5 scipy==1.17.1

It makes a virtual environment with the pinned versions of the numerical libraries, clones the
committed state of this repository into a temporary folder, runs ``sosek_impact.cli reproduce
--force`` there and lists what changed against the commit. What must not change (README, "What is
identical where"): every table of ``reports/tables/``, every stored result of
``reports/results/`` and the text of ``reports/report.html`` once its embedded figures are set
aside. Figures and the float formatting of ``data/processed/*.csv`` may differ. Exit status 1
when something that must not change did.

Checked on 2026-12-04: committed outputs made with numpy 2.4.6, scipy 1.17.1, pandas 3.1.1 and
matplotlib 3.11.2; the defaults below (numpy 2.1.3, scipy 1.16.3, pandas 2.2.3, matplotlib 3.9.4)
reproduce every table, every result file and the report's text byte for byte.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PINS = ["numpy==2.1.3", "scipy==1.16.3", "pandas==2.2.3", "matplotlib==3.9.4", "statsmodels==0.14.4",
                "numba==0.61.2", "linearmodels==6.1", "seaborn==0.13.2", "pyarrow==17.0.0", "openpyxl",
                "threadpoolctl"]
MUST_NOT_CHANGE = ("reports/tables/", "reports/results/")
IMAGE = re.compile(rb'src="data:image/png;base64,[A-Za-z0-9+/=]*"')


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def changed_outputs(clone: Path) -> list[str]:
    """Paths that must not change but did, relative to the clone."""
    out = subprocess.run(["git", "status", "--porcelain"], cwd=clone, check=True, capture_output=True, text=True)
    paths = [line[3:] for line in out.stdout.splitlines()]
    bad = [p for p in paths if p.startswith(MUST_NOT_CHANGE)]
    if "reports/report.html" in paths:
        old = subprocess.run(["git", "show", "HEAD:reports/report.html"], cwd=clone, check=True, capture_output=True).stdout
        new = (clone / "reports" / "report.html").read_bytes()
        if IMAGE.sub(b"", old) != IMAGE.sub(b"", new):
            bad.append("reports/report.html (text)")
    return bad


def main(argv: list[str] | None = None) -> int:
    """Build the environment, reproduce, report; 0 when every printed number is unchanged."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pins", nargs="+", default=DEFAULT_PINS, help="pip requirements of the other environment")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="sosek_other_env_"))
    venv, clone = tmp / "venv", tmp / "clone"
    _run([sys.executable, "-m", "venv", str(venv)])
    py = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    _run([str(py), "-m", "pip", "install", "--quiet", *args.pins, "shapely"])
    _run(["git", "clone", "--quiet", str(ROOT), str(clone)])
    env = {**os.environ, "PYTHONPATH": str(clone)}
    if (ROOT.parent / "shared" / "data").exists():
        env.setdefault("SOSEK_IMPACT_SHARED", str(ROOT.parent / "shared" / "data"))
    _run([str(py), "-m", "sosek_impact.cli", "reproduce", "--force"], cwd=clone, env=env)
    versions = subprocess.run([str(py), "-c", "import numpy, scipy, pandas, matplotlib as m; "
                               "print(numpy.__version__, scipy.__version__, pandas.__version__, m.__version__)"],
                              check=True, capture_output=True, text=True).stdout.strip()
    bad = changed_outputs(clone)
    print(f"environment: numpy, scipy, pandas, matplotlib = {versions}")
    print("every table, result and the report text unchanged" if not bad else "CHANGED: " + ", ".join(bad))
    print(f"temporary folder: {tmp}" if args.keep else "", end="")
    if not args.keep:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
