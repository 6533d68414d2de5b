"""GPT's input checks word for word, named after the method called (forward or generate)."""

import numpy as np
import pytest

from nnmath.gpt import GPT


@pytest.fixture(scope="module")
def model():
    return GPT(13, 6, 8, 1, 2, rng=np.random.default_rng(0))


def _message(call):
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


def test_forward_names_itself(model):
    assert (_message(lambda: model.forward(np.zeros(3, int)))
            == "GPT.forward: idx has shape (3,), expected (N, T)")
    assert (_message(lambda: model.forward(np.zeros((1, 7), int)))
            == "GPT.forward: sequence length T = 7, expected 1 <= T <= context (crop it) = 6")
    assert (_message(lambda: model.forward(np.array([[13]])))
            == "GPT.forward: index 13 is out of range for 13 embeddings (valid: 0 to 12)")
    assert (_message(lambda: model(np.zeros((2, 2, 2), int)))
            == "GPT.forward: idx has shape (2, 2, 2), expected (N, T)")


def test_generate_names_itself_and_crops(model):
    rng = np.random.default_rng(0)
    assert (_message(lambda: model.generate(np.zeros(3, int), 1, rng=rng))
            == "GPT.generate: idx has shape (3,), expected (N, T)")
    assert (_message(lambda: model.generate(np.array([[13]]), 1, rng=rng))
            == "GPT.generate: index 13 is out of range for 13 embeddings (valid: 0 to 12)")
    out = model.generate(np.zeros((1, 9), int), 2, rng=rng)   # longer than the context
    assert out.shape == (1, 11)
