"""Build, first-step and step times of the deep CNN across depths.

Each depth runs in a fresh process, so "from process start" includes importing
TensorFlow; the parent prints one row per depth: seconds from process start to
the end of the first training step, the first step alone (tracing included),
the mean of the following steps, and the process's peak resident memory. Width
16, batch 64, MNIST-shaped random input, SGD. TensorFlow runs one thread per
op with the batch split across cores (what `train deep-cnn` does on a CPU)
unless `--default-threads`.

    python benchmarks/deep_cnn_scaling.py --depths 1000 10000
    python benchmarks/deep_cnn_scaling.py --depths 100000 --recompute --steps 1
"""

import argparse
import json
import subprocess
import sys
import time

START = time.perf_counter()


def worker(depth, width, batch_size, steps, recompute, default_threads):
    import resource

    import keras
    import numpy as np

    from keras_deepinit import ops
    from keras_deepinit.apps.deep_cnn import DeepCNNConfig
    from keras_deepinit.apps.deep_cnn import build_deep_cnn

    if not default_threads:
        ops.one_thread_per_op()

    model = build_deep_cnn(DeepCNNConfig(depth=depth, width=width, recompute=recompute))
    model.compile(
        keras.optimizers.SGD(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch_size, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, batch_size)
    begin = time.perf_counter()
    loss = model.train_on_batch(x, y)
    first_step = time.perf_counter() - begin
    since_start = time.perf_counter() - START
    begin = time.perf_counter()
    for _ in range(steps - 1):
        loss = model.train_on_batch(x, y)
    step = (time.perf_counter() - begin) / (steps - 1) if steps > 1 else float("nan")
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(
        json.dumps(
            {
                "depth": depth,
                "start_to_first_step_s": since_start,
                "first_step_s": first_step,
                "step_s": step,
                "peak_memory_gb": peak_gb,
                "loss": float(loss),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4, help="training steps per depth")
    parser.add_argument("--recompute", action="store_true")
    parser.add_argument("--default-threads", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(
            args.depths[0],
            args.width,
            args.batch_size,
            args.steps,
            args.recompute,
            args.default_threads,
        )
        return
    rows = []
    for depth in args.depths:
        command = [
            sys.executable,
            __file__,
            "--worker",
            "--depths", str(depth),
            "--width", str(args.width),
            "--batch-size", str(args.batch_size),
            "--steps", str(args.steps),
        ] + (["--recompute"] if args.recompute else []) + (
            ["--default-threads"] if args.default_threads else []
        )  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
        print(f"depth {depth:,} done", flush=True)
    print(
        f"{'depth':>8}{'start->1st step s':>19}{'1st step s':>12}{'step s':>9}"
        f"{'peak GB':>9}{'loss':>8}"
    )
    for row in rows:
        print(
            f"{row['depth']:>8,}{row['start_to_first_step_s']:>19.1f}"
            f"{row['first_step_s']:>12.1f}{row['step_s']:>9.2f}"
            f"{row['peak_memory_gb']:>9.2f}{row['loss']:>8.3f}"
        )
    if len(rows) > 1:
        ratio = rows[-1]["step_s"] / rows[0]["step_s"]
        print(f"step({rows[-1]['depth']:,}) / step({rows[0]['depth']:,}) = {ratio:.2f}")


if __name__ == "__main__":
    main()
