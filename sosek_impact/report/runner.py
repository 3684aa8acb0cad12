"""A small incremental task runner: declared inputs and outputs, content hashes, atomic state.

A :class:`Task` names the files it reads (``inputs``: files, folders or glob patterns, which
should include its specification, its script and the library source it uses) and the files
it writes (``outputs``). :func:`run_tasks` reruns a task only when the content hash of one of
its inputs changed since its last successful run or when one of its outputs is missing. The
state (one hash per task) is a JSON file written atomically after every task, so a killed run
keeps the state of the tasks that finished and leaves the outputs of the others as they were
(outputs themselves must be written with :mod:`sosek_impact.atomic`).

Only the standard library is imported here, so that a run with nothing to do stays fast.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_text
from ..errors import SosekImpactError

__all__ = ["Task", "TaskReport", "UnknownTaskError", "expand_inputs", "inputs_digest", "run_tasks", "select_tasks"]


class UnknownTaskError(SosekImpactError, ValueError):
    """Task names that no task has; ``suggestions`` maps each to its closest known names.

    Parameters
    ----------
    unknown
        The names asked for that match no task, in the order given.
    known
        Every task name.
    """

    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        self.unknown = list(unknown)
        self.known = list(known)
        self.suggestions = {name: difflib.get_close_matches(name, self.known, n=3, cutoff=0.5) for name in self.unknown}
        parts = [f"{name!r} (closest: {', '.join(close) if close else 'none'})"
                 for name, close in self.suggestions.items()]
        super().__init__(f"unknown task(s) {'; '.join(parts)}; the tasks are: {', '.join(self.known)}")


@dataclass(frozen=True)
class Task:
    """One step of a pipeline.

    Parameters
    ----------
    name : str
        Unique name, also the key of the task in the state file.
    action : callable
        Called with no argument when the task must run; it writes every path in ``outputs``.
    inputs : sequence of str or Path
        Files, folders (all files below, recursively) or glob patterns relative to ``root``.
    outputs : sequence of str or Path
        Files the action writes, relative to ``root``.
    depends : sequence of str
        Names of tasks that must run first (their outputs are usually among ``inputs``).
    """

    name: str
    action: Callable[[], object]
    inputs: Sequence[str | Path] = ()
    outputs: Sequence[str | Path] = ()
    depends: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class TaskReport:
    """What happened to one task in a run: ``status`` is ``"ran"``, ``"skipped"`` or ``"failed"``."""

    name: str
    status: str
    seconds: float
    reason: str
    error: str | None = None


_IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis"}


def expand_inputs(patterns: Iterable[str | Path], root: Path) -> list[Path]:
    """Resolve input patterns to a sorted list of existing files.

    A folder stands for every file below it; a pattern with ``*`` or ``?`` is globbed;
    a plain path that does not exist is kept so that its absence changes the digest.
    Temporary files of atomic writes (``.name.*.tmp``) and caches are ignored.
    """
    files: set[Path] = set()
    for pattern in patterns:
        text = str(pattern)
        path = root / text
        if any(ch in text for ch in "*?["):
            candidates = root.glob(text)
        elif path.is_dir():
            candidates = path.rglob("*")
        else:
            files.add(path)
            continue
        for cand in candidates:
            if cand.is_file() and not _ignored(cand):
                files.add(cand)
    return sorted(files)


def _ignored(path: Path) -> bool:
    return bool(_IGNORED_PARTS.intersection(path.parts)) or (
        path.name.startswith(".") and path.name.endswith(".tmp")
    ) or path.suffix == ".pyc"


def inputs_digest(patterns: Iterable[str | Path], root: Path) -> str:
    """SHA-256 over the relative names and contents of the expanded inputs."""
    digest = hashlib.sha256()
    for path in expand_inputs(patterns, root):
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        digest.update(rel.encode())
        digest.update(b"\0")
        if path.exists():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()


def _load_state(path: Path) -> dict[str, str]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in state.items()} if isinstance(state, dict) else {}


def _order(tasks: Sequence[Task]) -> list[Task]:
    """Topological order that keeps the declared order where dependencies allow."""
    by_name = {t.name: t for t in tasks}
    if len(by_name) != len(tasks):
        raise ValueError("task names must be unique")
    done: list[Task] = []
    seen: set[str] = set()

    def visit(task: Task, stack: tuple[str, ...]) -> None:
        if task.name in seen:
            return
        if task.name in stack:
            raise ValueError(f"dependency cycle: {' -> '.join((*stack, task.name))}")
        for dep in task.depends:
            if dep not in by_name:
                raise ValueError(f"task {task.name!r} depends on unknown task {dep!r}")
            visit(by_name[dep], (*stack, task.name))
        seen.add(task.name)
        done.append(task)

    for task in tasks:
        visit(task, ())
    return done


def select_tasks(tasks: Sequence[Task], only: Iterable[str] | None) -> list[Task]:
    """The tasks to consider, in dependency order: all of them, or those named in ``only``.

    Raises
    ------
    UnknownTaskError
        If a name in ``only`` is not a task's name (nothing runs then), with the closest names.
    """
    ordered = _order(tasks)
    if only is None:
        return ordered
    if isinstance(only, str):
        only = [only]
    wanted = list(dict.fromkeys(only))
    known = [t.name for t in tasks]
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise UnknownTaskError(unknown, known)
    return [t for t in ordered if t.name in wanted]


def run_tasks(
    tasks: Sequence[Task],
    root: str | Path,
    state_file: str | Path,
    *,
    force: bool = False,
    only: Iterable[str] | None = None,
    keep_going: bool = True,
    log: Callable[[str], object] | None = None,
) -> list[TaskReport]:
    """Run the tasks that are out of date, in dependency order.

    Parameters
    ----------
    tasks : sequence of Task
    root : path
        Folder that ``inputs`` and ``outputs`` are relative to.
    state_file : path
        JSON file holding, per task, the digest of its inputs at its last successful run.
    force : bool
        Run every selected task whatever the state says.
    only : iterable of str, optional
        Names of the tasks to consider (their dependencies are not added automatically); an unknown
        name raises :class:`UnknownTaskError` before anything runs.
    keep_going : bool
        After a failure, go on with tasks that do not depend on the failed one.
    log : callable, optional
        Receives one progress line per task (default: print to stderr).

    Returns
    -------
    list of TaskReport

    Raises
    ------
    UnknownTaskError
        A name in ``only`` is not a task's name.
    """
    ordered = select_tasks(tasks, only)
    root = Path(root)
    state_path = Path(state_file)
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    state = _load_state(state_path)
    failed: set[str] = set()
    reports: list[TaskReport] = []
    total = len(ordered)
    for i, task in enumerate(ordered, 1):
        prefix = f"[{i}/{total}] {task.name}"
        if failed.intersection(task.depends):
            reports.append(TaskReport(task.name, "failed", 0.0, "a dependency failed"))
            failed.add(task.name)
            log(f"{prefix}: not run (a dependency failed)")
            continue
        digest = inputs_digest(task.inputs, root)
        missing = [str(o) for o in task.outputs if not (root / o).exists()]
        if force:
            reason = "forced"
        elif state.get(task.name) != digest:
            reason = "inputs changed" if task.name in state else "never ran"
        elif missing:
            reason = f"output missing: {missing[0]}"
        else:
            reports.append(TaskReport(task.name, "skipped", 0.0, "up to date"))
            log(f"{prefix}: up to date")
            continue
        log(f"{prefix}: running ({reason})")
        start = time.perf_counter()
        cpu = time.process_time()
        try:
            task.action()
        except Exception as exc:  # a failing task must not take the others down
            seconds = time.perf_counter() - start
            error = f"{type(exc).__name__}: {exc}"
            reports.append(TaskReport(task.name, "failed", seconds, reason, error))
            failed.add(task.name)
            state.pop(task.name, None)
            write_text(state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")
            log(f"{prefix}: FAILED after {seconds:.1f} s: {error}")
            if not keep_going:
                raise
            continue
        seconds = time.perf_counter() - start
        still_missing = [str(o) for o in task.outputs if not (root / o).exists()]
        if still_missing:
            reports.append(
                TaskReport(task.name, "failed", seconds, reason, f"did not write {still_missing}")
            )
            failed.add(task.name)
            log(f"{prefix}: FAILED: did not write {still_missing}")
            continue
        # The digest taken before the run is recorded: an input edited while the task ran
        # makes the next run redo the task.
        state[task.name] = digest
        write_text(state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")
        reports.append(TaskReport(task.name, "ran", seconds, reason))
        log(f"{prefix}: done in {seconds:.1f} s (cpu {time.process_time() - cpu:.1f} s)")
    return reports
