"""Named configurations of the HSIC app, keras-hub style: config and metadata."""

_MA = "Ma, Lewis & Kleijn (2020): networks trained without backpropagation"

PRESETS = {
    "mlp_1024_relu": {
        # 784-1024, five 1024-1024, 1024-10, read directly; sigma 6 and
        # lambda_y 200 as in the authors' runs.
        "config": {"architecture": "mlp", "width": 1024, "activation": "relu"},
        "metadata": {
            "description": "the paper's MNIST network: six 1,024-unit ReLU "
            "blocks and a 10-unit output, sigma 6",
            "reproduces": _MA,
            "result": "96.4% MNIST test accuracy after one HSIC epoch (median "
            "of 15 seeds; benchmarks/RESULTS.md)",
        },
    },
    "mlp_128_tanh": {
        "config": {"architecture": "mlp", "width": 128, "activation": "tanh"},
        "metadata": {"description": "a small tanh MLP of 128-unit blocks"},
    },
    "mlp_sigma_combined": {
        "config": {
            "architecture": "mlp",
            "width": 128,
            "output_units": 64,
            "beta": 50.0,
            "sigmas": (1.0, 5.0, 10.0),
        },
        "metadata": {
            "description": "three networks with sigma 1, 5, 10, their outputs combined",
            "reproduces": "Ma et al. (2020), figure 6b",
        },
    },
    "resconv": {
        "config": {
            "architecture": "resconv",
            "width": 64,
            "output_units": 512,
            "sigmas": (5.0,),
        },
        "metadata": {
            "description": "the small residual conv network: 64 channels, five "
            "residual blocks, a 512-unit output block for post-training; "
            "sigma 5",
            "reproduces": _MA,
        },
    },
}
