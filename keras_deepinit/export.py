"""SavedModel export in the layout TensorFlow Serving reads."""

import datetime
import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf

from keras_deepinit.checks import check_positive_int
from keras_deepinit.layers.orthogonal import cached_kernels
from keras_deepinit.version import __version__

METADATA_FILE = "metadata.json"
SIGNATURE = "serving_default"


def check_name(name):
    if (
        not isinstance(name, str)
        or name in ("", ".", "..")
        or "/" in name
        or "\\" in name
        or (os.altsep is not None and os.altsep in name)
    ):
        raise ValueError(
            "Expected name to be a non-empty folder name without path "
            f"separators. Received: name={name!r}"
        )


def versions(model_dir):
    """Returns the versions exported in `model_dir`, in increasing order."""
    if not os.path.isdir(model_dir):
        return []
    return sorted(
        int(entry)
        for entry in os.listdir(model_dir)
        if entry.isdigit() and int(entry) > 0
    )


def input_spec(model, input_name, input_shape):
    if input_shape is None:
        inputs = getattr(model, "inputs", None) or []
        if len(inputs) != 1:
            raise ValueError(
                "Expected input_shape for a model without exactly one "
                "symbolic input. Received: input_shape=None"
            )
        shape, dtype = tuple(inputs[0].shape), inputs[0].dtype
    else:
        shape, dtype = (None, *input_shape), model.input_dtype
    return tf.TensorSpec(shape, dtype, name=input_name)


def export_model(
    model,
    name,
    *,
    base_dir="exported_models",
    version=None,
    metadata=None,
    input_name="images",
    output_name="predictions",
    input_shape=None,
):
    """Exports a model as `<base_dir>/<name>/<version>/`, for TensorFlow Serving.

    The version folder holds a SavedModel whose `serving_default` signature
    maps a batch named `input_name` to a dict `{output_name: model output}`
    (the model called with `training=False`), and `metadata.json`: the
    `metadata` given, with `keras_deepinit_version`, `exported_at` (UTC, ISO
    8601), `name`, `version` and `signature` added. The folder is written
    beside (`<base_dir>/<name>/.<version>.partial-*`, which TensorFlow Serving
    ignores) and renamed into place when complete: a failure leaves nothing
    behind, and an existing version is never overwritten.

    Examples:

    >>> path = export_model(model, "deep_cnn_mnist", metadata={"depth": 10000})
    >>> serve = tf.saved_model.load(path).signatures["serving_default"]
    >>> serve(images=batch)["predictions"]

    Args:
        model: a built Keras model with one input.
        name: the model's folder name, e.g. `"deep_cnn_mnist"`.
        base_dir: the folder of exported models.
        version: a positive integer; None for one more than the highest
            version there (1 for the first).
        metadata: a JSON-serializable dict (config, metrics, data set...), or
            None.
        input_name: the name of the signature's input.
        output_name: the name of the signature's output.
        input_shape: the shape of one input example, e.g. `(28, 28, 1)`, for
            models without a symbolic input (subclassed models); by default
            the model's input shape.

    Returns:
        The path of the version folder.
    """
    check_name(name)
    check_positive_int("version", version, allow_none=True)
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(
            f"Expected metadata to be a dict or None. Received: metadata={metadata!r}"
        )
    spec = input_spec(model, input_name, input_shape)
    model_dir = os.path.join(os.fspath(base_dir), name)
    if version is None:
        version = (versions(model_dir) or [0])[-1] + 1
    path = os.path.join(model_dir, str(version))
    if os.path.lexists(path):
        raise FileExistsError(f"Version {version} of {name} exists: {path}")
    record = dict(metadata or {})
    record.update(
        keras_deepinit_version=__version__,
        exported_at=datetime.datetime.now(datetime.timezone.utc).isoformat(),
        name=name,
        version=version,
        signature={
            "name": SIGNATURE,
            "inputs": {
                input_name: {"shape": list(spec.shape), "dtype": spec.dtype.name}
            },
            "outputs": [output_name],
        },
    )
    record = json.dumps(record, indent=2)  # Fails before anything is written.

    def serve(inputs):
        return {output_name: model(inputs, training=False)}

    os.makedirs(model_dir, exist_ok=True)
    partial_path = tempfile.mkdtemp(prefix=f".{version}.partial-", dir=model_dir)
    try:
        # The graph holds the orthogonal layers' W, not their orthogonalization.
        with cached_kernels(model):
            archive = keras.export.ExportArchive()
            archive.track(model)
            archive.add_endpoint(SIGNATURE, serve, input_signature=[spec])
            archive.write_out(partial_path, verbose=False)
        with open(os.path.join(partial_path, METADATA_FILE), "w") as f:
            f.write(record + "\n")
        try:
            os.rename(partial_path, path)
        except OSError as error:  # Written meanwhile by another process.
            if os.path.lexists(path):
                raise FileExistsError(
                    f"Version {version} of {name} exists: {path}"
                ) from error
            raise
    except BaseException:
        shutil.rmtree(partial_path, ignore_errors=True)
        raise
    return path


def load_metadata(path):
    """Reads the `metadata.json` of an exported version folder."""
    with open(os.path.join(path, METADATA_FILE)) as f:
        return json.load(f)
