"""Training-step time of OrthogonalDense (OWN, ONI) against torch's orthogonal.

Times one training step (plain SGD at lr 0.01, cross-entropy) of an MLP
784-1024x4-10 (tanh hidden layers, linear output) at batch 256 on random
MNIST-shaped inputs, side by side in one run with the same CPU thread count:
in Keras with `Dense` and with `OrthogonalDense` ("eig" and "newton" with 5
iterations, at the default group size and at `--group-size`) as hidden layers;
in PyTorch with `nn.Linear` and with `torch.nn.utils.parametrizations.orthogonal`
on each hidden `nn.Linear` (its default map, which is "householder" for the
non-square first layer and "matrix_exp" for the square ones, then each map
forced). The output layer stays plain. Overhead is a variant's step time over
its own framework's baseline step. Each variant warms up (`--warmup` steps,
tracing included), then the variants are interleaved within each of
`--repeats` blocks of `--steps` steps; the table gives the median block. A
warm-up or block ends early, after at least one step, past
`--max-block-seconds` (torch's householder map takes seconds per step). Then
come torch's best overhead against ours at each group size, and eig against
newton. PyTorch is a benchmark-only dependency: `pip install torch`.

    python benchmarks/own_vs_torch.py --steps 20 --repeats 3 --threads 2
"""

import argparse
import statistics
import sys
import time
from functools import partial

import keras
import numpy as np
import tensorflow as tf

from keras_deepinit.layers import OrthogonalDense
from keras_deepinit.ops.own import METHODS
from keras_deepinit.ops.own import resolve_group_size

try:
    import torch
except ImportError:
    sys.exit(
        "This benchmark needs PyTorch, which keras_deepinit does not install. "
        "Install it with: pip install torch  (CPU-only build: pip install torch "
        "--index-url https://download.pytorch.org/whl/cpu)"
    )

INPUTS, HIDDEN, CLASSES = 784, (1024,) * 4, 10
BATCH, LEARNING_RATE = 256, 0.01
TORCH_MAPS = ("matrix_exp", "cayley", "householder")
# torch's default map: "householder" for non-square (the first layer), else
# "matrix_exp".
TORCH_DEFAULT = "default (householder+matrix_exp)"


def keras_step(hidden_layer, x, y):
    """One compiled Keras training step, with `hidden_layer(units)` layers."""
    inputs = keras.Input((INPUTS,))
    h = inputs
    for units in HIDDEN:
        h = hidden_layer(units)(h)
    model = keras.Model(inputs, keras.layers.Dense(CLASSES)(h))
    model.compile(
        keras.optimizers.SGD(LEARNING_RATE),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x, y = tf.constant(x), tf.constant(y)
    return lambda: model.train_on_batch(x, y)  # returns the loss: synchronous


def torch_step(parametrize, x, y):
    """One torch training step; `parametrize` (if any) on each hidden Linear."""
    layers, width = [], INPUTS
    for units in HIDDEN:
        linear = torch.nn.Linear(width, units)
        if parametrize is not None:
            parametrize(linear)
        layers += [linear, torch.nn.Tanh()]
        width = units
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, CLASSES))
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def dense_layer(units):
    return keras.layers.Dense(units, "tanh")


def own_layer(method, group_size):
    return lambda units: OrthogonalDense(
        units, activation="tanh", group_size=group_size, method=method, iterations=5
    )


def torch_orthogonal(orthogonal_map):
    orthogonal = torch.nn.utils.parametrizations.orthogonal
    return lambda linear: orthogonal(linear, orthogonal_map=orthogonal_map)


def variants(x, y, groups):
    """{variant: (framework, OWN group label, build)}, baselines first."""
    found = {"Dense": ("keras", None, partial(keras_step, dense_layer, x, y))}
    for label, size in groups.items():
        for method in METHODS:
            build = partial(keras_step, own_layer(method, size), x, y)
            found[f"OWN {method}, group {label}"] = ("keras", label, build)
    found["nn.Linear"] = ("torch", None, partial(torch_step, None, x, y))
    for name in (None, *TORCH_MAPS):
        build = partial(torch_step, torch_orthogonal(name), x, y)
        found[f"orthogonal {name or TORCH_DEFAULT}"] = ("torch", None, build)
    return found


def time_block(step, steps, max_seconds):
    """Milliseconds per step, over `steps` steps or fewer once past `max_seconds`."""
    step()  # untimed: refills caches after the other variants ran
    begin = now = time.perf_counter()
    done = 0
    while done < steps and (done == 0 or now - begin < max_seconds):
        step()
        done, now = done + 1, time.perf_counter()
    return (now - begin) / done * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--max-block-seconds",
        type=float,
        default=60.0,
        help="end a variant's warm-up or timing block early (after at least one "
        "step) once it has run this long: torch's householder map takes seconds "
        "per step",
    )
    parser.add_argument("--group-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    # Before TF runs any op, or it refuses.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    torch.set_num_threads(args.threads)
    keras.utils.set_random_seed(0)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, INPUTS), dtype=np.float32)
    y = rng.integers(0, CLASSES, size=BATCH)

    widths = zip(HIDDEN, (INPUTS, *HIDDEN[:-1]), strict=True)
    default = {resolve_group_size(units, n) for units, n in widths}
    groups = {f"default ({'/'.join(map(str, sorted(default)))})": None}
    groups[str(args.group_size)] = args.group_size
    found = variants(x, y, groups)

    steps, failures = {}, {}
    for variant, (_, _, build) in found.items():
        try:
            step = build()
            begin = time.perf_counter()
            for _ in range(args.warmup):  # the first steps trace and allocate
                step()
                if time.perf_counter() - begin > args.max_block_seconds:
                    break
        except Exception as error:  # reported, e.g. a map refusing a shape
            failures[variant] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
            continue
        steps[variant] = step
    times = {variant: [] for variant in steps}
    for _ in range(args.repeats):  # interleaved, so drifting load hits all alike
        for variant, step in steps.items():
            times[variant].append(time_block(step, args.steps, args.max_block_seconds))
    ms = {variant: statistics.median(block) for variant, block in times.items()}
    baseline = {"keras": ms.get("Dense"), "torch": ms.get("nn.Linear")}
    overhead = {v: ms[v] / baseline[found[v][0]] for v in ms if baseline[found[v][0]]}

    print(
        f"MLP {INPUTS}-{HIDDEN[0]}x{len(HIDDEN)}-{CLASSES}, batch {BATCH}, SGD, "
        f"{args.threads} threads, median of {args.repeats} x {args.steps} steps; "
        f"TF {tf.__version__}, Keras {keras.__version__}, torch {torch.__version__}"
    )
    print(f"{'framework':<10}{'variant':<44}{'ms/step':>9}{'overhead':>10}")
    for variant, (framework, *_) in found.items():
        if variant in failures:
            print(f"{framework:<10}{variant:<44}  failed: {failures[variant]}")
        else:
            ratio = f"{overhead[variant]:.2f}x" if variant in overhead else "n/a"
            print(f"{framework:<10}{variant:<44}{ms[variant]:>9.1f}{ratio:>10}")

    theirs = {v: r for v, r in overhead.items() if v.startswith("orthogonal")}
    if theirs:
        best = min(theirs, key=theirs.get)
        half = theirs[best] / 2
        print(f"\ntorch best overhead {theirs[best]:.2f}x ({best}); half: {half:.2f}x")
        for label in groups:
            own = {v: r for v, r in overhead.items() if found[v][1] == label}
            if own:
                mine = min(own, key=own.get)
                method = mine.split(",")[0]
                print(
                    f"OWN best at group {label}: {own[mine]:.2f}x ({method}); at most "
                    f"half of torch's best: {'yes' if own[mine] <= half else 'no'}"
                )
    print("\neig vs newton (extra = step time minus the Dense step time):")
    for label in groups:
        eig, newton = (ms.get(f"OWN {m}, group {label}") for m in METHODS)
        if eig and newton and baseline["keras"]:
            extra = (newton - baseline["keras"]) / (eig - baseline["keras"])
            print(
                f"  group {label}: eig {eig:.1f} ms, newton {newton:.1f} ms; "
                f"newton/eig: step {newton / eig:.2f}x, extra {extra:.2f}x"
            )


if __name__ == "__main__":
    main()
