"""The programs the village-scale benchmark times, and the seeded panel (see ``village.py``).

Each fit takes the panel and returns plain numbers (lists) for the agreement checks, plus
``_res`` for a follow-up step on the same fit (CS dynamic aggregation).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.simulate import default_cohorts, simulate_staggered_panel

N_UNITS = 84_000
N_PERIODS = 25
N_COHORTS = 10
TREATED_SHARE = 0.3
SEED = 2026


# --------------------------------------------------------------------------- the panel


def village_panel(scale: float = 1.0) -> pd.DataFrame:
    """The seeded village-size panel: ``scale * 84,000`` units x 25 years, 10 cohorts, 30 % treated."""
    n = int(round(N_UNITS * scale))
    periods = np.arange(2000, 2000 + N_PERIODS)
    cohorts = default_cohorts(int(TREATED_SHARE * n), periods, n_cohorts=N_COHORTS)
    return simulate_staggered_panel(n, N_PERIODS, cohorts=cohorts, effect="dynamic", effect_size=0.5, seed=SEED)


# --------------------------------------------------------------------------- programs


def _quiet(fn):
    def run(*a, **k):
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return fn(*a, **k)

    return run


def ours_cs(d: pd.DataFrame) -> dict[str, Any]:
    from sosek_impact.estimators import att_gt

    res = att_gt(d, y="y", unit="unit", time="time", group="group", control="never", method="dr")
    simple = res.aggregate("simple")
    t = res.table
    return {"cells": [t["group"].tolist(), t["time"].tolist(), t["att"].tolist(), t["se"].tolist()],
            "simple": [simple.overall_att, simple.overall_se], "_res": res}


def ours_cs_dynamic(res: Any) -> dict[str, Any]:
    dyn = res.aggregate("dynamic")
    return {"dynamic": [dyn["egt"].tolist(), dyn["att"].tolist(), dyn["se"].tolist()],
            "dynamic_overall": [dyn.overall_att, dyn.overall_se]}


def csdid_cs(d: pd.DataFrame) -> dict[str, Any]:
    from csdid.att_gt import ATTgt

    out = ATTgt(yname="y", gname="group", idname="unit", tname="time", xformla="y~1", data=d).fit(
        est_method="dr", bstrap=False)
    out.aggte(typec="simple", bstrap=False)
    r = out.results
    return {"cells": [list(map(float, r["group"])), list(map(float, r["year"])), list(map(float, r["att"])),
                      list(map(float, r["se"]))],
            "simple": [float(out.atte["overall_att"]), float(out.atte["overall_se"])], "_res": out}


def csdid_cs_dynamic(out: Any) -> dict[str, Any]:
    out.aggte(typec="dynamic", bstrap=False)
    a = out.atte
    return {"dynamic": [list(map(float, a["egt"])), list(map(float, a["att_egt"])),
                        list(map(float, np.ravel(a["se_egt"])))],
            "dynamic_overall": [float(a["overall_att"]), float(a["overall_se"])]}


def differences_cs(d: pd.DataFrame) -> dict[str, Any]:
    import differences

    d2 = d[["unit", "time", "y", "group"]].assign(group=d["group"].replace(0, np.nan)).set_index(["unit", "time"])
    att = differences.ATTgt(data=d2, cohort_column="group")
    att.fit(formula="y", control_group="never_treated", est_method="dr", progress_bar=False)
    agg = att.aggregate("simple")
    cells = att.results().reset_index()
    cells.columns = ["_".join(str(c) for c in col if c) if isinstance(col, tuple) else col for col in cells.columns]
    return {"cells": [cells["cohort"].astype(float).tolist(), cells["time"].astype(float).tolist(),
                      cells.filter(like="ATT").iloc[:, 0].tolist(), cells.filter(like="std_error").iloc[:, 0].tolist()],
            "simple": [float(agg.iloc[0, 0]), float(agg.iloc[0, 1])], "_res": att}


def differences_cs_dynamic(att: Any) -> dict[str, Any]:
    agg = att.aggregate("event", overall=False).reset_index()
    agg.columns = ["_".join(str(c) for c in col if c) if isinstance(col, tuple) else col for col in agg.columns]
    return {"dynamic": [agg.iloc[:, 0].astype(float).tolist(), agg.filter(like="ATT").iloc[:, 0].tolist(),
                        agg.filter(like="std_error").iloc[:, 0].tolist()]}


def ours_sa(d: pd.DataFrame) -> dict[str, Any]:
    from sosek_impact.estimators import sun_abraham

    r = sun_abraham(d, y="y", unit="unit", time="time", group="group")
    c = r.cohort_table
    return {"coef": [c["cohort"].astype(float).tolist(), c["rel_time"].astype(float).tolist(), c["att"].tolist(),
                     c["se"].tolist()], "overall": [r.overall_att, r.overall_se]}


def pyfixest_sa(d: pd.DataFrame) -> dict[str, Any]:
    import pyfixest as pf

    fit = pf.event_study(d[["unit", "time", "y", "group"]], yname="y", idname="unit", tname="time", gname="group",
                         estimator="saturated", cluster="unit")
    tidy = fit.tidy().reset_index()
    parts = tidy["Coefficient"].str.extract(r".+::(?P<rel>.+):.+::(?P<cohort>.+)")
    return {"coef": [parts["cohort"].astype(float).tolist(), parts["rel"].astype(float).tolist(),
                     tidy["Estimate"].astype(float).tolist(), tidy["Std. Error"].astype(float).tolist()]}


def ours_twfe(d: pd.DataFrame) -> dict[str, Any]:
    from sosek_impact.estimators import twfe

    r = twfe(d, y="y", unit="unit", time="time", treat="treat")
    return {"coef": [float(r.params["treat"]), float(r.std_errors["treat"])]}


def pyfixest_twfe(d: pd.DataFrame) -> dict[str, Any]:
    import pyfixest as pf

    m = pf.feols("y ~ treat | unit + time", data=d, vcov={"CRV1": "unit"})
    return {"coef": [float(m.coef()["treat"]), float(m.se()["treat"])]}


#: (task, program) -> (fit, follow-up on the fit's result or None)
PROGRAMS = {
    ("cs", "sosek_impact"): (ours_cs, ours_cs_dynamic),
    ("cs", "csdid"): (_quiet(csdid_cs), _quiet(csdid_cs_dynamic)),
    ("cs", "differences"): (_quiet(differences_cs), _quiet(differences_cs_dynamic)),
    ("sa", "sosek_impact"): (ours_sa, None),
    ("sa", "pyfixest"): (_quiet(pyfixest_sa), None),
    ("twfe", "sosek_impact"): (ours_twfe, None),
    ("twfe", "pyfixest"): (_quiet(pyfixest_twfe), None),
}
