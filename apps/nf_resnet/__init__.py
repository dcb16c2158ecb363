"""Normalization-free deep residual networks (De & Smith, 2020): a Wide-ResNet
builder, and one of thousands of identical blocks, with batch normalization,
SkipInit, Fixup or no normalization."""

from keras_deepinit.apps.nf_resnet.config import NFResNetConfig
from keras_deepinit.apps.nf_resnet.model import apply_residual_block
from keras_deepinit.apps.nf_resnet.model import build_deep_stack
from keras_deepinit.apps.nf_resnet.model import build_model
from keras_deepinit.apps.nf_resnet.model import build_wide_resnet
from keras_deepinit.apps.nf_resnet.presets import PRESETS
