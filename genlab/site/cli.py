"""``genlab site build``: the course website."""

from __future__ import annotations

import argparse


def _site(args: argparse.Namespace) -> int:
    from genlab.site import build

    result = build(
        args.out,
        root=args.root,
        repository_url=args.repository_url,
        timeout=args.timeout,
        quiet=args.quiet,
    )
    print(
        f"wrote {result.pages} pages to {result.out} in {result.seconds:.1f} s "
        f"({result.executed} notebook(s) executed, the others from the cache)"
    )
    print(f"preview: python -m http.server -d {result.out} 8000")
    return 0


def add_site_parser(commands) -> None:
    site = commands.add_parser("site", help="build the course website")
    site.add_argument("action", choices=("build",), help="build: write the static site")
    site.add_argument("--out", default=None, help="output folder (default: build/site)")
    site.add_argument("--root", default=None, help="course folder (default: found from cwd)")
    site.add_argument(
        "--repository-url",
        default=None,
        help="the course's repository (default: $GENLAB_SITE_REPOSITORY_URL); turns on the "
        "repository button and, for GitHub, the Binder and Colab launch buttons",
    )
    site.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    site.add_argument("--quiet", action="store_true", help="only Sphinx's warnings and errors")
    site.set_defaults(run=_site)
