"""Diagnostics of the border-post design: Goodman-Bacon, TWFE cell weights, pre-test power (Roth 2022).

Reads ``analysis/specs/design_diagnostics.toml``. On the primary sample (border-post regencies against
Kalimantan regencies without a land border) and the break-free window, it reports

- the Goodman-Bacon (2021) decomposition of the TWFE coefficient into 2x2 comparisons, with the weight
  of the "forbidden" comparisons (later-treated against already-treated units);
- the de Chaisemartin-D'Haultfoeuille (2020) weights of the treated cells in the TWFE coefficient (how
  many are negative) and their sensitivity measure;
- the power of the event-study pre-test against a linear violation of parallel trends (Roth 2022): the
  slopes it detects half and 80 % of the time, and the bias of the post-period estimate conditional on
  passing it.

The event-study covariance is the cluster-robust one, which with three treated regencies is too small
(docs/few_treated.md): the power is an upper bound, the undetectable slopes a lower bound.
"""

from __future__ import annotations

from typing import Any

from _common import FIGURES, attempt, load_spec, provenance, read_panel, write_results

SPEC = "analysis/specs/design_diagnostics.toml"


def design_frame(spec: dict[str, Any]):
    """The primary sample's balanced frame ``bps_code, year, y, group`` in the spec's window."""
    from border_posts import ever_border_codes, outcome_frame, sample_units, timing

    panel = read_panel(spec["data"]["panel"])
    window = (int(spec["data"]["first_year"]), int(spec["data"]["last_year"]))
    codes = sorted(set(panel["bps_code"].astype(int)))
    first, _ = timing(spec, codes, window[1])
    units = sample_units(spec["data"]["sample"], panel, first, set(), ever_border_codes())
    oc = spec["outcome"]
    d, dropped = outcome_frame(panel, oc["variable"], oc["transform"], units, window, first)
    return d, dropped


def diagnose(d, spec: dict[str, Any], failures: list) -> dict[str, Any]:
    """Bacon decomposition, TWFE weights and pre-test power on one frame (each recorded or its failure)."""
    from sosek_impact.diagnostics import bacon_decomposition, pretrends_power, slope_for_power, twfe_weights
    from sosek_impact.estimators import event_study

    kw = dict(y="y", unit="bps_code", time="year", group="group")
    out: dict[str, Any] = {"n_units": int(d["bps_code"].nunique()),
                           "n_treated": int((d.groupby("bps_code")["group"].first() > 0).sum()),
                           "years": [int(d["year"].min()), int(d["year"].max())]}
    bacon = attempt("bacon_decomposition", lambda: bacon_decomposition(d, **kw), failures)
    if bacon is not None:
        by = bacon.by_type().reset_index()
        out["bacon"] = {"twfe": float(bacon.twfe_estimate), "by_type": by.to_dict(orient="records")}
    w = attempt("twfe_weights", lambda: twfe_weights(d, **kw), failures)
    if w is not None:
        out["twfe_weights"] = {"n_negative": int(w.n_negative), "sum_negative": float(w.sum_negative),
                               "sigma_fe": float(w.sigma_fe)}
    es_conf = spec["event_study"]
    es = attempt("event_study", lambda: event_study(d, "y", "bps_code", "year", group="group", leads=int(es_conf["leads"]),
                                                    lags=int(es_conf["lags"]), cluster=es_conf["cluster"]), failures)
    if es is not None:
        pt = spec["pretrends"]
        out["pretrends"] = {}
        for power in pt["power"]:
            slope = attempt(f"slope_for_power {power}", lambda p=power: slope_for_power(es, float(p), alpha=float(pt["alpha"])), failures)
            res = attempt(f"pretrends_power {power}", lambda p=power: pretrends_power(es, target_power=float(p), alpha=float(pt["alpha"])), failures)
            entry: dict[str, Any] = {}
            if slope is not None:
                entry["slope"] = float(slope)
            if res is not None:
                entry.update({"power": float(res.power), "size": float(res.size), "bayes_factor": float(res.bayes_factor),
                              "post_bias_after_pretest": res.table.loc[res.table["event_time"] >= 0, ["event_time", "delta", "mean_after_pretest"]]
                              .to_dict(orient="records")})
            out["pretrends"][str(power)] = entry
    return out, bacon


def main() -> None:
    spec = load_spec(SPEC)
    failures: list[dict[str, str]] = []
    d, dropped = design_frame(spec)
    out, bacon = diagnose(d, spec, failures)
    if bacon is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from sosek_impact.report.figures import save_figure

        fig = bacon.plot()
        fig = getattr(fig, "figure", fig)
        save_figure(fig, FIGURES / "design_bacon.png")
        plt.close("all")
    write_results("design_diagnostics", {"provenance": provenance(spec, spec["data"]["panel"]), "results": out,
                                          "dropped_for_gaps": dropped, "failures": failures})


if __name__ == "__main__":
    main()
