"""SGD and fit: in-place updates, determinism, learning, and every input check."""

import math

import numpy as np
import pytest

import nnmath as nm
from nnmath.train import accuracy


def small_classifier(seed=0):
    rng = np.random.default_rng(seed)
    return nm.Sequential(nm.Linear(4, 8, rng=rng), nm.Tanh(), nm.Linear(8, 3, rng=rng))


def blobs(seed=0, N=60):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), N // 3)
    centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], float)
    return centres[labels] + 0.5 * rng.standard_normal((N, 4)), labels


def test_sgd_updates_in_place_by_exactly_minus_lr_grad():
    model = small_classifier()
    X, y = blobs()
    loss = nm.SoftmaxCrossEntropy()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    before = [(p, p.copy(), g.copy()) for _, p, g in model.parameters()]
    nm.SGD(model, lr=0.3).step()
    for (_, param, _), (same, old, grad) in zip(model.parameters(), before):
        assert param is same  # the very array, updated in place
        np.testing.assert_array_equal(param, old - 0.3 * grad)


def test_sgd_missing_gradient():
    model = small_classifier()
    opt = nm.SGD(model, lr=0.1)
    with pytest.raises(RuntimeError, match="SGD.step: parameter '0.W' has no gradient"):
        opt.step()
    assert not hasattr(opt, "zero_grad")  # backward sets gradients: nothing to reset


@pytest.mark.parametrize("lr", [0, -1.0, math.nan, math.inf])
def test_sgd_rejects_bad_learning_rate(lr):
    with pytest.raises(ValueError, match=r"SGD: lr must be a finite number > 0, got"):
        nm.SGD(small_classifier(), lr)


@pytest.mark.parametrize("lr", ["0.1", None, True])
def test_sgd_rejects_non_numbers(lr):
    with pytest.raises(TypeError, match="SGD: lr"):
        nm.SGD(small_classifier(), lr)


def test_fit_is_deterministic_for_a_given_rng_and_learns():
    X, y = blobs()
    runs = []
    for _ in range(2):
        model = small_classifier(seed=3)
        history = nm.fit(model, nm.SoftmaxCrossEntropy(), X, y, epochs=15, batch_size=8,
                         lr=0.2, rng=np.random.default_rng(11), progress=False)
        runs.append((history, model.layers[0].W.copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    history = runs[0][0]
    assert set(history) == {"loss", "accuracy"} and len(history["loss"]) == 15
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["accuracy"][-1] >= 0.95


def test_fit_regression_history_has_no_accuracy_and_loss_decreases():
    rng = np.random.default_rng(0)
    X, Y = nm.data.sine_data(200, rng, amplitude=1.0, frequency=3.0)
    model = nm.Sequential(nm.Linear(1, 16, rng=rng), nm.Tanh(), nm.Linear(16, 1, rng=rng))
    history = nm.fit(model, nm.MSE(), X, Y, epochs=30, batch_size=10, lr=0.1, rng=rng,
                     progress=False)
    assert list(history) == ["loss"]
    assert history["loss"][-1] < 0.5 * history["loss"][0]


class PlainModel:
    """A model of one's own: forward, backward and parameters, not a Module subclass."""

    def __init__(self, inner):
        self.inner = inner

    def forward(self, X):
        return self.inner.forward(X)

    def backward(self, dY):   # no input_grad keyword
        return self.inner.backward(dY)

    def parameters(self):
        return self.inner.parameters()


def test_fit_trains_a_model_that_is_not_a_module_like_the_module_itself():
    X, labels = blobs()
    module, plain = small_classifier(), PlainModel(small_classifier())
    runs = [nm.fit(m, nm.SoftmaxCrossEntropy(), X, labels, epochs=3, batch_size=16, lr=0.5,
                   rng=np.random.default_rng(1), progress=False) for m in (module, plain)]
    assert runs[0] == runs[1]
    for (_, p, _), (_, q, _) in zip(module.parameters(), plain.parameters()):
        np.testing.assert_array_equal(p, q)


def test_fit_different_rng_gives_different_order():
    X, y = blobs()
    h = [nm.fit(small_classifier(3), nm.SoftmaxCrossEntropy(), X, y, epochs=2, batch_size=8,
                lr=0.2, rng=np.random.default_rng(s), progress=False) for s in (1, 2)]
    assert h[0]["loss"] != h[1]["loss"]


def test_fit_progress_bar_goes_to_stderr(capsys):
    X, y = blobs()
    nm.fit(small_classifier(), nm.SoftmaxCrossEntropy(), X, y, epochs=2, batch_size=30,
           lr=0.1, rng=np.random.default_rng(0), progress=True)
    assert "fit" in capsys.readouterr().err


def fit_call(**overrides):
    X, y = blobs()
    kwargs = dict(model=small_classifier(), loss=nm.SoftmaxCrossEntropy(), X=X, targets=y,
                  epochs=2, batch_size=8, lr=0.1, rng=np.random.default_rng(0), progress=False)
    kwargs.update(overrides)
    return nm.fit(kwargs.pop("model"), kwargs.pop("loss"), kwargs.pop("X"), kwargs.pop("targets"),
                  **kwargs)


@pytest.mark.parametrize("overrides, error, message", [
    ({"epochs": 0}, ValueError, r"fit: epochs must be positive, got 0"),
    ({"epochs": 2.0}, TypeError, r"fit: epochs must be an integer"),
    ({"batch_size": 0}, ValueError, r"fit: batch_size must be positive"),
    ({"batch_size": True}, TypeError, r"fit: batch_size must be an integer"),
    ({"lr": 0.0}, ValueError, r"fit: lr must be a finite number > 0, got 0.0"),
    ({"lr": math.nan}, ValueError, r"fit: lr must be a finite number > 0, got nan"),
    ({"rng": 0}, TypeError, r"fit: rng must be a numpy.random.Generator"),
    ({"targets": np.zeros(59, int)}, ValueError,
     r"fit: X and targets must have the same number of samples"),
    ({"X": np.full((60, 4), np.nan)}, ValueError, r"fit: X contains 240 NaN"),
    ({"model": object()}, TypeError, r"fit: model \(object\) has no callable forward or backward"),
])
def test_fit_rejects_bad_input(overrides, error, message):
    with pytest.raises(error, match=message):
        fit_call(**overrides)


def test_fit_stops_with_a_clear_error_when_the_loss_diverges():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2)) * 10
    T = rng.standard_normal((40, 1)) * 10
    model = nm.Sequential(nm.Linear(2, 8, rng=rng), nm.Linear(8, 1, rng=rng))
    with pytest.raises(FloatingPointError, match=r"fit: .* at epoch \d+.*step"):
        nm.fit(model, nm.MSE(), X, T, epochs=200, batch_size=4, lr=10.0, rng=rng, progress=False)


def test_accuracy_helper():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert accuracy(logits, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(logits, np.eye(2)[[0, 1, 0]]) == 1.0
    with pytest.raises(ValueError, match="accuracy: labels of shape"):
        accuracy(logits, np.array([0, 1]))


def test_accuracy_counts_every_position_of_a_sequence():
    logits = np.array([[[2.0, 1.0], [0.0, 3.0]], [[1.0, 0.0], [1.0, 4.0]]])   # (N, T, C) = (2, 2, 2)
    assert accuracy(logits, np.array([[0, 1], [1, 1]])) == 0.75
    assert accuracy(logits, np.eye(2)[[[0, 1], [1, 1]]]) == 0.75
    with pytest.raises(ValueError, match=r"accuracy: labels have shape \(2,\), expected \(2, 2\)"):
        accuracy(logits, np.array([0, 1]))
