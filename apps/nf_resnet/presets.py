"""Named configurations of the Wide-ResNet, as plain dicts."""

PRESETS = {
    f"wrn_16_4_{normalization}": {
        "depth": 16,
        "width_factor": 4,
        "normalization": normalization,
    }
    for normalization in ("batchnorm", "skipinit", "fixup", "none")
}

PRESETS.update(
    {
        f"deep_stack_1000_{normalization}": {
            "architecture": "deep_stack",
            "blocks": 1000,
            "normalization": normalization,
        }
        for normalization in ("batchnorm", "skipinit", "none")
    }
)
