"""The malformed-input corpus: each file must raise its typed error naming file, row and column.

Reference: ``tests/io/malformed/manifest.csv`` (written with the files by ``make_corpus.py``),
where each expected line number was counted by hand in the file's text.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sosek_impact import errors
from sosek_impact.io import read_bps_table

CORPUS = Path(__file__).resolve().parent / "malformed"


def _cases() -> list[dict[str, str]]:
    with open(CORPUS / "manifest.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


CASES = _cases()


def test_corpus_is_large_enough_and_complete() -> None:
    assert len(CASES) >= 40
    listed = {c["file"] for c in CASES}
    on_disk = {p.name for p in CORPUS.iterdir() if p.name not in {"manifest.csv", "make_corpus.py"}}
    assert listed == on_disk


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_malformed_file_raises_located_error(case: dict[str, str]) -> None:
    expected = getattr(errors, case["expected_error"])
    options = json.loads(case["options"]) if case["options"] else {}
    for key in ("value_range", "year_range"):
        if key in options:
            options[key] = tuple(options[key])
    path = CORPUS / case["file"]
    with pytest.raises(errors.InputError) as info:
        read_bps_table(path, **options)
    exc = info.value
    assert type(exc) is expected, f"{case['what']}: got {type(exc).__name__}: {exc}"
    message = str(exc)
    assert exc.file is not None and Path(exc.file).name == case["file"]
    assert case["file"] in message
    if case["expected_row"]:
        assert exc.row == int(case["expected_row"]), message
        assert f"row {case['expected_row']}" in message
    if case["expected_column"]:
        assert exc.column == case["expected_column"], message
        assert repr(case["expected_column"]) in message
