import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from keras_deepinit import cli
from keras_deepinit.data import archives
from keras_deepinit.data import get_spec

COMMANDS = [
    [],
    ["data"],
    ["data", "info"],
    ["data", "show"],
    ["theory"],
    ["theory", "critical"],
    ["theory", "analyze"],
    ["theory", "phase-diagram"],
    ["theory", "residual-paths"],
    ["diagnose"],
    ["diagnose", "isometry"],
    ["train"],
    ["train", "deep-cnn"],
    ["train", "hsic"],
    ["train", "nf-resnet"],
    ["train", "own"],
    ["tune"],
    ["tune", "deep-cnn"],
    ["tune", "hsic"],
    ["tune", "nf-resnet"],
    ["tune", "own"],
    ["serve"],
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: keras-deepinit" in capsys.readouterr().out


def test_data_show_help_names_its_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["data", "show", "--help"])
    help_text = capsys.readouterr().out
    for option in ("--out", "--split", "--count", "--seed", "--data-dir"):
        assert option in help_text


def test_data_info_prints_counts_and_class_balance(data_dir, capsys):
    cli.main(["data", "info", "mnist", "--data-dir", str(data_dir)])
    out = capsys.readouterr().out
    assert "train: 60,000 examples  test: 10,000 examples" in out
    assert "1 1                6,742  11.2%     1,135  11.3%" in out
    assert "partial" not in out


def test_data_info_flags_the_partial_cifar10(data_dir, capsys):
    cli.main(["data", "info", "cifar10", "--data-dir", str(data_dir)])
    out = capsys.readouterr().out
    assert "train: 5,085 examples  test: 1,017 examples" in out
    assert "note: a partial copy" in out


def test_data_show_writes_a_png_of_real_digits(data_dir, tmp_path, capsys):
    out = tmp_path / "plots" / "grid.png"
    cli.main(
        [
            "data",
            "show",
            "mnist",
            "--data-dir",
            str(data_dir),
            "--out",
            str(out),
            "--count",
            "16",
        ]
    )
    assert "Wrote 16 mnist train samples" in capsys.readouterr().out

    picture = matplotlib.image.imread(out)
    assert picture.shape[0] > 300 and picture.shape[1] > 300
    # Mostly the black digit background, with white strokes.
    gray = picture[..., :3].mean(axis=-1)
    assert (gray < 0.1).mean() > 0.2 and (gray > 0.9).mean() > 0.1


def test_plot_samples_draws_the_files_images(data_dir, tmp_path):
    from keras_deepinit.data import plot_samples

    images, labels = plot_samples(
        "mnist", tmp_path / "a.png", split="test", count=5, data_dir=data_dir
    )
    file_images, file_labels = archives.read_split(get_spec("mnist"), data_dir, "test")
    np.testing.assert_array_equal(images, file_images[:5])
    assert labels.tolist() == file_labels[:5].tolist() == [7, 2, 1, 0, 4]

    drawn, _ = plot_samples(
        "mnist", tmp_path / "b.png", count=5, seed=7, data_dir=data_dir
    )
    again, _ = plot_samples(
        "mnist", tmp_path / "c.png", count=5, seed=7, data_dir=data_dir
    )
    np.testing.assert_array_equal(drawn, again)


def test_bad_count_is_named(data_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(
            [
                "data",
                "show",
                "mnist",
                "--data-dir",
                str(data_dir),
                "--out",
                str(tmp_path / "x.png"),
                "--count",
                "0",
            ]
        )
    assert exit_info.value.code == 2
    assert "Received: count=0" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_missing_data_dir_is_a_one_line_error(tmp_path):
    missing = tmp_path / "nowhere"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_deepinit.cli",
            "data",
            "info",
            "mnist",
            "--data-dir",
            str(missing),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert (
        "keras-deepinit: error: The data folder does not exist or is not a folder. "
        f"Received: data_dir='{missing}'" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_unknown_data_set_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["data", "info", "imagenet"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'imagenet'" in capsys.readouterr().err


def test_theory_critical_finds_the_papers_point(capsys):
    cli.main(["theory", "critical", "--activation", "tanh", "--sigma-b2", "2.01e-5"])
    out = capsys.readouterr().out
    assert "sigma_w^2                     1.05\n" in out
    assert "chi_1                         1\n" in out
    assert "predicted max depth (6 xi_c)  inf" in out

    cli.main(["theory", "critical", "--sigma-w2", "1.05"])
    assert "sigma_b^2                     2.01052e-05" in capsys.readouterr().out


def test_theory_analyze_predicts_a_finite_depth_off_the_line(capsys):
    cli.main(["theory", "analyze", "--sigma-w2", "1.5", "--sigma-b2", "0.05"])
    out = capsys.readouterr().out
    assert "chi_1                         0.938636" in out
    assert "predicted max depth (6 xi_c)  94.74" in out


def test_theory_critical_without_a_critical_point(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["theory", "critical", "--activation", "relu", "--sigma-b2", "0.1"])
    assert exit_info.value.code == 2
    assert "relu has no critical point" in capsys.readouterr().err


def test_theory_phase_diagram_writes_a_png(tmp_path, capsys):
    out = tmp_path / "phase.png"
    cli.main(["theory", "phase-diagram", "--out", str(out)])
    assert matplotlib.image.imread(out).shape[0] > 300
    assert str(out) in capsys.readouterr().out


def test_theory_residual_paths_prints_shares_and_plots(tmp_path, capsys):
    out = tmp_path / "paths.png"
    cli.main(["theory", "residual-paths", "--depths", "10000", "--out", str(out)])
    assert matplotlib.image.imread(out).shape[0] > 300
    printed = capsys.readouterr().out
    assert "10,000 blocks: 98.5% of the output variance through at most 15" in printed


def test_diagnose_isometry_prints_and_plots(tmp_path, capsys):
    out = tmp_path / "spectra.png"
    cli.main(
        [
            "diagnose",
            "isometry",
            "--initializers",
            "delta_orthogonal",
            "gaussian",
            "--depth",
            "4",
            "--width",
            "4",
            "--spatial",
            "4",
            "--out",
            str(out),
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("delta_orthogonal") and lines[2].startswith("gaussian")
    assert out.exists()


def test_train_dispatches_to_the_app(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "deep-cnn", "--help"])
    out = capsys.readouterr().out
    assert "usage: keras-deepinit train deep-cnn" in out
    for option in ("--depth", "--steps", "--initializer", "--recompute", "--run-dir"):
        assert option in out


def test_train_app_errors_are_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "deep-cnn", "--depth", "0", "--run-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "Received: depth=0" in capsys.readouterr().err


def test_tune_dispatches_to_the_search(capsys):
    with pytest.raises(SystemExit):
        cli.main(["tune", "deep-cnn", "--help"])
    out = capsys.readouterr().out
    assert "usage: keras-deepinit tune deep-cnn" in out
    for option in ("--max-trials", "--tuner", "--steps", "--depth", "--directory"):
        assert option in out
    assert "--sigma-w2" not in out  # Tuned, not a flag.


def test_tune_errors_are_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(
            ["tune", "deep-cnn", "--max-trials", "0", "--directory", str(tmp_path)]
        )
    assert exit_info.value.code == 2
    assert "Received: max_trials=0" in capsys.readouterr().err


def test_help_lists_the_registered_apps_without_importing_tensorflow():
    # The registry's declarations are light: `--help` stays fast.
    script = (
        "import sys\n"
        "from keras_deepinit import cli\n"
        "for argv in (['--help'], ['train', '--help'], ['tune', '--help']):\n"
        "    try:\n"
        "        cli.main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    *help_text, modules = result.stdout.strip().splitlines()
    assert modules == "False False"
    from keras_deepinit.apps import get_apps

    for name in get_apps():
        assert any(line.strip().startswith(name) for line in help_text), name


def test_a_lean_install_is_told_to_install_the_apps_stack(monkeypatch, capsys):
    from keras_deepinit import theory

    def missing_tensorflow(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'tensorflow'", name="tensorflow")

    monkeypatch.setattr(theory, "critical_point", missing_tensorflow)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["theory", "critical", "--activation", "tanh", "--sigma-b2", "0.05"])
    assert exit_info.value.code == 2
    assert "pip install 'keras-deepinit[apps]'" in capsys.readouterr().err
