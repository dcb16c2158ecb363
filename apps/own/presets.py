"""Named configurations of the OWN app, keras-hub style: config and metadata."""

_SIZES = {
    "mlp": {"depth": 10, "width": 256, "activation": "tanh"},
    "cnn": {"depth": 2, "width": 32, "activation": "relu"},
}
_SHAPES = {
    "mlp": "an MLP of 10 hidden layers of 256 tanh units",
    "cnn": "a CNN of 2 blocks of two 3x3 ReLU convolutions (32, 64 filters)",
}

PRESETS = {
    f"{architecture}_{kind}": {
        "config": {"architecture": architecture, "orthogonal": kind == "own", **sizes},
        "metadata": {
            "description": f"{_SHAPES[architecture]}, "
            + ("OWN layers" if kind == "own" else "plain Keras layers, OWN's twin"),
            "reproduces": "Huang et al. (2018): OWN layers against plain ones",
        },
    }
    for architecture, sizes in _SIZES.items()
    for kind in ("own", "plain")
}
