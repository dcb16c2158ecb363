"""The deep-CNN app's declaration, read by the apps' registry."""

from keras_deepinit.apps.deep_cnn.presets import PRESETS
from keras_deepinit.training.app import App

APP = App(
    name="deep-cnn",
    package=__package__,
    help="the vanilla deep CNN of Xiao et al. (2018), up to 10,000+ layers",
    description="Trains the vanilla deep CNN: `keras-deepinit train deep-cnn ...`.",
    config="config:DeepCNNConfig",
    builder="model:build_deep_cnn",
    main="train:main",
    hypermodel="hypermodel:DeepCNNHyperModel",
    tune_help="sigma_w^2 and sigma_b^2 of the vanilla deep CNN, around the "
    "critical line",
    # Config fields settable by flag, with their types.
    model_options={
        "depth": int,
        "width": int,
        "activation": str,
        "initializer": str,
        "stem_initializer": str,
        "sigma_w2": float,
        "sigma_b2": float,
        "padding": str,
        "dtype": str,
    },
    presets=PRESETS,
    datasets=("mnist", "cifar10"),
)
