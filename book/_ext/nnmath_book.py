"""Sphinx extension: render identities from the nnmath registry into the book.

``{identities}`` lists the identities a chapter derives (default: the current
page's). With ``:all:`` it lists every registered identity, grouped by the
chapter that derives it, in table-of-contents order (the cheat sheet). Nothing
is typed by hand: title, LaTeX, shapes and verification routes all come from
:mod:`nnmath.book.identities`.

While a page with the directive is read, every identity it shows is checked
by every route the entry supports: the exact SymPy check at the entry's fixed
sizes (and its proof for every size, where it has one; each entry says which it
has: "proof for every size" or "checked at sizes ..."), finite differences on
fixed random inputs and, where the entry has one, the autodiff engine (about
5 s for the whole registry, each identity once per build). An entry written in
the column convention is tagged as such. A failure is a
Sphinx warning, so the strict build (``-W``) fails: the book never states a
check that did not pass this time. ``nnmath_prove_at_build = False`` (in
``_config.yml``, ``sphinx: config:``), or ``NNMATH_PROVE_AT_BUILD=0`` in the
environment, leaves the SymPy checks to the unit tests (``make test`` sets it, as its
unit tests have just run them all).

Pages that use the directive are re-read on every build, so an incremental
``make book`` always shows the current registry.

Anchors: every entry carries the id ``identity-<name>``; on the cheat sheet it
is also a label, so a chapter can write ``{ref}`identity-matmul_grad_W```.

Chapter and section titles hold no math (the browser tab and the search index
show titles as plain text; ``tests/site/built/test_titles.py`` checks), so MathJax is
loaded only on pages with math. Offline reading: unless ``launch_buttons.thebe`` is on, the thebe machinery
(which would fetch its JavaScript from unpkg.com) is removed from every page.
"""

import json
import os
import re
import time
from pathlib import Path

import numpy as np
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from nnmath.book.identities import REGISTRY, for_chapter

logger = logging.getLogger(__name__)

#: Seed of the build-time checks: the same numbers on every build.
CHECK_SEED = 20260101


# -- build-time verification ---------------------------------------------------

_CHECKS = {}  # identity name -> list of (route, passed, text for the page, problem)
_TIMER = {"seconds": 0.0}


def _tolerance(rtol):
    """``1e-07`` as ``1e-7``."""
    mantissa, exponent = f"{rtol:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _sympy_route(identity):
    checks = list(identity.prove())
    all_sizes = identity.prove_all_sizes()
    results = checks + ([all_sizes] if all_sizes is not None else [])
    failed = [p.statement for p in results if not p.holds]
    text = (f"exactly, by SymPy, at fixed sizes ({len(checks)} "
            f"check{'s' if len(checks) != 1 else ''})")
    if all_sizes is not None:
        text += f" and for every size (a proof in {identity.all_sizes_method})"
    problem = ("no SymPy check ran" if not results else
               f"the SymPy check does not hold: {'; '.join(failed)}" if failed else "")
    return not problem, text, problem


def _numeric_route(check, label):
    if check is None:
        return None
    text = f"{label} (relative error below {_tolerance(check.rtol)})"
    problem = "" if check.passed else (
        f"the {check.route} check failed: relative error {check.rel_error:.2e} "
        f"> {_tolerance(check.rtol)}")
    return check.passed, text, problem


def _run_checks(identity, *, sympy):
    """Run the routes of ``identity`` once per build process; cache the outcome."""
    if identity.name not in _CHECKS:
        start = time.perf_counter()
        routes = []
        if sympy and "sympy" in identity.routes:
            routes.append(("sympy", lambda: _sympy_route(identity)))
        routes.append(("finite differences", lambda: _numeric_route(
            identity.check_numeric(np.random.default_rng(CHECK_SEED)), "by finite differences")))
        routes.append(("autodiff", lambda: _numeric_route(
            identity.check_autodiff(np.random.default_rng(CHECK_SEED)), "by the autodiff engine")))
        outcome = []
        for route, run in routes:
            try:
                result = run()
            except Exception as exc:  # a broken entry must fail the build, not crash it
                result = (False, "", f"the {route} check raised {type(exc).__name__}: {exc}")
            if result is not None:
                outcome.append((route, *result))
        _CHECKS[identity.name] = outcome
        _TIMER["seconds"] += time.perf_counter() - start
    return _CHECKS[identity.name]


def _verification(identity, location, *, sympy):
    """Paragraph stating how ``identity`` was verified; warn about failed routes."""
    done = []
    for route, passed, text, problem in _run_checks(identity, sympy=sympy):
        if passed:
            done.append(text)
        else:
            logger.warning("identity %s: %s", identity.name, problem, location=location)
    para = nodes.paragraph(classes=["nnmath-verified"])
    para += nodes.emphasis(text="Verified")
    if done:
        text = " while this book was built: " + ", ".join(done[:-1])
        text += (" and " if len(done) > 1 else "") + done[-1]
    else:
        text = ": not yet"
    if not sympy and "sympy" in identity.routes:
        text += "; exactly, by SymPy at fixed sizes, in make test"
        if identity.all_sizes_method:
            text += f", and for every size (a proof in {identity.all_sizes_method})"
    para += nodes.Text(text + ".")
    return para


def report_time(app, exception):
    if _CHECKS and exception is None:
        logger.info("nnmath_book: verified %d identities in %.1f s", len(_CHECKS),
                    _TIMER["seconds"])


# -- links to chapters, resolved once every page has been read ------------------

class chapter_link(nodes.inline):
    """Link to chapter ``docname`` (to the entry ``identity`` there, if it is shown).

    Resolved in :func:`resolve_chapter_links`; until then (and in the table of
    contents, which is collected earlier) it is the chapter title as plain text.
    """


def _chapter_title(srcdir, docname):
    """The first ``# Title`` of a chapter's source (for the in-page table of contents)."""
    for suffix in (".ipynb", ".md"):
        path = Path(srcdir, docname + suffix)
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if suffix == ".ipynb":
            cells = json.loads(text).get("cells", [])
            text = "\n".join("".join(c.get("source", "")) for c in cells
                             if c.get("cell_type") == "markdown")
        match = re.search(r"^#\s+(.+?)\s*$", text, flags=re.MULTILINE)
        if match:  # markup out: "through $L$ layers" -> "through L layers"
            return re.sub(r"\{[\w:-]+\}|[`*$]", "", match.group(1))
    return docname


def _toc_order(env):
    """Docnames in table-of-contents order (from ``_toc.yml``), else empty."""
    site_map = getattr(env, "external_site_map", None)
    order = []
    if site_map is None:
        return order

    def visit(docname):
        if docname in order or docname not in site_map:
            return
        order.append(docname)
        for tree in site_map[docname].subtrees:
            for item in tree.items:
                if isinstance(item, str):  # files and globs; URLs are not str
                    visit(str(item))

    visit(site_map.root.docname)
    return order


# -- the directive -------------------------------------------------------------

def _proof_status(identity):
    """"Proof for every size (method)" or "Checked at sizes ...": what SymPy establishes."""
    para = nodes.paragraph(classes=["nnmath-proof-status"])
    status = identity.proof_status
    para += nodes.strong(text=status[0].upper() + status[1:])
    missing = identity.all_sizes_missing
    if missing:
        para += nodes.Text(f" (no proof for every size: {missing})")
    para += nodes.Text(".")
    return para


def _entry(identity, *, docname, lineno, with_chapter, as_label, env):
    """One identity: title, LaTeX, shapes, where it is derived, how it is verified."""
    anchor = f"identity-{identity.name}"
    box = nodes.container(classes=["nnmath-identity"], ids=[anchor])
    head = nodes.paragraph()
    head += nodes.strong(text=identity.title)
    head += nodes.Text(" (")
    head += nodes.literal(text=identity.name)
    head += nodes.Text(")")
    if with_chapter:
        head += nodes.Text(": ")
        link = chapter_link("", "derivation", docname=identity.chapter,
                            identity=identity.name, numbered=False)
        head += link
    box += head
    box += nodes.math_block(identity.latex, identity.latex, nowrap=False, number=None)
    shapes = nodes.paragraph()
    shapes += nodes.Text("Shapes: ")
    for i, (symbol, shape) in enumerate(identity.shapes.items()):
        if i:
            shapes += nodes.Text("; ")
        shapes += nodes.literal(text=f"{symbol} {shape}")
    if identity.convention == "column":
        shapes += nodes.Text(" (column convention: vectors are columns, ")
        shapes += nodes.literal(text="y = W x")
        shapes += nodes.Text(")")
    box += shapes
    box += _proof_status(identity)
    box += _verification(identity, (docname, lineno),
                         sympy=env.config.nnmath_prove_at_build)
    std = env.get_domain("std")
    if as_label and anchor not in std.anonlabels:  # the first ``:all:`` page read owns it
        std.note_hyperlink_target(anchor, docname, anchor, identity.title)
    return box


class IdentitiesDirective(SphinxDirective):
    """``{identities}`` with options ``:chapter: docname`` or ``:all:``."""

    has_content = False
    option_spec = {"chapter": directives.unchanged, "all": directives.flag}

    def run(self):
        env, docname = self.env, self.env.docname
        if not hasattr(env, "nnmath_identity_docs"):
            env.nnmath_identity_docs = {}
        if "all" in self.options:
            return self._cheat_sheet()
        chapter = self.options.get("chapter", docname)
        chosen = for_chapter(chapter)
        if not chosen:
            raise self.error(f"identities: no registered identity for chapter {chapter!r}")
        env.nnmath_identity_docs.setdefault(docname, set()).update(i.name for i in chosen)
        return [_entry(i, docname=docname, lineno=self.lineno, with_chapter=False,
                       as_label=False, env=env) for i in chosen]

    def _cheat_sheet(self):
        env, docname = self.env, self.env.docname
        env.nnmath_identity_docs.setdefault(docname, set())
        rank = {d: i for i, d in enumerate(_toc_order(env))}
        chapters = sorted({i.chapter for i in REGISTRY.values()},
                          key=lambda d: (rank.get(d, len(rank)), d))
        out = []
        for chapter in chapters:
            for suffix in (".ipynb", ".md"):  # the title below comes from there
                if Path(env.srcdir, chapter + suffix).exists():
                    self.env.note_dependency(str(Path(env.srcdir, chapter + suffix)))
            section = nodes.section(ids=["identities-" + chapter.replace("/", "-")])
            title = nodes.title()
            title += chapter_link("", _chapter_title(env.srcdir, chapter),
                                  docname=chapter, identity="", numbered=True)
            section += title
            for identity in for_chapter(chapter):
                section += _entry(identity, docname=docname, lineno=self.lineno,
                                  with_chapter=True, as_label=True, env=env)
            out.append(section)
        return out


# -- events ----------------------------------------------------------------------

def resolve_chapter_links(app, doctree, fromdocname):
    """Turn each :class:`chapter_link` into a reference to its chapter.

    Section titles get the chapter number and title ("5. Matrix by matrix");
    entry links point at the entry in the chapter's own summary when that page
    shows it, else at the top of the chapter.
    """
    env = app.env
    shown = getattr(env, "nnmath_identity_docs", {})
    for node in list(doctree.findall(chapter_link)):
        target = node["docname"]
        if target not in env.all_docs:
            logger.warning("identities: chapter %r is not a page of the book", target,
                           location=node)
            node.replace_self(nodes.Text(node.astext()))
            continue
        title = env.titles[target].astext()
        secnum = env.toc_secnumbers.get(target, {}).get("")
        number = ".".join(map(str, secnum)) if secnum else ""
        if node["numbered"]:
            text = f"{number}. {title}" if number else title
        else:
            text = f"derived in chapter {number}" if number else f"derived in {title}"
        try:
            uri = app.builder.get_relative_uri(fromdocname, target)
        except Exception:  # builders without URIs (e.g. a linkcheck of one page)
            node.replace_self(nodes.Text(text))
            continue
        if node["identity"] and node["identity"] in shown.get(target, ()):
            uri += "#identity-" + node["identity"]
        ref = nodes.reference("", "", internal=True, refuri=uri,
                              classes=["nnmath-chapter-link"])
        ref += nodes.inline(text, text)
        node.replace_self(ref)


def title_links_in_toc(app, env):
    """Give the chapter links copied into the page contents the chapters' real titles.

    The table of contents of a page is collected while it is read, before the
    chapters it links to have necessarily been read; by now all have.
    """
    for docname in getattr(env, "nnmath_identity_docs", {}):
        toc = env.tocs.get(docname)
        if toc is None:
            continue
        for node in list(toc.findall(chapter_link)):
            if node["docname"] in env.titles:
                title = env.titles[node["docname"]].astext()
                node.children = []
                node += nodes.Text(title)


def always_reread(app, env, added, changed, removed):
    """Pages with ``{identities}`` render the registry: read them on every build."""
    return sorted(set(getattr(env, "nnmath_identity_docs", {})) - set(removed))


def purge_doc(app, env, docname):
    getattr(env, "nnmath_identity_docs", {}).pop(docname, None)


def merge_info(app, env, docnames, other):
    mine = env.__dict__.setdefault("nnmath_identity_docs", {})
    theirs = getattr(other, "nnmath_identity_docs", {})
    for docname in docnames:
        if docname in theirs:
            mine[docname] = theirs[docname]


def drop_thebe_when_off(app, config):
    """Remove thebe's scripts unless ``launch_buttons.thebe`` is on (offline reading).

    jupyter-book always loads sphinx-thebe; it writes the unpkg.com address of
    thebe's JavaScript and a Binder configuration into every page even when no
    thebe button exists.
    """
    launch = (config.html_theme_options or {}).get("launch_buttons", {}) or {}
    if launch.get("thebe"):
        return
    for listeners in app.events.listeners.values():
        listeners[:] = [lst for lst in listeners
                        if getattr(lst.handler, "__module__", "") != "sphinx_thebe"]
    app.registry.css_files[:] = [(name, attrs) for name, attrs in app.registry.css_files
                                 if name != "sphinx-thebe.css"]


def setup(app):
    app.add_directive("identities", IdentitiesDirective)
    app.add_node(chapter_link, html=(lambda self, node: self.visit_inline(node),
                                     lambda self, node: self.depart_inline(node)))
    app.connect("config-inited", drop_thebe_when_off, priority=900)
    app.connect("doctree-resolved", resolve_chapter_links)
    app.connect("env-get-outdated", always_reread)
    app.connect("env-updated", title_links_in_toc)
    app.connect("build-finished", report_time)
    # NNMATH_PROVE_AT_BUILD=0: make test, whose unit tests have just run every SymPy check
    app.add_config_value("nnmath_prove_at_build",
                         os.environ.get("NNMATH_PROVE_AT_BUILD", "1") != "0", "env")
    app.connect("env-purge-doc", purge_doc)
    app.connect("env-merge-info", merge_info)
    return {"version": "0.2", "env_version": 2,
            "parallel_read_safe": True, "parallel_write_safe": True}
