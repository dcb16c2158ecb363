"""Configuration of a CIFAR-style pre-activation Wide-ResNet."""

import dataclasses

from keras_deepinit.checks import check_positive_int

NORMALIZATIONS = ("batchnorm", "skipinit", "fixup", "none")
ARCHITECTURES = ("wide_resnet", "deep_stack")


@dataclasses.dataclass
class NFResNetConfig:
    """A pre-activation residual network with a choice of normalization.

    `architecture="wide_resnet"`: a Wide-ResNet-n-k (Zagoruyko & Komodakis,
    2016): a 3x3 convolution to 16 channels, then three stages of
    `(depth - 4) / 6` residual blocks of widths `16 k`, `32 k`, `64 k`
    (strides 1, 2, 2), each block two 3x3 convolutions; a final activation,
    global average pooling and a dense classifier.

    `architecture="deep_stack"`: for depth itself, a stem of three 3x3
    convolutions (strides 1, 2, 2) to `width` channels (8x8 maps from
    CIFAR-10), then `blocks` identical residual blocks in one looped layer
    (`keras_deepinit.layers.ResidualStack2D`), a final activation, pooling
    and a dense classifier. Thousands of blocks build in seconds.

    Args:
        architecture: `"wide_resnet"` or `"deep_stack"`.
        depth: `n`, with `(n - 4)` divisible by 6 (WRN-16-4: 16);
            `"wide_resnet"` only.
        width_factor: `k`; `"wide_resnet"` only.
        blocks: residual blocks of the `"deep_stack"`.
        width: channels of the `"deep_stack"`.
        normalization: `"batchnorm"` (BN before each activation);
            `"skipinit"` (no normalization, a learnable scalar `alpha`
            at the end of each branch, initially `alpha_init`); `"none"` (the
            same network with `alpha` fixed at 1, which De & Smith show
            cannot train deep); `"fixup"` (Zhang et al., 2019: scalar biases
            before each convolution and activation, a scalar multiplier,
            the last convolution of each branch zero-initialized and the
            first scaled by `1 / sqrt(number of blocks)`).
        alpha_init: SkipInit's initial `alpha`: 0 (the paper's) or at most
            `1 / sqrt(number of blocks)`.
        conv_bias: biases in the convolutions (the paper's SkipInit networks
            keep them; batch normalization makes them redundant).
        dropout: dropout rate between a block's two convolutions (0: none);
            `"wide_resnet"` only.
        num_classes: classifier outputs.
        input_shape: `(height, width, channels)` of the images.
        seed: seed of the initial weights.
    """

    architecture: str = "wide_resnet"
    depth: int = 16
    width_factor: int = 4
    blocks: int = 1000
    width: int = 16
    normalization: str = "skipinit"
    alpha_init: float = 0.0
    conv_bias: bool = True
    dropout: float = 0.0
    num_classes: int = 10
    input_shape: tuple = (32, 32, 3)
    seed: int = 0

    def __post_init__(self):
        for name in ("depth", "width_factor", "blocks", "width", "num_classes"):
            setattr(self, name, check_positive_int(name, getattr(self, name)))
        if self.depth < 10 or (self.depth - 4) % 6:
            raise ValueError(
                "Expected depth to be 6 N + 4 with N >= 1 blocks per stage "
                f"(10, 16, 22, 28, ...). Received: depth={self.depth!r}"
            )
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"Expected architecture to be one of {ARCHITECTURES}. "
                f"Received: architecture={self.architecture!r}"
            )
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(
                f"Expected normalization to be one of {NORMALIZATIONS}. "
                f"Received: normalization={self.normalization!r}"
            )
        if not 0 <= self.dropout < 1:
            raise ValueError(
                f"Expected dropout in [0, 1). Received: dropout={self.dropout!r}"
            )
        if self.architecture == "deep_stack":
            if self.normalization == "fixup" or self.dropout:
                raise ValueError(
                    "The deep_stack architecture has no Fixup and no dropout; "
                    "use architecture='wide_resnet' for them. Received: "
                    f"normalization={self.normalization!r}, dropout={self.dropout!r}"
                )
        self.input_shape = tuple(self.input_shape)

    @property
    def name(self):
        if self.architecture == "deep_stack":
            return f"resnet_{self.blocks}_blocks_{self.normalization}"
        return f"wrn_{self.depth}_{self.width_factor}_{self.normalization}"

    @property
    def blocks_per_stage(self):
        return (self.depth - 4) // 6

    @property
    def num_blocks(self):
        if self.architecture == "deep_stack":
            return self.blocks
        return 3 * self.blocks_per_stage
