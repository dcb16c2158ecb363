"""Applications: one model family per paper, each declared once to a registry.

Installed as `keras_deepinit.apps` (see setup.py); never import it as `apps`.
Each subpackage declares itself in its `app.py` (an `APP`, see
`keras_deepinit.training.App`): its config, builder, presets, hypermodel and
training command. `get_apps()` finds them, so a new app is a new folder and
nothing else. Listing the apps imports neither Keras nor TensorFlow.

Examples:

>>> sorted(get_apps())
['deep-cnn', 'hsic', 'nf-resnet', 'own']
>>> get_app("own").run(["--preset", "mlp_own", "--steps", "100"])
"""

import functools
import importlib
import pkgutil


@functools.cache
def get_apps():
    """`{name: App}` of every app subpackage, by name."""
    apps = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        app = importlib.import_module(f"{__name__}.{info.name}.app").APP
        if app.name in apps:
            raise ValueError(f"Expected one app per name. Received: {app.name!r} twice")
        apps[app.name] = app
    return apps


def get_app(name):
    """The `App` named `name` on the command line, e.g. `"deep-cnn"`."""
    apps = get_apps()
    if name not in apps:
        raise ValueError(f"Expected one of the apps {sorted(apps)}. Received: {name!r}")
    return apps[name]
