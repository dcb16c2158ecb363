import dataclasses
import math

import keras
import keras_tuner
import numpy as np
import pytest

from keras_deepinit.apps import get_apps
from keras_deepinit.apps.deep_cnn import DeepCNNConfig
from keras_deepinit.apps.deep_cnn.hypermodel import DeepCNNHyperModel
from keras_deepinit.apps.hsic import HSICConfig
from keras_deepinit.apps.hsic.hypermodel import HSICHyperModel
from keras_deepinit.apps.nf_resnet import NFResNetConfig
from keras_deepinit.apps.nf_resnet.hypermodel import NFResNetHyperModel
from keras_deepinit.apps.own import OWNConfig
from keras_deepinit.apps.own import build_own_network
from keras_deepinit.apps.own.hypermodel import OWNHyperModel
from keras_deepinit.apps.own.hypermodel import own_group_sizes
from keras_deepinit.layers import OrthogonalDense
from keras_deepinit.optimizers import LayerwiseAdam
from keras_deepinit.theory import critical_sigma_w2
from keras_deepinit.tuning import AppHyperModel


def fixed(**values):
    """Hyperparameters pinned with `hp.Fixed`, as a tuner would pass them."""
    hp = keras_tuner.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    return hp


def space(hp, name):
    (entry,) = [entry for entry in hp.space if entry.name == name]
    return entry


def body_gram(model):
    """`K K^T` of the first body layer's centre tap: `sigma_w2 I` for
    Delta-Orthogonal kernels."""
    centre = model.get_layer("body").kernel[0].numpy()[1, 1]
    return centre @ centre.T


def test_deep_cnn_defaults_are_the_apps_critical_point():
    hypermodel = DeepCNNHyperModel(DeepCNNConfig(depth=3, width=8))
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    assert hp.values == {"sigma_b2": 2.01e-5, "sigma_w2_ratio": 1.0}
    assert space(hp, "sigma_w2_ratio").sampling == "log"
    np.testing.assert_allclose(body_gram(model), 1.05 * np.eye(8), atol=1e-4)

    # Compiled as the app compiles: cross-entropy on logits, accuracy, and the
    # body at 0.01 / depth.
    images = np.random.default_rng(0).normal(size=(4, 28, 28, 1)).astype("float32")
    labels = np.array([0, 1, 2, 3])
    metrics = model.evaluate(images, labels, return_dict=True, verbose=0)
    expected = keras.losses.sparse_categorical_crossentropy(
        labels, model(images), from_logits=True
    )
    assert set(metrics) == {"loss", "accuracy"}
    np.testing.assert_allclose(metrics["loss"], np.mean(expected), rtol=1e-5)
    assert isinstance(model.optimizer, LayerwiseAdam)
    assert model.optimizer.multipliers == {"body": pytest.approx(1 / 3)}


def test_deep_cnn_samples_sigma_w2_as_a_ratio_of_the_critical_value():
    hypermodel = DeepCNNHyperModel(DeepCNNConfig(depth=3, width=8))
    hp = fixed(sigma_b2=1e-3, sigma_w2_ratio=1.5)
    model = hypermodel.build(hp)
    critical = critical_sigma_w2("tanh", 1e-3)
    assert critical == pytest.approx(1.189, abs=1e-3)
    values = hypermodel.values(hp)
    assert values["critical_sigma_w2"] == critical
    assert values["sigma_w2"] == pytest.approx(1.5 * critical)
    np.testing.assert_allclose(body_gram(model), 1.5 * critical * np.eye(8), atol=1e-4)
    bias = model.get_layer("body").get_config()["bias_initializer"]["config"]
    assert bias["stddev"] == pytest.approx(math.sqrt(1e-3))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sigma_b2_range": (1e-3, 1e-2)}, r"Received: sigma_b2_range=\(0.001, 0.01\)"),
        ({"ratio_range": (1.5, 2.0)}, r"Received: ratio_range=\(1.5, 2.0\)"),
        ({"ratio_range": (0.0, 2.0)}, r"0 < min < max"),
        ({"config": DeepCNNConfig(initializer="glorot")}, "initializer='glorot'"),
        ({"config": DeepCNNConfig(activation="relu")}, "relu has no critical point"),
        ({"config": OWNConfig()}, "Expected config to be a DeepCNNConfig"),
    ],
)
def test_deep_cnn_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeepCNNHyperModel(**kwargs)


def nf_resnet_config(**kwargs):
    return NFResNetConfig(
        architecture="deep_stack", blocks=4, width=8, input_shape=(28, 28, 1), **kwargs
    )


def test_nf_resnet_alpha_and_learning_rate_reach_the_model():
    hypermodel = NFResNetHyperModel(nf_resnet_config(), steps=100)
    hp = fixed(alpha_init=0.25, learning_rate=0.003)
    model = hypermodel.build(hp)
    np.testing.assert_array_equal(model.get_layer("blocks").alpha.numpy(), 0.25)
    schedule = model.optimizer.get_config()["learning_rate"]
    assert schedule["class_name"] == "CosineDecay"
    assert schedule["config"]["initial_learning_rate"] == pytest.approx(0.003)
    assert schedule["config"]["decay_steps"] == 100


def test_nf_resnet_defaults_and_range():
    hypermodel = NFResNetHyperModel(nf_resnet_config(), learning_rate=0.02)
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    assert hp.values == {"alpha_init": 0.0, "learning_rate": 0.02}
    np.testing.assert_array_equal(model.get_layer("blocks").alpha.numpy(), 0.0)
    # SkipInit's bound: alpha at most 1 / sqrt(4 blocks); no steps, no schedule.
    assert space(hp, "alpha_init").max_value == 0.5
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)


@pytest.mark.parametrize(
    "config, message",
    [
        (nf_resnet_config(normalization="batchnorm"), "normalization='batchnorm'"),
        (nf_resnet_config(alpha_init=0.9), "alpha_init=0.9"),
    ],
)
def test_nf_resnet_bad_config(config, message):
    with pytest.raises(ValueError, match=message):
        NFResNetHyperModel(config)


@pytest.mark.parametrize(
    "config, expected",
    [
        # Hidden layers are 12 x 12: 12 itself fits the first layer only.
        (OWNConfig(depth=2, width=12), [1, 2, 3, 4, 6]),
        # The first convolution has 9 inputs per filter: at most 8 rows.
        (OWNConfig(architecture="cnn", depth=2, width=4), [1, 2, 4]),
    ],
)
def test_own_group_sizes_are_those_every_layer_accepts(config, expected):
    assert own_group_sizes(config) == expected
    accepted = []
    for size in range(1, 2 * config.width + 1):
        try:
            build_own_network(dataclasses.replace(config, group_size=size))
        except ValueError:
            continue
        accepted.append(size)
    assert accepted == expected


def test_own_group_size_and_method_reach_every_layer():
    hypermodel = OWNHyperModel(OWNConfig(depth=2, width=12))
    hp = keras_tuner.HyperParameters()
    hypermodel.build(hp)
    assert hp.values == {"group_size": 6, "method": "eig"}  # The largest, the app's.
    assert space(hp, "group_size").values == [1, 2, 3, 4, 6]

    model = hypermodel.build(fixed(group_size=3, method="newton"))
    layers = [layer for layer in model.layers if isinstance(layer, OrthogonalDense)]
    assert len(layers) == 2
    assert all(layer.group_size == 3 and layer.method == "newton" for layer in layers)
    assert model.get_layer("logits").output.shape == (None, 10)


@pytest.mark.parametrize(
    "config, message",
    [
        (OWNConfig(depth=2, width=12, orthogonal=False), "orthogonal=False"),
        (OWNConfig(depth=2, width=12, group_size=12), "group_size=12"),
    ],
)
def test_own_bad_config(config, message):
    with pytest.raises(ValueError, match=message):
        OWNHyperModel(config)


def test_hsic_beta_and_sigma_reach_the_trainer():
    hypermodel = HSICHyperModel(HSICConfig(depth=1, width=16))
    assert hypermodel.objective.name == "val_unformatted_accuracy"
    assert hypermodel.objective.direction == "max"
    hp = keras_tuner.HyperParameters()
    trainer = hypermodel.build(hp)
    assert hp.values == {"beta": 200.0, "sigma": 6.0}
    assert (trainer.objective.beta, trainer.objective.sigma) == (200.0, 6.0)

    trainer = hypermodel.build(fixed(beta=50.0, sigma=2.5))
    assert (trainer.objective.beta, trainer.objective.sigma) == (50.0, 2.5)
    # The app's optimizer: SGD at 0.001, no momentum, weight decay 0.001.
    optimizer = trainer.optimizer.get_config()
    assert trainer.optimizer.__class__.__name__ == "SGD"
    assert optimizer["learning_rate"] == pytest.approx(0.001)
    assert optimizer["momentum"] == 0.0
    assert optimizer["weight_decay"] == pytest.approx(0.001)


def test_hsic_needs_one_sigma():
    with pytest.raises(ValueError, match=r"Received: sigmas=\(1.0, 5.0\)"):
        HSICHyperModel(HSICConfig(sigmas=(1.0, 5.0)))


def test_every_registered_app_declares_a_working_hypermodel():
    for app in get_apps().values():
        hypermodel = app.hypermodel_class
        assert issubclass(hypermodel, AppHyperModel)
        assert hypermodel.config_class is app.config_class
        assert set(hypermodel.tuned) <= {
            field.name for field in dataclasses.fields(app.config_class)
        }
