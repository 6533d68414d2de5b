"""Mutation testing of the library's math and the proofs (``make mutate``).

mutmut (pinned in requirements-mutate.txt) rewrites each target module into
many *mutants*, each with one small change (``+`` for ``-``, ``0`` for ``1``,
a dropped argument, ...), and runs, for each mutant, only the tests that
execute the mutated function. A mutant is *killed* when a test fails, and
*survives* when every test still passes: a survivor is either a change nothing
can observe (an equivalent mutant) or a gap in the tests.

The run happens in ``_build/mutate/work`` (symlinks to ``nnmath/`` and
``tests/`` plus a generated ``pyproject.toml`` holding the mutmut settings), so
the repository root gets no ``mutants/`` folder. Results are cached there:
a second run only tests mutants that are new, changed, or had survived (those
are always retried, so that new tests get their chance). The run stops after
the time budget; mutants it did not reach are reported as "not checked" and
the next run continues with them.

Usage (from the repository root, inside .venv)::

    python .ci/mutate.py [--modules "nnmath/matmul.py nnmath/losses.py"]
                         [--budget SECONDS] [--jobs N]

Writes ``_build/mutate/report.txt``: per module the counts killed / survived /
timeout / no tests / not checked, the score, and the diff of every survivor,
marking those listed in ``.ci/mutate_equivalent.txt`` (mutants judged
equivalent, each with its reason).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "mutate"
WORK = OUT / "work"
EQUIVALENT = ROOT / ".ci" / "mutate_equivalent.txt"

# The library's math and the proofs: every module with mathematics (layers, losses,
# optimizers, the engine's reverse and forward modes, the gradient checks, the proofs).
# Not here: plumbing without mathematics (module.py's protocol, train.py's loop,
# checkpoint.py, data/, fast.py) and the book's presentation helpers.
DEFAULT_MODULES = [
    "nnmath/activations.py",
    "nnmath/losses.py",
    "nnmath/layers.py",
    "nnmath/matmul.py",
    "nnmath/norm.py",
    "nnmath/rmsnorm.py",
    "nnmath/conv.py",
    "nnmath/im2col.py",
    "nnmath/attention.py",
    "nnmath/flash.py",
    "nnmath/rope.py",
    "nnmath/gelu.py",
    "nnmath/sequence.py",
    "nnmath/regularization.py",
    "nnmath/gpt.py",
    "nnmath/model.py",
    "nnmath/clipping.py",
    "nnmath/init.py",
    "nnmath/finite_differences.py",
    "nnmath/gradcheck.py",
    "nnmath/optim/base.py",
    "nnmath/optim/sgd.py",
    "nnmath/optim/adam.py",
    "nnmath/optim/schedule.py",
    "nnmath/optim/kfac.py",
    "nnmath/optim/muon.py",
    "nnmath/autodiff/tensor.py",
    "nnmath/autodiff/functions.py",
    "nnmath/autodiff/forward.py",
    "nnmath/autodiff/tangents.py",
    "nnmath/autodiff/linalg.py",
    "nnmath/autodiff/shapes.py",
    "nnmath/autodiff/sequence.py",
    "nnmath/autodiff/conv.py",
    "nnmath/autodiff/norm.py",
    "nnmath/autodiff/convert.py",
    "nnmath/autodiff/gpt.py",
    "nnmath/book/symbolic.py",
]

# The tests mutmut may run. mutmut records which of them execute each function
# and runs only those for a mutant of that function, so this list only has to
# exclude what is slow or reads files outside nnmath/ and tests/ (notebooks,
# the built site). It is fixed on purpose: changing it makes mutmut discard
# every cached result.
EXCLUDED_TESTS = {
    "tests/book/test_notebooks_committed.py",  # reads the notebooks
    "tests/book/test_plotting.py",             # matplotlib figures, no math module
    "tests/lib/test_data.py",                 # data files only
    "tests/lib/test_checkpoint.py",           # file I/O of parameters
    "tests/book/test_add_a_chapter.py",        # the chapter scaffold: copies the repository
    "tests/lib/test_architecture.py",         # module lengths: mutated files are longer
    "tests/book/test_execute.py",              # runs .ci/execute_notebooks.py
    "tests/book/test_macros.py",               # .ci/sync_macros.py and the notebooks
    "tests/book/test_markdown_lint.py",        # the book's Markdown
    "tests/lib/test_packaging.py",            # LICENSE, binder/, the package metadata
}
# What mutmut copies itself (nnmath/, tests/, pyproject.toml) or no test reads.
NOT_LINKED = {"nnmath", "tests", "pyproject.toml", "_build", ".git", "mutants"}
# The folders of tests mutmut may run (minus EXCLUDED_TESTS); tests/site checks the built
# HTML and never runs here.
TEST_PARTS = ("tests/lib", "tests/book")
# Single tests that cannot run on mutated code.
DESELECTED_TESTS = [
    "tests/book/test_identities.py::test_chapter_of_each_identity_exists",
    # These read the source text of nnmath, which mutmut rewrites (every mutant is in it).
    "tests/lib/test_forward_mode_primitives.py::test_every_operation_the_engine_records_has_a_tangent_rule",
    "tests/lib/test_module_protocol.py::test_forward_and_backward_show_the_mathematics_alone",
    # Pops from its parametrize dict: it fails when pytest runs twice in one process, as
    # mutmut does (once to record which tests reach which function, once on clean code).
    "tests/lib/test_optim_state.py::test_warmup_cosine_rejects_bad_arguments",
]

STATUS = {  # mutmut's exit codes -> what happened to the mutant
    1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
    34: "skipped", 35: "suspicious", 36: "timeout", 24: "timeout", -24: "timeout",
    152: "timeout", 255: "timeout", -11: "segfault", -9: "segfault",
    2: "interrupted", None: "not checked",
}
COLUMNS = ["killed", "timeout", "survived", "no tests", "suspicious",
           "segfault", "interrupted", "not checked"]


def toml_list(items):
    return "[" + ", ".join(json.dumps(str(x)) for x in items) + "]"


def prepare(modules):
    """Lay out the work folder and write mutmut's settings."""
    WORK.mkdir(parents=True, exist_ok=True)
    for name in ("nnmath", "tests"):
        link = WORK / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    # Tests run in WORK/mutants (mutmut's copy of nnmath/ and tests/) and some read the
    # rest of the repository (book/, README.md, benchmarks/): link it in beside the copy.
    (WORK / "mutants").mkdir(exist_ok=True)
    for entry in ROOT.iterdir():
        link = WORK / "mutants" / entry.name
        if entry.name not in NOT_LINKED and not link.exists() and not link.is_symlink():
            link.symlink_to(entry)
    # The library's and the book's tests: whole folders, and the excluded files as
    # --ignore. mutmut discards every cached verdict when the test selection changes, so
    # the selection names folders only: a new test file then keeps the cache.
    assert all((ROOT / part).is_dir() for part in TEST_PARTS), TEST_PARTS
    # A deselected test that was moved or renamed would run again and break the record phase.
    for test in DESELECTED_TESTS:
        path, name = test.split("::")
        file = ROOT / path
        if not file.exists() or f"def {name}(" not in file.read_text():
            sys.exit(f"{test} (in DESELECTED_TESTS of .ci/mutate.py) no longer exists")
    ignored = sorted(f"--ignore={t}" for t in EXCLUDED_TESTS)
    deselected = [a for t in DESELECTED_TESTS for a in ("--deselect", t)]
    settings = f"""

[tool.mutmut]
# Written by .ci/mutate.py for this run; the repository's pyproject.toml has no mutmut section.
source_paths = ["nnmath"]
only_mutate = {toml_list(modules)}
pytest_add_cli_args_test_selection = {toml_list(TEST_PARTS)}
pytest_add_cli_args = {toml_list(ignored + deselected)}
timeout_multiplier = 5.0
timeout_constant = 2.0
use_git_change_detection = false
on_dependency_change = "ignore"
"""
    # mutmut regenerates a module's mutants only when the source is newer than its copy
    # in mutants/; a module that was merely copied in an earlier run (not selected then)
    # would be taken as mutated already. Remove such copies (the verdicts in .meta stay,
    # and mutmut keeps those of unchanged functions).
    last = WORK / "last_modules.txt"
    before = set(last.read_text().split()) if last.exists() else set()
    for module in modules:
        if module not in before:
            (WORK / "mutants" / module).unlink(missing_ok=True)
    last.write_text("\n".join(modules) + "\n")
    # mutmut's record of which tests run which function is updated incrementally (new
    # tests are added to it) but misses the functions of modules added since it was made
    # (their mutants would all read "no tests"). One full run of the selected tests
    # rebuilds it: do that whenever the modules differ from the last run's.
    if set(modules) != before:
        (WORK / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    text = (ROOT / "pyproject.toml").read_text() + settings
    target = WORK / "pyproject.toml"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def meta_files(modules):
    return {m: WORK / "mutants" / (m + ".meta") for m in modules}


def retry_survivors(modules):
    """Forget the verdict of every survivor, so it meets the current tests again.

    A mutant with "no tests" is usually in a function added since mutmut recorded which
    tests reach which function (it adds new tests to that record, not new functions):
    then the record is made afresh, once.
    """
    untested = False
    for meta in meta_files(modules).values():
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for key, code in codes.items():
            status = STATUS.get(code, "suspicious")
            untested = untested or status == "no tests"
            if status in ("survived", "no tests", "interrupted", "suspicious", "segfault"):
                codes[key] = None
        meta.write_text(json.dumps(data, indent=4))
    if untested:
        (WORK / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)


def run_mutmut(budget, jobs, log):
    """Run ``mutmut run`` in WORK; interrupt it (SIGINT, as Ctrl-C) once the budget is spent."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    mutmut = Path(sys.executable).with_name("mutmut")
    start, stopped = time.monotonic(), False
    with open(log, "w") as out:
        proc = subprocess.Popen([str(mutmut), "run", "--max-children", str(jobs)], cwd=WORK,
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            print(f"budget of {budget:.0f} s spent: stopping mutmut (the next run continues)")
            stopped = True
            os.killpg(proc.pid, signal.SIGINT)
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                code = proc.wait()
    return code, time.monotonic() - start, stopped


def load_equivalent():
    """``mutant name | mutated line | reason`` per line of .ci/mutate_equivalent.txt."""
    table = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                name, mutated, reason = (part.strip() for part in line.split("|", 2))
                table[name] = (mutated, reason)
    return table


def diff_of(name, module):
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    cwd = os.getcwd()
    os.chdir(WORK)
    try:
        return get_diff_for_mutant(name, path=module)
    except Exception as exc:  # a stale cache entry; say so rather than fail the report
        return f"(no diff: {exc!r})"
    finally:
        os.chdir(cwd)


def report(modules, seconds, exit_code):
    equivalent = load_equivalent()
    lines, survivors, totals = [], [], Counter()
    header = f"{'module':<28}" + "".join(f"{c:>12}" for c in COLUMNS) + f"{'score':>8}{'score*':>8}"
    lines += ["Mutation testing (mutmut) of the library's math and the proofs", "",
              "score  = (killed + timeout) / mutants checked",
              "score* = the same, counting the survivors judged equivalent "
              "(.ci/mutate_equivalent.txt) as not mutants", "", header, "-" * len(header)]

    def row(label, counts, n_equiv):
        checked = sum(counts[c] for c in COLUMNS if c != "not checked")
        dead = counts["killed"] + counts["timeout"]
        score = f"{100 * dead / checked:7.1f}%" if checked else "      -"
        real = checked - n_equiv
        score_eq = f"{100 * dead / real:7.1f}%" if real else "      -"
        return (f"{label:<28}" + "".join(f"{counts[c]:>12}" for c in COLUMNS)
                + score + score_eq)

    n_equiv_total = 0
    for module, meta in meta_files(modules).items():
        counts = Counter()
        n_equiv = 0
        if meta.exists():
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            for name, code in sorted(codes.items()):
                status = STATUS.get(code, "suspicious")
                counts[status] += 1
                if status in ("survived", "no tests", "suspicious"):
                    diff = diff_of(name, module)
                    mark = ""
                    if name in equivalent:
                        mutated, reason = equivalent[name]
                        if mutated in diff:
                            n_equiv += 1
                            mark = f"judged equivalent: {reason}"
                        else:
                            mark = "listed as equivalent, but the mutant changed: re-judge it"
                    survivors.append((name, status, mark, diff))
        totals.update(counts)
        n_equiv_total += n_equiv
        lines.append(row(module, counts, n_equiv))
    lines += ["-" * len(header), row("all", totals, n_equiv_total), ""]
    lines.append(f"mutmut ran {seconds:.0f} s (exit code {exit_code}); "
                 f"{totals['not checked']} mutants not checked within the budget.")
    details = ["", f"Survivors ({len(survivors)}):", ""]
    for name, status, mark, diff in survivors:
        details.append(f"== {name}  [{status}]" + (f"  {mark}" if mark else ""))
        details.append(diff)
        details.append("")
    (OUT / "report.txt").write_text("\n".join(lines + details) + "\n")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", default=" ".join(DEFAULT_MODULES),
                        help="space-separated module paths (default: the math and the proofs)")
    parser.add_argument("--budget", type=float, default=1200, help="seconds for mutmut (default 1200)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel workers (default 2)")
    parser.add_argument("--report-only", action="store_true", help="only rewrite the report")
    args = parser.parse_args()
    modules = args.modules.split()
    unknown = [m for m in modules if not (ROOT / m).is_file()]
    if unknown:
        parser.error(f"no such module: {' '.join(unknown)}")
    OUT.mkdir(parents=True, exist_ok=True)
    seconds, code, stopped = 0.0, None, False
    if not args.report_only:
        prepare(modules)
        retry_survivors(modules)
        code, seconds, stopped = run_mutmut(args.budget, args.jobs, OUT / "mutmut.log")
    lines = report(modules, seconds, code)
    print("\n".join(lines))
    print("report: _build/mutate/report.txt (mutmut's log: _build/mutate/mutmut.log)")
    # Stopped by the budget is fine (the next run continues); a run that failed is not.
    if code not in (None, 0) and not stopped:
        sys.exit(f"mutmut failed (exit code {code}); see _build/mutate/mutmut.log")


if __name__ == "__main__":
    main()
