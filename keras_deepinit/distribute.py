"""One call for the right `tf.distribute` strategy: TPU, GPUs, workers or one
device."""

import json
import os

import tensorflow as tf

STRATEGIES = ("auto", "default", "mirrored", "multi-worker", "tpu")


def get_strategy(name="auto", *, tpu=None, devices=None):
    """Returns the `tf.distribute` strategy that `name` asks for.

    Examples:

    >>> strategy = get_strategy()  # what this machine has
    >>> with strategy.scope():
    ...     model = build(config)
    ...     model.compile(...)
    >>> model.fit(train.batch(64 * strategy.num_replicas_in_sync))

    Args:
        name: `"tpu"`: `TPUStrategy` through a `TPUClusterResolver` (a Cloud
            TPU VM or the `tpu` address), after connecting to the cluster and
            initializing the TPU system. `"multi-worker"`:
            `MultiWorkerMirroredStrategy`, its cluster from the `TF_CONFIG`
            environment variable. `"mirrored"`: `MirroredStrategy` over
            `devices`, default all GPUs, or without GPUs all logical CPU
            devices (see `tf.config.set_logical_device_configuration`).
            `"default"`: the default strategy, one device. `"auto"`: `"tpu"`
            when `tpu` is given or the `TPU_NAME` environment variable is
            set, else `"multi-worker"` when `TF_CONFIG` names more than one
            task, else `"mirrored"` with more than one GPU, else
            `"default"`.
        tpu: the TPU's name or `grpc://` address; None: the resolver's own
            discovery (`TPU_NAME`, or the local TPU VM).
        devices: the `"mirrored"` devices, e.g. `["/cpu:0", "/cpu:1"]`.
    """
    if name not in STRATEGIES:
        raise ValueError(
            f"Expected name to be one of {STRATEGIES}. Received: name={name!r}"
        )
    if name == "auto":
        name = _detect(tpu)
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    if name == "multi-worker":
        return _KerasMultiWorkerMirroredStrategy()
    if name == "mirrored":
        if devices is None and not tf.config.list_logical_devices("GPU"):
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    return tf.distribute.get_strategy()


class _KerasMultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """`MultiWorkerMirroredStrategy` with the two reductions Keras 3 gets wrong.

    Keras 3.15's `fit` (keras-team/keras#20585) averages the first batch
    across replicas, eagerly, only to learn its shapes, and averages every
    step's logs, scalars, along an axis 0 they do not have; this strategy
    rejects both. Here the first becomes this worker's own share (the same
    shapes) and the second an average over replicas, which is what both
    mean. Every other reduction, gradients included, is the strategy's own.
    """

    def reduce(self, reduce_op, value, axis):
        leaves = tf.nest.flatten(value)
        distributed = all(
            isinstance(v, tf.distribute.DistributedValues) for v in leaves
        )
        if tf.executing_eagerly() and len(leaves) > 1 and distributed:
            return tf.nest.map_structure(
                lambda v: self.experimental_local_results(v)[0], value
            )
        if axis is not None and all(_rank(v) == 0 for v in leaves):
            axis = None
        return super().reduce(reduce_op, value, axis)


def _rank(value):
    if isinstance(value, tf.distribute.DistributedValues):
        value = value.values[0]
    return getattr(value, "shape", tf.TensorShape(None)).rank


def _detect(tpu):
    if tpu or os.environ.get("TPU_NAME"):
        return "tpu"
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    if sum(len(tasks) for tasks in cluster.values()) > 1:
        return "multi-worker"
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return "mirrored"
    return "default"


def distribute_dataset(dataset):
    """Shards `dataset` by element across workers, the tf.data way.

    In-memory data sets (from tensors, not files) cannot be sharded by file;
    `DATA` sharding gives each worker every n-th batch. Keras's `fit`
    distributes the result over the strategy's replicas.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return dataset.with_options(options)
