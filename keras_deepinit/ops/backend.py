"""The backend-specific half of an op, imported only under its backend.

An op that needs a backend's own machinery lives in `<op>.py` (portable,
`keras.ops` only) beside `<op>_tf.py`, `<op>_jax.py` and `<op>_torch.py`;
`backend_module("conv_stack")` imports the one for the backend Keras runs
on, so JAX and PyTorch users never import TensorFlow.
"""

import importlib

import keras

SUFFIXES = {"tensorflow": "tf", "jax": "jax", "torch": "torch"}


def backend_module(op):
    """The module `keras_deepinit.ops.<op>_<backend>` for Keras's backend.

    Raises:
        ValueError: the backend (e.g. OpenVINO, NumPy) has no such module.
    """
    backend = keras.config.backend()
    if backend not in SUFFIXES:
        raise ValueError(
            f"{op} runs on the Keras backends {tuple(SUFFIXES)}. "
            f"Received: backend={backend!r}"
        )
    return importlib.import_module(f"{__package__}.{op}_{SUFFIXES[backend]}")
