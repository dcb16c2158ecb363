import re

import keras
import numpy as np
import pytest

from keras_deepinit.ops import orthogonalize
from keras_deepinit.ops import own

from backend_gradients import gradients

TF = keras.config.backend() == "tensorflow"
# TensorFlow computes "eig" in float64; JAX and PyTorch in float32 by SVD.
# Measured: at most 9e-8 on TensorFlow, 1.1e-6 on JAX and PyTorch.
TOLERANCE = 1e-6 if TF else 3e-6

# (rows, cols, group_size): one group, several groups (default and chosen),
# Dense kernels (units x input_dim) and conv kernels (filters x k*k*in).
SHAPES = [
    (4, 6, None),
    (32, 64, None),
    (128, 64, None),  # 4 groups of 32
    (12, 8, 3),
    (12, 8, None),  # 2 groups of 6
    (8, 48, 2),
    (16, 144, None),  # 3x3 conv, 16 -> 16 channels
    (24, 27, None),  # 3x3 conv, 3 -> 24 channels: cond(Vc) up to ~170
    (32, 96, 8),  # width-3 Conv1D, 32 -> 32 channels
    (63, 64, None),  # nearly square
    (10, 3, None),  # 5 groups of 2 rows in the plane of centred vectors
]


def random_v(shape, seed=0, dtype="float32"):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def group_errors(w, group_size):
    """max|W W^T - I| per group, in float64."""
    w = np.asarray(w, np.float64)
    groups = w.reshape(-1, group_size, w.shape[1])
    gram = groups @ groups.transpose(0, 2, 1)
    return np.abs(gram - np.eye(group_size)).max(axis=(1, 2))


def numpy_w(w):
    return keras.ops.convert_to_numpy(w)


def reference(v, group_size=None, epsilon=1e-5, method="eig", iterations=5):
    """OWN and ONI in float64 numpy, ONI in its uncoupled `B_k^3` form."""
    rows, cols = v.shape
    size = own.resolve_group_size(rows, cols, group_size)
    groups = np.asarray(v, np.float64).reshape(-1, size, cols)
    centred = groups - groups.mean(axis=-1, keepdims=True)
    centred /= np.sqrt((centred**2).sum(axis=(1, 2), keepdims=True))
    cov = centred @ centred.transpose(0, 2, 1) + epsilon / size * np.eye(size)
    if method == "eig":
        values, vectors = np.linalg.eigh(cov)
        inverse_sqrt = (vectors / np.sqrt(values)[:, None]) @ vectors.transpose(0, 2, 1)
    else:
        norm = np.sqrt((cov**2).sum(axis=(1, 2), keepdims=True))
        b = np.eye(size)
        for _ in range(iterations):
            b = 1.5 * b - 0.5 * b @ b @ b @ (cov / norm)
        inverse_sqrt = b / np.sqrt(norm)
    return (inverse_sqrt @ centred).reshape(rows, cols)


@pytest.mark.parametrize("rows,cols,group_size", SHAPES)
def test_every_group_is_orthonormal_and_centred_at_zero_epsilon(rows, cols, group_size):
    v = random_v((rows, cols), seed=rows + cols)
    w = numpy_w(orthogonalize(v, group_size=group_size, epsilon=0.0))
    assert w.shape == (rows, cols) and w.dtype == np.float32
    size = own.resolve_group_size(rows, cols, group_size)
    # In float32 throughout, (24, 27) would lose 5e-4.
    assert group_errors(w, size).max() <= TOLERANCE
    # Measured: up to 1.1e-5 for (63, 64) in float32 (JAX, PyTorch).
    np.testing.assert_allclose(w.sum(axis=1), 0.0, atol=1e-5 if TF else 3e-5)
    np.testing.assert_allclose(w, reference(v, group_size, 0.0), atol=1e-4)


def test_groups_are_consecutive_rows_orthogonalized_alone():
    v = random_v((12, 8))
    w = numpy_w(orthogonalize(v, group_size=3, epsilon=0.0))
    for start in range(0, 12, 3):
        alone = numpy_w(orthogonalize(v[start : start + 3], epsilon=0.0))
        np.testing.assert_allclose(w[start : start + 3], alone, atol=TOLERANCE)
    # Rows of different groups are not orthogonal to each other.
    assert np.abs(w @ w.T - np.eye(12)).max() > 0.1


def test_default_group_size_is_the_largest_valid_one():
    assert own.resolve_group_size(32, 64) == 32  # all rows: 32 <= 63
    assert own.resolve_group_size(64, 64) == 32  # 64 > 63
    assert own.resolve_group_size(13, 8) == 1  # 13 is prime
    assert own.valid_group_sizes(12, 8) == [1, 2, 3, 4, 6]


def test_default_epsilon_shrinks_each_eigendirection_as_documented():
    # W W^T has eigenvalues l / (l + epsilon * mean(l)), l those of Vc Vc^T.
    v = random_v((32, 64), seed=3)
    w = numpy_w(orthogonalize(v)).astype(np.float64)
    centred = v.astype(np.float64) - v.mean(axis=1, keepdims=True)
    values = np.linalg.eigvalsh(centred @ centred.T)
    expected = values / (values + 1e-5 * values.mean())
    atol = 2e-7 if TF else 2e-6
    np.testing.assert_allclose(np.linalg.eigvalsh(w @ w.T), expected, atol=atol)
    # Measured: 3.7e-5 for this V, against 2e-8 at epsilon=0.
    deviation = group_errors(w, 32).max()
    assert 1e-5 < deviation < 1e-4


@pytest.mark.parametrize("method", ["eig", "newton"])
def test_invariant_to_row_shifts_and_positive_scaling(method):
    v = random_v((8, 16), seed=4)
    kwargs = {"group_size": 4, "method": method, "iterations": 6}
    w = numpy_w(orthogonalize(v, **kwargs))
    shifts = np.random.default_rng(5).normal(size=(8, 1)).astype("float32")
    np.testing.assert_allclose(
        numpy_w(orthogonalize(v + 3 * shifts, **kwargs)), w, atol=1e-5
    )
    for factor in (1e-3, 7.5, 1e4):
        np.testing.assert_allclose(
            numpy_w(orthogonalize(factor * v, **kwargs)), w, atol=1e-5
        )


@pytest.mark.parametrize(
    "shape,group_size,method,epsilon",
    [
        ((3, 5), None, "eig", 0.0),
        ((4, 5), 2, "eig", 1e-2),
        ((3, 5), None, "newton", 0.0),
        ((4, 5), 2, "newton", 1e-2),
    ],
)
def test_gradient_matches_central_differences(shape, group_size, method, epsilon):
    # Autodiff on the backend against central differences of the float64
    # reference: float64 on TensorFlow, float32 on JAX and PyTorch.
    v = random_v(shape, seed=6, dtype="float64")
    weights = random_v(shape, seed=7, dtype="float64")
    kwargs = {"group_size": group_size, "epsilon": epsilon, "method": method}
    dtype = "float64" if TF else "float32"

    def loss(matrix):
        w = orthogonalize(matrix, iterations=4, **kwargs)
        return keras.ops.sum(w * keras.ops.convert_to_tensor(weights, w.dtype))

    _, (analytic,) = gradients(loss, v.astype(dtype))
    numeric = np.zeros_like(v)
    step = 1e-6
    for index in np.ndindex(*shape):
        delta = np.zeros_like(v)
        delta[index] = step
        plus = reference(v + delta, iterations=4, **kwargs)
        minus = reference(v - delta, iterations=4, **kwargs)
        numeric[index] = ((plus - minus) * weights).sum() / (2 * step)
    assert np.abs(analytic).max() > 0.1
    if TF:
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    else:
        np.testing.assert_allclose(analytic, numeric, rtol=1e-3, atol=1e-4)


def test_newton_iterates_are_onis_algorithm():
    v = random_v((6, 10), seed=8, dtype="float64")
    for k in range(1, 7):
        w = orthogonalize(v, epsilon=0.0, method="newton", iterations=k)
        expected = reference(v, epsilon=0.0, method="newton", iterations=k)
        np.testing.assert_allclose(numpy_w(w), expected, atol=1e-12 if TF else 1e-5)


def test_newton_error_falls_with_iterations_and_stays_at_the_floor():
    v = random_v((32, 64), seed=0)

    def error(iterations):
        w = orthogonalize(v, epsilon=0.0, method="newton", iterations=iterations)
        return group_errors(numpy_w(w), 32).max()

    errors = [error(k) for k in range(1, 11)]
    # Measured on every backend: 0.83, 0.70, 0.50, 0.29, 0.10, 0.016, 6.4e-4,
    # 2e-6, then the float32 floor (about 2e-6).
    assert np.all(np.diff(errors[:8]) < 0)
    assert 0.05 < errors[4] < 0.3
    assert max(errors[7:]) < 1e-5
    # The uncoupled B_k^3 form overflows in float32 by 20 iterations.
    assert error(30) < 1e-5
    eig = numpy_w(orthogonalize(v, epsilon=0.0))
    newton = orthogonalize(v, epsilon=0.0, method="newton", iterations=12)
    np.testing.assert_allclose(numpy_w(newton), eig, atol=1e-5)


@pytest.mark.parametrize("method", ["eig", "newton"])
def test_runs_compiled_on_the_backend(method):
    v = random_v((4, 6))

    def fn(v):
        return orthogonalize(v, group_size=2, method=method)

    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        compiled = tf.function(fn, jit_compile=False)
    elif backend == "jax":
        import jax

        compiled = jax.jit(fn)
    else:
        pytest.skip("PyTorch runs eagerly")
    np.testing.assert_allclose(numpy_w(compiled(v)), numpy_w(fn(v)), atol=1e-6)


def test_keeps_the_dtype():
    half = orthogonalize(random_v((4, 6), dtype="float16"))
    assert keras.backend.standardize_dtype(half.dtype) == "float16"
    if keras.config.backend() != "jax":  # JAX has no float64 without x64
        double = orthogonalize(random_v((4, 6), dtype="float64"))
        assert keras.backend.standardize_dtype(double.dtype) == "float64"


def test_zero_v_gives_zero_w():
    np.testing.assert_array_equal(numpy_w(orthogonalize(np.zeros((3, 5)))), 0.0)


def test_bad_group_size_names_the_valid_choices():
    message = "valid choices: [1, 2, 3, 4, 6]. Received: group_size=5"
    with pytest.raises(ValueError, match=re.escape(message)):
        orthogonalize(random_v((12, 8)), group_size=5)
    with pytest.raises(ValueError, match=re.escape("group_size=8")):
        orthogonalize(random_v((8, 8)), group_size=8)  # > cols - 1
    with pytest.raises(ValueError, match=re.escape("rows=3, cols=1")):
        orthogonalize(random_v((3, 1)))


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"method": "svd"}, "method='svd'"),
        ({"iterations": 0}, "iterations=0"),
        ({"epsilon": -1.0}, "epsilon=-1.0"),
        ({"group_size": 2.0}, "group_size=2.0"),
    ],
)
def test_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=re.escape(f"Received: {name}")):
        orthogonalize(random_v((4, 6)), **kwargs)
    with pytest.raises(ValueError, match=re.escape("v.shape=(4, 6, 1)")):
        orthogonalize(random_v((4, 6, 1)))
