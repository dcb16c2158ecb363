import ast
import pathlib

import matplotlib
import numpy as np
import pytest

from keras_deepinit import plotting
from keras_deepinit import theory

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_deepinit"


def test_library_plots_leave_the_matplotlib_backend_alone(tmp_path):
    matplotlib.use("svg")  # a user's choice, which Agg would replace
    try:
        theory.plot_path_variance_shares([10], out=tmp_path / "paths.png")
        theory.plot_phase_diagram(
            "tanh",
            0.05,
            max_depth=50,
            num_sigma_w2=4,
            num_depths=4,
            out=tmp_path / "phase.png",
        )
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use("agg")
    for name in ("paths.png", "phase.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_new_figure_squeezes_like_pyplot():
    _, axis = plotting.new_figure()
    assert not isinstance(axis, np.ndarray)
    _, axes = plotting.new_figure(1, 1, squeeze=False)
    assert axes.shape == (1, 1)


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_library_module_switches_the_matplotlib_backend(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            owner = getattr(node.func.value, "id", None)
            assert (owner, name) != ("matplotlib", "use"), f"{path}:{node.lineno}"
