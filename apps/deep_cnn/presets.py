"""Named configurations of the deep CNN, as plain dicts (data sets apart)."""

PRESETS = {
    "depth_100": {"depth": 100},
    # sigma_b^2 1e-4 (sigma_w^2 1.086): 95.4% on MNIST in 2,000 steps.
    "depth_1k": {"depth": 1_000, "sigma_b2": 1e-4},
    "depth_1k_gaussian": {"depth": 1_000, "sigma_b2": 1e-4, "initializer": "gaussian"},
    "depth_1k_glorot": {"depth": 1_000, "initializer": "glorot"},
    # The paper's headline: 10,000 tanh layers at (1.05, 2.01e-5).
    "depth_10k": {"depth": 10_000},
    "depth_100k_recompute": {"depth": 100_000, "recompute": True},
}
