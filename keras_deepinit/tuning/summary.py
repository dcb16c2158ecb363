"""A search's trials as rows: sorted, printed, and written to JSON and CSV."""

import csv
import json
import math
import os

SUMMARY_FILE = "summary"  # .json and .csv


def summarize(oracle, hypermodel):
    """One row per trial: id, status, score and `hypermodel.values`, best first."""
    rows = [
        {
            "trial_id": trial.trial_id,
            "status": trial.status,
            "score": trial.score,
            **hypermodel.values(trial.hyperparameters),
        }
        for trial in oracle.trials.values()
    ]
    sign = -1 if oracle.objective.direction == "max" else 1
    return sorted(
        rows,
        key=lambda row: (
            row["score"] is None or math.isnan(row["score"]),
            sign * (row["score"] or 0.0),
        ),
    )


def format_table(rows):
    """The rows as an aligned text table."""

    def text(value):
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    columns = list(rows[0])
    cells = [columns] + [[text(row.get(name)) for name in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    )


def write_summary(rows, folder, objective):
    """`<folder>/summary.json` (objective and rows) and `summary.csv` (rows);
    returns their path without the suffix."""
    path = os.path.join(folder, SUMMARY_FILE)
    with open(path + ".json", "w") as file:
        summary = {"objective": objective.name, "direction": objective.direction}
        json.dump({**summary, "trials": rows}, file, indent=2)
    with open(path + ".csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
