"""A self-contained HTML report: figures embedded as base64, numbers linked to their sources.

Build a :class:`Report`, add sections, paragraphs, figures and tables, then :meth:`Report.write`.
Links are written relative to the report's folder so that the page works from a checkout.
:func:`check_report` lists links and images of a written report that do not resolve.
"""

from __future__ import annotations

import base64
import html
import numbers
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ..atomic import write_text

__all__ = ["Report", "check_report", "linked_number"]

_PLAIN_NUMBER = re.compile(r"^[+\-\u2212]?\d[\d,]*(\.\d+)?%?$")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")

_CSS = """
body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif}h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.85rem}th,td{border:1px solid #ccc;padding:.25rem .5rem}
td.num{text-align:right;font-variant-numeric:tabular-nums}caption{font-weight:bold;text-align:left;padding:.3rem 0}
figure{margin:1.5rem 0}figure img{max-width:100%}figcaption{font-size:.85rem;color:#444}
a.num{color:#0645ad;text-decoration:none;border-bottom:1px dotted #0645ad}.src{font-size:.8rem;color:#555}
.linked .srcs{display:none}.linked:hover .srcs,.linked:focus-within .srcs,#show-sources:checked~* .linked .srcs{display:inline}
@media print{.linked .srcs{display:inline}}label[for=show-sources]{font-size:.85rem;color:#444}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5rem 1rem}nav li{margin:.1rem 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
tr.primary td{background:#e3f1e3;font-weight:bold}tr.primary td:first-child{border-left:4px solid #2e7d32}
.abstract{background:#f4f7fb;border-left:4px solid #1f5fa8;padding:.5rem 1rem}.legend{font-size:.85rem}
dl.verdicts dt{font-weight:bold;margin-top:.4rem}dl.verdicts dd{margin-left:1.2rem}
@media (max-width:600px){body{margin:1rem auto;font-size:.95rem}table{font-size:.78rem}}
"""


def linked_number(text: str, links: dict[str, str]) -> str:
    """HTML for a number whose first link is the number itself and the others follow as [label].

    ``text`` is plain text (escaped here; HTML entities in it are refused with ``ValueError``).
    ``links`` maps a label (e.g. ``"spec"``) to a relative URL. The other links are shown when
    the reader hovers over or tabs to the number (and always in print), so that a paragraph of
    numbers stays readable.
    """
    if _ENTITY.search(text):
        # the text is escaped here; an already-escaped "&lt; 0.001" would print as "&lt; 0.001" on the page
        raise ValueError(f"linked_number takes plain text, got HTML {text!r}: pass '< 0.001', not '&lt; 0.001'")
    items = list(links.items())
    if not items:
        return html.escape(text)
    first_label, first_url = items[0]
    out = f'<a class="num" href="{html.escape(first_url)}" title="{html.escape(first_label)}">{html.escape(text)}</a>'
    rest = "".join(
        f'<a class="src" href="{html.escape(url)}" title="{html.escape(label)}">[{html.escape(label)}]</a>'
        for label, url in items[1:]
    )
    return f'<span class="linked">{out}<sup class="srcs">{rest}</sup></span>' if rest else out


@dataclass
class Report:
    """An HTML report under construction.

    Parameters
    ----------
    title : str
    path : path
        Where the report will be written; relative links are computed from its folder.
    root : path
        Project root; ``rel`` turns root-relative paths into report-relative links.
    """

    title: str
    path: Path
    root: Path
    _body: list[str] = field(default_factory=list)
    _toc: list[tuple[str, str]] = field(default_factory=list)

    def rel(self, target: str | Path) -> str:
        """Link from the report to ``target`` (a path relative to ``root`` or absolute)."""
        target = Path(target)
        if not target.is_absolute():
            target = self.root / target
        return Path(os.path.relpath(target, self.path.parent)).as_posix()

    def section(self, title: str, anchor: str) -> None:
        """Start a section (listed in the table of contents)."""
        self._toc.append((anchor, title))
        self._body.append(f'<h2 id="{html.escape(anchor)}">{html.escape(title)}</h2>')

    def heading(self, title: str) -> None:
        """A sub-heading inside the current section."""
        self._body.append(f"<h3>{html.escape(title)}</h3>")

    def raw(self, fragment: str) -> None:
        """Append an HTML fragment the caller has escaped."""
        self._body.append(fragment)

    def paragraph(self, fragment: str, css_class: str | None = None) -> None:
        """Append a paragraph (``fragment`` is HTML: escape plain text with :func:`html.escape`)."""
        cls = f' class="{css_class}"' if css_class else ""
        self._body.append(f"<p{cls}>{fragment}</p>")

    def link(self, text: str, target: str | Path) -> str:
        """HTML link from the report to a repository file."""
        return f'<a href="{html.escape(self.rel(target))}">{html.escape(text)}</a>'

    def number(self, text: str, *targets: tuple[str, str | Path]) -> str:
        """A number linked to the files that made it: ``targets`` are ``(label, path)`` pairs."""
        return linked_number(text, {label: self.rel(p) for label, p in targets})

    def figure(self, image: str | Path, caption: str, *targets: tuple[str, str | Path]) -> None:
        """Embed a PNG (base64) with a caption and links to its spec/script/data."""
        image = Path(image) if Path(image).is_absolute() else self.root / image
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        links = " ".join(self.link(label, p) for label, p in targets)
        self._body.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)} <span class=\"src\">"
            f"{self.link('image file', image)} {links}</span></figcaption></figure>"
        )

    def table(self, df: Any, caption: str, *targets: tuple[str, str | Path], digits: int = 3, cell_link=None,
              highlight=None) -> None:
        """Insert a table with links to the files that made it; ``highlight(row)`` marks the primary row(s)."""
        from .tables import to_html

        if cell_link is None and targets:
            # every number in the table links to the first source (the specification that made it)
            first = self.rel(targets[0][1])

            def cell_link(column: str, value: Any) -> str | None:
                # numbers only: a text cell such as the commit "19e9397092" parses as a float but is not one
                if isinstance(value, bool):
                    return None
                if isinstance(value, numbers.Real) or (isinstance(value, str) and _PLAIN_NUMBER.match(value.strip())):
                    return first
                return None

        # wide tables scroll sideways inside their own box (phones) instead of widening the page
        self._body.append('<div class="scroll">' + to_html(df, digits=digits, caption=caption, cell_link=cell_link, highlight=highlight) + "</div>")
        if targets:
            links = " ".join(self.link(label, p) for label, p in targets)
            self._body.append(f'<p class="src">Made by: {links}</p>')

    def render(self) -> str:
        """The whole page as a string."""
        toc = "".join(f'<li><a href="#{html.escape(a)}">{html.escape(t)}</a></li>' for a, t in self._toc)
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(self.title)}</h1>\n"
            '<input type="checkbox" id="show-sources"><label for="show-sources"> show the source links of every number '
            "(each number links to its specification; hover over it for its script, data and results file)</label>\n"
            f"<nav><ol>{toc}</ol></nav>\n"
            + "\n".join(self._body)
            + "\n</body>\n</html>\n"
        )

    def write(self) -> Path:
        """Write the page atomically; return its path."""
        write_text(self.path, self.render())
        return self.path


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.images: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if d.get("id"):
            self.ids.add(str(d["id"]))
        if tag == "a" and d.get("href"):
            self.hrefs.append(str(d["href"]))
        if tag == "img":
            self.images.append(str(d.get("src") or ""))


def check_report(path: str | Path) -> list[str]:
    """Problems with a written report: broken relative links, missing anchors, bad images.

    Returns an empty list when every ``href`` resolves to an existing file (or anchor) and every
    image is an embedded, decodable PNG/SVG. External links (``http``) are reported as problems
    too: the report must work offline.
    """
    path = Path(path)
    parser = _LinkCollector()
    parser.feed(path.read_text(encoding="utf-8"))
    problems = []
    for href in parser.hrefs:
        if href.startswith("#"):
            if href[1:] not in parser.ids:
                problems.append(f"anchor not found: {href}")
        elif "://" in href or href.startswith("mailto:"):
            problems.append(f"external link: {href}")
        else:
            target = (path.parent / href.split("#", 1)[0]).resolve()
            if not target.exists():
                problems.append(f"link target missing: {href}")
    if not parser.images:
        problems.append("no images")
    for src in parser.images:
        if not src.startswith("data:image/"):
            problems.append(f"image not embedded: {src[:60]}")
            continue
        try:
            payload = base64.b64decode(src.split(",", 1)[1], validate=True)
        except (ValueError, IndexError):
            problems.append("image payload is not valid base64")
            continue
        if not (payload.startswith(b"\x89PNG") or payload.lstrip().startswith(b"<")):
            problems.append("embedded image is neither PNG nor SVG")
    return problems
