"""``python -m nnmath``: the command line of the book's apparatus.

* ``verify [--only NAME] [--list] [--progress] [--seed N]``: run every registered
  identity through its verification routes (:mod:`nnmath.book.verify`);
* ``new-chapter NN_name --title TITLE [--part CAPTION]``: write a chapter in the
  standard shape (:mod:`nnmath.book.scaffold`);
* ``check NAME module:function [--seed N]``: grade a reader's backward formula for
  the registered identity NAME (:func:`nnmath.book.answers.check_answer`); exit
  status 0 if it agrees, 1 if not, 2 if the function cannot be loaded.
"""

import argparse
import importlib
import importlib.util
import os
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
    check = sub.add_parser("check", help="check your backward formula for a registered identity",
                           description="Run FUNCTION(delta, out, **inputs) against finite "
                                       "differences of the identity's forward at several "
                                       "sizes; exit status 0 if it agrees, 1 if not.")
    check.add_argument("name", help="a registry entry, e.g. matmul_grad_W (verify --list)")
    check.add_argument("function", help="module:function or path/to/file.py:function")
    check.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    return parser


def _load_function(spec):
    """The function named by ``module:function`` or ``path/to/file.py:function``."""
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise ValueError(f"expected module:function or file.py:function, got {spec!r}")
    if target.endswith(".py"):
        loader_spec = importlib.util.spec_from_file_location("_nnmath_answer", target)
        if loader_spec is None or not os.path.exists(target):
            raise ValueError(f"no such file: {target}")
        module = importlib.util.module_from_spec(loader_spec)
        loader_spec.loader.exec_module(module)
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())         # a module next to the reader's shell
        module = importlib.import_module(target)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"{target} has no attribute {attr!r}") from None


def _check(args):
    from .answers import check_answer
    try:
        fn = _load_function(args.function)
    except (ValueError, ImportError) as err:
        print(err, file=sys.stderr)
        return 2
    try:
        report = check_answer(args.name, fn, seed=args.seed)
    except KeyError as err:
        print(err.args[0], file=sys.stderr)
        return 2
    print(report)
    return 0 if report else 1


def main(argv=None):
    """Entry point of ``python -m nnmath``; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "verify":
        return verify.run_command(args)
    if args.command == "check":
        return _check(args)
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
