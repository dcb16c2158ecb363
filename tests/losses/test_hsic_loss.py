import keras
import numpy as np
import pytest

from keras_deepinit.losses import HSICLoss
from keras_deepinit.losses import hsic_bottleneck
from keras_deepinit.ops import hsic_cca
from keras_deepinit.ops import normalized_hsic
from keras_deepinit.ops.independence import one_hot_labels


def batch(m=16, seed=0):
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(m, 2, 3)).astype("float32")
    labels = np.arange(m) % 4
    hidden = rng.normal(size=(m, 5)).astype("float32")
    return inputs, labels, hidden


def test_loss_is_the_input_term_less_beta_times_the_label_term():
    inputs, labels, hidden = batch()
    y = one_hot_labels(labels, 4)
    expected = float(hsic_cca(hidden, inputs, sigma=2.0)) - 50.0 * float(
        hsic_cca(hidden, y, sigma=2.0)
    )
    loss = HSICLoss(beta=50.0, sigma=2.0, num_classes=4)
    np.testing.assert_allclose(float(loss((inputs, labels), hidden)), expected, 1e-5)
    function = hsic_bottleneck((inputs, labels), hidden, 50.0, 2.0, num_classes=4)
    np.testing.assert_allclose(float(function), expected, 1e-5)


def test_one_hot_targets_and_class_indices_agree_and_cka_is_supported():
    inputs, labels, hidden = batch(seed=1)
    loss = HSICLoss(beta=2.0, sigma=3.0, measure="cka", num_classes=4)
    from_indices = float(loss((inputs, labels[:, None]), hidden))
    from_one_hot = float(loss((inputs, one_hot_labels(labels, 4)), hidden))
    np.testing.assert_allclose(from_indices, from_one_hot, rtol=1e-5)
    expected = float(normalized_hsic(hidden, inputs, sigma=3.0)) - 2.0 * float(
        normalized_hsic(hidden, one_hot_labels(labels, 4), sigma=3.0)
    )
    np.testing.assert_allclose(from_indices, expected, rtol=1e-5)


def test_a_block_that_copies_the_labels_scores_better_than_noise():
    inputs, labels, noise = batch(seed=2)
    loss = HSICLoss(beta=10.0, sigma=1.0, num_classes=4)
    copies = np.asarray(one_hot_labels(labels, 4))
    assert float(loss((inputs, labels), copies)) < float(loss((inputs, labels), noise))


def test_serializes():
    loss = HSICLoss(beta=3.0, sigma=4.0, measure="hsic", kernel="linear", num_classes=7)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, HSICLoss)
    assert restored.get_config() == loss.get_config()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"beta": -1.0}, "beta=-1.0"),
        ({"sigma": 0}, "sigma=0"),
        ({"epsilon": "small"}, "epsilon='small'"),
        ({"measure": "mi"}, "measure='mi'"),
        ({"kernel": "rbf"}, "kernel='rbf'"),
        ({"num_classes": 0}, "num_classes=0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HSICLoss(**kwargs)


def test_class_indices_need_num_classes():
    inputs, labels, hidden = batch()
    with pytest.raises(ValueError, match="num_classes=None"):
        HSICLoss()((inputs, labels), hidden)
