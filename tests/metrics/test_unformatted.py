import keras
import numpy as np
import pytest

from keras_deepinit.metrics import UnformattedAccuracy
from keras_deepinit.metrics import matched_accuracy


def test_matching_is_optimal_where_greedy_is_not():
    # Greedy by largest count takes unit 0 -> class 0 (9), then unit 1 ->
    # class 1 (1): 10. The best matching, 0 -> 1 and 1 -> 0, gets 16.
    counts = np.array([[9, 8], [8, 1]])
    assert matched_accuracy(counts) == pytest.approx(16 / 26)
    assert matched_accuracy(np.zeros((3, 3))) == 0.0


def test_permuted_units_score_like_matched_ones_and_states_accumulate():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, size=200)
    permutation = np.array([3, 0, 4, 1, 2])
    outputs = np.eye(5)[permutation[labels]]
    outputs[:20] = np.eye(5)[(permutation[labels[:20]] + 1) % 5]  # 20 wrong
    metric = UnformattedAccuracy(num_classes=5)
    metric.update_state(labels[:100], outputs[:100])
    metric.update_state(labels[100:], outputs[100:])
    assert float(metric.result()) == pytest.approx(0.9)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_more_units_than_classes_and_sample_weights():
    metric = UnformattedAccuracy(num_classes=2, num_units=3)
    outputs = np.eye(3)[[2, 2, 0, 1]]
    metric.update_state([0, 0, 1, 1], outputs, sample_weight=[1, 1, 3, 1])
    # Unit 2 -> class 0 (weight 2), unit 0 -> class 1 (weight 3); unit 1 unused.
    assert float(metric.result()) == pytest.approx(5 / 6)


def test_in_a_compiled_model_and_serializable():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[UnformattedAccuracy(num_classes=3)],
    )
    x = np.random.default_rng(1).normal(size=(32, 4)).astype("float32")
    y = np.argmax(model.predict(x, verbose=0), -1)  # the units, relabelled
    relabelled = np.array([2, 0, 1])[y]
    logs = model.evaluate(x, relabelled, return_dict=True, verbose=0)
    assert logs["unformatted_accuracy"] == pytest.approx(1.0)
    metric = UnformattedAccuracy(num_classes=3, num_units=4, name="u")
    restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert (restored.num_classes, restored.num_units, restored.name) == (3, 4, "u")


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_classes=0"):
        UnformattedAccuracy(num_classes=0)
    with pytest.raises(ValueError, match=r"y_pred.shape=\(2, 4\)"):
        UnformattedAccuracy(num_classes=3).update_state([0, 1], np.ones((2, 4)))
