"""How the residual stream's variance grows with depth at initialization.

A stem takes images to 8x8 maps of `width` channels; then `num_blocks`
identical residual blocks (`apply_residual_block`, stride 1) follow, and the
variance of the stream is measured after each on real images. De & Smith
(2020): without normalization and with `alpha = 1` it about doubles per block
(`2^d`); with batch normalization it grows by about the input's variance per
block (`d + 1` in units of it); SkipInit at `alpha = 1 / sqrt(d)` multiplies
it by `1 + 1 / d` per block, `e` in all.
"""

import dataclasses

import keras
import numpy as np

from keras_deepinit.apps.nf_resnet.model import apply_residual_block


@dataclasses.dataclass
class _BlockOptions:
    """The fields of `NFResNetConfig` a block reads, at any number of blocks."""

    normalization: str
    alpha_init: float
    num_blocks: int
    conv_bias: bool = True
    dropout: float = 0.0


def stream_variances(normalization, num_blocks, images, width=16, alpha=None, seed=0):
    """The residual stream's variance after the stem and after every block.

    Batch normalization uses the batch's statistics (training mode), as at
    the first step of training.

    Args:
        normalization: `"batchnorm"`, `"skipinit"`, `"fixup"` or `"none"`.
        num_blocks: number of residual blocks `d`.
        images: a batch of images, `(batch, height, width, channels)` with
            height and width divisible by 4.
        width: channels of the stream.
        alpha: SkipInit's initial scalar; None: `1 / sqrt(d)`.
        seed: seed of the kernels.

    Returns:
        Array of `num_blocks + 1` variances: `[0]` after the stem, `[i]`
        after block `i`.
    """
    alpha = 1 / np.sqrt(num_blocks) if alpha is None else alpha
    options = _BlockOptions(normalization, alpha, num_blocks)
    seed = keras.random.SeedGenerator(seed)
    he = keras.initializers.HeNormal(seed=seed)
    stem = keras.Sequential(
        [
            keras.Input(images.shape[1:]),
            keras.layers.Conv2D(width, 3, 2, "same", kernel_initializer=he),
            keras.layers.ReLU(),
            keras.layers.Conv2D(width, 3, 2, "same", kernel_initializer=he),
        ]
    )
    x = stem(images)
    variances = [float(keras.ops.var(x))]
    inputs = keras.Input(x.shape[1:])
    for index in range(num_blocks):
        # Each block is its own small model, called on the stream eagerly:
        # no graph of thousands of layers.
        name = f"block{index + 1}"
        block = keras.Model(
            inputs, apply_residual_block(inputs, width, 1, options, seed, name)
        )
        x = block(x, training=True)
        variances.append(float(keras.ops.var(x)))
    return np.array(variances)
