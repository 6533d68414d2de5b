"""The iris data, the sine data, the seeded split and the standardizer."""

import numpy as np
import pytest

from nnmath.data import Standardizer, load_iris, sine_data, train_test_split


def test_iris_shape_classes_and_known_means():
    X, y, names = load_iris()
    assert X.shape == (150, 4) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    assert names == ("setosa", "versicolor", "virginica")
    assert np.bincount(y).tolist() == [50, 50, 50]
    # Fisher's published column means (cm)
    np.testing.assert_allclose(X.mean(axis=0), [5.843, 3.057, 3.758, 1.199], atol=5e-4)
    np.testing.assert_array_equal(X[0], [5.1, 3.5, 1.4, 0.2])


def test_iris_returns_fresh_arrays():
    X1, _, _ = load_iris()
    X1[0, 0] = -1
    assert load_iris()[0][0, 0] == 5.1


def test_sine_data():
    X, Y = sine_data(500, np.random.default_rng(0))
    assert X.shape == Y.shape == (500, 1)
    assert X.min() >= 0 and X.max() < 1
    np.testing.assert_allclose(Y, 3 * np.sin(20 * X))
    X2, _ = sine_data(500, np.random.default_rng(0))
    np.testing.assert_array_equal(X, X2)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"n": 0}, ValueError, "sine_data: n must be positive, got 0"),
    ({"n": 2.5}, TypeError, "sine_data: n must be an integer, got 2.5"),
    ({"amplitude": np.nan}, ValueError, "sine_data: amplitude must be finite"),
])
def test_sine_data_rejects_bad_input(kwargs, error, message):
    args = {"n": 10, "amplitude": 3.0}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        sine_data(args["n"], np.random.default_rng(0), amplitude=args["amplitude"])
    with pytest.raises(TypeError, match="sine_data: rng"):
        sine_data(10, 0)


@pytest.mark.parametrize("stratify", [False, True])
def test_split_sizes_disjoint_and_seeded(stratify):
    X, y, _ = load_iris()
    ids = np.arange(150)
    parts = train_test_split(ids, y, test_fraction=0.2, rng=np.random.default_rng(1),
                             stratify=stratify)
    train, test, y_train, y_test = parts
    assert len(train) == 120 and len(test) == 30
    assert not set(train) & set(test) and set(train) | set(test) == set(ids)
    np.testing.assert_array_equal(y_train, y[train])
    np.testing.assert_array_equal(y_test, y[test])
    if stratify:
        assert np.bincount(y_test).tolist() == [10, 10, 10]
    again = train_test_split(ids, y, test_fraction=0.2, rng=np.random.default_rng(1),
                             stratify=stratify)
    np.testing.assert_array_equal(again[1], test)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"test_fraction": 0.0}, ValueError, r"train_test_split: test_fraction must be in \(0, 1\)"),
    ({"test_fraction": 1.5}, ValueError, r"train_test_split: test_fraction must be in \(0, 1\)"),
    ({"y": np.zeros(5)}, ValueError, "train_test_split: X and y must have the same number"),
    ({"rng": 3}, TypeError, "train_test_split: rng"),
    ({"stratify": True, "y": np.linspace(0, 1, 10)}, ValueError, "stratify needs integer labels"),
])
def test_split_rejects_bad_input(kwargs, error, message):
    args = {"X": np.zeros((10, 2)), "y": np.arange(10), "test_fraction": 0.3,
            "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        train_test_split(args.pop("X"), args.pop("y"), **args)


def test_standardizer_fit_on_train_apply_to_test():
    X, y, _ = load_iris()
    X_train, X_test, _, _ = train_test_split(X, y, test_fraction=0.3,
                                             rng=np.random.default_rng(0))
    s = Standardizer().fit(X_train)
    Z = s.transform(X_train)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(s.transform(X_test), (X_test - X_train.mean(0)) / X_train.std(0))


def test_standardizer_leaves_constant_columns_unscaled():
    X = np.array([[1.0, 7.0], [3.0, 7.0], [5.0, 7.0]])
    Z = Standardizer().fit_transform(X)
    np.testing.assert_array_equal(Z[:, 1], 0.0)
    assert np.all(np.isfinite(Z))


def test_standardizer_errors():
    with pytest.raises(ValueError, match="Standardizer.transform: call fit first"):
        Standardizer().transform(np.zeros((2, 2)))
    s = Standardizer().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="Standardizer.transform: X has 3 features, the fit saw 2"):
        s.transform(np.ones((3, 3)))
    with pytest.raises(ValueError, match="Standardizer.fit: X must be"):
        Standardizer().fit(np.ones(3))
    with pytest.raises(ValueError, match="Standardizer.fit: X contains NaN"):
        Standardizer().fit(np.array([[np.nan, 1.0]]))
