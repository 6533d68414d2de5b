"""GPT.generate's sampling against inverse-CDF sampling written out, and its exact errors.

Independent route: for each new token, the last position's logits (from the
model's forward on the cropped window) go through a softmax written in NumPy
with the temperature, and one uniform number per row from a generator of the
same seed picks the token by ``searchsorted`` on the cumulative sum.
"""

import numpy as np
import pytest

import nnmath as nm


def _model():
    return nm.GPT(vocab_size=7, context=4, d_model=8, n_layers=1, n_heads=2,
                  rng=np.random.default_rng(0))


def _reference(model, idx, steps, temperature, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        z = model.forward(idx[:, -model.context:])[:, -1] / temperature
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        u = rng.random(idx.shape[0])
        nxt = [min(int(np.searchsorted(np.cumsum(row), ui, side="left")), 6)
               for row, ui in zip(p, u)]
        idx = np.concatenate([idx, np.array(nxt)[:, None]], axis=1)
    return idx


@pytest.mark.parametrize("temperature", [None, 0.5, 3.0])
def test_generate_samples_by_the_inverse_cdf(temperature):
    model = _model()
    idx = np.array([[1, 2, 3], [4, 5, 6]])
    kwargs = {} if temperature is None else {"temperature": temperature}
    out = model.generate(idx, 6, rng=np.random.default_rng(11), **kwargs)
    np.testing.assert_array_equal(out, _reference(model, idx, 6, temperature or 1.0, 11))
    assert out.dtype == idx.dtype
    np.testing.assert_array_equal(model.generate(idx, 0, rng=np.random.default_rng(0)), idx)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"max_new_tokens": -1}, ValueError, "GPT.generate: max_new_tokens must be >= 0, got -1"),
    ({"max_new_tokens": 1.0}, TypeError, "GPT.generate: max_new_tokens must be an integer, got 1.0"),
    ({"max_new_tokens": True}, TypeError, "GPT.generate: max_new_tokens must be an integer, got True"),
    ({"temperature": 0.0}, ValueError, "GPT.generate: temperature must be finite and > 0, got 0.0"),
    ({"rng": 3}, TypeError, "GPT.generate: rng must be a numpy.random.Generator"),
])
def test_generate_errors_name_the_method(kwargs, error, message):
    call = {"max_new_tokens": 1, "rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(error) as info:
        _model().generate(np.array([[1, 2]]), **call)
    assert str(info.value).startswith(message)


def test_generate_checks_the_tokens_in_its_own_name():
    with pytest.raises((TypeError, ValueError)) as info:
        _model().generate(np.array([[1, 9]]), 1, rng=np.random.default_rng(0))
    assert str(info.value).startswith("GPT.generate: ")


class _Beyond(np.random.Generator):
    """Draws 2.0, beyond any cumulative probability: the guard must pick the last token."""

    def random(self, size=None, dtype=np.float64, out=None):
        return np.full(size, 2.0)


def test_a_draw_beyond_the_total_probability_takes_the_last_token():
    out = _model().generate(np.array([[1, 2], [3, 4]]), 2, rng=_Beyond(np.random.PCG64(0)))
    np.testing.assert_array_equal(out[:, 2:], [[6, 6], [6, 6]])
