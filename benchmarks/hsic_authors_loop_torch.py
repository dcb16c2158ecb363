"""The authors' HSIC training loop, re-created in PyTorch, for their seed spread.

A reference for `hsic_vs_backprop.py`: the same network and settings trained
the way the authors' code trains, so its accuracy across seeds can be set
beside ours. Per batch and per block, in order: a full forward pass, the
block's CCA-normalized HSIC objective (inverting the regularized kernels),
backward, and a step of a new SGD (momentum 0.9, weight decay 0.001, so the
momentum never acts) on that block's weights only. Unshuffled batches of 256,
the last one short, as theirs. Then the unformatted test accuracy (units
matched optimally) with batch statistics (their evaluation) and with running
statistics. Written for this project from the paper and the behaviour
described in issue 7; PyTorch is a benchmark-only dependency.

    python benchmarks/hsic_authors_loop_torch.py --data-dir ../shared/data --seeds 0 1 2
"""

import argparse
import sys
import time

import numpy as np

from keras_deepinit.data import archives
from keras_deepinit.data import catalog
from keras_deepinit.metrics import matched_accuracy

try:
    import torch
except ImportError:
    sys.exit("This benchmark needs PyTorch: pip install torch")

SIGMA, BETA, LEARNING_RATE, BATCH, EPSILON = 6.0, 200.0, 0.001, 256, 1e-5


def load(data_dir, split):
    images, labels = archives.read_split(catalog.get_spec("mnist"), data_dir, split)
    images = torch.tensor(images.reshape(len(images), -1) / 255.0, dtype=torch.float32)
    return images, torch.tensor(labels.astype(np.int64))


def block(inputs, outputs):
    return torch.nn.Sequential(
        torch.nn.Linear(inputs, outputs),
        torch.nn.BatchNorm1d(outputs, affine=False),
        torch.nn.ReLU(),
    )


def centred_kernel(x):
    m = x.shape[0]
    squares = (x * x).sum(1, keepdim=True)
    distances = (squares - 2 * x @ x.T + squares.T).abs()
    kernel = torch.exp(-distances / (2 * SIGMA**2 * x.shape[1]))
    return kernel @ (torch.eye(m) - 1.0 / m)


def cca_hsic(x, y):
    m = x.shape[0]
    shift = EPSILON * m * torch.eye(m)
    k_x, k_y = centred_kernel(x), centred_kernel(y)
    r_x, r_y = k_x @ torch.inverse(k_x + shift), k_y @ torch.inverse(k_y + shift)
    return (r_x * r_y.T).sum()


def outputs(blocks, x):
    hidden = []
    for b in blocks:
        x = b(x)
        hidden.append(x)
    return hidden


def run_seed(seed, train, test):
    torch.manual_seed(seed)
    blocks = torch.nn.ModuleList(
        [block(784, 1024)] + [block(1024, 1024) for _ in range(5)] + [block(1024, 10)]
    )
    images, labels = train
    start = time.perf_counter()
    for first in range(0, len(images), BATCH):
        x = images[first : first + BATCH]
        y = torch.eye(10)[labels[first : first + BATCH]]
        for index, trained in enumerate(blocks):
            hidden = outputs(blocks, x)[index]
            optimizer = torch.optim.SGD(
                trained.parameters(), lr=LEARNING_RATE, momentum=0.9, weight_decay=0.001
            )
            optimizer.zero_grad()
            (cca_hsic(hidden, x) - BETA * cca_hsic(hidden, y)).backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    accuracies = {}
    with torch.no_grad():
        for mode in ("batch", "running"):
            blocks.train(mode == "batch")
            images, labels = test
            out = torch.cat(
                [
                    outputs(blocks, images[i : i + BATCH])[-1]
                    for i in range(0, len(images), BATCH)
                ]
            ).numpy()
            counts = np.zeros((10, 10))
            np.add.at(counts, (out.argmax(1), labels.numpy()), 1)
            accuracies[mode] = matched_accuracy(counts)
    return seconds, accuracies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train, test = load(args.data_dir, "train"), load(args.data_dir, "test")
    print("seed  epoch s  unformatted (batch stats)  unformatted (running stats)")
    for seed in args.seeds:
        seconds, accuracy = run_seed(seed, train, test)
        print(
            f"{seed:4d}  {seconds:7.1f}  {100 * accuracy['batch']:24.2f}%  "
            f"{100 * accuracy['running']:26.2f}%",
            flush=True,
        )


if __name__ == "__main__":
    main()
