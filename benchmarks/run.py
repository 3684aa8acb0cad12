"""Benchmarks of sosek_impact's estimators against peer packages, on the same data.

Run from the project root::

    .venv/bin/python benchmarks/run.py            # full run, rewrites benchmarks/README.md
    .venv/bin/python benchmarks/run.py --quick    # smaller sizes, prints only

Each comparison first checks that the programs give the same numbers (within a stated
tolerance) and only then times them; a disagreement stops the run. Peers are the packages of
the ``bench`` extra (``pip install -e .[bench]``): csdid, differences, pyfixest, wildboottest,
plus linearmodels. Targets (issue 4): CS at least 5x faster than both Python peers, TWFE no
slower than linearmodels, the wild cluster bootstrap (9,999 draws, 500 clusters) under 2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# One BLAS thread for every program, so that all are timed alike on a shared machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, best_time, machine, peak_memory_mb  # noqa: E402

from sosek_impact.atomic import write_text  # noqa: E402
from sosek_impact.simulate import simulate_staggered_panel  # noqa: E402

MPDTA_LOCAL = ROOT / "tests" / "did" / "reference" / "mpdta.csv"
MPDTA_SHARED = ROOT.parent / "shared" / "data" / "reference" / "did_mpdta" / "mpdta.csv"

Row = dict[str, Any]


class DisagreementError(AssertionError):
    """Two programs gave different numbers on the same data: timing them would be meaningless."""


def _agree(name: str, ours: float, peer: float, *, rel: float = 0.0, abs_: float = 0.0) -> float:
    diff = abs(ours - peer)
    if not diff <= abs_ + rel * abs(peer):
        raise DisagreementError(f"{name}: ours {ours!r} vs peer {peer!r} (|diff| {diff:.3g}, tol abs {abs_} rel {rel})")
    return diff


def _quiet(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Silence a peer's printing and warnings (csdid prints its tables)."""

    def run() -> Any:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return fn()

    return run


# --------------------------------------------------------------------------- CS on mpdta


def bench_cs(repeat: int) -> list[Row]:
    """Callaway--Sant'Anna on mpdta (dr, never-treated controls, analytical SE) + simple aggregation."""
    from csdid.att_gt import ATTgt as CsdidATTgt
    import differences

    from sosek_impact.estimators import att_gt

    path = MPDTA_LOCAL if MPDTA_LOCAL.exists() else MPDTA_SHARED
    df = pd.read_csv(path)

    def ours() -> tuple[pd.DataFrame, float, float]:
        res = att_gt(df, y="lemp", unit="countyreal", time="year", group="first.treat", control="never", method="dr")
        agg = res.aggregate("simple")
        return res.table, agg.estimate, agg.std_error

    def csdid() -> tuple[pd.DataFrame, float, float]:
        out = CsdidATTgt(
            yname="lemp", gname="first.treat", idname="countyreal", tname="year", xformla="lemp~1", data=df
        ).fit(est_method="dr", bstrap=False)
        out.aggte(typec="simple", bstrap=False)
        r = out.results
        table = pd.DataFrame({"group": r["group"], "time": r["year"], "att": r["att"], "se": r["se"]})
        return table, float(out.atte["overall_att"]), float(out.atte["overall_se"])

    d2 = df.assign(**{"first.treat": df["first.treat"].replace(0, np.nan)}).set_index(["countyreal", "year"])

    def diffs() -> tuple[pd.DataFrame, float, float]:
        att = differences.ATTgt(data=d2, cohort_column="first.treat")
        res = att.fit(formula="lemp", control_group="never_treated", est_method="dr", progress_bar=False)
        agg = att.aggregate("simple")
        cells = att.results().reset_index()
        cells.columns = ["_".join(str(c) for c in col if c) if isinstance(col, tuple) else col for col in cells.columns]
        table = pd.DataFrame(
            {
                "group": cells["cohort"],
                "time": cells["time"],
                "att": cells.filter(like="ATT").iloc[:, 0],
                "se": cells.filter(like="std_error").iloc[:, 0],
            }
        )
        del res
        return table, float(agg.iloc[0, 0]), float(agg.iloc[0, 1])

    ours_out = ours()
    ref = ours_out[0].set_index(["group", "time"]).sort_index()
    rows = []
    t_ours = best_time(ours, repeat=repeat)
    for name, fn in [("csdid", _quiet(csdid)), ("differences", _quiet(diffs))]:
        table, oatt, ose = fn()
        other = table.set_index(["group", "time"]).sort_index()
        if len(other) != len(ref):
            raise DisagreementError(f"CS vs {name}: {len(ref)} cells vs {len(other)}")
        worst_att = max(
            _agree(f"ATT{k} vs {name}", ref.loc[k, "att"], other.loc[k, "att"], abs_=1e-6) for k in ref.index
        )
        worst_se = max(
            _agree(f"SE{k} vs {name}", ref.loc[k, "se"], other.loc[k, "se"], rel=1e-4) / other.loc[k, "se"]
            for k in ref.index
        )
        _agree(f"simple ATT vs {name}", ours_out[1], oatt, abs_=1e-6)
        _agree(f"simple SE vs {name}", ours_out[2], ose, rel=1e-4)
        t_peer = best_time(fn, repeat=repeat)
        rows.append(
            {
                "task": "CS att_gt + simple aggregation, mpdta (2,500 rows, 12 cells)",
                "peer": name,
                "ours_s": t_ours,
                "peer_s": t_peer,
                "speedup": t_peer / t_ours,
                "target": ">= 5x",
                "met": t_peer / t_ours >= 5,
                "agreement": f"ATT(g,t) max abs diff {worst_att:.1e}; SE max rel diff {worst_se:.1e}",
            }
        )
    return rows


# --------------------------------------------------------------------------- TWFE on 1 M rows


def twfe_panel(n_units: int, n_periods: int = 25, seed: int = 1) -> pd.DataFrame:
    """A staggered panel of ``n_units * n_periods`` rows (three cohorts, 30 % treated)."""
    k = n_units // 10
    return simulate_staggered_panel(
        n_units, n_periods, cohorts={2008: k, 2012: k, 2016: k}, effect="constant", seed=seed
    )


def bench_twfe(n_units: int, repeat: int) -> list[Row]:
    """TWFE DiD with unit and time effects, unit-clustered errors."""
    import pyfixest as pf
    from linearmodels.panel import PanelOLS

    from sosek_impact.estimators import twfe

    d = twfe_panel(n_units)
    indexed = d.set_index(["unit", "time"])

    def ours() -> tuple[float, float]:
        r = twfe(d, y="y", unit="unit", time="time", treat="treat")
        return float(r.params["treat"]), float(r.std_errors["treat"])

    def linearmodels() -> tuple[float, float]:
        r = PanelOLS(indexed["y"], indexed[["treat"]], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True
        )
        return float(r.params["treat"]), float(r.std_errors["treat"])

    def pyfixest() -> tuple[float, float]:
        m = pf.feols("y ~ treat | unit + time", data=d, vcov={"CRV1": "unit"})
        return float(m.coef()["treat"]), float(m.se()["treat"])

    b, se = ours()
    t_ours = best_time(ours, repeat=repeat)
    rows = []
    for name, fn, se_tol in [("linearmodels", linearmodels, None), ("pyfixest", _quiet(pyfixest), 1e-6)]:
        pb, pse = fn()
        _agree(f"TWFE coefficient vs {name}", b, pb, rel=1e-8)
        note = f"coef rel diff {abs(b - pb) / abs(pb):.1e}"
        if se_tol is not None:
            _agree(f"TWFE CRV1 SE vs {name}", se, pse, rel=se_tol)
            note += f"; CRV1 SE rel diff {abs(se - pse) / pse:.1e}"
        else:
            # linearmodels' clustered SE uses another small-sample factor; reported, not asserted
            note += f"; SE ratio {se / pse:.4f} (different small-sample factor)"
        t_peer = best_time(fn, repeat=repeat)  # warm-up excludes pyfixest's numba compilation
        rows.append(
            {
                "task": f"TWFE, unit + time FE, clustered SE ({len(d):,} rows)",
                "peer": name,
                "ours_s": t_ours,
                "peer_s": t_peer,
                "speedup": t_peer / t_ours,
                "target": ">= 1x vs linearmodels" if name == "linearmodels" else "(none)",
                "met": (t_peer / t_ours >= 1) if name == "linearmodels" else None,
                "agreement": note,
            }
        )
        if name == "linearmodels":
            t_lm = t_peer

    def ours_panelols() -> tuple[float, float]:
        r = twfe(d, y="y", unit="unit", time="time", treat="treat", backend="panelols")
        return float(r.params["treat"]), float(r.std_errors["treat"])

    pb, pse = ours_panelols()
    _agree("TWFE backends (within vs panelols), coefficient", b, pb, rel=1e-8)
    _agree("TWFE backends (within vs panelols), SE", se, pse, rel=1e-8)
    t_pan = best_time(ours_panelols, repeat=repeat)
    rows.append(
        {
            "task": f"TWFE, unit + time FE, clustered SE ({len(d):,} rows)",
            "peer": "linearmodels (ours: backend='panelols')",
            "ours_s": t_pan,
            "peer_s": t_lm,
            "speedup": t_lm / t_pan,
            "target": "(none)",
            "met": None,
            "agreement": f"same numbers as the within backend (coef rel diff {abs(b - pb) / abs(b):.1e})",
        }
    )
    return rows


# --------------------------------------------------------------------------- imputation vs did2s


def bench_imputation(n_units: int, n_units_full: int, repeat: int) -> list[Row]:
    """BJS imputation estimator vs pyfixest's two-stage DiD (did2s), static and event-time, unit clusters.

    At 1 M rows pyfixest's ``did2s`` cannot finish: its GMM covariance builds the first stage's
    explicit unit-dummy matrix with a full-rank check (about 100 s at 100,000 rows, growing faster
    than the rows). There the peer is its point-estimate stage, ``pyfixest.did.did2s._did2s_estimate``
    (first stage on untreated rows, fixed effects, residuals, second stage), against our full call
    (estimates *and* conservative standard errors); the complete ``did2s`` is timed on a smaller panel.
    Agreement: pyfixest recovers the first-stage fixed effects by lsqr with atol = btol = 1e-6, so its
    point estimates carry errors of that order; they are checked to 1e-4 (relative). Standard errors
    differ by construction (BJS conservative vs Gardner's GMM) and are reported, not checked.
    """
    import pyfixest as pf
    from pyfixest.did.did2s import _did2s_estimate

    from sosek_impact.estimators import did_imputation

    def panel(n: int) -> tuple[pd.DataFrame, list[str]]:
        d = twfe_panel(n)
        d["treat"] = d["treat"].astype(bool)
        et = np.where(d["treat"], d["time"] - d["group"], -1)
        names = []
        for h in np.unique(et[et >= 0]):
            d[f"h{h}"] = (et == h).astype(float)
            names.append(f"h{h}")
        return d, names

    def ours(d: pd.DataFrame, dynamic: bool) -> tuple[np.ndarray, np.ndarray]:
        r = did_imputation(d, y="y", unit="unit", time="time", group="group", horizons=True if dynamic else None)
        t = r.tidy()
        t = t[t["kind"] == ("horizon" if dynamic else "att")]
        return t["estimate"].to_numpy(), t["std_error"].to_numpy()

    def second(names: list[str] | None) -> str:
        return "~ treat" if names is None else "~ 0 + " + " + ".join(names)

    def peer_points(d: pd.DataFrame, names: list[str] | None) -> np.ndarray:
        fit, _, _ = _did2s_estimate(d, yname="y", _first_stage="~ 0 | unit + time", _second_stage=second(names),
                                    treatment="treat")
        return fit.coef().to_numpy()

    def peer_full(d: pd.DataFrame, names: list[str] | None) -> tuple[np.ndarray, np.ndarray]:
        m = pf.did2s(d, yname="y", first_stage="~ 0 | unit + time", second_stage=second(names), treatment="treat",
                     cluster="unit")
        return m.coef().to_numpy(), m.se().to_numpy()

    def check(what: str, b: np.ndarray, pb: np.ndarray) -> float:
        diff = float(np.max(np.abs(b - pb) / np.maximum(np.abs(pb), 1e-12)))
        if not diff <= 1e-4:
            raise DisagreementError(f"{what}: ours {b} vs did2s {pb} (max rel diff {diff:.3g})")
        return diff

    rows = []
    d, names = panel(n_units)
    for label, nm in [("ATT", None), ("event study", names)]:
        b, se = ours(d, nm is not None)
        pb = _quiet(lambda: peer_points(d, nm))()
        diff = check(f"imputation {label} vs did2s", b, pb)
        t_o = best_time(lambda: ours(d, nm is not None), repeat=repeat)
        t_p = best_time(_quiet(lambda: peer_points(d, nm)), repeat=repeat)
        rows.append({"task": f"Imputation {label} (BJS, with SE) vs two-stage DiD points, {len(d):,} rows",
                     "peer": "pyfixest did2s (point stage only)", "ours_s": t_o, "peer_s": t_p,
                     "speedup": t_p / t_o, "target": ">= 1x", "met": t_p / t_o >= 1,
                     "agreement": f"estimates max rel diff {diff:.1e} (did2s lsqr tol 1e-6)"})
    d, names = panel(n_units_full)
    b, se = ours(d, False)
    pb, pse = _quiet(lambda: peer_full(d, None))()
    diff = check("imputation ATT vs full did2s", b, pb)
    t_o = best_time(lambda: ours(d, False), repeat=repeat)
    t_p = best_time(_quiet(lambda: peer_full(d, None)), repeat=1, warmup=0)
    rows.append({"task": f"Imputation ATT (BJS, with SE) vs two-stage DiD with SE, {len(d):,} rows",
                 "peer": "pyfixest did2s", "ours_s": t_o, "peer_s": t_p, "speedup": t_p / t_o, "target": ">= 1x",
                 "met": t_p / t_o >= 1,
                 "agreement": f"ATT rel diff {diff:.1e}; SE {se[0]:.4g} (BJS conservative, leave-out) vs "
                              f"{pse[0]:.4g} (Gardner GMM): different by construction"})
    return rows


# --------------------------------------------------------------------------- wild cluster bootstrap


def bench_wild_bootstrap(n_clusters: int, n_periods: int, draws: int, repeat: int) -> list[Row]:
    """Restricted wild cluster bootstrap (WCR, Rademacher) of the TWFE treatment coefficient."""
    import statsmodels.api as sm
    from wildboottest.wildboottest import wildboottest

    from sosek_impact.inference import wild_cluster_bootstrap

    k = n_clusters // 10
    d = simulate_staggered_panel(
        n_clusters, n_periods, cohorts={2003: k, 2005: k, 2007: k}, effect="constant", effect_size=0.08, seed=5
    )
    # wildboottest takes a statsmodels OLS; unit and time dummies (510 columns) make it very slow,
    # so it gets the two-way demeaned data (Frisch-Waugh-Lovell; exact in a balanced panel). The
    # restricted residuals and the scores are then those of the fixed-effects regression; only the
    # small-sample factor differs, which scales t and every bootstrap t alike (p-value unchanged).
    def two_way_demean(col: str) -> pd.Series:
        v = d[col].astype(float)
        return v - v.groupby(d["unit"]).transform("mean") - v.groupby(d["time"]).transform("mean") + v.mean()

    model = sm.OLS(two_way_demean("y").rename("y"), two_way_demean("treat").rename("treat").to_frame())

    def ours_result() -> Any:
        return wild_cluster_bootstrap(
            d, y="y", x="treat", param="treat", cluster="unit", fe=["unit", "time"], B=draws,
            weights_type="rademacher", restricted=True, seed=1, ci=False,
        )

    def ours() -> float:
        return float(ours_result().pvalue)

    def peer() -> float:
        r = wildboottest(model, B=draws, cluster=d["unit"], param="treat", weights_type="rademacher",
                         impose_null=True, seed=2, show=False, parallel=False)
        return float(r["p-value"].iloc[0])

    import pyfixest as pf

    mine = ours_result()
    t_ref = float(_quiet(lambda: pf.feols("y ~ treat | unit + time", data=d, vcov={"CRV1": "unit"}).tstat()["treat"])())
    _agree("wild bootstrap CRV1 t statistic vs pyfixest", mine.t_stat, t_ref, rel=1e-6)
    p_ours, p_peer = float(mine.pvalue), _quiet(peer)()
    # two independent bootstraps: |p1 - p2| has sd sqrt(2 p (1 - p) / B); allow 4 sd (+ 1/B)
    tol = 4 * np.sqrt(2 * p_peer * (1 - p_peer) / draws) + 1.0 / draws
    _agree("wild bootstrap p-value vs wildboottest", p_ours, p_peer, abs_=tol)
    t_ours = best_time(ours, repeat=repeat)
    t_peer = best_time(_quiet(peer), repeat=1, warmup=0)  # ~20 s a call; its first call was above
    return [
        {
            "task": f"Wild cluster bootstrap WCR, {draws:,} draws, {n_clusters} clusters ({len(d):,} rows)",
            "peer": "wildboottest",
            "ours_s": t_ours,
            "peer_s": t_peer,
            "speedup": t_peer / t_ours,
            "target": "ours < 2 s",
            "met": t_ours < 2.0,
            "agreement": f"t {mine.t_stat:.6f} = pyfixest CRV1 t; p-value {p_ours:.4f} vs {p_peer:.4f} (tol {tol:.4f}, Monte Carlo error)",
        }
    ]


# --------------------------------------------------------------------------- scaling


def bench_permutation(n_perm: int, repeat: int) -> list[Row]:
    """Randomisation inference for the CS simple ATT: weights gathered per permutation vs refitting att_gt."""
    from sosek_impact.inference import few_treated_inference, randomization_inference
    from sosek_impact.inference.few_treated_weights import cs_linear_weights

    d = simulate_staggered_panel(60, 25, seed=1)
    cols = ("y", "unit", "time", "group")

    def ours() -> Any:
        return few_treated_inference(d, *cols, n_draws=n_perm, seed=1)

    def peer() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return randomization_inference(d, *cols, estimator="att_gt", n_perm=n_perm, seed=1)

    r, p = ours(), peer()
    # same permutations (same seed and drawing rule): the permuted estimates must agree one by one
    Y = d.pivot(index="unit", columns="time", values="y").to_numpy()
    periods = np.sort(d["time"].unique())
    ours_dist = np.array([float(np.einsum("kit,it->k", cs_linear_weights(a, periods)[1], Y)[0]) for a in r.assignments])
    diff = float(np.abs(ours_dist - p.distribution).max())
    _agree("permuted CS estimates", diff, 0.0, abs_=1e-10)
    _agree("CS estimate", float(r.estimate[0]), p.statistic, abs_=1e-10)
    _agree("randomisation p-value", float(r.p_value[0]), p.pvalue, abs_=1e-12)
    t_ours = best_time(ours, repeat=repeat)
    t_peer = best_time(peer, repeat=1, warmup=0)
    return [
        {
            "task": f"Randomisation inference, CS simple ATT, {n_perm:,} permutations, 60 units x 25 years",
            "peer": "randomization_inference(estimator='att_gt') (refits)",
            "ours_s": t_ours,
            "peer_s": t_peer,
            "speedup": t_peer / t_ours,
            "target": "ours <= 2 s",
            "met": t_ours <= 2.0,
            "agreement": f"permuted estimates max abs diff {diff:.1e}; p-value {r.p_value[0]:.4f} both; "
            f"ours adds the exact interval [{r.conf_low[0]:.3f}, {r.conf_high[0]:.3f}]",
        }
    ]


def bench_scaling(base_units: dict[str, int], factors: tuple[int, ...], repeat: int) -> list[Row]:
    """Time and peak memory of our TWFE and CS at 1x, 4x, 16x rows."""
    from sosek_impact.estimators import att_gt, twfe

    fits: dict[str, Callable[[pd.DataFrame], Any]] = {
        "twfe": lambda d: twfe(d, y="y", unit="unit", time="time", treat="treat"),
        "att_gt": lambda d: att_gt(d, y="y", unit="unit", time="time", group="group").aggregate("simple"),
    }
    rows = []
    for name, fit in fits.items():
        base = None
        for f in factors:
            d = twfe_panel(base_units[name] * f)
            secs = best_time(lambda: fit(d), repeat=repeat if f < 16 else 1)
            mem = peak_memory_mb(lambda: fit(d))
            if base is None:
                base = (secs, mem)
            rows.append(
                {
                    "estimator": name,
                    "factor": f"{f}x",
                    "rows": len(d),
                    "seconds": secs,
                    "time_ratio": secs / base[0],
                    "peak_MiB": mem,
                    "memory_ratio": mem / base[1],
                }
            )
            print(f"  scaling {name} {f}x: {secs:.3f} s, {mem:.1f} MiB", flush=True)
    return rows


# --------------------------------------------------------------------------- report


def interpretation(comp: pd.DataFrame, scale: pd.DataFrame) -> list[str]:
    """Plain-language notes on missed targets and on how time and memory grow."""
    notes = []
    for _, r in comp.iterrows():
        met = r.get("met")
        if met is not None and not pd.isna(met) and not bool(met):
            notes.append(
                f"Target missed: {r['task']} vs {r['peer']}: speedup {r['speedup']:.2f} (target {r['target']})."
            )
    if any(comp.get("peer", pd.Series(dtype=str)) == "linearmodels"):
        notes.append(
            "`twfe` uses its own within transform by default (`backend='within'`); with "
            "`backend='panelols'` it calls PanelOLS and adds its own CRV1 covariance, so that backend "
            "cannot be faster than PanelOLS (row `linearmodels (ours: backend='panelols')`). On a shared "
            "machine ratios move by +-20 % between runs."
        )
    for est, d in scale.groupby("estimator", sort=False) if len(scale) else []:
        last = d.iloc[-1]
        growth = np.log(last["time_ratio"]) / np.log(last["rows"] / d.iloc[0]["rows"])
        notes.append(
            f"`{est}`: time grows like rows^{growth:.2f} from {d.iloc[0]['rows']:,} to {last['rows']:,} rows; "
            f"peak memory {last['peak_MiB']:.0f} MiB at {last['rows']:,} rows "
            f"({last['peak_MiB'] * 2**20 / last['rows']:.0f} bytes per row)."
        )
    return notes



def _md_table(df: pd.DataFrame, floatfmt: dict[str, str]) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c in floatfmt and isinstance(v, (float, np.floating)) and np.isfinite(v):
                cells.append(format(v, floatfmt[c]))
            elif v is None or (isinstance(v, float) and np.isnan(v)):
                cells.append("")
            elif isinstance(v, (bool, np.bool_)):
                cells.append("yes" if v else "**no**")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


README_HEAD = """# Benchmarks

`benchmarks/run.py` times sosek_impact's estimators against peer programs **on the same data,
after checking that they give the same numbers** (a disagreement stops the run). Timing is the
minimum wall time of several calls after a warm-up call (so pyfixest's numba compilation is
excluded), with one BLAS thread for every program; peak memory is the tracemalloc peak of one call.
These are benchmarks, not tests: nothing here is asserted in the test suite.

Run it with `.venv/bin/python benchmarks/run.py` (needs the `bench` extra:
`.venv/bin/pip install -e .[bench]`); `--quick` runs small sizes and leaves this file alone.

Targets (issue 4): Callaway–Sant'Anna at least 5x faster than `csdid` and `differences`; TWFE no
slower than linearmodels' `PanelOLS`; the wild cluster bootstrap (9,999 draws, 500 clusters) under 2 s; randomisation inference for CS
(999 permutations, 60 units x 25 years) under 2 s;
`did_imputation` no slower than pyfixest's `did2s` at 1 M rows (issue 9).
`speedup` = peer seconds / our seconds (above 1: we are faster).
"""


def write_readme(machine_info: dict[str, str], comp: pd.DataFrame, scale: pd.DataFrame, notes: list[str]) -> str:
    parts = [README_HEAD, "## Latest run\n"]
    parts.append("\n".join(f"- **{k}**: {v}" for k, v in machine_info.items()))
    parts.append("\n### Peers\n")
    parts.append(_md_table(comp, {"ours_s": ".4f", "peer_s": ".4f", "speedup": ".2f"}))
    parts.append("\n### Growth of time and memory (ours)\n")
    parts.append(
        _md_table(scale, {"seconds": ".3f", "time_ratio": ".2f", "peak_MiB": ".1f", "memory_ratio": ".2f"})
    )
    if notes:
        parts.append("\n### Notes\n")
        parts.append("\n".join(f"- {n}" for n in notes))
    text = "\n".join(parts) + "\n"
    old = (ROOT / "benchmarks" / "README.md").read_text() if (ROOT / "benchmarks" / "README.md").exists() else ""
    marker = "<!-- village-scale: begin"
    if marker in old:  # keep the section benchmarks/village.py writes
        text += "\n" + marker + old.split(marker, 1)[1]
    write_text(ROOT / "benchmarks" / "README.md", text)
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes; do not rewrite README.md")
    ap.add_argument("--only", nargs="*", default=None, help="subset of: cs twfe wild permutation imputation scaling")
    args = ap.parse_args(argv)
    quick = args.quick
    wanted = set(args.only or ["cs", "twfe", "wild", "permutation", "imputation", "scaling"])
    info = machine()
    print("\n".join(f"{k}: {v}" for k, v in info.items()), flush=True)

    comp: list[Row] = []
    notes: list[str] = []
    jobs: list[tuple[str, Callable[[], list[Row]]]] = [
        ("cs", lambda: bench_cs(repeat=5)),
        ("twfe", lambda: bench_twfe(4_000 if quick else 40_000, repeat=1 if quick else 3)),
        ("wild", lambda: bench_wild_bootstrap(500, 10, 999 if quick else 9_999, repeat=1 if quick else 3)),
        ("permutation", lambda: bench_permutation(99 if quick else 999, repeat=1 if quick else 3)),
        ("imputation", lambda: bench_imputation(4_000 if quick else 40_000, 200 if quick else 800,
                                                repeat=1 if quick else 3)),
    ]
    for key, job in jobs:
        if key not in wanted:
            continue
        print(f"[{key}] ...", flush=True)
        try:
            comp.extend(job())
        except DisagreementError:
            raise
        except Exception as exc:  # a missing peer or estimator is reported, not hidden
            notes.append(f"`{key}` not run: {type(exc).__name__}: {exc}")
            print(f"[{key}] not run: {type(exc).__name__}: {exc}", flush=True)
    scale_rows: list[Row] = []
    if "scaling" in wanted:
        print("[scaling] ...", flush=True)
        base = {"twfe": 250 if quick else 2_500, "att_gt": 100 if quick else 1_000}
        try:
            scale_rows = bench_scaling(base, (1, 4, 16), repeat=1 if quick else 3)
        except Exception as exc:
            notes.append(f"`scaling` not run: {type(exc).__name__}: {exc}")
    comp_df = pd.DataFrame(comp)
    scale_df = pd.DataFrame(scale_rows)
    notes.extend(interpretation(comp_df, scale_df))
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        print(comp_df.to_string(index=False) if len(comp_df) else "(no peer comparison ran)")
        print(scale_df.to_string(index=False) if len(scale_df) else "(no scaling run)")
    for n in notes:
        print("note:", n)
    if not quick and args.only is None:
        write_readme(info, comp_df, scale_df, notes)
        print("wrote benchmarks/README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
