"""The shipped 8×8 digits: shapes, values, label counts and the checksum of the arrays."""

import hashlib
from importlib import resources

import numpy as np

import nnmath as nm
from nnmath.data.digits import DIGITS_SHA256


def test_digits_shapes_values_and_counts():
    images, labels = nm.data.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert np.array_equal(np.unique(images), np.arange(17.0))  # counts of on-pixels, 0..16
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert labels[:10].tolist() == list(range(10))


def test_digits_checksum():
    images, labels = nm.data.load_digits()
    assert hashlib.sha256(images.astype(np.uint8).tobytes()).hexdigest() == DIGITS_SHA256["images"]
    assert hashlib.sha256(labels.astype(np.uint8).tobytes()).hexdigest() == DIGITS_SHA256["labels"]


def test_digits_file_and_licence_ship_with_the_package():
    folder = resources.files("nnmath").joinpath("data")
    assert folder.joinpath("digits.npz").is_file()
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert "BSD 3-Clause" in readme and "Alpaydin" in readme and "Kaynak" in readme


def test_digits_loader_returns_fresh_arrays():
    a, _ = nm.data.load_digits()
    a[0, 0, 0] = -1.0
    b, _ = nm.data.load_digits()
    assert b[0, 0, 0] == 0.0
