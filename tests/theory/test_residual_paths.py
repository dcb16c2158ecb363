import doctest
import itertools

import numpy as np
import pytest

from keras_deepinit.theory import residual_paths
from keras_deepinit.theory.residual_paths import path_variance_shares
from keras_deepinit.theory.residual_paths import plot_path_variance_shares
from keras_deepinit.theory.residual_paths import residual_stream_variance


def test_shares_match_paths_of_a_random_normalized_linear_network():
    # Monte Carlo: branch i is W_i x / sqrt(Var x), W_i Gaussian of variance
    # 1 / width; each path's output is computed on its own and its variance
    # measured over random inputs of variance 0.5.
    depth, width, variance = 5, 400, 0.5
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(depth, width, width)) / np.sqrt(width)
    x = rng.normal(scale=np.sqrt(variance), size=(width, 200))
    stream = residual_stream_variance(depth, variance)
    measured = np.zeros(depth + 1)
    for path in itertools.product((0, 1), repeat=depth):
        y = x
        for i, through in enumerate(path):
            if through:
                y = weights[i] @ y / np.sqrt(stream[i])
        measured[sum(path)] += np.mean(y**2)
    assert measured.sum() == pytest.approx(variance + depth, rel=0.05)
    np.testing.assert_allclose(
        measured / measured.sum(), path_variance_shares(depth, variance), atol=0.02
    )


def test_shares_sum_to_one_with_the_expected_mean_branch_count():
    depth, variance = 300, 2.0
    shares = path_variance_shares(depth, variance)
    assert shares.shape == (depth + 1,) and shares.sum() == pytest.approx(1.0)
    mean = np.sum(np.arange(depth + 1) * shares)
    assert mean == pytest.approx(np.sum(1 / (variance + np.arange(1, depth + 1))))


def test_ten_thousand_blocks_are_mostly_short_paths():
    shares = path_variance_shares(10_000, max_branches=15)
    assert shares.shape == (16,)
    # Unit input variance: 98.5% through at most 15 of 10,000 branches.
    assert 0.98 < shares.sum() < 0.99
    np.testing.assert_allclose(shares, path_variance_shares(10_000)[:16])


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Received: depth=0"):
        path_variance_shares(0)
    with pytest.raises(ValueError, match="Received: input_variance=-1"):
        path_variance_shares(3, -1)


def test_plot(tmp_path):
    out = plot_path_variance_shares((10, 100), out=str(tmp_path / "a" / "p.png"))
    assert (tmp_path / "a" / "p.png").stat().st_size > 10_000 and out.endswith("p.png")


def test_docstring_examples():
    result = doctest.testmod(residual_paths, verbose=False)
    assert result.attempted and not result.failed
