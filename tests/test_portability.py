"""The building blocks import and run without TensorFlow under JAX and PyTorch."""

import ast
import pathlib
import sys

import pytest

from conftest import ONCE

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from import_time import probe  # noqa: E402

# Modules of the TensorFlow-only runtime, apps and interface (DESIGN.md).
TF_RUNTIME = ("data", "distribute", "export", "serving", "runs", "tuning", "training")
# Backend-specific machinery in ops/, imported only under its backend:
# `<op>_tf`, `<op>_jax`, `<op>_torch` (see ops/backend.py), and TensorFlow's
# in-place buffers.
BACKEND_SUFFIXES = ("_tf", "_jax", "_torch")
BACKEND_MODULES = ("inplace",)


@ONCE
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_building_blocks_import_without_tensorflow(backend):
    assert probe(backend)["tensorflow_imported"] is False


def portable_modules():
    for path in sorted((REPO / "keras_deepinit").rglob("*.py")):
        parts = path.relative_to(REPO / "keras_deepinit").with_suffix("").parts
        if parts[0] in TF_RUNTIME or parts[0] == "cli":
            continue
        if parts[-1].endswith(BACKEND_SUFFIXES) or parts[-1] in BACKEND_MODULES:
            continue
        yield path


@pytest.mark.parametrize(
    "path", list(portable_modules()), ids=lambda p: str(p.relative_to(REPO))
)
def test_portable_modules_import_no_backend_at_top_level(path):
    """Backend code is imported inside functions, only when that backend runs."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in ("tensorflow", "jax", "torch"), (
                f"{path.relative_to(REPO)}:{node.lineno} imports {name}"
            )
