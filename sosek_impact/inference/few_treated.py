"""Few-treated inference for the heterogeneity-robust staggered DiD estimators.

:func:`few_treated_inference` puts an interval and a p-value that are meant to hold with one or two
treated units per cohort beside the point estimates of Callaway–Sant'Anna (``"cs"``),
Sun–Abraham (``"sa"``) or the imputation estimator (``"imputation"``), aggregated as ``"simple"``,
``"dynamic"`` or ``"group"``. The interval and the p-value always come from one test: the
interval is the set of effects the test does not reject, the p-value that test at zero, so
``p <= alpha`` exactly when the interval excludes 0.

Noise scaling (``scale``). The treated regencies may be noisier than the controls (smaller
populations). With ``scale="pre_period"`` (default) each unit gets a noise scale ``s_i`` from its
two-way demeaned outcomes in the periods before the first cohort (untreated for every unit under
every re-assignment; :mod:`~sosek_impact.inference.few_treated_scale`). ``scale="none"`` assumes
equal noise (the method before scaling; it over-rejects when the treated units are noisier:
Ferman & Pinto 2019).

``"randomization"``
    Re-assign the first-treated periods across eligible units (within ``strata``), keeping the
    cohort sizes; all distinct assignments when there are at most ``n_draws``, else ``n_draws``
    random ones. The statistic of assignment ``pi`` is the estimate divided by
    ``sqrt(V_pi)``, ``V_pi = sum_i s_i^2 w_{pi,i}' R w_{pi,i}`` (``R`` the noise correlation over
    time; ``V`` is constant under ``scale="none"``, so the test is then the unstudentised one).
    ``V`` does not depend on the effect tested, so the statistic stays linear in it and the
    interval is the exact inversion of the test (closed-form breakpoints, no grid):
    post-treatment terms (simple, group, dynamic ``e >= 0``) invert *a constant effect ``tau`` in
    every treated cell*, ``Y(0) = Y - tau D``; a pre-treatment dynamic term ``e < 0`` inverts *an
    effect ``delta`` in the cells at event time ``e`` and none elsewhere* (its scales leave those
    cells out), so its interval is a placebo check that is exact only if post-treatment effects are
    zero too. **Valid** when adoption timing is as good as randomly assigned among the eligible
    units (within strata) and, after dividing each unit's noise by its scale, the noise paths are
    exchangeable across units (exact then, under the sharp null, up to ``R`` being estimated from
    the observed controls); with heterogeneous effects the constant-effect null is false for every
    ``tau`` (see ``docs/few_treated.md`` for the coverage then).
``"conley_taber"``
    The estimator's error ``sum_i w_i' eps_i`` is simulated by pairing each treated unit's weights
    with never-treated units' residual paths, each rescaled by ``s_j / s_l`` (Ferman–Pinto), plus a
    normal term for the comparison units' own errors
    (:mod:`~sosek_impact.inference.few_treated_ct`); equal-tailed test and its inversion.
    **Asymptotically valid** as the number of never-treated units grows, with the treated units
    fixed, if error paths are independent across units and, after rescaling, identically
    distributed for treated and comparison units (serial correlation allowed); heterogeneous
    effects are allowed (the estimators' weights reproduce their estimand exactly).
``"wild_bootstrap"``
    Restricted wild cluster bootstrap of the estimator's regression form, in
    ``sosek_impact.inference.wild_did`` (see there; ``scale`` does not apply).

What no scaling can catch: noise that appears only after treatment (idiosyncratic effects, a
series that changes its measurement when a post opens). The scales are measured before the first
cohort and assumed to hold after it; so is the noise correlation ``R``.

All three rely on the estimators being linear in the outcome for a fixed design
(:mod:`~sosek_impact.inference.few_treated_weights`). The joint lead test under the same
inference is :func:`sosek_impact.inference.few_treated_pretest.few_treated_pretest`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from importlib import import_module
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.estimators._options import check_choice
from sosek_impact.errors import GroupColumnError
from sosek_impact.estimators._checks import check_panel, never_treated_mask
from sosek_impact.inference.few_treated_args import (
    check_options,
    check_randomization_only,
    default_control,
    randomization_blocks,
)
from sosek_impact.inference.few_treated_core import infer_linear, linear_design
from sosek_impact.inference.few_treated_result import (
    FewAssignmentsWarning,
    FewControlsWarning,
    FewPrePeriodsWarning,
    FewTreatedResult,
    FewTreatedWarning,
    NoiseRatioWarning,
    UnknownScaleError,
)
from sosek_impact.inference.few_treated_scale import SCALES
from sosek_impact.inference.few_treated_weights import AGGREGATES

__all__ = [
    "FewAssignmentsWarning",
    "FewControlsWarning",
    "FewPrePeriodsWarning",
    "FewTreatedWarning",
    "NoiseRatioWarning",
    "SCALES",
    "UnknownScaleError",
    "few_treated_inference",
    "infer_linear",
    "linear_design",
]

METHODS = ("randomization", "conley_taber", "wild_bootstrap")
ESTIMATORS = ("cs", "sa", "imputation")

def _panel(data: pd.DataFrame, y: str, unit: str, time: str, group: str, need_never: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # check_panel recodes groups after the last period as never treated and warns about it (once)
    data = check_panel(data, y=y, unit=unit, time=time, group=group, need_never_treated=need_never,
                       allow_after_last=True)
    if not pd.api.types.is_numeric_dtype(data[y]):
        raise GroupColumnError(f"outcome column {y!r} must be numeric, got dtype {data[y].dtype}")
    df = data.sort_values([unit, time], kind="mergesort")
    periods = np.sort(pd.unique(df[time])).astype(float)
    units = pd.unique(df[unit])
    n, T = len(units), len(periods)
    Y = df[y].to_numpy(dtype=float).reshape(n, T)
    if not np.isfinite(Y).all():
        i, t = np.argwhere(~np.isfinite(Y))[0]
        raise GroupColumnError(f"outcome column {y!r} is not finite at ({unit}={units[i]!r}, {time}={periods[t]:g})")
    g = df[group].to_numpy(dtype=float, na_value=np.nan)[:: T]
    g = np.where(never_treated_mask(g), 0.0, g)
    g = np.where(g > periods[-1], 0.0, g)  # already recoded by check_panel; kept for safety
    return Y, g, periods, units


def few_treated_inference(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    group: str,
    *,
    estimator: str = "cs",
    aggregate: str = "simple",
    method: str = "randomization",
    control: str | None = None,
    n_draws: int = 999,
    alpha: float = 0.05,
    seed: int | None = 0,
    eligible: str | Sequence[Any] | None = None,
    strata: str | None = None,
    min_e: float | None = None,
    max_e: float | None = None,
    scale: str = "pre_period",
) -> FewTreatedResult:
    """Few-treated intervals and p-values for CS, Sun–Abraham or imputation estimates.

    Parameters
    ----------
    data
        Balanced long panel, one row per (unit, time), no missing outcome.
    y, unit, time, group
        Outcome, unit, period and first-treated-period columns (0 or missing: never treated; a
        period after the last counts as never treated, with a warning).
    estimator
        ``"cs"`` (Callaway–Sant'Anna, unconditional; equal to ``att_gt`` with ``method="reg"`` or
        ``"dr"`` without covariates), ``"sa"`` (Sun–Abraham, never-treated controls) or
        ``"imputation"`` (Borusyak–Jaravel–Spiess).
    aggregate
        ``"simple"``, ``"dynamic"`` (one term per event time, labelled ``"e=-17"``, ``"e=0"``) or
        ``"group"``.
    method
        ``"randomization"``, ``"conley_taber"`` or ``"wild_bootstrap"`` (module docstring).
    control
        ``"never"`` or ``"not_yet"`` (CS and imputation); ``None`` (default) takes each estimator's
        standard choice: never-treated controls for CS and Sun–Abraham, every untreated observation
        (``"not_yet"``) for the imputation estimator, as in :func:`~sosek_impact.estimators.did_imputation`.
    n_draws
        Random assignments / pairings / bootstrap draws; the randomisation test enumerates every
        distinct assignment, and Conley–Taber every pairing, when there are at most this many.
    alpha
        1 − coverage of the intervals.
    seed
        Seed of the random draws.
    eligible
        Units that may receive a treatment timing in the re-assignment: a boolean unit-level column
        or a list of unit ids (default all). Randomisation only.
    strata
        Unit-level column; re-assign only within its levels. Randomisation only.
    min_e, max_e
        Event-time window (as :meth:`ATTgtResult.aggregate`).
    scale
        ``"pre_period"`` (default): robust to treated units that are noisier (or quieter) than the
        controls. Each unit gets a noise scale ``s_i`` from its two-way demeaned outcomes in the
        periods before the first cohort (:mod:`~sosek_impact.inference.few_treated_scale`);
        randomisation inference studentises every re-assigned estimate by
        ``V_pi = sum_i s_i^2 w_{pi,i}' R w_{pi,i}``, Conley–Taber rescales a control path standing
        in for treated unit ``j`` by ``s_j / s_l`` (Ferman & Pinto 2019). ``"none"``: equal noise
        assumed (the method before scaling; kept for comparison). Not used by the wild bootstrap
        (its CR1 statistic is studentised already). Valid after scaling if each unit's noise has
        the same scale after treatment as before; noise that appears only after treatment is not
        seen.

    Returns
    -------
    FewTreatedResult
        Estimates, intervals (possibly infinite), p-values of no effect from the same test, the
        draws behind each term, critical values and :meth:`~FewTreatedResult.mde`, the
        treated/control pre-period variance ratio, and warnings about the panel's support.

    Warns
    -----
    FewAssignmentsWarning
        Fewer than ``1 / alpha`` distinct assignments (the test cannot reject at ``alpha``: the
        interval is the whole line, critical value and MDE infinite), or fewer than ``20 / alpha``
        (attainable levels are coarse).
    FewControlsWarning
        Fewer than 20 never-treated units, or fewer than ``2 / alpha`` distinct pairings for a term.
    NoiseRatioWarning
        Treated units' pre-period residual variance is far from the controls' (ratio outside
        ``[1/1.5, 1.5]`` with permutation p < 0.05); says which way an unscaled interval errs.
    FewPrePeriodsWarning
        Fewer than two periods before the first cohort: no scale can be estimated, equal noise is
        assumed (the result's ``scale`` is then ``"none"``).

    Raises
    ------
    UnknownScaleError
        ``scale`` not in :data:`SCALES` (a ``ValueError``; the message lists the choices).
    ValueError, NotImplementedError, EstimationError and the panel checks' typed errors.
    """
    check_options(estimator, ESTIMATORS, method, METHODS, scale, aggregate=aggregate, aggregates=AGGREGATES)
    control = default_control(estimator, control)
    check_choice("control", control, ("never", "not_yet"))
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if int(n_draws) != n_draws or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}")
    check_randomization_only(method, eligible, strata)
    if method == "wild_bootstrap":
        if estimator == "cs":
            raise ValueError("method='wild_bootstrap' needs a regression form of the estimator: Callaway-Sant'Anna has "
                             "no regression form; use estimator='sa' or 'imputation', or method='randomization'")
        try:
            wild = import_module("sosek_impact.inference.wild_did").wild_bootstrap_did
        except (ImportError, AttributeError) as exc:
            raise NotImplementedError(
                "method='wild_bootstrap' needs sosek_impact.inference.wild_did.wild_bootstrap_did, "
                f"which this installation lacks ({exc})"
            ) from exc
        return wild(data, y, unit, time, group, estimator=estimator, aggregate=aggregate, control=control,
                    n_boot=int(n_draws), alpha=alpha, seed=seed, min_e=min_e, max_e=max_e)

    Y, g, periods, units = _panel(data, y, unit, time, group, need_never=(control == "never" or method == "conley_taber"))
    terms, W, X = linear_design(g, periods, estimator, aggregate, control, min_e, max_e)
    blocks = None
    if method == "randomization":
        blocks = randomization_blocks(data, unit, units, eligible, strata)
    res = infer_linear(Y, g, periods, terms, W, X, method=method, scale=scale, n_draws=int(n_draws), alpha=alpha,
                       seed=seed, blocks=blocks, units=units, estimator=estimator, aggregate=aggregate)
    for msg, cls in res.pop("notes"):
        warnings.warn(msg, cls, stacklevel=2)
    settings = dict(y=y, unit=unit, time=time, group=group, control=control, n_draws=int(n_draws), seed=seed,
                    eligible=eligible, strata=strata, min_e=min_e, max_e=max_e, scale=scale)
    return FewTreatedResult(estimator=estimator, aggregate=aggregate, method=method, settings=settings, **res)


