"""The HSIC app's declaration, read by the apps' registry."""

from keras_deepinit.apps.hsic.presets import PRESETS
from keras_deepinit.training.app import App

# As in the authors' code: images in [0, 1], batches of 256, SGD at 0.001 with
# weight decay 0.001 and no momentum (theirs made a new optimizer every step).
TRAINING_DEFAULTS = dict(
    batch_size=256,
    optimizer="sgd",
    learning_rate=0.001,
    momentum=0.0,
    weight_decay=0.001,
    warmup_steps=0,
    cosine_decay=False,
)

APP = App(
    name="hsic",
    package=__package__,
    help="a network trained block by block on the HSIC bottleneck, then "
    "post-trained, or by backpropagation (Ma et al., 2020)",
    description="Trains a network block by block on the HSIC bottleneck, then "
    "post-trains a classifier on it: `keras-deepinit train hsic --preset "
    "mlp_1024_relu ...`.",
    config="config:HSICConfig",
    builder="model:build_hsic_network",
    main="train:main",
    hypermodel="hypermodel:HSICHyperModel",
    tune_help="beta and sigma of the HSIC bottleneck",
    # Config fields settable by flag, with their types.
    model_options={
        "architecture": str,
        "depth": int,
        "width": int,
        "output_units": int,
        "activation": str,
        "beta": float,
        "measure": str,
    },
    presets=PRESETS,
    datasets=("mnist", "cifar10"),
    normalization="scale",
    training_defaults=TRAINING_DEFAULTS,
)
