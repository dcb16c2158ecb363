"""The history of a run: a JSON file of epoch logs kept across resumes, and
its plot."""

import json
import math
import os

import keras

from keras_deepinit.training.files import replace_atomically
from keras_deepinit.training.files import write_json_atomically
from keras_deepinit.training.step_limit import optimizer_steps


class HistoryFile(keras.callbacks.Callback):
    """Writes the epoch logs to a JSON file after every epoch, across resumes.

    The file holds a dict of lists like `keras.callbacks.History.history`,
    one entry per epoch, plus `"epoch"` (0-based, as Keras counts) and
    `"step"` (the optimizer's step count at the epoch's end); a value an
    epoch did not log is null. A resumed run continues the file: rows of
    epochs it runs again (those after its backup) are replaced, the others
    kept. Each write is atomic.

    Examples:

    >>> history = HistoryFile("run/history.json", plot_path="run/history.png")
    >>> model.fit(train, epochs=10, validation_data=test, callbacks=[history])
    >>> load_history("run/history.json")["val_loss"]

    Args:
        path: the JSON file.
        plot_path: a PNG redrawn by `plot_history` after every epoch, or None.
    """

    def __init__(self, path, plot_path=None):
        super().__init__()
        self.path = os.fspath(path)
        self.plot_path = plot_path
        self.history = {}

    def on_train_begin(self, logs=None):
        self.history = load_history(self.path) if os.path.exists(self.path) else {}

    def on_epoch_begin(self, epoch, logs=None):
        # Epochs at or after this one are being run again: forget their rows.
        kept = sum(1 for e in self.history.get("epoch", []) if e < epoch)
        self.history = {key: values[:kept] for key, values in self.history.items()}

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, "step": optimizer_steps(self.model)}
        for key, value in (logs or {}).items():
            try:
                row[key] = float(value)
            except (TypeError, ValueError):  # Not a scalar.
                pass
        done = len(self.history.get("epoch", []))
        for key in row:
            self.history.setdefault(key, [None] * done)
        for key, values in self.history.items():
            values.append(row.get(key))
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        write_json_atomically(self.path, self.history)
        if self.plot_path is not None:
            plot_history(self.history, self.plot_path)


def load_history(path):
    """Reads a history file written by `HistoryFile` as a dict of lists."""
    with open(path) as f:
        return json.load(f)


def plot_history(history, out, title=None):
    """Draws train and validation loss and accuracy over epochs to a PNG.

    The figure is drawn off screen without switching matplotlib's backend.

    Examples:

    >>> plot_history(load_history("run/history.json"), "run/history.png")
    >>> plot_history(model.fit(train, epochs=5, validation_data=test), "h.png")

    Args:
        history: a dict of lists (a `HistoryFile`'s, or Keras's
            `History.history`), or a `keras.callbacks.History`.
        out: the PNG file.
        title: the figure's title, or None.

    Returns:
        `out`.
    """
    if isinstance(history, keras.callbacks.History):
        history = history.history
    if not history.get("loss"):
        raise ValueError(
            f"Expected a history with a 'loss' entry. Received: "
            f"history with keys={sorted(history)}"
        )
    from matplotlib.figure import Figure

    count = len(history["loss"])
    epochs = [e + 1 for e in history.get("epoch", range(count))]
    accuracy = [
        key
        for key in history
        if "acc" in key and not key.startswith("val_") and key != "epoch"
    ]
    panels = ["loss"] + accuracy[:1]
    figure = Figure(figsize=(5 * len(panels), 3.8))
    axes = figure.subplots(1, len(panels), squeeze=False)
    for axis, key in zip(axes[0], panels, strict=True):
        for name, label, style in (
            (key, "train", "-"),
            (f"val_{key}", "validation", "--"),
        ):
            if name in history:
                values = [math.nan if v is None else v for v in history[name]]
                axis.plot(epochs, values, style, marker=".", label=label)
        axis.set_xlabel("epoch")
        axis.set_ylabel(key)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    out = os.fspath(out)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    partial_path = f"{out}.partial"
    figure.savefig(partial_path, format="png", dpi=100)
    replace_atomically(partial_path, out)
    return out
