"""Hyperparameter search for the apps with KerasTuner: one HyperModel per app,
and the `keras-deepinit tune APP ...` command (`keras_deepinit.tuning.search`)."""

from keras_deepinit.tuning.hypermodels import AppHyperModel
from keras_deepinit.tuning.hypermodels import DeepCNNHyperModel
from keras_deepinit.tuning.hypermodels import HSICHyperModel
from keras_deepinit.tuning.hypermodels import NFResNetHyperModel
from keras_deepinit.tuning.hypermodels import OWNHyperModel
from keras_deepinit.tuning.hypermodels import own_group_sizes
