r"""The identity registry: one entry, and one source of truth, per identity the book states.

Every identity is a *vector-Jacobian product*: a forward map ``out = f(inputs)``
and a compact formula for ``∂L/∂inputs[wrt]`` given the upstream gradient
``δ = ∂L/∂out``. One entry holds

* ``name``, ``title``, ``latex`` and ``shapes`` for the book and its cheat sheet;
  ``chapter``, the docname of the chapter deriving it, comes from the module
  that registers the entry (``chNN_name.py`` holds the entries of
  ``derivations/NN_name``, see :func:`chapter_of`), so an entry does not state it;
* ``forward`` and ``compact``: the very functions ``nnmath``'s layers run.
  ``compact(delta, out, **inputs)`` is the registry's protocol; a library kernel
  ``<op>_grad_<wrt>(dY, ...)`` enters it through :func:`kernel`, which passes
  ``delta`` first and every other parameter by name;
* ``sample``: random inputs for the numeric check;
* ``symbolic_sizes`` (and, when ``forward`` uses NumPy functions SymPy cannot
  enter, ``symbolic_forward``) for the SymPy check at those sizes, or a custom
  ``proof(compact)``;
* ``tensor_forward`` (optional): the forward written with
  :class:`nnmath.autodiff.Tensor` operations for the third route, built from
  operations *other* than the rule under test (a matrix product from a
  broadcast multiply and a sum, ``tanh`` from ``exp``, ...), so that the engine
  never restates the formula it checks;
* ``convention``: ``"row"`` (the book's row-major convention) or ``"column"``
  (vectors as columns, ``y = W x``); the cheat sheet tags the latter;
* ``all_sizes_proof`` (a callable ``proof(compact) -> ProofResult``) and
  ``all_sizes_method`` (``"index notation"`` or ``"matrix calculus"``), with
  ``all_sizes_twin`` and ``all_sizes_forward`` where the NumPy functions cannot
  take symbolic sizes, or ``all_sizes_missing``, the reason there is no such
  proof (:mod:`.all_sizes` attaches most of them);
* ``extra``: anything a chapter alone needs (a further proof, say).

Three routes check an entry: :meth:`IdentityEntry.prove` (exact, SymPy, at the
sizes listed; :meth:`IdentityEntry.prove_all_sizes` where a proof for every size
exists), :meth:`IdentityEntry.check_numeric` (central finite differences) and
:meth:`IdentityEntry.check_autodiff` (the reverse-mode engine). Each takes an
optional ``compact`` that replaces the entry's formula, so a test can hand
every route a wrong formula and watch it fail.
"""

import inspect
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import numpy as np

from ...gradcheck import norm_relative_error, numeric_gradient
from ..symbolic import ProofResult, prove_vjp, symbol_array

__all__ = ["IdentityEntry", "Kernel", "NumericCheck", "REGISTRY", "register", "get",
           "for_chapter", "chapter_of", "kernel", "ROUTES"]

ROUTES = ("sympy", "finite differences", "autodiff")


@dataclass
class NumericCheck:
    """Outcome of a numeric check: :func:`nnmath.gradcheck.norm_relative_error` against the reference."""

    name: str
    route: str
    rel_error: float
    rtol: float

    @property
    def passed(self):
        return bool(self.rel_error <= self.rtol)

    def __bool__(self):
        return self.passed


class Kernel:
    """A library kernel ``fn(dY, ...)`` called as ``compact(delta, out, **inputs)``.

    Made by :func:`kernel`; see there.
    """

    def __init__(self, fn, names):
        self.fn = fn
        params = list(inspect.signature(fn).parameters.values())
        if not params:
            raise TypeError(f"kernel: {fn.__name__} takes no upstream gradient")
        self.names = dict(names)
        unknown = set(self.names) - {p.name for p in params[1:]}
        if unknown:
            raise TypeError(f"kernel: {fn.__name__} has no parameter {sorted(unknown)}")
        # (parameter, where its value comes from, whether it may be left at its default)
        self.sources = [(p.name, self.names.get(p.name, p.name), p.default is not p.empty)
                        for p in params[1:]]

    def needs(self):
        """The inputs (or ``"out"``) the kernel cannot do without."""
        return {source for _, source, optional in self.sources if not optional}

    def __call__(self, delta, out, **inputs):
        values = {**inputs, "out": out}
        missing = self.needs() - set(values)
        if missing:
            raise TypeError(f"{self!r}: no input named {', '.join(sorted(missing))}")
        return self.fn(delta, **{p: values[s] for p, s, _ in self.sources if s in values})

    def __repr__(self):
        names = "".join(f", {p}={s!r}" for p, s in self.names.items())
        return f"kernel({self.fn.__name__}{names})"


def kernel(fn, **names):
    """Let a library kernel ``<op>_grad_<wrt>(dY, ...)`` serve as an entry's ``compact``.

    The kernel's first parameter receives the upstream gradient ``delta``; every
    other parameter receives the input of the same name, or what ``names`` maps
    it to: ``"out"`` (the forward's output) or another input's name. A parameter
    with a default that no input supplies keeps its default.

    Parameters
    ----------
    fn : callable
        The kernel, e.g. :func:`nnmath.activations.sigmoid_grad_Z` ``(dY, Y)``.
    **names : str
        Parameter name -> ``"out"`` or an input name, e.g. ``Y="out"``.

    Returns
    -------
    Kernel
        Callable as ``compact(delta, out, **inputs)``.

    Examples
    --------
    >>> import numpy as np
    >>> from nnmath.activations import sigmoid_grad_Z
    >>> compact = kernel(sigmoid_grad_Z, Y="out")
    >>> compact(np.ones(2), np.array([0.5, 0.5]), Z=np.zeros(2))
    array([0.25, 0.25])
    """
    return Kernel(fn, names)


def chapter_of(module):
    """The chapter docname of a registry module: ``...identities.ch09_backprop_layers`` ->
    ``derivations/09_backprop_layers``."""
    stem = module.rsplit(".", 1)[-1]
    if not (stem.startswith("ch") and stem[2:4].isdigit()):
        raise ValueError(f"chapter_of: {module!r} is not named chNN_<chapter>")
    return f"derivations/{stem[2:]}"


@dataclass
class IdentityEntry:
    """One identity of the book; see the module docstring for the fields."""

    name: str
    title: str
    latex: str
    shapes: Mapping[str, str]
    forward: Callable
    wrt: str
    compact: Callable  # compact(delta, out, **inputs)
    sample: Callable[[np.random.Generator], dict]
    symbolic_sizes: tuple = ()
    symbolic_forward: Optional[Callable] = None
    proof: Optional[Callable[..., ProofResult]] = None
    tensor_forward: Optional[Callable] = None
    fd_rtol: float = 1e-7
    notes: str = ""
    convention: str = "row"
    chapter: Optional[str] = None  # set by register() from the module's name
    all_sizes_proof: Optional[Callable[..., ProofResult]] = None
    all_sizes_method: Optional[str] = None
    all_sizes_twin: Optional[Callable] = None
    all_sizes_forward: Optional[Callable] = None
    all_sizes_missing: Optional[str] = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.convention not in ("row", "column"):
            raise ValueError(f"IdentityEntry {self.name!r}: convention must be 'row' or "
                             f"'column', got {self.convention!r}")
        stray = [k for k in self.extra if k.startswith("all_sizes")]
        if stray:
            raise ValueError(f"IdentityEntry {self.name!r}: {stray} are fields, not extra keys")
        if isinstance(self.compact, Kernel):
            # a misspelt parameter fails here, at import, not inside a check
            known = set(inspect.signature(self.forward).parameters) | {"out"}
            unknown = self.compact.needs() - known
            if unknown:
                raise ValueError(f"IdentityEntry {self.name!r}: {self.compact!r} needs "
                                 f"{sorted(unknown)}, which is neither 'out' nor an input")

    # -- route 1: exact -----------------------------------------------------
    def prove(self, compact=None):
        """Run the SymPy check at every listed size; return a list of :class:`ProofResult`.

        Parameters
        ----------
        compact : callable, optional
            A formula to check instead of the entry's own (a test hands a wrong
            one to see the route fail). A custom ``proof`` receives it as its
            one argument.
        """
        compact = self.compact if compact is None else compact
        if self.proof is not None:
            result = self.proof(compact)
            return list(result) if isinstance(result, (list, tuple)) else [result]
        forward = self.symbolic_forward or self.forward
        results = []
        for sizes in self.symbolic_sizes:
            inputs = {k: symbol_array(k, shape, real=True) for k, shape in sizes.items()}
            results.append(prove_vjp(forward, inputs, self.wrt, compact,
                                     statement=f"{self.name} at {sizes}"))
        return results

    def prove_all_sizes(self, compact=None):
        """The proof for every size (``all_sizes_proof``), or None if there is none.

        Without ``compact`` it proves the entry's own formula: ``compact``, or
        its twin ``all_sizes_twin`` where the NumPy function cannot run on
        symbolic sizes (:mod:`nnmath.book.identities.all_sizes`).
        """
        if self.all_sizes_proof is None:
            return None
        if compact is None:
            compact = self.all_sizes_twin or self.compact
        return self.all_sizes_proof(compact)

    @property
    def proof_status(self):
        """``"proof for every size"`` or ``"checked at sizes ..."``, as the book shows it."""
        if self.all_sizes_proof is not None:
            return f"proof for every size ({self.all_sizes_method})"
        sizes = "; ".join(", ".join(f"{k} {v}" for k, v in s.items() if v)
                          for s in self.symbolic_sizes)
        return f"checked at sizes {sizes}" if sizes else "checked at fixed sizes"

    # -- route 2: numeric ----------------------------------------------------
    def check_numeric(self, rng, *, inputs=None, compact=None):
        """Compare ``compact`` with central differences of ``<δ, forward(inputs)>``."""
        compact = self.compact if compact is None else compact
        inputs = dict(self.sample(rng) if inputs is None else inputs)
        out = self.forward(**inputs)
        delta = rng.standard_normal(np.shape(out))

        def scalar(v):
            return float(np.sum(delta * self.forward(**{**inputs, self.wrt: v})))

        expected = numeric_gradient(scalar, inputs[self.wrt])
        actual = compact(delta, out, **inputs)
        return NumericCheck(self.name, "finite differences",
                            norm_relative_error(actual, expected), self.fd_rtol)

    # -- route 3: reverse-mode engine ----------------------------------------
    def check_autodiff(self, rng, *, rtol=1e-10, compact=None):
        """Compare ``compact`` with the autodiff engine's gradient of ``<δ, forward>``.

        Returns None when the entry has no ``tensor_forward`` yet.
        """
        if self.tensor_forward is None:
            return None
        from ...autodiff import Tensor  # late import: the engine is optional here

        compact = self.compact if compact is None else compact
        inputs = dict(self.sample(rng))
        out = self.forward(**inputs)
        delta = rng.standard_normal(np.shape(out))
        tensors = {k: Tensor(v) for k, v in inputs.items()}
        (self.tensor_forward(**tensors) * delta).sum().backward()
        actual = compact(delta, out, **inputs)
        return NumericCheck(self.name, "autodiff",
                            norm_relative_error(actual, tensors[self.wrt].grad), rtol)

    @property
    def routes(self):
        """The verification routes this entry supports, in the order of :data:`ROUTES`."""
        have = {"sympy": bool(self.symbolic_sizes or self.proof),
                "finite differences": True,
                "autodiff": self.tensor_forward is not None}
        return tuple(r for r in ROUTES if have[r])


REGISTRY: dict = {}


def register(identity, *, module=None):
    """Add an identity to the registry; names are unique.

    Unless the entry names its chapter, it is the chapter of the registering
    module (:func:`chapter_of`); ``module`` defaults to the caller's.
    """
    if identity.name in REGISTRY:
        raise ValueError(f"register: identity {identity.name!r} is already registered")
    if identity.chapter is None:
        module = module or inspect.currentframe().f_back.f_globals["__name__"]
        identity.chapter = chapter_of(module)
    REGISTRY[identity.name] = identity
    return identity


def get(name):
    """Return the identity called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no identity named {name!r}; known: {', '.join(REGISTRY)}") from None


def for_chapter(chapter):
    """Identities derived in ``chapter`` (a docname such as ``derivations/05_matrix_by_matrix``)."""
    return [i for i in REGISTRY.values() if i.chapter == chapter]
