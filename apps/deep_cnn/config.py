"""Configuration of the vanilla deep CNN of Xiao et al. (2018)."""

import dataclasses

from keras_deepinit.checks import check_positive_int
from keras_deepinit.initializers import NETWORK_KINDS as INITIALIZERS
from keras_deepinit.ops.conv_stack import PADDINGS


@dataclasses.dataclass
class DeepCNNConfig:
    """A vanilla CNN: no normalization, no shortcuts.

    Three 3x3 convolutions with strides 1, 2, 2 take the input to `width`
    channels; `depth` 3x3 convolutions of `width` channels follow; then global
    average pooling and a dense classifier.

    Args:
        depth: convolutions of the body (the paper trains 10,000).
        width: channels of every convolution.
        num_classes: classifier outputs.
        input_shape: `(height, width, channels)` of the images.
        activation: activation after every convolution.
        initializer: `"delta_orthogonal"`, `"conv_orthogonal"`, `"gaussian"`
            (variance `sigma_w2 / fan_in`) or `"glorot"` (Keras's
            GlorotNormal, zero biases; ignores the variances).
        stem_initializer: initializer of the three stem convolutions, one of
            the same choices; None uses `initializer`. The default is
            `"conv_orthogonal"`: Delta-Orthogonal kernels are zero off the
            centre tap, so a Delta-Orthogonal stem with strides 2, 2 would
            pass on only every fourth pixel of each row and column.
        sigma_w2: weight variance; None takes the critical value for `sigma_b2`
            from `keras_deepinit.theory`.
        sigma_b2: bias variance (the paper's 10,000-layer runs: 2.01e-5).
        padding: `"circular"` (exact isometry for orthogonal kernels) or
            `"zero"`.
        recompute: recompute activations in the backward pass (memory
            `O(sqrt(depth))` activations).
        dtype: Keras dtype policy of the layers, e.g. `"mixed_bfloat16"`;
            the logits stay float32.
        seed: seed of the initial weights.
    """

    depth: int = 1000
    width: int = 16
    num_classes: int = 10
    input_shape: tuple = (28, 28, 1)
    activation: str = "tanh"
    initializer: str = "delta_orthogonal"
    stem_initializer: str | None = "conv_orthogonal"
    sigma_w2: float | None = None
    sigma_b2: float = 2.01e-5
    padding: str = "circular"
    recompute: bool = False
    dtype: str = "float32"
    seed: int = 0

    def __post_init__(self):
        for name in ("depth", "width", "num_classes"):
            setattr(self, name, check_positive_int(name, getattr(self, name)))
        for name, choices in (
            ("initializer", INITIALIZERS),
            ("stem_initializer", (None, *INITIALIZERS)),
            ("padding", PADDINGS),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"Expected {name} to be one of {choices}. "
                    f"Received: {name}={getattr(self, name)!r}"
                )
        self.input_shape = tuple(self.input_shape)
        if len(self.input_shape) != 3:
            raise ValueError(
                "Expected input_shape to be (height, width, channels). "
                f"Received: input_shape={self.input_shape!r}"
            )
