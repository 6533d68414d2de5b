"""``nnmath.autodiff.from_gpt`` follows the settings of the model's own layers (a norm's ``eps``,
the GELU's ``approximate``) when they differ from the defaults: its logits are compared
with those of the layer-based NumPy forward pass ``GPT.forward``."""

import numpy as np
import pytest

import nnmath as nm
from nnmath.autodiff import from_gpt
from nnmath.gelu import GELU
from nnmath.norm import LayerNorm
from nnmath.rmsnorm import RMSNorm


def _larger_eps(model, Norm):
    for block in model.blocks:
        block.ln1, block.ln2 = Norm(model.d_model, eps=0.3), Norm(model.d_model, eps=0.05)
    model.ln_f = Norm(model.d_model, eps=0.7)


def _tanh_gelu(model):
    for block in model.blocks:
        block.mlp.layers[1] = GELU("tanh")


@pytest.mark.parametrize("norm, change", [
    ("layer", lambda m: _larger_eps(m, LayerNorm)),
    ("rms", lambda m: _larger_eps(m, RMSNorm)),
    ("layer", _tanh_gelu),
], ids=["layernorm-eps", "rmsnorm-eps", "tanh-gelu"])
def test_from_gpt_uses_the_layers_settings(norm, change):
    model = nm.GPT(7, 4, 4, 2, 2, norm=norm, rng=np.random.default_rng(11))
    change(model)
    idx = np.random.default_rng(12).integers(0, 7, size=(2, 4))
    forward, _ = from_gpt(model)
    np.testing.assert_allclose(forward(idx).data, model.forward(idx), rtol=1e-9, atol=1e-12)
