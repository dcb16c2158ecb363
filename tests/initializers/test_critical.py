import dataclasses
import math

import keras
import numpy as np
import pytest

from keras_deepinit import theory
from keras_deepinit.initializers import ConvOrthogonal
from keras_deepinit.initializers import DeltaOrthogonal
from keras_deepinit.initializers import critical_initializers


@dataclasses.dataclass
class FakePoint:
    sigma_w2: float
    sigma_b2: float


@pytest.fixture
def fake_theory(monkeypatch):
    """A stand-in critical line, sigma_w2 = 1 + 2 sigma_b2, recording calls."""
    calls = []

    def critical_point(activation, sigma_b2=None, sigma_w2=None):
        calls.append((activation, sigma_b2, sigma_w2))
        if sigma_w2 is None:
            return FakePoint(sigma_w2=1.0 + 2.0 * sigma_b2, sigma_b2=sigma_b2)
        return FakePoint(sigma_w2=sigma_w2, sigma_b2=(sigma_w2 - 1.0) / 2.0)

    monkeypatch.setattr(theory, "critical_point", critical_point, raising=False)
    return calls


@pytest.mark.parametrize(
    "kind,cls",
    [("delta_orthogonal", DeltaOrthogonal), ("conv_orthogonal", ConvOrthogonal)],
)
def test_orthogonal_kinds_get_gain_sqrt_sigma_w2(fake_theory, kind, cls):
    kernel, bias = critical_initializers("tanh", sigma_b2=0.125, kind=kind, seed=3)
    assert fake_theory == [("tanh", 0.125, None)]
    assert type(kernel) is cls
    assert kernel.gain == pytest.approx(math.sqrt(1.25))
    assert kernel.seed == 3
    assert isinstance(bias, keras.initializers.RandomNormal)
    assert bias.stddev == pytest.approx(math.sqrt(0.125))
    # The kernel really has norm gain sqrt(sigma_w2) on every frequency.
    values = np.linalg.svd(
        np.fft.fft(keras.ops.convert_to_numpy(kernel((3, 4, 4))), n=8, axis=0),
        compute_uv=False,
    )
    np.testing.assert_allclose(values, math.sqrt(1.25), rtol=1e-5)


def test_sigma_w2_may_be_the_given_coordinate(fake_theory):
    kernel, bias = critical_initializers("tanh", sigma_w2=1.5)
    assert fake_theory == [("tanh", None, 1.5)]
    assert kernel.gain == pytest.approx(math.sqrt(1.5))
    assert bias.stddev == pytest.approx(math.sqrt(0.25))


def test_zero_bias_variance_gives_zeros(fake_theory):
    _, bias = critical_initializers("tanh", sigma_b2=0.0)
    assert isinstance(bias, keras.initializers.Zeros)


def test_gaussian_kind_has_variance_sigma_w2_over_fan_in(fake_theory):
    kernel, bias = critical_initializers("tanh", sigma_b2=0.5, kind="gaussian", seed=0)
    assert isinstance(kernel, keras.initializers.VarianceScaling)
    assert kernel.get_config()["distribution"] == "untruncated_normal"
    values = keras.ops.convert_to_numpy(kernel((3, 3, 64, 64)))
    fan_in = 3 * 3 * 64
    # 36,864 samples: the variance's relative standard error is 0.7%.
    assert np.mean(values) == pytest.approx(0.0, abs=0.01 * math.sqrt(2.0 / fan_in))
    assert np.var(values) == pytest.approx(2.0 / fan_in, rel=0.04)
    biases = keras.ops.convert_to_numpy(bias((20000,)))
    assert np.var(biases) == pytest.approx(0.5, rel=0.04)


def test_int_seed_gives_the_bias_its_own_stream(fake_theory):
    kernel, bias = critical_initializers("tanh", sigma_b2=1.0, kind="gaussian", seed=4)
    assert bias.seed == 5
    kernel_values = keras.ops.convert_to_numpy(kernel((100,)))
    bias_values = keras.ops.convert_to_numpy(bias((100,)))
    assert abs(np.corrcoef(kernel_values, bias_values)[0, 1]) < 0.5


def test_unknown_kind_lists_the_kinds(fake_theory):
    with pytest.raises(
        ValueError,
        match="'delta_orthogonal', 'conv_orthogonal', 'gaussian'. "
        "Received: kind='xavier'",
    ):
        critical_initializers("tanh", sigma_b2=0.1, kind="xavier")


@pytest.mark.parametrize(
    "kwargs,received",
    [
        ({}, "Received: sigma_b2=None, sigma_w2=None"),
        ({"sigma_b2": 0.1, "sigma_w2": 1.2}, "Received: sigma_b2=0.1, sigma_w2=1.2"),
    ],
)
def test_exactly_one_coordinate_must_be_given(fake_theory, kwargs, received):
    with pytest.raises(ValueError, match=f"exactly one of .*{received}"):
        critical_initializers("tanh", **kwargs)
    assert fake_theory == []


def test_real_theory_gives_the_papers_tanh_point():
    # Xiao et al. (2018) train tanh CNNs at (sigma_w2, sigma_b2) = (1.05, 2.01e-5).
    kernel, bias = critical_initializers("tanh", sigma_b2=2.01e-5)
    assert type(kernel) is DeltaOrthogonal
    assert kernel.gain**2 == pytest.approx(1.05, abs=1e-3)
    assert bias.stddev == pytest.approx(math.sqrt(2.01e-5))
