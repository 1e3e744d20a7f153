"""Command line: ``theory check | derive | list``.

* ``theory check [--quick] [--only NAME ...] [--json PATH] [--report DIR]`` runs the registered
  checks (default sizes, or the small CI sizes with ``--quick``), prints the table, writes an HTML
  + Markdown report with plots, and exits 1 if a check fails.
* ``theory derive [--out DIR] [--only NAME ...] [--check] [--pdf] [--module MODULE ...]`` writes
  every registered derivation to ``derivations/<name>.tex``, the book ``index.tex`` and
  ``references.bib``; ``--check`` only reports stale files (exit 1); ``--pdf`` also compiles them
  with pdflatex into ``OUT/pdf`` (a LaTeX failure is one error line with the log's first error,
  exit 1); ``--module`` first imports your modules (paths or ``.py`` files) whose ``@derivation``
  builders then export with the shipped ones.
* ``theory list`` lists theories, derivations and checks.
* ``theory docs [--out DIR] [--strict]`` builds the API reference and guide (:mod:`theory.apidocs`).

Other subcommands (``sweep``) are added by the theory packages through :data:`EXTRA_COMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["main", "EXTRA_COMMANDS"]

#: name -> (configure(parser), run(args) -> exit code); filled by modules that add subcommands.
EXTRA_COMMANDS: dict[
    str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {}


def _writable_target(path: str, what: str, *, directory: bool) -> Path:
    """Validate an output path before any work starts (its parent must exist or be creatable)."""
    from theory.errors import ParameterError

    p = Path(path)
    if directory and p.exists() and not p.is_dir():
        raise ParameterError(what, path, "a directory path (a file of that name exists)")
    if not directory and p.is_dir():
        raise ParameterError(what, path, "a file path (a directory of that name exists)")
    parent = p if directory else p.parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise ParameterError(what, path, f"a path under a writable directory ({probe} is not)")
    return p


def _previous_timings(args: argparse.Namespace) -> dict[str, float]:
    """Check name -> seconds from the last run's JSON (``--json`` target or the report's
    ``checks.json``), to order the groups of a parallel run; empty when there is none."""
    import json

    for path in (args.json, Path(args.report) / "checks.json" if args.report else None):
        if path and Path(path).is_file():
            try:
                rows = json.loads(Path(path).read_text())
                return {str(r["name"]): float(r.get("seconds", 1.0)) for r in rows}
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return {}


def _cmd_check(args: argparse.Namespace) -> int:
    from theory.checks import (
        format_table,
        load_user_checks,
        run_checks,
        select,
        write_json,
        write_report,
    )
    from theory.errors import ParameterError

    # validate everything before the (long) run starts: seed, output paths, user check modules
    # and --only patterns (tests/contracts/test_cli_validation.py asserts nothing runs first)
    if not 0 <= args.seed < 2**63 - 10**6:
        raise ParameterError("--seed", args.seed, "an integer 0 <= seed < 2**63 - 1e6")
    if args.json:
        _writable_target(args.json, "--json", directory=False)
    if args.report:
        _writable_target(args.report, "--report", directory=True)
    if args.json and args.report and Path(args.json).resolve() == Path(args.report).resolve():
        raise ParameterError(
            "--json", args.json, "a file path different from the --report directory"
        )
    if args.only is not None and any(not p.strip() for p in args.only):
        raise ParameterError("--only", args.only, "non-empty patterns")
    if args.jobs < 0:
        raise ParameterError("--jobs", args.jobs, "an integer >= 0 (0: one per core)")
    jobs = args.jobs
    if jobs == 0:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        jobs = max(1, jobs or 1)
    load_user_checks(args.checks or [])
    select(args.only)
    progress = not args.no_progress and sys.stderr.isatty()
    results = run_checks(
        args.only,
        quick=args.quick,
        seed=args.seed,
        progress=progress,
        jobs=jobs,
        user_modules=args.checks or [],
        timings=_previous_timings(args) if jobs > 1 else None,
    )
    print(format_table(results))
    failed = [r for r in results if not r.passed]
    for r in failed:
        if "exception" in r.details:
            print(
                f"\n{r.name} raised:\n{r.details.get('traceback', r.details['exception'])}",
                file=sys.stderr,
            )
    if args.json:
        p = write_json(results, args.json)
        print(f"json: {p}")
    if args.report:
        p = write_report(
            results, args.report, title=f"theory check{' --quick' if args.quick else ''}"
        )
        print(f"report: {p.resolve().as_uri()}")
    return 1 if failed else 0


def _cmd_derive(args: argparse.Namespace) -> int:
    from theory.symbolic.export import INDEX_NAME, LatexError, compile_pdf, stale_files, write_all

    if args.module:
        from theory.catalog import load_user_modules

        load_user_modules(args.module, option="--module")
    out = Path(args.out)
    if args.check:
        stale = stale_files(out)
        if stale:
            print(
                f"stale derivations in {out}: {', '.join(stale)} -- run `theory derive`",
                file=sys.stderr,
            )
            return 1
        print(f"derivations in {out} are up to date")
        return 0
    _writable_target(args.out, "--out", directory=True)
    paths = write_all(out, args.only or None)
    for p in paths:
        print(f"wrote {p}")
    if args.pdf:
        pdf_dir = out.resolve() / "pdf"
        for p in paths:
            if p.suffix != ".tex":
                continue
            try:
                # the book needs three runs: contents, then page numbers, then references
                pdf = compile_pdf(p, outdir=pdf_dir, runs=3 if p.stem == INDEX_NAME else 2)
            except (LatexError, FileNotFoundError) as exc:
                print(f"theory derive: error: {exc}", file=sys.stderr)
                return 1
            print(f"compiled {pdf}")
    return 0


def _cmd_docs(args: argparse.Namespace) -> int:
    from theory.apidocs import build

    _writable_target(args.out, "--out", directory=True)
    index = build(args.out, strict=args.strict, figure=not args.no_figure)
    print(f"API reference: {index.resolve().as_uri()}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from theory.catalog import THEORIES
    from theory.checks import CHECKS, check_names
    from theory.symbolic.derivation import DERIVATION_BUILDERS, derivation_names

    check_names()
    print("theories:")
    for name, desc in THEORIES.items():
        print(f"  {name:14s} {desc}")
    print("derivations:")
    for n in derivation_names():
        print(f"  {n:40s} [{DERIVATION_BUILDERS[n][1]}]")
    print("checks:")
    for n, c in CHECKS.items():
        print(f"  {n:40s} {c.description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="theory", description="RNN theory workbench: derive, solve, check."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    pc = sub.add_parser("check", help="run theory-vs-simulation checks")
    pc.add_argument(
        "--quick",
        action="store_true",
        help="small CI sizes (tolerances follow from the same error models)",
    )
    pc.add_argument(
        "--only",
        nargs="+",
        metavar="PATTERN",
        help="exact check names, prefixes ending at '.' or '[' (e.g. gating, "
        "gating.classical.delta0), or globs with * and ? (e.g. '*lyapunov*')",
    )
    pc.add_argument(
        "--checks",
        nargs="+",
        metavar="MODULE",
        help="also load your own checks: module paths or .py files that register them with "
        "theory.checks.check (installed packages can use the entry-point group 'theory.checks')",
    )
    pc.add_argument(
        "--json",
        metavar="PATH",
        help="write [{name, theory, simulation, error, tolerance, passed}, ...]",
    )
    pc.add_argument(
        "--report",
        metavar="DIR",
        default="theory-report",
        help="report directory (index.html, report.md); '' to skip",
    )
    pc.add_argument("--seed", type=int, default=20221, help="base seed of all simulations")
    pc.add_argument("--no-progress", action="store_true", help="no progress bars")
    pc.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="worker processes, one BLAS thread each (checks grouped by module and case, largest "
        "groups first by the timings of the last --json or report checks.json); 1 = in this "
        "process with the default BLAS threads; default 0 = one per core",
    )
    pc.set_defaults(func=_cmd_check)

    pd = sub.add_parser("derive", help="export derivations as LaTeX")
    pd.add_argument("--out", default="derivations", help="output directory (default: derivations)")
    pd.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="derivation names (the book index.tex and references.bib then cover these only)",
    )
    pd.add_argument(
        "--module",
        nargs="+",
        metavar="MODULE",
        help="also load your own derivations: module paths or .py files that register them with "
        "theory.symbolic.derivation.derivation",
    )
    pd.add_argument("--check", action="store_true", help="exit 1 if the files in --out are stale")
    pd.add_argument(
        "--pdf",
        action="store_true",
        help="also compile every file and the book with pdflatex into OUT/pdf",
    )
    pd.set_defaults(func=_cmd_derive)

    pdocs = sub.add_parser(
        "docs", help="build the API reference and guide (HTML) from the docstrings"
    )
    pdocs.add_argument(
        "--out", default="theory-docs", help="output directory (default: theory-docs)"
    )
    pdocs.add_argument("--strict", action="store_true", help="treat warnings as errors (CI)")
    pdocs.add_argument(
        "--no-figure", action="store_true", help="skip the getting-started simulation figure"
    )
    pdocs.set_defaults(func=_cmd_docs)

    pl = sub.add_parser("list", help="list theories, derivations and checks")
    pl.set_defaults(func=_cmd_list)

    from theory.catalog import load_all

    load_all()
    for name, (configure, run) in EXTRA_COMMANDS.items():
        p = sub.add_parser(name)
        configure(p)
        p.set_defaults(func=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ValueError as exc:  # ParameterError and friends: a clear message, no traceback
        print(f"theory {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
