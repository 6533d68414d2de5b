"""nnmath.init: weight variances against their formulas, and signal propagation in deep stacks."""

import functools

import numpy as np
import pytest

import nnmath as nm
from nnmath import init
from nnmath.gradcheck import numeric_gradient
from nnmath.book.chapters import ch16_vanishing_exploding as ch16

N_IN, N_OUT = 300, 200  # 60 000 draws: the sample variance is within ~0.6 % (1 sd)


@pytest.mark.parametrize("scheme, variance", [
    (functools.partial(init.naive_normal, std=1.0), 1.0),
    (functools.partial(init.naive_normal, std=0.1), 0.01),
    (init.xavier_normal, 2.0 / (N_IN + N_OUT)),
    (init.he_normal, 2.0 / N_IN),
])
def test_drawn_weights_have_the_formula_variance(scheme, variance):
    W = scheme(N_IN, N_OUT, np.random.default_rng(0))
    assert W.shape == (N_IN, N_OUT)
    assert abs(W.mean()) < 5 * np.sqrt(variance / W.size)
    assert W.var() == pytest.approx(variance, rel=0.03)


def test_preactivation_variance_matches_a_sample():
    # Var(z) = n Var(w) E[x^2], here with a non-zero-mean input (a ReLU's output)
    rng = np.random.default_rng(1)
    n = 50
    X = np.maximum(rng.standard_normal((4000, n)) + 0.5, 0)
    W = init.he_normal(n, 400, rng)
    Z = X @ W
    predicted = ch16.preactivation_variance(n, 2.0 / n, np.mean(X ** 2))
    assert Z.var() == pytest.approx(predicted, rel=0.05)


def _growth_per_layer(p):
    """Geometric mean factor by which E[h^2] changes per layer."""
    return (p.activation_second_moment[-1] / p.input_second_moment) ** (1 / len(p.grad_W_norm))


@pytest.mark.parametrize("seed", range(3))
def test_he_keeps_relu_signals_while_naive_explodes_or_vanishes(seed):
    # Band: a factor within [0.8, 1.25] per layer; a single width-64 net fluctuates
    # (chapter 16), so the band is per layer, and naive init misses it by far.
    def growth(scheme):
        return _growth_per_layer(ch16.propagate("relu", scheme, depth=20, width=64,
                                                rng=np.random.default_rng(seed)))

    assert 0.8 < growth("he") < 1.25
    assert growth("naive") > 20  # n Var(w) / 2 = 32 per layer
    assert growth(functools.partial(init.naive_normal, std=0.05)) < 0.1  # 0.08 per layer


def test_he_relu_ensemble_mean_after_20_layers_within_factor_2():
    # E_W[E h_20^2] = E[x^2] exactly; averaging 12 nets of width 128 tames the spread
    # (over 40 such ensembles the mean ranged over [0.57, 1.53])
    values = [ch16.propagate("relu", "he", depth=20, width=128, batch=32,
                             rng=np.random.default_rng(s)) for s in range(12)]
    ratio = np.mean([p.activation_second_moment[-1] / p.input_second_moment for p in values])
    assert 0.5 < ratio < 2.0


@pytest.mark.parametrize("seed", range(3))
def test_xavier_tanh_neither_explodes_nor_collapses(seed):
    def run(scheme):
        return ch16.propagate("tanh", scheme, depth=20, width=64,
                              rng=np.random.default_rng(seed))

    p = run("xavier")
    # tanh shrinks the signal slowly (E h_l^2 ~ 1/(2l)); it does not vanish geometrically
    assert 5e-3 < p.activation_second_moment[-1] < 0.5
    assert 0.5 < p.grad_W_norm[0] / p.grad_W_norm[-1] < 2.0
    small = run(functools.partial(init.naive_normal, std=0.05))
    assert small.activation_second_moment[-1] < 1e-12
    # the backward signal δ W^T shrinks by about 0.05·√64 = 0.4 per layer ...
    assert small.grad_input_norm[0] / small.grad_input_norm[-1] < 1e-6
    # ... and although H^T δ stays level (H grows downwards), every weight gradient is tiny
    assert small.grad_W_norm.max() < 1e-4 * p.grad_W_norm.min()
    big = run("naive")  # saturated and chaotic: gradients explode towards the input
    assert big.grad_W_norm[0] / big.grad_W_norm[-1] > 1e3


def test_propagate_backward_matches_finite_differences():
    # grad_W_norm[0] is ‖∂L/∂W_1‖ for L = <G, H_depth>; check it against central differences
    rng = np.random.default_rng(7)
    X, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    Ws = [init.xavier_normal(4, 4, np.random.default_rng(100 + k)) for k in range(3)]
    draws = iter(Ws)
    p = ch16.propagate("tanh", lambda n, m, rng: next(draws), depth=3, width=4, batch=3,
                       rng=rng, X=X, upstream=G)

    def loss(W1):
        H = np.tanh(X @ W1)
        for W in Ws[1:]:
            H = np.tanh(H @ W)
        return float(np.sum(G * H))

    expected = np.linalg.norm(numeric_gradient(loss, Ws[0]))
    assert p.grad_W_norm[0] == pytest.approx(expected, rel=1e-7)
    assert p.init == "<lambda>" and p.activation == "tanh"


def test_bad_arguments_raise():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        ch16.propagate("swish", "he", rng=rng)
    with pytest.raises(ValueError, match="unknown init"):
        ch16.propagate("relu", "orthogonal", rng=rng)
    with pytest.raises(ValueError, match="depth"):
        ch16.propagate("relu", "he", depth=0, rng=rng)
    with pytest.raises(ValueError, match="X has shape"):
        ch16.propagate("relu", "he", width=4, batch=2, X=np.ones((3, 4)), rng=rng)
    with pytest.raises(ValueError, match="in_features"):
        init.he_normal(0, 3, rng)
    with pytest.raises(TypeError, match="Generator"):
        init.xavier_normal(2, 3, 0)
    with pytest.raises(ValueError, match="std"):
        init.naive_normal(2, 3, rng, std=-1.0)


def test_activation_factories_are_nnmath_modules():
    assert ch16.ACTIVATIONS["relu"] is nm.ReLU and init.INITIALISERS["he"] is init.he_normal
