"""The residual networks' KerasTuner HyperModel: SkipInit's alpha and the
learning rate."""

import dataclasses
import math

from keras_deepinit.apps.nf_resnet.config import NFResNetConfig
from keras_deepinit.apps.nf_resnet.model import build_model
from keras_deepinit.tuning import AppHyperModel
from keras_deepinit.tuning import check_range


class NFResNetHyperModel(AppHyperModel):
    """Tunes SkipInit's initial `alpha` and the learning rate of a residual
    network without normalization.

    `alpha_init` is sampled uniformly in `[0, 1 / sqrt(number of blocks)]`
    (De & Smith's bound), the learning rate log-uniformly in
    `learning_rate_range`; their defaults are the config's `alpha_init` and
    `learning_rate`.

    Examples:

    >>> config = NFResNetConfig(architecture="deep_stack", blocks=100)
    >>> hypermodel = NFResNetHyperModel(config)
    >>> model = hypermodel.build(keras_tuner.HyperParameters())

    Args:
        config: an `NFResNetConfig` with `normalization="skipinit"` (default:
            a deep stack of 4 blocks of width 8).
        learning_rate_range: `(min, max)` of the learning rate.
        **kwargs: see `AppHyperModel`.

    Reference:
    - [De & Smith, 2020](https://arxiv.org/abs/2002.10444)
    """

    config_class = NFResNetConfig
    tuned = ("alpha_init",)
    tunes_learning_rate = True

    def __init__(self, config=None, *, learning_rate_range=(1e-3, 1e-1), **kwargs):
        config = config or NFResNetConfig(architecture="deep_stack", blocks=4, width=8)
        super().__init__(config, **kwargs)
        if self.config.normalization != "skipinit":
            raise ValueError(
                "Expected normalization='skipinit', the one with alpha. "
                f"Received: normalization={self.config.normalization!r}"
            )
        self.alpha_max = 1.0 / math.sqrt(self.config.num_blocks)
        if not 0 <= self.config.alpha_init <= self.alpha_max:
            raise ValueError(
                f"Expected alpha_init in [0, {self.alpha_max:g}] (1 / sqrt of the "
                f"number of blocks). Received: alpha_init={self.config.alpha_init!r}"
            )
        self.learning_rate_range = check_range(
            "learning_rate_range", learning_rate_range, self.learning_rate
        )

    def build(self, hp):
        alpha_init = hp.Float(
            "alpha_init", 0.0, self.alpha_max, default=self.config.alpha_init
        )
        learning_rate = hp.Float(
            "learning_rate",
            *self.learning_rate_range,
            sampling="log",
            default=self.learning_rate,
        )
        config = dataclasses.replace(self.config, alpha_init=alpha_init)
        return self.compile_classifier(build_model(config), learning_rate)
