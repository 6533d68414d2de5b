"""book/references.bib parses, with one entry per key (a bad merge breaks the whole build)."""

import re
from pathlib import Path

import pybtex.database

BIB = Path(__file__).resolve().parents[2] / "book" / "references.bib"


def test_the_bibliography_parses_with_unique_keys():
    entries = pybtex.database.parse_file(BIB).entries
    keys = re.findall(r"^@\w+\{([^,]+),", BIB.read_text(encoding="utf-8"), re.M)
    assert len(keys) == len(set(keys)) == len(entries)
    assert "<<<<<<<" not in BIB.read_text(encoding="utf-8")
