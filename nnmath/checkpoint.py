"""Save a model's state (and an optimiser's) to ``.npz`` and load it back, exactly.

The file holds one array per entry of ``model.state_dict()``: every parameter
and every buffer (BatchNorm's running statistics), keyed by their dotted names
(``"0.W"``, ``"1.running_mean"``, ...), and, when an optimiser is given, one per
entry of ``optimizer.state_dict()`` under the prefix ``"optimizer."``. No
pickles: the file is read with ``allow_pickle=False``, so loading cannot run
code. Loading writes into an existing model of the same architecture, in place.
"""

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["save", "load"]

OPTIMIZER_PREFIX = "optimizer."  # the optimiser's entries in the file: "optimizer.<name>"


def _check_has(who, obj, what, methods):
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    if missing:
        raise TypeError(f"{who}: expected {what} with {' and '.join(m + '()' for m in methods)}, "
                        f"got {type(obj).__name__}")


def _npz_path(path):
    """``path`` with ``.npz`` appended unless it already ends so (what NumPy writes)."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def save(model, path, optimizer=None):
    """Write the state of ``model`` (and of ``optimizer``) to an ``.npz`` file, atomically.

    Parameters
    ----------
    model : Module
        Anything with ``state_dict()`` (every :class:`~nnmath.Module`).
    path : str or Path
        Destination; ``.npz`` is appended if missing. Its folder must exist.
    optimizer : object, optional
        Anything with ``state_dict()`` returning ``{name: array}``; its arrays are
        stored under ``"optimizer.<name>"``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist (naming it).

    Notes
    -----
    The arrays go to a temporary file in the same folder, which then replaces
    ``path`` in one step (:func:`os.replace`): a crash mid-write leaves the
    previous file intact, never half of a new one.
    """
    _check_has("save", model, "a model", ("state_dict",))
    arrays = dict(model.state_dict())
    if optimizer is not None:
        _check_has("save", optimizer, "an optimizer", ("state_dict",))
        for name, value in optimizer.state_dict().items():
            arrays[OPTIMIZER_PREFIX + name] = np.asarray(value)
    path = _npz_path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"save: the folder {str(path.parent)!r} does not exist; "
                                f"create it first, e.g. Path(...).mkdir(parents=True)")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _read(path):
    """Every array of the ``.npz`` at ``path``, or a ValueError saying the file is unreadable."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no checkpoint at {path}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"load: {path} is not a readable checkpoint (corrupt or truncated "
                         f"file: {exc}); the model was left unchanged") from None


def load(model, path, optimizer=None):
    """Load a state saved by :func:`save` into ``model`` (and ``optimizer``), in place.

    Parameters
    ----------
    model : Module
        A model with the same architecture as the one saved.
    path : str or Path
        As given to :func:`save`: ``"xor"`` finds the ``xor.npz`` that
        ``save(model, "xor")`` wrote.
    optimizer : object, optional
        Anything with ``load_state_dict(dict)``; it receives the entries saved
        under ``"optimizer."``, without the prefix. Without it, those entries
        are ignored.

    Returns
    -------
    model
        The same object, for chaining.

    Raises
    ------
    ValueError
        When the file is corrupt or truncated, when its names, shapes or dtypes
        do not match the model's (naming the key), or when ``optimizer`` is given
        and the file holds no optimiser state; the model is left unchanged.
    """
    _check_has("load", model, "a model", ("load_state_dict",))
    if optimizer is not None:
        _check_has("load", optimizer, "an optimizer", ("load_state_dict",))
    path = Path(path)
    if not path.exists() and _npz_path(path).exists():
        path = _npz_path(path)
    arrays = _read(path)
    model_state = {k: v for k, v in arrays.items() if not k.startswith(OPTIMIZER_PREFIX)}
    optimizer_state = {k[len(OPTIMIZER_PREFIX):]: v for k, v in arrays.items()
                       if k.startswith(OPTIMIZER_PREFIX)}
    if optimizer is not None and not optimizer_state:
        raise ValueError(f"load: {path} holds no optimizer state (it was saved without "
                         f"optimizer=); load the model alone, or save with the optimizer")
    try:
        model.load_state_dict(model_state)
    except ValueError as exc:
        raise ValueError(f"load: {path} does not fit the model: {exc}") from None
    if optimizer is not None:
        optimizer.load_state_dict(optimizer_state)
    return model
