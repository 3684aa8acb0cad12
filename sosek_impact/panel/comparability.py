"""Is a value from one source comparable with the series of another in the adjacent year?

:func:`series_comparability` answers, per variable, whether the 2019 cross-section values
(``dapoer_2019``) of the regency poverty rate and HDI can sit in front of the 2020–2024 BPS tables
(``bps_p0_*``, ``bps_ipm_*``) as one series. It compares the change across the source seam
(2019→2020, same regency) with the year-to-year changes inside the reference series
(2020→2021, …, 2023→2024): a seam change beyond what the reference series shows in a normal year is
a *jump*. Used by the study to decide whether 2019 is a usable pre-year; nothing is changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Quantile of the reference |excess change| beyond which a seam change counts as a jump.
JUMP_QUANTILE = 0.95


def _excess_changes(d: pd.DataFrame, variable: str) -> pd.DataFrame:
    """Year-on-year changes of consecutive years, minus the median change of that year."""
    d = d.sort_values(["bps_code", "year"])
    prev = d.groupby("bps_code")[[variable, "year"]].shift()
    out = d.assign(prev=prev[variable], prev_year=prev["year"])
    out = out.loc[out["prev"].notna() & (out["prev_year"] == out["year"] - 1)].copy()
    out["change"] = out[variable] - out["prev"]
    out["excess"] = out["change"] - out.groupby("year")["change"].transform("median")
    return out


def series_comparability(panel: pd.DataFrame, variables: tuple[str, ...] = ("poverty_rate", "hdi"), *,
                         test_year: int = 2019, reference_prefix: str = "bps_",
                         quantile: float = JUMP_QUANTILE) -> pd.DataFrame:
    """Compare the ``test_year`` values of a variable with the reference series that follows.

    Parameters
    ----------
    panel
        The regency panel (``bps_code``, ``year``, ``<variable>`` and ``<variable>_source``).
    variables
        Panel columns to check.
    test_year
        Year whose values come from another source than the reference series (2019: ``dapoer_2019``).
    reference_prefix
        ``source_id`` prefix of the reference series (``"bps_"``: the BPS yearly tables).
    quantile
        The jump threshold is this quantile of the |excess change| (change minus that year's median
        change) over all consecutive years of the reference series.

    Returns
    -------
    pandas.DataFrame
        One row per variable: ``test_source``, ``regencies`` (pairs test year / next year),
        ``correlation`` (levels), ``mean_difference`` (next year − test year) and its ``sd``,
        ``reference_median_change`` (median of the reference year-on-year changes) and
        ``reference_sd_change``, ``threshold`` (|excess| at ``quantile``), ``share_jumps`` (seam
        pairs whose |change − seam median change| exceeds the threshold; about ``1 − quantile`` if the
        seam behaves like a normal year) and ``share_jumps_raw`` (without removing the seam median, i.e.
        counting a common level shift as jumps too).
    """
    rows = []
    for v in variables:
        src = f"{v}_source"
        d = panel.loc[panel[v].notna(), ["bps_code", "year", v, src]].copy()
        ref = d.loc[d[src].fillna("").str.startswith(reference_prefix)]
        test = d.loc[(d["year"] == test_year) & ~d[src].fillna("").str.startswith(reference_prefix)]
        nxt = ref.loc[ref["year"] == test_year + 1]
        pair = test.merge(nxt, on="bps_code", suffixes=("_test", "_next"))
        ref_changes = _excess_changes(ref[["bps_code", "year", v]], v)
        row = {"variable": v, "test_year": test_year,
               "test_source": ", ".join(sorted(test[src].dropna().unique())),
               "reference_years": (f"{int(ref['year'].min())}–{int(ref['year'].max())}" if len(ref) else ""),
               "regencies": len(pair)}
        if len(pair) >= 3 and len(ref_changes) >= 3:
            change = pair[f"{v}_next"] - pair[f"{v}_test"]
            threshold = float(ref_changes["excess"].abs().quantile(quantile))
            ref_sd = float(ref_changes["change"].std())
            row.update({
                "correlation": float(np.corrcoef(pair[f"{v}_test"], pair[f"{v}_next"])[0, 1]),
                "mean_difference": float(change.mean()), "sd_difference": float(change.std()),
                "reference_median_change": float(ref_changes["change"].median()),
                "reference_sd_change": ref_sd,
                "threshold": threshold,
                "share_jumps": float(((change - change.median()).abs() > threshold).mean()),
                "share_jumps_raw": float(((change - ref_changes["change"].median()).abs() > threshold).mean()),
                "reference_share_by_year": ", ".join(
                    f"{int(y) - 1}→{int(y)}: {float((g['excess'].abs() > threshold).mean()):.3f}"
                    for y, g in ref_changes.groupby("year")),
            })
        rows.append(row)
    return pd.DataFrame(rows)


def comparability_section(panel: pd.DataFrame) -> str:
    """Markdown for ``validation.md``: :func:`series_comparability` of P0 and HDI, with its reading."""
    from .markdown import table

    res = series_comparability(panel)
    text = ("Can the 2019 cross-section (DAPOER, World Bank API) sit in front of the BPS 2020–2024 tables? "
            "Same regency, 2019 vs 2020, compared with the year-on-year changes inside the BPS series "
            f"(jump: |change − median change| beyond the {JUMP_QUANTILE:.0%} quantile of that quantity in the BPS "
            f"years; about {1 - JUMP_QUANTILE:.0%} of pairs if the seam behaves like a normal year). "
            "`share_jumps_raw` also counts a common level shift; `reference_share_by_year` is the same share "
            "within each pair of BPS years. 2019→2020 spans the first COVID-19 year, so part of an excess "
            "may be real change. The ~2021 cross-section (`kemiskinan_2021`) is compared with BPS 2021 in "
            "the same year under 'Source disagreements'. Computed by "
            "`sosek_impact.panel.comparability.series_comparability`.\n\n")
    text += table(res, 4)
    notes = []
    for r in res.itertuples(index=False):
        if not hasattr(r, "share_jumps") or pd.isna(getattr(r, "share_jumps", np.nan)):
            notes.append(f"- `{r.variable}`: too few pairs to compare.")
            continue
        ratio = r.share_jumps / (1 - JUMP_QUANTILE)
        notes.append(f"- `{r.variable}`: correlation {r.correlation:.3f}, mean change 2019→2020 "
                     f"{r.mean_difference:+.3f} (BPS median year-on-year change {r.reference_median_change:+.3f}); "
                     f"{r.share_jumps:.1%} of regencies jump ({ratio:.1f}× the share in a normal BPS year).")
    return text + "\n" + "\n".join(notes) + "\n"
