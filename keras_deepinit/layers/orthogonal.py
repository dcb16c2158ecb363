"""Keras Dense and Conv layers whose kernel is orthogonalized (OWN, ONI)."""

import contextlib
import math
import threading

import keras

from keras_deepinit.checks import check_positive_int
from keras_deepinit.ops.own import METHODS
from keras_deepinit.ops.own import check_epsilon
from keras_deepinit.ops.own import orthogonalize
from keras_deepinit.ops.own import resolve_group_size


class _OrthogonalKernel:
    """Makes a Keras `Dense`/`ConvND`'s `kernel` the orthogonalized `v`.

    The layer trains the free weight `v`, in the Keras kernel shape, and its
    `kernel` property returns `W = orthogonalize(v)` (times the learnable
    scale), as Keras's LoRA reparametrizes `kernel`: Keras's `call` reads
    `self.kernel` and does the rest. Training computes `W` from `v` on every
    call, so gradients flow through the orthogonalization. Inference reads
    the non-trainable cache `kernel_cache` (the variable named `"kernel"`),
    recomputing it only when `v` differs from the `kernel_source` it came
    from (after an optimizer step or `v.assign`): one comparison and a copy
    per call, no eigendecomposition. Saved models and exports carry the
    cache.
    """

    def __init__(
        self,
        *args,
        group_size=None,
        epsilon=1e-5,
        method="eig",
        iterations=5,
        learnable_scale=False,
        **kwargs,
    ):
        if group_size is not None:
            check_positive_int("group_size", group_size)
        epsilon = check_epsilon(epsilon)
        if method not in METHODS:
            raise ValueError(
                f"Expected method to be one of {METHODS}. Received: method={method!r}"
            )
        iterations = check_positive_int("iterations", iterations)
        if kwargs.get("lora_rank"):
            raise ValueError(
                "Expected no LoRA on an orthogonalized kernel: its weight is v, "
                f"not the kernel. Received: lora_rank={kwargs['lora_rank']!r}"
            )
        super().__init__(*args, **kwargs)
        check_positive_int(self._units_name, self._own_units)
        self.group_size = group_size
        self.epsilon = epsilon
        self.method = method
        self.iterations = iterations
        self.learnable_scale = bool(learnable_scale)
        self._own_training = False

    @property
    def _own_units(self):
        return getattr(self, self._units_name)

    def _build_kernel(self, kernel_shape):
        resolve_group_size(
            self._own_units, math.prod(kernel_shape[:-1]), self.group_size
        )
        # Not autocast: W is computed from float32 v, and the staleness test
        # compares v with its source exactly.
        self.v = self.add_weight(
            name="v",
            shape=kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            autocast=False,
        )
        # A NaN source differs from any v: the first inference computes W.
        self.kernel_cache, self.kernel_source = (
            self.add_weight(
                name=name,
                shape=kernel_shape,
                initializer=initializer,
                trainable=False,
                autocast=False,
                aggregation="only_first_replica",
            )
            for name, initializer in (("kernel", "zeros"), ("kernel_source", _nan))
        )
        self.scale = None
        if self.learnable_scale:
            self.scale = self.add_weight(
                name="scale",
                shape=(self._own_units,),
                initializer="ones",
                autocast=False,
            )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self._own_units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def orthogonal_kernel(self):
        """`W`, orthogonalized from `v`, in the Keras kernel shape of `v`.

        Without the learnable scale, which `kernel` applies to the last axis
        (one factor per output unit).
        """
        v = keras.ops.convert_to_tensor(self.v)
        matrix = keras.ops.transpose(keras.ops.reshape(v, (-1, self._own_units)))
        w = orthogonalize(
            matrix,
            group_size=self.group_size,
            epsilon=self.epsilon,
            method=self.method,
            iterations=self.iterations,
        )
        return keras.ops.reshape(keras.ops.transpose(w), tuple(v.shape))

    @property
    def kernel(self):
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        if self._own_training:
            kernel = self.orthogonal_kernel()
        elif getattr(_CACHE_ONLY, "active", False):
            kernel = keras.ops.convert_to_tensor(self.kernel_cache)
        else:
            kernel = self._cached_kernel()
        if self.scale is not None:
            kernel = kernel * keras.ops.convert_to_tensor(self.scale)
        return keras.ops.cast(kernel, self.compute_dtype)

    def _cached_kernel(self):
        v = keras.ops.convert_to_tensor(self.v)
        stale = keras.ops.any(keras.ops.not_equal(v, self.kernel_source))
        # Pure branches, and the writes after them: a JAX cond cannot assign.
        kernel = keras.ops.cond(
            stale,
            self.orthogonal_kernel,
            lambda: keras.ops.convert_to_tensor(self.kernel_cache),
        )
        self.kernel_cache.assign(keras.ops.stop_gradient(kernel))
        # A copy: JAX must not find v's buffer in two variables it donates.
        self.kernel_source.assign(keras.ops.copy(v))
        return kernel

    def refresh_kernel_cache(self):
        """Computes `W` from `v` now and stores it in the cache."""
        v = keras.ops.convert_to_tensor(self.v)
        self.kernel_cache.assign(self.orthogonal_kernel())
        self.kernel_source.assign(keras.ops.copy(v))

    def call(self, inputs, training=None):
        # `kernel` is a property: it learns the mode from this flag.
        self._own_training = bool(training)
        try:
            return super().call(inputs)
        finally:
            self._own_training = False

    def save_own_variables(self, store):
        # Every variable, v and the cache included, as a plain Layer does.
        keras.layers.Layer.save_own_variables(self, store)

    def load_own_variables(self, store):
        keras.layers.Layer.load_own_variables(self, store)

    def enable_lora(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} trains v, not its kernel: LoRA does not apply."
        )

    def quantize(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} computes its kernel from v: it cannot be "
            "quantized. Quantize a plain layer holding its `kernel` instead."
        )

    def get_config(self):
        return {
            **super().get_config(),
            "group_size": self.group_size,
            "epsilon": self.epsilon,
            "method": self.method,
            "iterations": self.iterations,
            "learnable_scale": self.learnable_scale,
        }


_CACHE_ONLY = threading.local()


@contextlib.contextmanager
def cached_kernels(model):
    """Refreshes the orthogonal layers' caches; inside, inference reads them only.

    For exports: a graph traced inside holds `W` as a variable and no
    orthogonalization (no eigendecomposition or SVD to run at serving time,
    which a SavedModel of a JAX model could not run on TensorFlow).

    Examples:

    >>> layer = OrthogonalDense(4)
    >>> model = keras.Sequential([keras.Input((6,)), layer])
    >>> with cached_kernels(model):
    ...     y = model(np.ones((1, 6), "float32"))

    Args:
        model: a Keras layer or model; every orthogonal layer in it, nested
            ones included, is refreshed.
    """
    for layer in _sublayers(model):
        if isinstance(layer, _OrthogonalKernel) and layer.built:
            layer.refresh_kernel_cache()
    previous = getattr(_CACHE_ONLY, "active", False)
    _CACHE_ONLY.active = True
    try:
        yield
    finally:
        _CACHE_ONLY.active = previous


def _sublayers(layer):
    yield layer
    for sublayer in getattr(layer, "layers", ()) or ():
        yield from _sublayers(sublayer)


_OWN_ARGS = """group_size: Positive int, the number of {units} orthogonalized
            together; it must divide `{units}` and be at most the fan-in less
            one. `None` takes the largest valid size.
        epsilon: Float >= 0, the regularizer of `S^(-1/2)`, relative to the
            mean eigenvalue (see `keras_deepinit.ops.orthogonalize`).
        method: `"eig"` (OWN, exactly orthogonal) or `"newton"` (ONI,
            orthogonal as `iterations` grows).
        iterations: Positive int, Newton iterations for `"newton"`.
        learnable_scale: Bool, whether to learn one scale per {unit}, initially
            1, that multiplies the {unit}'s row of `W`."""

_REFERENCE = """Reference:

    - [Huang et al., 2018](https://arxiv.org/abs/1709.06079)
    - [Huang et al., 2020](https://arxiv.org/abs/2004.00917)
    """


@keras.saving.register_keras_serializable(package="keras_deepinit")
class OrthogonalDense(_OrthogonalKernel, keras.layers.Dense):
    __doc__ = f"""A `keras.layers.Dense` whose kernel has orthonormal, centred rows.

    The layer trains a free weight `v`, of the shape `(input_dim, units)` of
    the Dense kernel, and its `kernel` is `W = orthogonalize(v^T)^T` (see
    `keras_deepinit.ops.orthogonalize`): the rows of `W^T`, one per unit, sum
    to zero and are orthonormal within each group of `group_size` units.
    Gradient steps move `v` freely and `W` stays orthogonal. Training
    computes `W` on every call; inference caches it until `v` changes.

    Examples:

    >>> layer = OrthogonalDense(3, epsilon=0.0)
    >>> y = layer(np.ones((2, 5)))
    >>> w = keras.ops.convert_to_numpy(layer.kernel)
    >>> bool(np.allclose(w.T @ w, np.eye(3), atol=1e-5))
    True

    Args:
        units: Positive int, the number of output units (rows of `W^T`).
        {_OWN_ARGS.format(units="units", unit="unit")}
        **kwargs: The other arguments of `keras.layers.Dense` (`activation`,
            `use_bias`, initializers, regularizers and constraints, which for
            the kernel apply to `v`) and base layer keyword arguments.

    {_REFERENCE}"""

    _units_name = "units"

    def build(self, input_shape):
        self._build_kernel((input_shape[-1], self.units))
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: input_shape[-1]})


class _OrthogonalConv(_OrthogonalKernel):
    """The build of a Keras `ConvND` with the kernel of `_OrthogonalKernel`."""

    _units_name = "filters"

    def build(self, input_shape):
        channel_axis = -1 if self.data_format == "channels_last" else 1
        channels = input_shape[channel_axis]
        if channels is None or channels % self.groups:
            raise ValueError(
                "Expected the input channels to be defined and divisible by "
                f"groups={self.groups}. Received: input_shape={input_shape}"
            )
        # Keras's checks of the spatial sizes.
        self.compute_output_shape(input_shape)
        kernel_shape = (*self.kernel_size, channels // self.groups, self.filters)
        self._build_kernel(kernel_shape)
        self.input_spec = keras.layers.InputSpec(
            min_ndim=self.rank + 2, axes={channel_axis: channels}
        )


_CONV_DOC = """A `keras.layers.Conv{rank}D` whose kernel is orthogonalized (OWN, ONI).

    The layer trains a free weight `v`, of the shape
    `(*kernel_size, in_channels // groups, filters)` of the Keras kernel, and
    its `kernel` is `W`: `v` read as a `filters x fan_in` matrix, one row per
    filter, orthogonalized by `keras_deepinit.ops.orthogonalize` and reshaped
    back. Each filter is centred, and the filters of a group are orthonormal
    as vectors. Strides, padding, dilation, groups and data format are
    Keras's. Training computes `W` on every call; inference caches it until
    `v` changes.

    Examples:

    >>> layer = {name}(8, 3)
    >>> y = layer(np.ones({example_input}))
    >>> tuple(layer.kernel.shape)
    {example_shape}

    Args:
        filters: Positive int, the number of output channels (rows of `W`).
        kernel_size: Int or tuple of {rank} ints.
        {own_args}
        **kwargs: The other arguments of `keras.layers.Conv{rank}D`
            (`strides`, `padding`, `data_format`, `dilation_rate`, `groups`,
            `activation`, `use_bias`, initializers, regularizers and
            constraints, which for the kernel apply to `v`) and base layer
            keyword arguments.

    {reference}"""


def _conv_doc(rank, example_input, example_shape):
    return _CONV_DOC.format(
        rank=rank,
        name=f"OrthogonalConv{rank}D",
        example_input=example_input,
        example_shape=example_shape,
        own_args=_OWN_ARGS.format(units="filters", unit="filter"),
        reference=_REFERENCE,
    )


@keras.saving.register_keras_serializable(package="keras_deepinit")
class OrthogonalConv1D(_OrthogonalConv, keras.layers.Conv1D):
    __doc__ = _conv_doc(1, "(2, 10, 4)", "(3, 4, 8)")


@keras.saving.register_keras_serializable(package="keras_deepinit")
class OrthogonalConv2D(_OrthogonalConv, keras.layers.Conv2D):
    __doc__ = _conv_doc(2, "(2, 7, 7, 4)", "(3, 3, 4, 8)")


@keras.saving.register_keras_serializable(package="keras_deepinit")
class OrthogonalConv3D(_OrthogonalConv, keras.layers.Conv3D):
    __doc__ = _conv_doc(3, "(2, 5, 5, 5, 2)", "(3, 3, 3, 2, 8)")


def _nan(shape, dtype=None):
    return keras.ops.full(shape, float("nan"), dtype=dtype)
