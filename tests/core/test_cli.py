"""The command lines: ``sosek-impact`` and ``run.py`` refuse what they cannot do and say what they do."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sosek_impact import cli
from sosek_impact.report.runner import Task, UnknownTaskError, run_tasks, select_tasks

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOSEK_IMPACT_")}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def _sosek(*args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sosek_impact.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=_env(**extra), timeout=120)


# --- task selection -------------------------------------------------------------------------------------

def _tasks(ran: list[str]) -> list[Task]:
    return [Task(name, lambda name=name: ran.append(name)) for name in ("panel", "gaps", "engel", "claims")]


def test_unknown_task_is_refused_before_anything_runs(tmp_path):
    ran: list[str] = []
    with pytest.raises(UnknownTaskError) as info:
        run_tasks(_tasks(ran), tmp_path, tmp_path / "state.json", only=["gaps", "engle"], log=lambda _: None)
    assert ran == [] and not (tmp_path / "state.json").exists()
    assert info.value.unknown == ["engle"] and info.value.suggestions == {"engle": ["engel"]}
    assert "'engle' (closest: engel)" in str(info.value) and "panel, gaps, engel, claims" in str(info.value)


def test_select_tasks_keeps_dependency_order_and_takes_one_name():
    tasks = _tasks([])
    assert [t.name for t in select_tasks(tasks, ["claims", "panel"])] == ["panel", "claims"]
    assert [t.name for t in select_tasks(tasks, "engel")] == ["engel"]
    assert len(select_tasks(tasks, None)) == 4
    with pytest.raises(UnknownTaskError, match="'xyz' \\(closest: none\\)"):
        select_tasks(tasks, ["xyz"])


def test_reproduce_refuses_a_typo_with_exit_2_and_the_closest_name(capsys):
    assert cli.main(["reproduce", "--only", "engle"]) == 2
    err = capsys.readouterr().err
    assert "'engle' (closest: engel" in err  # the closest name first
    assert "task(s) ran" not in err and "[1/" not in err


def test_reproduce_bad_option_exits_2(capsys):
    assert cli.main(["reproduce", "--forse"]) == 2
    assert "unrecognized arguments: --forse" in capsys.readouterr().err


def test_reproduce_list_names_every_task(capsys):
    assert cli.main(["reproduce", "--list"]) == 0
    names = [line.split(":")[0] for line in capsys.readouterr().out.splitlines()]
    import importlib.util

    spec = importlib.util.spec_from_file_location("_pipeline", ROOT / "analysis" / "pipeline.py")
    pipeline = importlib.util.module_from_spec(spec)  # the task list itself, in dependency order
    spec.loader.exec_module(pipeline)

    assert names == [t.name for t in pipeline.tasks()]
    assert names[0] == "panel" and names[-1] == "report" and {"engel", "welfare", "claims"} <= set(names)


# --- help -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command, options", [
    ((), ["extract", "build", "reproduce"]),
    (("reproduce",), ["--force", "--only", "--list", "engel"]),
    (("build",), ["--if-needed"]),
    (("extract",), ["--shared"]),
])
def test_every_command_help_lists_its_options(command, options):
    done = _sosek(*command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: sosek-impact {' '.join(command)}".rstrip())
    for option in options:
        assert option in done.stdout, (command, option)


def test_run_py_help_exits_0_and_unknown_command_exits_2():
    run = [sys.executable, str(ROOT / "run.py")]
    helped = subprocess.run([*run, "--help"], capture_output=True, text=True, timeout=30)
    assert helped.returncode == 0 and "python3 run.py reproduce" in helped.stdout and "python3 run.py test" in helped.stdout
    bad = subprocess.run([*run, "reproduse"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "unknown command 'reproduse'" in bad.stderr
    empty = subprocess.run(run, capture_output=True, text=True, timeout=30)
    assert empty.returncode == 2 and "no command given" in empty.stderr


# --- progress -------------------------------------------------------------------------------------------

def test_build_prints_each_step_as_it_happens(tmp_path):
    """Progress lines arrive while the build runs (flushed), one per step, with growing times."""
    shutil.copytree(ROOT / "data" / "raw", tmp_path / "data" / "raw")
    proc = subprocess.Popen([sys.executable, "-m", "sosek_impact.cli", "build"], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, cwd=tmp_path,
                            env=_env(SOSEK_IMPACT_ROOT=str(tmp_path), PYTHONUNBUFFERED=""))
    arrivals: list[tuple[float, str]] = []
    assert proc.stderr is not None
    for line in proc.stderr:
        arrivals.append((time.perf_counter(), line.rstrip("\n")))
    assert proc.wait(timeout=300) == 0, "\n".join(line for _, line in arrivals)
    steps = [(t, line) for t, line in arrivals if re.search(r"\(\d+\.\d s\)$", line)]
    assert len(steps) == 8, arrivals
    verbs = [line.split(": ", 1)[1].split(" ")[0] for _, line in steps]
    assert verbs[0] == "read" and sorted(verbs[1:]) == ["assembled"] * 3 + ["wrote"] * 4, verbs  # regency, province, night lights
    seconds = [float(re.search(r"\((\d+\.\d) s\)$", line).group(1)) for _, line in steps]
    assert seconds == sorted(seconds) and seconds[-1] > 0
    # Flushed: the first step reaches the reader well before the last one (not all at exit).
    assert steps[-1][0] - steps[0][0] > 0.3 * (seconds[-1] - seconds[0])
    assert arrivals[-1][1].startswith("sosek-impact build: done in")
    assert (tmp_path / "data" / "processed" / "panel.parquet").exists()


# --- advice for missing data ----------------------------------------------------------------------------

def test_missing_extract_advice_fits_a_clone_and_a_root_folder(tmp_path, monkeypatch):
    from sosek_impact import paths
    from sosek_impact.registry.tables import read_table

    monkeypatch.delenv("SOSEK_IMPACT_ROOT", raising=False)
    assert paths.data_location() == "repository"
    advice = paths.missing_data_advice(ROOT / "data" / "raw" / "regencies.csv")
    assert "git checkout -- data/raw" in advice and "sosek-impact extract" in advice
    assert "sosek-impact build" in paths.missing_data_advice(ROOT / "data" / "processed" / "panel.parquet")

    monkeypatch.setenv("SOSEK_IMPACT_ROOT", str(tmp_path))
    assert paths.data_location() == "root" and paths.raw_dir() == tmp_path.resolve() / "data" / "raw"
    with pytest.raises(FileNotFoundError) as info:
        read_table("events")
    text = str(info.value)
    assert "registry_events.csv is missing" in text and "SOSEK_IMPACT_ROOT" in text and "data/raw" in text
