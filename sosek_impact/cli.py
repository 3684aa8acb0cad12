"""Command line: ``sosek-impact extract | build | reproduce``."""

from __future__ import annotations

import argparse
import runpy
import sys
import time

from . import paths


def _extract(args: argparse.Namespace) -> int:
    from .extracts import make_extracts

    make_extracts(shared=args.shared)
    return 0


def _build(args: argparse.Namespace) -> int:
    from .panel import build_panel

    build_panel(force=True)
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    pipeline = paths.project_root() / "analysis" / "pipeline.py"
    if not pipeline.exists():
        print(f"error: no study pipeline at {pipeline}", file=sys.stderr)
        return 2
    sys.argv = [str(pipeline), *args.rest]
    runpy.run_path(str(pipeline), run_name="__main__")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sosek-impact`` console command."""
    parser = argparse.ArgumentParser(prog="sosek-impact", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="remake data/raw from ../shared/data (maintainers only)")
    p.add_argument("--shared", default=None, help="path of the shared data folder (default ../shared/data)")
    p.set_defaults(func=_extract)
    p = sub.add_parser("build", help="build data/processed/panel.parquet and its documentation from data/raw")
    p.set_defaults(func=_build)
    p = sub.add_parser(
        "reproduce",
        help="run the whole study: data/raw -> data/processed -> reports/ (other options go to analysis/pipeline.py)",
    )
    p.set_defaults(func=_reproduce, rest=[])
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if args.command != "reproduce":
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.rest = unknown  # options of analysis/pipeline.py (e.g. --force, --only TASK)
    start = time.perf_counter()
    code = args.func(args)
    print(f"sosek-impact {args.command}: done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
