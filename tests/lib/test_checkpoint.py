"""Saving and loading models: exact round trips and clear errors on mismatch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnmath as nm
from nnmath.checkpoint import load, save


def mlp(widths, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    modules = []
    for d_in, d_out in zip(widths[:-1], widths[1:]):
        modules += [nm.Linear(d_in, d_out, rng=rng, dtype=dtype), nm.Tanh()]
    return nm.Sequential(*modules[:-1])


def params(model):
    return {name: p.copy() for name, p, _ in model.parameters()}


@settings(max_examples=20, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=2, max_size=4),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_round_trip_is_exact(tmp_path_factory, widths, dtype):
    source, target = mlp(widths, 0, dtype), mlp(widths, 1, dtype)
    path = save(source, tmp_path_factory.mktemp("ckpt") / "model")
    load(target, path)
    for name, value in params(source).items():
        loaded = params(target)[name]
        assert loaded.dtype == value.dtype
        np.testing.assert_array_equal(loaded, value)  # bit for bit, not approximately
    X = np.random.default_rng(2).standard_normal((3, widths[0])).astype(dtype)
    np.testing.assert_array_equal(source.forward(X), target.forward(X))


def test_file_is_plain_npz_without_pickles(tmp_path):
    path = save(mlp([3, 4, 2], 0), tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["0.W", "0.b", "2.W", "2.b"]


def test_wrong_architecture_is_named_and_model_untouched(tmp_path):
    path = save(mlp([3, 4, 2], 0), tmp_path / "m.npz")
    wider = mlp([3, 5, 2], 1)
    before = params(wider)
    with pytest.raises(ValueError, match=r"parameter '0\.W'.*\(3, 4\).*expects \(3, 5\)"):
        load(wider, path)
    for name, value in before.items():
        np.testing.assert_array_equal(params(wider)[name], value)


def test_missing_layers_are_named(tmp_path):
    path = save(mlp([3, 4, 2], 0), tmp_path / "m.npz")
    with pytest.raises(ValueError, match=r"missing keys \['4\.W', '4\.b'\]"):
        load(mlp([3, 4, 2, 2], 1), path)


def test_dtype_mismatch_is_an_error(tmp_path):
    path = save(mlp([3, 2], 0, np.float32), tmp_path / "m.npz")
    with pytest.raises(ValueError, match="float32.*float64"):
        load(mlp([3, 2], 1, np.float64), path)


def test_non_model_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="save: expected a model"):
        save(object(), tmp_path / "x.npz")
