"""The `cnn-course` command: the demo end to end in quick mode, `check`, and one-line errors for mistakes."""

import argparse
import json
import subprocess
import sys

import pytest


def _run(args, tmp_path, **env):
    import os

    full_env = {**os.environ, "MPLBACKEND": "Agg", **env}
    return subprocess.run([sys.executable, "-m", "cnn_course", *args], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path, env=full_env)


@pytest.mark.trains
def test_demo_quick_prints_table_and_writes_outputs(tmp_path):
    out = _run(["demo", "--quick", "--data", str(tmp_path / "shapes"), "--output", "results"],
               tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    for model in ("dense", "convnet", "convnet+aug"):
        assert f"\n{model} " in out.stdout
    assert "test acc" in out.stdout and "[5/5]" in out.stdout
    for name in ("training_curves.png", "augmentations.png", "results.json"):
        assert (tmp_path / "results" / name).stat().st_size > 0
    rows = json.loads((tmp_path / "results" / "results.json").read_text())["rows"]
    assert [r["model"] for r in rows] == ["dense", "convnet", "convnet+aug"]
    # Each accuracy is a count of right answers over its split's images (quick mode: 12, 6 and 6 per
    # class, 4 classes), the table prints the same numbers as results.json, and the summary line
    # is their difference.
    sizes = {"train_accuracy": 48, "val_accuracy": 24, "test_accuracy": 24}
    for r in rows:
        for key, n in sizes.items():
            assert 0.0 <= r[key] <= 1.0 and r[key] * n == pytest.approx(round(r[key] * n), abs=1e-4), (r, key)
        printed = next(line for line in out.stdout.splitlines() if line.startswith(f"{r['model']} "))
        assert printed.split()[-4:-1] == [f"{r[key]:.3f}" for key in sizes]  # then the seconds
    by_name = {r["model"]: r for r in rows}
    gain = 100 * (by_name["convnet"]["test_accuracy"] - by_name["dense"]["test_accuracy"])
    assert f"convnet vs dense, test accuracy: {gain:+.1f} points" in out.stdout
    for r in rows:  # the epoch a model first passes 50% validation accuracy, or None
        assert r["first_epoch_val_above_half"] in (None, *range(1, r["epochs"] + 1))
    assert "val acc > 0.5 from epoch" in out.stdout
    # Quick mode says that its numbers compare nothing (it sits near chance by design).
    assert "Quick mode (48 training images, 2 epochs): a check that everything runs" in out.stdout
    # No TensorFlow start-up noise reaches the terminal.
    assert "absl::InitializeLog" not in out.stderr and "oneDNN custom operations" not in out.stderr


def test_check_reports_versions(tmp_path):
    import platform

    import numpy

    from cnn_course.settings import import_keras, import_tensorflow_quietly

    out = _run(["check"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Installation OK." in out.stdout
    assert "TF_ENABLE_ONEDNN_OPTS=1" in out.stdout
    # One line per package, with the version this Python really imports.
    versions = {line.split()[0]: line.split()[1] for line in out.stdout.splitlines() if len(line.split()) > 1}
    assert versions["Python"] == platform.python_version()
    assert versions["NumPy"] == numpy.__version__
    assert versions["TensorFlow"] == import_tensorflow_quietly().__version__
    assert versions["Keras"] == import_keras().__version__


# --- a user's mistakes: one line, exit status 2, no traceback ----------------


def _one_line_error(out, *needles):
    """The run failed with exit 2 and exactly one line on stderr holding every needle."""
    assert out.returncode == 2, (out.returncode, out.stdout[-2000:], out.stderr[-2000:])
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_make_data_into_a_folder_of_other_files(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    out = _run(["make-data", str(folder)], tmp_path)
    _one_line_error(out, "cnn-course make-data: error:", str(folder), "notes.txt", "choose another")
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "my notes"


def test_demo_data_into_a_folder_of_other_files(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "photo.jpg").write_bytes(b"not really a photo")
    out = _run(["demo", "--quick", "--data", str(folder), "--output", "out"], tmp_path)
    _one_line_error(out, "cnn-course demo: error:", "photo.jpg")
    assert [p.name for p in folder.iterdir()] == ["photo.jpg"]
    assert not (tmp_path / "out").exists()


def test_demo_output_that_is_a_file(tmp_path):
    (tmp_path / "results").write_text("keep me")
    out = _run(["demo", "--quick", "--output", "results"], tmp_path)
    _one_line_error(out, "--output", "is a file, not a folder", "Fix:")
    assert (tmp_path / "results").read_text() == "keep me"


@pytest.mark.parametrize("value", ["5", "0", "-3", "big", "15"])
def test_image_size_must_be_at_least_the_minimum(tmp_path, value):
    from cnn_course.shapes import MIN_IMAGE_SIZE

    out = _run(["make-data", str(tmp_path / "d"), "--image-size", value], tmp_path)
    line = _one_line_error(out, "--image-size", f"at least {MIN_IMAGE_SIZE}", repr(value), "--help")
    assert "image_size=" not in line  # the option's name, not the Python argument's
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("args", [["demo", "--seed", "-1"], ["make-data", "--seed", "x"]])
def test_seed_must_be_a_non_negative_integer(tmp_path, args):
    _one_line_error(_run(args, tmp_path), "--seed", "integer >= 0")


@pytest.mark.parametrize("args, needle", [
    ([], "COMMAND"),
    (["train"], "invalid choice: 'train'"),
    (["demo", "--epochs", "3"], "unrecognized arguments: --epochs 3"),
])
def test_unknown_commands_and_options(tmp_path, args, needle):
    _one_line_error(_run(args, tmp_path), "error:", needle, "--help")


def test_notebooks_into_a_file(tmp_path):
    (tmp_path / "nb").write_text("keep me")
    _one_line_error(_run(["notebooks", "nb"], tmp_path), "cnn-course notebooks: error:", "not a folder")
    assert (tmp_path / "nb").read_text() == "keep me"


def test_version_and_help_text_for_every_option(tmp_path):
    from cnn_course import __version__
    from cnn_course.cli import _build_parser

    out = _run(["--version"], tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == f"cnn-course {__version__}"
    parser = _build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parsers = {"cnn-course": parser, **subparsers.choices}
    assert set(parsers) == {"cnn-course", "demo", "make-data", "notebooks", "assignment", "check"}
    actions = next(a for a in parsers["assignment"]._actions if isinstance(a, argparse._SubParsersAction))
    assert set(actions.choices) == {"list", "build", "check", "samples", "grade"}
    parsers.update({f"assignment {name}": sub for name, sub in actions.choices.items()})
    for name, sub in parsers.items():
        for action in sub._actions:
            assert action.help, f"{name}: {action.option_strings or action.dest} has no help text"


def test_help_and_make_data_do_not_import_tensorflow(tmp_path):
    # Measured in-process: `--help` and `make-data` must start fast, so nothing may pull in TensorFlow.
    code = ("import sys\nfrom cnn_course import cli\n"
            "code = cli.main(['make-data', sys.argv[1], '--image-size', '16'])\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n"
            "print('exit', code)")
    import os

    env = {**os.environ, "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "d")], capture_output=True,
                         text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "exit 0" in out.stdout and (tmp_path / "d" / "manifest.json").is_file()


def test_assignment_build_all_writes_every_student_version(tmp_path):
    out = _run(["assignment", "build", "all", "handouts"], tmp_path)
    assert out.returncode == 0, out.stderr
    names = ["a1_convolution", "a2_own_convnet", "a3_small_data", "a4_debug_and_tune",
             "a5_architectures_and_regularisation"]
    assert sorted(p.name for p in (tmp_path / "handouts").iterdir()) == sorted(
        f"{name}{suffix}" for name in names for suffix in (".ipynb", ".py"))


@pytest.mark.parametrize("args, expected", [
    (["assignment", "grade", "no_such_assignment", "."], "No assignment named 'no_such_assignment'; the assignments "
                                                          "are a1_convolution, a2_own_convnet"),
    (["assignment", "grade", "a1_convolution", "missing_folder"], "missing_folder does not exist"),
    (["assignment", "grade", "a1_convolution", ".", "--jobs", "0"], "--jobs: must be an integer >= 1"),
    (["assignment", "grade", "a1_convolution", ".", "--time-limit", "-5"], "--time-limit: must be a number > 0"),
    (["assignment", "check", "missing.ipynb"], "missing.ipynb is not a file"),
    (["assignment", "build", "handouts"], "cnn-course assignment build all handouts"),  # a folder where NAME goes
    (["assignment"], "required: ACTION"),
])
def test_assignment_mistakes_get_one_line_and_exit_2(args, expected, tmp_path):
    # From a folder without assignments/: the masters are found beside the package (the repository).
    out = _run(args, tmp_path)
    assert out.returncode == 2, out.stderr
    assert expected in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "Traceback" not in out.stderr


def test_assignment_check_without_a_checker_line_names_the_option(tmp_path):
    (tmp_path / "mine.py").write_text("x = 1\n")
    out = _run(["assignment", "check", "mine.py"], tmp_path)
    assert out.returncode == 2 and "--assignment NAME" in out.stderr


def test_assignment_list_names_every_assignment_with_its_points(tmp_path):
    out = _run(["assignment", "list"], tmp_path)
    assert out.returncode == 0, out.stderr
    for name in ("a1_convolution", "a2_own_convnet", "a3_small_data", "a4_debug_and_tune",
                 "a5_architectures_and_regularisation"):
        assert f"{name}: " in out.stdout


def test_run_demo_leaves_the_matplotlib_backend_alone(tmp_path, monkeypatch):
    # A notebook that calls run_demo keeps its backend: the demo no longer calls matplotlib.use.
    # No training (fit is replaced): the test is about the figures, and takes seconds.
    import types

    import matplotlib

    from cnn_course import cli, training

    def fit_without_training(model, train, validation, *, epochs, **kwargs):
        curves = {"loss": [1.4, 1.3], "accuracy": [0.3, 0.4], "val_loss": [1.4, 1.35], "val_accuracy": [0.25, 0.3]}
        return types.SimpleNamespace(history=curves, best_epoch=2, seconds=0.0)

    monkeypatch.setattr(training, "fit", fit_without_training)
    before = matplotlib.get_backend()
    # A backend other than the Agg the demo once switched to, so that a switch would show.
    matplotlib.use("svg")
    try:
        rows = cli.run_demo(tmp_path / "shapes", tmp_path / "out", quick=True)
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)
    assert [r["model"] for r in rows] == ["dense", "convnet", "convnet+aug"]
    for name in ("training_curves.png", "augmentations.png", "results.json"):
        assert (tmp_path / "out" / name).stat().st_size > 0


@pytest.mark.parametrize("installed", [True, False], ids=["jupyterlab", "no jupyterlab"])
def test_notebooks_say_how_to_open_them_with_or_without_jupyterlab(installed, monkeypatch):
    # After a plain `pip install`, `jupyter lab` does not exist: the command says how to get it, or what else
    # opens them.
    import shutil

    from cnn_course import cli

    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/jupyter-lab" if installed else None)
    text = "\n".join(cli._how_to_open("course_notebooks"))
    if installed:
        assert text == "Open them with: jupyter lab course_notebooks"
    else:
        assert f'{sys.executable} -m pip install "jupyterlab>=4"' in text and "jupyter lab course_notebooks" in text
        assert "VS Code" in text and "Colab" in text
