import doctest
import importlib

import numpy as np
import pytest

from keras_deepinit import theory
from keras_deepinit.theory.activations import erf

QS = [1e-6, 0.3, 1.0, 3.0, 30.0]
CS = np.array([-1.0, -0.6, 0.0, 0.5, 0.9, 0.999, 1.0])


def erf_kernel(q, c):
    # E[erf(u1) erf(u2)] for variances q and covariance q c.
    return 2 / np.pi * np.arcsin(2 * q * c / (1 + 2 * q))


def relu_kernel(q, c):
    # The arc-cosine kernel of degree 1 (Cho & Saul, 2009).
    return q / (2 * np.pi) * (np.sqrt(1 - c**2) + (np.pi - np.arccos(c)) * c)


@pytest.mark.parametrize("q", QS)
def test_moments_of_the_normal(q):
    expectation = theory.gaussian_expectation
    assert expectation(lambda u: u**2, q) == pytest.approx(q, rel=1e-13)
    assert expectation(lambda u: u**4, q) == pytest.approx(3 * q**2, rel=1e-13)
    assert expectation(lambda u: u**3 + u, q) == pytest.approx(0, abs=1e-13 * q)


@pytest.mark.parametrize("q", QS)
def test_erf_closed_form_in_one_dimension(q):
    expected = 2 / np.pi * np.arcsin(2 * q / (1 + 2 * q))
    result = theory.gaussian_expectation(lambda u: erf(u) ** 2, q)
    assert result == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("q", QS)
def test_relu_in_one_dimension_is_exact(q):
    result = theory.gaussian_expectation(lambda u: np.maximum(u, 0) ** 2, q)
    assert result == pytest.approx(q / 2, rel=1e-14)
    step = theory.gaussian_expectation(lambda u: (u > 0) * 1.0, q)
    assert step == pytest.approx(0.5, rel=1e-14)


@pytest.mark.parametrize("q", [1e-6, 0.3, 1.0, 3.0])
def test_erf_closed_forms_in_two_dimensions(q):
    result = theory.bivariate_expectation(lambda a, b: erf(a) * erf(b), q, CS)
    np.testing.assert_allclose(result, erf_kernel(q, CS), rtol=1e-8, atol=1e-15)
    # Its derivative kernel, E[erf'(u1) erf'(u2)].
    d = theory.get_activation("erf").derivative
    result = theory.bivariate_expectation(lambda a, b: d(a) * d(b), q, CS)
    expected = 4 / (np.pi * np.sqrt((1 + 2 * q) ** 2 - (2 * q * CS) ** 2))
    np.testing.assert_allclose(result, expected, rtol=1e-8)


@pytest.mark.parametrize("q", QS)
def test_relu_arc_cosine_kernel_including_near_c_1(q):
    relu = theory.get_activation("relu").fn
    result = theory.bivariate_expectation(lambda a, b: relu(a) * relu(b), q, CS)
    np.testing.assert_allclose(result, relu_kernel(q, CS), rtol=1e-12, atol=1e-15)
    # 1 - c at the next layer, relative: where a Gauss-Hermite product rule of
    # 64x64 nodes is off by 1%.
    c = np.array([0.9, 0.99, 0.999])
    gap = theory.bivariate_expectation(lambda a, b: (relu(a) - relu(b)) ** 2, q, c)
    np.testing.assert_allclose(gap, 2 * (q / 2 - relu_kernel(q, c)), rtol=1e-9)


def test_agrees_with_gauss_hermite_on_smooth_integrands():
    # neural-tangents' rule: a product of Gauss-Hermite rules.
    nodes, weights = np.polynomial.hermite.hermgauss(100)
    z, w = np.sqrt(2) * nodes, weights / np.sqrt(np.pi)
    q, c = 0.7, np.array([-0.3, 0.4, 0.95])
    u1 = np.sqrt(q) * z[:, None]
    u2 = np.sqrt(q) * (
        c[:, None, None] * z[:, None] + np.sqrt(1 - c**2)[:, None, None] * z
    )
    hermite = np.einsum("kij,i,j->k", np.tanh(u1) * np.tanh(u2), w, w)
    ours = theory.bivariate_expectation(lambda a, b: np.tanh(a) * np.tanh(b), q, c)
    np.testing.assert_allclose(ours, hermite, rtol=1e-11)


@pytest.mark.parametrize(
    "module",
    [
        "activations",
        "quadrature",
        "mean_field",
        "critical",
        "isometry",
        "phase_diagram",
    ],
)
def test_docstring_examples(module):
    module = importlib.import_module(f"keras_deepinit.theory.{module}")
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, extraglobs={"np": np})
    assert result.failed == 0
