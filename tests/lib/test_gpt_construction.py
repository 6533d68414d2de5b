"""GPT and Block constructors: exact messages, defaults, dtype reaching every layer, the draws."""

import numpy as np
import pytest

from nnmath.gelu import GELU
from nnmath.gpt import GPT, Block
from nnmath.layers import Linear
from nnmath.norm import LayerNorm
from nnmath.rmsnorm import RMSNorm
from nnmath.sequence import PositionalEmbedding


def _message(exc_type, make):
    with pytest.raises(exc_type) as info:
        make()
    return str(info.value)


@pytest.mark.parametrize("name, position", [("vocab_size", 0), ("context", 1), ("d_model", 2),
                                            ("n_layers", 3), ("n_heads", 4)])
def test_gpt_names_each_count_it_refuses(name, position):
    good = [13, 6, 8, 1, 2]
    bad = list(good)
    bad[position] = 0
    assert _message(ValueError, lambda: GPT(*bad)) == f"GPT: {name} must be positive, got 0"
    bad[position] = 2.5
    assert _message(TypeError, lambda: GPT(*bad)) == f"GPT: {name} must be an integer, got 2.5"


def test_gpt_messages_in_full():
    assert (_message(ValueError, lambda: GPT(13, 6, 8, 1, 3))
            == "GPT: d_model = 8 is not divisible by n_heads = 3")
    assert (_message(ValueError, lambda: GPT(13, 6, 8, 1, 2, norm="batch"))
            == "GPT: norm must be 'layer' or 'rms', got 'batch'")
    assert (_message(TypeError, lambda: GPT(13, 6, 8, 1, 2, dtype=np.int32))
            == "GPT: dtype must be a floating dtype, got int32")
    assert (_message(TypeError, lambda: GPT(13, 6, 8, 1, 2, rng=3))
            == "GPT: rng must be a numpy.random.Generator or None, got int")


def test_block_messages_in_full():
    assert _message(ValueError, lambda: Block(0, 1)) == "Block: d_model must be positive, got 0"
    assert (_message(ValueError, lambda: Block(8, 2, mlp_ratio=0))
            == "Block: mlp_ratio must be positive, got 0")
    assert (_message(ValueError, lambda: Block(8, 2, norm="batch"))
            == "Block: norm must be 'layer' or 'rms', got 'batch'")
    assert (_message(TypeError, lambda: Block(8, 2, dtype=np.int64))
            == "Block: dtype must be a floating dtype, got int64")
    assert (_message(TypeError, lambda: Block(8, 2, rng="seed"))
            == "Block: rng must be a numpy.random.Generator or None, got str")


def test_block_defaults_and_options():
    block = Block(8, 2)
    assert isinstance(block.ln1, LayerNorm) and isinstance(block.ln2, LayerNorm)
    assert block.attn.causal is True and block.attn.rope is False
    assert block.attn.n_heads == 2 and block.attn.d_model == 8
    first, act, last = block.mlp.layers
    assert isinstance(act, GELU)
    assert first.W.shape == (8, 32) and last.W.shape == (32, 8)     # mlp_ratio = 4
    rms = Block(8, 2, mlp_ratio=3, norm="rms", rope=True)
    assert isinstance(rms.ln1, RMSNorm) and isinstance(rms.ln2, RMSNorm)
    assert rms.attn.rope is True
    assert rms.mlp.layers[0].W.shape == (8, 24) and rms.mlp.layers[2].W.shape == (24, 8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_reaches_every_array_and_the_output(dtype):
    block = Block(8, 2, dtype=dtype, rng=np.random.default_rng(0))
    assert {a.dtype for _, a, _ in block.parameters()} == {np.dtype(dtype)}
    assert block.forward(np.ones((1, 3, 8), dtype=dtype)).dtype == dtype
    for tie in (True, False):
        for rope in (False, True):
            model = GPT(13, 6, 8, 2, 2, rope=rope, tie_weights=tie, dtype=dtype,
                        rng=np.random.default_rng(0))
            assert {a.dtype for _, a, _ in model.parameters()} == {np.dtype(dtype)}
            logits = model.forward(np.zeros((1, 3), dtype=int))
            assert logits.dtype == dtype                # the rotary tables follow the model
            model.backward(np.ones_like(logits))
            assert {g.dtype for _, _, g in model.parameters()} == {np.dtype(dtype)}


def test_gpt_defaults_and_stored_options():
    model = GPT(13, 6, 8, 2, 2, rng=np.random.default_rng(0))
    assert (model.vocab_size, model.context, model.d_model, model.n_layers, model.n_heads) == (
        13, 6, 8, 2, 2)
    assert model.head is None and model.tie_weights is True               # tied by default
    assert isinstance(model.pos, PositionalEmbedding) and model.rope is False
    assert isinstance(model.ln_f, LayerNorm) and model.norm == "layer"
    assert len(model.blocks) == 2
    for block in model.blocks:
        assert block.mlp.layers[0].W.shape == (8, 32) and block.attn.rope is False
        assert isinstance(block.ln1, LayerNorm)
    other = GPT(13, 6, 8, 1, 2, mlp_ratio=2, norm="rms", rope=1, tie_weights=0,
                rng=np.random.default_rng(0))
    assert other.rope is True and other.tie_weights is False and other.pos is None
    assert isinstance(other.head, Linear) and other.head.W.shape == (8, 13)
    assert isinstance(other.ln_f, RMSNorm) and isinstance(other.blocks[0].ln2, RMSNorm)
    assert other.blocks[0].attn.rope is True
    assert other.blocks[0].mlp.layers[0].W.shape == (8, 16)
    assert repr(other) == ("GPT(vocab_size=13, context=6, d_model=8, n_layers=1, n_heads=2, "
                           "norm='rms', rope=True, tie_weights=False)")


def test_the_tables_are_the_documented_draws_in_order():
    d = 8
    model = GPT(13, 6, d, 1, 2, rng=np.random.default_rng(5))
    rng = np.random.default_rng(5)
    E = rng.standard_normal((13, d))
    P = 0.1 * rng.standard_normal((6, d))
    np.testing.assert_allclose(model.tok.W, E / np.sqrt(d), rtol=1e-15, atol=0)
    np.testing.assert_allclose(model.pos.P, P, rtol=1e-15, atol=0)
    # the given generator reaches every layer: two models from one seed are equal throughout
    twin = [GPT(13, 6, d, 1, 2, tie_weights=False, rng=np.random.default_rng(5)) for _ in range(2)]
    for (name, a, _), (_, b, _) in zip(*(m.parameters() for m in twin)):
        np.testing.assert_array_equal(a, b, err_msg=name)
    blocks = [Block(d, 2, rng=np.random.default_rng(1)) for _ in range(2)]
    for (name, a, _), (_, b, _) in zip(*(m.parameters() for m in blocks)):
        np.testing.assert_array_equal(a, b, err_msg=name)
