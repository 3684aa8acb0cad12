"""Analysis 1, the effects table: one row per outcome x control group x estimator x inference.

The primary specification's row is labelled ``primary`` and written first; intervals that are the
whole line (too few assignments to reject anything) are written as "not informative (only N
assignments)", never as ``[-inf, inf]`` beside a finite MDE.
"""

from __future__ import annotations

from typing import Any

ANALYTICAL = ("influence function", "cluster-robust", "conservative analytical")


def _ratio(ratio, pre_rmspe) -> str:
    """Post/pre RMSPE ratio as a cell: two decimals, or why it is not informative."""
    if ratio is None or pre_rmspe is None or pre_rmspe < 1e-6:
        return "n/a (exact pre-fit)"
    return f"{ratio:.2f}"


def _finite(*xs) -> bool:
    import math

    return all(x is not None and math.isfinite(float(x)) for x in xs)


def _mde_cell(ft: dict[str, Any]) -> str:
    """The MDE cell: four decimals, or why there is none (the test cannot reject at any size)."""
    from sosek_impact.report.tables import round_for_print

    m = (ft.get("mde") or {}).get("mde") if ft else None
    if not ft or m is None:
        return ""
    return f"{round_for_print(m, 4):.4f}" if _finite(m) else "none (cannot reject)"


ESTIMATOR_IDS = {"cs": "Callaway-Sant'Anna", "sa": "Sun-Abraham", "twfe": "TWFE"}


def is_primary(spec: dict[str, Any], outcome: str, sample: str, r: dict[str, Any]) -> bool:
    """The one primary specification of the spec (outcome x sample x estimator; few-treated inference)."""
    p = spec.get("primary", {})
    return (outcome == p.get("outcome") and sample == p.get("sample")
            and r["estimator"].startswith(ESTIMATOR_IDS.get(p.get("estimator"), "?")))


def table_row(outcome: str, sample: str, r: dict[str, Any], extras: dict[str, Any], role: str = "robustness") -> dict[str, Any]:
    """One row of the effects table: the few-treated interval first where the estimator has one.

    An analytical (influence-function or cluster-robust) p-value of a row with one treated
    regency is not shown: it reflects only the controls' noise.
    """
    from sosek_impact.report.tables import format_interval, format_p, round_for_print

    ft = r.get("few_treated") or {}
    heterogeneity_robust = r["estimator"].startswith(("Callaway", "Sun-Abraham", "imputation"))
    one = extras["n_treated"] <= 1 and r["inference"].startswith(ANALYTICAL)
    return {"role": role, "outcome": outcome, "sample": sample, "estimator": r["estimator"], "treated": extras["n_treated"],
            "units": extras["n_units"], "years": f"{extras['years'][0]}-{extras['years'][1]}",
            "estimate": "" if r["estimate"] is None else f"{round_for_print(r['estimate'], 4):+.4f}",
            "few-treated 95% CI": (format_interval(ft.get("conf_low"), ft.get("conf_high"), assignments=ft.get("n_draws")) if ft else
                                   ("not available (see Not run)" if heterogeneity_robust else "")),
            "few-treated p": format_p(ft.get("p_value")) if ft else "",
            "MDE (5 %, 80 % power)": _mde_cell(ft),
            "inference": r["inference"], "95% CI": format_interval(r["conf_low"], r["conf_high"]),
            "p": "not meaningful (1 treated)" if one else format_p(r["p_value"])}
