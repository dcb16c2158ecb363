"""The deep CNN's KerasTuner HyperModel: sigma_w^2 and sigma_b^2 around the
critical line."""

import dataclasses
import os

from keras_deepinit.apps.deep_cnn.config import DeepCNNConfig
from keras_deepinit.apps.deep_cnn.model import build_deep_cnn
from keras_deepinit.theory import critical_sigma_w2
from keras_deepinit.tuning import AppHyperModel
from keras_deepinit.tuning import check_range
from keras_deepinit.tuning import plot_sigma_w2

PLOT_FILE = "sigma_w2.png"


class DeepCNNHyperModel(AppHyperModel):
    """Tunes `sigma_w2` and `sigma_b2` of the deep CNN around the critical line.

    `sigma_b2` is sampled log-uniformly in `sigma_b2_range`, then `sigma_w2`
    as the critical value for it (`keras_deepinit.theory.critical_sigma_w2`)
    times `sigma_w2_ratio`, sampled log-uniformly in `ratio_range`: every
    trial's distance to the critical line is known, and with a range like
    `(0.5, 2)` the line sits mid-range. The defaults, the config's `sigma_b2`
    and a ratio of 1, are the app's default: on the critical line. `values(hp)`
    adds each trial's `sigma_w2` and `critical_sigma_w2`.

    Examples:

    >>> hypermodel = DeepCNNHyperModel(DeepCNNConfig(depth=200, width=8))
    >>> tuner = keras_tuner.RandomSearch(
    ...     hypermodel, objective=hypermodel.objective, max_trials=10
    ... )
    >>> tuner.search(train, epochs=1, validation_data=validation)

    Args:
        config: a `DeepCNNConfig` (default: depth 20, width 8); its
            `sigma_b2` is the default value of `sigma_b2`.
        sigma_b2_range: `(min, max)` of `sigma_b2`.
        ratio_range: `(min, max)` of `sigma_w2` over the critical value.
        body_learning_rate: learning rate of the deep body; None: 0.01 /
            depth, as in `keras-deepinit train deep-cnn`.
        **kwargs: see `AppHyperModel`.

    Reference:
    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """

    config_class = DeepCNNConfig
    tuned = ("sigma_w2", "sigma_b2")
    options = {
        "body_learning_rate": "learning rate of the deep body (default: 0.01 / "
        "depth, as in `train deep-cnn`); --learning-rate is the stem's and the "
        "classifier's",
    }

    def __init__(
        self,
        config=None,
        *,
        sigma_b2_range=(1e-5, 1e-2),
        ratio_range=(0.5, 2.0),
        body_learning_rate=None,
        **kwargs,
    ):
        super().__init__(config or DeepCNNConfig(depth=20, width=8), **kwargs)
        if self.config.initializer == "glorot":
            raise ValueError(
                "Expected an initializer that takes the variances; glorot "
                "ignores them. Received: initializer='glorot'"
            )
        self.sigma_b2_range = check_range(
            "sigma_b2_range", sigma_b2_range, self.config.sigma_b2
        )
        self.ratio_range = check_range("ratio_range", ratio_range, 1.0)
        # Fails now, not in a trial, where the activation has no critical line.
        for sigma_b2 in self.sigma_b2_range:
            critical_sigma_w2(self.config.activation, sigma_b2)
        self.body_learning_rate = body_learning_rate

    @classmethod
    def setup(cls):
        from keras_deepinit import ops

        try:
            ops.one_thread_per_op()  # Faster on a CPU, as `train deep-cnn` runs.
        except RuntimeError:
            pass  # TensorFlow has already started: keep its threading.

    @classmethod
    def label(cls, config):
        return f"{config.depth}x{config.width}_{config.activation}_{config.initializer}"

    def values(self, hp):
        values = dict(hp.values)
        critical = critical_sigma_w2(self.config.activation, values["sigma_b2"])
        values["critical_sigma_w2"] = critical
        values["sigma_w2"] = critical * values["sigma_w2_ratio"]
        return values

    def build(self, hp):
        hp.Float(
            "sigma_b2",
            *self.sigma_b2_range,
            sampling="log",
            default=self.config.sigma_b2,
        )
        hp.Float("sigma_w2_ratio", *self.ratio_range, sampling="log", default=1.0)
        values = self.values(hp)
        config = dataclasses.replace(
            self.config, sigma_w2=values["sigma_w2"], sigma_b2=values["sigma_b2"]
        )
        body_learning_rate = self.body_learning_rate or 0.01 / config.depth
        return self.compile_classifier(
            build_deep_cnn(config),
            multipliers={"body": body_learning_rate / self.learning_rate},
        )

    def write_plots(self, rows, folder, objective, context):
        config = self.config
        title = (
            f"{config.activation} CNN of depth {config.depth}, width {config.width}, "
            f"{context}"
        )
        path = plot_sigma_w2(rows, os.path.join(folder, PLOT_FILE), objective, title)
        return [path] if path else []
