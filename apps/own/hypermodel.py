"""The OWN app's KerasTuner HyperModel: the group size and the method."""

import dataclasses
import math

from keras_deepinit.apps.own.config import METHODS
from keras_deepinit.apps.own.config import OWNConfig
from keras_deepinit.apps.own.model import build_own_network
from keras_deepinit.ops.own import valid_group_sizes
from keras_deepinit.tuning import AppHyperModel


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

    @classmethod
    def label(cls, config):
        return f"{config.architecture}_{config.depth}x{config.width}"

    def build(self, hp):
        group_size = hp.Choice(
            "group_size",
            self.group_sizes,
            default=self.config.group_size or self.group_sizes[-1],
        )
        method = hp.Choice("method", METHODS, default=self.config.method)
        config = dataclasses.replace(self.config, group_size=group_size, method=method)
        return self.compile_classifier(build_own_network(config))
