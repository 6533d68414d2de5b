"""K-FAC (chapter 30): the step against a dense Kronecker computation, wrong sides rejected,
the fallback to SGD, the taps, exact resumption and every error."""

import copy
import io

import numpy as np
import pytest

import nnmath as nm
from nnmath.norm import LayerNorm
from nnmath.optim import KFAC, SGD
from nnmath.optim.kfac import (factored_damping, kfac_factors, kfac_precondition,
                               tap_linear_layers)


def _net(rng, sizes=(5, 7, 4), norm=False):
    layers = []
    for i, (d, c) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nm.Linear(d, c, rng=rng))
        if i + 2 < len(sizes):
            layers += ([LayerNorm(c)] if norm else []) + [nm.Tanh()]
    return nm.Sequential(*layers)


def _batch(rng, N=12, D=5, C=4):
    return rng.standard_normal((N, D)), rng.integers(0, C, N)


def _train(model, opt, X, y, steps):
    loss = nm.SoftmaxCrossEntropy()
    for _ in range(steps):
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        opt.step()


def _dense_step(X, y, W, b, damping, *, precondition=None):
    """The K-FAC direction of one Linear layer, the slow way: a dense Kronecker solve."""
    N, C = X.shape[0], W.shape[1]
    a = np.hstack([X, np.ones((N, 1))])                        # ã = [x, 1]
    Z = X @ W + b
    P = np.exp(Z - Z.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    g = P - np.eye(C)[y]                                       # per-sample ∇_z(−log p)
    A = np.einsum("ni,nj->ij", a, a) / N                       # mean of outer products
    G = np.einsum("ni,nj->ij", g, g) / N
    pi = np.sqrt((np.trace(A) / A.shape[0]) / (np.trace(G) / C))
    A_l = A + pi * np.sqrt(damping) * np.eye(A.shape[0])
    G_l = G + np.sqrt(damping) / pi * np.eye(C)
    grad = np.vstack([X.T @ g / N, g.mean(0)])                 # ∇W̃ of the mean loss
    if precondition is not None:
        return precondition(grad, np.linalg.inv(A_l), np.linalg.inv(G_l))
    return np.linalg.solve(np.kron(A_l, G_l), grad.reshape(-1)).reshape(grad.shape)  # vec_r


@pytest.mark.parametrize("damping", [1e-3, 0.3])
def test_step_on_one_linear_layer_equals_the_dense_kronecker_solve(damping):
    rng = np.random.default_rng(0)
    layer = nm.Linear(5, 4, rng=rng)
    layer.b[:] = rng.standard_normal(4)
    X, y = _batch(rng)
    W0, b0 = layer.W.copy(), layer.b.copy()
    _train(layer, KFAC(layer, lr=0.5, damping=damping, fisher="empirical"), X, y, 1)
    expected = np.vstack([W0, b0]) - 0.5 * _dense_step(X, y, W0, b0, damping)
    np.testing.assert_allclose(np.vstack([layer.W, layer.b]), expected, rtol=1e-10, atol=1e-12)


def test_true_fisher_step_uses_labels_sampled_from_the_softmax():
    rng = np.random.default_rng(1)
    layer = nm.Linear(5, 4, rng=rng)
    X, y = _batch(rng)
    W0, b0 = layer.W.copy(), layer.b.copy()
    opt = KFAC(layer, lr=0.5, seed=3)
    _train(layer, opt, X, y, 1)
    Z = X @ W0 + b0
    P = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
    u = np.random.default_rng([3, 0]).random(len(X))
    sampled = np.array([np.searchsorted(np.cumsum(p), v) for p, v in zip(P, u)])
    a = np.hstack([X, np.ones((len(X), 1))])
    g_true, g_train = P - np.eye(4)[sampled], (P - np.eye(4)[y]) / len(X)
    A_l, G_l = factored_damping(a.T @ a / len(X), g_true.T @ g_true / len(X), 1e-3)
    grad = np.vstack([X.T @ g_train, g_train.sum(0)])
    step = np.linalg.solve(np.kron(A_l, G_l), grad.reshape(-1)).reshape(grad.shape)
    np.testing.assert_allclose(np.vstack([layer.W, layer.b]), np.vstack([W0, b0]) - 0.5 * step,
                               rtol=1e-10, atol=1e-12)


def test_a_wrong_side_or_a_transposed_factor_is_rejected():
    rng = np.random.default_rng(2)
    X, y = _batch(rng, D=3, C=4)                               # D + 1 = C: every product fits
    W, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    dense = _dense_step(X, y, W, b, 1e-3)
    assert np.allclose(_dense_step(X, y, W, b, 1e-3, precondition=kfac_precondition), dense)
    wrong = {"sides swapped": lambda M, Ai, Gi: Gi @ M @ Ai,
             "column-major vec": lambda M, Ai, Gi: np.linalg.solve(
                 np.kron(np.linalg.inv(Gi), np.linalg.inv(Ai)), M.reshape(-1)).reshape(M.shape),
             "gradient transposed": lambda M, Ai, Gi: (Ai @ M.T @ Gi).T,
             "one factor only": lambda M, Ai, Gi: Ai @ M}
    for name, formula in wrong.items():
        assert not np.allclose(_dense_step(X, y, W, b, 1e-3, precondition=formula), dense), name


def test_other_parameters_take_the_sgd_step():
    """LayerNorm's gamma and beta take SGD's step; the Linear layers do not."""
    model = _net(np.random.default_rng(3), norm=True)
    twin = copy.deepcopy(model)
    X, y = _batch(np.random.default_rng(4))
    _train(model, KFAC(model, lr=0.1, momentum=0.9, weight_decay=0.01), X, y, 1)
    _train(twin, SGD(twin, lr=0.1, momentum=0.9, weight_decay=0.01), X, y, 1)
    assert np.array_equal(model.layers[1].gamma, twin.layers[1].gamma)
    assert np.array_equal(model.layers[1].beta, twin.layers[1].beta)
    assert not np.allclose(model.layers[0].W, twin.layers[0].W)


def test_taps_change_nothing_and_are_shared():
    rng = np.random.default_rng(5)
    model = _net(rng)
    X, _ = _batch(rng)
    before = model.forward(X)
    first, second = KFAC(model, lr=0.1), KFAC(model, lr=0.1, fisher="empirical")
    assert np.array_equal(model.forward(X), before)
    assert [t for _, _, t in first._layers] == [t for _, _, t in second._layers]
    assert tap_linear_layers(model) == [t for _, _, t in first._layers]
    clone = copy.deepcopy(model)                                 # taps follow the copy
    clone.forward(X)
    assert tap_linear_layers(clone)[0].layer is clone.layers[0]


def _roundtrip(state):
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    with np.load(buffer) as archive:
        return {k: archive[k] for k in archive.files}


@pytest.mark.parametrize("config", [
    {}, {"momentum": 0.9, "update_every": 3}, {"fisher": "empirical", "weight_decay": 0.01},
    {"momentum": 0.9, "decay": 0.5, "damping": 0.1, "seed": 7}])
def test_state_dict_resumes_bit_for_bit(config):
    rng = np.random.default_rng(6)
    X, y = _batch(rng)
    model = _net(rng, norm=True)
    opt = KFAC(model, lr=0.2, **config)
    _train(model, opt, X, y, 4)
    saved_model, saved = copy.deepcopy(model), _roundtrip(opt.state_dict())
    _train(model, opt, X, y, 4)
    resumed = KFAC(saved_model, lr=1.0)
    resumed.load_state_dict(saved)
    _train(saved_model, resumed, X, y, 4)
    for (n, p, _), (_, q, _) in zip(model.parameters(), saved_model.parameters()):
        assert np.array_equal(p, q), n
    lost = {k: v for k, v in saved.items() if not k.startswith("G_inv/0.")}
    fresh = KFAC(_net(np.random.default_rng(6), norm=True), lr=1.0)
    with pytest.raises(ValueError, match="missing key 'G_inv/0.W'"):
        fresh.load_state_dict(lost)


def test_bad_hyperparameters_and_calls_are_named():
    model = _net(np.random.default_rng(7))
    for kwargs, error, match in [
            ({"damping": 0.0}, ValueError, "damping"), ({"momentum": 1.0}, ValueError, "momentum"),
            ({"update_every": 0}, ValueError, "update_every"),
            ({"update_every": 1.5}, TypeError, "update_every"),
            ({"fisher": "exact"}, ValueError, "fisher"), ({"decay": 1.0}, ValueError, "decay"),
            ({"weight_decay": -1.0}, ValueError, "weight_decay"), ({"seed": -1}, ValueError, "seed")]:
        with pytest.raises(error, match=f"KFAC.*{match}"):
            KFAC(model, lr=0.1, **kwargs)
    opt = KFAC(model, lr=0.1, fisher="empirical")
    with pytest.raises(RuntimeError, match="KFAC.step"):
        opt.step()
    loss, (X, y) = nm.SoftmaxCrossEntropy(), _batch(np.random.default_rng(8))
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    model.forward(X[:3])                                         # a forward of another batch
    with pytest.raises(ValueError, match="KFAC.step: layer '0.W' saw 3 rows"):
        opt.step()
    with pytest.raises(ValueError, match="for SGD, not KFAC"):
        opt.load_state_dict(SGD(model, lr=0.1).state_dict())
    state = KFAC(model, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="unexpected key 'A/9.W'"):
        opt.load_state_dict({**state, "A/9.W": np.eye(2)})


def test_factors_and_damping_helpers():
    rng = np.random.default_rng(9)
    a, g = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    A, G = kfac_factors(a, g)
    np.testing.assert_allclose(A, sum(np.outer(r, r) for r in a) / 6)
    np.testing.assert_allclose(G, sum(np.outer(r, r) for r in g) / 6)
    A_l, G_l = factored_damping(A, G, 0.04)
    pi = np.sqrt(np.trace(A) / 3 / (np.trace(G) / 2))
    np.testing.assert_allclose(np.diag(A_l - A), np.full(3, 0.2 * pi))
    np.testing.assert_allclose(np.kron(A_l, G_l) - np.kron(A, G) - 0.04 * np.eye(6),
                               0.2 * pi * np.kron(np.eye(3), G) + 0.2 / pi * np.kron(A, np.eye(2)),
                               atol=1e-12)
    with pytest.raises(ValueError, match="kfac_factors"):
        kfac_factors(a, g[:5])
