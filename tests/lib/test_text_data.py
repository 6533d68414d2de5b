"""The shipped text corpus, the character tokenizer, next-token windows and the split."""

import tomllib
from pathlib import Path

import numpy as np
import pytest

from nnmath.data import CharTokenizer, load_book_text, text_windows, train_val_split

ROOT = Path(__file__).resolve().parents[2]


def test_the_corpus_is_small_ascii_prose_with_its_licence_stated():
    text = load_book_text()
    assert 100_000 < len(text) < 400_000 and text.isascii()
    assert "\\frac" not in text and "$$" not in text and "{cite}" not in text
    readme = (ROOT / "nnmath" / "data" / "README.md").read_text(encoding="utf-8")
    assert "book_prose.txt" in readme and "MIT licence" in readme
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "*.txt" in data["package-data"]["nnmath.data"]


def test_tokenizer_round_trip_and_errors():
    text = load_book_text()
    tok = CharTokenizer(text)
    ids = tok.encode(text)
    assert ids.dtype == np.int64 and tok.vocab_size == len(set(text)) == ids.max() + 1
    assert tok.decode(ids) == text
    assert tok.chars == "".join(sorted(set(text)))
    with pytest.raises(ValueError, match=r"unknown character '€' at position 3"):
        tok.encode("abc€")
    with pytest.raises(ValueError, match=f"id {tok.vocab_size} is out of range"):
        tok.decode([0, tok.vocab_size])
    with pytest.raises(TypeError, match="ids must be integers"):
        tok.decode(np.array([1.0]))
    with pytest.raises(ValueError, match="non-empty string"):
        CharTokenizer("")


def test_windows_are_inputs_and_next_token_targets_from_a_seeded_rng():
    ids = np.arange(100)
    X, Y = text_windows(ids, 8, 5, np.random.default_rng(0))
    assert X.shape == Y.shape == (5, 8)
    assert np.array_equal(Y, X + 1) and np.all(np.diff(X, axis=1) == 1)
    X2, _ = text_windows(ids, 8, 5, np.random.default_rng(0))
    assert np.array_equal(X, X2)
    starts = text_windows(np.arange(10), 9, 200, np.random.default_rng(1))[0][:, 0]
    assert set(starts) == {0}                    # the only window of 10 tokens
    with pytest.raises(ValueError, match="too few for a window of context \\+ 1 = 11"):
        text_windows(np.arange(10), 10, 1, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        text_windows(ids, 8, 5, 0)


def test_split_is_contiguous():
    train, val = train_val_split(np.arange(50), val_fraction=0.2)
    assert np.array_equal(train, np.arange(40)) and np.array_equal(val, np.arange(40, 50))
    with pytest.raises(ValueError, match="val_fraction must be in \\(0, 1\\)"):
        train_val_split(np.arange(50), val_fraction=1.0)
    with pytest.raises(ValueError, match="1-D integer array"):
        train_val_split(np.ones(5))
