import numpy as np
import pytest

from keras_deepinit import theory


@pytest.mark.parametrize(
    "weights, variance_per_layer", [("orthogonal", 0), ("gaussian", 1)]
)
def test_linear_network(weights, variance_per_layer):
    # Only the weights spread the spectrum: orthogonal ones are exact isometries.
    depth = np.array([1, 5, 40])
    moments = theory.jacobian_spectrum_moments("linear", 1.0, 0.0, depth, weights)
    np.testing.assert_allclose(moments.m1, 1, rtol=1e-12)
    np.testing.assert_allclose(
        moments.normalized_variance, variance_per_layer * depth, atol=1e-10
    )
    assert moments.depth is not None and moments.m1.shape == (3,)


@pytest.mark.parametrize(
    "weights, variance_per_layer", [("orthogonal", 1), ("gaussian", 2)]
)
def test_critical_relu_cannot_be_isometric(weights, variance_per_layer):
    # phi' is 0 or 1 with equal odds: mu_2 / mu_1^2 - 1 = 1 (Pennington et al.).
    moments = theory.jacobian_spectrum_moments("relu", 2.0, 0.0, 10, weights)
    assert float(moments.m1) == pytest.approx(1, rel=1e-12)
    assert float(moments.normalized_variance) == pytest.approx(
        10 * variance_per_layer, rel=1e-12
    )


def test_moments_are_consistent():
    moments = theory.jacobian_spectrum_moments("tanh", 1.5, 0.05, np.arange(6))
    chi_1 = theory.chi_1("tanh", 1.5, 0.05)
    np.testing.assert_allclose(moments.m1, chi_1 ** np.arange(6), rtol=1e-12)
    np.testing.assert_allclose(
        moments.m2, moments.m1**2 * (1 + moments.normalized_variance), rtol=1e-14
    )
    np.testing.assert_allclose(moments.variance, moments.m2 - moments.m1**2)
    assert moments.normalized_variance[0] == 0
    np.testing.assert_allclose(np.diff(moments.normalized_variance, 2), 0, atol=1e-12)


def test_orthogonal_tanh_nears_isometry_as_q_star_shrinks():
    # On the critical line with less bias, q* shrinks and tanh' is nearly 1.
    variances = []
    for sigma_b2 in (1e-2, 1e-4, 1e-6):
        sigma_w2 = theory.critical_sigma_w2("tanh", sigma_b2)
        moments = theory.jacobian_spectrum_moments(
            "tanh", sigma_w2, sigma_b2, 1000, "orthogonal"
        )
        assert float(moments.m1) == pytest.approx(1, abs=1e-6)
        variances.append(float(moments.normalized_variance))
    assert variances[0] > 10 * variances[1] > 100 * variances[2]
    gaussian = theory.jacobian_spectrum_moments("tanh", 1.0, 1e-6, 1000, "gaussian")
    assert float(gaussian.normalized_variance) > 1000


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"weights": "uniform"}, "Received: weights='uniform'"),
        ({"depth": -1}, r"Received: depth=array\(-1\)"),
        ({"depth": 2.5}, r"Received: depth=array\(2.5\)"),
    ],
)
def test_bad_arguments(kwargs, message):
    arguments = {"depth": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        theory.jacobian_spectrum_moments("tanh", 1.5, 0.05, **arguments)
