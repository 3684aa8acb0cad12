"""Every ```python block of README.md and docs/*.md runs as written on the bundled data.

Each block is executed in a new interpreter (so no import or state of another test or block leaks in),
with the repository root as working directory, this checkout first on ``PYTHONPATH`` and matplotlib's
non-interactive Agg backend, so an example that uses a name it does not define, a column
the panel does not have or a call the package no longer offers fails here. A block is skipped only
when marked as not runnable: the info string ```python no-run, or an HTML comment ``<!-- no-run -->``
on the line before the fence (kept to a handful: :data:`MAX_NO_RUN`). The test id names the file and
the line of the fence, and tracebacks point at lines of the Markdown file.

Strict on drift: a ``FutureWarning`` or ``DeprecationWarning`` saying that something is deprecated is an
error, so an example that still uses an old name fails once the name is deprecated.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MAX_NO_RUN = 2
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: file, line of the opening fence, info string and code."""

    path: Path
    line: int
    info: str
    code: str
    marked_no_run: bool

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"

    @property
    def is_python(self) -> bool:
        words = self.info.split()
        return bool(words) and words[0].lower() in {"python", "py", "python3"}

    @property
    def no_run(self) -> bool:
        return self.marked_no_run or "no-run" in self.info.split()[1:]


def fenced_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file (CommonMark fences: ``` or ~~~, up to 3 spaces in)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start = m.group("fence"), i
        previous = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        body: list[str] = []
        i += 1
        while i < len(lines) and not re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise AssertionError(f"{path}:{start + 1}: code block never closed")
        blocks.append(Block(path, start + 1, m.group("info").strip(), "\n".join(body) + "\n",
                            previous == "<!-- no-run -->"))
        i += 1
    return blocks


BLOCKS = [b for path in DOCUMENTS for b in fenced_blocks(path) if b.is_python]


def test_the_examples_are_found_and_almost_all_run():
    assert len(BLOCKS) >= 10, [b.id for b in BLOCKS]
    assert {b.path.name for b in BLOCKS} >= {"README.md", "did.md", "twfe_inference.md", "synth_honest.md"}
    no_run = [b.id for b in BLOCKS if b.no_run]
    assert len(no_run) <= MAX_NO_RUN, f"too many blocks marked no-run: {no_run}"


def test_fence_parser_reads_info_strings_and_markers(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("text\n```python\na = 1\n```\n\n<!-- no-run -->\n```python\nb\n```\n~~~python no-run\nc\n~~~\n"
                   "```bash\nls\n```\n", encoding="utf-8")
    got = [(b.line, b.is_python, b.no_run, b.code) for b in fenced_blocks(doc)]
    assert got == [(2, True, False, "a = 1\n"), (7, True, True, "b\n"), (10, True, True, "c\n"), (13, False, False, "ls\n")]


#: Runs one block in a fresh interpreter: argv = Markdown file, line of the fence; the code on stdin.
RUNNER = r"""
import sys, warnings
import matplotlib
matplotlib.use("Agg")
path, line = sys.argv[1], int(sys.argv[2])
code = compile("\n" * line + sys.stdin.read(), path, "exec")   # line numbers of the Markdown file
warnings.filterwarnings("error", message=r"(?s).*\bdeprecated\b", category=FutureWarning)
warnings.filterwarnings("error", message=r"(?s).*\bdeprecated\b", category=DeprecationWarning)
exec(code, {"__name__": "__main__"})
"""


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_doc_example_runs(block: Block):
    """A new interpreter per block, as a reader would run it: no state left by other tests or blocks."""
    if block.no_run:
        pytest.skip("marked no-run")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOSEK_IMPACT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run([sys.executable, "-c", RUNNER, str(block.path), str(block.line)], input=block.code,
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, f"{block.id} failed:\n{done.stderr[-6000:]}"
