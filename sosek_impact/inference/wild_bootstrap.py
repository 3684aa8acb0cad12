"""Restricted wild cluster bootstrap (WCR) for one coefficient of a linear fixed-effects model.

Method: Cameron, Gelbach & Miller (2008); the fast algorithm of Roodman, MacKinnon, Nielsen &
Webb (2019, "Fast and wild", Stata Journal 19(1)) and MacKinnon, Nielsen & Webb (2023, "Fast and
reliable jackknife and bootstrap methods for cluster-robust inference", J. Appl. Econometrics).

After the fixed effects nested in the clusters are partialled out (they commute with the
cluster-constant weights) and the other fixed effects are added as dummy columns, every
bootstrap quantity is a linear function of the ``G`` weights of a draw ``v``:

* numerator ``β*_j − r = Σ_g v_g s_g(r)`` with ``s_g = Σ_{i∈g} a_i ũ_i``, ``a = x̃/(x̃'x̃)`` the
  Frisch–Waugh weights of coefficient ``j`` and ``ũ`` the restricted residuals;
* cluster scores of the CRV1 variance ``(C(r) v)_g`` with the ``G×G`` matrix
  ``C(r) = diag(s(r)) − P (X'X)^{-1} Q(r)'``, ``P_g = a_g'X_g``, ``Q_h = X_h'ũ_h``.

Since ``ũ(r) = ũ(0) − r x̃`` is linear in the null value ``r``, the statistics of all draws at any
``r`` follow from five ``B``-vectors computed once, so that inverting the test for a confidence
interval costs ``O(B)`` per evaluated ``r``. The cost of the draws is one ``(B×G)·(G×G)`` product
(two with an interval); no ``O(N)`` work is done per draw.

This module is the front end (formula, design, fixed effects, checks); the draws are in
:mod:`.wild_bootstrap_draws` and the result object in :mod:`.wild_bootstrap_result` (both
re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError
from sosek_impact.estimators._checks import check_choice, check_columns, check_missing
from sosek_impact.inference.wild_bootstrap_draws import bootstrap_weights, wild_bootstrap_core
from sosek_impact.inference.wild_bootstrap_result import WildBootstrapResult

__all__ = ["wild_cluster_bootstrap", "wild_cluster_bootstrap_from", "WildBootstrapResult", "bootstrap_weights",
           "wild_bootstrap_core"]


def _design(
    data: pd.DataFrame, x: Sequence[str], fe: Sequence[str], cl: np.ndarray, weights: None = None
) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Regressor matrix after partialling out the fixed effects nested in the clusters."""
    from sosek_impact.estimators.twfe import _nested, factorize

    nested, other = [], []
    for f in fe:
        codes = factorize(data[f])[0]
        (nested if _nested(codes, cl) else other).append(f)
    cols = [data[list(x)].to_numpy(dtype=float)]
    names = list(x)
    if not nested:
        cols.append(np.ones((len(data), 1)))
        names.append("(intercept)")
    for f in other:
        dummies = pd.get_dummies(data[f], prefix=f, prefix_sep="=", drop_first=True, dtype=float)
        cols.append(dummies.to_numpy())
        names.extend(dummies.columns.astype(str))
    X = np.column_stack(cols)
    return X, names, nested, other


def wild_cluster_bootstrap(
    data: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    param: str | None = None,
    cluster: str | None = None,
    *,
    fe: str | Sequence[str] | None = None,
    weights_type: str = "rademacher",
    B: int = 9999,
    null: float = 0.0,
    restricted: bool = True,
    seed: int | None = None,
    alpha: float = 0.05,
    ci: bool = True,
    pval_type: str = "symmetric",
    full_enumeration: bool | None = None,
) -> WildBootstrapResult:
    """Wild cluster bootstrap test and confidence interval for one coefficient.

    Parameters
    ----------
    data
        Long data frame.
    y
        Outcome column, or a formula ``"y ~ x1 + x2 | fe1 + fe2"`` (then ``x`` and ``fe`` are
        taken from it and must not be given).
    x
        Regressor column(s); ``param`` must be one of them.
    param
        The tested coefficient.
    cluster
        Column of the (single) clustering variable; the bootstrap draws one weight per cluster.
    fe
        Fixed-effect columns. Those nested in ``cluster`` (e.g. the unit when clustering by unit
        or province) are partialled out; the others (e.g. years) enter as dummy columns. Without
        fixed effects an intercept is included.
    weights_type
        ``"rademacher"`` or ``"webb"`` (better with fewer than ~12 clusters).
    B
        Number of draws; with Rademacher weights and ``2^G ≤ B`` all ``2^G`` vectors are used.
    null
        Hypothesised value ``r`` of the coefficient.
    restricted
        Impose the null on the bootstrap DGP (WCR, recommended); ``False`` gives WCU.
    seed
        Seed of :func:`numpy.random.default_rng`; results are reproducible for a given seed.
    alpha
        Test level; the interval has coverage ``1 − alpha``.
    ci
        Also invert the test for a confidence interval.
    pval_type
        ``"symmetric"`` (``|t*| ≥ |t|``), ``"equal-tailed"`` (twice the smaller tail),
        ``"greater"`` (``t* ≥ t``) or ``"less"`` (``t* ≤ t``). Ties count as at least as extreme.
    full_enumeration
        Force (``True``) or forbid (``False``) enumerating all weight vectors; default automatic.

    Returns
    -------
    WildBootstrapResult
    """
    if "~" in y:
        if x is not None or fe is not None:
            raise ValueError("give either a formula or y, x and fe, not both")
        y, x, fe = _parse_formula(y)
    if x is None or param is None or cluster is None:
        raise ValueError("x (or a formula), param and cluster are required")
    x = [x] if isinstance(x, str) else list(x)
    fe = [] if fe is None else ([fe] if isinstance(fe, str) else list(fe))
    check_columns(data, [y, cluster, *x, *fe])
    check_missing(data, [y, cluster, *x, *fe])
    if param not in x:
        raise EstimationError(f"param {param!r} is not among the regressors {x}")
    check_choice("pval_type", pval_type, ("symmetric", "equal-tailed", "greater", "less"))
    from sosek_impact.estimators.twfe import factorize, within_transform

    cl, G = factorize(data[cluster])
    if G < 2:
        raise EstimationError("the wild cluster bootstrap needs at least two clusters")
    X, names, nested, _other = _design(data, x, fe, cl)
    yv = data[y].to_numpy(dtype=float)
    if nested:
        Z = within_transform(np.column_stack([yv, X]), [factorize(data[f])[0] for f in nested])
        yv, X = Z[:, 0], Z[:, 1:]
    n_fe_params = 1 if nested else 0
    return wild_bootstrap_core(X, yv, names.index(param), param, cl, G, weights_type=weights_type, B=B, null=null,
                               restricted=restricted, seed=seed, alpha=alpha, ci=ci, pval_type=pval_type,
                               full_enumeration=full_enumeration, extra_k=n_fe_params)


def _parse_formula(formula: str) -> tuple[str, list[str], list[str]]:
    """Split ``"y ~ a + b | f + g"`` into ``("y", ["a", "b"], ["f", "g"])`` (column names only)."""
    lhs, rhs = formula.split("~", 1)
    rhs, _, fes = rhs.partition("|")
    terms = [t.strip() for t in rhs.split("+") if t.strip()]
    fixed = [t.strip() for t in fes.split("+") if t.strip() and t.strip() != "0"]
    if not lhs.strip() or not terms:
        raise ValueError(f"cannot read formula {formula!r}; expected 'y ~ x1 + x2 | fe1 + fe2'")
    return lhs.strip(), terms, fixed




def wild_cluster_bootstrap_from(result: Any, param: str, **kwargs: Any) -> WildBootstrapResult:
    """Wild cluster bootstrap of a coefficient of a :func:`twfe` or :func:`event_study` result.

    Re-uses the result's data, outcome, regressors and fixed effects (unit and time); clusters on
    the result's single clustering variable. Keyword arguments go to
    :func:`wild_cluster_bootstrap` (``weights_type``, ``B``, ``null``, ``seed``, ``alpha``, ...).
    """
    spec = getattr(result, "spec", None)
    if spec is None:
        raise EstimationError("this result does not carry its data; pass the data to wild_cluster_bootstrap")
    if spec["weights"] is not None:
        raise EstimationError("the wild cluster bootstrap here supports unweighted regressions only")
    clusters = spec["cluster_columns"]
    if len(clusters) != 1:
        raise EstimationError("the wild cluster bootstrap needs a single clustering variable, not two-way clustering")
    data = spec["data"].copy()
    regressors = spec["regressors"]
    names = [f"__x{i}" for i in range(regressors.shape[1])]
    for nm, col in zip(names, regressors.columns):
        data[nm] = regressors[col].to_numpy(dtype=float)
    if param not in regressors.columns:
        raise EstimationError(f"param {param!r} not in the result's coefficients {list(regressors.columns)}")
    out = wild_cluster_bootstrap(data, spec["y"], names, names[list(regressors.columns).index(param)],
                                 clusters[0], fe=[spec["unit"], spec["time"]], **kwargs)
    return WildBootstrapResult(**{**out.__dict__, "param": param})
