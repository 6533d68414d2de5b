r"""Mini-batch training: shuffle, forward, loss, backward, SGD step, repeat.

:func:`fit` is the loop every training chapter runs; it validates its inputs
and stops with a clear error (naming the epoch and step) as soon as the loss
stops being a finite number, instead of training on NaNs.
"""

import functools
import math

import numpy as np
from tqdm import trange

from .losses import SoftmaxCrossEntropy
from .module import Module
from .checks import (check_count, check_flag, check_model_and_loss, check_pair, check_rng,
                     check_training_data)
from .optim import SGD, check_learning_rate
from .targets import flatten_positions

__all__ = ["fit", "accuracy"]


def accuracy(logits, labels):
    """Fraction of rows whose largest logit is at the true class.

    Parameters
    ----------
    logits : array, shape (N, C), or (N, T, C) for sequences
    labels : array, shape (N,) of int, or one-hot (N, C); (N, T) or (N, T, C) for sequences

    Returns
    -------
    float
        In ``[0, 1]``.
    """
    logits, labels = np.asarray(logits), np.asarray(labels)
    if logits.ndim == 3:  # sequences (N, T, C) with labels (N, T): every position counts
        logits, labels = flatten_positions("accuracy", logits, labels)
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise ValueError(f"accuracy: logits must have shape (N, C) with N ≥ 1, got {logits.shape}")
    if labels.ndim == 2:
        labels = np.argmax(labels, axis=1)
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"accuracy: labels of shape {labels.shape} do not match logits "
                         f"of shape {logits.shape}")
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def _check_optimizer(model, lr, optimizer):
    """The optimiser ``fit`` steps (plain SGD for ``lr``) and how to name it in errors."""
    if (lr is None) == (optimizer is None):
        given = "both" if lr is not None else "neither"
        raise TypeError(f"fit: give exactly one of lr (plain SGD) and optimizer (an object "
                        f"with step()), got {given}")
    if optimizer is None:
        lr = check_learning_rate("fit", lr)
        return SGD(model, lr), f"lr={lr}"
    if isinstance(optimizer, type) or not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"fit: optimizer must be an object with a step() method, e.g. "
                        f"SGD(model, lr=0.1), got {optimizer!r}")
    return optimizer, f"optimizer {type(optimizer).__name__}, lr={getattr(optimizer, 'lr', '?')}"


def _forward(model, X, step, N, batch_size):
    """``model.forward(X)``; a failure on the short last batch only advises ``drop_last``."""
    try:
        return model.forward(X)
    except ValueError as exc:
        if step == 1 or len(X) == batch_size:  # not about the batch being short
            raise
        raise ValueError(f"fit: the model cannot take the last batch of {len(X)} sample(s) "
                         f"(N={N} samples in batches of {batch_size}), though it took the "
                         f"full ones (e.g. BatchNorm needs 2 samples in training mode); pass "
                         f"drop_last=True to skip it, or choose another batch_size") from exc


def _evaluate(model, loss, X, targets, classify):
    """Loss (and accuracy) of ``model`` on ``(X, targets)`` in evaluation mode, as one batch."""
    set_mode = getattr(model, "train", None)  # a Module; other models have no modes
    was_training = getattr(model, "training", True)
    if callable(set_mode):
        set_mode(False)
    try:
        Y = model.forward(X)
        scores = {"loss": float(loss.forward(Y, targets))}
        if classify:
            scores["accuracy"] = accuracy(Y, targets)
    finally:
        if callable(set_mode):
            set_mode(was_training)
    return scores


def fit(model, loss, X, targets, *, epochs, batch_size, rng, lr=None, optimizer=None,
        drop_last=False, progress=True, validation=None):
    r"""Train ``model`` by mini-batch gradient descent and return the per-epoch history.

    Parameters
    ----------
    model : Module
        E.g. a :class:`nnmath.Sequential`; updated in place.
    loss : Module
        :class:`nnmath.losses.MSE` or :class:`nnmath.losses.SoftmaxCrossEntropy`
        (``forward(Y, targets) -> float``, ``backward() -> ∂L/∂Y``).
    X : array, shape (N, D)
    targets : array, shape (N, C), or (N,) int labels for classification
    epochs : int ≥ 1
    batch_size : int ≥ 1
        The last batch of an epoch may be smaller (see ``drop_last``).
    rng : numpy.random.Generator
        Shuffles the samples at the start of every epoch; the same generator
        state gives the same history.
    lr : float > 0, optional
        Train with plain :class:`~nnmath.optim.SGD` at this learning rate.
    optimizer : object with ``step()``, optional
        Or train with this optimiser (built on ``model``). Give exactly one of
        ``lr`` and ``optimizer``.
    drop_last : bool, optional
        Skip the last batch of an epoch when it is smaller than ``batch_size``
        (e.g. one sample, which BatchNorm cannot normalise in training mode).
    progress : bool, optional
        Show a tqdm progress bar over epochs, with the last epoch's loss
        (notebooks pass False).
    validation : tuple (X_val, targets_val), optional
        Data scored after every epoch, in evaluation mode (``model.eval()``),
        without training on it.

    Returns
    -------
    history : dict
        ``{"loss": [...]}``: per epoch, the mean over the samples trained on of the
        loss of their batch (computed before that batch's update; a short
        last batch counts with its size). With
        :class:`~nnmath.losses.SoftmaxCrossEntropy` also ``"accuracy"``: the
        fraction of samples whose batch logits picked the right class. With
        ``validation``, also ``"val_loss"`` (and ``"val_accuracy"``).

    Raises
    ------
    TypeError, ValueError
        For bad arguments (naming ``fit`` and the problem); when the model
        cannot take the short last batch (advising ``drop_last=True``).
    FloatingPointError
        When the loss or a parameter stops being finite (naming the epoch
        and step; usually the learning rate is too large).

    Notes
    -----
    The model is put in training mode first (``model.train()``), whatever
    mode it was in, and stays in it. Each step computes ``∂L/∂W`` for the
    batch by backpropagation (chapter 9; the batch form is chapter 11) and
    applies :class:`~nnmath.optim.SGD` (or ``optimizer.step()``).
    A :class:`~nnmath.module.Module` is asked not to compute the gradient with
    respect to the data (``backward(dY, input_grad=False)``), which training never
    uses; any other object with ``forward``, ``backward`` and ``parameters`` trains too.

    BLAS threads: ``fit`` leaves NumPy's default (one thread per core). On an idle
    2-core machine that is as fast as one thread or slightly faster
    (``benchmarks/fit_threads.py``: 0.94–0.95 of the one-thread time); when other
    work keeps the cores busy, the threads contend and one thread is faster
    (2.5× for a 784-512-512-10 MLP while another job ran). Set
    ``OPENBLAS_NUM_THREADS=1`` before starting Python on a shared machine; the
    book's notebooks always run that way, for reproducible digits.
    """
    epochs = check_count("fit", "epochs", epochs)
    batch_size = check_count("fit", "batch_size", batch_size)
    check_flag("fit", "drop_last", drop_last)
    check_rng("fit", rng)
    check_model_and_loss("fit", model, loss)
    optimizer, how = _check_optimizer(model, lr, optimizer)
    X, targets = check_training_data("fit", X, targets)
    if validation is not None:
        validation = check_training_data("fit", *check_pair("fit", "validation", validation))
    classify = isinstance(loss, SoftmaxCrossEntropy)
    # a Module skips dX, which the data never need (its base takes input_grad); a model of
    # one's own with forward/backward/parameters computes it
    backward = (functools.partial(model.backward, input_grad=False)
                if isinstance(model, Module) else model.backward)
    if callable(getattr(model, "train", None)):  # a Module: an eval-mode model would not learn
        model.train()
    N = X.shape[0]
    starts = range(0, N - batch_size + 1 if drop_last else N, batch_size)
    if not starts:
        raise ValueError(f"fit: drop_last=True with batch_size={batch_size} > N={N} samples "
                         f"leaves no batch to train on")
    trained = starts[-1] + min(batch_size, N - starts[-1])  # samples per epoch
    history = {"loss": []}
    if classify:
        history["accuracy"] = []
    if validation is not None:
        history.update({f"val_{key}": [] for key in list(history)})
    bar = trange(1, epochs + 1, desc="fit", unit="epoch", disable=not progress)
    for epoch in bar:
        order = rng.permutation(N)
        total_loss, correct = 0.0, 0.0
        for step, start in enumerate(starts, start=1):
            batch = order[start:start + batch_size]
            # Overflow is reported below, with the epoch and step, not as a warning.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                Y = _forward(model, X[batch], step, N, batch_size)
                value = loss.forward(Y, targets[batch])
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"fit: the loss became {value} at epoch {epoch}, step {step} "
                        f"({how}); try a smaller learning rate")
                backward(loss.backward())
                optimizer.step()
            total_loss += value * len(batch)
            if classify:
                correct += accuracy(Y, targets[batch]) * len(batch)
        for name, param, _ in model.parameters():
            if not np.all(np.isfinite(param)):
                raise FloatingPointError(
                    f"fit: parameter {name!r} stopped being finite at epoch {epoch} "
                    f"(last step {step}, {how}); try a smaller learning rate")
        history["loss"].append(total_loss / trained)
        if classify:
            history["accuracy"].append(correct / trained)
        if validation is not None:
            for key, value in _evaluate(model, loss, *validation, classify).items():
                history[f"val_{key}"].append(value)
        bar.set_postfix(loss=f"{history['loss'][-1]:.4g}", refresh=False)
    return history
