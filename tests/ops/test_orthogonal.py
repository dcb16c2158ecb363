import keras
import numpy as np
import pytest

from keras_deepinit import ops
from keras_deepinit.ops import orthogonal

from kernel_checks import RTOL
from kernel_checks import symbol_singular_values

# Every shape family: 1D/2D/3D, odd, even and mixed kernel sizes, square and
# wide (in_channels < out_channels) channel matrices.
FAMILIES = [
    ((3,), 4, 4),
    ((4,), 3, 5),
    ((1,), 2, 3),
    ((3, 3), 4, 4),
    ((2, 2), 4, 4),
    ((4, 3), 3, 5),
    ((3, 3, 3), 3, 3),
    ((2, 2, 2), 2, 4),
    ((2, 3, 1), 3, 4),
    # Shapes whose broadcasting batch matmul crashes TF 2.21's oneDNN on CPU.
    ((3, 3), 16, 32),
    ((2, 3), 16, 32),
]
KERNEL_FUNCTIONS = [ops.delta_orthogonal_kernels, ops.conv_orthogonal_kernels]


def float64_as_keras_gives_it():
    """What Keras's `Orthogonal` gives for float64, which ours match: float64,
    or float32 where the backend has none (JAX without x64)."""
    kernel = keras.initializers.Orthogonal(seed=0)((2, 2), dtype="float64")
    return keras.backend.standardize_dtype(kernel.dtype)


def orthonormality_atol(dtype):
    """Round-off of a float64 or float32 QR or product of reflections."""
    return 1e-12 if keras.backend.standardize_dtype(dtype) == "float64" else 1e-5


@pytest.mark.parametrize("function", KERNEL_FUNCTIONS)
@pytest.mark.parametrize("kernel_size,in_channels,out_channels", FAMILIES)
def test_every_fourier_symbol_has_all_singular_values_equal_to_gain(
    function, kernel_size, in_channels, out_channels
):
    gain = 1.7
    kernels = function(3, kernel_size, in_channels, out_channels, gain=gain, seed=11)
    assert tuple(kernels.shape) == (3, *kernel_size, in_channels, out_channels)
    assert keras.backend.standardize_dtype(kernels.dtype) == "float32"
    for kernel in keras.ops.convert_to_numpy(kernels):
        values = symbol_singular_values(kernel)
        assert values.shape[-1] == in_channels
        np.testing.assert_allclose(values, gain, rtol=RTOL)


def test_delta_kernels_hold_one_tap_at_the_same_padding_centre():
    kernels = keras.ops.convert_to_numpy(
        ops.delta_orthogonal_kernels(5, (4, 3), 3, 6, gain=0.5, seed=2)
    )
    centre = ops.kernel_center((4, 3))
    assert centre == (1, 1)
    mask = np.zeros((4, 3), dtype=bool)
    mask[centre] = True
    assert np.all(kernels[:, ~mask] == 0)
    for h in kernels[:, centre[0], centre[1]]:
        np.testing.assert_allclose(h @ h.T, 0.25 * np.eye(3), atol=1e-6)
    # Independent samples, not one matrix repeated.
    assert not np.allclose(kernels[0], kernels[1])


def test_conv_orthogonal_kernels_use_every_tap():
    kernels = keras.ops.convert_to_numpy(
        ops.conv_orthogonal_kernels(4, (3, 3), 8, 8, seed=0)
    )
    tap_norms = np.linalg.norm(kernels, axis=(-2, -1))
    # Random projections: with 8 channels a tap is zero only by a fluke.
    assert np.count_nonzero(tap_norms > 1e-3) > 4 * 9 * 0.8
    assert not np.allclose(kernels[0], kernels[1])


def test_kernel_center_is_where_keras_same_padding_reads_the_pixel():
    assert ops.kernel_center((1,)) == (0,)
    assert ops.kernel_center((3, 5)) == (1, 2)
    assert ops.kernel_center((2, 4, 6)) == (0, 1, 2)


@pytest.mark.parametrize("rows,cols", [(4, 4), (3, 7), (7, 3)])
def test_random_orthogonal_has_orthonormal_rows_or_columns(rows, cols):
    q = keras.ops.convert_to_numpy(ops.random_orthogonal(6, rows, cols, seed=3))
    assert q.shape == (6, rows, cols)
    small = min(rows, cols)
    gram = q @ np.swapaxes(q, -1, -2) if rows <= cols else np.swapaxes(q, -1, -2) @ q
    np.testing.assert_allclose(
        gram, np.broadcast_to(np.eye(small), gram.shape), atol=1e-6
    )


@pytest.mark.parametrize("method", ["qr", "products"])
def test_both_methods_draw_haar_matrices(method):
    # Moments of the Haar measure on O(4): entries have mean 0 and variance
    # 1/4, E q^4 = 3 / (n (n + 2)) = 1/8, the trace has moments 0, 1, 0, 3,
    # the determinant is +-1 with equal odds. A QR without the sign
    # correction biases the diagonal; a wrong reflection breaks the moments.
    # Each backend draws its own sample: 160,000 matrices put every tolerance
    # at 4 or more standard errors (tr^4 has sd 9.8: its mean's is 0.024).
    # The round-off is float32's where the backend has no float64 (JAX
    # without x64).
    noise = keras.random.normal((160000, 4, 4), seed=5, dtype="float64")
    q = keras.ops.convert_to_numpy(orthogonal._haar_columns(noise, method=method))
    np.testing.assert_allclose(
        q @ np.swapaxes(q, -1, -2),
        np.broadcast_to(np.eye(4), q.shape),
        atol=orthonormality_atol(noise.dtype),
    )
    assert np.abs(q.mean(axis=0)).max() < 0.01
    np.testing.assert_allclose(q.var(axis=0), 0.25, rtol=0.03)
    np.testing.assert_allclose((q**4).mean(axis=0), 1 / 8, rtol=0.05)
    trace = np.trace(q, axis1=-2, axis2=-1)
    moments = [np.mean(trace**power) for power in (1, 2, 3, 4)]
    np.testing.assert_allclose(moments, [0, 1, 0, 3], atol=0.1)
    assert abs(np.linalg.det(q).mean()) < 0.02


@pytest.mark.parametrize("method", ["qr", "products"])
def test_both_methods_give_orthonormal_columns_of_tall_matrices(method):
    noise = keras.random.normal((5, 9, 4), seed=6)
    q = keras.ops.convert_to_numpy(
        orthogonal._haar_columns(noise, scale=2.0, method=method)
    )
    np.testing.assert_allclose(
        np.swapaxes(q, -1, -2) @ q, np.broadcast_to(4 * np.eye(4), (5, 4, 4)), atol=1e-5
    )


def test_big_batches_take_the_products_method_and_stay_exact():
    # 600 x 64^3 multiply-adds: past the threshold where products beat QR.
    kernels = keras.ops.convert_to_numpy(
        ops.delta_orthogonal_kernels(600, (2,), 48, 64, gain=1.5, seed=0)
    )
    h = kernels[:, 0]
    np.testing.assert_allclose(
        h @ np.swapaxes(h, -1, -2),
        np.broadcast_to(2.25 * np.eye(48), (600, 48, 48)),
        atol=2e-5,
    )
    assert np.all(kernels[:, 1] == 0)


def test_symmetric_projections_are_projections_of_random_rank():
    p = ops.symmetric_projections(200, 6, seed=4, dtype="float64")
    assert keras.backend.standardize_dtype(p.dtype) == float64_as_keras_gives_it()
    atol = orthonormality_atol(p.dtype)
    p = keras.ops.convert_to_numpy(p)
    np.testing.assert_allclose(p, np.swapaxes(p, -1, -2), atol=atol)
    np.testing.assert_allclose(p @ p, p, atol=atol)
    ranks = np.rint(np.trace(p, axis1=-2, axis2=-1))
    # Each direction is kept with probability 1/2: rank ~ Binomial(6, 1/2).
    assert 2.5 < ranks.mean() < 3.5
    assert ranks.min() < 2 and ranks.max() > 4


@pytest.mark.parametrize("function", KERNEL_FUNCTIONS)
def test_seeds_follow_keras_random(function):
    def draw(seed):
        return keras.ops.convert_to_numpy(function(2, (3, 3), 3, 4, seed=seed))

    np.testing.assert_array_equal(draw(7), draw(7))
    assert not np.allclose(draw(7), draw(8))
    generator = keras.random.SeedGenerator(7)
    assert not np.allclose(draw(generator), draw(generator))
    assert not np.allclose(draw(None), draw(None))


@pytest.mark.parametrize("function", KERNEL_FUNCTIONS)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_kernels_come_in_the_requested_dtype(function, dtype):
    kernels = function(2, (3,), 4, 4, gain=1.3, seed=0, dtype=dtype)
    if dtype == "float64":
        dtype = float64_as_keras_gives_it()
    assert keras.backend.standardize_dtype(kernels.dtype) == dtype
    values = symbol_singular_values(
        keras.ops.convert_to_numpy(keras.ops.cast(kernels[0], "float64"))
    )
    # float64 is computed in float64; the others round a float32 kernel.
    rtol = {"float16": 2e-3, "bfloat16": 2e-2, "float32": RTOL, "float64": 1e-12}
    np.testing.assert_allclose(values, 1.3, rtol=rtol[dtype])


@pytest.mark.parametrize("function", KERNEL_FUNCTIONS)
def test_num_none_gives_one_kernel_without_the_leading_axis(function):
    kernel = function(None, (3, 2), 2, 3, seed=4)
    assert tuple(kernel.shape) == (3, 2, 2, 3)
    np.testing.assert_allclose(
        symbol_singular_values(keras.ops.convert_to_numpy(kernel)), 1.0, rtol=RTOL
    )
    assert tuple(ops.random_orthogonal(None, 2, 3, seed=0).shape) == (2, 3)
    assert tuple(ops.symmetric_projections(None, 3, seed=0).shape) == (3, 3)


def test_default_dtype_is_floatx():
    kernels = ops.delta_orthogonal_kernels(1, (1,), 2, 2)
    assert keras.backend.standardize_dtype(kernels.dtype) == keras.config.floatx()


@pytest.mark.parametrize("function", KERNEL_FUNCTIONS)
def test_more_input_than_output_channels_is_refused(function):
    with pytest.raises(ValueError, match="cannot have orthonormal rows") as info:
        function(1, (3, 3), 8, 4)
    assert str(info.value).endswith("Received: in_channels=8, out_channels=4")


@pytest.mark.parametrize("function", KERNEL_FUNCTIONS)
@pytest.mark.parametrize(
    "kwargs,received",
    [
        ({"num": 0}, "Received: num=0"),
        ({"num": 2.0}, "Received: num=2.0"),
        ({"kernel_size": 3}, "Received: kernel_size=3"),
        ({"kernel_size": ()}, r"Received: kernel_size=\(\)"),
        ({"kernel_size": (3, 0)}, r"Received: kernel_size=\(3, 0\)"),
        ({"in_channels": 0}, "Received: in_channels=0"),
        ({"out_channels": True}, "Received: out_channels=True"),
        ({"gain": 0.0}, "Received: gain=0.0"),
        ({"gain": -1}, "Received: gain=-1"),
        ({"gain": "1"}, "Received: gain='1'"),
        ({"gain": float("nan")}, "Received: gain=nan"),
        ({"dtype": "int32"}, "Received: dtype=int32"),
    ],
)
def test_bad_arguments_are_value_errors(function, kwargs, received):
    arguments = {
        "num": 1,
        "kernel_size": (3, 3),
        "in_channels": 2,
        "out_channels": 2,
        **kwargs,
    }
    with pytest.raises(ValueError, match=f"Expected .*{received}$"):
        function(**arguments)


def test_the_initializers_draw_the_first_kernel_of_a_batch():
    from keras_deepinit.initializers import ConvOrthogonal
    from keras_deepinit.initializers import DeltaOrthogonal

    def first_kernel(function, num):
        batch = function(num, (3, 2), 4, 6, gain=1.1, seed=7)
        return keras.ops.convert_to_numpy(batch[0])

    for cls, function in zip(
        (DeltaOrthogonal, ConvOrthogonal), KERNEL_FUNCTIONS, strict=True
    ):
        single = keras.ops.convert_to_numpy(cls(gain=1.1, seed=7)((3, 2, 4, 6)))
        # The same noise as a batch of one, on every backend.
        np.testing.assert_array_equal(single, first_kernel(function, 1))
        # TensorFlow's and JAX's counter-based generators start a bigger draw
        # with the same values. Torch's CPU normal does not: it transforms
        # uniforms 16 at a time and redraws the last 16 when the count is not
        # a multiple of 16.
        if keras.config.backend() != "torch":
            np.testing.assert_array_equal(single, first_kernel(function, 3))
