"""The registry's plumbing: kernels as compact formulas, chapters from module names, typed fields."""

from dataclasses import replace

import numpy as np
import pytest

from nnmath import activations as act
from nnmath import matmul as mm
from nnmath.book.identities import REGISTRY, IdentityEntry, chapter_of, kernel


def _square(rng, n=3):
    # square X and W, so a kernel fed the wrong one runs and returns a wrong number
    return {"X": rng.standard_normal((n, n)), "W": rng.standard_normal((n, n))}


def test_kernel_passes_delta_first_and_the_inputs_by_name():
    def grad(dY, W, X):  # parameters in another order than the forward's (X, W)
        return ("dY", dY), ("W", W), ("X", X)

    assert kernel(grad)("d", "o", X="x", W="w") == (("dY", "d"), ("W", "w"), ("X", "x"))


def test_kernel_maps_a_parameter_to_the_output():
    Z = np.array([-1.0, 0.0, 2.0])
    Y = act.sigmoid(Z)
    got = kernel(act.sigmoid_grad_Z, Y="out")(np.ones(3), Y, Z=Z)
    np.testing.assert_allclose(got, Y * (1 - Y))


def test_kernel_keeps_a_default_that_no_input_supplies():
    def grad(dY, X, scale=2.0):
        return scale * dY * X

    assert kernel(grad)(1.0, None, X=3.0) == 6.0
    assert kernel(grad)(1.0, None, X=3.0, scale=1.0) == 3.0


def test_a_kernel_fed_the_wrong_input_fails_the_check():
    entry = REGISTRY["matmul_grad_W"]
    inputs = _square(np.random.default_rng(0))
    assert entry.check_numeric(np.random.default_rng(1), inputs=inputs).passed
    swapped = replace(entry, compact=kernel(mm.matmul_grad_W, X="W"))
    assert not swapped.check_numeric(np.random.default_rng(1), inputs=inputs).passed


def test_a_kernel_parameter_that_names_no_input_fails_at_construction():
    entry = REGISTRY["sigmoid_grad_Z"]
    with pytest.raises(ValueError, match="'Y'"):
        replace(entry, compact=kernel(act.sigmoid_grad_Z))  # Y is neither an input nor mapped
    with pytest.raises(TypeError, match="no parameter"):
        kernel(act.sigmoid_grad_Z, P="out")


def test_kernel_without_its_input_says_which():
    with pytest.raises(TypeError, match="no input named X"):
        kernel(mm.matmul_grad_W)(np.ones((2, 2)), None, W=np.ones((2, 2)))


def test_chapter_comes_from_the_module_name():
    assert chapter_of("nnmath.book.identities.ch09_backprop_layers") == \
        "derivations/09_backprop_layers"
    with pytest.raises(ValueError):
        chapter_of("nnmath.book.identities.core")
    assert REGISTRY["vector_matmul_grad_W"].chapter == "derivations/04_vector_by_matrix"
    assert REGISTRY["matmul_grad_W"].chapter == "derivations/05_matrix_by_matrix"


def test_proof_fields_are_typed_not_extra_keys():
    entry = REGISTRY["matmul_grad_W"]
    assert entry.all_sizes_proof is not None and entry.all_sizes_method == "index notation"
    assert REGISTRY["logdet_grad"].all_sizes_missing
    with pytest.raises(ValueError, match="fields, not extra keys"):
        IdentityEntry(name="x", title="x", latex="", shapes={}, forward=lambda X: X, wrt="X",
                      compact=lambda delta, out, X: delta, sample=lambda rng: {},
                      extra={"all_sizes_proof": None})
