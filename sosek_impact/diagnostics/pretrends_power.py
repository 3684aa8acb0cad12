"""Power of pre-trend tests and the distortion from pre-testing (Roth 2022, AER: Insights).

Event-study coefficients ``betahat ~ N(tau + delta, Sigma)`` with ``tau_pre = 0``; ``delta`` is a
hypothesised difference in trends (``delta_ref = 0``). Two pre-tests of parallel trends:

``"individual"``
    passes when no pre-period coefficient is individually significant,
    ``|betahat_j| <= z_{1-alpha/2} se_j`` for every pre period ``j`` — the test of Roth's
    ``pretrends`` R package (which uses 1.96 for the critical value);
``"joint"``
    passes when the Wald statistic ``betahat_pre' Sigma_pre^-1 betahat_pre`` is at most the
    ``1 - alpha`` quantile of chi-squared with ``k`` (number of pre periods) degrees of freedom.

Reported for a hypothesised ``delta`` (any vector, or a linear trend ``slope * (t - ref)``):

- the power of the pre-test against ``delta`` (probability of rejecting) and its size
  (``delta = 0``): for the individual test the normal probability of a box (exact for one or
  two pre periods, scipy's quasi-Monte Carlo integration with a fixed seed and absolute error
  about ``1e-6`` for more);
  for the joint test one minus a non-central chi-squared distribution function (exact);
- the Bayes factor ``P(pass | delta) / P(pass | 0)`` and the likelihood ratio of the observed
  pre-period coefficients under ``delta`` against ``0``;
- the expected coefficients conditional on passing the pre-test when the truth is ``delta``
  (``tau = 0``): for the pre periods the mean of the normal truncated to the acceptance region,
  for the post periods ``delta_post + Sigma_post,pre Sigma_pre^-1 (E[betahat_pre | pass] -
  delta_pre)``. This is the bias of the post-period estimates among the studies that pass the
  pre-test (unconditionally it is ``delta_post``). Exact for the individual test (Tallis' formula
  for the truncated multivariate normal mean); by simulation with a seed for the joint test
  (``n_sim`` draws, the Monte Carlo standard error is reported).

:func:`slope_for_power` finds the slope of a linear trend against which the pre-test has a given
power (power rises with the slope along any ray, by Anderson's theorem, so the root is unique).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sosek_impact._callable_module import make_module_callable
from sosek_impact.diagnostics.event_time_inputs import EventTimeInputs, event_time_inputs
from sosek_impact.errors import InputError
from sosek_impact.results_protocol import ResultsProtocol, format_number, normal_tidy

__all__ = ["PretrendsPowerResult", "pretrends_power", "slope_for_power"]

_TESTS = ("individual", "joint")


def _box_probability(mean: np.ndarray, cov: np.ndarray, half: np.ndarray) -> float:
    """``P(|X_j| <= half_j for all j)`` for ``X ~ N(mean, cov)``."""
    k = mean.size
    if k == 0:
        return 1.0
    if k == 1:
        s = float(np.sqrt(cov[0, 0]))
        return float(stats.norm.cdf((half[0] - mean[0]) / s) - stats.norm.cdf((-half[0] - mean[0]) / s))
    eps = 1e-8 if k == 2 else 1e-6  # two dimensions: scipy's bivariate algorithm, exact to ~1e-8
    p = stats.multivariate_normal.cdf(half, mean=mean, cov=cov, lower_limit=-half, abseps=eps, releps=eps,
                                      maxpts=2_000_000 * k, rng=np.random.default_rng(20220101))
    return float(np.clip(p, 0.0, 1.0))


def _truncated_mean_box(mean: np.ndarray, cov: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Mean of ``N(mean, cov)`` truncated to ``[-half, half]`` (Tallis 1961; Manjunath & Wilhelm 2009)."""
    k = mean.size
    total = _box_probability(mean, cov, half)
    f = np.zeros(k)
    for i in range(k):
        rest = np.delete(np.arange(k), i)
        s_ii = cov[i, i]
        c = cov[rest, i] / s_ii
        cond_cov = cov[np.ix_(rest, rest)] - np.outer(c, cov[i, rest])
        for x, sign in ((-half[i], 1.0), (half[i], -1.0)):
            dens = stats.norm.pdf(x, mean[i], np.sqrt(s_ii))
            cond_mean = mean[rest] + c * (x - mean[i])
            f[i] += sign * dens * _conditional_box(cond_mean, cond_cov, half[rest])
    return mean + cov @ f / total


def _conditional_box(mean: np.ndarray, cov: np.ndarray, half: np.ndarray) -> float:
    return _box_probability(mean, cov, half) if mean.size else 1.0


@dataclass(repr=False, eq=False)
class PretrendsPowerResult(ResultsProtocol):
    """Result of :func:`pretrends_power`.

    In the package's results protocol ``tidy()`` has one row per event time (term ``"e=k"``,
    the estimated coefficient with its normal interval) with the extras ``event_time``,
    ``delta`` (hypothesised trend = unconditional bias), ``mean_after_pretest`` (expected
    coefficient given that the pre-test passed, under ``delta`` with no effect) and ``post``.

    Attributes
    ----------
    table
        ``event_time, betahat, se, delta, mean_after_pretest`` including the reference row (0).
    power, size
        Rejection probability of the pre-test under ``delta`` and under parallel trends.
    bayes_factor, likelihood_ratio
        ``(1 - power) / (1 - size)``; density of the observed pre-period coefficients under
        ``delta`` over that under 0.
    slope
        Slope of the linear trend when one was asked for, else NaN.
    test, alpha
        The pre-test and its level.
    mc_se
        Largest Monte Carlo standard error of ``mean_after_pretest`` (0 where exact).
    """

    table: pd.DataFrame
    power: float
    size: float
    bayes_factor: float
    likelihood_ratio: float
    slope: float
    test: str
    alpha: float
    ref: int
    mc_se: float = 0.0

    def _tidy(self, alpha: float) -> pd.DataFrame:
        t = self.table[self.table["event_time"] != self.ref]
        return normal_tidy([f"e={e}" for e in t["event_time"]], t["betahat"], t["se"], alpha=alpha,
                           event_time=pd.array(t["event_time"], dtype="Int64"), delta=t["delta"].to_numpy(),
                           mean_after_pretest=t["mean_after_pretest"].to_numpy(),
                           post=pd.array((t["event_time"] >= 0).astype(int), dtype="Int64"))

    def _summary_header(self) -> list[str]:
        trend = f"linear trend, slope {format_number(self.slope)}" if np.isfinite(self.slope) else "hypothesised trend"
        return [f"Pre-trend power (Roth 2022): {self.test} pre-test at alpha = {format_number(self.alpha)}, {trend}",
                f"power {format_number(self.power)}  (size {format_number(self.size)})    Bayes factor "
                f"{format_number(self.bayes_factor)}    likelihood ratio {format_number(self.likelihood_ratio)}"]

    def _summary_footer(self) -> list[str]:
        note = "" if self.mc_se == 0 else f" (simulated, Monte Carlo s.e. <= {format_number(self.mc_se, 2)})"
        return [f"delta = hypothesised trend; mean_after_pretest = expected coefficient given a passed pre-test{note}"]

    _summary_columns = ("estimate", "std_error", "delta", "mean_after_pretest")

    def plot(self, ax: Any = None) -> Any:
        """Event plot with the hypothesised trend and the expectation after pre-testing; returns the Figure."""
        import matplotlib.pyplot as plt

        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 4))
        t = self.table
        z = stats.norm.ppf(0.975)
        ax.errorbar(t["event_time"], t["betahat"], yerr=z * t["se"], fmt="o", color="black", capsize=3,
                    label="estimate (95% CI)")
        ax.plot(t["event_time"], t["delta"], "s-", color="C3", label="hypothesised trend")
        ax.plot(t["event_time"], t["mean_after_pretest"], "^--", color="C0", label="expectation after pre-test")
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.axvline(self.ref + 0.5, color="grey", linestyle=":", linewidth=0.8)
        ax.set_xlabel("event time")
        ax.legend(frameon=False, fontsize=8)
        return fig


def _pass_probability(mean: np.ndarray, cov: np.ndarray, test: str, alpha: float) -> float:
    if test == "individual":
        return _box_probability(mean, cov, stats.norm.ppf(1 - alpha / 2) * np.sqrt(np.diag(cov)))
    k = mean.size
    lam = float(mean @ np.linalg.solve(cov, mean))
    c = stats.chi2.ppf(1 - alpha, k)
    return float(stats.chi2.cdf(c, k) if lam == 0 else stats.ncx2.cdf(c, k, lam))


def _check_test(test: str, alpha: float) -> None:
    if test not in _TESTS:
        raise InputError(f"test must be one of {_TESTS}", column="test", value=test)
    if not 0 < alpha < 1:
        raise InputError("alpha must lie in (0, 1)", column="alpha", value=alpha)


def _pre_block(x: EventTimeInputs) -> tuple[np.ndarray, np.ndarray]:
    if not x.pre.any():
        raise InputError("the event study has no pre-period coefficient (event time < reference)",
                         column="event_times", value=list(x.event_times))
    s = x.sigma[np.ix_(x.pre, x.pre)]
    if np.linalg.eigvalsh(s).min() <= 0:
        raise InputError("the covariance of the pre-period coefficients is singular", column="sigma")
    return x.event_times[x.pre], s


def slope_for_power(
    result: Any, target_power: float = 0.5, *, alpha: float = 0.05, test: str = "individual"
) -> float:
    """Slope of the linear trend ``slope * (t - ref)`` against which the pre-test has ``target_power``.

    Parameters
    ----------
    result
        An event-time result (see :func:`~sosek_impact.diagnostics.event_time_inputs.event_time_inputs`)
        or :class:`~sosek_impact.diagnostics.event_time_inputs.EventTimeInputs`.
    target_power
        Between the test's size and 1.
    alpha, test
        The pre-test (module docstring).

    Returns
    -------
    float
        The slope (a magnitude, >= 0).
    """
    _check_test(test, alpha)
    x = event_time_inputs(result)
    t_pre, s_pre = _pre_block(x)
    a = (t_pre - x.ref).astype(float)
    size = 1 - _pass_probability(np.zeros_like(a), s_pre, test, alpha)
    if not size < target_power < 1:
        raise InputError(f"target_power must lie between the test's size ({size:.4f}) and 1", column="target_power",
                         value=target_power)

    def gap(m: float) -> float:
        return (1 - _pass_probability(m * a, s_pre, test, alpha)) - target_power

    hi = float(np.sqrt(np.diag(s_pre)).max())
    while gap(hi) < 0:
        hi *= 2
    return float(optimize.brentq(gap, 0.0, hi, xtol=1e-10 * hi, rtol=1e-9))


def pretrends_power(
    result: Any,
    *,
    delta: Sequence[float] | None = None,
    slope: float | None = None,
    target_power: float | None = None,
    alpha: float = 0.05,
    test: str = "individual",
    n_sim: int = 200_000,
    seed: int = 0,
) -> PretrendsPowerResult:
    """Power of the pre-test against a hypothesised trend and the bias after passing it.

    Parameters
    ----------
    result
        An event-time result of the package (TWFE event study, Sun–Abraham, ``att_gt``'s dynamic
        aggregate with a universal base period) or
        :class:`~sosek_impact.diagnostics.event_time_inputs.EventTimeInputs` (e.g.
        ``EventTimeInputs.from_arrays(betas, sigma, event_times, ref)``). Its covariance is taken
        as the true covariance of the coefficients (asymptotic normality).
    delta
        Hypothesised trend, one value per event time of ``result`` (reference left out).
    slope
        Or a linear trend ``slope * (t - ref)``.
    target_power
        Or the linear trend against which the pre-test has this power (:func:`slope_for_power`).
    alpha, test
        Level and kind of the pre-test (module docstring).
    n_sim, seed
        Draws and seed of the simulation of the joint test's conditional means.

    Returns
    -------
    PretrendsPowerResult
    """
    _check_test(test, alpha)
    x = event_time_inputs(result)
    t_pre, s_pre = _pre_block(x)
    given = sum(v is not None for v in (delta, slope, target_power))
    if given != 1:
        raise InputError("give exactly one of delta, slope and target_power", column="delta/slope/target_power")
    if target_power is not None:
        slope = slope_for_power(x, target_power, alpha=alpha, test=test)
    if slope is not None:
        d = float(slope) * (x.event_times - x.ref).astype(float)
    else:
        d = np.asarray(delta, dtype=float).ravel()
        if d.size != x.betas.size or not np.all(np.isfinite(d)):
            raise InputError(f"delta must have {x.betas.size} finite entries (one per event time, reference left out)",
                             column="delta", value=d.size)
    pre = x.pre
    d_pre, b_pre = d[pre], x.betas[pre]
    pass_alt = _pass_probability(d_pre, s_pre, test, alpha)
    pass_null = _pass_probability(np.zeros_like(d_pre), s_pre, test, alpha)
    lr = float(stats.multivariate_normal.pdf(b_pre, d_pre, s_pre) / stats.multivariate_normal.pdf(b_pre, None, s_pre))
    mc_se = 0.0
    if test == "individual":
        m_pre = _truncated_mean_box(d_pre, s_pre, stats.norm.ppf(1 - alpha / 2) * np.sqrt(np.diag(s_pre)))
    else:
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(d_pre, s_pre, size=int(n_sim), method="cholesky")
        keep = np.einsum("ij,ij->i", draws, np.linalg.solve(s_pre, draws.T).T) <= stats.chi2.ppf(1 - alpha, d_pre.size)
        if keep.sum() < 100:
            raise InputError("fewer than 100 simulated draws pass the pre-test; raise n_sim", column="n_sim", value=n_sim)
        m_pre = draws[keep].mean(axis=0)
        mc_se = float((draws[keep].std(axis=0) / np.sqrt(keep.sum())).max())
    rest = ~pre
    s_rp = x.sigma[np.ix_(rest, pre)]
    m_rest = d[rest] + s_rp @ np.linalg.solve(s_pre, m_pre - d_pre)
    mean_after = np.empty_like(d)
    mean_after[pre], mean_after[rest] = m_pre, m_rest
    table = pd.DataFrame({"event_time": x.event_times, "betahat": x.betas, "se": np.sqrt(np.diag(x.sigma)),
                          "delta": d, "mean_after_pretest": mean_after})
    table = pd.concat([table, pd.DataFrame({"event_time": [x.ref], "betahat": [0.0], "se": [0.0], "delta": [0.0],
                                            "mean_after_pretest": [0.0]})])
    table = table.sort_values("event_time", ignore_index=True)
    return PretrendsPowerResult(
        table=table, power=1 - pass_alt, size=1 - pass_null, bayes_factor=pass_alt / pass_null, likelihood_ratio=lr,
        slope=float(slope) if slope is not None else float("nan"), test=test, alpha=float(alpha), ref=x.ref,
        mc_se=mc_se,
    )


make_module_callable(__name__)  # `from sosek_impact.diagnostics import pretrends_power` is the function either way
