"""Named configurations of the OWN app, as plain dicts."""

PRESETS = {
    f"{architecture}_{kind}": {
        "architecture": architecture,
        "orthogonal": kind == "own",
        **sizes,
    }
    for architecture, sizes in (
        ("mlp", {"depth": 10, "width": 256, "activation": "tanh"}),
        ("cnn", {"depth": 2, "width": 32, "activation": "relu"}),
    )
    for kind in ("own", "plain")
}
