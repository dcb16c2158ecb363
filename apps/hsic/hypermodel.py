"""The HSIC app's KerasTuner HyperModel: beta and the kernel bandwidth."""

import dataclasses

import keras_tuner

from keras_deepinit.apps.hsic.app import TRAINING_DEFAULTS
from keras_deepinit.apps.hsic.config import HSICConfig
from keras_deepinit.apps.hsic.model import build_hsic_network
from keras_deepinit.training import training_optimizer
from keras_deepinit.tuning import AppHyperModel
from keras_deepinit.tuning import check_range


class HSICHyperModel(AppHyperModel):
    """Tunes `beta` and the kernel bandwidth `sigma` of an HSIC-trained network.

    Both are sampled log-uniformly; their defaults are the config's `beta`
    and (single) sigma. The `HSICTrainer` is compiled as the app compiles
    it: SGD without momentum, weight decay 0.001, learning rate 0.001. The
    objective is the unformatted validation accuracy (the output units
    matched to classes), to maximize. Feed it images scaled to [0, 1]
    (`normalization="scale"`), as the app does.

    Examples:

    >>> hypermodel = HSICHyperModel(HSICConfig(depth=5, width=1024))
    >>> trainer = hypermodel.build(keras_tuner.HyperParameters())

    Args:
        config: an `HSICConfig` with one sigma (default: an MLP with one
            hidden block of 32 units).
        beta_range: `(min, max)` of `beta`.
        sigma_range: `(min, max)` of `sigma`.
        **kwargs: see `AppHyperModel`.

    Reference:
    - [Ma, Lewis & Kleijn, 2020](https://arxiv.org/abs/1908.01580)
    """

    config_class = HSICConfig
    tuned = ("beta", "sigmas")
    objective = keras_tuner.Objective("val_unformatted_accuracy", direction="max")
    default_learning_rate = TRAINING_DEFAULTS["learning_rate"]

    def __init__(
        self,
        config=None,
        *,
        beta_range=(1.0, 1000.0),
        sigma_range=(1.0, 20.0),
        **kwargs,
    ):
        super().__init__(config or HSICConfig(depth=1, width=32), **kwargs)
        if len(self.config.sigmas) != 1:
            raise ValueError(
                f"Expected one sigma to tune. Received: sigmas={self.config.sigmas!r}"
            )
        self.beta_range = check_range("beta_range", beta_range, self.config.beta)
        self.sigma_range = check_range(
            "sigma_range", sigma_range, self.config.sigmas[0]
        )

    @classmethod
    def label(cls, config):
        return (
            f"{config.architecture}_{config.depth}x{config.width}_{config.activation}"
        )

    def build(self, hp):
        beta = hp.Float(
            "beta", *self.beta_range, sampling="log", default=self.config.beta
        )
        sigma = hp.Float(
            "sigma", *self.sigma_range, sampling="log", default=self.config.sigmas[0]
        )
        config = dataclasses.replace(self.config, beta=beta, sigmas=(sigma,))
        network = build_hsic_network(config)
        # Built here from a tuple: built in fit, its build config would hold a
        # TensorShape, which KerasTuner fails to write as JSON after the trial.
        network.build((None, *config.input_shape))
        # The app's SGD: no momentum, weight decay 0.001.
        training = self.training_config(
            optimizer=TRAINING_DEFAULTS["optimizer"],
            momentum=TRAINING_DEFAULTS["momentum"],
            weight_decay=TRAINING_DEFAULTS["weight_decay"],
        )
        network.compile(training_optimizer(training, self.steps or 1))
        return network
