"""SGD and Adam with learning-rate multipliers per group of variables.

A very deep body and a shallow head want different step sizes: a step that
moves each of thousands of layers must be small, while the classifier on top
needs an ordinary one. `LayerwiseAdam(1e-3, multipliers={"body": 0.03})`
scales the learning rate of every variable whose path starts with `"body"`
(e.g. `"body/kernel"`) by 0.03 and leaves the others at 1e-3. Where several
prefixes match, the longest wins. Both classes take their Keras parent's
arguments plus `multipliers`, round-trip through `get_config`, and run on
the TensorFlow, JAX and PyTorch backends. They use the public hooks of a
Keras optimizer only: `build(variables)` to learn each variable's group and
`update_step(gradient, variable, learning_rate)` to scale its rate.

Examples:

>>> model = keras.Sequential([
...     keras.Input((4,)),
...     keras.layers.Dense(8, name="body"),
...     keras.layers.Dense(1, name="head"),
... ])
>>> optimizer = LayerwiseAdam(1e-3, multipliers={"body": 3e-5 / 1e-3})
>>> optimizer.multiplier("body/kernel"), optimizer.multiplier("head/kernel")
(0.03, 1.0)
>>> model.compile(optimizer, "mse")
>>> _ = model.fit(np.ones((8, 4)), np.ones((8, 1)), verbose=0)
"""

import keras


def _handles(variable):
    """The objects `update_step` may receive for a Keras variable: itself
    (JAX, PyTorch) or, under TensorFlow, its `tf.Variable` and that one's
    per-device copies under a distribution strategy."""
    handles = [variable]
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        value = variable.value
        handles.append(value)
        if isinstance(value, tf.distribute.DistributedValues):
            strategy = getattr(value, "distribute_strategy", None)
            strategy = strategy or tf.distribute.get_strategy()
            handles.extend(strategy.experimental_local_results(value))
    return handles


class _LearningRateMultipliers:
    """Scales the learning rate of each variable by its group's multiplier.

    Args:
        multipliers: dict from variable path prefix (e.g. `"body"`) to the
            factor on that group's learning rate; the longest matching prefix
            wins, unmatched variables get 1.
        *args, **kwargs: the arguments of the Keras optimizer.
    """

    def __init__(self, *args, multipliers=None, **kwargs):
        super().__init__(*args, **kwargs)
        multipliers = dict(multipliers or {})
        for prefix, value in multipliers.items():
            if not isinstance(prefix, str) or not prefix:
                raise ValueError(
                    "Expected multipliers' keys to be non-empty variable path "
                    f"prefixes. Received: {prefix!r}"
                )
            if isinstance(value, bool) or not (
                isinstance(value, int | float) and value > 0
            ):
                raise ValueError(
                    "Expected multipliers' values to be positive numbers. "
                    f"Received: multipliers[{prefix!r}]={value!r}"
                )
        self.multipliers = {key: float(value) for key, value in multipliers.items()}
        self._multiplier_of = {}  # id of what update_step gets -> multiplier

    def multiplier(self, path):
        """The multiplier of the variable at `path`: the longest matching prefix's."""
        matches = [p for p in self.multipliers if path.startswith(p)]
        return self.multipliers[max(matches, key=len)] if matches else 1.0

    def build(self, variables):
        super().build(variables)
        for variable in variables:
            multiplier = self.multiplier(variable.path)
            for handle in _handles(variable):
                self._multiplier_of[id(handle)] = multiplier

    def update_step(self, gradient, variable, learning_rate):
        multiplier = self._multiplier_of.get(id(variable))
        if multiplier is None:
            # Loud, not a silent rate of 1: Keras passed an object build()
            # did not see (its optimizer internals changed).
            raise ValueError(
                f"{type(self).__name__} cannot tell which variable it is "
                "updating: expected one of the variables it was built with. "
                f"Received: variable={variable!r}"
            )
        if multiplier != 1.0:
            learning_rate = learning_rate * multiplier
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "multipliers": dict(self.multipliers)}


@keras.saving.register_keras_serializable(package="keras_deepinit")
class LayerwiseSGD(_LearningRateMultipliers, keras.optimizers.SGD):
    """`keras.optimizers.SGD(...)` plus `multipliers=` (see the module)."""


@keras.saving.register_keras_serializable(package="keras_deepinit")
class LayerwiseAdam(_LearningRateMultipliers, keras.optimizers.Adam):
    """`keras.optimizers.Adam(...)` plus `multipliers=` (see the module)."""
