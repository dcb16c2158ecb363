import math

import matplotlib.image
import numpy as np
import pytest

from keras_deepinit import theory


@pytest.fixture(scope="module")
def diagram():
    return theory.phase_diagram(
        "tanh", 0.05, (1.0, 2.5), max_depth=300, num_sigma_w2=16, num_depths=20
    )


def test_grid(diagram):
    assert diagram.signal.shape == (len(diagram.depth), 16)
    assert diagram.depth[0] == 1 and diagram.depth[-1] == 300
    assert np.all(np.diff(diagram.depth) > 0)
    np.testing.assert_allclose(diagram.sigma_w2[[0, -1]], [1.0, 2.5])
    assert not np.isnan(diagram.signal).any()


def test_six_xi_c_peaks_at_the_critical_point(diagram):
    critical = theory.critical_sigma_w2("tanh", 0.05)
    assert diagram.critical_sigma_w2 == pytest.approx(critical)
    spacing = diagram.sigma_w2[1] - diagram.sigma_w2[0]
    peak = diagram.sigma_w2[np.argmax(diagram.max_depth)]
    assert abs(peak - critical) < spacing
    # It rises towards the peak from both sides.
    left = diagram.max_depth[diagram.sigma_w2 < critical]
    right = diagram.max_depth[diagram.sigma_w2 > critical]
    assert np.all(np.diff(left) > 0) and np.all(np.diff(right) < 0)


def test_signal_decays_at_the_rate_xi_c(diagram):
    for column in (0, 15):  # ordered and chaotic
        xi_c = diagram.max_depth[column] / 6
        signal = diagram.signal[:, column]
        assert np.all(np.diff(signal) <= 1e-12)
        deep = (diagram.depth > 3 * xi_c) & (signal > -10)
        depth, signal = diagram.depth[deep], signal[deep]
        rate = (signal[-1] - signal[0]) / (depth[-1] - depth[0])
        assert rate == pytest.approx(-1 / (xi_c * math.log(10)), rel=0.02)


def test_unbounded_columns_are_blank():
    diagram = theory.phase_diagram("relu", 0.0, (1.0, 3.0), 20, 5, 4)
    beyond = diagram.sigma_w2 > 2
    assert np.isnan(diagram.signal[:, beyond]).all()
    assert np.isnan(diagram.max_depth[beyond]).all()
    assert not np.isnan(diagram.max_depth[~beyond]).any()
    assert diagram.critical_sigma_w2 == pytest.approx(2.0)


def test_plot_writes_a_png(tmp_path):
    out = tmp_path / "figures" / "tanh.png"
    path = theory.plot_phase_diagram(
        "tanh", 0.05, (1.0, 2.5), max_depth=100, out=out, num_sigma_w2=12, num_depths=10
    )
    assert path == str(out)
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 500
    assert image[..., :3].std() > 0.1  # a picture, not a blank canvas


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sigma_w2_range": (2.0, 1.0)}, r"Received: sigma_w2_range=\(2.0, 1.0\)"),
        ({"max_depth": 0}, "Received: max_depth=0"),
        ({"num_sigma_w2": 1}, "Received: num_sigma_w2=1"),
        ({"c0": 1.5}, "Received: c0=1.5"),
        ({"sigma_b2": -1.0}, "Received: sigma_b2=-1.0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        theory.phase_diagram(**{"max_depth": 10, **kwargs})
