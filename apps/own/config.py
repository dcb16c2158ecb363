"""Configuration of the OWN app's networks."""

import dataclasses

from keras_deepinit.checks import check_positive_int

ARCHITECTURES = ("mlp", "cnn")
METHODS = ("eig", "newton")


@dataclasses.dataclass
class OWNConfig:
    """A deep MLP or a small CNN, with OWN layers or plain ones.

    `"mlp"`: `depth` hidden dense layers of `width` units, then a dense
    classifier. `"cnn"`: `depth` blocks of two 3x3 convolutions of `width`,
    `2 width`, ... filters, each block followed by 2x2 max pooling; global
    average pooling and a dense classifier. With `orthogonal=True` every
    hidden layer is an `OrthogonalDense` / `OrthogonalConv2D`, else a Keras
    `Dense` / `Conv2D` with the same initializer; the classifier is a plain
    `Dense` in both.

    Args:
        architecture: `"mlp"` or `"cnn"`.
        orthogonal: OWN layers (True) or plain ones.
        depth: hidden layers (MLP) or convolution blocks (CNN).
        width: units per hidden layer (MLP) or filters of the first block
            (CNN).
        activation: Keras activation of the hidden layers.
        method: `"eig"` (OWN) or `"newton"` (ONI).
        group_size: rows orthogonalized together; None: the largest valid.
        iterations: Newton iterations.
        learnable_scale: a learnable scale per unit after orthogonalization.
        num_classes: classifier outputs.
        input_shape: `(height, width, channels)` of the images.
        seed: seed of the initial weights.
    """

    architecture: str = "mlp"
    orthogonal: bool = True
    depth: int = 10
    width: int = 256
    activation: str = "tanh"
    method: str = "eig"
    group_size: int | None = None
    iterations: int = 5
    learnable_scale: bool = False
    num_classes: int = 10
    input_shape: tuple = (28, 28, 1)
    seed: int = 0

    def __post_init__(self):
        for name, choices in (("architecture", ARCHITECTURES), ("method", METHODS)):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"Expected {name} to be one of {choices}. "
                    f"Received: {name}={getattr(self, name)!r}"
                )
        names = ["depth", "width", "iterations", "num_classes"]
        if self.group_size is not None:
            names.append("group_size")
        for name in names:
            setattr(self, name, check_positive_int(name, getattr(self, name)))
        self.input_shape = tuple(self.input_shape)

    @property
    def name(self):
        kind = f"own_{self.method}" if self.orthogonal else "plain"
        return f"{self.architecture}_{self.depth}x{self.width}_{kind}"
