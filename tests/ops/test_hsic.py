import itertools

import keras
import numpy as np
import pytest

from keras_deepinit.ops import independence
from keras_deepinit.ops.independence import hsic
from keras_deepinit.ops.independence import hsic_cca
from keras_deepinit.ops.independence import kernel_matrix
from keras_deepinit.ops.independence import normalized_hsic
from keras_deepinit.ops.independence import one_hot_labels

from backend_gradients import gradients


def samples(m, features, seed=0):
    return np.random.default_rng(seed).normal(size=(m, features))


def assert_close(actual, desired, rtol):
    """`rtol` for float64 results; 2e-5 at least for float32 ones (JAX
    without x64, and Keras's torch matmul, which returns float32 for float64
    operands)."""
    actual = keras.ops.convert_to_numpy(actual)
    if actual.dtype != np.float64:
        rtol = max(rtol, 2e-5)
    np.testing.assert_allclose(actual, desired, rtol=rtol)


def gretton_triple_sum(k, g):
    """Biased HSIC by Gretton et al.'s sums over indices, normalized 1 / m^2."""
    m = len(k)
    first = sum(k[i, j] * g[i, j] for i, j in itertools.product(range(m), repeat=2))
    second = k.sum() * g.sum() / m**2
    third = sum(
        k[i, j] * g[i, q] for i, j, q in itertools.product(range(m), repeat=3)
    ) * (2 / m)
    return (first + second - third) / m**2


def test_linear_kernel_is_the_cross_covariance_norm():
    x, y = samples(7, 3), samples(7, 2, seed=1)
    xc, yc = x - x.mean(0), y - y.mean(0)
    expected = np.sum((xc.T @ yc) ** 2) / 6**2
    assert_close(hsic(x, y, kernel="linear"), expected, rtol=1e-10)


def test_gaussian_kernel_matches_the_index_sums():
    x, y = samples(6, 4), samples(6, 3, seed=2)
    sigma = 1.5
    k = np.exp(-((x[:, None] - x[None]) ** 2).sum(-1) / (2 * sigma**2 * 4))
    g = np.exp(-((y[:, None] - y[None]) ** 2).sum(-1) / (2 * sigma**2 * 3))
    assert_close(kernel_matrix(x, sigma=sigma), k, rtol=1e-10)
    # tr(KHLH) / (m-1)^2 is the 1 / m^2 estimator times m^2 / (m-1)^2.
    expected = gretton_triple_sum(k, g) * 36 / 25
    assert_close(hsic(x, y, sigma=sigma), expected, rtol=1e-9)


def test_cca_form_matches_the_authors_inverse():
    x, y = samples(10, 5), one_hot_labels(np.arange(10) % 3, 3, dtype="float64")
    sigma, epsilon, m = 2.0, 1e-3, 10
    h = np.eye(m) - 1 / m
    r = []
    for k in (kernel_matrix(x, sigma=sigma), kernel_matrix(y, sigma=sigma)):
        k_c = keras.ops.convert_to_numpy(k).astype("float64") @ h
        r.append(k_c @ np.linalg.inv(k_c + epsilon * m * np.eye(m)))
    expected = np.sum(r[0] * r[1].T)
    got = hsic_cca(x, y, sigma=sigma, epsilon=epsilon)
    assert_close(got, expected, rtol=1e-8)


@pytest.mark.parametrize("estimator", [hsic, normalized_hsic, hsic_cca])
def test_symmetric_and_invariant_to_permuting_label_columns(estimator):
    x = samples(12, 4)
    labels = np.arange(12) % 4
    y = keras.ops.convert_to_numpy(one_hot_labels(labels, 4, dtype="float64"))
    permuted = y[:, [2, 0, 3, 1]]
    value = float(estimator(x, y))
    assert value > 0
    assert_close(estimator(y, x), value, rtol=1e-8)
    assert_close(estimator(x, permuted), value, rtol=1e-8)


def test_normalized_hsic_is_one_for_identical_and_small_for_independent():
    x = samples(30, 3)
    assert_close(normalized_hsic(x, x, sigma=1.0), 1.0, rtol=1e-10)
    dependent = normalized_hsic(x, x[:, :1] ** 2, sigma=1.0)
    independent = normalized_hsic(x, samples(30, 1, seed=5), sigma=1.0)
    assert 0 < independent < dependent <= 1


@pytest.mark.parametrize("kernel", ["gaussian", "linear"])
def test_independent_samples_tend_to_zero_as_m_grows(kernel):
    def mean_value(m):
        values = [
            hsic(samples(m, 3, seed=s), samples(m, 2, seed=100 + s), kernel, 1.0)
            for s in range(5)
        ]
        return float(np.mean(values))

    small, medium, large = mean_value(20), mean_value(80), mean_value(320)
    # The biased estimator of independent samples shrinks like 1 / m.
    assert small > 2 * medium > 4 * large > 0
    dependent = samples(320, 3)
    assert hsic(dependent, dependent[:, :2], kernel, 1.0) > 20 * large


def test_linear_hsic_has_its_closed_form_gradient():
    # d tr(X X^T H K_Y H) / dX = 2 H K_Y H X, over (m - 1)^2.
    x, y = samples(8, 4), samples(8, 3, seed=3)
    value, (grad, _) = gradients(lambda a, b: hsic(a, b, kernel="linear"), x, y)
    h = np.eye(8) - 1 / 8
    expected = 2 * h @ (y @ y.T) @ h @ x / 7**2
    np.testing.assert_allclose(grad, expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("estimator", [normalized_hsic, hsic_cca])
def test_normalized_forms_are_differentiable(estimator):
    x = samples(8, 4).astype("float32")
    y = samples(8, 4, seed=3).astype("float32")
    _, (grad, _) = gradients(lambda a, b: estimator(a, b, sigma=1.0), x, y)
    assert grad.shape == (8, 4) and np.all(np.isfinite(grad))
    assert np.abs(grad).max() > 0


@pytest.mark.tf_only
def test_differentiable_with_an_unknown_batch_size():
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((None, 4), tf.float32)] * 2)
    def gradient(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = hsic_cca(x, y, sigma=1.0) + normalized_hsic(x, y)
        return tape.gradient(value, x)

    x, y = samples(8, 4).astype("float32"), samples(8, 4, seed=3).astype("float32")
    g = gradient(x, y).numpy()
    assert g.shape == (8, 4) and np.all(np.isfinite(g)) and np.abs(g).max() > 0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: kernel_matrix(np.ones((3, 2)), kernel="rbf"), "kernel='rbf'"),
        (lambda: kernel_matrix(np.ones((3, 2)), sigma=0.0), "sigma=0.0"),
        (lambda: hsic(np.ones((3, 2)), np.ones((4, 2))), r"x.shape=\(3, 2\)"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "measure, estimator",
    [("hsic", hsic), ("cka", normalized_hsic), ("cca", hsic_cca)],
)
def test_each_measure_is_the_trace_of_its_two_dependence_kernels(measure, estimator):
    x, y = samples(9, 4), samples(9, 3, seed=7)
    a_x = independence.dependence_kernel(x, measure, sigma=2.0)
    a_y = independence.dependence_kernel(y, measure, sigma=2.0)
    product = keras.ops.convert_to_numpy(keras.ops.matmul(a_x, a_y))
    assert_close(estimator(x, y, sigma=2.0), np.trace(product), rtol=1e-7)


def test_dependence_kernel_rejects_unknown_measures_and_bad_epsilon():
    with pytest.raises(ValueError, match="measure='mi'"):
        independence.dependence_kernel(np.ones((3, 2)), "mi")
    with pytest.raises(ValueError, match="epsilon=0"):
        independence.dependence_kernel(np.ones((3, 2)), "cca", epsilon=0)
