"""The normalization-free ResNet app's declaration, read by the apps' registry."""

from keras_deepinit.apps.nf_resnet.presets import PRESETS
from keras_deepinit.training.app import App

APP = App(
    name="nf-resnet",
    package=__package__,
    help="a Wide-ResNet with batchnorm, SkipInit, Fixup or no normalization "
    "(De & Smith, 2020)",
    description="Trains a residual network with or without normalization: "
    "`keras-deepinit train nf-resnet --normalization skipinit ...`.",
    config="config:NFResNetConfig",
    builder="model:build_model",
    main="train:main",
    hypermodel="hypermodel:NFResNetHyperModel",
    tune_help="SkipInit's initial alpha and the learning rate",
    # Config fields settable by flag, with their types.
    model_options={
        "architecture": str,
        "depth": int,
        "width_factor": int,
        "blocks": int,
        "width": int,
        "normalization": str,
        "alpha_init": float,
        "dropout": float,
    },
    switches=("conv_bias",),
    presets=PRESETS,
    datasets=("cifar10", "mnist"),
)
