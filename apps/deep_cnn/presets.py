"""Named configurations of the deep CNN, as plain dicts."""

PRESETS = {
    # The paper's headline: 10,000 tanh layers at (1.05, 2.01e-5).
    "mnist_10k": {"depth": 10_000, "width": 16, "input_shape": (28, 28, 1)},
    "mnist_1k": {"depth": 1_000, "width": 16, "input_shape": (28, 28, 1)},
    "mnist_1k_gaussian": {"depth": 1_000, "width": 16, "initializer": "gaussian"},
    "mnist_1k_glorot": {"depth": 1_000, "width": 16, "initializer": "glorot"},
    "mnist_100k_recompute": {"depth": 100_000, "width": 16, "recompute": True},
    "cifar10_100": {"depth": 100, "width": 16, "input_shape": (32, 32, 3)},
    "cifar10_1k": {"depth": 1_000, "width": 16, "input_shape": (32, 32, 3)},
}
