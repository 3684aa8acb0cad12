"""Small, deterministic Markdown helpers for the panel's reports."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def fmt(x: object, digits: int = 4) -> str:
    """Format a cell: numbers with ``digits`` significant digits, missing as an empty string."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if x == int(x) and abs(x) < 1e15:
            return str(int(x))
        if abs(x) >= 10 ** (digits - 1):
            return f"{x:.1f}"
        return f"{x:.{digits}g}"
    try:
        if pd.isna(x):
            return ""
    except (TypeError, ValueError):
        pass
    return str(x).replace("|", "\\|").replace("\n", " ")


def table(df: pd.DataFrame, digits: int = 4) -> str:
    """A Markdown table of ``df`` (its columns as header, no index)."""
    if df.empty:
        return "_(none)_\n"
    head = "| " + " | ".join(str(c).replace("|", "\\|") for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    rows = ["| " + " | ".join(fmt(v, digits) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *rows]) + "\n"
