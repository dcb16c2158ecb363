"""Named configurations of the deep CNN, keras-hub style: the config fields
(data sets apart) and metadata."""

_XIAO = (
    "Xiao et al. (2018): vanilla CNNs of 1,000s of layers train at the critical point"
)

PRESETS = {
    "depth_100": {
        "config": {"depth": 100},
        "metadata": {
            "description": "100 tanh layers, Delta-Orthogonal, at the critical "
            "point (sigma_w^2 1.05, sigma_b^2 2.01e-5)",
        },
    },
    "depth_1k": {
        "config": {"depth": 1_000, "sigma_b2": 1e-4},
        "metadata": {
            "description": "1,000 tanh layers, Delta-Orthogonal, at sigma_b^2 "
            "1e-4 (critical sigma_w^2 1.086)",
            "reproduces": _XIAO,
            "result": "95.4% MNIST test accuracy in 2,000 steps "
            "(benchmarks/RESULTS.md)",
        },
    },
    "depth_1k_gaussian": {
        "config": {"depth": 1_000, "sigma_b2": 1e-4, "initializer": "gaussian"},
        "metadata": {
            "description": "depth_1k with critical Gaussian kernels instead of "
            "Delta-Orthogonal ones",
            "reproduces": "Xiao et al. (2018): without dynamical isometry, depth "
            "1,000 does not train",
            "result": "11.35% MNIST test accuracy after 2,000 steps: one class "
            "(benchmarks/RESULTS.md)",
        },
    },
    "depth_1k_glorot": {
        "config": {"depth": 1_000, "initializer": "glorot"},
        "metadata": {
            "description": "1,000 tanh layers with Keras's GlorotNormal kernels",
            "reproduces": "the usual initialization does not train at depth 1,000",
            "result": "11.35% MNIST test accuracy after 2,000 steps: one class "
            "(benchmarks/RESULTS.md)",
        },
    },
    "depth_10k": {
        "config": {"depth": 10_000},
        "metadata": {
            "description": "the paper's headline: 10,000 tanh layers at (1.05, "
            "2.01e-5)",
            "reproduces": _XIAO,
            "result": "trains with falling loss (benchmarks/RESULTS.md)",
        },
    },
    "depth_100k_recompute": {
        "config": {"depth": 100_000, "recompute": True},
        "metadata": {
            "description": "100,000 layers, activations recomputed in the "
            "backward pass (memory O(sqrt(depth)))",
        },
    },
}
