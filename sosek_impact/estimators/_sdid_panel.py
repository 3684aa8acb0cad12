"""Panel checks and reshaping of synthetic DiD, and the residualisation on covariates."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sosek_impact.errors import (
    EstimationError,
    InputError,
    MissingValueError,
    SmallGroupError,
    TreatedInFirstPeriodError,
    UnbalancedPanelError,
)
from sosek_impact.estimators._checks import check_columns, check_numeric, check_time_column, check_unique_pairs
from sosek_impact.results_protocol import plain

__all__ = ["panel_frames", "panel_matrix", "residualise_on_covariates"]


def panel_frames(data: pd.DataFrame, y: str, unit: str, time: str, treat: str) -> tuple[pd.DataFrame, pd.Series, list[Hashable]]:
    """Outcome table (unit x period), first treated period of each treated unit, controls."""
    check_columns(data, [y, unit, time, treat])
    check_numeric(data, [y], unit, time)
    check_time_column(data, time, unit)
    check_unique_pairs(data, unit, time)
    tr = pd.to_numeric(data[treat], errors="coerce")
    bad = ~tr.isin([0, 1])
    if bad.any():
        raise InputError(
            "treatment must be 0 or 1", row=str(data.index[bad][0]), column=treat, value=data.loc[bad, treat].iloc[0]
        )
    Yw = data.pivot(index=unit, columns=time, values=y).sort_index(axis=1)
    Dw = data.assign(_d=tr).pivot(index=unit, columns=time, values="_d").sort_index(axis=1)
    if Yw.isna().to_numpy().any() or Dw.isna().to_numpy().any():
        u = Yw.index[Yw.isna().any(axis=1) | Dw.isna().any(axis=1)][0]
        t = Yw.columns[Yw.loc[u].isna() | Dw.loc[u].isna()][0]
        raise UnbalancedPanelError(f"synthetic DiD needs a balanced panel with no missing outcome; unit {plain(u)!r} lacks period {plain(t)!r}")
    ever = Dw.max(axis=1) > 0
    treated_units = list(Yw.index[ever])
    controls = list(Yw.index[~ever])
    if not treated_units:
        raise SmallGroupError("no treated unit")
    if len(controls) < 2:
        raise SmallGroupError(f"synthetic DiD needs at least 2 never-treated units; found {len(controls)}")
    times = list(Yw.columns)
    first = Dw.loc[treated_units].apply(lambda r: r.index[r.to_numpy() > 0][0], axis=1)
    for u, t0 in first.items():
        if not (Dw.loc[u, [t for t in times if t >= t0]] == 1).all():
            raise EstimationError(f"treatment must stay on once it starts (absorbing); unit {plain(u)!r} switches off")
        if t0 == times[0]:
            raise TreatedInFirstPeriodError(
                f"unit {plain(u)!r} is treated from the first period {plain(t0)!r}: no pre-treatment period"
            )
    return Yw, first, controls


def panel_matrix(
    Yw: pd.DataFrame, first: pd.Series, controls: list[Hashable]
) -> tuple[NDArray, list[Hashable], list[Any], int, Any]:
    """Block design as a matrix with controls and pre-periods first.

    Returns ``Y``, the treated units, the periods, the number of pre-periods and the first treated period.
    """
    if first.nunique() > 1:
        raise EstimationError("staggered adoption: use the cohort decomposition")
    treated_units = list(first.index)
    t0 = first.iloc[0]
    times = list(Yw.columns)
    Y = Yw.loc[controls + treated_units].to_numpy(dtype=float)
    return Y, treated_units, times, times.index(t0), t0


def residualise_on_covariates(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    treat: str,
    covariates: Sequence[str],
    fit: str = "all",
) -> tuple[pd.DataFrame, pd.Series]:
    """The outcome net of time-varying covariates, as a (unit x period) table, and the coefficients.

    The outcome is regressed by OLS on the covariates with unit and period dummies (an intercept,
    first levels dropped).

    * ``fit="all"`` (diff-diff 3.13's ``SyntheticDiD``): the regression uses every observation and
      the adjusted outcome is its residual plus the grand mean of the outcome (the unit and period
      effects are removed too; SDID's weights and estimate do not depend on them except through
      the noise level ``sigma``).
    * ``fit="untreated"`` (Kranz's ``xsynthdid``): the coefficients come from the untreated
      observations (``treat == 0``) only, so that the treatment effect cannot load on the
      covariates, and the adjusted outcome is ``y - X beta``.

    Raises
    ------
    SchemaError
        A covariate column is missing or not numeric.
    MissingValueError
        A covariate is missing for some (unit, period).
    InputError
        ``fit`` is neither ``"all"`` nor ``"untreated"``.
    EstimationError
        The covariates are collinear with the unit and period effects.
    """
    if fit not in ("all", "untreated"):
        raise InputError("covariate_fit must be 'all' or 'untreated'", column="covariate_fit", value=fit)
    covariates = list(covariates)
    check_columns(data, covariates)
    check_numeric(data, covariates, unit, time)
    X = data[covariates].to_numpy(dtype=float)
    miss = ~np.isfinite(X)
    if miss.any():
        r, c = np.argwhere(miss)[0]
        row = data.iloc[r]
        raise MissingValueError(
            f"covariate {covariates[c]!r} is missing at ({unit}, {time}) = ({plain(row[unit])!r}, {plain(row[time])!r}); "
            "synthetic DiD with covariates needs every covariate in every period",
            column=covariates[c], unit=plain(row[unit]), period=plain(row[time]),
        )
    yv = data[y].to_numpy(dtype=float)
    uc = pd.Categorical(data[unit])
    tc = pd.Categorical(data[time])
    n = len(data)
    D = np.zeros((n, 1 + X.shape[1] + len(uc.categories) - 1 + len(tc.categories) - 1))
    D[:, 0] = 1.0
    k = X.shape[1]
    D[:, 1:1 + k] = X
    ucode, tcode = uc.codes, tc.codes
    nu = len(uc.categories) - 1
    rows = np.arange(n)
    m = ucode > 0
    D[rows[m], 1 + k + ucode[m] - 1] = 1.0
    m = tcode > 0
    D[rows[m], 1 + k + nu + tcode[m] - 1] = 1.0
    sample = np.ones(n, dtype=bool) if fit == "all" else pd.to_numeric(data[treat]).to_numpy() == 0
    coef, _, rank, _ = np.linalg.lstsq(D[sample], yv[sample], rcond=None)
    if rank < D.shape[1]:
        raise EstimationError(
            f"covariates {covariates} are collinear with the unit and period effects (rank {rank} of {D.shape[1]})"
        )
    if fit == "all":
        adjusted = yv - D @ coef + yv.mean()
    else:
        adjusted = yv - X @ coef[1:1 + k]
    beta = pd.Series(coef[1:1 + k], index=pd.Index(covariates, name="covariate"), name="coefficient")
    Yw = data[[unit, time]].assign(_y=adjusted).pivot(index=unit, columns=time, values="_y").sort_index(axis=1)
    return Yw, beta
