"""Every docstring example of the building blocks runs, on every backend."""

import doctest
import importlib
import pathlib

import keras
import numpy as np
import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_deepinit"
# The TensorFlow-only runtime and interface, and backend-specific machinery.
SKIPPED = ("data", "distribute", "export", "serving", "runs", "tuning", "training")


def modules_with_examples():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] in SKIPPED or parts[0] == "cli" or parts[-1] == "__init__":
            continue
        if parts[-1].endswith(("_tf", "_jax", "_torch")):
            continue
        if parts[-1] == "inplace":
            continue
        if ">>>" in path.read_text():
            yield ".".join(("keras_deepinit", *parts))


@pytest.mark.parametrize("name", list(modules_with_examples()))
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    globs = {"keras": keras, "np": np, **vars(module)}
    for test in finder.find(module, name, globs=globs):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} failed"
