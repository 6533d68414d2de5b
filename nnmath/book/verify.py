"""Run every registered identity through its three verification routes and tabulate.

This is the logic of ``python -m nnmath verify``: for each entry of
:data:`nnmath.book.identities.REGISTRY` it runs the exact SymPy check at the
entry's fixed sizes (:meth:`~nnmath.book.identities.IdentityEntry.prove`) and,
where the entry has one, its proof for every size
(:meth:`~nnmath.book.identities.IdentityEntry.prove_all_sizes`), the
finite-difference check
(:meth:`~nnmath.book.identities.IdentityEntry.check_numeric`) and the autodiff
check (:meth:`~nnmath.book.identities.IdentityEntry.check_autodiff`), and prints
one row per identity. A route that raises counts as a failure, with the error
in the row.
"""

import sys
import time
from dataclasses import dataclass

import numpy as np

from .identities import REGISTRY

__all__ = ["RouteResult", "VerifyRow", "select", "verify_identity", "run", "format_table",
           "check_rows", "check_table", "table", "main"]


@dataclass
class RouteResult:
    """Outcome of one route: ``status`` is ``"ok"``, ``"FAIL"``, ``"error"`` or ``"n/a"``."""

    status: str
    detail: str = ""

    @property
    def failed(self):
        return self.status in ("FAIL", "error")

    def __str__(self):
        return f"{self.status} {self.detail}".strip()


@dataclass
class VerifyRow:
    """One identity's results on the three routes and the time they took (seconds)."""

    name: str
    chapter: str
    sympy: RouteResult
    numeric: RouteResult
    autodiff: RouteResult
    seconds: float

    @property
    def failed(self):
        return any(r.failed for r in (self.sympy, self.numeric, self.autodiff))


def _error(err):
    return RouteResult("error", f"{type(err).__name__}: {err}"[:60])


def _run_proof(identity):
    """The SymPy route: checks at fixed sizes, plus the proof for every size if any."""
    try:
        checks = identity.prove()
        all_sizes = identity.prove_all_sizes()
    except Exception as err:  # a crashing route is a failing route, reported in the table
        return _error(err)
    if not checks and all_sizes is None:
        return RouteResult("FAIL", "no check")
    failed = sum(not p.holds for p in checks)
    if all_sizes is not None:
        detail = f"proof for every size ({identity.all_sizes_method}) + {len(checks)} at fixed sizes"
    else:
        detail = f"checked at {len(checks)} fixed sizes"
    if failed or (all_sizes is not None and not all_sizes.holds):
        bad = f"{failed}/{len(checks)} at fixed sizes" if failed else "proof for every size"
        return RouteResult("FAIL", bad)
    return RouteResult("ok", detail)


def _run_check(method, rng):
    try:
        result = method(rng)
    except Exception as err:
        return _error(err)
    if result is None:
        return RouteResult("n/a")
    return RouteResult("ok" if result.passed else "FAIL", f"{result.rel_error:.1e}")


def select(patterns=None, registry=None):
    """Names of the registry entries matching any pattern.

    A pattern equal to a name selects that identity only; any other pattern
    selects every identity whose name contains it.

    Parameters
    ----------
    patterns : sequence of str, optional
        Each may be a comma-separated list. None or empty selects everything.
    registry : dict, optional
        Defaults to :data:`nnmath.book.identities.REGISTRY`.

    Returns
    -------
    names : list of str, in registry order

    Raises
    ------
    ValueError
        If a pattern matches no identity.
    """
    registry = REGISTRY if registry is None else registry
    wanted = [p.strip() for item in (patterns or []) for p in item.split(",") if p.strip()]
    if not wanted:
        return list(registry)
    chosen = set()
    for p in wanted:
        # an exact name selects only itself; anything else is a substring
        matches = [p] if p in registry else [name for name in registry if p in name]
        if not matches:
            raise ValueError(f"verify: no identity matches {p!r}; known: {', '.join(registry)}")
        chosen.update(matches)
    return [name for name in registry if name in chosen]


def verify_identity(identity, seed=0):
    """Run the three routes on one identity and return a :class:`VerifyRow`.

    The numeric and autodiff routes each get a fresh ``default_rng(seed)``,
    so a row does not depend on which other identities were run.
    """
    start = time.perf_counter()
    sympy = _run_proof(identity)
    numeric = _run_check(identity.check_numeric, np.random.default_rng(seed))
    autodiff = _run_check(identity.check_autodiff, np.random.default_rng(seed))
    return VerifyRow(identity.name, identity.chapter, sympy, numeric, autodiff,
                     time.perf_counter() - start)


def run(names=None, *, seed=0, progress=False, registry=None):
    """Verify the named identities (default: all); return the rows in registry order."""
    registry = REGISTRY if registry is None else registry
    names = list(registry) if names is None else list(names)
    if progress:
        from tqdm import tqdm  # not tqdm.auto: it warns on stderr without ipywidgets
        names_iter = tqdm(names, desc="verify", unit="identity", file=sys.stderr)
    else:
        names_iter = names
    return [verify_identity(registry[name], seed) for name in names_iter]


def format_table(rows):
    """Render rows as a plain-text table (one line per identity) and a verdict line."""
    header = ("identity", "chapter", "sympy check", "finite diff.", "autodiff", "time")
    cells = [(r.name, r.chapter.rsplit("/", 1)[-1], str(r.sympy), str(r.numeric),
              str(r.autodiff), f"{r.seconds:.2f} s") for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
              for i, h in enumerate(header)]
    line = "  ".join(f"{h:<{w}}" for h, w in zip(header, widths)).rstrip()
    lines = [line, "  ".join("-" * w for w in widths)]
    lines += ["  ".join(f"{c:<{w}}" for c, w in zip(cell, widths)).rstrip() for cell in cells]
    proven = sum(r.sympy.detail.startswith("proof for every size") for r in rows)
    lines.append(f"proof for every size: {proven} of {len(rows)} identities; the others are "
                 f"checked at fixed sizes")
    failed = [r.name for r in rows if r.failed]
    if failed:
        lines.append(f"FAILED: {len(failed)} of {len(rows)} identities: {', '.join(failed)}")
    else:
        lines.append(f"all {len(rows)} identities verified")
    return "\n".join(lines)


# -- the table a chapter prints -------------------------------------------------------------

def _cells(entry, seed):
    """One entry's row of :func:`table`: only booleans, counts and tolerances, never an error's
    digits, so the row reads the same on every machine."""
    def attempt(route):
        try:
            return route()
        except Exception as err:  # a crashing route is a failing route, named in the row
            return err

    def tolerance(check):
        if check is None:
            return "n/a"
        if isinstance(check, Exception):
            return f"error: {type(check).__name__}"
        return f"{check.passed} ({'≤' if check.passed else '>'} {check.rtol:.0e})"

    fixed = attempt(entry.prove)
    if isinstance(fixed, Exception):
        sympy = f"error: {type(fixed).__name__}"
    elif not fixed:
        sympy = "n/a"
    else:
        holds = sum(bool(p.holds) for p in fixed)
        count = f"{len(fixed)} check{'s' if len(fixed) != 1 else ''}"
        sympy = f"True ({count})" if holds == len(fixed) else \
            f"False ({len(fixed) - holds} of {count} fail)"
    numeric = attempt(lambda: entry.check_numeric(np.random.default_rng(seed)))
    engine = attempt(lambda: entry.check_autodiff(np.random.default_rng(seed)))
    every = entry.proof_status
    if entry.all_sizes_proof is not None:
        proof = attempt(entry.prove_all_sizes)
        every += (f": error: {type(proof).__name__}" if isinstance(proof, Exception)
                  else f": {bool(proof.holds)}")
    cells = (entry.name, sympy, tolerance(numeric), tolerance(engine), every)
    failed = any(c.startswith(("False", "error")) for c in cells[1:4]) or \
        every.endswith(": False") or ": error: " in every
    return cells, failed


def check_rows(entries, *, seed=0):
    """Run every route on each entry; return ``[(cells, failed), ...]`` for :func:`check_table`.

    Parameters
    ----------
    entries : iterable of str or IdentityEntry
        Registry names, or entries (a test hands in one with a wrong formula).
    seed : int
        Each numeric route draws from a fresh ``default_rng(seed)``.
    """
    return [_cells(REGISTRY[e] if isinstance(e, str) else e, seed) for e in entries]


def check_table(entries, *, seed=0):
    """The aligned text of :func:`table`."""
    header = ("identity", "SymPy at fixed sizes", "finite differences", "engine",
              "for every size")
    rows = [cells for cells, _ in check_rows(entries, seed=seed)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    return "\n".join("  ".join(f"{c:<{w}}" for c, w in zip(row, widths)).rstrip()
                     for row in [header, *rows])


def table(entries, *, seed=0):
    """Print, per entry, which checks ran and whether they passed, and what holds for every size.

    The columns: the SymPy check at fixed sizes (``True (3 checks)``), finite
    differences and the autodiff engine (``True (≤ 1e-07)``: the relative error
    is within that tolerance; ``n/a`` where the entry has no engine route), and
    ``proof for every size (method): True`` where the entry has such a proof, or
    the sizes it is checked at. ``False`` or ``error: ...`` marks a failure.

    Parameters
    ----------
    entries : iterable of str or IdentityEntry
        Registry names (``["matmul_grad_W", "matmul_grad_X"]``), or entries
        (``identities.for_chapter(...)``).
    seed : int
        Seed of the numeric routes' random inputs.
    """
    print(check_table(entries, seed=seed))


def add_arguments(parser):
    """The options of ``python -m nnmath verify`` (the parser comes from :mod:`nnmath.book.cli`)."""
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="verify only the identity NAME, or those whose name contains NAME "
                             "(repeatable, or a comma-separated list)")
    parser.add_argument("--progress", action="store_true",
                        help="show a progress bar on stderr")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the random inputs of the numeric routes (default 0)")
    parser.add_argument("--list", action="store_true",
                        help="list the identities that would run, and exit")
    return parser


def run_command(args):
    """Run ``verify`` with parsed ``args``; return the exit status.

    0 when every selected identity passes every route it supports, 1 when
    one fails (the failing names are printed), 2 for a usage error.
    """
    try:
        names = select(args.only)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    if args.list:
        print("\n".join(names))
        return 0
    rows = run(names, seed=args.seed, progress=args.progress)
    print(format_table(rows))
    return 1 if any(r.failed for r in rows) else 0


def main(argv=None):
    """``python -m nnmath verify ...`` with ``argv`` (without the program name)."""
    from .cli import main as cli_main
    return cli_main(argv)
