"""new-chapter adds its line to _toc.yml: to an existing part, an empty one, or a new one."""

import pytest

from nnmath.book.scaffold import _add_to_toc

TOC = """format: jb-book
root: book/intro
parts:
  - caption: Basics
    numbered: true
    chapters:
      - file: derivations/01_a
  - caption: Empty
    numbered: true
    chapters:
  - caption: Appendices
    chapters:
      - file: book/api
"""


@pytest.fixture
def toc(tmp_path):
    path = tmp_path / "_toc.yml"
    path.write_text(TOC)
    return path


def test_appends_to_the_last_numbered_part_by_default(toc):
    _add_to_toc(toc, "derivations/02_b", None)
    assert "  - caption: Empty\n    numbered: true\n    chapters:\n      - file: derivations/02_b\n" \
        in toc.read_text()


def test_appends_to_a_named_part(toc):
    _add_to_toc(toc, "derivations/02_b", "Basics")
    assert "      - file: derivations/01_a\n      - file: derivations/02_b\n" in toc.read_text()


def test_creates_a_new_numbered_part_before_the_appendices(toc):
    _add_to_toc(toc, "derivations/09_z", "New part")
    text = toc.read_text()
    assert ("  - caption: New part\n    numbered: true\n    chapters:\n"
            "      - file: derivations/09_z\n  - caption: Appendices") in text
    _add_to_toc(toc, "derivations/10_y", "New part")
    assert "      - file: derivations/09_z\n      - file: derivations/10_y\n" in toc.read_text()
