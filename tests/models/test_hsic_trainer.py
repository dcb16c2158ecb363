import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_deepinit.losses import HSICLoss
from keras_deepinit.models import HSICTrainer
from keras_deepinit.models import build_post_trained
from keras_deepinit.models import build_sigma_combined

from backend_gradients import variable_gradients
from mnist_arrays import load_mnist


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


def test_no_gradient_crosses_blocks(data_dir):
    trainer = small_trainer()
    x, y = load_mnist(data_dir, count=64)
    trainer(x)  # builds
    for i in range(len(trainer.blocks)):

        def loss(i=i):
            _, objectives = trainer.block_objectives(x, y, training=True)
            return objectives[i][0]

        _, gradients = variable_gradients(loss, trainer.trainable_weights)
        for j, block in enumerate(trainer.blocks):
            weights = [w.path for w in block.trainable_weights]
            largest = max(
                np.abs(g).max()
                for g, w in zip(gradients, trainer.trainable_weights, strict=True)
                if w.path in weights
            )
            assert largest > 0 if i == j else largest == 0, (i, j)


# The "cca" solve is ill-conditioned (epsilon m = 6.4e-4 here): in float32 a
# traced step differs from an eager one by about 1%, so it runs eagerly.
@pytest.mark.parametrize("measure, eager", [("cka", False), ("cca", True)])
def test_a_training_step_moves_each_block_by_its_own_objective_only(
    data_dir, measure, eager
):
    x, y = load_mnist(data_dir, count=64)
    trainer = small_trainer(seed=3, measure=measure)
    trainer(x)  # builds
    learning_rate = 0.05
    objective = HSICLoss(beta=100.0, sigma=5.0, measure=measure, num_classes=10)
    # By hand: block i's weights minus the gradient of its own objective,
    # the objective of blocks 0..i run afresh, without stopped gradients.
    expected = []
    for i, block in enumerate(trainer.blocks):

        def loss(i=i):
            hidden = x
            for earlier in trainer.blocks[: i + 1]:
                hidden = earlier(hidden, training=True)
            return objective((x, y), hidden)

        _, gradients = variable_gradients(loss, block.trainable_weights)
        expected += [
            keras.ops.convert_to_numpy(w) - learning_rate * g
            for w, g in zip(block.trainable_weights, gradients, strict=True)
        ]
    trainer.compile(keras.optimizers.SGD(learning_rate), run_eagerly=eager)
    trainer.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    got = [keras.ops.convert_to_numpy(w) for w in trainer.trainable_weights]
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("eager", [True, False])
def test_a_step_runs_the_blocks_once_and_logs_the_objective(data_dir, eager):
    x, y = load_mnist(data_dir, count=32)
    trainer = small_trainer(seed=5, measure="cka")
    trainer(x)  # builds
    runs = []
    block_outputs = trainer.block_outputs
    trainer.block_outputs = lambda *args, **kwargs: (
        runs.append(1) or block_outputs(*args, **kwargs)
    )
    trainer.compile(keras.optimizers.SGD(0.0), run_eagerly=eager)
    logs = trainer.train_on_batch(x, y, return_dict=True)
    # compute_loss read the outputs of the step's call (run, or traced, once).
    assert len(runs) == 1
    _, objectives = trainer.block_objectives(x, y, training=True)
    terms = keras.ops.convert_to_numpy(keras.ops.stack([list(o) for o in objectives]))
    np.testing.assert_allclose(logs["loss"], terms[:, 0].sum(), rtol=1e-5)
    np.testing.assert_allclose(logs["hsic_x"], terms[-1, 1], rtol=1e-5)
    np.testing.assert_allclose(logs["hsic_y"], terms[-1, 2], rtol=1e-5)


def test_fit_learns_mnist_classes_without_a_classifier(data_dir):
    keras.utils.set_random_seed(1)
    x, y = load_mnist(data_dir, count=1280)
    test_x, test_y = load_mnist(data_dir, "test", count=512)
    trainer = small_trainer(seed=1, widths=(256, 128, 10), beta=200.0, sigma=6.0)
    trainer.compile(keras.optimizers.SGD(0.01))
    before = trainer.evaluate(test_x, test_y, 256, return_dict=True, verbose=0)
    history = trainer.fit(x, y, 128, epochs=2, verbose=0).history
    assert set(history) == {"loss", "hsic_x", "hsic_y", "unformatted_accuracy"}
    after = trainer.evaluate(test_x, test_y, 256, return_dict=True, verbose=0)
    assert history["loss"][-1] < history["loss"][0]
    assert after["loss"] < before["loss"]
    assert after["hsic_y"] > before["hsic_y"]
    assert after["unformatted_accuracy"] > 0.6 > before["unformatted_accuracy"]


def test_saves_and_loads(tmp_path, data_dir):
    x, y = load_mnist(data_dir, count=64)
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
    logs = trainer.evaluate(x, y, batch_size=32, return_dict=True, verbose=0)
    restored_logs = restored.evaluate(x, y, batch_size=32, return_dict=True, verbose=0)
    for name, value in logs.items():
        np.testing.assert_allclose(restored_logs[name], value, rtol=1e-5)
    # The optimizer comes back too: training goes on.
    restored.fit(x, y, batch_size=32, epochs=1, verbose=0)


def test_post_training_trains_only_the_classifier(data_dir):
    x, y = load_mnist(data_dir, count=64)
    trainer = small_trainer(seed=4)
    model = build_post_trained(trainer, 10, x.shape[1:])
    frozen = [keras.ops.convert_to_numpy(w) for w in trainer.weights]
    model.compile(
        keras.optimizers.SGD(0.1),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, epochs=2, verbose=0)
    assert [w.path for w in model.trainable_weights] == [
        "classifier/kernel", "classifier/bias"
    ]  # fmt: skip
    for before, after in zip(frozen, trainer.weights, strict=True):
        np.testing.assert_array_equal(before, keras.ops.convert_to_numpy(after))


def test_sigma_combined_averages_frozen_networks(data_dir):
    x, _ = load_mnist(data_dir, count=16)
    networks = [small_trainer(seed=s, sigma=s + 1.0) for s in (5, 9)]
    model = build_sigma_combined(networks, 10, x.shape[1:])
    average = model.get_layer("average")
    combined = keras.Model(model.input, average.output)
    outputs = [keras.ops.convert_to_numpy(n(x, training=False)) for n in networks]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(combined(x)), sum(outputs) / 2, atol=1e-6
    )
    assert {w.path.split("/")[0] for w in model.trainable_weights} == {
        "normalize", "classifier"
    }  # fmt: skip


@pytest.mark.tf_only
def test_no_xla_on_tensorflow():
    # UnformattedAccuracy's tf.numpy_function does not compile with XLA.
    trainer = small_trainer()
    with pytest.warns(UserWarning, match="jit_compile=True"):
        trainer.compile(keras.optimizers.SGD(0.01), jit_compile=True)
    assert trainer.jit_compile is False


def test_needs_blocks():
    with pytest.raises(ValueError, match="blocks=\\[\\]"):
        HSICTrainer([])


MIRRORED_STEP = """
import pathlib, sys
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
import keras
from mnist_arrays import load_mnist
from keras_deepinit.models import HSICTrainer

x, y = load_mnist(pathlib.Path(sys.argv[1]), count=64)


def make():
    blocks = [
        keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(
            32, "tanh", kernel_initializer=keras.initializers.GlorotUniform(7))]),
        keras.layers.Dense(
            10, "tanh", kernel_initializer=keras.initializers.GlorotUniform(8)),
    ]
    return HSICTrainer(blocks, beta=100.0, sigma=5.0, measure="cka", num_classes=10)


# By hand: the average of the two halves' gradients of the summed objectives.
trainer = make()
trainer(x)
expected = [w.numpy() for w in trainer.trainable_weights]
for half in (slice(0, 32), slice(32, 64)):
    with tf.GradientTape() as tape:
        _, objectives = trainer.block_objectives(x[half], y[half], training=True)
        total = tf.add_n([o[0] for o in objectives])
    grads = tape.gradient(total, trainer.trainable_weights)
    expected = [w - 0.05 * g.numpy() / 2 for w, g in zip(expected, grads)]
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = make()
    mirrored.compile(keras.optimizers.SGD(0.05))
mirrored.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(64), verbose=0)
print(max(
    float(np.abs(w.numpy() - e).max())
    for w, e in zip(mirrored.trainable_weights, expected, strict=True)
))
"""


@pytest.mark.tf_only
def test_mirrored_strategy_averages_the_replicas_gradients(data_dir, tmp_path):
    # Two logical CPUs need a fresh TensorFlow: the step runs in a subprocess.
    script = tmp_path / "mirrored_step.py"
    script.write_text(textwrap.dedent(MIRRORED_STEP))
    tests = pathlib.Path(__file__).resolve().parents[1]
    environment = {**os.environ, "PYTHONPATH": str(tests)}
    result = subprocess.run(
        [sys.executable, str(script), str(data_dir)],
        capture_output=True, text=True, env=environment, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert float(result.stdout.split()[-1]) < 1e-6
