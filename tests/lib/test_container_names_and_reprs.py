"""Containers (Sequential, Residual, GPT's Block) and SelfAttention: names and reprs.

Independent route: the expected strings are written out in full, and the
names of a Residual's buffers must be those of the module it wraps, unprefixed,
as its parameters are (the docstring of ``named_children``).
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.gpt import Block


def test_residual_and_sequential_reprs_indent_the_inner_module():
    model = nm.Residual(nm.Sequential(nm.Tanh(), nm.ReLU()))
    assert repr(model) == ("Residual(\n  Sequential(\n    (0): Tanh()\n    (1): ReLU()\n  )\n)")
    assert repr(nm.Sequential(nm.Tanh())) == "Sequential(\n  (0): Tanh()\n)"
    assert repr(nm.Residual(nm.Tanh())) == "Residual(\n  Tanh()\n)"


def test_block_repr_lists_its_four_parts():
    block = Block(4, 2, rng=np.random.default_rng(0))
    assert repr(block) == (
        "Block(\n"
        "  ln1=LayerNorm(4, eps=1e-05, dtype=float64),\n"
        "  attn=SelfAttention(4, n_heads=2, causal=True, dtype=float64),\n"
        "  ln2=LayerNorm(4, eps=1e-05, dtype=float64),\n"
        "  mlp=Sequential(\n"
        "    (0): Linear(4, 16, dtype=float64)\n"
        "    (1): GELU(approximate='none')\n"
        "    (2): Linear(16, 4, dtype=float64)\n"
        "  )\n"
        ")")


def test_self_attention_repr_shows_rope_and_blocks_only_when_set():
    rng = np.random.default_rng(0)
    assert repr(nm.SelfAttention(4, n_heads=2, rng=rng)) == \
        "SelfAttention(4, n_heads=2, causal=False, dtype=float64)"
    assert repr(nm.SelfAttention(4, n_heads=2, causal=True, rope=True, block_size=2, rng=rng)) == \
        "SelfAttention(4, n_heads=2, causal=True, rope=True, block_size=2, dtype=float64)"


def test_residual_names_buffers_like_parameters_without_a_prefix():
    model = nm.Residual(nm.BatchNorm(3))
    assert [name for name, _ in model.buffers()] == ["running_mean", "running_var"]
    assert [name for name, _, _ in model.parameters()] == ["gamma", "beta"]
    assert sorted(model.state_dict()) == ["beta", "gamma", "running_mean", "running_var"]
    outer = nm.Sequential(nm.Tanh(), model)
    assert [name for name, _ in outer.buffers()] == ["1.running_mean", "1.running_var"]


def test_sequential_iterates_over_its_layers():
    layers = [nm.Tanh(), nm.ReLU(), nm.Identity()]
    model = nm.Sequential(*layers)
    assert all(a is b for a, b in zip(model, layers)) and len(list(model)) == 3


def test_residual_refuses_an_instance_used_twice_inside_in_its_own_name():
    tanh = nm.Tanh()
    inner = nm.Sequential(tanh, nm.ReLU())
    inner.layers.append(tanh)   # shared after the Sequential checked its layers
    with pytest.raises(ValueError) as info:
        nm.Residual(inner)
    assert str(info.value).startswith(
        "Residual: module 0.2 (Tanh) is the same instance as module 0.0; ")


def test_residual_around_an_object_without_parameters_has_none():
    class Bare:
        def forward(self, X):
            return X

        def backward(self, dY):
            return dY

    assert nm.Residual(Bare()).parameters() == []
