"""Looking at a data set: counts and class balance, and a grid of samples."""

import numpy as np

from keras_deepinit.checks import check_positive_int
from keras_deepinit.data.catalog import get_spec
from keras_deepinit.data.pipeline import load_raw
from keras_deepinit.plotting import new_figure
from keras_deepinit.plotting import save_figure


def describe(name, data_dir=None):
    """Counts, image shape and class balance of every split of a data set.

    Returns:
        A dict with `name`, `image_shape`, `class_names`, `source` and
        `splits`, a dict of split name to `{"examples", "class_counts"}`.
    """
    spec = get_spec(name)
    splits = {}
    for split in spec.splits:
        raw = load_raw(name, split, data_dir)
        counts = np.zeros(spec.num_classes, np.int64)
        for labels in raw.dataset.map(lambda image, label: label).batch(10_000):
            counts += np.bincount(labels.numpy(), minlength=spec.num_classes)
        splits[split] = {"examples": raw.num_examples, "class_counts": counts.tolist()}
    return {
        "name": name,
        "image_shape": spec.image_shape,
        "class_names": spec.class_names,
        "source": raw.source,
        "splits": splits,
    }


def format_description(description):
    """Renders `describe`'s result as a table for the terminal."""
    class_names = description["class_names"]
    splits = description["splits"]
    lines = [
        f"{description['name']}: {description['image_shape']} uint8 images, "
        f"{len(class_names)} classes, from {description['source']}",
        "  ".join(
            f"{split}: {info['examples']:,} examples" for split, info in splits.items()
        ),
    ]
    official = get_spec(description["name"]).num_examples
    if any(info["examples"] != official[split] for split, info in splits.items()):
        lines.append(
            "note: a partial copy (the official release has "
            + ", ".join(f"{split} {count:,}" for split, count in official.items())
            + "); accuracies on it do not compare with published ones."
        )
    lines += [
        "",
        f"{'class':<14}" + "".join(f"{split:>18}" for split in splits),
    ]
    for index, class_name in enumerate(class_names):
        cells = ""
        for info in splits.values():
            count = info["class_counts"][index]
            cells += f"{count:>10,} {100 * count / max(info['examples'], 1):5.1f}%"
        lines.append(f"{index} {class_name:<12}" + cells)
    return "\n".join(lines)


def plot_samples(name, out, split="train", count=36, seed=None, data_dir=None):
    """Saves a PNG grid of sample images titled with their class names.

    Args:
        name: the data set.
        out: path of the PNG to write; parent folders are created.
        split: the split to draw from.
        count: number of images.
        seed: None for the split's first `count` images, else a seeded random
            draw.
        data_dir: folder of official archives (see `keras_deepinit.data.load`).

    Returns:
        The uint8 images and int64 labels drawn, in grid order.
    """
    check_positive_int("count", count)
    spec = get_spec(name)
    raw = load_raw(name, split, data_dir)
    dataset = raw.dataset
    if seed is not None:
        dataset = dataset.shuffle(raw.num_examples, seed=seed)
    images, labels = next(iter(dataset.batch(count)))
    images, labels = images.numpy(), labels.numpy()

    columns = int(np.ceil(np.sqrt(len(images))))
    rows = int(np.ceil(len(images) / columns))
    figure, axes = new_figure(
        rows, columns, figsize=(1.3 * columns, 1.5 * rows), squeeze=False
    )
    for axis in axes.flat:
        axis.axis("off")
    for axis, image, label in zip(axes.flat, images, labels, strict=False):
        if image.shape[-1] == 1:
            axis.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255)
        else:
            axis.imshow(image)
        axis.set_title(spec.class_names[label], fontsize=8)
    figure.suptitle(f"{name} {split}: {len(images)} samples", fontsize=10)
    figure.tight_layout()
    save_figure(figure, out, dpi=100)
    return images, labels
