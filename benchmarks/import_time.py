"""Import time of the building blocks under each Keras backend.

Each backend in a fresh process: the time to import keras, then the time to
import every building block on top of it, and whether TensorFlow was imported
(it must not be under JAX or PyTorch).

    python benchmarks/import_time.py [--repeats 3]
"""

import argparse
import json
import os
import subprocess
import sys

BUILDING_BLOCKS = (
    "keras_deepinit.theory",
    "keras_deepinit.ops",
    "keras_deepinit.initializers",
    "keras_deepinit.layers",
    "keras_deepinit.losses",
    "keras_deepinit.metrics",
    "keras_deepinit.models",
    "keras_deepinit.callbacks",
    "keras_deepinit.diagnostics",
    "keras_deepinit.optimizers",
)

PROBE = f"""
import importlib, json, sys, time
start = time.perf_counter()
import keras
after_keras = time.perf_counter()
for name in {BUILDING_BLOCKS!r}:
    importlib.import_module(name)
done = time.perf_counter()
print(json.dumps({{
    "backend": keras.config.backend(),
    "keras_s": after_keras - start,
    "blocks_s": done - after_keras,
    "tensorflow_imported": "tensorflow" in sys.modules,
}}))
"""


def probe(backend):
    """One fresh process's import times under `backend`."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print("| backend | keras (s) | building blocks (s) | TensorFlow imported |")
    print("|---|---|---|---|")
    for backend in args.backends:
        runs = [probe(backend) for _ in range(args.repeats)]
        keras_s = min(r["keras_s"] for r in runs)
        blocks_s = min(r["blocks_s"] for r in runs)
        imported = any(r["tensorflow_imported"] for r in runs)
        print(f"| {backend} | {keras_s:.2f} | {blocks_s:.2f} | {imported} |")


if __name__ == "__main__":
    main()
