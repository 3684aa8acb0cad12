"""Helpers shared by the study scripts: specs, data, results with provenance, safe calls.

The scripts of ``analysis/`` read their choices from ``analysis/specs/*.toml``; nothing
about the study is decided here beyond how results are stored.
"""

from __future__ import annotations

import json
import math
import tomllib
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "reports" / "results"
FIGURES = ROOT / "reports" / "figures"
TABLES = ROOT / "reports" / "tables"


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a TOML specification; ``spec["_path"]`` keeps its path relative to the root."""
    path = Path(path)
    if not path.is_absolute():
        path = ROOT / path
    with open(path, "rb") as fh:
        spec = tomllib.load(fh)
    spec["_path"] = path.relative_to(ROOT).as_posix()
    return spec


def clean(obj: Any, digits: int = 10) -> Any:
    """JSON-safe copy: numpy scalars to Python, floats rounded, NaN to None, keys as str."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(obj, dict):
        return {str(k): clean(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v, digits) for v in obj]
    if np is not None and isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, bool) or obj is None or isinstance(obj, int | str):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        return float(f"{obj:.{digits}g}")
    return str(obj)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``reports/results/<name>.json`` (sorted keys, rounded floats) atomically."""
    from sosek_impact.atomic import write_text

    path = RESULTS / f"{name}.json"
    write_text(path, json.dumps(clean(payload), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def read_results(name: str) -> dict[str, Any]:
    """Read ``reports/results/<name>.json`` ({} when absent)."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def attempt(label: str, fn: Callable[[], Any], log: list[dict[str, str]]) -> Any:
    """Run one estimation; on failure record why in ``log`` and return ``None``.

    An estimator that is not available yet or that refuses the data (e.g. too few treated
    units) must not stop the study: the report lists every such case.
    """
    try:
        return fn()
    except Exception as exc:  # recorded, shown in the report
        last = traceback.extract_tb(exc.__traceback__)[-1]
        log.append({"what": label, "error": f"{type(exc).__name__}: {exc}"[:400],
                    "where": f"{Path(last.filename).name}:{last.lineno}"})
        return None


def rel(path: str | Path) -> str:
    """Path relative to the project root, POSIX style."""
    path = Path(path)
    return path.relative_to(ROOT).as_posix() if path.is_absolute() else path.as_posix()


SOURCE_LINE = {
    "idn514": "Source: QuaRCS-lab indonesia514 gdp_pc.csv (BPS), data/raw/regency_series.csv; registry of border regencies.",
    "quarcs": "Source: Santos-Marquez, Gunawan & Mendez (2021) QuaRCS districts 2000-2017 (BPS), data/raw.",
    "provinces": "Source: QuaRCS provinces GDP per capita 1983-2017 (BPS), data/raw/province_series.csv.",
    "exp": "Source: BPS Susenas, average monthly per-capita food and non-food expenditure by province 2017-2025, data/raw.",
}


def data_path(relative: str | Path) -> Path:
    """Where a data file of the spec lives (``SOSEK_STUDY_DATA_ROOT`` overrides the root, for tests)."""
    import os

    base = os.environ.get("SOSEK_STUDY_DATA_ROOT")
    return (Path(base) if base else ROOT) / relative


def read_panel(relative: str | Path):
    """Read a built panel (Parquet) named in a spec."""
    import pandas as pd

    return pd.read_parquet(data_path(relative))


def provenance(spec: dict[str, Any], *data: str) -> dict[str, Any]:
    """Files that made a result: the spec, its script and the data it read."""
    return {"spec": spec["_path"], "script": spec["analysis"]["script"], "data": list(data)}


_MODULES = {
    "twfe": "estimators.twfe", "event_study": "estimators.event_study", "att_gt": "estimators.did",
    "sun_abraham": "estimators.sun_abraham", "synthetic_control": "estimators.synthetic_control",
    "synthetic_did": "estimators.synthetic_did", "wild_cluster_bootstrap": "inference.wild_bootstrap",
    "randomization_inference": "inference.randomization", "conley_taber": "inference.conley_taber",
    "honest_did": "inference.honest_did",
}


def method(name: str):
    """The library function ``name`` imported from its own module.

    (A package attribute named like its submodule can resolve to the module once that
    submodule is imported; importing the function from the module avoids the ambiguity.)
    """
    import importlib

    module = importlib.import_module(f"sosek_impact.{_MODULES[name]}")
    return getattr(module, name)


def welch_gap(a, b, level: float) -> dict[str, float]:
    """Difference of means a - b with Welch's standard error and t interval."""
    import numpy as np
    from scipy import stats

    a = np.asarray(a, float)
    b = np.asarray(b, float)
    na, nb = len(a), len(b)
    out = {"mean_border": a.mean() if na else float("nan"), "mean_other": b.mean() if nb else float("nan"),
           "n_border": na, "n_other": nb}
    if na < 2 or nb < 2:
        return out | {"gap": float("nan"), "se": float("nan"), "conf_low": float("nan"), "conf_high": float("nan")}
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    se = float(np.sqrt(va + vb))
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    t = stats.t.ppf(0.5 + level / 2, df)
    gap = a.mean() - b.mean()
    return out | {"gap": gap, "se": se, "conf_low": gap - t * se, "conf_high": gap + t * se}
