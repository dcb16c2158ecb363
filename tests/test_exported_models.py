"""The models shipped in exported_models/ load and classify real MNIST."""

import json

import numpy as np
import tensorflow as tf
from test_package import REPO

from keras_deepinit import data
from keras_deepinit import export

SHIPPED = REPO / "exported_models"


def test_the_shipped_hsic_model_serves_its_recorded_accuracy(data_dir):
    version = SHIPPED / "hsic_mnist" / "1"
    metadata = json.loads((version / export.METADATA_FILE).read_text())
    assert metadata["dataset"] == "mnist" and metadata["signature"]["name"]
    served = tf.saved_model.load(str(version)).signatures["serving_default"]
    test = data.load(
        "mnist", "test", data_dir=data_dir, batch_size=1000, normalization="scale"
    )
    images, labels = next(iter(test))
    logits = served(images=images)["predictions"].numpy()
    accuracy = float(np.mean(np.argmax(logits, -1) == labels.numpy()))
    # Recorded on the whole test set; here its first 1,000 images.
    assert abs(accuracy - metadata["metrics"]["accuracy"]) < 0.03
    assert accuracy > 0.9
