"""Keras models with their own training: the HSIC bottleneck trainer."""

from keras_deepinit.models.hsic import HSICTrainer
from keras_deepinit.models.hsic import build_post_trained
from keras_deepinit.models.hsic import build_sigma_combined
