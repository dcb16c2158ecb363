"""Named configurations of the residual networks, keras-hub style: config and
metadata."""

_NORMALIZATIONS = {
    "batchnorm": "batch normalization",
    "skipinit": "SkipInit (alpha = 0 at the end of each branch)",
    "fixup": "Fixup",
    "none": "no normalization (alpha fixed at 1)",
}
_DE_SMITH = (
    "De & Smith (2020): SkipInit trains deep residual networks without normalization"
)

PRESETS = {
    f"wrn_16_4_{normalization}": {
        "config": {"depth": 16, "width_factor": 4, "normalization": normalization},
        "metadata": {
            "description": f"Wide-ResNet-16-4 with {text}",
            "reproduces": _DE_SMITH,
        },
    }
    for normalization, text in _NORMALIZATIONS.items()
}

PRESETS.update(
    {
        f"deep_stack_1000_{normalization}": {
            "config": {
                "architecture": "deep_stack",
                "blocks": 1000,
                "normalization": normalization,
            },
            "metadata": {
                "description": f"1,000 residual blocks in one layer, {text}",
                "reproduces": _DE_SMITH,
                **(
                    {"result": "trains on CIFAR-10 (benchmarks/RESULTS.md)"}
                    if normalization == "skipinit"
                    else {}
                ),
            },
        }
        for normalization, text in _NORMALIZATIONS.items()
        if normalization != "fixup"
    }
)
