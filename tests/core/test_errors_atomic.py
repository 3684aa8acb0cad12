"""The shared error hierarchy and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from sosek_impact import atomic, errors


def test_input_error_names_file_row_column_value():
    err = errors.NumberFormatError("not a number", file="a.csv", row=7, column="P0", value="abc")
    text = str(err)
    for part in ("not a number", "'a.csv'", "row 7", "'P0'", "'abc'"):
        assert part in text
    assert isinstance(err, ValueError) and isinstance(err, errors.SosekImpactError)


def test_unknown_region_error_lists_every_offender_with_matches():
    err = errors.UnknownRegionError(
        "unknown regencies", offenders={"Sangau": ["Sanggau"], "Xyz": []}, file="t.csv", column="name"
    )
    text = str(err)
    assert "'Sangau' (closest: Sanggau)" in text
    assert "'Xyz' (closest: none)" in text
    assert err.offenders == {"Sangau": ["Sanggau"], "Xyz": []}


def test_estimation_errors_are_value_errors():
    for cls in (errors.UnbalancedPanelError, errors.TreatedInFirstPeriodError, errors.SmallGroupError):
        assert issubclass(cls, errors.EstimationError) and issubclass(cls, ValueError)


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path):
    target = tmp_path / "out.txt"
    atomic.write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic.atomic_open(target) as fh:
        fh.write("half of the new")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.txt"]  # no temporary file left behind


def test_atomic_csv_and_parquet_are_byte_identical_across_writes(tmp_path: Path):
    df = pd.DataFrame({"bps_code": [6102, 6101], "year": [2019, 2019], "v": [1.5, None]})
    atomic.write_csv(df, tmp_path / "a.csv")
    atomic.write_csv(df, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    atomic.write_parquet(df, tmp_path / "a.parquet")
    atomic.write_parquet(df, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    back = pd.read_parquet(tmp_path / "a.parquet")
    assert back["v"].isna().sum() == 1  # missing stays missing


def test_atomic_write_gives_the_mode_of_a_plain_write(tmp_path: Path):
    """mkstemp makes private files; an atomic write must not leave outputs readable by the owner only."""
    import os
    import stat

    from sosek_impact.atomic import write_text

    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    write_text(tmp_path / "atomic.txt", "x")
    assert stat.S_IMODE(os.stat(tmp_path / "atomic.txt").st_mode) == stat.S_IMODE(os.stat(plain).st_mode)
