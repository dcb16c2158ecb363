import matplotlib
import matplotlib.image
import numpy as np
import pytest

from keras_deepinit.diagnostics import isometry


@pytest.fixture(scope="module")
def spectra():
    # Depth-64 tanh CNN at the paper's critical point (sigma_b^2 = 2.01e-5).
    return isometry.isometry_spectra(
        ("delta_orthogonal", "conv_orthogonal", "gaussian"),
        depth=64,
        width=16,
        spatial=8,
        examples=1,
        seed=0,
    )


def test_delta_orthogonal_is_near_isometric_at_depth_64(spectra):
    assert spectra["delta_orthogonal"].shape == (8 * 8 * 16,)
    assert isometry.fraction_near_one(spectra["delta_orthogonal"]) >= 0.9


def test_conv_orthogonal_is_near_isometric_at_depth_64(spectra):
    assert isometry.fraction_near_one(spectra["conv_orthogonal"]) >= 0.9


def test_critical_gaussian_is_not(spectra):
    assert isometry.fraction_near_one(spectra["gaussian"]) < 0.1
    # Same mean squared singular value (chi_1 = 1), far wider spread.
    assert np.std(np.log(spectra["gaussian"])) > 5 * np.std(
        np.log(spectra["delta_orthogonal"])
    )


def test_plot_spectra_writes_a_png_and_keeps_the_users_backend(spectra, tmp_path):
    previous = matplotlib.get_backend()
    matplotlib.use("pdf")
    try:
        out = isometry.plot_spectra(spectra, str(tmp_path / "spectra.png"))
        assert matplotlib.get_backend() == "pdf"
    finally:
        matplotlib.use(previous)
    assert matplotlib.image.imread(out).shape[2] in (3, 4)


def test_unknown_initializer_is_named():
    with pytest.raises(ValueError, match="Received: kind='he'"):
        isometry.isometry_spectra(("he",), depth=2)
