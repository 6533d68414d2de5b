"""Every module's backward against central differences: one table, run by gradcheck.check.

Each row builds a module (or a loss) and its input; :func:`nnmath.gradcheck.check`
compares the module's backward (the input gradient and every parameter's) with
central differences of ``⟨δ, forward(X)⟩`` for a random ``δ``, entry by entry.
Adding a module means adding a row. Inputs avoid the kinks (ReLU at 0, ties in a
max-pooling window), where a difference quotient straddles two slopes. Dropout in
training mode draws a new mask on every forward pass, so its row is in evaluation
mode; its training-mode Jacobian is tested in test_norm.py.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.gradcheck import check
from nnmath.gpt import GPT, Block


def _rng(seed=0):
    return np.random.default_rng(seed)


def _normal(*shape, seed=0):
    return _rng(seed).standard_normal(shape)


def _away_from_zero(*shape, seed=0):
    X = _normal(*shape, seed=seed)
    return np.where(np.abs(X) < 0.1, 0.5, X)


def _distinct(*shape, seed=0):
    """Distinct values at least 0.1 apart: no ties in a max-pooling window."""
    return _rng(seed).permutation(np.arange(np.prod(shape)))[..., None].reshape(shape) * 0.1


def _trained_then_eval(bn, X):
    bn.forward(X)          # running statistics away from their initial 0 and 1
    return bn.eval()


def _rnn(rng):
    rnn = nm.RNN(3, 4, rng=rng)
    rnn.b[...] = rng.standard_normal(4)  # a bias that is not zero
    return rnn


# name: (module factory, input)
MODULES = {
    "Linear": (lambda: nm.Linear(3, 2, rng=_rng(1)), _normal(4, 3)),
    "Linear on (N, T, D)": (lambda: nm.Linear(3, 2, rng=_rng(1)), _normal(2, 3, 3)),
    "Sigmoid": (nm.Sigmoid, _normal(3, 4)),
    "Tanh": (nm.Tanh, _normal(3, 4)),
    "ReLU": (nm.ReLU, _away_from_zero(3, 4)),
    "LeakyReLU": (lambda: nm.LeakyReLU(0.3), _away_from_zero(3, 4)),
    "Identity": (nm.Identity, _normal(3, 4)),
    "Softmax": (nm.Softmax, _normal(3, 4)),
    "GELU": (nm.GELU, _normal(3, 4)),
    "GELU tanh": (lambda: nm.GELU("tanh"), _normal(3, 4)),
    "Conv2d stride 2, padding 1": (lambda: nm.Conv2d(2, 3, 3, stride=2, padding=1,
                                                     rng=_rng(2)), _normal(2, 2, 5, 5)),
    "Conv2d 2×3 kernel": (lambda: nm.Conv2d(1, 2, (2, 3), rng=_rng(3)), _normal(1, 1, 4, 5)),
    "MaxPool2d": (lambda: nm.MaxPool2d(2), _distinct(2, 2, 4, 4)),
    "MaxPool2d overlapping": (lambda: nm.MaxPool2d(3, stride=2), _distinct(1, 1, 5, 5)),
    "Flatten": (nm.Flatten, _normal(2, 3, 2)),
    "LayerNorm": (lambda: nm.LayerNorm(4), _normal(2, 3, 4)),
    "BatchNorm": (lambda: nm.BatchNorm(3), _normal(5, 3)),
    "BatchNorm on images": (lambda: nm.BatchNorm(2), _normal(3, 2, 2, 2)),
    "BatchNorm eval": (lambda: _trained_then_eval(nm.BatchNorm(3), _normal(6, 3, seed=4)),
                       _normal(5, 3)),
    "RMSNorm": (lambda: nm.RMSNorm(4), _normal(2, 3, 4)),
    "Dropout eval": (lambda: nm.Dropout(0.5, rng=_rng()).eval(), _normal(3, 4)),
    "Embedding": (lambda: nm.Embedding(6, 3, rng=_rng(5)), np.array([[0, 5, 2, 2], [1, 0, 3, 5]])),
    "PositionalEmbedding": (lambda: nm.PositionalEmbedding(5, 3, rng=_rng(6)), _normal(2, 4, 3)),
    "RNN": (lambda: _rnn(_rng(7)), _normal(2, 3, 3)),
    "SelfAttention": (lambda: nm.SelfAttention(4, n_heads=2, rng=_rng(8)), _normal(2, 3, 4)),
    "SelfAttention causal, rope": (lambda: nm.SelfAttention(4, n_heads=2, causal=True, rope=True,
                                                            rng=_rng(9)), _normal(2, 3, 4)),
    "SelfAttention blocks": (lambda: nm.SelfAttention(4, causal=True, block_size=2, rng=_rng(10)),
                             _normal(2, 5, 4)),
    "Residual": (lambda: nm.Residual(nm.Linear(3, 3, rng=_rng(11))), _normal(2, 3)),
    "Sequential": (lambda: nm.Sequential(nm.Linear(3, 4, rng=_rng(12)), nm.Tanh(),
                                         nm.Linear(4, 2, rng=_rng(13))), _normal(5, 3)),
    "Block": (lambda: Block(4, 2, mlp_ratio=2, rng=_rng(14)), _normal(2, 3, 4)),
    "GPT, tied head": (lambda: GPT(7, 4, 4, 1, 2, mlp_ratio=2, rng=_rng(15)),
                       np.array([[1, 6, 0], [2, 2, 5]])),
    "GPT, rms, rope, own head": (lambda: GPT(7, 4, 4, 1, 2, mlp_ratio=2, norm="rms", rope=True,
                                             tie_weights=False, rng=_rng(16)),
                                 np.array([[1, 6, 0], [2, 2, 5]])),
}

# name: (loss factory, (prediction, targets))
LOSSES = {
    "MSE": (nm.MSE, (_normal(3, 2), _normal(3, 2, seed=1))),
    "SoftmaxCrossEntropy, labels": (nm.SoftmaxCrossEntropy, (_normal(4, 3), np.array([0, 2, 1, 2]))),
    "SoftmaxCrossEntropy, one-hot": (nm.SoftmaxCrossEntropy,
                                     (_normal(4, 3), nm.losses.one_hot([0, 2, 1, 2], 3))),
    "SoftmaxCrossEntropy, sequences": (nm.SoftmaxCrossEntropy,
                                       (_normal(2, 3, 4), np.array([[0, 3, 1], [2, 2, 0]]))),
}


@pytest.mark.parametrize("name", MODULES)
def test_backward_matches_central_differences(name):
    make, X = MODULES[name]
    report = check(make(), X, rng=_rng(20))
    assert report, f"{name}:\n{report}"


@pytest.mark.parametrize("name", LOSSES)
def test_loss_gradient_matches_central_differences(name):
    make, inputs = LOSSES[name]
    report = check(make(), inputs)
    assert report, f"{name}:\n{report}"


def test_the_table_has_every_module_of_the_library():
    tested = {type(make()).__name__ for make, _ in [*MODULES.values(), *LOSSES.values()]}
    library = {name for name in nm.__all__ if isinstance(getattr(nm, name), type)
               and issubclass(getattr(nm, name), nm.Module) and name != "Module"}
    assert library <= tested | {"Module"}, f"modules without a row: {sorted(library - tested)}"


def test_a_wrong_backward_fails_the_table():
    """The check behind the table sees a mistake: Tanh with σ' in place of tanh'."""
    class WrongTanh(nm.Tanh):
        def backward(self, dY):
            return dY * self._Y * (1 - self._Y)

    assert not check(WrongTanh(), _normal(3, 4), rng=_rng(20))
