"""Packages whose public names load from their submodules on first use, so
that importing the package (and `keras-deepinit --help`) stays free of
Keras and TensorFlow."""

import importlib


def lazy_getattr(package, exports):
    """A module `__getattr__` that imports `exports[name]` on first use.

    Examples:

    >>> _EXPORTS = {"TrainingConfig": "config", "train_classifier": "classifier"}
    >>> __getattr__ = lazy_getattr(__name__, _EXPORTS)

    Args:
        package: the package's `__name__`; submodules are relative to it.
        exports: `{name: submodule}`: where each public name is defined.

    Returns:
        `__getattr__(name)`, which returns `package.<submodule>.<name>` and
        raises `AttributeError` for a name not in `exports`.
    """

    def __getattr__(name):
        if name in exports:
            module = importlib.import_module(f"{package}.{exports[name]}")
            return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
