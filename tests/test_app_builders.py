"""Every app's model builder, with every preset, on every backend.

The apps train on TensorFlow, but their builders are Keras models of the
building blocks: under JAX or PyTorch each preset builds (at a small size) and
predicts, and each app's default model takes a training step.
"""

import dataclasses

import keras
import numpy as np
import pytest

from keras_deepinit.apps import get_apps

from conftest import ONCE
from conftest import run_python

APPS = get_apps()
# Sizes cut down so that every preset builds in seconds.
SMALL = {"depth": 3, "width": 8, "blocks": 2, "width_factor": 1}
CASES = [
    (name, preset)
    for name, app in sorted(APPS.items())
    for preset in [None, *sorted(app.presets)]
]


def small_config(app, preset):
    values = dict(app.presets[preset]["config"]) if preset else {}
    config = app.config_class(**values)
    fields = {field.name for field in dataclasses.fields(config)}
    small = {key: value for key, value in SMALL.items() if key in fields}
    if "width_factor" in fields:
        small["depth"] = 10  # Wide-ResNet depths are 6 N + 4
    return dataclasses.replace(config, **small)


@pytest.mark.parametrize("name, preset", CASES, ids=lambda value: str(value))
def test_every_preset_builds_and_predicts(name, preset):
    app = APPS[name]
    config = small_config(app, preset)
    model = app.build(config)
    images = np.random.default_rng(0).normal(size=(4, *config.input_shape))
    images = images.astype("float32")
    outputs = keras.ops.convert_to_numpy(model(images, training=False))
    assert outputs.shape[0] == 4 and np.isfinite(outputs).all()
    if preset is not None:
        return  # Training each preset would cost a compilation each.
    if not getattr(model, "compiled", False):
        model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(True))
    model.fit(images, np.arange(4) % 2, epochs=1, verbose=0)


@ONCE
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_builders_import_without_tensorflow(backend):
    script = (
        "import sys\n"
        "from keras_deepinit.apps import get_apps\n"
        "for app in get_apps().values():\n"
        "    app.build\n"
        "print('tensorflow' in sys.modules)\n"
    )
    assert run_python(script, backend).strip().splitlines()[-1] == "False"
