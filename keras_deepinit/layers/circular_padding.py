import numbers

import keras


class _CircularPadding(keras.layers.Layer):
    """Base of `CircularPadding1D/2D/3D`; `rank` is the number of spatial axes."""

    rank = None

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standardize_data_format(data_format)
        self._pairs = _standardize_padding(padding, self.rank)
        self.padding = self._pairs[0] if self.rank == 1 else self._pairs
        self.input_spec = keras.layers.InputSpec(ndim=self.rank + 2)

    @classmethod
    def for_kernel(cls, kernel_size, **kwargs):
        """The padding before a "valid" convolution that makes it circular.

        Pads `((k - 1) // 2, k // 2)` on each spatial axis, the split Keras's
        "same" padding uses, so that the convolution with `padding="valid"`
        keeps the input size and output pixel `p` reads input pixel `p`
        through tap `(k - 1) // 2`, with the borders wrapped around.

        Args:
            kernel_size: Int or tuple of ints, one per spatial axis.
            **kwargs: Other arguments of the layer (`data_format`, `name`).

        Returns:
            The layer.
        """
        if isinstance(kernel_size, numbers.Integral) and not isinstance(
            kernel_size, bool
        ):
            kernel_size = (kernel_size,) * cls.rank
        if (
            not isinstance(kernel_size, (tuple, list))
            or len(kernel_size) != cls.rank
            or any(
                isinstance(size, bool)
                or not isinstance(size, numbers.Integral)
                or size < 1
                for size in kernel_size
            )
        ):
            raise ValueError(
                f"Expected `kernel_size` to be a positive int or a tuple of "
                f"{cls.rank} positive ints. Received: kernel_size={kernel_size!r}"
            )
        padding = tuple(((size - 1) // 2, size // 2) for size in kernel_size)
        return cls(padding=padding, **kwargs)

    def _spatial_axes(self):
        offset = 2 if self.data_format == "channels_first" else 1
        return tuple(range(offset, offset + self.rank))

    def _check_sizes(self, input_shape):
        for axis, (before, after) in zip(
            self._spatial_axes(), self._pairs, strict=True
        ):
            size = input_shape[axis]
            if size is not None and max(before, after) > size:
                raise ValueError(
                    f"`{type(self).__name__}` wraps each spatial axis around at "
                    "most once: each padding must not exceed the input size on "
                    f"its axis, here {size} on axis {axis}. Received: "
                    f"padding={self.padding}, input_shape={tuple(input_shape)}"
                )

    def build(self, input_shape):
        self._check_sizes(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_sizes(input_shape)
        output_shape = list(input_shape)
        for axis, (before, after) in zip(
            self._spatial_axes(), self._pairs, strict=True
        ):
            if output_shape[axis] is not None:
                output_shape[axis] += before + after
        return tuple(output_shape)

    def call(self, inputs):
        self._check_sizes(tuple(inputs.shape))
        outputs = inputs
        for axis, (before, after) in zip(
            self._spatial_axes(), self._pairs, strict=True
        ):
            parts = []
            if before:
                parts.append(_slice(outputs, axis, -before, None))
            parts.append(outputs)
            if after:
                parts.append(_slice(outputs, axis, None, after))
            if len(parts) > 1:
                outputs = keras.ops.concatenate(parts, axis=axis)
        return outputs

    def get_config(self):
        config = {"padding": self.padding, "data_format": self.data_format}
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="keras_deepinit")
class CircularPadding1D(_CircularPadding):
    """Circular (wrap-around) padding layer for 1D input (e.g. sequences).

    Pads the steps axis with copies of the other end of the input, so that a
    following convolution with `padding="valid"` is a circular convolution:
    `CircularPadding1D(((k - 1) // 2, k // 2))` (or
    `CircularPadding1D.for_kernel(k)`) then `Conv1D(..., k, padding="valid")`
    is the exact circular convolution of the isometry setting of Xiao et al.
    (2018), which keeps the input length and under which `ConvOrthogonal`
    kernels preserve norms exactly. Keras has no such padding (`keras.ops.pad`
    has no "wrap" mode); this one is built from slices and `concatenate`.

    Examples:

    >>> x = np.arange(4, dtype="float32").reshape((1, 4, 1))
    >>> y = CircularPadding1D(padding=(1, 2))(x)
    >>> keras.ops.convert_to_numpy(y)[0, :, 0].tolist()
    [3.0, 0.0, 1.0, 2.0, 3.0, 0.0, 1.0]

    Args:
        padding: Int, or tuple of 2 ints, all at most the input length.
            - If int: the number of steps added at both ends.
            - If tuple of 2 ints: `(left_pad, right_pad)`.
        data_format: `"channels_last"` (`(batch, steps, channels)`, the
            default) or `"channels_first"` (`(batch, channels, steps)`). When
            unspecified, uses `keras.config.image_data_format()`.
        **kwargs: Base layer keyword arguments, such as `name`.

    Reference:

    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


@keras.saving.register_keras_serializable(package="keras_deepinit")
class CircularPadding2D(_CircularPadding):
    """Circular (wrap-around) padding layer for 2D input (e.g. pictures).

    Pads each spatial axis with copies of its other end (the input lives on
    a torus), so that a following convolution with `padding="valid"` is a
    circular convolution: `CircularPadding2D(((k1 - 1) // 2, k1 // 2),
    ((k2 - 1) // 2, k2 // 2)))` (or `CircularPadding2D.for_kernel((k1, k2))`)
    then `Conv2D(..., (k1, k2), padding="valid")` is the exact circular
    convolution of the isometry setting of Xiao et al. (2018), which keeps the
    input size and under which `ConvOrthogonal` kernels preserve norms
    exactly. Keras has no such padding (`keras.ops.pad` has no "wrap" mode);
    this one is built from slices and `concatenate`.

    Examples:

    >>> x = np.arange(4, dtype="float32").reshape((1, 2, 2, 1))
    >>> y = CircularPadding2D(padding=1)(x)
    >>> keras.ops.convert_to_numpy(y)[0, :, :, 0].astype(int).tolist()
    [[3, 2, 3, 2], [1, 0, 1, 0], [3, 2, 3, 2], [1, 0, 1, 0]]

    Args:
        padding: Int, or tuple of 2 ints, or tuple of 2 tuples of 2 ints, all
            at most the input size on their axis.
            - If int: the same symmetric padding for height and width.
            - If tuple of 2 ints: `(symmetric_height_pad, symmetric_width_pad)`.
            - If tuple of 2 tuples of 2 ints:
              `((top_pad, bottom_pad), (left_pad, right_pad))`.
        data_format: `"channels_last"` (`(batch, height, width, channels)`,
            the default) or `"channels_first"`
            (`(batch, channels, height, width)`). When unspecified, uses
            `keras.config.image_data_format()`.
        **kwargs: Base layer keyword arguments, such as `name`.

    Reference:

    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


@keras.saving.register_keras_serializable(package="keras_deepinit")
class CircularPadding3D(_CircularPadding):
    """Circular (wrap-around) padding layer for 3D input (e.g. volumes).

    Pads each spatial axis with copies of its other end, so that a following
    convolution with `padding="valid"` is a circular convolution: padding
    `((k - 1) // 2, k // 2)` on each axis (or
    `CircularPadding3D.for_kernel((k1, k2, k3))`) then
    `Conv3D(..., padding="valid")` is the exact circular convolution of the
    isometry setting of Xiao et al. (2018), which keeps the input size and
    under which `ConvOrthogonal` kernels preserve norms exactly. Keras has no
    such padding (`keras.ops.pad` has no "wrap" mode); this one is built from
    slices and `concatenate`.

    Examples:

    >>> x = np.zeros((1, 4, 4, 4, 2), dtype="float32")
    >>> y = CircularPadding3D(padding=((1, 1), (0, 2), (2, 0)))(x)
    >>> tuple(y.shape)
    (1, 6, 6, 6, 2)

    Args:
        padding: Int, or tuple of 3 ints, or tuple of 3 tuples of 2 ints, all
            at most the input size on their axis.
            - If int: the same symmetric padding for all three axes.
            - If tuple of 3 ints: a symmetric padding per axis.
            - If tuple of 3 tuples of 2 ints:
              `((left_dim1_pad, right_dim1_pad), (left_dim2_pad,
              right_dim2_pad), (left_dim3_pad, right_dim3_pad))`.
        data_format: `"channels_last"`
            (`(batch, dim1, dim2, dim3, channels)`, the default) or
            `"channels_first"` (`(batch, channels, dim1, dim2, dim3)`). When
            unspecified, uses `keras.config.image_data_format()`.
        **kwargs: Base layer keyword arguments, such as `name`.

    Reference:

    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


def _standardize_data_format(data_format):
    data_format = data_format or keras.config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            'Expected `data_format` to be "channels_last" or "channels_first". '
            f"Received: data_format={data_format!r}"
        )
    return data_format


def _slice(x, axis, start, stop):
    index = [slice(None)] * len(x.shape)
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def _is_size(value):
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and value >= 0
    )


def _standardize_padding(padding, rank):
    """`padding` as a tuple of `rank` (before, after) pairs of ints."""
    if _is_size(padding):
        return ((int(padding),) * 2,) * rank
    if isinstance(padding, (tuple, list)):
        if rank == 1 and len(padding) == 2 and all(map(_is_size, padding)):
            return ((int(padding[0]), int(padding[1])),)
        if rank > 1 and len(padding) == rank and all(map(_is_size, padding)):
            return tuple((int(pad), int(pad)) for pad in padding)
        if len(padding) == rank and all(
            isinstance(pair, (tuple, list))
            and len(pair) == 2
            and all(map(_is_size, pair))
            for pair in padding
        ):
            return tuple((int(pair[0]), int(pair[1])) for pair in padding)
    if rank == 1:
        expected = "a non-negative int or a tuple of 2 non-negative ints (left, right)"
    else:
        expected = (
            f"a non-negative int, a tuple of {rank} non-negative ints (a "
            f"symmetric padding per axis) or a tuple of {rank} tuples of 2 "
            "non-negative ints ((before, after) per axis)"
        )
    raise ValueError(
        f"Expected `padding` to be {expected}. Received: padding={padding!r}"
    )
