"""Bad source files make the extraction fail loudly, naming file, row, column and value.

Each test copies the shared data folder to a temporary one, breaks one file and re-runs
``extract_tables``; skipped where ``../shared`` is absent.
"""

from __future__ import annotations

import shutil

import pytest

from sosek_impact import paths
from sosek_impact.errors import InputError, NumberFormatError, UnknownRegionError
from sosek_impact.extracts import extract_tables

SHARED = paths.shared_dir()
pytestmark = pytest.mark.skipif(SHARED is None, reason="../shared/data not present")


@pytest.fixture
def shared_copy(tmp_path):
    dest = tmp_path / "data"
    shutil.copytree(SHARED, dest)
    for p in dest.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


def edit(path, old, new):
    text = path.read_bytes().decode("utf-8")
    assert old in text
    path.write_bytes(text.replace(old, new, 1).encode("utf-8"))


def test_unknown_regency_in_a_bps_table(shared_copy):
    f = shared_copy / "sources/tauradavin__uas-visdat-2026/Data/Miskin 2020.csv"
    edit(f, "Kapuas Hulu,8.99", "Kapuas Huluu,8.99")
    with pytest.raises(UnknownRegionError) as err:
        extract_tables(shared_copy)
    assert "Kapuas Huluu" in " ".join(err.value.offenders)
    assert err.value.file.endswith("Miskin 2020.csv") and err.value.row == 345


@pytest.mark.slow
def test_text_in_a_number_column(shared_copy):
    f = shared_copy / "sources/quarcs-lab__indonesia514/gdp/gdp_pc.csv"
    edit(f, '" 22,444 "," 19,647 "', '" 22,4x4 "," 19,647 "')
    with pytest.raises(NumberFormatError) as err:
        extract_tables(shared_copy)
    assert (err.value.row, err.value.column) == (317, "grdp_pc_2019")


def test_missing_shared_folder(tmp_path):
    with pytest.raises(InputError):
        extract_tables(tmp_path)
