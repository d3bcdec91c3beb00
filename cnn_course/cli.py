"""The `cnn-course` command: `demo` (the main job), `make-data`, `notebooks`, `assignment` and `check`."""

import argparse
import json
import os
import pathlib
import sys
import time

from cnn_course import settings
from cnn_course._files import write_text_atomically
from cnn_course.tables import text_table

#: Demo settings: default mode, and quick mode (CI) with smaller data and fewer epochs.
DEMO_CONFIG = {
    "default": {"dense_epochs": 20, "conv_epochs": 20, "aug_epochs": 30, "patience": 8},
    "quick": {"dense_epochs": 2, "conv_epochs": 2, "aug_epochs": 2, "patience": 2},
}


def _log(message):
    print(message, flush=True)


def _format_table(rows):
    headers = ["model", "parameters", "epochs", "val acc > 0.5 from epoch", "train acc", "val acc",
               "test acc", "seconds"]
    cells = [[r["model"], f"{r['parameters']:,}", f"{r['epochs']} (best {r['best_epoch']})",
              str(r["first_epoch_val_above_half"] or "never"),
              r["train_accuracy"], r["val_accuracy"], r["test_accuracy"], f"{r['seconds']:.1f}"] for r in rows]
    return text_table(headers, cells, align="l" * len(headers), rule=True)


def _first_epoch_above(values, threshold):
    """The first epoch (1-based) whose value exceeds `threshold`, or None: when a model leaves chance."""
    return next((epoch for epoch, value in enumerate(values, start=1) if value > threshold), None)


def run_demo(data_dir=None, output_dir="cnn_course_output", quick=None, seed=0):
    """Run the main job: make the dataset if missing, train three models, report and save plots.

    Trains a dense baseline, a small convnet and the same convnet with
    augmentation on the embedded shapes dataset, prints a table
    and writes `training_curves.png`, `augmentations.png` and `results.json`
    to `output_dir`.

    Args:
        data_dir: where the shapes dataset lives (made there if missing).
            Default: `cnn_course.settings.default_data_dir() / "shapes"`
            (`shapes_quick` in quick mode).
        output_dir: folder for the figures and the results.
        quick: small data and 2 epochs per model (for CI); None reads
            `CNN_COURSE_QUICK`.
        seed: the seed for data generation and training.

    Returns:
        The list of result rows (dicts), one per model.
    """
    from cnn_course import augmentation, reproducibility

    quick = settings.quick_mode() if quick is None else quick
    config = DEMO_CONFIG["quick" if quick else "default"]
    if data_dir is None:
        data_dir = settings.default_data_dir() / ("shapes_quick" if quick else "shapes")
    output_dir = pathlib.Path(output_dir)
    start = time.perf_counter()

    data_dir = pathlib.Path(data_dir).expanduser().absolute()  # results.json records where it is
    train, val, test = _load_demo_splits(data_dir, quick, seed)

    reproducibility.set_seed(seed)
    augment = augmentation.recipe("shapes", seed=seed)  # mirror, and shift by up to 10%
    train_ds, eval_sets = _demo_datasets(train, val, test, seed)
    rows, histories = [], {}
    for step, (name, build, epochs) in enumerate(_demo_experiments(train, augment, config), start=2):
        _log(f"[{step}/5] Training {name} (up to {epochs} epochs, early stopping on val accuracy)")
        row, histories[name] = _train_and_evaluate(name, build, epochs, train_ds, eval_sets, config["patience"], seed)
        rows.append(row)

    _log("[5/5] Saving figures and results")
    results = {"seed": seed, "quick": quick, "dataset": os.fspath(data_dir), "rows": rows}
    curves, grid, results_path = _save_demo_outputs(output_dir, histories, train.images[0], augment, results)
    _log_demo_summary(rows, quick, len(train), config)
    _log(f"Saved: {curves}, {grid}, {results_path}")
    _log(f"Total time: {time.perf_counter() - start:.0f} s")
    return rows


def _load_demo_splits(data_dir, quick, seed):
    """Load (making it if missing) the shapes dataset and log its sizes; return the train, validation and test sets."""
    from cnn_course import datasets

    _log(f"[1/5] Dataset: {data_dir}")
    splits = datasets.load_shapes(quick=quick, seed=seed, data_dir=data_dir)
    train, val, test = splits["train"], splits["validation"], splits["test"]
    _log(f"      {len(train)} train / {len(val)} validation / {len(test)} test images of "
         f"{train.image_shape}, classes: {', '.join(train.class_names)}")
    return train, val, test


def _demo_datasets(train, val, test, seed):
    """The shuffled training dataset, and the three splits batched for evaluation (keys train, val, test)."""
    from cnn_course import data

    # Augmentation goes inside the model: on a 2-core CPU that trains faster than augmenting
    # in the tf.data pipeline, which competes with training for the cores (benchmarks/).
    train_ds = data.make_dataset(train, batch_size=32, shuffle=True, seed=seed)
    eval_sets = {
        "train": data.make_dataset(train, batch_size=128, cache=True),
        "val": data.make_dataset(val, batch_size=128, cache=True),
        "test": data.make_dataset(test, batch_size=128, cache=True),
    }
    return train_ds, eval_sets


def _demo_experiments(train, augment, config):
    """The three models to compare: (name, function building it, epochs)."""
    from cnn_course import models

    shape, n = train.image_shape, train.num_classes
    # Both convnets are the course's shapes network (models.shapes_convnet: three conv-BN-ReLU/pooling
    # blocks, global max pooling); the second sees augmented images. Notebook 03 explains the choices.
    return [
        ("dense", lambda: models.build_dense(shape, n, hidden_units=(128,), name="dense"),
         config["dense_epochs"]),
        ("convnet", lambda: models.shapes_convnet(shape, n, name="convnet"), config["conv_epochs"]),
        ("convnet+aug", lambda: models.shapes_convnet(shape, n, augmentation=augment, name="convnet_aug"),
         config["aug_epochs"]),
    ]


def _train_and_evaluate(name, build, epochs, train_ds, eval_sets, patience, seed):
    """Build and train one model from `seed`, evaluate it on every split; return its result row and history."""
    from cnn_course import models, reproducibility, training

    reproducibility.set_seed(seed)
    model = models.compile_for_task(build(), "multiclass")
    history = training.fit(model, train_ds, eval_sets["val"], epochs=epochs, patience=patience,
                           monitor="val_accuracy", name=f"    {name}")
    accuracy = {k: float(model.evaluate(ds, verbose=0)[1]) for k, ds in eval_sets.items()}
    row = {"model": name, "parameters": int(model.count_params()),
           "epochs": len(history.history["loss"]), "best_epoch": history.best_epoch,
           "first_epoch_val_above_half": _first_epoch_above(history.history["val_accuracy"], 0.5),
           "train_accuracy": accuracy["train"], "val_accuracy": accuracy["val"],
           "test_accuracy": accuracy["test"], "seconds": history.seconds}
    return row, history


def _save_demo_outputs(output_dir, histories, image, augment, results):
    """Write training_curves.png, augmentations.png and results.json into `output_dir`; return their paths.

    The figures are made with pyplot and closed once saved. matplotlib's backend is left as it is
    (a notebook that calls `run_demo` keeps its own); without a display, matplotlib picks a
    non-interactive one by itself.
    """
    import matplotlib.pyplot as plt

    from cnn_course import augmentation, plots

    fig, axes = plt.subplots(len(histories), 2, figsize=(10, 3.2 * len(histories)), squeeze=False)
    for row_axes, (name, history) in zip(axes, histories.items()):
        plots.plot_history(history, metrics=("loss", "accuracy"), title=name, ax=row_axes)
    curves = plots.save_figure(fig, output_dir / "training_curves.png")
    plt.close(fig)
    fig = augmentation.show_augmentations(image, augment, n=12, ncols=6)
    grid = plots.save_figure(fig, output_dir / "augmentations.png")
    plt.close(fig)
    results_path = output_dir / "results.json"
    write_text_atomically(results_path, json.dumps(results, indent=2))
    return curves, grid, results_path


def _log_demo_summary(rows, quick, n_train, config):
    """Print the results table and the two comparisons (and, in quick mode, that they compare nothing)."""
    _log("")
    _log(_format_table(rows))
    _log("")
    by_name = {r["model"]: r for r in rows}
    gain = by_name["convnet"]["test_accuracy"] - by_name["dense"]["test_accuracy"]
    _log(f"convnet vs dense, test accuracy: {100 * gain:+.1f} points")
    _log(f"augmentation vs plain convnet, validation accuracy: "
         f"{100 * (by_name['convnet+aug']['val_accuracy'] - by_name['convnet']['val_accuracy']):+.1f} points")
    if quick:
        _log(f"Quick mode ({n_train} training images, {config['conv_epochs']} epochs): a check that "
             f"everything runs; these accuracies are near chance and compare nothing. "
             f"Run without --quick (and without {settings.QUICK_ENV}) for the real comparison.")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes end in one line and exit status 2, no usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}. See: {self.prog} --help\n")


def _fail(prog, message):
    """One line on standard error, exit status 2: the way every user mistake ends."""
    sys.stderr.write(f"{prog}: error: {' '.join(str(message).split())}\n")
    return 2


def _seed(text):
    """argparse type: a seed, an integer >= 0."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, received {text!r}; for example --seed 0")
    return int(text)


def _image_size(text):
    """argparse type: the side of the generated images, an integer >= shapes.MIN_IMAGE_SIZE."""
    from cnn_course.shapes import MIN_IMAGE_SIZE

    if not text.strip().isdigit() or int(text) < MIN_IMAGE_SIZE:
        raise argparse.ArgumentTypeError(
            f"must be an integer of at least {MIN_IMAGE_SIZE} (pixels), received {text!r}; "
            "smaller images leave the shapes only a few pixels wide, for example --image-size 64")
    return int(text)


def _folder_for_output(option, path):
    """None if `path` can hold output files (absent or a folder), else the one-line reason."""
    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        return f"{option} {path} is a file, not a folder. Fix: name a folder (it is made if missing)"
    return None


def _build_parser():
    from cnn_course import __version__

    parser = _Parser(prog="cnn-course", description="The course's command line: run the demo, make the "
                     "dataset, get the notebooks, check the installation.")
    parser.add_argument("--version", action="version", version=f"cnn-course {__version__}",
                        help="print the version of cnn_course and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser, help="one of:")
    demo = sub.add_parser("demo", help="make the shapes dataset, train dense vs convnet vs "
                                       "convnet+augmentation, print a table, save plots",
                          description="The main job: train three models on the embedded shapes "
                                      "dataset and compare them.")
    demo.add_argument("--data", default=None, metavar="DIR",
                      help="folder of the shapes dataset: made there if missing, reused if it is "
                           "already this dataset (default: the course's data folder)")
    demo.add_argument("--output", default="cnn_course_output", metavar="DIR",
                      help="folder for the figures and results.json (default: %(default)s)")
    demo.add_argument("--quick", action="store_true", default=None,
                      help=f"tiny data and 2 epochs per model, for a check in seconds "
                           f"(same as {settings.QUICK_ENV}=1)")
    demo.add_argument("--seed", type=_seed, default=0,
                      help="seed of the data and the training (default: %(default)s)")
    make = sub.add_parser("make-data", help="write the shapes dataset as PNG folders",
                          description="Write the embedded shapes dataset as PNG files in "
                                      "train/, validation/ and test/ folders, one subfolder per class.")
    make.add_argument("directory", nargs="?", default=None, metavar="DIR",
                      help="where to write it: a new or empty folder, or one that already holds "
                           "this dataset (default: the course's data folder)")
    make.add_argument("--image-size", type=_image_size, default=None, metavar="PIXELS",
                      help="side of the square images in pixels (default: 64)")
    make.add_argument("--seed", type=_seed, default=0, help="seed of the images (default: %(default)s)")
    notebooks = sub.add_parser("notebooks", help="write the course notebooks into a folder",
                               description="Write the course notebooks (.ipynb) into a folder. "
                                           "A notebook you have edited is never overwritten: it is "
                                           "kept and reported as skipped.")
    notebooks.add_argument("directory", nargs="?", default="cnn_course_notebooks", metavar="DIR",
                           help="folder to write them to, made if missing (default: %(default)s)")
    from cnn_course import grading

    grading.add_assignment_commands(sub, _Parser, _positive_int, _positive_number, _seed)
    sub.add_parser("check", help="print the versions and settings of this installation",
                   description="Print the versions and settings that matter for the course; "
                               "paste the output into any question to the teacher.")
    return parser


def _positive_int(text):
    """argparse type: an integer >= 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, received {text!r}")
    return int(text)


def _positive_number(text):
    """argparse type: a number > 0 (seconds, gigabytes)."""
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, received {text!r}")
    return value


def _run_notebooks(directory):
    from cnn_course.notebook_files import write_notebooks

    report = write_notebooks(directory)
    for name in report["written"]:
        _log(f"wrote     {pathlib.Path(directory) / name}")
    for name in report["skipped"]:
        _log(f"skipped   {pathlib.Path(directory) / name}: you have changed it, so it was kept as it "
             f"is (to get a fresh copy, run: cnn-course notebooks ANOTHER_FOLDER)")
    if report["unchanged"]:
        _log(f"up to date: {len(report['unchanged'])} notebook(s) already match this version")
    for line in _how_to_open(directory):
        _log(line)
    return 0


def _how_to_open(directory):
    """What to run to open the notebooks: JupyterLab when it is installed, else how to get it, VS Code or Colab."""
    import shutil

    if shutil.which("jupyter-lab"):
        return [f"Open them with: jupyter lab {directory}"]
    return [f"To open them: JupyterLab is not installed here; install it with "
            f"{sys.executable} -m pip install \"jupyterlab>=4\", then run: "
            f"{pathlib.Path(sys.executable).with_name('jupyter')} lab {directory}",
            "  or open the .ipynb files in VS Code (with its Python and Jupyter extensions),",
            "  or upload them to Google Colab (File > Upload notebook), where the first cell installs cnn_course."]


def main(argv=None):
    """Entry point of the `cnn-course` console script and `python -m cnn_course`.

    A user's mistake (a bad option, a folder that holds other files, a file
    where a folder is needed) ends in one line on standard error and exit
    status 2; set `CNN_COURSE_DEBUG=1` to see the Python traceback instead.
    """
    args = _build_parser().parse_args(argv)
    prog = f"cnn-course {args.command}" + (f" {args.action}" if args.command == "assignment" else "")
    try:
        if args.command == "demo":
            problem = _folder_for_output("--output", args.output)
            if problem:
                return _fail(prog, problem)
            run_demo(args.data, args.output, args.quick, args.seed)
            return 0
        if args.command == "make-data":
            from cnn_course import shapes

            directory = args.directory or settings.default_data_dir() / "shapes"
            kwargs = {"seed": args.seed}
            if args.image_size is not None:
                kwargs["image_size"] = args.image_size
            _log(f"Dataset ready at {shapes.make_shapes_dataset(directory, **kwargs)}")
            return 0
        if args.command == "notebooks":
            return _run_notebooks(args.directory)
        if args.command == "assignment":
            from cnn_course import grading

            return grading.run_assignment_command(args, _folder_for_output)
        return settings.check_installation()
    except (OSError, ValueError) as exc:
        if settings.env_flag("CNN_COURSE_DEBUG"):
            raise
        return _fail(prog, exc)
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
