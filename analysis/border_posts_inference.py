"""Analysis 1, inference pieces: pre-trend tests, Honest DiD bounds and the TWFE few-treated rows.

Used by ``analysis/border_posts.py`` (which runs the estimators); nothing here reads data or writes files.
"""

from __future__ import annotations

from typing import Any

from _common import attempt, method


def _row(estimator: str, inference: str, est: float, se: float | None, lo: float | None,
         hi: float | None, p: float | None, **extra: Any) -> dict[str, Any]:
    return {"estimator": estimator, "inference": inference, "estimate": est, "se": se,
            "conf_low": lo, "conf_high": hi, "p_value": p, **extra}


def sup_t_pretest(dyn, crit) -> dict[str, Any] | None:
    """Joint pre-test from the uniform band: max over e < 0 of |ATT(e)| / SE against the band's critical value.

    The band's bootstrap critical value covers every event time at once, so the test of the
    pre-periods alone is conservative; it rejects when some pre-period uniform band excludes zero.
    """
    import numpy as np

    pre = dyn.loc[(dyn["egt"] < 0) & (dyn["se"] > 0)]
    if crit is None or not len(pre) or not np.isfinite(crit):
        return None
    t = (pre["att"].abs() / pre["se"]).to_numpy(float)
    k = int(np.argmax(t))
    return {"sup_t": float(t[k]), "at_event_time": int(pre["egt"].iloc[k]), "crit_val": float(crit),
            "rejects": bool(t[k] > crit), "n_pre": int(len(pre))}


def treated_by_event_time(d) -> dict[str, int]:
    """Number of treated regencies observed at each event time (year - first treated year)."""
    t = d.loc[d["group"] > 0, ["bps_code", "year", "group"]]
    e = (t["year"] - t["group"]).astype(int)
    return {str(k): int(v) for k, v in t.assign(e=e).groupby("e")["bps_code"].nunique().items()}


def honest(es, conf: dict[str, Any], label: str) -> dict[str, Any]:
    """Rambachan-Roth intervals for the average post-period event-study effect."""
    import numpy as np

    names = [f"e={e}" for e in es.event_times]
    pre = [n for n, e in zip(names, es.event_times, strict=True) if e < 0]
    post = [n for n, e in zip(names, es.event_times, strict=True) if e >= 0]
    betas = es.params.loc[pre + post].to_numpy(float)
    sigma = es.cov.loc[pre + post, pre + post].to_numpy(float)
    l_vec = np.full(len(post), 1.0 / len(post))
    out: dict[str, Any] = {"target": "average of post-period event-study coefficients", "num_pre": len(pre), "num_post": len(post)}
    if conf.get("smoothness"):
        r = method("honest_did")(betas, sigma, num_pre=len(pre), num_post=len(post), method="smoothness", l_vec=l_vec)
        out["original"] = list(r.original)
        out["smoothness"] = {"table": r.table[["M", "lb", "ub"]].to_dict(orient="records"), "breakdown": r.breakdown}
    sample = label.split(" / ")[-1]
    if conf.get("relative_magnitude") and sample in conf.get("relative_magnitude_samples", []):
        r = method("honest_did")(betas, sigma, num_pre=len(pre), num_post=len(post), method="relative_magnitude",
                                 Mbar=conf["relative_magnitude"], l_vec=l_vec)
        out["original"] = list(r.original)
        out["relative_magnitude"] = {"table": r.table[["M", "lb", "ub"]].to_dict(orient="records"), "breakdown": r.breakdown}
    return out


def _sa_average(res) -> dict[str, Any]:
    """The post-period average effect of a Sun-Abraham result, with a normal interval."""
    from scipy import stats

    att, se = float(res.estimate), float(res.std_error)
    z = stats.norm.ppf(0.975)
    return _row("Sun-Abraham (post average)", "cluster-robust by regency", att, se, att - z * se, att + z * se,
                2 * stats.norm.sf(abs(att / se)) if se else None)


def twfe_inference(d, spec, res, failures, label) -> list[dict[str, Any]]:
    """Few-treated-cluster inference for the TWFE coefficient."""
    inf = spec["inference"]
    seeds = spec["seeds"]
    rows = []
    wb = inf.get("wild_bootstrap")
    if wb:
        r = attempt(f"{label}: wild_cluster_bootstrap", lambda: method("wild_cluster_bootstrap")(
            d, "y", "treat", "treat", inf["cluster"], fe=["bps_code", "year"], weights_type=wb["weights"],
            B=wb["reps"], restricted=True, seed=seeds["bootstrap"]), failures)
        if r is not None:
            rows.append(_inference_row(r, "TWFE", f"wild cluster bootstrap ({wb['weights']}, restricted)", res))
    ri = inf.get("randomization")
    if ri:
        r = attempt(f"{label}: randomization_inference", lambda: method("randomization_inference")(
            d, "y", "bps_code", "year", "group", estimator="twfe", n_perm=ri["reps"], seed=seeds["randomization"]), failures)
        if r is not None:
            rows.append(_inference_row(r, "TWFE", "randomisation inference (permuted timing)", res))
    if inf.get("conley_taber"):
        r = attempt(f"{label}: conley_taber", lambda: method("conley_taber")(d, "y", "bps_code", "year", "treat",
                                                                       seed=seeds["randomization"]), failures)
        if r is not None:
            rows.append(_inference_row(r, "TWFE", "Conley-Taber (2011)", res))
    return rows


def _inference_row(r, estimator: str, method: str, base) -> dict[str, Any]:
    """Read a p-value and an interval off an inference result with tolerant attribute names."""
    def pick(*names):
        for n in names:
            v = getattr(r, n, None)
            if v is not None and not callable(v):
                return v
        return None

    ci = pick("interval", "ci")
    lo, hi = (None, None)
    if ci is not None:
        try:
            lo, hi = float(ci[0]), float(ci[1])
        except (TypeError, IndexError, KeyError):
            lo, hi = None, None
    est = pick("estimate", "coef")
    if est is None:
        est = float(base.params["treat"])
    return _row(estimator, method, float(est), pick("std_error", "se"), lo, hi, pick("p_value", "pvalue"))


def honest_cs(d, control: str, conf: dict[str, Any], es_conf: dict[str, Any], label: str) -> dict[str, Any]:
    """Rambachan-Roth intervals for the average post-period effect of the Callaway-Sant'Anna event study.

    The CS event study with a universal base period (``e = -1``), event times ``-leads..lags`` of the
    spec's event study, never- or not-yet-treated controls as the row's; the covariance is the
    influence-function covariance of the dynamic aggregate (``honest_did`` reads it from the result),
    which with few treated regencies is too small, so the bounds are too narrow.
    """
    import warnings

    r_att = method("att_gt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # single-unit cohorts: the covariance caveat is stated with the result
        res = r_att(d, "y", "bps_code", "year", "group", control=control, base_period="universal")
        dyn = res.aggregate("dynamic", min_e=-int(es_conf["leads"]), max_e=int(es_conf["lags"]), na_rm=True)
    out: dict[str, Any] = {"target": "average of post-period Callaway-Sant'Anna event-time effects (universal base period e = -1)",
                           "covariance": "influence-function covariance of the CS dynamic aggregate (analytical; too small with "
                                         "few treated regencies, so the bounds are too narrow)",
                           "event_times": [int(e) for e in dyn.to_frame()["egt"]]}
    import numpy as np

    n_post = int((dyn.to_frame()["egt"] >= 0).sum())
    l_vec = np.full(n_post, 1.0 / n_post)  # the average post-period effect, as the TWFE rows
    hd = method("honest_did")
    if conf.get("smoothness"):
        r = hd(dyn, method="smoothness", l_vec=l_vec)
        out["original"] = list(r.original)
        out["smoothness"] = {"table": r.table[["M", "lb", "ub"]].to_dict(orient="records"), "breakdown": r.breakdown}
    sample = label.split(" / ")[-1]
    if conf.get("relative_magnitude") and sample in conf.get("relative_magnitude_samples", []):
        r = hd(dyn, method="relative_magnitude", Mbar=conf["relative_magnitude"], l_vec=l_vec)
        out["original"] = list(r.original)
        out["relative_magnitude"] = {"table": r.table[["M", "lb", "ub"]].to_dict(orient="records"), "breakdown": r.breakdown}
    return out
