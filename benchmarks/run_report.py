"""Growth of our own time and memory, and the report of a benchmark run (benchmarks/README.md).

:func:`bench_scaling` times our TWFE and CS at growing sizes; :func:`interpretation` turns the
tables into plain-language notes and :func:`write_readme` writes them, keeping the section that
``benchmarks/village.py`` writes. Run through ``benchmarks/run.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _compare import Row, twfe_panel
from _harness import ROOT, best_time, peak_memory_mb

from sosek_impact.atomic import write_text


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
    """A Markdown table of ``df``; ``floatfmt`` maps a column to its number format."""
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
    """Write benchmarks/README.md from one run (keeping the village-scale section); return its text."""
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
