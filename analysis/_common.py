"""Helpers shared by the study scripts: specs, data, results with provenance, safe calls.

The scripts of ``analysis/`` read their choices from ``analysis/specs/*.toml``; nothing
about the study is decided here beyond how results are stored.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Where results, figures and tables go: the repository, unless ``SOSEK_STUDY_OUTPUT_ROOT`` names
# another folder (the perturbation test re-runs the study's tasks into a temporary one).
OUTPUT_ROOT = Path(os.environ["SOSEK_STUDY_OUTPUT_ROOT"]) if os.environ.get("SOSEK_STUDY_OUTPUT_ROOT") else ROOT
RESULTS = OUTPUT_ROOT / "reports" / "results"
FIGURES = OUTPUT_ROOT / "reports" / "figures"
TABLES = OUTPUT_ROOT / "reports" / "tables"


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a TOML specification; ``spec["_path"]`` keeps its path relative to the root."""
    path = Path(path)
    if not path.is_absolute():
        path = ROOT / path
    with open(path, "rb") as fh:
        spec = tomllib.load(fh)
    spec["_path"] = path.relative_to(ROOT).as_posix()
    return spec


def clean(obj: Any, digits: int | None = None, key: str = "") -> Any:
    """JSON-safe copy: numpy scalars to Python, floats rounded, NaN to None, keys as str.

    Floats are rounded by the one rounding rule of every writer
    (:func:`sosek_impact.report.tables.round_stored`): ``STORED_SIGNIFICANT`` significant digits at
    an absolute resolution of ``STORED_RESOLUTION``, and p-values (keys named like ``p_value``)
    to ``STORED_P_SIGNIFICANT`` significant digits; so last-bit noise of another machine's BLAS
    does not change a stored result. ``digits`` overrides the significant digits.
    """
    from sosek_impact.report.tables import STORED_SIGNIFICANT, is_pvalue_key, round_pvalue, round_stored

    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(obj, dict):
        return {str(k): clean(v, digits, str(k)) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v, digits, key) for v in obj]
    if np is not None and isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, bool) or obj is None or isinstance(obj, int | str):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        if digits is None and is_pvalue_key(key):
            return round_pvalue(obj)
        return round_stored(obj, STORED_SIGNIFICANT if digits is None else digits)
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
        # no absolute paths in the record (an ImportError names the module file): outputs stay
        # byte-identical wherever the study runs
        message = f"{type(exc).__name__}: {exc}".replace(str(ROOT) + "/", "").replace(str(ROOT), ".")
        log.append({"what": label, "error": message[:400],
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
    "honest_did": "inference.honest_did", "did_imputation": "estimators.imputation",
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


# --------------------------------------------------------------------------------------------
# few-treated inference: ONE entry point for every script
# --------------------------------------------------------------------------------------------

FEW_TREATED_METHOD = "randomisation inference over adoption timing, inverted for a constant effect"


def few_treated_interval(data, y: str, unit: str, time: str, group: str, *, estimator: str = "cs",
                         aggregate: str = "simple", control: str | None = None, n_draws: int = 999,
                         alpha: float = 0.05, seed: int = 0, power: float = 0.8, scale: str = "pre_period") -> dict[str, Any]:
    """Estimate, p-value and interval valid with few treated units, for one overall estimate.

    The one place the study obtains few-treated intervals: randomisation inference over adoption
    timing with exact test inversion for a constant effect
    (``sosek_impact.inference.few_treated_inference``, whose coverage at the study's shapes is in
    docs/monte_carlo.md).

    Parameters
    ----------
    data
        Balanced long panel with the columns named below.
    y, unit, time, group
        Outcome, unit, period and first-treated-period (0 = never) columns.
    estimator, aggregate, control
        ``"cs"``, ``"sa"`` or ``"imputation"``; the aggregate whose overall estimate is tested;
        the comparison group (``None``: the estimator's standard one).
    n_draws, alpha, seed
        Permutations (or fewer assignments, enumerated), one minus the level, seed.
    power, scale
        Power of the minimum detectable effect; the noise scaling of the test (``"pre_period"``, the
        library default that holds with noisier treated units, or ``"none"``, the equal-variance test).

    Returns
    -------
    dict
        ``estimate, conf_low, conf_high, p_value, method, n_draws, exact, library`` and
        ``distribution_placebo``: the estimate at every assignment drawn except the observed one
        (when enumerated), for the minimum detectable effect.
    """
    import warnings

    import numpy as np

    from sosek_impact.inference import few_treated_inference

    with warnings.catch_warnings():
        # single-unit cohorts and coarse attainable levels: stated in the report, noise here
        warnings.simplefilter("ignore")
        r = few_treated_inference(data, y, unit, time, group, estimator=estimator, aggregate=aggregate,
                                  method="randomization", control=control, n_draws=n_draws, alpha=alpha, seed=seed,
                                  scale=scale)
    k = 0
    dist = np.asarray(r.distribution[r.terms[k]], float)
    if r.exact and getattr(r, "assignments", None) is not None:
        g_obs = data.groupby(unit)[group].first().sort_index().to_numpy(float)
        g_obs[~(g_obs > 0) | (g_obs > float(data[time].max()))] = 0.0
        dist = dist[~np.all(np.asarray(r.assignments, float) == g_obs[None, :], axis=1)]
    # critical values are (lower, upper) of the estimate's rejection region under the null; the symmetric RI one is (-c, c)
    crit = float(np.max(np.abs(np.asarray(r.critical_values[k], float)))) if r.critical_values is not None else math.nan
    mde = {"critical": crit, "mde": float(r.mde(power)[k]), "n_placebos": int(dist.size), "alpha": alpha, "power": power,
           "reason": str(getattr(r, "mde_reason", "") or ""),
           "method": "FewTreatedResult.mde: design-based power of the randomisation test "
                     "(each clean placebo assignment plays the treated)"}
    return {"estimate": float(r.estimate[k]), "conf_low": float(r.conf_low[k]), "conf_high": float(r.conf_high[k]),
            "p_value": float(r.p_value[k]), "method": FEW_TREATED_METHOD, "n_draws": int(r.n_draws),
            "exact": bool(r.exact), "library": "few_treated_inference", "mde": mde, "distribution_placebo": dist}


def p_text(p: Any) -> str:
    """A p-value as plain text (``< 0.001`` below one in a thousand, ``n/a`` if missing), for ``Report.number``."""
    from sosek_impact.results_protocol import format_pvalue

    return "n/a" if p is None else format_pvalue(float(p))


def p_html(p: Any) -> str:
    """A p-value for the report's HTML: ``&lt; 0.001`` below one in a thousand, ``n/a`` if missing."""
    import html

    from sosek_impact.results_protocol import format_pvalue

    return "n/a" if p is None else html.escape(format_pvalue(float(p)))


def minimum_detectable_effect(placebo, alpha: float = 0.05, power: float = 0.8) -> dict[str, float]:
    """What effect a placebo-in-space rank test could detect, in the statistic's units.

    ``critical``: the smallest ``|estimate|`` the two-sided rank test at ``alpha`` rejects (it
    rejects when at most ``floor(alpha (n + 1)) - 1`` of the ``n`` placebos are at least as
    extreme). ``mde``: the smallest effect ``tau >= 0`` detected with probability ``power`` when
    the treated unit's noise is a draw from the placebo distribution and a new panel brings new
    placebos (the library's :func:`~sosek_impact.inference.few_treated_power.rank_test_mde`,
    which also serves the few-treated randomisation test). With fewer than ``1 / alpha - 1``
    placebos the test cannot reject at all: ``critical`` and ``mde`` are then infinite (stored as
    missing, printed "none (cannot reject)").
    """
    import numpy as np

    from sosek_impact.inference.few_treated_power import rank_test_mde
    from sosek_impact.inference.few_treated_ri import critical_value

    e = np.asarray(placebo, float)
    e = e[np.isfinite(e)]
    out = {"n_placebos": int(e.size), "alpha": alpha, "power": power}
    if e.size < 2:
        return {"critical": math.nan, "mde": math.nan, **out}
    return {"critical": critical_value(e, alpha, exact=False), "mde": rank_test_mde(e, alpha, power), **out}
