"""The OWN app's declaration, read by the apps' registry."""

from keras_deepinit.apps.own.presets import PRESETS
from keras_deepinit.training.app import App

APP = App(
    name="own",
    package=__package__,
    help="an MLP or a small CNN with Orthogonal Weight Normalization layers "
    "or plain ones (Huang et al., 2018)",
    description="Trains an MLP or a small CNN with OWN layers or plain ones: "
    "`keras-deepinit train own --preset mlp_own ...`.",
    config="config:OWNConfig",
    builder="model:build_own_network",
    main="train:main",
    hypermodel="hypermodel:OWNHyperModel",
    tune_help="the group size and the method of Orthogonal Weight Normalization",
    # Config fields settable by flag, with their types.
    model_options={
        "architecture": str,
        "depth": int,
        "width": int,
        "activation": str,
        "method": str,
        "group_size": int,
        "iterations": int,
    },
    switches=("orthogonal", "learnable_scale"),
    presets=PRESETS,
    datasets=("mnist", "cifar10"),
)
