"""Command line: ``sosek-impact extract | build | reproduce``.

``extract`` and ``build`` write the repository's ``data/`` folders and ``reproduce`` runs the study
(``analysis/pipeline.py``), so all three need a clone (or ``SOSEK_IMPACT_ROOT`` naming one); from an
installed package they refuse with exit status 2 and say so. Exit status: 0 done, 1 a step failed,
2 a bad command line or a command that cannot run here.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time

from . import paths
from .errors import SosekImpactError

USAGE_ERROR = 2


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _extract(args: argparse.Namespace) -> int:
    from .extracts import make_extracts

    _say(f"extract: reading {args.shared or paths.shared_dir() or '../shared/data'}, writing {paths.raw_dir()}")
    make_extracts(shared=args.shared)
    return 0


def _build(args: argparse.Namespace) -> int:
    from .panel import build_panel

    _say(f"build: {paths.raw_dir()} -> {paths.processed_dir()}")
    build_panel(force=not args.if_needed, log=lambda line: _say(f"build: {line}"))
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    pipeline = paths.project_root() / "analysis" / "pipeline.py"
    if not pipeline.exists():
        _say(f"sosek-impact reproduce: error: no study pipeline at {pipeline} (the study runs from a clone of "
             f"the repository; {paths.ROOT_VARIABLE} may name one)")
        return USAGE_ERROR
    spec = importlib.util.spec_from_file_location("sosek_study_pipeline", pipeline)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        return int(module.main(args.rest))
    except SystemExit as done:  # argparse inside the pipeline: --help (0) or a bad option (2)
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else USAGE_ERROR)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sosek-impact", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Extract the public data, build the regency and province panels, and reproduce the study\n"
                    "of whether Indonesia-Malaysia border cooperation raised welfare in border regencies.\n\n"
                    "All three commands work on a clone of the repository (or one named by\n"
                    f"${paths.ROOT_VARIABLE}); an installed package refuses them and says so.",
        epilog="Run `sosek-impact COMMAND --help` for the options of a command.\n\n"
               "exit status: 0 done, 1 a step failed, 2 a bad command line or a command that cannot run here.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("extract", help="remake data/raw from ../shared/data (maintainers only)",
                       description="Remake the tidy extracts of data/raw from the public sources in ../shared/data.")
    p.add_argument("--shared", default=None, metavar="FOLDER",
                   help="the shared data folder (default: ../shared/data beside the project, or $SOSEK_IMPACT_SHARED)")
    p.set_defaults(func=_extract)
    p = sub.add_parser("build", help="build data/processed (panels, data dictionary, validation report) from data/raw",
                       description="Build data/processed/panel.{parquet,csv}, province_panel.{parquet,csv}, "
                                   "DATA_DICTIONARY.md and validation.md from data/raw, printing each step.")
    p.add_argument("--if-needed", action="store_true",
                   help="do nothing if the stored panels match data/raw and the build code (default: always rebuild)")
    p.set_defaults(func=_build)
    # The options of `reproduce` belong to analysis/pipeline.py, which parses them (and answers --help):
    # one definition, whether the pipeline runs through this command or as a script.
    p = sub.add_parser("reproduce", add_help=False,
                       help="run the whole study: data/raw -> data/processed -> reports/ "
                            "(--force, --only TASK ..., --list; see reproduce --help)")
    p.set_defaults(func=_reproduce, rest=[])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sosek-impact`` console command; returns the exit status."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if args.command != "reproduce":
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.rest = unknown  # options of analysis/pipeline.py (e.g. --force, --only TASK, --help)
    if paths.packaged():
        _say(f"sosek-impact {args.command}: error: {args.command} works on a clone of the repository; this "
             f"sosek_impact is an installed package (it bundles the built panels: sosek_impact.load_panel()). "
             f"Clone the repository and run there, or set {paths.ROOT_VARIABLE} to the clone.")
        return USAGE_ERROR
    start = time.perf_counter()
    try:
        code = args.func(args)
    except (FileNotFoundError, SosekImpactError) as exc:
        _say(f"sosek-impact {args.command}: error: {exc}")
        return 1
    if args.command != "reproduce":  # the pipeline prints its own total
        _say(f"sosek-impact {args.command}: done in {time.perf_counter() - start:.1f} s")
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
