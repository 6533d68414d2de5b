"""Properties of the layers, activations and losses under Hypothesis.

The table ``MODULE_CASES`` (tests/strategies.py) lists the element-wise modules,
Linear and the losses. Each one runs through

* :func:`nnmath.gradcheck.check` of its backward over random shapes and values
  (the fixed-shape check of every module is the one table of test_gradients.py);
* stability properties for inputs of magnitude up to 1000 (finite output,
  finite gradient, no warning) in float32 and float64;
* dtype preservation: float32 in, float32 out, forward and backward.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnmath as nm
from nnmath import activations as act
from nnmath import losses as los
from nnmath.gradcheck import check
from strategies import (MODULE_CASES, away_from_zero, float_arrays, input_shape,
                        large_arrays, logits_and_labels, loss_targets, shapes)

RTOL = 1e-4  # gradcheck.check's own criterion (a wrong gradient shows 1e-2 or more)
FD_SETTINGS = settings(max_examples=25, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow])
STABILITY_SETTINGS = settings(max_examples=40, deadline=None)


def _draw_input(case, shape, rng):
    X = rng.standard_normal(shape)
    if case.kink:  # keep |x| ≥ 0.1 so a step of 1e-6 cannot cross the kink at 0
        X = np.sign(X) * (0.1 + np.abs(X))
    return X


# -- finite differences: Hypothesis over shapes and values -------------------------

@FD_SETTINGS
@given(data=st.data())
@pytest.mark.parametrize("case", MODULE_CASES, ids=repr)
def test_backward_matches_finite_differences_property(case, data):
    shape = data.draw(shapes(min_dims=case.min_ndim, max_dims=case.max_ndim, max_side=3),
                      label="shape")
    shape = input_shape(case, shape)
    values = away_from_zero(shape, low=0.01, max_abs=3.0) if case.kink else float_arrays(shape, 3.0)
    X = data.draw(values, label="X")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    inputs = (X, loss_targets(case, X, rng)) if case.kind == "loss" else X
    report = check(case.make(), inputs, rng=rng, rtol=RTOL)
    assert report, f"{case.name}:\n{report}"


# -- stability for large magnitudes ----------------------------------------------

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", [c for c in MODULE_CASES if c.kind != "loss"], ids=repr)
@STABILITY_SETTINGS
@given(data=st.data())
def test_forward_and_backward_stay_finite_for_large_inputs(case, dtype, data):
    shape = input_shape(case, data.draw(shapes(min_dims=case.min_ndim,
                                               max_dims=case.max_ndim), label="shape"))
    X = data.draw(large_arrays(shape, dtype), label="X")
    module = case.make()
    if case.kind == "layer":  # a float32 input meets float32 weights
        module = nm.Linear(module.in_features, module.out_features,
                           rng=np.random.default_rng(0), dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y = module.forward(X)
        dX = module.backward(np.ones_like(Y))
    assert np.all(np.isfinite(Y)) and np.all(np.isfinite(dX))
    assert Y.dtype == dtype and dX.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@STABILITY_SETTINGS
@given(data=st.data())
def test_sigmoid_is_bounded_and_symmetric_for_large_inputs(dtype, data):
    Z = data.draw(large_arrays(shapes(), dtype))
    S = act.sigmoid(Z)
    assert S.dtype == dtype
    assert np.all((S >= 0) & (S <= 1))
    np.testing.assert_allclose(S + act.sigmoid(-Z), 1.0, rtol=0, atol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@STABILITY_SETTINGS
@given(data=st.data())
def test_softmax_is_a_distribution_for_large_inputs(dtype, data):
    Z = data.draw(large_arrays(shapes(), dtype))
    P = act.softmax(Z)
    assert P.dtype == dtype and np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0, rtol=0, atol=10 * np.finfo(dtype).eps)
    # the row maximum gets the largest probability, at least 1/C
    top = np.take_along_axis(P, np.argmax(Z, axis=-1)[..., None], axis=-1)
    assert np.all(top >= 1.0 / Z.shape[-1] * (1 - 10 * np.finfo(dtype).eps))


@STABILITY_SETTINGS
@given(data=st.data())
def test_logsumexp_lies_between_max_and_max_plus_log_c(data):
    Z = data.draw(large_arrays(shapes()))
    lse, m = los.logsumexp(Z), np.max(Z, axis=-1)
    assert np.all(np.isfinite(lse))
    assert np.all(lse >= m - 1e-12 * np.abs(m))
    assert np.all(lse <= m + np.log(Z.shape[-1]) + 1e-12 * np.abs(m) + 1e-12)


@STABILITY_SETTINGS
@given(batch=logits_and_labels(large=True))
def test_cross_entropy_is_finite_and_matches_its_definition_for_large_logits(batch):
    Z, labels = batch
    loss = nm.SoftmaxCrossEntropy()
    L = loss.forward(Z, labels)
    dZ = loss.backward()
    assert np.isfinite(L) and L >= 0
    assert np.all(np.isfinite(dZ))
    # L = mean over rows of (max + log Σ exp(z − max)) − z_label, computed row by row
    rows = [np.max(z) + np.log(np.sum(np.exp(z - np.max(z)))) - z[t] for z, t in zip(Z, labels)]
    np.testing.assert_allclose(L, np.mean(rows), rtol=1e-12, atol=1e-9)
    # each row of (p − t)/N sums to zero and lies in [−1/N, 1/N]
    N = Z.shape[0]
    np.testing.assert_allclose(dZ.sum(axis=1), 0.0, atol=1e-15)
    assert np.all(np.abs(dZ) <= 1.0 / N + 1e-15)


@STABILITY_SETTINGS
@given(Z=large_arrays(shapes(min_dims=2, max_dims=2)))
def test_softmax_backward_of_probabilities_is_finite_for_large_inputs(Z):
    P = act.softmax(Z)
    dZ = act.softmax_grad_Z(np.ones_like(P), P)  # a constant upstream: gradient zero
    np.testing.assert_allclose(dZ, 0.0, atol=1e-15)


# -- dtype preservation ------------------------------------------------------------

@pytest.mark.parametrize("case", MODULE_CASES, ids=repr)
def test_float32_in_float32_out(case):
    rng = np.random.default_rng(3)
    X = _draw_input(case, input_shape(case, (4, 3)), rng).astype(np.float32)
    module = case.make()
    if case.kind == "layer":
        module = nm.Linear(module.in_features, module.out_features, rng=rng, dtype=np.float32)
    if case.kind == "loss":
        T = loss_targets(case, X, rng)
        assert isinstance(module.forward(X, T), float)
        assert module.backward().dtype == np.float32
        return
    Y = module.forward(X)
    dX = module.backward(np.ones_like(Y))
    assert Y.dtype == np.float32 and dX.dtype == np.float32
    for name, param, grad in module.parameters():
        assert param.dtype == np.float32 and grad.dtype == np.float32, name
