"""Sphinx extension: render identities from the nnmath registry into the book.

``{identities}`` lists the identities a chapter derives (default: the current
page's); with ``:all:`` it lists every registered identity with a link to the
chapter that derives it (the cheat sheet). Nothing is typed by hand: title,
LaTeX, shapes and verification routes all come from :mod:`nnmath.identities`.
"""

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

from nnmath.identities import REGISTRY, for_chapter


def _chapter_link(docname):
    ref = addnodes.pending_xref("", refdomain="std", reftype="doc",
                                reftarget="/" + docname, refexplicit=False,
                                refwarn=True)
    ref += nodes.inline(docname, docname)
    return ref


def _identity_nodes(identity, *, with_chapter):
    section = nodes.container(classes=["nnmath-identity"], ids=[f"identity-{identity.name}"])
    head = nodes.paragraph()
    head += nodes.strong(text=identity.title)
    head += nodes.Text(" (")
    head += nodes.literal(text=identity.name)
    head += nodes.Text(")")
    if with_chapter:
        head += nodes.Text(", derived in ")
        head += _chapter_link(identity.chapter)
    section += head
    section += nodes.math_block(identity.latex, identity.latex, nowrap=False, number=None)
    shapes = nodes.paragraph()
    shapes += nodes.Text("Shapes: ")
    for i, (symbol, shape) in enumerate(identity.shapes.items()):
        if i:
            shapes += nodes.Text("; ")
        shapes += nodes.literal(text=f"{symbol} {shape}")
    section += shapes
    section += nodes.paragraph(text="Verified by: " + ", ".join(identity.routes) + ".")
    return section


class IdentitiesDirective(SphinxDirective):
    """``{identities}`` with options ``:chapter: docname`` or ``:all:``."""

    has_content = False
    option_spec = {"chapter": directives.unchanged, "all": directives.flag}

    def run(self):
        show_all = "all" in self.options
        if show_all:
            chosen = list(REGISTRY.values())
        else:
            chosen = for_chapter(self.options.get("chapter", self.env.docname))
        if not chosen:
            where = self.options.get("chapter", self.env.docname)
            raise self.error(f"identities: no registered identity for chapter {where!r}")
        return [_identity_nodes(i, with_chapter=show_all) for i in chosen]


def setup(app):
    app.add_directive("identities", IdentitiesDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
