r"""Data sets and preprocessing: Fisher's iris, a sine curve, a seeded split, standardisation.

The iris measurements ship with the package as ``nnmath/data/iris.csv``:
150 flowers, four measurements in centimetres (sepal length and width, petal
length and width) and the species as an integer 0, 1, 2 (setosa, versicolor,
virginica), 50 of each. They were published by Fisher (1936,
``fisher1936use`` in the book's bibliography) and are in the public domain;
the file was converted from the copy distributed with scikit-learn.

The 8×8 handwritten digits ship as ``nnmath/data/digits.npz``
(:func:`load_digits`, :mod:`nnmath.data.digits`; licence and citation in
``nnmath/data/README.md``). The book's own prose ships as
``nnmath/data/book_prose.txt`` for character-level language models
(:mod:`nnmath.data.text`).
"""

import io
from importlib import resources

import numpy as np

from ..checks import check_count, check_real, check_rng
from .digits import load_digits
from .sequences import reversal_data
from .text import CharTokenizer, load_book_text, text_windows, train_val_split

__all__ = ["load_digits", "reversal_data", "load_book_text", "CharTokenizer", "text_windows",
           "train_val_split", "load_iris", "IRIS_FEATURES", "IRIS_CLASSES", "sine_data",
           "train_test_split",
           "Standardizer"]

IRIS_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def load_iris():
    """Load Fisher's iris data (150 samples, 4 features, 3 classes).

    Returns
    -------
    X : ndarray of float64, shape (150, 4)
        Sepal length, sepal width, petal length, petal width in cm.
    y : ndarray of int64, shape (150,)
        Species index into ``class_names``; 50 samples per class.
    class_names : tuple of str
        ``("setosa", "versicolor", "virginica")``.

    Notes
    -----
    Fisher (1936) measured the flowers to separate the species with a linear
    discriminant; chapters on training use it as a small three-class problem.

    Examples
    --------
    >>> X, y, names = load_iris()
    >>> X.shape, y.shape, names[y[0]]
    ((150, 4), (150,), 'setosa')
    """
    text = resources.files("nnmath").joinpath("data", "iris.csv").read_text(encoding="utf-8")
    header, _, body = text.partition("\n")
    columns = header.strip().split(",")
    if tuple(columns) != IRIS_FEATURES + ("species",):
        raise ValueError(f"load_iris: unexpected header {columns}")
    table = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2)
    X = np.ascontiguousarray(table[:, :4])
    y = table[:, 4].astype(np.int64)
    return X, y, IRIS_CLASSES


def sine_data(n, rng, *, amplitude=3.0, frequency=20.0):
    r"""Samples of ``y = amplitude · sin(frequency · x)`` for ``x`` uniform in [0, 1).

    Parameters
    ----------
    n : int ≥ 1
    rng : numpy.random.Generator
    amplitude, frequency : float, optional
        Defaults give ``3 sin(20x)``, about three periods on [0, 1).

    Returns
    -------
    X : ndarray, shape (n, 1)
    Y : ndarray, shape (n, 1)
    """
    n = check_count("sine_data", "n", n)
    check_rng("sine_data", rng)
    amplitude = check_real("sine_data", "amplitude", amplitude, lambda v: True, "real")
    frequency = check_real("sine_data", "frequency", frequency, lambda v: True, "real")
    X = rng.random((n, 1))
    return X, amplitude * np.sin(frequency * X)


def train_test_split(X, y, *, test_fraction, rng, stratify=False):
    """Split samples into a training and a test set at random.

    Parameters
    ----------
    X : array, shape (N, ...)
    y : array, shape (N, ...)
    test_fraction : float in (0, 1)
        Share of samples in the test set: ``round(test_fraction · N)``
        (per class when stratified), at least one sample on each side.
    rng : numpy.random.Generator
    stratify : bool, optional
        Keep the class proportions of the integer labels ``y`` (shape (N,))
        in both sets.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarrays
        Disjoint; together they hold every sample once, in shuffled order.
    """
    owner = "train_test_split"
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim < 1 or y.ndim < 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{owner}: X and y must have the same number of samples, "
                         f"got X {X.shape} and y {y.shape}")
    test_fraction = check_real(owner, "test_fraction", test_fraction, lambda v: True, "real")
    if not 0 < test_fraction < 1:
        raise ValueError(f"{owner}: test_fraction must be in (0, 1), got {test_fraction}")
    check_rng(owner, rng)
    N = X.shape[0]
    if N < 2:
        raise ValueError(f"{owner}: need at least 2 samples to split, got {N}")
    if stratify:
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise ValueError(f"{owner}: stratify needs integer labels of shape (N,), "
                             f"got dtype {y.dtype}, shape {y.shape}")
        test = []
        for label in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == label))
            test.append(members[:int(round(test_fraction * members.size))])
        test = np.concatenate(test)
        if test.size == 0 or test.size == N:
            raise ValueError(f"{owner}: test_fraction {test_fraction} leaves an empty "
                             f"training or test set for {N} samples")
        is_test = np.zeros(N, dtype=bool)
        is_test[test] = True
        order = rng.permutation(N)
        train_idx, test_idx = order[~is_test[order]], order[is_test[order]]
    else:
        n_test = min(max(int(round(test_fraction * N)), 1), N - 1)
        order = rng.permutation(N)
        test_idx, train_idx = order[:n_test], order[n_test:]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


class Standardizer:
    r"""Shift and scale each feature to zero mean and unit variance.

    Fit on the training set only, then apply the same shift and scale to
    any other set (the test set must not leak into the statistics).

    Attributes
    ----------
    mean_ : ndarray, shape (D,)
    scale_ : ndarray, shape (D,)
        Standard deviation of each feature; 1 for a constant feature, which
        is centred but left unscaled.

    Notes
    -----
    .. math:: \tilde x_{nd} = \frac{x_{nd} - \mu_d}{\sigma_d}

    Examples
    --------
    >>> import numpy as np
    >>> s = Standardizer().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> s.transform(np.array([[3.0, 7.0]]))
    array([[1., 2.]])
    """

    def __init__(self):
        self.mean_ = None
        self.scale_ = None

    @staticmethod
    def _check(owner, X):
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] == 0 or X.dtype.kind not in "fiu":
            raise ValueError(f"{owner}: X must be a numeric array of shape (N, D) with N ≥ 1, "
                             f"got shape {X.shape}, dtype {X.dtype}")
        if X.dtype.kind == "f" and not np.all(np.isfinite(X)):
            raise ValueError(f"{owner}: X contains NaN or infinite values")
        return X.astype(np.float64, copy=False)

    def fit(self, X):
        """Learn each column's mean and standard deviation from ``X`` (N, D); return self."""
        X = self._check("Standardizer.fit", X)
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X):
        """Return ``(X − mean_) / scale_`` for ``X`` (M, D)."""
        if self.mean_ is None:
            raise ValueError("Standardizer.transform: call fit first")
        X = self._check("Standardizer.transform", X)
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(f"Standardizer.transform: X has {X.shape[1]} features, "
                             f"the fit saw {self.mean_.shape[0]}")
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def __repr__(self):
        fitted = "unfitted" if self.mean_ is None else f"D={self.mean_.shape[0]}"
        return f"Standardizer({fitted})"
