"""``genlab grade SUBMISSION... --out DIR``: grade notebooks against the solution notebooks;
``genlab report DIR``: write a grading folder's class report again.

Wired into :mod:`genlab.cli` by ``add_grade_parser(commands)``, which adds both commands.
After grading, ``genlab grade`` writes the class report (``report.html``, ``report.json``,
``report-*.csv``), the similarity report (``similarity.html``, ``similarity.csv``) and, with
``--roster`` and ``--export``, the gradebooks an LMS imports (:mod:`genlab.grading.after`).

The exit status says whether grading ran (0), not whether students passed: 1 if the grader
itself failed on a submission, 2 for bad arguments (no submissions, no solutions folder), 130
if interrupted (rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

GRADING_MODULES = ("nbclient", "jupyter_client", "ipykernel")  # the `grading` extra


def add_grade_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``grade`` subcommand to the ``genlab`` command's subparsers."""
    grade = subparsers.add_parser(
        "grade",
        help="grade submitted notebooks (files or folders) into a CSV and feedback files",
        description="Grade submitted notebooks. Each runs in a fresh, resource-limited kernel "
        "(in a bubblewrap sandbox on Linux, where it sees nothing but itself); "
        "every verdict is decided by the grader, outside the student's kernel. Writes "
        "DIR/grades.csv (submission, question, points, max_points, status, message), "
        "DIR/feedback/*.md and DIR/results/*.json; rerunning resumes where a run stopped.",
    )
    grade.add_argument("submissions", nargs="+", help="notebook files or folders of them")
    grade.add_argument("--out", required=True, help="folder for grades.csv and feedback/")
    grade.add_argument(
        "--solutions", default=None, help="folder of solution notebooks (default: solutions/)"
    )
    grade.add_argument(
        "--assignment",
        default=None,
        help="grade every submission against this solution "
        "(e.g. 03_gaussian_vae; default: matched by cell ids, then by file name)",
    )
    grade.add_argument("--jobs", type=int, default=None, help="submissions graded in parallel")
    grade.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell")
    grade.add_argument("--timeout", type=float, default=300.0, help="seconds per submission")
    grade.add_argument(
        "--memory-mb",
        type=int,
        default=2048,
        help="memory a notebook may allocate beyond torch and genlab (0: no limit)",
    )
    grade.add_argument(
        "--max-output", type=int, default=2_000_000, help="bytes of cell output kept per submission"
    )
    grade.add_argument(
        "--seed",
        type=int,
        default=None,
        help="fix the random test inputs (default: new ones every run)",
    )
    grade.add_argument("--regrade", action="store_true", help="ignore results of earlier runs")
    grade.add_argument("--quiet", action="store_true", help="no progress lines")
    _add_report_arguments(grade)
    grade.add_argument(
        "--similarity-threshold",
        type=float,
        default=0.9,
        help="share of normalised 4-token runs two answers must share to be flagged (0.9)",
    )
    grade.set_defaults(run=run_grade)
    report = subparsers.add_parser(
        "report",
        help="write the class report (and gradebooks) of a grading folder again",
        description="Write DIR/report.html, report.json and report-*.csv again from "
        "DIR/grades.csv and DIR/results (and, with --export, the gradebook CSV files).",
    )
    report.add_argument("folder", help="the folder genlab grade --out wrote")
    report.add_argument(
        "--solutions", default=None, help="folder of solution notebooks (default: solutions/)"
    )
    _add_report_arguments(report)
    report.set_defaults(run=run_report)
    return grade


def _add_report_arguments(parser: argparse.ArgumentParser) -> None:
    from genlab.grading.lms import FORMATS

    parser.add_argument(
        "--roster",
        default=None,
        help="CSV with the columns student_id, name, file (the submission's file name)",
    )
    parser.add_argument(
        "--export",
        action="append",
        choices=sorted(FORMATS),
        default=[],
        help="also write the gradebook CSV this LMS imports (repeat for several; needs --roster)",
    )
    parser.add_argument(
        "--site-url", default=None, help="the course website, for links to lecture sections"
    )


def _report_options(args: argparse.Namespace, solutions: Path):
    from genlab.grading.after import ReportOptions

    if args.export and not args.roster:
        raise ValueError("--export needs --roster ROSTER.csv (student_id, name, file)")
    if args.roster:
        from genlab.grading.lms import Roster

        if not Path(args.roster).is_file():
            raise FileNotFoundError(f"roster {args.roster} does not exist")
        Roster.read(args.roster)  # a bad roster is refused before grading, not after
    threshold = getattr(args, "similarity_threshold", 0.9)
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"--similarity-threshold must be in (0, 1]; got {threshold}")
    root = solutions.resolve().parent
    if not (root / "lectures").is_dir():  # solutions kept apart: link to the course's lectures
        root = _solutions_folder(None).parent
    return ReportOptions(
        roster=args.roster,
        exports=tuple(dict.fromkeys(args.export)),
        root=root,
        site_url=args.site_url,
        threshold=threshold,
    )


def _tell(after) -> None:
    """Say what was written after grading, and the roster's loose ends."""
    if after is None:
        return
    names = [p.name for p in after.paths]
    print(f"wrote {', '.join(names)}")
    if after.unknown:
        print(
            f"genlab: {len(after.unknown)} submission(s) are not on the roster and were left "
            f"out of the gradebooks: {', '.join(after.unknown[:10])}"
            + (" ..." if len(after.unknown) > 10 else ""),
            file=sys.stderr,
        )
    if after.missing:
        print(
            f"genlab: {len(after.missing)} roster entr(ies) have no submission and were scored "
            "0 (listed in report.html)",
            file=sys.stderr,
        )


def run_report(args: argparse.Namespace) -> int:
    """Run ``genlab report``; return the exit status."""
    from genlab.grading.after import rewrite_report

    solutions = _solutions_folder(args.solutions)
    _tell(rewrite_report(args.folder, solutions, _report_options(args, solutions)))
    return 0


def _solutions_folder(given: str | None) -> Path:
    if given:
        return Path(given)
    from genlab.notebooks import repository_root

    try:
        return repository_root() / "solutions"
    except FileNotFoundError:
        return repository_root(Path(__file__).parent) / "solutions"


def run_grade(args: argparse.Namespace) -> int:
    """Run ``genlab grade``; return the exit status."""
    missing = [m for m in GRADING_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        print(f"genlab grade needs {', '.join(missing)}: pip install 'genlab[grading]'")
        return 2
    from genlab.grading import sandbox
    from genlab.grading.batch import grade
    from genlab.grading.grader import GradeConfig

    if args.cell_timeout <= 0 or args.timeout <= 0:
        raise ValueError("--cell-timeout and --timeout must be > 0 seconds")
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1; got {args.jobs}")
    config = GradeConfig(
        cell_timeout=args.cell_timeout,
        timeout=args.timeout,
        max_output_bytes=args.max_output,
        memory_mb=args.memory_mb,
    )
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    solutions = _solutions_folder(args.solutions)
    options = _report_options(args, solutions)
    why = sandbox.unavailable()
    if why:  # said once, whatever --quiet says
        print(
            f"genlab: grading WITHOUT a sandbox ({why}): a submission's kernel can read and "
            "write what this user can (see 'What the grader trusts' in the README)",
            file=sys.stderr,
            flush=True,
        )
    try:
        report = grade(
            args.submissions,
            args.out,
            solutions,
            config=config,
            jobs=args.jobs,
            assignment=args.assignment,
            seed=args.seed,
            regrade=args.regrade,
            progress=progress,
            report=options,
        )
    except KeyboardInterrupt:
        print("interrupted: rerun the same command to resume", file=sys.stderr)
        return 130
    print(
        f"wrote {report.csv} ({len(report.rows)} rows; {report.graded} graded, "
        f"{report.reused} from earlier runs)"
    )
    _tell(report.after)
    if report.rejected:
        print(
            f"genlab: {len(report.rejected)} earlier result(s) failed authentication and were "
            f"regraded: {', '.join(report.rejected)}",
            file=sys.stderr,
        )
    if report.skipped:
        print(
            f"genlab: {len(report.skipped)} file(s) in hidden folders were not graded: "
            f"{', '.join(report.skipped[:10])}" + (" ..." if len(report.skipped) > 10 else ""),
            file=sys.stderr,
        )
    if report.internal_errors:
        print(
            f"genlab: the grader failed on {report.internal_errors} submission(s); see the "
            "'notebook' rows",
            file=sys.stderr,
        )
        return 1
    return 0
