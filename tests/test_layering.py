"""The layering rules of ../shared/DESIGN.md, checked on the source.

- The library (keras_deepinit/) never imports the apps, and only its
  interface, keras_deepinit/cli.py, reads the apps' registry.
- argparse lives at the edges: the CLI and the apps' own commands.
- The runtime modules use public Keras attributes only.
"""

import ast
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = REPO / "keras_deepinit"
INTERFACE = PACKAGE / "cli.py"
# Modules that must use public Keras APIs only (setup.py pins no Keras version).
PUBLIC_KERAS_ONLY = [
    PACKAGE / "optimizers.py",
    *sorted((PACKAGE / "training").glob("*.py")),
    *sorted((PACKAGE / "tuning").glob("*.py")),
]


def library_modules():
    return sorted(PACKAGE.rglob("*.py"))


def imported_modules(path):
    """Every module `path` imports, at any depth of its code."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_the_scan_sees_the_interfaces_imports():
    names = imported_modules(INTERFACE)
    assert "argparse" in names and "keras_deepinit.apps.get_apps" in names


@pytest.mark.parametrize(
    "path", library_modules(), ids=lambda p: str(p.relative_to(REPO))
)
def test_only_the_cli_imports_the_apps_or_argparse(path):
    if path == INTERFACE:
        return
    for name in imported_modules(path):
        assert not (
            name == "keras_deepinit.apps" or name.startswith("keras_deepinit.apps.")
        ), name
        assert name.split(".")[0] != "argparse", name


def private_attributes(path):
    """`(line, expression)` of each private attribute read or written on
    anything but `self`, or on `self` but never assigned in the module."""
    tree = ast.parse(path.read_text(), str(path))
    own = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    } | {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__") and node.attr.endswith("__"):
            continue
        on_self = isinstance(node.value, ast.Name) and node.value.id == "self"
        if not (on_self and node.attr in own):
            found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize(
    "path", PUBLIC_KERAS_ONLY, ids=lambda p: str(p.relative_to(REPO))
)
def test_runtime_uses_no_private_attributes(path):
    assert private_attributes(path) == []


def test_the_private_attribute_scan_finds_them(tmp_path):
    source = tmp_path / "old.py"
    source.write_text(
        "class B(Base):\n"
        "    def on_train_begin(self):\n"
        "        self._mine = 1\n"
        "        self.model._initial_epoch = 3\n"
        "        super()._load_model()\n"
        "        self._current_epoch = self._batches_seen\n"
    )
    assert {expression for _, expression in private_attributes(source)} == {
        "self.model._initial_epoch",
        "super()._load_model",
        "self._batches_seen",
    }
