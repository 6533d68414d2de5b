"""LayerNorm, BatchNorm, Dropout, Residual and SGD's weight decay.

Every backward is compared with two independent routes: central differences
(:func:`nnmath.gradcheck.check`) and the autodiff engine, whose Tensor forward
(:mod:`nnmath.autodiff.norm`) is built from mean, subtraction, powers and sqrt.
Then train/eval, running statistics against a closed form, constant rows
(σ = 0), dtypes and every error message.
"""

import warnings

import numpy as np
import pytest

import nnmath as nm
from nnmath import autodiff as ad
from nnmath.gradcheck import check, numeric_jacobian


def _rng(*key):
    return np.random.default_rng([16, *key])


def _randomise(module, rng):
    """Non-trivial gamma and beta, so their gradients and the γ ⊙ δ step are exercised."""
    for _, param, _ in module.parameters():
        param[...] = rng.standard_normal(param.shape)
    return module


# -- one table: module, input shape, engine forward -----------------------------

def _engine_ln(module):
    return lambda X, g, b: ad.layer_norm(X, g, b, module.eps)


def _engine_bn(module):
    return lambda X, g, b: ad.batch_norm(X, g, b, module.eps)


NORM_CASES = [
    ("LayerNorm (N, D)", lambda: nm.LayerNorm(5), (4, 5), _engine_ln),
    ("LayerNorm (N, T, D)", lambda: nm.LayerNorm(3), (2, 4, 3), _engine_ln),
    ("LayerNorm large eps", lambda: nm.LayerNorm(4, eps=0.5), (3, 4), _engine_ln),
    ("BatchNorm (N, F)", lambda: nm.BatchNorm(3), (6, 3), _engine_bn),
    ("BatchNorm (N, C, H, W)", lambda: nm.BatchNorm(2), (3, 2, 2, 3), _engine_bn),
    ("BatchNorm N=2", lambda: nm.BatchNorm(4, eps=0.2), (2, 4), _engine_bn),
]


@pytest.mark.parametrize("name, make, shape, engine", NORM_CASES, ids=[c[0] for c in NORM_CASES])
def test_backward_matches_finite_differences(name, make, shape, engine):
    module = _randomise(make(), _rng(1))
    report = check(module, _rng(2).standard_normal(shape), rng=_rng(3), rtol=1e-5)
    assert report.passed, report


@pytest.mark.parametrize("name, make, shape, engine", NORM_CASES, ids=[c[0] for c in NORM_CASES])
def test_backward_matches_the_engine(name, make, shape, engine):
    module = _randomise(make(), _rng(4))
    X, delta = _rng(5).standard_normal(shape), _rng(6).standard_normal(shape)
    Y = module.forward(X)
    dX = module.backward(delta)
    x, g, b = ad.Tensor(X), ad.Tensor(module.gamma), ad.Tensor(module.beta)
    out = engine(module)(x, g, b)
    np.testing.assert_allclose(Y, out.data, rtol=1e-12, atol=1e-12)
    (out * delta).sum().backward()
    for got, want in ((dX, x.grad), (module.dgamma, g.grad), (module.dbeta, b.grad)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_layer_norm_rows_have_mean_zero_and_variance_one_before_gamma():
    X = _rng(7).standard_normal((5, 8)) * 3 + 2
    Y = nm.LayerNorm(8, eps=1e-12).forward(X)
    np.testing.assert_allclose(Y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Y.var(axis=1), 1, rtol=1e-9)


def test_batch_norm_nchw_normalises_over_n_h_w():
    X = _rng(8).standard_normal((3, 2, 4, 5)) * 4 - 1
    Y = nm.BatchNorm(2, eps=1e-12).forward(X)
    np.testing.assert_allclose(Y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(Y.var(axis=(0, 2, 3)), 1, rtol=1e-9)


def test_backward_sets_gradients_rather_than_accumulating():
    ln = nm.LayerNorm(3)
    X, d = _rng(9).standard_normal((2, 3)), _rng(10).standard_normal((2, 3))
    ln.forward(X)
    ln.backward(d)
    first = ln.dgamma.copy()
    ln.forward(X)
    ln.backward(d)
    np.testing.assert_array_equal(ln.dgamma, first)


# -- BatchNorm: eval mode and running statistics ---------------------------------

def test_running_statistics_match_the_closed_form():
    m, batches = 0.2, [_rng(11, k).standard_normal((5, 3)) * (k + 1) + k for k in range(4)]
    bn = nm.BatchNorm(3, momentum=m)
    for B in batches:
        bn.forward(B)
    # r_K = (1 − m)^K r_0 + Σ_k m (1 − m)^(K−1−k) stat_k, unbiased variance (ddof=1)
    K = len(batches)
    weights = m * (1 - m) ** (K - 1 - np.arange(K))
    means = np.array([B.mean(axis=0) for B in batches])
    variances = np.array([B.var(axis=0, ddof=1) for B in batches])
    np.testing.assert_allclose(bn.running_mean, weights @ means, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, (1 - m) ** K + weights @ variances, rtol=1e-12)


def test_running_variance_of_images_is_unbiased_over_n_h_w():
    X = _rng(12).standard_normal((2, 3, 2, 2))
    bn = nm.BatchNorm(3, momentum=1.0)
    bn.forward(X)
    np.testing.assert_allclose(bn.running_var, X.var(axis=(0, 2, 3), ddof=1), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean, X.mean(axis=(0, 2, 3)), rtol=1e-12)


def test_eval_uses_running_statistics_and_leaves_them_unchanged():
    bn = _randomise(nm.BatchNorm(3, momentum=0.5), _rng(13))
    for k in range(3):
        bn.forward(_rng(14, k).standard_normal((4, 3)) + k)
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    X = _rng(15).standard_normal((1, 3))  # a batch of one is fine in eval mode
    Y = bn.eval().forward(X)
    np.testing.assert_allclose(Y, bn.gamma * (X - mean) / np.sqrt(var + bn.eps) + bn.beta,
                               rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean, mean)
    np.testing.assert_array_equal(bn.running_var, var)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 2)])
def test_eval_backward_is_the_fixed_affine_map(shape):
    bn = _randomise(nm.BatchNorm(3), _rng(16))
    bn.running_var[...] = _rng(17).uniform(0.5, 2, 3)
    bn.running_mean[...] = _rng(18).standard_normal(3)
    bn.eval()
    report = check(bn, _rng(19).standard_normal(shape), rng=_rng(20), rtol=1e-6)
    assert report.passed, report
    # each sample on its own: the Jacobian across samples is zero
    J = numeric_jacobian(bn.forward, _rng(21).standard_normal((3, 3)))
    assert np.all(J[0, :, 1:, :] == 0)


def test_same_sample_differs_across_batches_in_training_only():
    from nnmath.book.chapters import ch21_batch_norm as ch21

    x = _rng(22).standard_normal(3)
    out = ch21.batch_dependence(x, _rng(23).standard_normal((3, 3)),
                                _rng(24).standard_normal((3, 3)) + 2)
    assert np.abs(out["train_a"] - out["train_b"]).max() > 0.1
    np.testing.assert_array_equal(out["eval_a"], out["eval_b"])


# -- Sequential passes train/eval on -----------------------------------------------

def test_train_and_eval_reach_every_module_through_sequential_and_residual():
    rng = _rng(25)
    inner = nm.Sequential(nm.LayerNorm(4), nm.Linear(4, 4, rng=rng), nm.Dropout(0.5, rng=rng))
    model = nm.Sequential(nm.Linear(3, 4, rng=rng), nm.BatchNorm(4), nm.Residual(inner))
    modules = [model, *model.layers, inner, *inner.layers]
    assert all(m.training for m in modules)
    assert model.eval() is model
    assert not any(m.training for m in modules)
    X = rng.standard_normal((1, 3))
    np.testing.assert_array_equal(model.forward(X), model.forward(X))  # deterministic in eval
    model.train()
    assert all(m.training for m in modules)
    X = rng.standard_normal((8, 3))
    assert not np.array_equal(model.forward(X), model.forward(X))  # fresh dropout masks


# -- σ = 0: constant rows and columns --------------------------------------------

def test_constant_rows_and_columns_give_finite_outputs_and_gradients_without_warnings():
    gamma = np.array([2.0, -1.0, 0.5])
    delta = _rng(26).standard_normal((4, 3))
    ln, bn = nm.LayerNorm(3), nm.BatchNorm(3)
    ln.gamma[...] = bn.gamma[...] = gamma
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y_ln = ln.forward(np.full((4, 3), 7.0))          # every row constant
        dX_ln = ln.backward(delta)
        Y_bn = bn.forward(np.tile([1.0, -2.0, 3.0], (4, 1)))  # every column constant
        dX_bn = bn.backward(delta)
    np.testing.assert_array_equal(Y_ln, 0)       # x̂ = 0, so Y = β = 0
    np.testing.assert_array_equal(Y_bn, 0)
    # x̂ = 0 leaves (1/√eps)(g − mean g): chapter ch-layer-norm
    g = delta * gamma
    np.testing.assert_allclose(dX_ln, (g - g.mean(1, keepdims=True)) / np.sqrt(ln.eps), rtol=1e-10)
    np.testing.assert_allclose(dX_bn, (g - g.mean(0, keepdims=True)) / np.sqrt(bn.eps), rtol=1e-10)
    np.testing.assert_array_equal(ln.dgamma, 0)


def test_constant_row_gradient_matches_finite_differences():
    ln = nm.LayerNorm(4, eps=0.1)
    report = check(ln, np.full((2, 4), 3.0), rng=_rng(27), rtol=1e-6)
    assert report.passed, report


# -- dtypes -------------------------------------------------------------------------

@pytest.mark.parametrize("make, shape", [
    (lambda dt: nm.LayerNorm(4, dtype=dt), (3, 4)),
    (lambda dt: nm.LayerNorm(4, dtype=dt), (2, 3, 4)),
    (lambda dt: nm.BatchNorm(4, dtype=dt), (3, 4)),
    (lambda dt: nm.BatchNorm(2, dtype=dt), (2, 2, 3, 3)),
    (lambda dt: nm.BatchNorm(4, dtype=dt).eval(), (3, 4)),
    (lambda dt: nm.Dropout(0.3, rng=_rng(28)), (3, 4)),
    (lambda dt: nm.Dropout(0.3, rng=_rng(28)).eval(), (3, 4)),
    (lambda dt: nm.Residual(nm.LayerNorm(4, dtype=dt)), (3, 4)),
], ids=["LN", "LN 3-D", "BN", "BN NCHW", "BN eval", "Dropout", "Dropout eval", "Residual"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(make, shape, dtype):
    module = make(dtype)
    X = _rng(29).standard_normal(shape).astype(dtype)
    Y = module.forward(X)
    dX = module.backward(np.ones_like(Y))
    assert Y.dtype == dtype and dX.dtype == dtype
    for name, param, grad in module.parameters():
        assert param.dtype == grad.dtype == dtype, name
    if isinstance(module, nm.BatchNorm):
        assert module.running_mean.dtype == module.running_var.dtype == dtype


# -- errors -----------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: nm.LayerNorm(4).forward(np.ones((2, 3))), ValueError,
     r"LayerNorm.forward: X has shape \(2, 3\), expected \(\.\.\., 4\)"),
    (lambda: nm.LayerNorm(0), ValueError, "LayerNorm: features must be positive"),
    (lambda: nm.LayerNorm(2.5), TypeError, "LayerNorm: features must be an integer"),
    (lambda: nm.LayerNorm(3, eps=0), ValueError, r"LayerNorm: eps must be finite and > 0"),
    (lambda: nm.LayerNorm(3, dtype=int), TypeError, "LayerNorm: dtype must be a floating"),
    (lambda: nm.LayerNorm(3).backward(np.ones((1, 3))), ValueError,
     "LayerNorm.backward: backward called before forward"),
    (lambda: nm.BatchNorm(3).forward(np.ones((1, 3))), ValueError,
     r"BatchNorm.forward: in training mode .* X of shape \(1, 3\) \(1 per feature\)"),
    (lambda: nm.BatchNorm(3).forward(np.ones((1, 3, 1, 1))), ValueError,
     r"at least 2 values .* \(1 per feature\)"),
    (lambda: nm.BatchNorm(3).forward(np.ones((4, 2))), ValueError,
     r"BatchNorm.forward: X has shape \(4, 2\), expected \(N, 3\) or \(N, 3, height, width\)"),
    (lambda: nm.BatchNorm(3).forward(np.ones((4, 3, 2))), ValueError,
     r"BatchNorm.forward: X has shape \(4, 3, 2\)"),
    (lambda: nm.BatchNorm(3, momentum=1.5), ValueError,
     r"BatchNorm: momentum must be finite and in \[0, 1\]"),
    (lambda: nm.Dropout(1.0, rng=_rng(0)), ValueError, r"Dropout: p must be in \[0, 1\)"),
    (lambda: nm.Dropout(-0.1, rng=_rng(0)), ValueError, r"Dropout: p must be in \[0, 1\)"),
    (lambda: nm.Dropout(0.5, rng=0), TypeError, "Dropout: rng must be a numpy.random.Generator"),
    (lambda: nm.Dropout(0.5, rng=_rng(0)).backward(np.ones(2)), ValueError,
     "Dropout.backward: backward called before forward"),
    (lambda: nm.Residual(nm.Tanh), TypeError, "Residual: module is the class Tanh"),
    (lambda: nm.Residual(nm.Linear(3, 2, rng=_rng(0))).forward(np.ones((1, 3))), ValueError,
     r"Residual.forward: the module Linear maps shape \(1, 3\) to \(1, 2\)"),
    (lambda: nm.SGD(nm.Linear(2, 2), lr=0.1, weight_decay=-1), ValueError,
     "SGD: weight_decay must be finite and >= 0"),
])
def test_errors_name_the_layer_and_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("module, shape", [
    (nm.LayerNorm(3), (2, 3)), (nm.BatchNorm(3), (2, 3)), (nm.Dropout(0.2, rng=_rng(0)), (2, 3))])
def test_upstream_of_the_wrong_shape_is_an_error(module, shape):
    module.forward(np.arange(6.0).reshape(shape))
    name = type(module).__name__
    with pytest.raises(ValueError, match=rf"{name}.backward: dY has shape \(3, 2\), expected \(2, 3\)"):
        module.backward(np.ones((3, 2)))


# -- Dropout ------------------------------------------------------------------------

def test_dropout_jacobian_is_diag_mask_over_keep_probability():
    p = 0.4
    X = _rng(30).standard_normal((3, 5))
    drop = nm.Dropout(p, rng=np.random.default_rng(1))
    Y = drop.forward(X)
    mask = Y != 0
    J = numeric_jacobian(lambda V: nm.Dropout(p, rng=np.random.default_rng(1)).forward(V), X)
    expected = np.diag((mask / (1 - p)).ravel()).reshape(X.shape + X.shape)
    np.testing.assert_allclose(J, expected, atol=1e-8)
    np.testing.assert_allclose(drop.backward(np.ones_like(X)), mask / (1 - p), rtol=1e-15)


def test_inverted_dropout_keeps_the_expectation():
    p, X = 0.3, np.array([[1.0, -2.0, 0.5]])
    drop = nm.Dropout(p, rng=_rng(31))
    mean = drop.forward(np.repeat(X, 40000, axis=0)).mean(axis=0)
    # each entry's standard error is |x| sqrt(p / (1 − p)) / sqrt(40000) ≈ 0.0033 |x|
    np.testing.assert_allclose(mean, X[0], atol=5 * 0.0033 * np.abs(X[0]).max())
    keep = (drop.forward(np.ones((200, 100))) != 0).mean()
    assert abs(keep - (1 - p)) < 0.01  # 20000 draws: standard error 0.0032


def test_dropout_in_eval_is_the_identity_forward_and_backward():
    drop = nm.Dropout(0.9, rng=_rng(32)).eval()
    X = _rng(33).standard_normal((4, 2))
    np.testing.assert_array_equal(drop.forward(X), X)
    np.testing.assert_array_equal(drop.backward(X), X)


# -- Residual -----------------------------------------------------------------------

def test_residual_backward_matches_finite_differences_and_the_engine():
    rng = _rng(34)
    inner = nm.Sequential(nm.LayerNorm(3), nm.Linear(3, 3, rng=rng), nm.Tanh())
    _randomise(inner.layers[0], rng)
    block = nm.Residual(inner)
    X = rng.standard_normal((4, 3))
    report = check(block, X, rng=rng, rtol=1e-5)
    assert report.passed, report
    assert [n for n, _, _ in block.parameters()] == ["0.gamma", "0.beta", "1.W", "1.b"]
    assert block.children() == [inner]
    # the engine: X + tanh(LN(X) W + b)
    ln, lin = inner.layers[0], inner.layers[1]
    delta = rng.standard_normal(X.shape)
    block.forward(X)
    dX = block.backward(delta)
    x = ad.Tensor(X)
    out = x + (ad.layer_norm(x, ln.gamma, ln.beta, ln.eps) @ lin.W + lin.b).tanh()
    (out * delta).sum().backward()
    np.testing.assert_allclose(dX, x.grad, rtol=1e-10, atol=1e-12)


def test_residual_jacobian_is_identity_plus_the_branch():
    rng = _rng(35)
    lin = nm.Linear(3, 3, rng=rng)
    X = rng.standard_normal((2, 3))
    J = numeric_jacobian(nm.Residual(lin).forward, X)
    J_branch = numeric_jacobian(lin.forward, X)
    np.testing.assert_allclose(J, np.eye(6).reshape(2, 3, 2, 3) + J_branch, atol=1e-8)


# -- weight decay -----------------------------------------------------------------------

def test_weight_decay_is_decay_then_step():
    rng = _rng(36)
    layer = nm.Linear(3, 2, rng=rng)
    layer.forward(rng.standard_normal((4, 3)))
    layer.backward(rng.standard_normal((4, 2)))
    W, dW, lr, lam = layer.W.copy(), layer.dW.copy(), 0.1, 0.5
    opt = nm.SGD(layer, lr=lr, weight_decay=lam)
    opt.step()
    np.testing.assert_allclose(layer.W, W - lr * (dW + lam * W), rtol=1e-14)   # gradient of L + λ/2‖W‖²
    np.testing.assert_allclose(layer.W, (1 - lr * lam) * W - lr * dW, rtol=1e-14)  # decay, then step
    assert repr(opt) == "SGD(lr=0.1, weight_decay=0.5)"


def test_zero_weight_decay_is_plain_sgd():
    rng = _rng(37)
    a, b = nm.Linear(3, 2, rng=_rng(38)), nm.Linear(3, 2, rng=_rng(38))
    X, d = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    for layer, opt in ((a, nm.SGD(a, lr=0.1)), (b, nm.SGD(b, lr=0.1, weight_decay=0.0))):
        layer.forward(X)
        layer.backward(d)
        opt.step()
    np.testing.assert_array_equal(a.W, b.W)
