"""Figures for the library's plots, drawn without pyplot.

A `matplotlib.figure.Figure` draws and saves on its own, so the library never
switches matplotlib's backend or opens a window: a notebook user's plotting
setup stays as it was.
"""

import os


def new_figure(rows=1, columns=1, **figure_kwargs):
    """A figure and its axes, like `pyplot.subplots` but outside pyplot.

    Args:
        rows: rows of axes.
        columns: columns of axes.
        **figure_kwargs: `matplotlib.figure.Figure` arguments (`figsize`, ...)
            and `squeeze=False` to always get a 2D array of axes.

    Returns:
        `(figure, axes)`: one axis for one row and column, else an array.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "Plots need matplotlib: pip install matplotlib "
            "(or keras-deepinit[apps], which installs it)."
        ) from error
    squeeze = figure_kwargs.pop("squeeze", True)
    figure = Figure(**figure_kwargs)
    return figure, figure.subplots(rows, columns, squeeze=squeeze)


def save_figure(figure, out, dpi=120):
    """Writes `figure` to `out` (PNG by its suffix), creating parent folders.

    Returns:
        `out`, as a string.
    """
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    figure.savefig(out, dpi=dpi)
    return str(out)
