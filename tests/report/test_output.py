"""Figures are byte-reproducible; tables render; the HTML checker finds broken links."""

from __future__ import annotations

import json

import pandas as pd

from sosek_impact.report.figures import save_figure, use_study_style
from sosek_impact.report.html import Report, check_report
from sosek_impact.report.maps import plot_regions, read_regions
from sosek_impact.report.tables import to_latex, to_markdown, write_table


def _figure():
    use_study_style()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([2000, 2010, 2020], [1.0, 2.0, 1.5], marker="o")
    ax.set_title("t")
    return fig


def test_png_and_svg_are_byte_identical_across_saves(tmp_path):
    a = save_figure(_figure(), tmp_path / "a.png", formats=("png", "svg"))
    b = save_figure(_figure(), tmp_path / "b.png", formats=("png", "svg"))
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes()
    assert b"Software" not in a[0].read_bytes()  # no matplotlib version in the PNG metadata
    assert b"<dc:date>" not in a[1].read_bytes()


def test_tables_render_missing_as_empty():
    df = pd.DataFrame({"term": ["a_b", "c"], "estimate": [0.12345, float("nan")]})
    md = to_markdown(df)
    assert md.splitlines()[2] == "| a_b | 0.123 |"
    assert md.splitlines()[3] == "| c |  |"
    assert "a\\_b" in to_latex(df) and "\\toprule" in to_latex(df)


def test_report_links_and_images_checked(tmp_path):
    png = save_figure(_figure(), tmp_path / "fig.png")[0]
    (tmp_path / "spec.toml").write_text("x = 1\n")
    write_table(pd.DataFrame({"a": [1]}), tmp_path / "tab")
    rep = Report("T", tmp_path / "out" / "report.html", tmp_path)
    rep.section("Results", "results")
    rep.paragraph("Effect " + rep.number("0.10", ("spec", "spec.toml"), ("table", "tab.md")))
    rep.figure(png, "A figure", ("spec", "spec.toml"))
    rep.paragraph('<a href="#results">back</a>')
    rep.write()
    assert check_report(tmp_path / "out" / "report.html") == []
    assert 'href="../spec.toml"' in (tmp_path / "out" / "report.html").read_text()
    rep.paragraph(rep.link("gone", "missing.csv") + '<a href="#nowhere">x</a>')
    rep.write()
    problems = check_report(tmp_path / "out" / "report.html")
    assert any("missing.csv" in p for p in problems) and any("nowhere" in p for p in problems)


def test_map_reads_polygons_and_multipolygons(tmp_path):
    gj = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"bps_code": 6101, "name": "A"},
             "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
            {"type": "Feature", "properties": {"bps_code": 6102, "name": "B"},
             "geometry": {"type": "MultiPolygon", "coordinates": [[[[2, 0], [3, 0], [3, 1], [2, 0]]],
                                                                  [[[4, 0], [5, 0], [5, 1], [4, 0]]]]}},
        ],
    }
    path = tmp_path / "m.geojson"
    path.write_text(json.dumps(gj))
    regions = read_regions(path)
    assert [r.key for r in regions] == [6101, 6102] and len(regions[1].rings) == 2
    assert regions[0].centroid == (0.5, 0.25)
    use_study_style()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    sm = plot_regions(ax, regions, {6101: 1.0, 6102: 3.0}, highlight=[6102])
    assert sm.norm.vmin == 1.0 and sm.norm.vmax == 3.0
    assert len(ax.collections) == 2  # fills + highlight outlines
    plt.close(fig)


def test_numbers_are_escaped_once_and_the_page_fits_a_phone(tmp_path):
    """The entity bug: 'p = &lt; 0.001' printed literally came from escaping an already-escaped p-value."""
    import pytest

    from sosek_impact.report.html import Report, linked_number

    out = linked_number("< 0.001", {"spec": "a.toml", "script": "b.py"})
    assert "&lt; 0.001" in out and "&amp;lt;" not in out
    with pytest.raises(ValueError, match="plain text"):
        linked_number("&lt; 0.001", {"spec": "a.toml"})
    rep = Report("t", tmp_path / "r.html", tmp_path)
    page = rep.render()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert ".scroll{overflow-x:auto" in page


def test_primary_row_is_marked(tmp_path):
    import pandas as pd

    from sosek_impact.report.tables import to_html

    df = pd.DataFrame({"role": ["primary", "robustness"], "estimate": [0.1, 0.2]})
    html = to_html(df, highlight=lambda r: r["role"] == "primary")
    assert html.count('<tr class="primary">') == 1 and html.index('class="primary"') < html.index("robustness")
