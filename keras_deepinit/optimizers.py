"""SGD and Adam with learning-rate multipliers per group of variables.

A very deep body and a shallow head want different step sizes: a step that
moves each of thousands of layers must be small, while the classifier on top
needs an ordinary one. `LayerwiseAdam(1e-3, multipliers={"body": 0.03})`
scales the learning rate of every variable whose path starts with `"body"`
(e.g. `"body/kernel"`) by 0.03 and leaves the others at 1e-3. Where several
prefixes match, the longest wins. Both classes take their Keras parent's
arguments plus `multipliers`, and round-trip through `get_config`.

Examples:

>>> optimizer = LayerwiseAdam(1e-3, multipliers={"body": 3e-5 / 1e-3})
>>> model.compile(optimizer, "sparse_categorical_crossentropy")
"""

import keras


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

    def multiplier(self, path):
        """The multiplier of the variable at `path`: the longest matching prefix's."""
        matches = [p for p in self.multipliers if path.startswith(p)]
        return self.multipliers[max(matches, key=len)] if matches else 1.0

    def update_step(self, gradient, variable, learning_rate):
        # `variable` may be the backend's; the optimizer's own list has paths.
        path = self._trainable_variables[self._get_variable_index(variable)].path
        multiplier = self.multiplier(path)
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
