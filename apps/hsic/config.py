"""Configuration of the HSIC app's networks."""

import dataclasses
import numbers

from keras_deepinit.checks import check_positive_int
from keras_deepinit.losses.hsic import check_hsic_options

ARCHITECTURES = ("mlp", "resconv")


@dataclasses.dataclass
class HSICConfig:
    """A network of the HSIC bottleneck paper, as in the authors' code.

    Every block is a linear map (dense or 5x5 convolution, PyTorch's default
    initialization), batch normalization without scale or offset, and
    `activation`; each block is one HSIC-trained unit.

    `"mlp"`: a dense block of `width` units on the flattened input, `depth`
    more of `width`, and an output block of `output_units`. `"resconv"`: a
    5x5 convolution of `width` channels with stride 2, `depth` residual
    blocks (convolution, normalization, activation, plus the block's input,
    normalization, activation), and a dense output block of `output_units` on
    the flattened maps.

    Args:
        architecture: `"mlp"` or `"resconv"`.
        depth: hidden blocks between the first block and the output block.
        width: units (MLP) or channels (resconv) of the hidden blocks.
        output_units: units of the output block; the number of classes for
            an output read directly (unformatted).
        activation: Keras activation of every block.
        beta: the weight of the label term (`lambda_y` in the authors' code).
        sigmas: Gaussian kernel bandwidths; one network per sigma, and with
            several, their outputs combined (the sigma-combined network).
        measure: `"cca"` (the authors'), `"cka"` or `"hsic"`.
        epsilon: the `"cca"` regularizer.
        num_classes: classes of the data set.
        input_shape: `(height, width, channels)` of the images.
        seed: seed of the initial weights.
    """

    architecture: str = "mlp"
    depth: int = 5
    width: int = 1024
    output_units: int = 10
    activation: str = "relu"
    beta: float = 200.0
    sigmas: tuple = (6.0,)
    measure: str = "cca"
    epsilon: float = 1e-5
    num_classes: int = 10
    input_shape: tuple = (28, 28, 1)
    seed: int = 0

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"Expected architecture to be one of {ARCHITECTURES}. "
                f"Received: architecture={self.architecture!r}"
            )
        for name in ("depth", "width", "output_units", "num_classes"):
            value = getattr(self, name)
            low = 0 if name == "depth" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(
                    f"Expected {name} to be an integer of at least {low}. "
                    f"Received: {name}={value!r}"
                )
        self.sigmas = tuple(self.sigmas)
        if not self.sigmas or not all(
            isinstance(s, numbers.Real) and not isinstance(s, bool) for s in self.sigmas
        ):
            raise ValueError(
                "Expected sigmas to be one or more numbers. "
                f"Received: sigmas={self.sigmas!r}"
            )
        for sigma in self.sigmas:
            check_hsic_options(
                self.beta, sigma, self.measure, self.epsilon, "gaussian", None
            )
        self.input_shape = tuple(self.input_shape)

    @property
    def name(self):
        sigmas = "_".join(f"{s:g}" for s in self.sigmas)
        return (
            f"{self.architecture}_{self.depth}x{self.width}_{self.activation}"
            f"_sigma{sigmas}"
        )


@dataclasses.dataclass(frozen=True)
class PostTrainingConfig:
    """The post-training of a classifier on HSIC-trained networks: SGD with
    momentum 0.9 on the frozen networks' outputs.

    Args:
        epochs: epochs of post-training.
        steps: stop post-training after this many steps; None: `epochs`.
        learning_rate: SGD's learning rate.
    """

    epochs: int = 1
    steps: int | None = None
    learning_rate: float = 0.1

    def __post_init__(self):
        check_positive_int("epochs", self.epochs)
        check_positive_int("steps", self.steps, allow_none=True)
        if not self.learning_rate > 0:
            raise ValueError(
                "Expected learning_rate to be positive. "
                f"Received: learning_rate={self.learning_rate!r}"
            )
