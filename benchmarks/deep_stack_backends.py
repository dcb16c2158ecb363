"""Training-step time of `ConvStack2D` on each Keras backend.

The deep CNN's body (Xiao et al., 2018): `--depth` circular 3x3 convolutions
of width 16 on 7x7 maps, tanh, critical initialization, batch 64, then a
pooled dense head; SGD. Each run is a fresh process with `KERAS_BACKEND` set
before Keras is imported; the parent prints one row per run: the first step
alone (tracing and compilation included) and the mean of the following steps
(`model.train_on_batch`). Runs:
- tensorflow: one thread per op, the batch split across cores
  (`keras_deepinit.ops.one_thread_per_op`, what `train deep-cnn` does on a CPU);
- jax: a jitted step around `jax.lax.scan`;
- torch: PyTorch's default intra-op threads;
- torch-1-thread: `torch.set_num_threads(1)` (one 7x7x16 map is too small for
  threads to share, as on TensorFlow).

    python benchmarks/deep_stack_backends.py --depth 1000 --steps 3
    python benchmarks/deep_stack_backends.py --runs jax torch --recompute
"""

import argparse
import json
import os
import subprocess
import sys
import time

RUNS = ("tensorflow", "jax", "torch", "torch-1-thread")
WIDTH, MAP, BATCH = 16, 7, 64


def worker(run, depth, steps, recompute):
    import keras
    import numpy as np

    from keras_deepinit import ops
    from keras_deepinit.initializers import critical_initializers
    from keras_deepinit.layers import ConvStack2D

    if run == "tensorflow":
        ops.one_thread_per_op()
    if run == "torch-1-thread":
        import torch

        torch.set_num_threads(1)
    kernel_init, bias_init = critical_initializers("tanh", sigma_b2=2.01e-5, seed=0)
    inputs = keras.Input((MAP, MAP, WIDTH))
    x = ConvStack2D(
        depth,
        recompute=recompute,
        kernel_initializer=kernel_init,
        bias_initializer=bias_init,
    )(inputs)
    outputs = keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    model.compile(
        keras.optimizers.SGD(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, MAP, MAP, WIDTH)).astype("float32")
    y = rng.integers(0, 10, size=BATCH)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    assert np.isfinite(loss), loss
    return {"first_s": times[0], "step_s": float(np.mean(times[1:] or times))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=3, help="first step included")
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS))
    parser.add_argument("--recompute", action="store_true")
    parser.add_argument("--worker", choices=RUNS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.depth, args.steps, args.recompute)))
        return
    print(
        f"ConvStack2D training step: depth {args.depth}, width {WIDTH}, "
        f"{MAP}x{MAP} maps, batch {BATCH}, circular 3x3, tanh, "
        f"recompute={args.recompute}; {os.cpu_count()} CPUs"
    )
    print(f"{'run':<16}{'first step (s)':>16}{'step (s)':>12}")
    for run in args.runs:
        backend = run.split("-")[0]
        command = [sys.executable, __file__, "--worker", run]
        command += ["--depth", str(args.depth), "--steps", str(args.steps)]
        command += ["--recompute"] * args.recompute
        result = subprocess.run(
            command,
            env={**os.environ, "KERAS_BACKEND": backend},
            capture_output=True,
            text=True,
        )
        if result.returncode:
            print(f"{run:<16}failed: {result.stderr.strip().splitlines()[-1]}")
            continue
        row = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"{run:<16}{row['first_s']:>16.2f}{row['step_s']:>12.3f}")


if __name__ == "__main__":
    main()
