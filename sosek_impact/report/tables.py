"""Tables in Markdown, LaTeX and HTML from one DataFrame, without extra dependencies."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..atomic import write_text

__all__ = ["STORED_P_SIGNIFICANT", "STORED_RESOLUTION", "STORED_SIGNIFICANT", "is_pvalue_key", "round_for_print", "round_pvalue", "whole_line", "format_interval", "format_p", "format_value", "round_stored", "to_markdown", "to_latex",
           "to_html", "write_table"]

#: Significant digits of every stored float (results JSON) and of every value before it is printed.
#: Relative noise of ~1e-10 (another BLAS, another thread count) then moves a stored value only when
#: it sits within 1e-10 of a rounding boundary at the 6th digit (a chance of about 1e-4 per number);
#: printed values (3 decimals, 2 for p-values) are further from such noise still.
STORED_SIGNIFICANT = 6
#: Absolute resolution of stored values. Below it a value is zero up to noise: an exact synthetic-control
#: pre-fit leaves gaps of 1e-13, and an effect on an outcome with levels near 70 (HDI) carries the
#: levels' rounding noise times 70. Every quantity of the study is in units (log points, percentage
#: points, index points, shares, rupiah) where 1e-6 is far below any printed or meaningful digit.
#: A stored value can still round the other way when it lies within the noise of a boundary: with
#: cross-machine noise (about 1e-13 at the study's scales) about once in 10^7 values.
STORED_RESOLUTION = 1e-6
#: Significant digits of stored p-values (no absolute resolution: p = 6e-14 stays 6e-14, printed "< 0.001").
STORED_P_SIGNIFICANT = 4


def round_stored(value: float, significant: int = STORED_SIGNIFICANT, resolution: float | None = STORED_RESOLUTION) -> float:
    """``value`` rounded to ``resolution`` and then to ``significant`` significant digits (the study's one rounding rule).

    Non-finite values and zero are returned unchanged; the result is the float whose shortest
    representation has at most ``significant`` digits, so it prints the same on every machine.
    p-values use ``round_stored(p, STORED_P_SIGNIFICANT, None)`` (see :func:`round_pvalue`).
    """
    value = float(value)
    if value == 0.0 or not math.isfinite(value):
        return value
    if resolution is not None:
        digits = -int(math.floor(math.log10(resolution)))
        value = round(value, digits)
        if value == 0.0:
            return 0.0
    return float(f"{value:.{significant}g}")


def round_for_print(value: float, decimals: int) -> float:
    """``value`` rounded before it is printed with ``decimals`` decimals: the same rule as :func:`round_stored`,
    with at least two digits beyond the printed ones (so 1,469,934 keeps its units digit and a published
    14,819.5 prints as the same integer on every machine).
    """
    value = float(value)
    if value == 0.0 or not math.isfinite(value):
        return value
    whole = max(int(math.floor(math.log10(abs(value)))) + 1, 1)
    return round_stored(value, max(STORED_SIGNIFICANT, whole + decimals + 2))


def round_pvalue(p: float) -> float:
    """A p-value rounded for storage: ``STORED_P_SIGNIFICANT`` significant digits, no absolute resolution."""
    return round_stored(p, STORED_P_SIGNIFICANT, None)


def is_pvalue_key(key: str) -> bool:
    """Whether a results key names a p-value (``p_value``, ``pvalue``, ``p_value_post``, ``analytical_p_value``, ...)."""
    k = key.lower()
    return k in {"p", "pvalue"} or k.startswith(("p_value", "pvalue")) or k.endswith(("_p_value", "_pvalue"))


def format_value(value: Any, digits: int = 3) -> str:
    """Format one cell: missing as empty, floats with ``digits`` significant decimals."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        value = round_for_print(value, digits)
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 10 ** (-digits)):
            return f"{value:.{digits}g}"
        return f"{value:.{digits}f}"
    try:  # numpy scalars
        import numpy as np

        if isinstance(value, np.floating):
            return format_value(float(value), digits)
        if isinstance(value, np.integer):
            return str(int(value))
    except ImportError:  # pragma: no cover
        pass
    if value is not None and value != value:  # pandas NA-likes
        return ""
    text = str(value)
    return "" if text in {"nan", "<NA>", "NaT", "None"} else text


def format_p(p: Any) -> str:
    """A p-value cell: ``"< 0.001"`` below one in a thousand, three decimals otherwise, empty if missing."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    from ..results_protocol import format_pvalue

    return format_pvalue(p)


def whole_line(low: Any, high: Any) -> bool:
    """Whether an interval is the whole real line (both ends infinite): it rules nothing out."""
    try:
        return math.isinf(float(low)) and math.isinf(float(high)) and float(low) < 0 < float(high)
    except (TypeError, ValueError):
        return False


def format_interval(low: Any, high: Any, digits: int = 3, assignments: int | None = None) -> str:
    """An interval cell ``[low, high]`` with a fixed number of decimals; infinite ends as ``-inf``/``inf``.

    An interval that is the whole line is written ``not informative`` (with ``assignments``: ``not
    informative (only N assignments)``), never ``[-inf, inf]``.
    """

    def one(x: Any) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "n/a"
        x = float(x)
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{round_for_print(x, digits):.{digits}f}"

    if low is None and high is None:
        return ""
    if whole_line(low, high):
        return f"not informative (only {assignments} assignments)" if assignments else "not informative"
    return f"[{one(low)}, {one(high)}]"


def _cells(df: Any, digits: int) -> tuple[list[str], list[list[str]]]:
    header = [str(c) for c in df.columns]
    rows = [[format_value(v, digits) for v in row] for row in df.itertuples(index=False, name=None)]
    return header, rows


def to_markdown(df: Any, digits: int = 3) -> str:
    """GitHub-flavoured Markdown table."""
    header, rows = _cells(df, digits)

    def esc(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(df: Any, digits: int = 3, caption: str | None = None, label: str | None = None) -> str:
    """A ``booktabs`` LaTeX table (needs ``\\usepackage{booktabs}``)."""
    header, rows = _cells(df, digits)
    align = "".join("r" if _numeric(df[c]) else "l" for c in df.columns)
    out = ["\\begin{table}[htbp]", "\\centering"]
    if caption:
        out.append(f"\\caption{{{_latex_escape(caption)}}}")
    if label:
        out.append(f"\\label{{{label}}}")
    out += [f"\\begin{{tabular}}{{{align}}}", "\\toprule", " & ".join(_latex_escape(h) for h in header) + " \\\\", "\\midrule"]
    out += [" & ".join(_latex_escape(c) for c in row) + " \\\\" for row in rows]
    out += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(out) + "\n"


def _numeric(series: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.api.types.is_numeric_dtype(series))
    except ImportError:  # pragma: no cover
        return False


def to_html(
    df: Any,
    digits: int = 3,
    caption: str | None = None,
    cell_link: Callable[[str, Any], str | None] | None = None,
    highlight: Callable[[dict[str, Any]], bool] | None = None,
) -> str:
    """An HTML ``<table>``; ``cell_link(column, value)`` may return a URL to wrap a cell in a link.

    ``highlight(row)`` (row as a column -> value dict) marks rows with ``class="primary"``.
    """
    header, rows = _cells(df, digits)
    raw_rows = list(df.itertuples(index=False, name=None))
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>")
    out.append("<tbody>")
    for raw, row in zip(raw_rows, rows, strict=True):
        cells = []
        for col, value, text in zip(df.columns, raw, row, strict=True):
            url = cell_link(str(col), value) if cell_link and text else None
            body = f'<a href="{html.escape(url)}">{html.escape(text)}</a>' if url else html.escape(text)
            cls = ' class="num"' if _numeric(df[col]) else ""
            cells.append(f"<td{cls}>{body}</td>")
        mark = highlight is not None and highlight(dict(zip(map(str, df.columns), raw, strict=True)))
        out.append(("<tr class=\"primary\">" if mark else "<tr>") + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out) + "\n"


def write_table(df: Any, stem: str | Path, *, digits: int = 3, caption: str | None = None,
                legend: list[str] | None = None) -> list[Path]:
    """Write ``stem.md``, ``stem.tex`` and ``stem.html`` atomically; return the paths.

    ``legend``: lines printed under the table in every format (e.g. the definitions of its labels).
    """
    stem = Path(stem)
    label = "tab:" + stem.name
    legend = legend or []
    md = (f"**{caption}**\n\n" if caption else "") + to_markdown(df, digits)
    if legend:
        md += "\n" + "".join(f"- {line}\n" for line in legend)
    tex = to_latex(df, digits, caption, label)
    if legend:
        notes = "".join(f"\\par {_latex_escape(line)}\n" for line in legend)
        tex = tex.replace("\\end{table}\n", "{\\footnotesize\n" + notes + "}\n\\end{table}\n")
    page = to_html(df, digits, caption)
    if legend:
        page += "<ul class=\"legend\">" + "".join(f"<li>{html.escape(line)}</li>" for line in legend) + "</ul>\n"
    files = {
        stem.with_suffix(".md"): md,
        stem.with_suffix(".tex"): tex,
        stem.with_suffix(".html"): page,
    }
    for path, text in files.items():
        write_text(path, text)
    return list(files)
