"""The GPT: its hand backward pass equals the engine's on every parameter; generation; errors."""

import itertools

import numpy as np
import pytest

import nnmath.gelu
import nnmath.rmsnorm
from nnmath import SoftmaxCrossEntropy
from nnmath.autodiff.gpt import from_gpt
from nnmath.data import CharTokenizer, load_book_text, text_windows
from nnmath.gpt import GPT, Block
from nnmath.norm import standardize_grad_X

CONFIGS = list(itertools.product([True, False], ["layer", "rms"], [False, True]))


def _model(tie=True, norm="layer", rope=False, seed=0, **kw):
    rng = np.random.default_rng(seed)
    model = GPT(13, 6, 8, 2, 2, norm=norm, rope=rope, tie_weights=tie, rng=rng, **kw)
    for name, value, _ in model.parameters():   # move γ, β and biases off 1 and 0
        if name.endswith(("gamma", "beta", ".b")):
            value += 0.2 * rng.standard_normal(value.shape)
    return model


def _hand_and_engine(model, seed=1):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 13, (3, 5))
    Z = model.forward(idx)
    dZ = rng.standard_normal(Z.shape)
    model.backward(dZ)
    forward, params = from_gpt(model)
    Zt = forward(idx)
    Zt.backward(dZ)
    return Z, Zt.data, params


def _worst(model, params):
    return max(np.max(np.abs(g - params[name].grad)) / np.max(np.abs(params[name].grad))
               for name, _, g in model.parameters())


@pytest.mark.parametrize("tie, norm, rope", CONFIGS)
def test_hand_backward_equals_the_engine_on_every_parameter(tie, norm, rope):
    model = _model(tie, norm, rope)
    Z, Zt, params = _hand_and_engine(model)
    assert np.max(np.abs(Z - Zt)) < 1e-12
    assert [n for n, _, _ in model.parameters()] == list(params)
    assert _worst(model, params) < 1e-10


def test_parameters_list_each_array_once_with_dotted_names():
    tied, untied = _model(True), _model(False, rope=True)
    names = [n for n, _, _ in tied.parameters()]
    assert names[:3] == ["tok.W", "pos.P", "blocks.0.ln1.gamma"]
    assert "blocks.1.mlp.2.W" in names and "head.W" not in names and tied.head is None
    assert len({id(a) for _, a, _ in tied.parameters()}) == len(names)
    untied_names = [n for n, _, _ in untied.parameters()]
    assert "pos.P" not in untied_names and untied.pos is None
    assert untied_names[-2:] == ["head.W", "head.b"]
    assert isinstance(tied.blocks[0], Block) and tied.blocks[0].attn.causal


def test_tied_gradient_sums_both_uses_of_the_table():
    model = _model(True)
    _, _, params = _hand_and_engine(model)
    dZ = np.random.default_rng(1)                                    # as in _hand_and_engine
    dZ.integers(0, 13, (3, 5))
    dZ = dZ.standard_normal((3, 5, 13))
    head_use = dZ.reshape(-1, 13).T @ model._x.reshape(-1, 8)        # Z = x Eᵀ: δᵀ x
    engine = params["tok.W"].grad
    assert np.max(np.abs(model.tok.dW - engine)) < 1e-10 * np.max(np.abs(engine))
    # either use alone is not the gradient: the check sees a missing term
    assert np.max(np.abs((model.tok.dW - head_use) - engine)) > 1e-2
    assert np.max(np.abs(head_use - engine)) > 1e-2


def _gelu_backward_missing_x_phi(dY, X, approximate="none"):
    return dY * nnmath.gelu.normal_cdf(X)


def _rms_backward_with_layernorm_mean(G, Xhat, inv_rms):
    return standardize_grad_X(G, Xhat, inv_rms, -1)


@pytest.mark.parametrize("module, name, wrong, norm", [
    (nnmath.gelu, "gelu_grad_Z", _gelu_backward_missing_x_phi, "layer"),
    (nnmath.rmsnorm, "rms_normalize_grad_X", _rms_backward_with_layernorm_mean, "rms"),
])
def test_the_engine_rejects_a_wrong_formula_inside_the_model(monkeypatch, module, name, wrong,
                                                             norm):
    monkeypatch.setattr(module, name, wrong)
    model = _model(True, norm)
    _, _, params = _hand_and_engine(model)
    assert _worst(model, params) > 1e-3


def test_block_attention_inside_the_model_gives_the_same_gradients():
    a, b = _model(True, "rms", True), _model(True, "rms", True)
    for block in b.blocks:
        block.attn.block_size = 2
    idx = np.random.default_rng(4).integers(0, 13, (2, 6))
    dZ = np.random.default_rng(5).standard_normal((2, 6, 13))
    assert np.max(np.abs(a.forward(idx) - b.forward(idx))) < 1e-12
    a.backward(dZ)
    b.backward(dZ)
    for (name, _, ga), (_, _, gb) in zip(a.parameters(), b.parameters()):
        assert np.max(np.abs(ga - gb)) < 1e-12, name


def test_generate_crops_long_contexts_and_is_reproducible():
    model = _model(True)
    idx = np.random.default_rng(0).integers(0, 13, (2, 20))      # longer than context = 6
    out = model.generate(idx, 7, rng=np.random.default_rng(1))
    assert out.shape == (2, 27) and np.array_equal(out[:, :20], idx)
    assert out.min() >= 0 and out.max() < 13
    again = model.generate(idx, 7, rng=np.random.default_rng(1))
    assert np.array_equal(out, again)
    cold = model.generate(idx[:, :3], 5, temperature=1e-3, rng=np.random.default_rng(2))
    greedy = idx[:, :3]
    for _ in range(5):                          # temperature → 0 is the arg max
        nxt = model.forward(greedy[:, -6:])[:, -1].argmax(axis=1)
        greedy = np.concatenate([greedy, nxt[:, None]], axis=1)
    assert np.array_equal(cold, greedy)
    assert model.generate(idx, 0, rng=np.random.default_rng(1)).shape == (2, 20)


def test_train_and_eval_reach_every_layer():
    model = _model(True)
    assert model.eval() is model and not model.blocks[1].mlp[1].training
    assert model.train() is model and model.blocks[1].attn.training


def test_a_few_steps_of_training_on_the_book_text_lower_the_loss():
    text = load_book_text()[:20000]
    tok = CharTokenizer(text)
    ids = tok.encode(text)
    model = GPT(tok.vocab_size, 16, 16, 1, 2, rng=np.random.default_rng(0))
    loss = SoftmaxCrossEntropy()
    rng = np.random.default_rng(1)
    X0, Y0 = text_windows(ids, 16, 32, np.random.default_rng(9))
    before = loss.forward(model.forward(X0), Y0)
    for _ in range(40):
        X, Y = text_windows(ids, 16, 16, rng)
        loss.forward(model.forward(X), Y)
        model.backward(loss.backward())
        for _, value, grad in model.parameters():
            value -= 0.5 * grad
    assert loss.forward(model.forward(X0), Y0) < before - 0.5


def test_errors_by_key_phrase():
    model = _model(True)
    with pytest.raises(ValueError, match="index 13 is out of range for 13 embeddings"):
        model.forward(np.array([[1, 13]]))
    with pytest.raises(ValueError, match=r"sequence length T = 7, expected 1 <= T <= context \(crop it\) = 6"):
        model.forward(np.zeros((1, 7), dtype=int))
    with pytest.raises(TypeError, match="indices must be integers"):
        model.forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"idx has shape \(3,\), expected \(N, T\)"):
        model.forward(np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="backward called before forward"):
        _model(True).backward(np.zeros((1, 2, 13)))
    model.forward(np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match=r"dY has shape \(2, 3, 12\), expected \(2, 3, 13\)"):
        model.backward(np.zeros((2, 3, 12)))
    with pytest.raises(ValueError, match="temperature must be finite and > 0"):
        model.generate(np.zeros((1, 2), dtype=int), 3, temperature=0.0, rng=np.random.default_rng())
    with pytest.raises(ValueError, match="max_new_tokens must be >= 0, got -1"):
        model.generate(np.zeros((1, 2), dtype=int), -1, rng=np.random.default_rng())
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        model.generate(np.zeros((1, 2), dtype=int), 1, rng=0)
    with pytest.raises(ValueError, match="norm must be 'layer' or 'rms', got 'batch'"):
        GPT(13, 6, 8, 1, 2, norm="batch")
    with pytest.raises(ValueError, match="d_model = 8 is not divisible by n_heads = 3"):
        GPT(13, 6, 8, 1, 3)
    with pytest.raises(ValueError, match="mlp_ratio must be positive"):
        GPT(13, 6, 8, 1, 2, mlp_ratio=0)
    with pytest.raises(ValueError, match="rope needs an even head width"):
        GPT(13, 6, 6, 1, 2, rope=True)
