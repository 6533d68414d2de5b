"""Sphinx extension: the book's LaTeX macros in the PDF, from the one definition.

The macros are defined once, for MathJax, in ``_config.yml``
(``sphinx.config.mathjax3_config.tex.macros``). The LaTeX builder does not read that,
so this turns each into a ``\\newcommand`` in the preamble (``\\providecommand`` first,
so that a name LaTeX or a package already defines, such as ``\\T``, is replaced, not
an error). JupyterLab gets its copy from .ci/sync_macros.py.
"""


def preamble(macros):
    """``\\providecommand{\\name}{}\\renewcommand{\\name}[n]{body}`` for each macro."""
    lines = ["% The book's macros, from mathjax3_config in _config.yml (book/_ext/latex_macros.py)"]
    for name, value in macros.items():
        body, nargs = (value, 0) if isinstance(value, str) else (value[0], int(value[1]))
        args = f"[{nargs}]" if nargs else ""
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{args}{{{body}}}")
    return "\n".join(lines) + "\n"


def add_macros(app, config):
    macros = (config.mathjax3_config or {}).get("tex", {}).get("macros", {})
    elements = dict(config.latex_elements or {})
    elements["preamble"] = elements.get("preamble", "") + preamble(macros)
    config.latex_elements = elements


def setup(app):
    app.connect("config-inited", add_macros)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
