"""Property test: random BPS-style exports are read back exactly.

Hypothesis builds a table the way BPS web-table exports look (optional title line, the
``label / title / year`` head of the Miskin/IPM files or a plain header, province rows in
CAPITALS followed by their regencies, an optional INDONESIA row, notes and blank lines, one
of three separators, either decimal convention, CRLF or LF). The reference is the table
generated in memory: every value must come back exactly (it is written with 2 decimals and
compared with the same rounding), with its province block and its line, and every line must
be either a value line or a skipped line.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sosek_impact.io import format_number, read_bps_table

WORDS = ["Sambas", "Landak", "Sintang", "Melawi", "Sekadau", "Ketapang", "Malinau", "Nunukan", "Tarakan", "Bulungan"]
PROVINCES = ["KALIMANTAN BARAT", "KALIMANTAN UTARA", "KALIMANTAN TIMUR", "DKI JAKARTA", "D I YOGYAKARTA"]

value = st.one_of(st.floats(min_value=0, max_value=2e6, allow_nan=False).map(lambda v: round(v, 2)), st.just(math.nan))


@st.composite
def tables(draw):
    n_prov = draw(st.integers(1, 3))
    provinces = draw(st.permutations(PROVINCES))[:n_prov]
    blocks = []
    for p in provinces:
        names = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True))
        kinds = draw(st.lists(st.booleans(), min_size=len(names), max_size=len(names)))
        regencies = [f"Kota {n}" if k else n for n, k in zip(names, kinds)]
        blocks.append((p, [(r, draw(value)) for r in regencies], draw(value)))
    return {
        "blocks": blocks,
        "national": draw(st.one_of(st.none(), value)),
        "sep": draw(st.sampled_from([",", ";", "\t"])),
        "decimal": draw(st.sampled_from([".", ","])),
        "eol": draw(st.sampled_from(["\n", "\r\n"])),
        "bps_head": draw(st.booleans()),
        "year": draw(st.integers(1990, 2030)),
        "notes": draw(st.booleans()),
        "blank_inside": draw(st.booleans()),
        "grouping": draw(st.booleans()),
    }


def _cell(v: float, t: dict) -> str:
    if math.isnan(v):
        return "-"
    text = format_number(v, t["decimal"], decimals=2, grouping=t["grouping"])
    return f'"{text}"' if t["sep"] in text else text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=tables())
def test_random_bps_exports_round_trip(t: dict) -> None:
    sep, lines, expected = t["sep"], [], []
    if t["bps_head"]:
        lines += [f"Provinsi/Kabupaten/Kota{sep}", f"{sep}Persentase Penduduk Miskin (Persen)", f"{sep}{t['year']}"]
    else:
        lines += [f"Kabupaten/Kota{sep}{t['year']}"]
    for province, regencies, pvalue in t["blocks"]:
        lines.append(f"{province}{sep}{_cell(pvalue, t)}")
        expected.append((province, province, True, False, pvalue, len(lines)))
        for i, (name, v) in enumerate(regencies):
            if t["blank_inside"] and i == 1:
                lines.append("")
            lines.append(f"{name}{sep}{_cell(v, t)}")
            expected.append((name, province, False, False, v, len(lines)))
    if t["national"] is not None:
        lines.append(f"INDONESIA{sep}{_cell(t['national'], t)}")
        expected.append(("INDONESIA", None, False, True, t["national"], len(lines)))
    if t["notes"]:
        lines += [sep, f"Catatan: <i>angka sementara</i>{sep}", f"Sumber: Badan Pusat Statistik{sep}"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.csv"
        path.write_bytes(t["eol"].join(lines).encode())
        numbers = [v for *_, v, _ in expected if not math.isnan(v)]
        # A column whose every number is like 1.234 / 12,500 is refused by design: pass decimal.
        df = read_bps_table(path, decimal=t["decimal"] if numbers else None)
    assert df.attrs["separator"] == sep
    assert (df.year == t["year"]).all()
    got = list(zip(df.region, df.province_block, df.is_province, df.is_national, df.value, df.source_row))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        block = None if pd.isna(g[1]) else g[1]
        assert (g[0], block, g[2], g[3]) == e[:4]
        assert (math.isnan(g[4]) and math.isnan(e[4])) or g[4] == e[4]
        assert g[5] == e[5]
    assert len(set(df.source_row)) + len(df.attrs["skipped"]) == df.attrs["rows_read"] == len(lines)
