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
"""

from __future__ import annotations

import warnings

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sosek_impact.errors import EstimationError
from sosek_impact.estimators._checks import check_choice, check_columns, check_missing
from sosek_impact.results_protocol import ResultsProtocol, format_number, legacy_conf_int

__all__ = ["wild_cluster_bootstrap", "wild_cluster_bootstrap_from", "WildBootstrapResult", "bootstrap_weights",
           "wild_bootstrap_core"]

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
_CHUNK = 2048


@dataclass(frozen=True, repr=False, eq=False)
class WildBootstrapResult(ResultsProtocol):
    """Outcome of a wild cluster bootstrap test of ``param = null``.

    In the package's results protocol (``summary()``, ``tidy()``, ``conf_int()``); the p-value and
    the interval exist at the level of the call only (``alpha``), so ``tidy(alpha=...)`` with
    another level raises ``ValueError``.

    Attributes
    ----------
    param
        Name of the tested coefficient.
    estimate, std_error, t_stat
        OLS estimate, its CRV1 standard error and ``(estimate − null)/std_error``.
    pvalue
        Bootstrap p-value of ``param = null`` (type ``pval_type``).
    interval
        ``(lower, upper)`` by test inversion at level ``1 − alpha``, or ``None`` (``ci=False``).
        Until 0.2 this was the attribute ``conf_int``; ``conf_int`` is now the protocol method,
        and unpacking it as a tuple still works for one release with a ``FutureWarning``.
    t_boot
        The ``B`` bootstrap t statistics at the null (read-only array).
    B, full_enumeration
        Number of draws used and whether they are all ``2^G`` (or ``6^G``) weight vectors.
    """

    param: str
    estimate: float
    std_error: float
    t_stat: float
    pvalue: float
    interval: tuple[float, float] | None
    null: float
    alpha: float
    B: int
    n_clusters: int
    weights_type: str
    restricted: bool
    pval_type: str
    full_enumeration: bool
    seed: int | None
    t_boot: np.ndarray = field(repr=False)

    conf_int = legacy_conf_int("interval")
    _alpha_is_fixed = True

    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        lo, hi = self.interval if self.interval is not None else (np.nan, np.nan)
        kind = "WCR" if self.restricted else "WCU"
        return pd.DataFrame({
            "term": [self.param], "estimate": [self.estimate], "std_error": [self.std_error],
            "statistic": [self.t_stat], "p_value": [self.pvalue], "conf_low": [lo], "conf_high": [hi],
            "null": [self.null], "method": [f"wild cluster bootstrap ({kind}, {self.weights_type})"],
        })

    def _summary_header(self) -> list[str]:
        kind = "WCR" if self.restricted else "WCU"
        return [
            f"Wild cluster bootstrap ({kind}, {self.weights_type} weights, B={self.B}"
            f"{', full enumeration' if self.full_enumeration else ''}, G={self.n_clusters})",
            f"H0: {self.param} = {format_number(self.null)}; std_error is CRV1, statistic the t statistic at H0, "
            f"p_value the {self.pval_type} bootstrap p-value, interval by test inversion"
            + ("" if self.interval is not None else " (not computed: ci=False)"),
        ]


def bootstrap_weights(
    weights_type: str, G: int, B: int, rng: np.random.Generator, full_enumeration: bool | None = None
) -> tuple[np.ndarray, bool]:
    """Weights of the draws, ``(B, G)``, and whether they enumerate every weight vector.

    Rademacher weights are ±1 with probability 1/2; Webb's six-point weights are
    ``±√(1/2), ±1, ±√(3/2)`` with probability 1/6 each (Webb 2023). When the number of distinct
    vectors (``2^G`` or ``6^G``) is at most ``B`` and ``full_enumeration`` is not ``False``, all of
    them are used once, which makes the p-value exact and free of simulation noise.
    """
    if weights_type == "rademacher":
        values = np.array([-1.0, 1.0])
    elif weights_type == "webb":
        values = _WEBB
    else:
        check_choice("weights_type", weights_type, ("rademacher", "webb"))
    m = len(values)
    n_all = m**G if G * np.log(m) < 60 else np.inf
    enum = (n_all <= B) if full_enumeration is None else bool(full_enumeration)
    if enum:
        if n_all > 2**22:
            raise EstimationError(f"full enumeration of {n_all} weight vectors is too large")
        idx = np.arange(int(n_all))
        digits = (idx[:, None] // (m ** np.arange(G))[None, :]) % m
        return values[digits], True
    return values[rng.integers(0, m, size=(B, G))], False


def _cluster_sum(ind: sp.csr_matrix, M: np.ndarray) -> np.ndarray:
    return np.asarray(ind @ M)


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
    return _wild_core(X, yv, names.index(param), param, cl, G, weights_type=weights_type, B=B, null=null,
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


def _pvalue(t: float | np.ndarray, tb: np.ndarray, kind: str) -> np.ndarray:
    """Bootstrap p-value(s); ``t`` may be a vector (one per column of ``tb``) — ties count as extreme."""
    t = np.asarray(t, dtype=float)
    eps = 1e-10 * np.maximum(1.0, np.abs(t))
    if kind == "symmetric":
        return np.mean(np.abs(tb) >= np.abs(t) - eps, axis=0)
    lo = np.mean(tb <= t + eps, axis=0)
    hi = np.mean(tb >= t - eps, axis=0)
    if kind == "equal-tailed":
        return np.minimum(1.0, 2 * np.minimum(lo, hi))
    return hi if kind == "greater" else lo


def _wild_core(
    X: np.ndarray,
    y: np.ndarray,
    j: int,
    param: str,
    cl: np.ndarray,
    G: int,
    *,
    weights_type: str,
    B: int,
    null: float,
    restricted: bool,
    seed: int | None,
    alpha: float,
    ci: bool,
    pval_type: str,
    full_enumeration: bool | None,
    extra_k: int = 0,
) -> WildBootstrapResult:
    """The bootstrap on partialled data: ``X`` (N×k), ``y``, coefficient ``j``, cluster codes ``cl``."""
    N, k = X.shape
    XtX = X.T @ X
    try:
        XtXinv = np.linalg.inv(XtX)
    except np.linalg.LinAlgError as exc:
        raise EstimationError("regressors are collinear (after partialling out fixed effects)") from exc
    beta = XtXinv @ (X.T @ y)
    uhat = y - X @ beta
    others = [i for i in range(k) if i != j]
    Xo = X[:, others]
    if others:
        # normal equations of the k-1 other regressors (k is small; X'X is already at hand)
        proj = np.linalg.solve(XtX[np.ix_(others, others)], Xo.T @ np.column_stack([X[:, j], y]))
        xt = X[:, j] - Xo @ proj[:, 0]
        y0 = y - Xo @ proj[:, 1]
    else:
        xt, y0 = X[:, j].copy(), y.copy()
    xtx = float(xt @ xt)
    if xtx <= 1e-12 * max(1.0, float(X[:, j] @ X[:, j])):
        raise EstimationError(f"{param!r} is collinear with the other regressors or absorbed by the fixed effects")
    a = xt / xtx
    ind = sp.csr_matrix((np.ones(N), (cl, np.arange(N))), shape=(G, N))
    c = G / (G - 1) * (N - 1) / (N - k - extra_k)
    est = float(beta[j])
    # every cluster-level sum in one sparse product: a·û, a·X, and (a·u, X·u) for each residual u needed
    if restricted and ci:
        resids = [y0, xt]  # ũ(r) = y0 − r·x̃
    elif restricted:
        resids = [y0 - null * xt]
    else:
        resids = [uhat]
    blocks = [(a * uhat)[:, None], a[:, None] * X]
    for u in resids:
        blocks += [(a * u)[:, None], X * u[:, None]]
    sums = _cluster_sum(ind, np.hstack(blocks))
    score, P = sums[:, 0], sums[:, 1 : 1 + k]
    se = float(np.sqrt(c * score @ score))
    PXi = P @ XtXinv

    def cmat(m: int) -> tuple[np.ndarray, np.ndarray]:
        off = 1 + k + m * (1 + k)
        s_u, Q = sums[:, off], sums[:, off + 1 : off + 1 + k]
        return s_u, np.diag(s_u) - PXi @ Q.T

    rng = np.random.default_rng(seed)
    V, enum = bootstrap_weights(weights_type, G, B, rng, full_enumeration)
    B_used = V.shape[0]
    if restricted and not ci:
        # only r = null is needed: one (B×G)·(G×G) product
        s_r, C_r = cmat(0)
        num_r = V @ s_r
        den_r = np.empty(B_used)
        for lo in range(0, B_used, _CHUNK):
            A = V[lo : lo + _CHUNK] @ C_r.T
            den_r[lo : lo + _CHUNK] = np.sqrt(c * np.einsum("ij,ij->i", A, A))

        def tboot(r: float) -> np.ndarray:
            if r != null:
                raise AssertionError("only the null value was prepared")
            with np.errstate(divide="ignore", invalid="ignore"):
                return num_r / den_r

    elif restricted:
        s0, C0 = cmat(0)
        s1, C1 = cmat(1)
        n0, n1 = V @ s0, V @ s1
        d00, d01, d11 = np.empty(B_used), np.empty(B_used), np.empty(B_used)
        for lo in range(0, B_used, _CHUNK):
            Vb = V[lo : lo + _CHUNK]
            A0 = Vb @ C0.T
            A1 = Vb @ C1.T
            d00[lo : lo + _CHUNK] = np.einsum("ij,ij->i", A0, A0)
            d01[lo : lo + _CHUNK] = np.einsum("ij,ij->i", A0, A1)
            d11[lo : lo + _CHUNK] = np.einsum("ij,ij->i", A1, A1)

        def tboot(r: float) -> np.ndarray:
            var = c * (d00 - 2 * r * d01 + r * r * d11)
            with np.errstate(divide="ignore", invalid="ignore"):
                return (n0 - r * n1) / np.sqrt(np.maximum(var, 0.0))

    else:
        s_u, C_u = cmat(0)
        num = V @ s_u
        den = np.empty(B_used)
        for lo in range(0, B_used, _CHUNK):
            A = V[lo : lo + _CHUNK] @ C_u.T
            den[lo : lo + _CHUNK] = np.sqrt(c * np.einsum("ij,ij->i", A, A))
        t_unres = num / den

        def tboot(r: float) -> np.ndarray:
            return t_unres

    def pval(r: float) -> float:
        return float(_pvalue((est - r) / se, tboot(r), pval_type))

    t_null = (est - null) / se
    tb = np.nan_to_num(tboot(null), nan=0.0)
    p = float(_pvalue(t_null, tb, pval_type))
    interval = _invert(pval, est, se, alpha) if ci else None
    tb.flags.writeable = False
    return WildBootstrapResult(
        param=param, estimate=est, std_error=se, t_stat=float(t_null), pvalue=p, interval=interval,
        null=float(null), alpha=float(alpha), B=int(B_used), n_clusters=int(G), weights_type=weights_type,
        restricted=bool(restricted), pval_type=pval_type, full_enumeration=bool(enum), seed=seed, t_boot=tb,
    )


def _invert(pval: Any, est: float, se: float, alpha: float, tol: float = 1e-7,
            max_se: float = 1e3, max_bisections: int = 200) -> tuple[float, float]:
    """Endpoints where the p-value function falls below ``alpha``, by bracketing and bisection.

    Starting from the estimate (where p = 1) the search steps outwards in multiples of the CRV1
    standard error until ``p < alpha``, then bisects to ``tol · se``. The p-value is a step
    function of ``r``; the endpoint returned is the outermost ``r`` (within tolerance) at which the
    test does not reject, found along the search direction. If the test does not reject within
    ``max_se`` standard errors of the estimate — with few clusters the smallest attainable p-value
    (``2 / 2**G`` for Rademacher weights) can exceed ``alpha`` — that end is infinite (with a
    warning): the interval is unbounded, as test inversion says, and the search never runs into
    the round-off of huge ``r`` (where the restricted bootstrap variances cancel).
    """
    bounds = []
    for sign in (-1.0, 1.0):
        inner, step = est, se
        outer = est + sign * step
        while pval(outer) >= alpha:
            inner = outer
            step *= 2
            if step > max_se * se:
                warnings.warn(
                    f"the wild bootstrap test does not reject within {max_se:g} standard errors on the "
                    f"{'lower' if sign < 0 else 'upper'} side: that end of the {1 - alpha:.0%} interval is infinite "
                    "(too few clusters for this confidence level)", stacklevel=3)
                inner = outer = sign * np.inf
                break
            outer = est + sign * step
        for _ in range(max_bisections):
            if not np.isfinite(outer) or abs(outer - inner) <= tol * se:
                break
            mid = 0.5 * (inner + outer)
            if mid in (inner, outer):
                break
            if pval(mid) >= alpha:
                inner = mid
            else:
                outer = mid
        bounds.append(outer if not np.isfinite(outer) else 0.5 * (inner + outer))
    return bounds[0], bounds[1]


#: The bootstrap on an already partialled design, shared by :func:`wild_cluster_bootstrap` and
#: :func:`sosek_impact.inference.wild_did.wild_bootstrap_did` (one mechanism for every estimator).
wild_bootstrap_core = _wild_core


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
