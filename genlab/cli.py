"""The ``genlab`` command line: ``genlab notebooks sync|check|viewer``."""

from __future__ import annotations

import argparse
import sys


def _notebooks(args: argparse.Namespace) -> int:
    from genlab import notebooks

    root = notebooks.repository_root(args.root)
    if args.action == "sync":
        changed = notebooks.sync(root)
        for path in changed:
            print(f"wrote {path.relative_to(root)}")
        print(f"{len(changed)} notebook(s) regenerated, {len(notebooks.sources(root))} in all")
        return 0
    if args.action == "check":
        problems = notebooks.out_of_sync(root)
        for line in problems:
            print(line)
        if problems:
            print("run `genlab notebooks sync` to regenerate the pairs", file=sys.stderr)
            return 1
        print(f"all {len(notebooks.sources(root))} notebook pairs in sync")
        return 0
    target = notebooks.install_viewer_setting()
    print(f"JupyterLab will open .py notebooks as notebooks (setting written to {target})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genlab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    nb = commands.add_parser("notebooks", help="keep py:percent sources and .ipynb pairs in step")
    nb.add_argument(
        "action",
        choices=("sync", "check", "viewer"),
        help="sync: regenerate every .ipynb; check: list pairs out of step (exit 1 if any); "
        "viewer: make JupyterLab open .py notebooks as notebooks",
    )
    nb.add_argument("--root", default=None, help="course folder (default: found from cwd)")
    nb.set_defaults(run=_notebooks)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
