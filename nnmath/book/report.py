r"""Numbers as the book shows them: only the digits that mean something.

The last digits of a computed float depend on the machine: OpenBLAS picks a kernel
for the CPU it runs on, and kernels add products in different orders, so a matrix
product can differ by a few units in the last place from one CPU to the next (and a
long training run can carry that difference into the fifth or sixth digit). The
notebooks' outputs are committed and compared strictly by nbval, on any machine, so
a notebook shows a number only to the precision its text states:

* :func:`glue` glues a float rounded to ``digits`` significant digits (6 unless
  the cell says otherwise), never its raw ``repr``;
* :func:`below` shows a round-off quantity as a bound (``< 1e-10``), never its digits.

``make test`` runs every notebook a second time under another OpenBLAS kernel to
show that this holds.
"""

import ast
import inspect
import math
import numbers
import re
import textwrap

import numpy as np

__all__ = ["DIGITS", "significant", "glue", "below", "Source", "show_source"]

#: Significant digits a glued float keeps unless a cell asks for others.
DIGITS = 6


def significant(x, digits=DIGITS):
    """Return the float ``x`` rounded to ``digits`` significant digits.

    >>> significant(2.4042201065467848, 4)
    2.404
    >>> significant(2030738.1830777582, 3)
    2030000.0
    """
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits - 1}e}")


def glue(name, value, *, digits=DIGITS, display=True):
    """Glue ``value`` under ``name`` for the text, floats rounded to ``digits`` significant digits.

    The same call as ``myst_nb.glue``; a float (Python or NumPy) is rounded by
    :func:`significant` first, an integer becomes a Python ``int``, anything else
    (a string, a figure, a table) is glued as it is.
    """
    from myst_nb import glue as myst_glue  # the book's extra, imported only when gluing

    if isinstance(value, (bool, np.bool_)):
        value = bool(value)
    elif isinstance(value, numbers.Integral):
        value = int(value)
    elif isinstance(value, numbers.Real):
        value = significant(value, digits)
    myst_glue(name, value, display=display)


def below(x, bound):
    """Return ``"< bound"`` for a round-off quantity below ``bound``, else its value, flagged.

    A round-off error has no meaningful digits: only its order of magnitude is
    the same on every machine. ``bound`` is the claim the text makes; if ``x``
    does not meet it, the output says so (and nbval fails), rather than hiding it.

    >>> below(1.35e-16, 1e-14)
    '< 1e-14'
    >>> below(3e-9, 1e-10)
    '3.0e-09 (NOT below 1e-10)'
    >>> below(0.02, 1.0)
    '< 1'
    """
    x = float(np.max(np.abs(x)))
    shown = f"{bound:g}" if bound >= 1e-3 else f"{bound:.0e}"
    if x < bound:
        return f"< {shown}"
    return f"{x:.1e} (NOT below {shown})"


class Source:
    """Python source that renders highlighted (``text/markdown``) and reads as itself (``text/plain``)."""

    def __init__(self, text):
        self.text = text

    def _repr_markdown_(self):
        # a fence longer than any run of backticks in the code, so none of them ends it
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall("`+", self.text)), default=0))
        return f"{fence}python\n{self.text}\n{fence}"

    def __repr__(self):
        return self.text


def show_source(*functions):
    """Show the code of chapter helpers on the page, highlighted, before a cell uses them.

    A notebook shows the code it relies on (without the docstrings, which the
    prose around the cell replaces). The result renders as highlighted
    Python in the HTML book, the PDF and JupyterLab (a fenced code block in a
    ``text/markdown`` output, which Sphinx highlights as it does the book's own
    code); its plain-text form is the source itself, so nbval compares it as it
    compares any output. Tag the calling cell ``remove-input`` so that only the
    code shows.

    Parameters
    ----------
    *functions : function or class
        The helpers, shown in this order, a blank line apart.

    Returns
    -------
    Source
    """
    return Source("\n\n".join(_without_docstring(f) for f in functions))


def _without_docstring(function):
    """The source of ``function`` minus its docstring: the page's prose documents it, and the
    docstring's reST (``.. math::``) would show raw inside a code block."""
    lines = inspect.getsource(function).rstrip().split("\n")
    node = ast.parse(textwrap.dedent("\n".join(lines))).body[0]
    body = getattr(node, "body", [])
    if len(body) > 1 and ast.get_docstring(node) is not None:
        del lines[body[0].lineno - 1:body[0].end_lineno]
    return "\n".join(lines)
