"""True targets of the simulated panels: what an estimator should recover on a design.

The effect ``tau_it`` of :func:`~sosek_impact.simulate.simulate_staggered_panel` is a known
function of the cohort and the event time (column ``true_effect``), so the group-time effects
ATT(g, t) (:func:`true_att_gt`), their aggregations as R ``did::aggte`` weights them
(:func:`true_simple_att`, :func:`true_aggregate`) and the expectation of the static two-way
fixed-effects coefficient (:func:`twfe_estimand`) follow exactly from a simulated panel.
Re-exported by :mod:`sosek_impact.simulate`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["true_aggregate", "true_att_gt", "true_simple_att", "twfe_estimand"]


def true_att_gt(
    data: pd.DataFrame,
    *,
    unit: str = "unit",
    time: str = "time",
    group: str = "group",
    effect: str = "true_effect",
) -> pd.DataFrame:
    """True group-time effects ATT(g, t): the mean true effect of cohort ``g`` in period ``t``.

    Every (g, t) of every treated cohort is returned; pre-treatment cells (``t < g``)
    carry 0 because the DGP has no anticipation.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, time, att, n`` (``n`` units of the cohort), sorted.
    """
    treated = data[data[group] > 0]
    out = treated.groupby([group, time], sort=True).agg(att=(effect, "mean"), n=(unit, "nunique")).reset_index()
    return out.rename(columns={group: "group", time: "time"})


def true_simple_att(data: pd.DataFrame, *, group: str = "group", time: str = "time", effect: str = "true_effect") -> float:
    """True overall ATT as Callaway and Sant'Anna's ``simple`` aggregation defines it.

    ``sum_{g, t >= g} n_g ATT(g, t) / sum_{g, t >= g} n_g`` -- in a balanced panel, the mean
    true effect over all treated unit-periods.
    """
    post = (data[group] > 0) & (data[time] >= data[group])
    return float(data.loc[post, effect].mean()) if post.any() else float("nan")


def true_aggregate(
    data: pd.DataFrame,
    kind: Literal["simple", "group", "dynamic", "calendar"] = "simple",
    *,
    unit: str = "unit",
    time: str = "time",
    group: str = "group",
    effect: str = "true_effect",
) -> pd.DataFrame:
    """True aggregated effects, weighted by cohort size as in R ``did::aggte``.

    Parameters
    ----------
    kind
        ``"simple"``: one row (``egt`` = 0) with :func:`true_simple_att`.
        ``"group"``: for each cohort ``g`` the mean of ATT(g, t) over its post periods.
        ``"dynamic"``: for each event time ``e = t - g`` (all, including negative ones,
        whose truth is 0) the cohort-size-weighted mean of ATT(g, g + e) over the cohorts
        observed at ``e``.
        ``"calendar"``: for each period ``t`` the cohort-size-weighted mean of ATT(g, t)
        over cohorts already treated at ``t``.

    Returns
    -------
    pandas.DataFrame
        Columns ``egt, att``; ``attrs["overall_att"]`` holds the overall summary that
        ``aggte`` reports (simple ATT; mean over cohorts weighted by size for ``group``;
        mean over ``e >= 0`` for ``dynamic``; mean over periods for ``calendar``).
    """
    cells = true_att_gt(data, unit=unit, time=time, group=group, effect=effect)
    cells["e"] = cells["time"] - cells["group"]
    post = cells[cells["e"] >= 0]
    if kind == "simple":
        out = pd.DataFrame({"egt": [0], "att": [true_simple_att(data, group=group, time=time, effect=effect)]})
        overall = float(out["att"].iloc[0])
    elif kind == "group":
        out = post.groupby("group")["att"].mean().rename_axis("egt").reset_index()
        sizes = post.groupby("group")["n"].first()
        overall = float(np.average(out["att"], weights=sizes.loc[out["egt"]].to_numpy()))
    elif kind == "dynamic":
        out = (
            cells.groupby("e")[["att", "n"]]
            .apply(lambda d: np.average(d["att"], weights=d["n"]))
            .rename("att")
            .rename_axis("egt")
            .reset_index()
        )
        overall = float(out.loc[out["egt"] >= 0, "att"].mean())
    elif kind == "calendar":
        out = (
            post.groupby("time")[["att", "n"]]
            .apply(lambda d: np.average(d["att"], weights=d["n"]))
            .rename("att")
            .rename_axis("egt")
            .reset_index()
        )
        overall = float(out["att"].mean())
    else:
        raise ValueError(f"kind must be 'simple', 'group', 'dynamic' or 'calendar', got {kind!r}")
    out.attrs["overall_att"] = overall
    return out


def twfe_estimand(
    data: pd.DataFrame,
    *,
    unit: str = "unit",
    time: str = "time",
    treat: str = "treat",
    effect: str = "true_effect",
) -> float:
    """Expected value of the static two-way fixed-effects DiD coefficient on this design.

    With ``y = alpha_i + lambda_t + tau_it D_it + e_it`` and mean-zero errors, the TWFE
    coefficient is linear in ``y``, the fixed effects are absorbed exactly, and its
    expectation is the TWFE coefficient of ``tau_it D_it`` on ``D_it``:
    ``sum(D~ * tau D) / sum(D~^2)`` with ``D~`` the two-way demeaned treatment
    (Goodman-Bacon 2021; de Chaisemartin and D'Haultfoeuille 2020). Comparing it with
    :func:`true_simple_att` measures the bias of TWFE under heterogeneous effects.

    Requires a balanced panel (two-way demeaning is then exact).
    """
    D = data.pivot(index=unit, columns=time, values=treat).to_numpy(dtype=float)
    tau = data.pivot(index=unit, columns=time, values=effect).to_numpy(dtype=float)
    if np.isnan(D).any():
        raise ValueError("twfe_estimand needs a balanced panel")
    Dt = D - D.mean(axis=1, keepdims=True) - D.mean(axis=0, keepdims=True) + D.mean()
    return float((Dt * tau * D).sum() / (Dt**2).sum())
