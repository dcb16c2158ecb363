"""KerasTuner HyperModels of the apps: each `build(hp)` declares its
hyperparameters with defaults and delegates to the app's own builder."""

import argparse
import dataclasses
import math

import keras_tuner

from keras_deepinit.apps import training
from keras_deepinit.apps.deep_cnn import DeepCNNConfig
from keras_deepinit.apps.deep_cnn import build_deep_cnn
from keras_deepinit.apps.hsic import HSICConfig
from keras_deepinit.apps.hsic import build_hsic_network
from keras_deepinit.apps.hsic.train import DEFAULTS as HSIC_DEFAULTS
from keras_deepinit.apps.nf_resnet import NFResNetConfig
from keras_deepinit.apps.nf_resnet.model import build_model as build_nf_resnet
from keras_deepinit.apps.own import OWNConfig
from keras_deepinit.apps.own import build_own_network
from keras_deepinit.apps.own.config import METHODS
from keras_deepinit.ops.own import valid_group_sizes
from keras_deepinit.theory import critical_sigma_w2


def _check_range(name, value_range, default):
    """`value_range` as a tuple, if it is `0 < min < max` around `default`."""
    value_range = tuple(value_range)
    if not (len(value_range) == 2 and 0 < value_range[0] < value_range[1]):
        raise ValueError(
            f"Expected {name} to be (min, max) with 0 < min < max. "
            f"Received: {name}={value_range!r}"
        )
    if not value_range[0] <= default <= value_range[1]:
        raise ValueError(
            f"Expected {name} to contain the default value {default!r}. "
            f"Received: {name}={value_range!r}"
        )
    return value_range


class AppHyperModel(keras_tuner.HyperModel):
    """Base of the apps' HyperModels: the app's config and the apps' optimizer.

    Subclasses set `config_class`, `tuned` (the config fields that `build`
    sets from hyperparameters), `objective` and `default_learning_rate`, and
    implement `build(hp)`.

    Examples:

    >>> class WidthHyperModel(AppHyperModel):
    ...     config_class = OWNConfig
    ...     tuned = ("width",)
    ...
    ...     def build(self, hp):
    ...         width = hp.Choice("width", [64, 128], default=128)
    ...         config = dataclasses.replace(self.config, width=width)
    ...         return self.compile_classifier(build_own_network(config))

    Args:
        config: the app's config dataclass. Every field but the `tuned` ones
            is fixed for the search.
        learning_rate: the learning rate (of the stem and the classifier, for
            the deep CNN); None: the class's `default_learning_rate`.
        steps: optimizer steps of a trial. With it, the learning rate rises
            linearly over `warmup_steps`, then decays to 0 along a cosine by
            the last step, as in the training apps; None keeps it constant.
        warmup_steps: see `steps`.
        **kwargs: `keras_tuner.HyperModel` arguments, such as `name`.
    """

    config_class = None
    tuned = ()
    objective = "val_accuracy"
    default_learning_rate = 0.01

    def __init__(
        self, config, *, learning_rate=None, steps=None, warmup_steps=0, **kwargs
    ):
        super().__init__(**kwargs)
        if not isinstance(config, self.config_class):
            raise ValueError(
                f"Expected config to be a {self.config_class.__name__}. "
                f"Received: config={config!r}"
            )
        self.config = config
        self.learning_rate = learning_rate or self.default_learning_rate
        self.steps = steps
        self.warmup_steps = warmup_steps

    def values(self, hp):
        """A trial's hyperparameter values and what `build` derives from them."""
        return dict(hp.values)

    def training_args(self, learning_rate=None, **options):
        """The training apps' optimizer flags (`apps.training.make_optimizer`):
        Adam, momentum 0.9, no weight decay, unless `options` say otherwise."""
        return argparse.Namespace(
            **{"optimizer": "adam", "momentum": 0.9, "weight_decay": 0.0, **options},
            learning_rate=learning_rate or self.learning_rate,
            warmup_steps=self.warmup_steps if self.steps else 0,
            cosine_decay=self.steps is not None,
        )

    def compile_classifier(self, model, learning_rate=None, multipliers=None):
        """Compiles as the training apps do: cross-entropy on logits, accuracy."""
        training.compile_classifier(
            model, self.training_args(learning_rate), self.steps or 1, multipliers
        )
        return model


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
        self.sigma_b2_range = _check_range(
            "sigma_b2_range", sigma_b2_range, self.config.sigma_b2
        )
        self.ratio_range = _check_range("ratio_range", ratio_range, 1.0)
        # Fails now, not in a trial, where the activation has no critical line.
        for sigma_b2 in self.sigma_b2_range:
            critical_sigma_w2(self.config.activation, sigma_b2)
        self.body_learning_rate = body_learning_rate

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
        self.learning_rate_range = _check_range(
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
        return self.compile_classifier(build_nf_resnet(config), learning_rate)


def own_group_sizes(config):
    """The group sizes valid for every OWN layer of an `OWNConfig`'s network.

    Examples:

    >>> own_group_sizes(OWNConfig(depth=2, width=12))
    [1, 2, 3, 4, 6]
    """
    if config.architecture == "mlp":
        fan_ins = [math.prod(config.input_shape)] + [config.width] * (config.depth - 1)
        shapes = [(config.width, fan_in) for fan_in in fan_ins]
    else:  # Blocks of two 3x3 convolutions, the filters doubling per block.
        shapes, channels = [], config.input_shape[-1]
        for block in range(config.depth):
            filters = config.width * 2**block
            shapes += [(filters, 9 * channels), (filters, 9 * filters)]
            channels = filters
    sizes = set(valid_group_sizes(*shapes[0]))
    for shape in shapes[1:]:
        sizes &= set(valid_group_sizes(*shape))
    return sorted(sizes)


class OWNHyperModel(AppHyperModel):
    """Tunes the group size and the method of Orthogonal Weight Normalization.

    `group_size` is a choice among `own_group_sizes(config)`, the sizes valid
    for every layer; `method` among `"eig"` (OWN) and `"newton"` (ONI).
    Their defaults are the config's (for `group_size=None`, the largest).

    Examples:

    >>> hypermodel = OWNHyperModel(OWNConfig(depth=10, width=256))
    >>> model = hypermodel.build(keras_tuner.HyperParameters())

    Args:
        config: an `OWNConfig` with `orthogonal=True` (default: an MLP of 2
            layers of 16 units).
        **kwargs: see `AppHyperModel`.

    Reference:
    - [Huang et al., 2018](https://arxiv.org/abs/1709.06079)
    """

    config_class = OWNConfig
    tuned = ("group_size", "method")

    def __init__(self, config=None, **kwargs):
        super().__init__(config or OWNConfig(depth=2, width=16), **kwargs)
        if not self.config.orthogonal:
            raise ValueError(
                "Expected a network of OWN layers, orthogonal=True. "
                f"Received: orthogonal={self.config.orthogonal!r}"
            )
        self.group_sizes = own_group_sizes(self.config)
        default = self.config.group_size or self.group_sizes[-1]
        if default not in self.group_sizes:
            raise ValueError(
                f"Expected group_size to be one of {self.group_sizes}, the sizes "
                f"valid for every layer. Received: group_size={default!r}"
            )

    def build(self, hp):
        group_size = hp.Choice(
            "group_size",
            self.group_sizes,
            default=self.config.group_size or self.group_sizes[-1],
        )
        method = hp.Choice("method", METHODS, default=self.config.method)
        config = dataclasses.replace(self.config, group_size=group_size, method=method)
        return self.compile_classifier(build_own_network(config))


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
    default_learning_rate = HSIC_DEFAULTS["learning_rate"]

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
        self.beta_range = _check_range("beta_range", beta_range, self.config.beta)
        self.sigma_range = _check_range(
            "sigma_range", sigma_range, self.config.sigmas[0]
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
        args = self.training_args(
            optimizer=HSIC_DEFAULTS["optimizer"],
            momentum=HSIC_DEFAULTS["momentum"],
            weight_decay=HSIC_DEFAULTS["weight_decay"],
        )
        network.compile(training.make_optimizer(args, self.steps or 1))
        return network
