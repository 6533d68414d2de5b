"""``python -m nnmath``: the command line of the book's apparatus.

* ``verify [--only NAME] [--list] [--progress] [--seed N]``: run every registered
  identity through its verification routes (:mod:`nnmath.book.verify`);
* ``new-chapter NN_name --title TITLE [--part CAPTION]``: write a chapter in the
  standard shape (:mod:`nnmath.book.scaffold`).
"""

import argparse
import sys

from . import verify

__all__ = ["main"]


def _parser():
    parser = argparse.ArgumentParser(prog="python -m nnmath",
                                     description="Tools of the nnmath book.")
    sub = parser.add_subparsers(dest="command", required=True)
    verify.add_arguments(sub.add_parser(
        "verify", help="check every registered identity by SymPy (at fixed sizes, and for "
                       "all sizes where a proof exists), finite differences and autodiff",
        description="Run every identity of the registry through its three verification "
                    "routes and print a table; exit status 1 if any fails. The sympy "
                    "column counts the fixed sizes checked exactly, plus 'all sizes' "
                    "where the entry has a proof for every size."))
    new = sub.add_parser("new-chapter", help="write a new chapter in the standard shape",
                         description="Write derivations/NN_name.ipynb, its registry module "
                                     "and its chapter module, and add it to _toc.yml.")
    new.add_argument("name", help="NN_name, e.g. 29_my_topic")
    new.add_argument("--title", required=True, help="the chapter's title (plain text)")
    new.add_argument("--part", help="caption of the _toc.yml part (default: the last numbered)")
    new.add_argument("--root", default=".", help="the repository's top folder (default: .)")
    return parser


def main(argv=None):
    """Entry point of ``python -m nnmath``; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "verify":
        return verify.run_command(args)
    from .scaffold import new_chapter
    try:
        paths = new_chapter(args.name, args.title, root=args.root, part=args.part)
    except (ValueError, FileExistsError) as err:
        print(err, file=sys.stderr)
        return 2
    for what, path in paths.items():
        print(f"wrote {what}: {path}")
    print(f"next: edit them, then `make execute NB={paths['notebook']}` and `make test`")
    return 0
