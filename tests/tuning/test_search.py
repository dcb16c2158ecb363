import csv
import json

import pytest

from keras_deepinit.apps import tune as search
from keras_deepinit.theory import critical_sigma_w2


def tune(app, data_dir, tmp_path, *extra):
    return search.main(
        [
            app, "--data-dir", str(data_dir), "--directory", str(tmp_path),
            "--project-name", "search", "--batch-size", "32", "--steps", "4",
            "--validation-examples", "64", "--verbose", "0", *extra,
        ]
    )  # fmt: skip


def test_deep_cnn_search_at_depth_200_on_mnist_runs_and_resumes(
    data_dir, tmp_path, capsys
):
    model = ["--depth", "200", "--width", "8", "--activation", "tanh"]
    rows = tune("deep-cnn", data_dir, tmp_path, *model, "--max-trials", "2")
    folder = tmp_path / "search"
    assert json.loads((folder / "search.json").read_text())["depth"] == 200
    assert [row["status"] for row in rows] == ["COMPLETED"] * 2
    scores = [row["score"] for row in rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    for row in rows:
        # Sampled around the critical line: sigma_w2 = critical x ratio.
        assert 1e-5 <= row["sigma_b2"] <= 1e-2 and 0.5 <= row["sigma_w2_ratio"] <= 2
        assert row["sigma_w2"] == pytest.approx(
            critical_sigma_w2("tanh", row["sigma_b2"]) * row["sigma_w2_ratio"]
        )
    out = capsys.readouterr().out
    assert "trial_id  status     score" in out
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["objective"] == "val_accuracy" and summary["trials"] == rows
    with open(folder / "summary.csv") as file:
        table = list(csv.DictReader(file))
    assert [float(row["sigma_w2"]) for row in table] == [r["sigma_w2"] for r in rows]
    plot = folder / "sigma_w2.png"
    assert plot.read_bytes().startswith(b"\x89PNG")

    # The same command with one more trial keeps the two and runs one.
    before = {path: path.read_text() for path in folder.glob("trial_*/trial.json")}
    assert len(before) == 2
    plot.unlink()
    resumed = tune(
        "deep-cnn", data_dir, tmp_path, *model, "--max-trials", "3", "--verbose", "1"
    )
    out = capsys.readouterr().out
    assert "Reloading Tuner" in out
    assert out.count("Search: Running Trial #") == 1 and "Trial #3" in out
    assert all(path.read_text() == text for path, text in before.items())
    assert len(resumed) == 3 and plot.exists()
    kept = {row["trial_id"]: row for row in rows}
    assert {r["trial_id"]: r for r in resumed if r["trial_id"] in kept} == kept

    # Other options in the same folder would mix two searches.
    with pytest.raises(ValueError, match=r"\(width=8\).*Received: width=16"):
        tune("deep-cnn", data_dir, tmp_path, "--depth", "200", "--width", "16")


@pytest.mark.parametrize(
    "app, extra, objective, tuned",
    [
        (
            "nf-resnet",
            ["--dataset", "mnist", "--architecture", "deep_stack", "--blocks", "2",
             "--width", "8"],
            "val_accuracy",
            {"alpha_init", "learning_rate"},
        ),
        (
            "own",
            ["--depth", "2", "--width", "16", "--tuner", "bayesian"],
            "val_accuracy",
            {"group_size", "method"},
        ),
        (
            "hsic",
            ["--depth", "1", "--width", "16"],
            "val_unformatted_accuracy",
            {"beta", "sigma"},
        ),
    ],
)  # fmt: skip
def test_every_app_searches(app, extra, objective, tuned, data_dir, tmp_path):
    (row,) = tune(app, data_dir, tmp_path, *extra, "--max-trials", "1")
    assert row["status"] == "COMPLETED" and 0 <= row["score"] <= 1
    assert set(row) == {"trial_id", "status", "score", *tuned}
    summary = json.loads((tmp_path / "search" / "summary.json").read_text())
    assert summary["objective"] == objective and summary["direction"] == "max"
    assert not (tmp_path / "search" / "sigma_w2.png").exists()


def test_default_project_name_names_the_model(data_dir, tmp_path):
    search.main(
        ["own", "--depth", "1", "--width", "8", "--max-trials", "1", "--steps", "2",
         "--validation-examples", "32", "--batch-size", "32", "--verbose", "0",
         "--data-dir", str(data_dir), "--directory", str(tmp_path)]
    )  # fmt: skip
    assert (tmp_path / "own_mnist_mlp_1x8" / "summary.csv").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--max-trials", "0"], "Received: max_trials=0"),
        (["--steps", "0"], "Received: steps=0"),
        (["--learning-rate", "0"], "Received: learning_rate=0.0"),
        (["--warmup-steps", "-1"], "Received: warmup_steps=-1"),
        (["--body-learning-rate", "-1"], "Received: body_learning_rate=-1.0"),
        (["--depth", "0"], "Received: depth=0"),
        (["--validation-examples", "60000"], "Received: validation_examples=60000"),
    ],
)
def test_bad_arguments(extra, message, data_dir, tmp_path):
    with pytest.raises(ValueError, match=message):
        tune("deep-cnn", data_dir, tmp_path, *extra)


@pytest.mark.parametrize(
    "argv",
    [["resnet"], ["deep-cnn", "--sigma-w2", "1.0"], ["hsic", "--tuner", "grid"]],
)
def test_unknown_apps_and_tuned_fields_are_not_flags(argv, capsys):
    with pytest.raises(SystemExit):
        search.main(argv)
    assert "usage: keras-deepinit tune" in capsys.readouterr().err
