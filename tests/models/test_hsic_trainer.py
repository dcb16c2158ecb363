import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit import data
from keras_deepinit.losses import HSICLoss
from keras_deepinit.models import HSICTrainer
from keras_deepinit.models import build_post_trained
from keras_deepinit.models import build_sigma_combined


def dense_block(units, seed, flatten=False):
    layers = [keras.layers.Flatten()] if flatten else []
    return keras.Sequential(
        layers
        + [
            keras.layers.Dense(
                units, kernel_initializer=keras.initializers.GlorotUniform(seed)
            ),
            keras.layers.BatchNormalization(center=False, scale=False),
            keras.layers.ReLU(),
        ]
    )


def small_trainer(seed=0, widths=(32, 16, 10), **kwargs):
    blocks = [dense_block(w, seed + i, flatten=i == 0) for i, w in enumerate(widths)]
    options = dict(beta=100.0, sigma=5.0, num_classes=10)
    return HSICTrainer(blocks, **{**options, **kwargs})


def mnist_batch(data_dir, size=64):
    train = data.load(
        "mnist", "train", data_dir=data_dir, batch_size=size, shuffle=False,
        normalization="scale",
    )  # fmt: skip
    images, labels = next(iter(train))
    return images.numpy(), labels.numpy()


def test_no_gradient_crosses_blocks(data_dir):
    trainer = small_trainer()
    x, y = mnist_batch(data_dir)
    with tf.GradientTape(persistent=True) as tape:
        _, objectives = trainer.block_objectives(x, y, training=True)
    for i, (loss, _, _) in enumerate(objectives):
        for j, block in enumerate(trainer.blocks):
            gradients = tape.gradient(loss, block.trainable_weights)
            if i == j:
                assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in gradients)
            else:
                assert all(g is None for g in gradients), (i, j)


# The "cca" solve is ill-conditioned (epsilon m = 6.4e-4 here): in float32 a
# traced step differs from an eager one by about 1%, so it runs eagerly.
@pytest.mark.parametrize("measure, eager", [("cka", False), ("cca", True)])
def test_a_training_step_moves_each_block_by_its_own_objective_only(
    data_dir, measure, eager
):
    x, y = mnist_batch(data_dir)
    trainer = small_trainer(seed=3, measure=measure)
    trainer(x)  # builds
    learning_rate = 0.05
    objective = HSICLoss(beta=100.0, sigma=5.0, measure=measure, num_classes=10)
    # By hand: block i's weights minus the gradient of its own objective,
    # the objective of blocks 0..i run afresh.
    expected = []
    for i, block in enumerate(trainer.blocks):
        with tf.GradientTape() as tape:
            hidden = x
            for earlier in trainer.blocks[: i + 1]:
                hidden = earlier(hidden, training=True)
            loss = objective((x, y), hidden)
        gradients = tape.gradient(loss, block.trainable_weights)
        expected += [
            w.numpy() - learning_rate * g.numpy()
            for w, g in zip(block.trainable_weights, gradients, strict=True)
        ]
    trainer.compile(keras.optimizers.SGD(learning_rate), run_eagerly=eager)
    trainer.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    got = [w.numpy() for w in trainer.trainable_weights]
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-6)


def test_fit_learns_mnist_classes_without_a_classifier(data_dir):
    keras.utils.set_random_seed(1)
    train = data.load(
        "mnist", "train", data_dir=data_dir, batch_size=128, seed=0,
        normalization="scale", drop_remainder=True,
    ).take(40)  # fmt: skip
    test = data.load(
        "mnist", "test", data_dir=data_dir, batch_size=256, normalization="scale"
    ).take(4)
    trainer = small_trainer(seed=1, widths=(256, 128, 10), beta=200.0, sigma=6.0)
    trainer.compile(keras.optimizers.SGD(0.01))
    before = trainer.evaluate(test, return_dict=True, verbose=0)
    history = trainer.fit(train, epochs=2, verbose=0).history
    assert set(history) == {"loss", "hsic_x", "hsic_y", "unformatted_accuracy"}
    after = trainer.evaluate(test, return_dict=True, verbose=0)
    assert history["loss"][1] < history["loss"][0]
    assert after["hsic_y"] > before["hsic_y"]
    assert after["unformatted_accuracy"] > 0.6 > before["unformatted_accuracy"]


def test_saves_and_loads(tmp_path, data_dir):
    x, y = mnist_batch(data_dir, size=32)
    trainer = small_trainer(seed=2, measure="cka", output_units=10)
    trainer.compile(keras.optimizers.SGD(0.01))
    trainer.fit(x, y, batch_size=32, epochs=1, verbose=0)
    path = tmp_path / "hsic.keras"
    trainer.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored, HSICTrainer)
    assert restored.objective.get_config() == trainer.objective.get_config()
    np.testing.assert_allclose(
        restored.predict(x, verbose=0), trainer.predict(x, verbose=0), atol=1e-6
    )


def test_post_training_trains_only_the_classifier(data_dir):
    x, y = mnist_batch(data_dir)
    trainer = small_trainer(seed=4)
    model = build_post_trained(trainer, 10, x.shape[1:])
    frozen = [w.numpy() for w in trainer.weights]
    model.compile(
        keras.optimizers.SGD(0.1),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, epochs=2, verbose=0)
    assert [w.path for w in model.trainable_weights] == [
        "classifier/kernel", "classifier/bias"
    ]  # fmt: skip
    for before, after in zip(frozen, trainer.weights, strict=True):
        np.testing.assert_array_equal(before, after.numpy())


def test_sigma_combined_averages_frozen_networks(data_dir):
    x, _ = mnist_batch(data_dir, size=16)
    networks = [small_trainer(seed=s, sigma=s + 1.0) for s in (5, 9)]
    model = build_sigma_combined(networks, 10, x.shape[1:])
    average = model.get_layer("average")
    combined = keras.Model(model.input, average.output)
    np.testing.assert_allclose(
        combined(x),
        (networks[0](x, training=False) + networks[1](x, training=False)) / 2,
        atol=1e-6,
    )
    assert {w.path.split("/")[0] for w in model.trainable_weights} == {
        "normalize", "classifier"
    }  # fmt: skip


def test_needs_blocks():
    with pytest.raises(ValueError, match="blocks=\\[\\]"):
        HSICTrainer([])
