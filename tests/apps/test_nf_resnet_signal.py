import numpy as np
import pytest

from keras_deepinit import data
from keras_deepinit.apps.nf_resnet.signal import stream_variances

BLOCKS = 12


@pytest.fixture(scope="module")
def cifar_images(data_dir):
    batches = data.load("cifar10", "test", data_dir=data_dir, batch_size=64)
    return next(iter(batches))[0]


def test_without_normalization_the_variance_grows_exponentially(cifar_images):
    growth = stream_variances("none", BLOCKS, cifar_images)
    growth = growth / growth[0]
    # About 2^d (1.78^d measured at 30 blocks); 1.41^d at the very least.
    assert growth[-1] > 2 ** (BLOCKS / 2)
    assert np.all(np.diff(growth) > 0)


def test_batchnorm_adds_about_a_unit_variance_per_block(cifar_images):
    variances = stream_variances("batchnorm", BLOCKS, cifar_images)
    # Each normalized branch adds about its own unit variance: linear growth.
    slope = np.polyfit(np.arange(BLOCKS + 1), variances, 1)[0]
    assert 0.5 < slope < 1.5
    assert variances[-1] == pytest.approx(variances[0] + BLOCKS, rel=0.3)


def test_skipinit_at_one_over_sqrt_depth_stays_near_e(cifar_images):
    growth = stream_variances("skipinit", BLOCKS, cifar_images)
    assert 1.5 < growth[-1] / growth[0] < 4.0  # (1 + 1 / d)^d -> e


def test_skipinit_at_zero_and_fixup_keep_the_stem_variance(cifar_images):
    for normalization in ("skipinit", "fixup"):
        variances = stream_variances(normalization, 4, cifar_images, alpha=0.0)
        np.testing.assert_allclose(variances, variances[0], rtol=1e-6)
