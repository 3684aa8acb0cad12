"""Incremental task runner: reruns exactly when an input's content or an output changes."""

from __future__ import annotations

import json

import pytest

from sosek_impact.report.runner import Task, inputs_digest, run_tasks


def _make(tmp_path, calls):
    (tmp_path / "in.txt").write_text("a")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "m.py").write_text("x = 1")

    def first():
        calls.append("first")
        (tmp_path / "mid.txt").write_text((tmp_path / "in.txt").read_text() + "!")

    def second():
        calls.append("second")
        (tmp_path / "out.txt").write_text((tmp_path / "mid.txt").read_text() * 2)

    return [
        Task("second", second, inputs=["mid.txt", "lib"], outputs=["out.txt"], depends=["first"]),
        Task("first", first, inputs=["in.txt"], outputs=["mid.txt"]),
    ]


def test_runs_in_dependency_order_then_skips(tmp_path):
    calls: list[str] = []
    tasks = _make(tmp_path, calls)
    state = tmp_path / "state.json"
    reps = run_tasks(tasks, tmp_path, state, log=lambda s: None)
    assert calls == ["first", "second"] and [r.status for r in reps] == ["ran", "ran"]
    assert (tmp_path / "out.txt").read_text() == "a!a!"
    run_tasks(tasks, tmp_path, state, log=lambda s: None)
    assert calls == ["first", "second"]  # nothing changed: nothing reruns
    saved = json.loads(state.read_text())
    assert saved["first"] == inputs_digest(["in.txt"], tmp_path)


def test_content_change_missing_output_and_touch(tmp_path):
    calls: list[str] = []
    tasks = _make(tmp_path, calls)
    state = tmp_path / "state.json"
    run_tasks(tasks, tmp_path, state, log=lambda s: None)
    (tmp_path / "lib" / "m.py").write_text("x = 1")  # same content rewritten: no rerun
    run_tasks(tasks, tmp_path, state, log=lambda s: None)
    assert calls == ["first", "second"]
    (tmp_path / "lib" / "m.py").write_text("x = 2")  # library source changed: only "second"
    run_tasks(tasks, tmp_path, state, log=lambda s: None)
    assert calls == ["first", "second", "second"]
    (tmp_path / "out.txt").unlink()  # output missing
    run_tasks(tasks, tmp_path, state, log=lambda s: None)
    assert calls[-1] == "second" and (tmp_path / "out.txt").exists()


def test_failure_keeps_state_and_skips_dependants(tmp_path):
    (tmp_path / "in.txt").write_text("a")
    calls: list[str] = []

    def boom():
        raise RuntimeError("killed half way")

    tasks = [
        Task("a", boom, inputs=["in.txt"], outputs=["a.txt"]),
        Task("b", lambda: calls.append("b"), inputs=["a.txt"], outputs=[], depends=["a"]),
        Task("c", lambda: calls.append("c"), inputs=["in.txt"], outputs=[]),
    ]
    reps = run_tasks(tasks, tmp_path, tmp_path / "s.json", log=lambda s: None)
    assert [r.status for r in reps] == ["failed", "failed", "ran"]
    assert "killed half way" in reps[0].error
    assert calls == ["c"]
    assert "a" not in json.loads((tmp_path / "s.json").read_text())


def test_cycle_and_unknown_dependency_are_refused(tmp_path):
    with pytest.raises(ValueError, match="cycle"):
        run_tasks([Task("a", print, depends=["b"]), Task("b", print, depends=["a"])], tmp_path, tmp_path / "s")
    with pytest.raises(ValueError, match="unknown"):
        run_tasks([Task("a", print, depends=["zz"])], tmp_path, tmp_path / "s")


def test_killed_task_leaves_previous_output_intact(tmp_path):
    """An action interrupted while writing (atomic write) keeps the last complete output."""
    from sosek_impact.atomic import atomic_open

    (tmp_path / "in.txt").write_text("v1")

    def write(fail: bool):
        def action():
            with atomic_open(tmp_path / "out.txt") as fh:
                fh.write("partial ")
                if fail:
                    raise RuntimeError("killed while writing")
                fh.write((tmp_path / "in.txt").read_text())
        return action

    state = tmp_path / "s.json"
    run_tasks([Task("t", write(False), inputs=["in.txt"], outputs=["out.txt"])], tmp_path, state, log=lambda s: None)
    assert (tmp_path / "out.txt").read_text() == "partial v1"
    (tmp_path / "in.txt").write_text("v2")
    reps = run_tasks([Task("t", write(True), inputs=["in.txt"], outputs=["out.txt"])], tmp_path, state, log=lambda s: None)
    assert reps[0].status == "failed"
    assert (tmp_path / "out.txt").read_text() == "partial v1"  # previous output, not a half-written one
    assert not list(tmp_path.glob(".out.txt.*.tmp"))
    # and the task is still out of date: the next run redoes it
    reps = run_tasks([Task("t", write(False), inputs=["in.txt"], outputs=["out.txt"])], tmp_path, state, log=lambda s: None)
    assert reps[0].status == "ran" and (tmp_path / "out.txt").read_text() == "partial v2"
