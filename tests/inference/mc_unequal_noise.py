"""Monte Carlo harness: few-treated coverage when treated units are noisier than controls.

Not a test module (no ``test_`` prefix): :mod:`test_few_treated_noise` imports it for a compact
check, and ``python tests/inference/mc_unequal_noise.py --reps 400`` prints the coverage table of
``docs/few_treated.md``. It builds each design's weights once (:func:`linear_design`) and calls the
same core as :func:`few_treated_inference` (:func:`infer_linear`) on every simulated outcome.

Data-generating process (known truth): ``Y_it = a_i + l_t + tau D_it + sigma_i e_it`` with
``a_i ~ N(0, 1)``, ``l_t ~ N(0, 0.25)``, a constant effect ``tau = 1`` and stationary AR(1) noise
``e_it`` (``rho = 0.5``, unit variance). Designs (``sigma_i = 1`` unless said):

- ``equal``: 2000–2024, 48 never-treated units, cohorts 2017: 1, 2018: 2, 2024: 1 (the study's);
- ``sd2``, ``sd3``: the same, treated units' ``sigma`` 2 and 3;
- ``pop``: the 56 Kalimantan regencies of the bundled panel, ``sigma_i`` proportional to
  ``1 / sqrt(population 2010)`` (median 1), the 4 smallest treated in the study's cohorts;
- ``one``: 2020–2024 (4 pre-periods), 48 controls, one unit treated in 2024 with ``sigma = 2``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

from sosek_impact.inference.few_treated_core import infer_linear, linear_design

DESIGNS = ("equal", "sd2", "sd3", "pop", "one")
STUDY_COHORTS = {2017: 1, 2018: 2, 2024: 1}


@dataclass
class Design:
    name: str
    periods: np.ndarray
    g: np.ndarray
    sigma: np.ndarray


def _kalimantan_sigma() -> np.ndarray:
    import sosek_impact as si

    p = si.load_panel()
    k = p[p["kalimantan"].astype(bool) & (p["year"] == 2010)]
    pop = k.groupby("bps_code")["population"].first().to_numpy(dtype=float)
    if np.isnan(pop).any():
        raise ValueError("a Kalimantan regency has no 2010 population")
    s = 1.0 / np.sqrt(pop)
    return np.sort(s / np.median(s))[::-1]  # largest sigma (smallest population) first


def make_design(name: str) -> Design:
    """The design ``name`` (module docstring); treated units come first."""
    if name == "one":
        periods = np.arange(2020, 2025, dtype=float)
        g = np.zeros(49)
        g[0] = 2024
        sigma = np.ones(49)
        sigma[0] = 2.0
        return Design(name, periods, g, sigma)
    periods = np.arange(2000, 2025, dtype=float)
    treated = np.concatenate([np.full(n, c, dtype=float) for c, n in STUDY_COHORTS.items()])
    if name == "pop":
        sigma = _kalimantan_sigma()
        g = np.zeros(len(sigma))
        g[: len(treated)] = treated
        return Design(name, periods, g, sigma)
    g = np.concatenate([treated, np.zeros(48)])
    sigma = np.ones(len(g))
    sigma[: len(treated)] = {"equal": 1.0, "sd2": 2.0, "sd3": 3.0}[name]
    return Design(name, periods, g, sigma)


def effects(d: Design, kind: str, tau: float = 1.0) -> np.ndarray:
    """(n, T) treatment effects: ``"constant"`` ``tau``; ``"heterogeneous"``: by cohort (earliest
    first) 1.5, 1.0, 0.5 ... times ``tau``, growing 10 % a year since adoption."""
    D = (d.g[:, None] > 0) & (d.periods[None, :] >= d.g[:, None])
    if kind == "constant":
        return tau * D
    base = {c: tau * max(1.5 - 0.5 * i, 0.25) for i, c in enumerate(np.unique(d.g[d.g > 0]))}
    b = np.array([base.get(c, 0.0) for c in d.g])
    return D * b[:, None] * 1.1 ** np.maximum(d.periods[None, :] - d.g[:, None], 0)


def simulate(d: Design, rng: np.random.Generator, tau: float = 1.0, rho: float = 0.5,
             effect: str = "constant") -> np.ndarray:
    """(n, T) outcomes of one replication."""
    n, T = len(d.g), len(d.periods)
    e = np.empty((n, T))
    e[:, 0] = rng.normal(size=n)
    for t in range(1, T):
        e[:, t] = rho * e[:, t - 1] + math.sqrt(1 - rho**2) * rng.normal(size=n)
    return rng.normal(size=(n, 1)) + 0.5 * rng.normal(size=(1, T)) + effects(d, effect, tau) + d.sigma[:, None] * e


@contextlib.contextmanager
def shrunk_scales(prior_df: float):
    """Within the block, shrink every unit's squared scale toward the pooled one with ``prior_df``
    degrees of freedom (the alternative ``docs/few_treated.md`` measured and rejected)."""
    import sosek_impact.inference.few_treated_core as core

    orig = core.noise_scales

    def shrunk(*args, **kwargs):
        sc = orig(*args, **kwargs)
        if sc.effective != "pre_period" or prior_df <= 0:
            return sc
        d = sc.n_pre - 1
        pool = sc.s2.mean(axis=1, keepdims=True)
        return dataclasses.replace(sc, s2=(d * sc.s2 + prior_df * pool) / (d + prior_df))

    core.noise_scales = shrunk
    try:
        yield
    finally:
        core.noise_scales = orig


def coverage(design: str, estimator: str, method: str, scale: str, reps: int, seed: int = 1, n_draws: int = 999,
             tau: float = 1.0, alpha: float = 0.05, effect: str = "constant", prior_df: float = 0.0) -> dict[str, float]:
    """Coverage of the simple ATT (the mean effect over treated cells), lengths, p/interval agreement at 0."""
    if prior_df > 0:
        with shrunk_scales(prior_df):
            return coverage(design, estimator, method, scale, reps, seed, n_draws, tau, alpha, effect)
    d = make_design(design)
    truth = float(effects(d, effect, tau)[(d.g[:, None] > 0) & (d.periods[None, :] >= d.g[:, None])].mean())
    control = "not_yet" if estimator == "imputation" else "never"
    terms, W, X = linear_design(d.g, d.periods, estimator, "simple", control)
    rng = np.random.default_rng(seed)
    cover = np.zeros(reps, dtype=bool)
    length = np.zeros(reps)
    agree = np.zeros(reps, dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in range(reps):
            Y = simulate(d, rng, tau, effect=effect)
            out = infer_linear(Y, d.g, d.periods, terms, W, X, method=method, scale=scale, n_draws=n_draws,
                               alpha=alpha, seed=r)
            lo, hi, p = out["conf_low"][0], out["conf_high"][0], out["p_value"][0]
            cover[r] = lo <= truth <= hi
            length[r] = hi - lo
            agree[r] = (p <= alpha) == (not lo <= 0 <= hi)
    return {"coverage": float(cover.mean()), "length": float(np.median(length)), "mean_length": float(np.mean(length)),
            "agree": float(agree.mean()), "reps": reps}


def pretest_rejection(design: str, estimator: str, method: str, scale: str, reps: int, trend: float = 0.0,
                      leads: int | None = None, seed: int = 2, n_draws: int = 499, alpha: float = 0.05) -> float:
    """Share of panels in which :func:`few_treated_pretest` rejects at ``alpha``.

    ``trend`` adds ``trend * (t - first period)`` to the treated units' outcomes in every period
    (a linear pre-trend that continues after treatment; the effect stays ``tau = 1``).
    """
    from sosek_impact.inference.few_treated_pretest import lead_weights, pretest_arrays

    d = make_design(design)
    control = "not_yet" if estimator == "imputation" else "never"
    first = int(np.searchsorted(d.periods, d.g[d.g > 0].min()))
    k = first - 1 if leads is None else leads
    _, W = lead_weights(d.g, d.periods, estimator, control, k)
    post = linear_design(d.g, d.periods, estimator, "simple", control)[1][0] if method == "randomization" else None
    rng = np.random.default_rng(seed)
    rej = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in range(reps):
            Y = simulate(d, rng) + trend * (d.g[:, None] > 0) * (d.periods - d.periods[0])[None, :]
            out = pretest_arrays(Y, d.g, d.periods, W, method=method, scale=scale, n_draws=n_draws, seed=r,
                                 post_effects=post)
            rej += out["p_value"] <= alpha
    return rej / reps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--designs", default=",".join(DESIGNS))
    ap.add_argument("--estimators", default="cs,imputation")
    ap.add_argument("--methods", default="randomization,conley_taber")
    ap.add_argument("--scales", default="pre_period,none")
    ap.add_argument("--n-draws", type=int, default=999)
    ap.add_argument("--pretest", action="store_true", help="rejection rates of the joint lead test instead")
    ap.add_argument("--trend", type=float, default=0.0)
    ap.add_argument("--leads", type=int, default=None)
    ap.add_argument("--effect", default="constant", choices=("constant", "heterogeneous"))
    ap.add_argument("--prior-df", type=float, default=0.0, help="shrink the scales toward the pooled one")
    a = ap.parse_args(argv)
    if a.pretest:
        print("design,estimator,method,scale,reps,trend,leads,rejection_5pct", flush=True)
        for design in a.designs.split(","):
            for est in a.estimators.split(","):
                for method in a.methods.split(","):
                    for scale in a.scales.split(","):
                        r = pretest_rejection(design, est, method, scale, a.reps, a.trend, a.leads, n_draws=a.n_draws)
                        print(f"{design},{est},{method},{scale},{a.reps},{a.trend},{a.leads},{r:.3f}", flush=True)
        return 0
    print("design,estimator,method,scale,reps,coverage,median_length,mean_length,p_interval_agree,seconds", flush=True)
    for design in a.designs.split(","):
        for est in a.estimators.split(","):
            for method in a.methods.split(","):
                for scale in a.scales.split(","):
                    t0 = time.perf_counter()
                    r = coverage(design, est, method, scale, a.reps, n_draws=a.n_draws, effect=a.effect,
                                 prior_df=a.prior_df)
                    print(f"{design},{est},{method},{scale},{r['reps']},{r['coverage']:.3f},{r['length']:.3f},"
                          f"{r['mean_length']:.3f},{r['agree']:.3f},{time.perf_counter() - t0:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
