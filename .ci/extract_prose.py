"""Extract the book's prose as plain ASCII text: `python .ci/extract_prose.py > nnmath/data/book_prose.txt`.

Run from the repository root. The file it writes is frozen (see nnmath/data/README.md);
rerunning it after the chapters change gives a different corpus.
"""
import glob, json, re, sys

def inline_math(m):
    t = m.group(1)
    t = re.sub(r"\\(vb|mathbf|boldsymbol|operatorname|mathrm|text|textrm|mathcal|hat|tilde|bar|left|right|big|Big|bigl|bigr|Bigl|Bigr)\b", " ", t)
    t = re.sub(r"\\[,;:! ]", " ", t)
    t = re.sub(r"\\([A-Za-z]+)", r"\1", t)
    t = re.sub(r"[{}^_\\&]", " ", t)
    return re.sub(r"\s+", " ", t).strip()

DROP = ("code-cell", "code-block", "code", "math", "glue:figure", "figure", "image",
        "bibliography", "tableofcontents", "eval-rst", "raw", "mermaid", "list-table", "table")

def fences(md):
    out, stack = [], []     # stack of (fence, keep)
    for line in md.split("\n"):
        m = re.match(r"^\s*(`{3,}|:{3,})(\{([^}]*)\})?\s*(.*)$", line)
        if m:
            fence, directive, title = m.group(1), m.group(3), m.group(4)
            if stack and fence == stack[-1][0] and not directive and not title:
                stack.pop()
                continue
            if stack and not stack[-1][1]:
                if directive or title or True:
                    stack.append((fence, False)) if (directive or title) else None
                continue
            if directive is None:          # a plain code block (``` or ```python)
                stack.append((fence, False))
                continue
            keep = directive not in DROP
            stack.append((fence, keep))
            if keep and title and not title.startswith(("ex-", "thm-")):
                out.append(title)
            continue
        if stack and not stack[-1][1]:
            continue
        out.append(line)
    return "\n".join(out)

def clean(md):
    md = re.sub(r"\A---\n.*?\n---", "", md, flags=re.S)          # front matter
    md = re.sub(r"^\(.*?\)=\s*$", "", md, flags=re.M)             # labels
    md = re.sub(r"\$\$.*?\$\$[^\n]*", "", md, flags=re.S)          # display math
    md = fences(md)
    md = re.sub(r"^:[a-z-]+:.*$", "", md, flags=re.M)            # directive options
    md = re.sub(r"\{(?:cite|cite:p|cite:t|numref|download|doc)\}`[^`]*`", "", md)
    md = re.sub(r"\{ref\}`([^`<]*?)\s*<[^`]*>`", r"\1", md)
    md = re.sub(r"\{ref\}`[^`]*`", "the chapter", md)
    md = re.sub(r"\{eq\}`[^`]*`", "the equation", md)
    md = re.sub(r"\{glue:?[a-z]*\}`[^`]*`", "a number", md)
    md = re.sub(r"\{[a-z:]+\}`([^`]*)`", r"\1", md)
    md = re.sub(r"(?<!\\)\$((?:[^$\n]|\n(?!\n))+?)\$", inline_math, md)
    md = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", md)
    md = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", md)
    md = re.sub(r"<[^>]+>", "", md)
    md = md.replace("`", "").replace("**", "").replace("\\$", "$")
    md = re.sub(r"^#+\s*", "", md, flags=re.M)
    md = re.sub(r"^\s*\|.*\|\s*$", "", md, flags=re.M)           # tables
    md = re.sub(r"[ \t]+", " ", md)
    md = re.sub(r" +\n", "\n", md)
    md = re.sub(r"\n{3,}", "\n\n", md)
    md = re.sub(r" ([,.;:)])", r"\1", md)
    return md.strip()

parts = []
for f in sorted(glob.glob("derivations/*.ipynb")):
    nb = json.load(open(f, encoding="utf-8"))
    md = "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    parts.append(clean(md))
for f in ["book/intro.md", "book/notation.md"]:
    parts.append(clean(open(f, encoding="utf-8").read()))
text = "\n\n".join(p for p in parts if p) + "\n"
for a, b in {"\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u00d7": "x",
             "\u03bb": "lambda", "\u1d40": "T", "\u2019": "'"}.items():
    text = text.replace(a, b)
assert text.isascii(), sorted(set(c for c in text if not c.isascii()))
sys.stdout.write(text)
