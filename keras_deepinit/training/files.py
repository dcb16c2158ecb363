"""Files written whole or not at all: a run killed at any moment leaves the
old file or the new one, never a mix."""

import json
import os


def replace_atomically(partial_path, path):
    """Moves a finished file into place, flushed to disk first.

    `os.replace` is atomic: a reader, or a run killed at any moment, sees
    either the old file or the new one.
    """
    fd = os.open(partial_path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial_path, path)


def write_json_atomically(path, data):
    """Writes `data` as indented JSON to `path` atomically."""
    partial_path = f"{path}.partial"
    with open(partial_path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    replace_atomically(partial_path, path)
