"""The gaps in the library's API found by trying it as a new user (issue 12), one test each."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nnmath as nm
from nnmath import checkpoint, gradcheck
from nnmath.autodiff import Tensor


def _mlp(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return nm.Sequential(nm.Linear(4, 8, rng=rng, dtype=dtype), nm.Tanh(),
                         nm.Linear(8, 3, rng=rng, dtype=dtype))


def _iris_like(n=30, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)), rng.integers(0, 3, n)


# -- shapes that do not broadcast ------------------------------------------------

@pytest.mark.parametrize("op", ["+", "*", "-", "/"])
def test_tensor_ops_name_both_shapes_when_they_do_not_broadcast(op):
    a, b = Tensor(np.ones((4, 3))), np.ones((2,))
    with pytest.raises(ValueError, match=r"shapes \(4, 3\) and \(2,\) do not broadcast"):
        {"+": lambda: a + b, "*": lambda: a * b, "-": lambda: a - b, "/": lambda: a / b}[op]()


# -- a class for an instance, model and loss swapped ----------------------------------

def test_sequential_names_a_class_given_for_an_instance():
    with pytest.raises(TypeError, match=r"Sequential: module 1 is the class Tanh, not an "
                                        r"instance; write Tanh\(...\)"):
        nm.Sequential(nm.Linear(4, 3), nm.Tanh)


def test_fit_names_a_loss_class_given_for_an_instance():
    X, T = _iris_like()
    with pytest.raises(TypeError, match=r"fit: loss is the class SoftmaxCrossEntropy"):
        nm.fit(_mlp(), nm.SoftmaxCrossEntropy, X, T, epochs=1, batch_size=8, lr=0.1,
               rng=np.random.default_rng(0), progress=False)


def test_fit_says_when_model_and_loss_are_swapped():
    X, T = _iris_like()
    with pytest.raises(TypeError, match="did you swap model and loss"):
        nm.fit(nm.SoftmaxCrossEntropy(), _mlp(), X, T, epochs=1, batch_size=8, lr=0.1,
               rng=np.random.default_rng(0), progress=False)


def test_gradcheck_names_a_class_and_checks_a_loss_instance():
    with pytest.raises(TypeError, match="check: got the class MSE, not an instance"):
        gradcheck.check(nm.MSE, (np.ones((2, 3)), np.zeros((2, 3))))
    rng = np.random.default_rng(0)
    Y, T = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    report = gradcheck.check(nm.MSE(), (Y, T))
    assert report.passed and report.max_error < 1e-7
    with pytest.raises(TypeError, match=r"MSE is a loss; give inputs as a pair \(Y, T\)"):
        gradcheck.check(nm.MSE(), Y)


# -- one rule for gradients in both engines ---------------------------------------

def test_layers_and_tensors_both_set_gradients_on_backward():
    rng = np.random.default_rng(2)
    X, dY = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    layer = nm.Linear(4, 3, rng=rng)
    W = Tensor(layer.W)
    for _ in range(2):  # twice: the second call must not add to the first
        layer.forward(X)
        layer.backward(dY)
        (Tensor(X, requires_grad=False) @ W).backward(dY)
    np.testing.assert_allclose(layer.dW, X.T @ dY, rtol=1e-13)
    np.testing.assert_allclose(W.grad, X.T @ dY, rtol=1e-13)


# -- fit asks the model, not its type ----------------------------------------------

class _Wrapped(nm.Module):
    """A model that is not a Sequential but offers the input-gradient shortcut."""

    def __init__(self, inner):
        self.inner, self.skipped = inner, 0

    def forward(self, X):
        return self.inner.forward(X)

    def backward(self, dY):
        return self.inner.backward(dY)

    def parameter_grads(self, dY):
        self.skipped += 1
        return self.inner.backward(dY, input_grad=False)

    def parameters(self):
        return self.inner.parameters()


def test_fit_uses_the_skip_input_grad_protocol_not_isinstance():
    X, T = _iris_like()
    model = _Wrapped(_mlp())
    nm.fit(model, nm.SoftmaxCrossEntropy(), X, T, epochs=2, batch_size=10, lr=0.1,
           rng=np.random.default_rng(0), progress=False)
    assert model.skipped == 6  # 3 steps per epoch, 2 epochs


# -- Linear(init=...) -----------------------------------------------------------------

@pytest.mark.parametrize("init, variance", [("xavier", 2 / (400 + 300)), ("he", 2 / 400),
                                            ("lecun", 1 / 400)])
def test_linear_init_by_name_has_the_scheme_variance(init, variance):
    W = nm.Linear(400, 300, rng=np.random.default_rng(0), init=init).W
    assert np.var(W) == pytest.approx(variance, rel=0.02)


def test_linear_init_callable_and_bad_values():
    layer = nm.Linear(3, 2, init=lambda n, m, rng: np.full((n, m), 0.5))
    np.testing.assert_array_equal(layer.W, np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"Linear: init must be one of .*got 'glorot'"):
        nm.Linear(3, 2, init="glorot")
    with pytest.raises(ValueError, match=r"init returned an array of shape \(2, 3\)"):
        nm.Linear(3, 2, init=lambda n, m, rng: np.zeros((m, n)))


# -- checkpoints ------------------------------------------------------------------------

def test_load_finds_the_file_that_save_wrote_under_the_same_name(tmp_path):
    source, target = _mlp(0), _mlp(1)
    checkpoint.save(source, tmp_path / "xor")
    assert (tmp_path / "xor.npz").exists()
    checkpoint.load(target, tmp_path / "xor")
    for (_, a, _), (_, b, _) in zip(source.parameters(), target.parameters()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_corrupt_checkpoint_is_a_clear_error_and_leaves_the_model_alone(tmp_path, damage):
    path = checkpoint.save(_mlp(0), tmp_path / "model")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"not a zip file")
    target = _mlp(1)
    before = [p.copy() for _, p, _ in target.parameters()]
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        checkpoint.load(target, path)
    for (_, p, _), old in zip(target.parameters(), before):
        np.testing.assert_array_equal(p, old)


def test_a_crash_while_saving_keeps_the_previous_file(tmp_path):
    """Kill a process in the middle of np.savez: the old checkpoint must survive whole."""
    path = checkpoint.save(_mlp(0), tmp_path / "model")
    old = path.read_bytes()
    script = textwrap.dedent(f"""
        import os, numpy as np, nnmath as nm
        from nnmath import checkpoint
        real = np.lib.format.write_array
        def dying(*args, **kwargs):
            real(*args, **kwargs)
            os._exit(3)  # the process dies after the first array, mid-file
        np.lib.format.write_array = dying
        checkpoint.save(nm.Sequential(nm.Linear(4, 8), nm.Tanh(), nm.Linear(8, 3)),
                        {str(path)!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], env={**os.environ})
    assert result.returncode == 3
    assert path.read_bytes() == old


# -- float32 end to end ----------------------------------------------------------------

def test_a_float32_model_stays_float32_on_float64_data():
    model = _mlp(0, np.float32)
    X = np.random.default_rng(0).standard_normal((6, 4))  # float64
    Y = model.forward(X)
    assert Y.dtype == np.float32
    loss = nm.SoftmaxCrossEntropy()
    loss.forward(Y, np.arange(6) % 3)
    model.backward(loss.backward())
    assert all(g.dtype == np.float32 for _, _, g in model.parameters())


# -- validation data and the progress bar ---------------------------------------------

def test_fit_records_validation_scores_in_evaluation_mode():
    X, T = _iris_like(40)
    Xv, Tv = _iris_like(20, seed=5)
    model = _mlp()
    modes = []
    original = model.forward
    model.forward = lambda X: (modes.append(model.training), original(X))[1]
    history = nm.fit(model, nm.SoftmaxCrossEntropy(), X, T, epochs=3, batch_size=20, lr=0.1,
                     rng=np.random.default_rng(0), progress=False, validation=(Xv, Tv))
    assert len(history["val_loss"]) == len(history["val_accuracy"]) == 3
    assert modes.count(False) == 3 and model.training  # scored in eval, left in train
    del model.forward
    expected = nm.SoftmaxCrossEntropy().forward(model.forward(Xv), Tv)
    assert history["val_loss"][-1] == pytest.approx(expected, rel=1e-12)


def test_fit_shows_the_current_loss_in_the_progress_bar(capsys):
    X, T = _iris_like()
    history = nm.fit(_mlp(), nm.SoftmaxCrossEntropy(), X, T, epochs=2, batch_size=10, lr=0.1,
                     rng=np.random.default_rng(0), progress=True)
    assert f"loss={history['loss'][-1]:.4g}" in capsys.readouterr().err
