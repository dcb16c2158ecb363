"""Named configurations of the HSIC app, as plain dicts."""

PRESETS = {
    # The paper's MNIST network: 784-1024, five 1024-1024, 1024-10, read
    # directly; sigma 6 and lambda_y 200 as in the authors' runs.
    "mlp_1024_relu": {"architecture": "mlp", "width": 1024, "activation": "relu"},
    "mlp_128_tanh": {"architecture": "mlp", "width": 128, "activation": "tanh"},
    # Three networks with sigma 1, 5, 10 combined (the authors' figure 6b).
    "mlp_sigma_combined": {
        "architecture": "mlp",
        "width": 128,
        "output_units": 64,
        "beta": 50.0,
        "sigmas": (1.0, 5.0, 10.0),
    },
    # The small residual conv network: 64 channels, five residual blocks,
    # a 512-unit output block for post-training; sigma 5, lambda_y 200.
    "resconv": {
        "architecture": "resconv",
        "width": 64,
        "output_units": 512,
        "sigmas": (5.0,),
    },
}
