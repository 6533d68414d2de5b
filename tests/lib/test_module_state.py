"""State that must not silently go wrong ("Module protocol, version 2").

Each test here failed on the code before the fix it guards: checkpoints that
dropped BatchNorm's running statistics, a module instance used twice in a
container, ``fit`` training an eval-mode model, outputs aliasing the backward
cache, and complex numbers losing their imaginary part.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.checkpoint import load, save


def bn_model(seed):
    rng = np.random.default_rng(seed)
    return nm.Sequential(nm.Linear(3, 4, rng=rng), nm.BatchNorm(4), nm.Tanh(),
                         nm.Linear(4, 2, rng=rng))


def trained_bn_model(seed=0):
    """A model whose running statistics have moved away from zeros and ones."""
    model = bn_model(seed)
    rng = np.random.default_rng(10)
    for _ in range(5):
        model.forward(rng.standard_normal((8, 3)) * 3 + 1)
    return model


# -- 1. state_dict, load_state_dict, checkpoints --------------------------------

def test_state_dict_holds_parameters_and_buffers_as_copies():
    model = trained_bn_model()
    state = model.state_dict()
    assert sorted(state) == ["0.W", "0.b", "1.beta", "1.gamma", "1.running_mean",
                             "1.running_var", "3.W", "3.b"]
    np.testing.assert_array_equal(state["1.running_mean"], model[1].running_mean)
    state["1.running_mean"] += 1  # a copy: editing it leaves the layer alone
    assert not np.array_equal(state["1.running_mean"], model[1].running_mean)
    assert [name for name, _ in nm.BatchNorm(2).buffers()] == ["running_mean", "running_var"]


def test_load_state_dict_copies_in_place():
    source, target = trained_bn_model(0), bn_model(1)
    arrays = [target[1].running_var, target[0].W]
    target.load_state_dict(source.state_dict())
    assert target[1].running_var is arrays[0] and target[0].W is arrays[1]
    for name, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name], value)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("1.running_var"), r"missing keys \['1\.running_var'\]"),
    (lambda d: d.update({"5.W": np.zeros(2)}), r"unexpected keys \['5\.W'\]"),
    (lambda d: d.update({"1.running_mean": np.zeros(5)}),
     r"'1\.running_mean'.*shape \(5,\).*expects \(4,\)"),
])
def test_load_state_dict_names_the_bad_key_and_changes_nothing(edit, message):
    state = trained_bn_model().state_dict()
    edit(state)
    target = bn_model(1)
    before = target.state_dict()
    with pytest.raises(ValueError, match=message):
        target.load_state_dict(state)
    for name, value in before.items():
        np.testing.assert_array_equal(target.state_dict()[name], value)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_checkpoint_reloads_batchnorm_statistics(tmp_path, mode):
    source = trained_bn_model()
    path = save(source, tmp_path / "bn")
    target = load(bn_model(1), path)
    X = np.random.default_rng(3).standard_normal((6, 3))
    getattr(source, mode)(), getattr(target, mode)()
    np.testing.assert_array_equal(target.forward(X), source.forward(X))
    np.testing.assert_array_equal(target[1].running_var, source[1].running_var)


class StubOptimizer:
    """Any object with state_dict() and load_state_dict() (duck typing)."""

    def __init__(self, step=0):
        self.state = {"step": np.array(step), "v.0.W": np.full((3, 4), float(step))}

    def state_dict(self):
        return {name: value.copy() for name, value in self.state.items()}

    def load_state_dict(self, state):
        self.state = {name: np.array(value) for name, value in state.items()}


def test_checkpoint_saves_and_loads_the_optimizer_state(tmp_path):
    path = save(trained_bn_model(), tmp_path / "m", optimizer=StubOptimizer(7))
    with np.load(path, allow_pickle=False) as f:
        assert {"optimizer.step", "optimizer.v.0.W"} <= set(f.files)
    opt = StubOptimizer(0)
    load(bn_model(1), path, optimizer=opt)
    assert sorted(opt.state) == ["step", "v.0.W"] and int(opt.state["step"]) == 7
    np.testing.assert_array_equal(opt.state["v.0.W"], np.full((3, 4), 7.0))
    load(bn_model(1), path)  # the model alone: the optimiser's entries are not in its way


def test_checkpoint_without_optimizer_state_says_so(tmp_path):
    path = save(trained_bn_model(), tmp_path / "m")
    with pytest.raises(ValueError, match="no optimizer state"):
        load(bn_model(1), path, optimizer=StubOptimizer())


def test_save_into_a_missing_folder_names_the_folder(tmp_path):
    folder = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match=f"folder {str(folder)!r} does not exist") as info:
        save(bn_model(0), folder / "m")
    assert ".tmp" not in str(info.value)


# -- 2. a module instance used twice --------------------------------------------

def test_sequential_refuses_the_same_activation_twice():
    rng = np.random.default_rng(0)
    act = nm.Tanh()
    with pytest.raises(ValueError, match=r"module 3 \(Tanh\) is the same instance as "
                                         r"module 1.*separate instances"):
        nm.Sequential(nm.Linear(2, 3, rng=rng), act, nm.Linear(3, 3, rng=rng), act)


def test_sequential_refuses_a_shared_linear_even_nested():
    layer = nm.Linear(3, 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"module 1\.0 \(Linear\) is the same instance "
                                         r"as module 0"):
        nm.Sequential(layer, nm.Residual(layer))
    with pytest.raises(ValueError, match="same instance"):
        nm.Residual(nm.Sequential(layer, nm.Tanh(), layer))
    nm.Sequential(layer, nm.Tanh())[0:1]  # a slice shares with its parent: allowed


# -- 3. fit trains in training mode ---------------------------------------------

def test_fit_puts_an_eval_model_in_training_mode():
    rng = np.random.default_rng(0)
    model = nm.Sequential(nm.Linear(3, 4, rng=rng), nm.BatchNorm(4), nm.Linear(4, 1, rng=rng))
    model.eval()
    X, T = rng.standard_normal((16, 3)) + 2, rng.standard_normal((16, 1))
    nm.fit(model, nm.MSE(), X, T, epochs=1, batch_size=8, lr=0.1, rng=rng, progress=False)
    assert model.training and model[1].training
    assert np.all(model[1].running_mean != 0)  # the batches updated the statistics


# -- 4. returned arrays never alias the backward cache --------------------------

def _rng():
    return np.random.default_rng(5)


def _float_input(*shape):
    return lambda: np.random.default_rng(1).standard_normal(shape)


MODULES = {  # name: (make a fresh module, make its input)
    "Linear": (lambda: nm.Linear(3, 2, rng=_rng()), _float_input(4, 3)),
    "Sigmoid": (nm.Sigmoid, _float_input(4, 3)),
    "Tanh": (nm.Tanh, _float_input(4, 3)),
    "ReLU": (nm.ReLU, _float_input(4, 3)),
    "LeakyReLU": (nm.LeakyReLU, _float_input(4, 3)),
    "Identity": (nm.Identity, _float_input(4, 3)),
    "Softmax": (nm.Softmax, _float_input(4, 3)),
    "LayerNorm": (lambda: nm.LayerNorm(3), _float_input(4, 3)),
    "BatchNorm": (lambda: nm.BatchNorm(3), _float_input(4, 3)),
    "BatchNorm eval": (lambda: nm.BatchNorm(3).eval(), _float_input(4, 3)),
    "BatchNorm 4-D": (lambda: nm.BatchNorm(2), _float_input(2, 2, 3, 3)),
    "Dropout": (lambda: nm.Dropout(0.5, rng=_rng()), _float_input(4, 3)),
    "Dropout eval": (lambda: nm.Dropout(0.5, rng=_rng()).eval(), _float_input(4, 3)),
    "Residual": (lambda: nm.Residual(nm.Tanh()), _float_input(4, 3)),
    "Sequential": (lambda: nm.Sequential(nm.Linear(3, 3, rng=_rng()), nm.Softmax()),
                   _float_input(4, 3)),
    "Conv2d": (lambda: nm.Conv2d(2, 3, 2, padding=1, rng=_rng()), _float_input(2, 2, 4, 4)),
    "MaxPool2d": (lambda: nm.MaxPool2d(2), _float_input(2, 2, 4, 4)),
    "Flatten": (nm.Flatten, _float_input(2, 2, 3, 3)),
    "Embedding": (lambda: nm.Embedding(5, 3, rng=_rng()), lambda: np.array([[0, 4, 4], [1, 2, 0]])),
    "PositionalEmbedding": (lambda: nm.PositionalEmbedding(6, 3, rng=_rng()), _float_input(2, 4, 3)),
    "RNN": (lambda: nm.RNN(3, 4, rng=_rng()), _float_input(2, 5, 3)),
    "SelfAttention": (lambda: nm.SelfAttention(4, 2, causal=True, rng=_rng()),
                      _float_input(2, 3, 4)),
}


def _grads(module):
    return {name: None if grad is None else np.array(grad) for name, _, grad in module.parameters()}


@pytest.mark.parametrize("name", MODULES)
def test_editing_an_output_in_place_leaves_the_gradients_alone(name):
    make, make_input = MODULES[name]
    dY_for = lambda Y: np.random.default_rng(2).standard_normal(np.shape(Y))  # noqa: E731
    reference = make()
    Y = reference.forward(make_input())
    dY = dY_for(Y)
    expected_dX, expected = reference.backward(dY.copy()), _grads(reference)

    module = make()
    Y = module.forward(make_input())
    Y[...] = 7.0  # the caller owns the output
    dX = module.backward(dY.copy())
    if expected_dX is None:
        assert dX is None
    else:
        np.testing.assert_array_equal(dX, expected_dX)
        dX[...] = 7.0  # ... and the input gradient: a second backward is unchanged
        np.testing.assert_array_equal(module.backward(dY.copy()), expected_dX)
    for key, grad in _grads(module).items():
        np.testing.assert_array_equal(grad, expected[key])


@pytest.mark.parametrize("loss, T", [(nm.MSE, np.ones((4, 3))),
                                     (nm.SoftmaxCrossEntropy, np.array([0, 2, 1, 1]))])
def test_editing_a_loss_gradient_in_place_leaves_the_next_one_alone(loss, T):
    module = loss()
    module.forward(np.random.default_rng(1).standard_normal((4, 3)), T)
    first = module.backward()
    expected = first.copy()
    first[...] = 7.0
    np.testing.assert_array_equal(module.backward(), expected)


# -- 5. complex numbers ---------------------------------------------------------

@pytest.mark.parametrize("value", [1 + 2j, np.array([1.0 + 0j, 2.0]), [1j]])
def test_tensor_refuses_complex_numbers(value):
    with pytest.raises(TypeError, match=r"Tensor: cannot convert .*\(complex values are not supported"):
        nm.Tensor(value)


# -- smaller gaps ---------------------------------------------------------------

@pytest.mark.parametrize("module, X, name", [
    (nm.Conv2d(1, 2, 2), np.zeros((0, 1, 4, 4)), r"Conv2d\.forward: X has shape \(0, 1, 4, 4\)"),
    (nm.RNN(3, 4), np.zeros((0, 2, 3)), r"RNN\.forward: X has shape \(0, 2, 3\)"),
])
def test_an_empty_batch_is_named(module, X, name):
    with pytest.raises(ValueError, match=name + ", an empty batch"):
        module.forward(X)


def test_flatten_takes_an_empty_batch():
    flat = nm.Flatten()
    assert flat.forward(np.zeros((0, 2, 3))).shape == (0, 6)
    assert flat.backward(np.zeros((0, 6))).shape == (0, 2, 3)


@pytest.mark.parametrize("method", [nm.MSE.forward, nm.SoftmaxCrossEntropy.forward,
                                    nm.Flatten.forward, nm.Flatten.backward])
def test_help_shows_a_docstring_with_shapes(method):
    assert method.__doc__ and "(N," in method.__doc__


def test_every_module_reference_in_the_library_exists():
    import importlib.util
    import re
    from pathlib import Path
    root = Path(nm.__file__).parent
    missing = []
    for path in sorted(root.rglob("*.py")):
        package = ".".join(("nnmath",) + path.relative_to(root).with_suffix("").parts[:-1])
        for name in re.findall(r":mod:`~?([\w.]+)`", path.read_text(encoding="utf-8")):
            try:
                found = importlib.util.find_spec(name, package) is not None
            except ModuleNotFoundError:
                found = False
            if not found:
                missing.append((path.name, name))
    assert not missing, f"references to modules that do not exist: {missing}"


def _bn_data(n):
    rng = np.random.default_rng(0)
    model = nm.Sequential(nm.Linear(3, 4, rng=rng), nm.BatchNorm(4), nm.Linear(4, 1, rng=rng))
    return model, rng.standard_normal((n, 3)), rng.standard_normal((n, 1))


def test_fit_drop_last_skips_the_short_batch_and_otherwise_names_it():
    model, X, T = _bn_data(9)  # batches of 4, 4 and 1
    with pytest.raises(ValueError, match="last batch of 1 sample.*drop_last=True") as info:
        nm.fit(model, nm.MSE(), X, T, epochs=1, batch_size=4, lr=0.1,
               rng=np.random.default_rng(1), progress=False)
    assert "eval()" not in str(info.value)
    history = nm.fit(model, nm.MSE(), X, T, epochs=2, batch_size=4, lr=0.1, drop_last=True,
                     rng=np.random.default_rng(1), progress=False)
    assert len(history["loss"]) == 2 and np.all(np.isfinite(history["loss"]))
    with pytest.raises(ValueError, match="leaves no batch"):
        nm.fit(model, nm.MSE(), X, T, epochs=1, batch_size=10, lr=0.1, drop_last=True,
               rng=np.random.default_rng(1), progress=False)


class CountingSGD:
    """An optimiser by duck typing: anything with step()."""

    def __init__(self, model, lr):
        self.inner, self.steps, self.lr = nm.SGD(model, lr), 0, lr

    def step(self):
        self.steps += 1
        self.inner.step()


def test_fit_takes_exactly_one_of_lr_and_optimizer():
    model, X, T = _bn_data(8)
    args = dict(epochs=2, batch_size=4, rng=np.random.default_rng(1), progress=False)
    reference, _, _ = _bn_data(8)
    expected = nm.fit(reference, nm.MSE(), X, T, lr=0.1, **args)
    args["rng"] = np.random.default_rng(1)
    opt = CountingSGD(model, 0.1)
    history = nm.fit(model, nm.MSE(), X, T, optimizer=opt, **args)
    assert opt.steps == 4
    np.testing.assert_array_equal(history["loss"], expected["loss"])
    for extra, given in (({}, "neither"), ({"lr": 0.1, "optimizer": opt}, "both")):
        with pytest.raises(TypeError, match=f"exactly one of lr.*and optimizer.*got {given}"):
            nm.fit(model, nm.MSE(), X, T, **extra, **args)
    with pytest.raises(TypeError, match="optimizer must be an object with a step"):
        nm.fit(model, nm.MSE(), X, T, optimizer=object(), **args)


def test_gradcheck_passes_an_exactly_zero_gradient():
    """A bias before BatchNorm has gradient exactly 0; finite differences give ~1e-10."""
    failures = []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        model = nm.Sequential(nm.Linear(5, 6, rng=rng), nm.BatchNorm(6), nm.Tanh(),
                              nm.Linear(6, 3, rng=rng))
        report = nm.gradcheck.check(model, 3 * rng.standard_normal((16, 5)), rng=rng)
        if not report:
            failures.append(str(report))
    assert not failures, failures[0]
    wrong = nm.gradcheck.check(lambda x: float(np.sum(x ** 2)), np.array([3.0, 0.0]),
                               grad=lambda x: 2 * x + np.array([0.0, 1e-3]))
    assert not wrong  # a small error at a zero entry is still caught


def test_the_library_requires_numpy_and_tqdm_and_the_book_adds_the_rest():
    import re
    import tomllib
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(deps):
        return {re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() for d in deps}

    assert names(project["dependencies"]) == {"numpy", "tqdm"}
    assert {"sympy", "matplotlib", "ipykernel"} <= names(project["optional-dependencies"]["book"])
