"""Runs `keras-deepinit train <app>` in this process with `LOGICAL_CPUS`
logical CPU devices, for tests/test_distribute.py's subprocesses.

    LOGICAL_CPUS=2 python tests/distributed_app.py own --strategy mirrored ...
"""

import os
import sys

import tensorflow as tf

count = int(os.environ.get("LOGICAL_CPUS", "1"))
if count > 1:  # Before TensorFlow initializes its devices.
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * count,
    )

from keras_deepinit.apps import get_app  # noqa: E402

get_app(sys.argv[1]).run(sys.argv[2:])
