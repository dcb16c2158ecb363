"""Image classification data (MNIST, Fashion-MNIST, CIFAR-10) as tf.data pipelines.

From tensorflow-datasets, or offline from the official archives in a local
folder (`data_dir=` or `KERAS_DEEPINIT_DATA_DIR`).
"""

from keras_deepinit.data.archives import DataFormatError
from keras_deepinit.data.catalog import DATASETS
from keras_deepinit.data.catalog import DatasetSpec
from keras_deepinit.data.catalog import get_spec
from keras_deepinit.data.pipeline import DATA_DIR_ENV
from keras_deepinit.data.pipeline import load
from keras_deepinit.data.pipeline import load_raw
from keras_deepinit.data.pipeline import normalize_images
from keras_deepinit.data.pipeline import resolve_data_dir
from keras_deepinit.data.summary import describe
from keras_deepinit.data.summary import plot_samples
