"""Every check of the book can fail: each route rejects a wrong compact formula.

For every registry entry, each of its three routes (the SymPy check at fixed
sizes, finite differences, the autodiff engine) is handed a wrong formula and
must report a failure: first a formula off by a constant factor (the commonest
slip, a missing ``1/N`` or ``½``), for every entry of the registry; then, for
the entries of chapters 3 to 11, the mistake a reader would plausibly make
(σ in place of σ', the input in place of the output, a forgotten factor). The
proofs for every size (``Y = XW``) and the backpropagation check of chapter 9
are handed wrong formulas too. The autodiff route must not restate the rule it
checks: with the engine's own rules for ``@``, ``tanh``, ``sigmoid``, ``relu``
and ``leaky_relu`` disabled, it still passes.
"""

import numpy as np
import pytest
import sympy as sp

from nnmath import activations as act
from nnmath import losses as los
from nnmath import matmul as mm
from nnmath.autodiff import Tensor
from nnmath.book import symbolic as sym
from nnmath.book.chapters import ch09_backprop_layers as ch09
from nnmath.book.chapters import ch11_minibatches as ch11
from nnmath.book.identities import REGISTRY
from nnmath.book.identities.ch06_activations import tanh_any
from nnmath.book.identities.ch08_losses import softmax_any

NAMES = list(REGISTRY)


def _fails(identity, compact):
    """The three routes' verdicts on ``compact``: True where the route rejects it."""
    proofs = identity.prove(compact)
    verdicts = {"sympy": not all(p.holds for p in proofs)}
    verdicts["finite differences"] = not identity.check_numeric(
        np.random.default_rng(1), compact=compact).passed
    auto = identity.check_autodiff(np.random.default_rng(1), compact=compact)
    if auto is not None:
        verdicts["autodiff"] = not auto.passed
    return verdicts


@pytest.mark.parametrize("name", NAMES)
def test_every_route_rejects_a_formula_off_by_a_factor(name):
    identity = REGISTRY[name]

    def off_by_half(delta, out, **inputs):
        return 1.5 * np.asarray(identity.compact(delta, out, **inputs))

    verdicts = _fails(identity, off_by_half)
    assert all(verdicts.values()), f"{name}: a route accepted 1.5 x the formula: {verdicts}"


def _tanh_prime_from_input(Z):
    return 1 - np.asarray(Z) ** 2  # the slip: 1 - z^2 instead of 1 - tanh(z)^2


def _negative_mask(Z):
    """[Z < 0] entry by entry, for numbers and for signed SymPy symbols alike."""
    return np.vectorize(lambda z: 1 if bool(z < 0) else 0, otypes=[object])(Z)


# A plausible mistake for each entry of chapters 3 to 11.
PLAUSIBLE = {
    "linear_map_grad_x": lambda delta, out, W, x: 2 * (W.T @ delta),
    "quadratic_form_grad": lambda delta, out, A, x: delta * 2 * (A @ x),   # assumes A symmetric
    "quadratic_form_grad_A": lambda delta, out, A, x: delta * np.outer(x, A @ x),
    "vector_matmul_grad_W": lambda delta, out, x, W: np.outer(x, delta) / len(x),
    "column_matvec_grad_W": lambda delta, out, W, x: np.outer(delta, x) * 0.5,
    "matmul_grad_W": lambda delta, out, X, W: mm.matmul_grad_W(delta, X) / X.shape[0],
    "matmul_grad_X": lambda delta, out, X, W: mm.matmul_grad_X(delta, W) / W.shape[1],
    "sigmoid_grad_Z": lambda delta, out, Z: delta * out,                 # sigma for sigma'
    "tanh_grad_Z": lambda delta, out, Z: delta * (1 - Z * Z),            # input for output
    "relu_grad_Z": lambda delta, out, Z: delta * _negative_mask(Z),      # mask reversed
    "leaky_relu_grad_Z": lambda delta, out, Z, slope: act.relu_grad_Z(delta, Z),  # slope lost
    "bias_grad": lambda delta, out, X, b: np.asarray(delta).sum(axis=0) / X.shape[0],  # mean
    "one_layer_delta": lambda delta, out, z, u: delta * u * _tanh_prime_from_input(z),
    "one_layer_grad_W": lambda delta, out, W, x, b, u: delta * np.outer(
        u * _tanh_prime_from_input(W @ x + b), x),
    "one_layer_grad_b": lambda delta, out, W, x, b, u: delta * u,          # f' forgotten
    "one_layer_grad_x": lambda delta, out, W, x, b, u: delta * (W.T @ u),  # f' forgotten
    "mse_grad_Y": lambda delta, out, Y, T: delta * (Y - T),                  # 1/N forgotten
    "softmax_jacobian": lambda delta, out, z: delta * out * (1 - out),     # diagonal only
    "softmax_grad_Z": lambda delta, out, Z: delta * out * (1 - out),     # diagonal only
    "softmax_cross_entropy_grad_Z": lambda delta, out, Z, T: delta * (softmax_any(Z) - T),
    "backprop_output_delta": lambda delta, out, Z, T: delta * (tanh_any(Z) - T),  # no f'
    "backprop_delta_recursion": lambda delta, out, Z, W: mm.matmul_grad_X(delta, W),  # no f'
    "backprop_layer_grad_W": lambda delta, out, X, W: mm.matmul_grad_W(delta, X),  # no f'
    "backprop_layer_grad_X": lambda delta, out, X, W: mm.matmul_grad_X(delta, W),  # no f'
    "minibatch_grad_W_outer_products":
        lambda delta, out, X, W: ch11.per_sample_weight_gradients(X, delta).mean(axis=0),
    "bias_as_weight_row_grad": lambda delta, out, X, Wb: ch11.fold_bias(
        mm.matmul_grad_W(delta, X), np.asarray(delta).mean(axis=0)),
}


def test_every_entry_of_chapters_3_to_11_has_a_plausible_mistake():
    mine = {n for n, e in REGISTRY.items()
            if e.chapter.split("/")[-1][:2] in {f"{k:02d}" for k in range(3, 12)}}
    assert mine <= set(PLAUSIBLE), f"no plausible mistake listed for {mine - set(PLAUSIBLE)}"


@pytest.mark.parametrize("name", sorted(PLAUSIBLE))
def test_every_route_rejects_a_plausible_mistake(name):
    verdicts = _fails(REGISTRY[name], PLAUSIBLE[name])
    assert all(verdicts.values()), f"{name}: a route accepted the mistake: {verdicts}"


@pytest.mark.parametrize("name", ["matmul_grad_W", "matmul_grad_X"])
def test_proof_for_all_sizes_rejects_a_wrong_formula(name):
    identity = REGISTRY[name]
    assert identity.prove_all_sizes().holds
    if name == "matmul_grad_W":   # (delta^T X)^T is right; X^T delta twice is not
        wrong = lambda delta, out, X, W: 2 * (X.T * delta)  # noqa: E731
    else:
        wrong = lambda delta, out, X, W: delta * W.T + delta * W.T  # noqa: E731
    assert not identity.prove_all_sizes(wrong).holds


def test_prove_matmul_collapse_at_fixed_sizes_and_prove_vjp_reject_a_transpose_slip():
    inputs = {"X": sym.symbol_array("X", (2, 2)), "W": sym.symbol_array("W", (2, 2))}
    right = sym.prove_vjp(mm.matmul_forward, inputs, "W",
                          lambda delta, out, X, W: mm.matmul_grad_W(delta, X))
    wrong = sym.prove_vjp(mm.matmul_forward, inputs, "W",
                          lambda delta, out, X, W: X @ delta)   # forgot the transpose
    assert right.holds and not wrong.holds
    shape = sym.prove_vjp(mm.matmul_forward, {"X": sym.symbol_array("X", (1, 2)),
                                               "W": sym.symbol_array("W", (2, 3))}, "W",
                          lambda delta, out, X, W: delta)
    assert not shape.holds and "shape" in shape.details["reason"]
    assert all(p.holds for p in sym.prove_matmul_collapse(2, 3, 2).values())


def test_backprop_check_rejects_a_recursion_without_the_derivative():
    assert ch09.prove_backprop(widths=(1, 2, 1), N=1).holds

    def forgets_fprime(inputs, weights, fprimes, Y, T):
        ones = [np.ones_like(f) for f in fprimes]
        return ch09.backprop_weight_gradients(inputs, weights, ones, Y, T)

    def wrong_order(inputs, weights, fprimes, Y, T):   # uses W_l instead of W_{l+1}
        grads = ch09.backprop_weight_gradients(inputs, weights, fprimes, Y, T)
        return grads[::-1] if len({g.shape for g in grads}) == 1 else [2 * g for g in grads]

    assert not ch09.prove_backprop(widths=(1, 2, 1), N=1, gradients=forgets_fprime).holds
    assert not ch09.prove_backprop(widths=(2, 2, 2), N=1, gradients=wrong_order).holds


def test_is_zero_confirms_only_through_simplification():
    """An expression that vanishes at the random sample point is still not zero."""
    x = sp.Symbol("x", real=True)
    point = sym._sample_point({x}, np.random.default_rng(0))[x]  # the point is_zero samples
    vanishing_there = (x - point) * sp.exp(x)
    assert vanishing_there.subs(x, point) == 0
    assert not sym.is_zero([vanishing_there], seed=0)
    assert sym.is_zero([sp.sinh(x) ** 2 - sp.cosh(x) ** 2 + 1])
    assert not sym.is_zero([sp.Integer(0), x ** 2 - x * x + 1e-3])


_PRIMITIVES = ("__matmul__", "__rmatmul__", "tanh", "sigmoid", "relu", "leaky_relu")


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].tensor_forward is not None
                                  and REGISTRY[n].chapter.split("/")[-1][:2]
                                  in {f"{k:02d}" for k in range(3, 12)}])
def test_autodiff_route_never_calls_the_rule_it_checks(monkeypatch, name):
    def disabled(self, *args, **kwargs):
        raise AssertionError("the autodiff route called a primitive rule it should avoid")

    for primitive in _PRIMITIVES:
        monkeypatch.setattr(Tensor, primitive, disabled)
    check = REGISTRY[name].check_autodiff(np.random.default_rng(0))
    assert check.passed, f"{name}: relative error {check.rel_error:.1e}"


def test_custom_proof_must_accept_the_formula_under_test():
    relu = REGISTRY["relu_grad_Z"]
    results = relu.prove(lambda delta, out, Z: act.relu_grad_Z(delta, Z))
    assert len(results) == 16 and all(r.holds for r in results)
    ce = REGISTRY["softmax_cross_entropy_grad_Z"]
    assert not all(r.holds for r in ce.prove(
        lambda delta, out, Z, T: delta * los.cross_entropy_grad_from_probs(softmax_any(Z), T)
        * 2))


# -- proofs for every size ---------------------------------------------------------------
from nnmath.book.identities.ch06_activations import tanh_any as _tanh6  # noqa: E402
from nnmath.book.identities.ch20_layer_norm import standardize_any  # noqa: E402

ALL_SIZES = [n for n in NAMES if REGISTRY[n].all_sizes_proof is not None]


def _own(identity):
    return identity.all_sizes_twin or identity.compact


def _dropped_mean_term(axis):
    def wrong(delta, out, X, gamma, beta, eps):    # forgets the x-hat term of the Jacobian
        _, inv_std = standardize_any(X, axis, eps)
        G = delta * gamma
        return inv_std * (G - G.mean(axis=axis, keepdims=True))
    return wrong


def _unscaled(name):
    def wrong(delta, out, Q, K, V):                 # the 1/sqrt(d) forgotten
        return REGISTRY[name].compact(delta, out, Q, K, V) * sp.sqrt(Q.shape[-1])
    return wrong


# A plausible mistake for every entry with a proof for every size (on symbolic inputs).
PLAUSIBLE_ALL_SIZES = {
    "linear_map_grad_x": lambda delta, out, W, x: -(W.T @ delta),           # sign slip
    "quadratic_form_grad": lambda delta, out, A, x: delta * 2 * (A @ x),    # assumes A = A^T
    "quadratic_form_grad_A": lambda delta, out, A, x: delta * np.multiply.outer(x, A @ x),
    "vector_matmul_grad_W": lambda delta, out, x, W: np.multiply.outer(x, delta) / x.shape[0],
    "column_matvec_grad_W": lambda delta, out, W, x: -np.multiply.outer(delta, x),
    "matmul_grad_W": lambda delta, out, X, W: (X.T @ delta) / X.shape[0],
    "matmul_grad_X": lambda delta, out, X, W: (delta @ W.T) / W.shape[1],
    "sigmoid_grad_Z": lambda delta, out, Z: delta * out,                  # sigma for sigma'
    "tanh_grad_Z": lambda delta, out, Z: delta * (1 - Z * Z),             # input for output
    "relu_grad_Z": lambda delta, out, Z: np.where(Z < 0, delta, 0),       # mask reversed
    "leaky_relu_grad_Z": lambda delta, out, Z, slope: np.where(Z > 0, delta, 0),  # no slope
    "bias_grad": lambda delta, out, X, b: np.sum(delta, axis=0) / X.shape[0],        # mean
    "one_layer_delta": lambda delta, out, z, u: delta * u,                  # f' forgotten
    "one_layer_grad_W": lambda delta, out, W, x, b, u: delta * np.multiply.outer(u, x),
    "one_layer_grad_b": lambda delta, out, W, x, b, u: delta * u,
    "one_layer_grad_x": lambda delta, out, W, x, b, u: delta * (W.T @ u),
    "mse_grad_Y": lambda delta, out, Y, T: delta * (Y - T),                   # 1/N forgotten
    "softmax_jacobian": lambda delta, out, z: delta * out * (1 - out),      # diagonal only
    "softmax_grad_Z": lambda delta, out, Z: delta * out * (1 - out),      # diagonal only
    "softmax_cross_entropy_grad_Z": lambda delta, out, Z, T: delta * (softmax_any(Z) - T),
    "backprop_output_delta": lambda delta, out, Z, T: delta * (_tanh6(Z) - T),   # no f'
    "backprop_delta_recursion": lambda delta, out, Z, W: mm.matmul_grad_X(delta, W),
    "backprop_layer_grad_W": lambda delta, out, X, W: mm.matmul_grad_W(delta, X),
    "backprop_layer_grad_X": lambda delta, out, X, W: mm.matmul_grad_X(delta, W),
    "minibatch_grad_W_outer_products":
        lambda delta, out, X, W: np.einsum("nd,nc->ndc", X, delta).mean(axis=0),
    "inverse_grad": lambda delta, out, X: -(out @ delta @ out),             # transposes lost
    "trace_quadratic_grad_W": lambda delta, out, A, W: delta * 2 * (A @ W),  # A = A^T assumed
    "trace_quadratic_grad_A": lambda delta, out, A, W: delta * (W @ W.T) / 2,
    "softmax_cross_entropy_hvp": lambda delta, out, Z, V, T: delta * act.softmax_grad_Z(
        V, softmax_any(Z)),                                                 # 1/N forgotten
    "layer_norm_grad_X": _dropped_mean_term(-1),
    "layer_norm_grad_gamma": lambda delta, out, X, gamma, beta, eps: np.sum(delta, axis=0),
    "layer_norm_grad_beta": lambda delta, out, X, gamma, beta, eps: np.mean(delta, axis=0),
    "batch_norm_grad_X": _dropped_mean_term(0),
    "batch_norm_grad_gamma": lambda delta, out, X, gamma, beta, eps: np.sum(delta * X, axis=0),
    "batch_norm_eval_grad_X":
        lambda delta, out, X, gamma, beta, mean, var, eps: delta * gamma / np.sqrt(var),
    "residual_grad_X": lambda delta, out, X, W: mm.matmul_grad_X(
        act.tanh_grad_Z(delta, _tanh6(X @ W)), W),                       # identity lost
    "weight_decay_grad": lambda delta, out, W, lam: delta * W,              # lambda lost
    "dropout_grad_X": lambda delta, out, X, mask, p: delta * mask,        # 1/(1-p) lost
    **{f"{p}attention_grad_V": (lambda p: lambda delta, out, Q, K, V: REGISTRY[
        f"{p}attention_grad_V"].compact(delta, out, Q, K, V) * 2)(p) for p in ("", "causal_")},
    **{f"{p}attention_grad_{w}": _unscaled(f"{p}attention_grad_{w}")
       for p in ("", "causal_") for w in "QK"},
}


from nnmath.book import allsizes as ia  # noqa: E402
from nnmath.book.identities import all_sizes as al  # noqa: E402


def _row_jacobian_without_xhat_term(delta, out, x, eps):   # forgets -xhat xhat^T / D
    _, inv_std = standardize_any(x, -1, eps)
    return delta @ ((ia.eye(x.shape[0]) - 1 / x.shape[0]) * inv_std[0])


def _kernel_not_flipped(s, p):          # dx by a correlation with w instead of a convolution
    def wrong(delta, out, x, w):
        k = w.shape[0]
        flipped = ia.IndexArray(w.shape, lambda t: w.at((k - 1 - t[0],)))
        return al.correlate1d_grad_x_twin(s, p)(delta, out, x, flipped)
    return wrong


def _kernel_index_reversed(s, p):       # dw_t read at tap k - 1 - t
    def wrong(delta, out, x, w):
        right = al.correlate1d_grad_w_twin(s, p)(delta, out, x, w)
        return ia.IndexArray(w.shape, lambda t: right.at((w.shape[0] - 1 - t[0],)))
    return wrong


def _flip_kernel(K):
    kh, kw = K.shape[2:]
    return ia.IndexArray(K.shape, lambda q: K.at((q[0], q[1], kh - 1 - q[2], kw - 1 - q[3])))


PLAUSIBLE_ALL_SIZES.update({
    "conv2d_grad_W": lambda delta, out, X, K: _flip_kernel(    # taps read back to front
        al.conv2d_grad_W_twin(delta, out, X, K)),
    "conv2d_grad_X": lambda delta, out, X, K: al.conv2d_grad_X_twin(   # kernel not flipped
        delta, out, X, _flip_kernel(K)),
    "conv2d_grad_b": lambda delta, out, X, K, b: delta.mean(axis=(0, 2, 3)),  # a mean
    "bias_as_weight_row_grad": lambda delta, out, X, Wb: ia.concatenate(   # bias row as a mean
        [X.T @ delta, np.mean(delta, axis=0)[None, :]], axis=0),
    "layer_norm_row_jacobian": _row_jacobian_without_xhat_term,
    "embedding_grad_W": lambda delta, out, W, idx: np.einsum(               # a mean, not a sum
        "ntv,ntd->vd", ia.one_hot(idx, W.shape[0]), delta) / (idx.shape[0] * idx.shape[1]),
    "positional_grad_P": lambda delta, out, X, P: ia.concatenate(          # mean over the batch
        [delta.mean(axis=0), ia.zeros((P.shape[0] - X.shape[1], X.shape[2]))], axis=0),
    "sequence_cross_entropy_grad_Z": lambda delta, out, Z, T: delta * (softmax_any(Z) - T)
        / Z.shape[0],                                                       # 1/T forgotten
    "kron_vec_column": lambda delta, out, A, X, B: np.einsum(              # mean over vec X
        "qnpm,pq->mn", np.multiply.outer(B.T, A), delta) / (X.shape[0] * X.shape[1]),
    "kron_vec_row": lambda delta, out, A, X, B: np.einsum(
        "pmqn,pq->mn", np.multiply.outer(A, B.T), delta) / (X.shape[0] * X.shape[1]),
    "conv1d_grad_w": _kernel_index_reversed(1, 0),
    "conv1d_grad_x": _kernel_not_flipped(1, 0),
    "conv1d_strided_grad_w": _kernel_index_reversed(2, 1),
    "conv1d_strided_grad_x": _kernel_not_flipped(2, 1),
    "least_squares_hvp": lambda delta, out, w, V, X, y: delta * (X.T * (X * V)),  # 1/N dropped
})


from nnmath.book.identities import ch32_gpt_pieces as _g32  # noqa: E402
from nnmath.rmsnorm import rms_normalize as _rms_normalize  # noqa: E402


def _rms_without_projection(delta, out, X, gamma, eps):   # forgets -xhat mean(g xhat): g / r only
    return delta * gamma * _rms_normalize(X, eps)[1]


def _rope_forward_again(delta, out, X, theta):            # rotates delta by +theta, not back
    return _g32.rope_twin(delta, *_g32._cos_sin_twin(theta))


PLAUSIBLE_ALL_SIZES.update({
    # each GELU's derivative swapped for the other's (the tanh curve for the exact one)
    "gelu_grad_Z": lambda delta, out, X: _g32.ch32.gelu_vjp_any(delta, X, "tanh"),
    "gelu_tanh_grad_Z": lambda delta, out, X: _g32.ch32.gelu_vjp_any(delta, X, "none"),
    "rms_norm_grad_X": _rms_without_projection,
    "rms_norm_grad_gamma": lambda delta, out, X, gamma, eps: np.sum(delta * X, axis=0),  # x, not x̂
    "rope_grad_X": _rope_forward_again,
})


from nnmath.book.identities import ch33_flash_attention as _f33  # noqa: E402
from nnmath.book.identities import ch34_gpt_writes as _g34  # noqa: E402


def _scores_grad_without_D(delta, out, S, V):   # the row term D = rowsum(dO o O) dropped
    return _f33.scores_grad_from_lse_twin(delta, 0 * out, S, V)


def _tied_head_only(delta, out, E, idx, X):     # the lookup's use of E forgotten
    return _g34.tied_grad_E_twin(delta, out, E, idx, X) - np.einsum(
        "ntv,ntd->vd", ia.one_hot(idx, E.shape[0]), delta[..., :E.shape[1]])


PLAUSIBLE_ALL_SIZES.update({
    "attention_grad_scores_from_lse": _scores_grad_without_D,
    "tied_embedding_grad_E": _tied_head_only,
})


from nnmath.book.identities import ch30_kfac as k30  # noqa: E402


def _empirical_fisher_vp(delta, out, Z, T):     # the empirical Fisher: the label for y ~ p
    S = softmax_any(Z) - T                      # row n: (p_n - t_n)(p_n - t_n)^T delta_n
    return S * np.sum(S * delta, axis=-1, keepdims=True)


PLAUSIBLE_ALL_SIZES.update({
    "softmax_ce_fisher_is_hessian": _empirical_fisher_vp,
    "kfac_one_sample_kronecker": lambda delta, out, V, a, g:    # the diagonal Fisher
        delta * np.multiply.outer(a * a, g * g) * V,
    "kfac_factored_inverse_step": lambda delta, out, M, A, G:   # G not inverted
        k30.kfac_precondition(delta, k30.inverse_twin(A), G),
})

from nnmath.book.identities import all_sizes_pool as pool  # noqa: E402

from nnmath.book.identities import all_sizes_heads as heads  # noqa: E402


def _weights_not_transposed(dC, Q, K, V, A):      # dV = A delta instead of A^T delta
    dQ, dK, _ = heads.att.attention_grads(dC, Q, K, V, A)
    return dQ, dK, A @ dC


PLAUSIBLE_ALL_SIZES.update({
    "self_attention_grad_Wo": lambda delta, out, X, Wq, Wk, Wv, Wo: heads.np.einsum(  # (C^T d)^T
        "ntd,nte->ed", heads._heads_forward(X, Wq, Wk, Wv)[-1], delta),
    "self_attention_grad_Wv": heads.self_attention_twin("Wv", _weights_not_transposed),
})

PLAUSIBLE_ALL_SIZES.update({     # average pooling's gradient: delta spread over the window
    "maxpool2d_grad_X": pool.average_grad_twin((2, 2), (2, 2)),
    "maxpool2d_overlapping_grad_X": pool.average_grad_twin((2, 2), (1, 1)),
})


def test_every_proof_for_all_sizes_has_a_plausible_mistake():
    assert set(ALL_SIZES) <= set(PLAUSIBLE_ALL_SIZES), set(ALL_SIZES) - set(PLAUSIBLE_ALL_SIZES)


@pytest.mark.parametrize("name", ALL_SIZES)
def test_proof_for_every_size_rejects_a_formula_off_by_a_factor(name):
    identity = REGISTRY[name]
    own = _own(identity)
    result = identity.prove_all_sizes(lambda delta, out, *a, **k: 1.5 * own(delta, out, *a, **k))
    assert not result.holds, f"{name}: the proof for every size accepted 1.5 x the formula"
    assert "reason" not in result.details, result.details.get("reason")  # decided, not crashed


@pytest.mark.parametrize("name", ALL_SIZES)
def test_proof_for_every_size_rejects_a_plausible_mistake(name):
    result = REGISTRY[name].prove_all_sizes(PLAUSIBLE_ALL_SIZES[name])
    assert not result.holds, f"{name}: the proof for every size accepted the mistake"
    assert "cannot run" not in result.details.get("reason", ""), result.details["reason"]
