"""Tests for cnn_course.learning_curves: stratified subsets, seeded curves, plots."""

import re

import cnn_course  # noqa: F401  (sets TensorFlow's flags before it is imported)

import matplotlib

matplotlib.use("Agg")

import matplotlib.figure  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnn_course import datasets, learning_curves, models  # noqa: E402
from cnn_course.datasets import ImageSet  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    """400 training and 180 validation 8x8 digits: enough for 10 classes, quick to train."""
    data = datasets.load_digits()
    train = data["train"]
    keep = learning_curves.stratified_subset(train.labels, 400, seed=0)
    return ImageSet(train.images[keep], train.labels[keep], train.class_names), data["validation"]


def build_small():
    return models.compile_for_task(models.build_dense((8, 8, 1), 10, hidden_units=(8,)), learning_rate=1e-2)


def build_with_units(units):
    return models.compile_for_task(models.build_dense((8, 8, 1), 10, hidden_units=(units,)),
                                   learning_rate=1e-2)


@pytest.fixture(scope="module")
def curve(digits):
    train, validation = digits
    return learning_curves.learning_curve(build_small, train, validation, sizes=(0.1, 0.5, 1.0),
                                          epochs=2, seed=3)


# ---------------------------------------------------------------------------
# Stratified subsets
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 37, 120, 400])
def test_stratified_subset_has_every_class_in_proportion(digits, size):
    labels = digits[0].labels
    subset = learning_curves.stratified_subset(labels, size, seed=0)
    assert len(subset) == size == len(np.unique(subset))
    counts = np.bincount(labels[subset], minlength=10)
    assert counts.min() >= 1  # every class present
    expected = size * np.bincount(labels, minlength=10) / len(labels)
    assert np.all(np.abs(counts - expected) <= 1)


def test_stratified_subset_is_seeded_and_nested():
    labels = np.repeat(np.arange(3), [20, 10, 5])
    a = learning_curves.stratified_subset(labels, 14, seed=5)
    np.testing.assert_array_equal(a, learning_curves.stratified_subset(labels, 14, seed=5))
    assert not np.array_equal(a, learning_curves.stratified_subset(labels, 14, seed=6))
    small = learning_curves.stratified_subset(labels, 7, seed=5)
    assert set(small) <= set(a)
    assert np.bincount(labels[small]).tolist() == [4, 2, 1]


def test_stratified_subset_too_small_is_rejected():
    with pytest.raises(ValueError, match="one image per class"):
        learning_curves.stratified_subset(np.arange(10), 5)


# ---------------------------------------------------------------------------
# Learning curve
# ---------------------------------------------------------------------------


@pytest.mark.trains
def test_learning_curve_table(curve):
    assert curve.train_sizes == [40, 200, 400]
    assert curve.values == [40, 200, 400]
    table = curve.table
    assert table.shape == (3, 7)
    assert table.columns[:5] == ("training examples", "parameters", "training images",
                                 "training error", "validation error")
    for column in ("training error", "validation error", "best validation error"):
        assert np.all((table[column] >= 0) & (table[column] <= 1))
    assert np.all(table["best validation error"] <= table["validation error"] + 1e-12)
    assert set(curve.best_epoch) <= {1, 2}
    # The figures are Keras's own: 1 - the validation accuracy fit reported after the last epoch
    # (the same weights and validation data), and the best epoch of that history.
    for k, history in enumerate(curve.histories):
        val_error = 1.0 - np.asarray(history["val_accuracy"])
        assert curve.val_error[k] == pytest.approx(val_error[-1], abs=1e-6)
        assert curve.best_val_error[k] == pytest.approx(val_error.min(), abs=1e-6)
        assert curve.best_epoch[k] == int(np.argmin(val_error)) + 1
    assert table["parameters"].tolist() == [64 * 8 + 8 + 8 * 10 + 10] * 3  # Dense 64->8->10
    assert len(curve.histories) == 3 and len(curve.histories[0]["loss"]) == 2
    assert curve.val_error[-1] < curve.val_error[0]  # more data helps here
    assert "validation error" in str(curve) and "<table>" in table._repr_html_()


@pytest.mark.trains
def test_learning_curve_is_deterministic_with_its_seed(digits, curve):
    train, validation = digits
    again = learning_curves.learning_curve(build_small, train, validation, sizes=(0.1, 0.5, 1.0),
                                           epochs=2, seed=3)
    assert again.table == curve.table


@pytest.mark.trains
def test_learning_curve_counts_and_loss_metric(digits):
    train, validation = digits
    result = learning_curves.learning_curve(build_small, (train.images, train.labels), validation,
                                            sizes=(20, 60), epochs=1, metric="loss")
    assert result.train_sizes == [20, 60]
    assert result.table.columns[3:5] == ("training loss", "validation loss")
    assert all(v > 0 for v in result.val_error)
    for k, history in enumerate(result.histories):  # the loss fit reported on the same validation data
        assert result.val_error[k] == pytest.approx(history["val_loss"][-1], rel=1e-5)
        assert result.best_val_error[k] == pytest.approx(min(history["val_loss"]), rel=1e-5)


def test_learning_curve_prints_one_line_per_size(digits, capsys):
    train, validation = digits
    result = learning_curves.learning_curve(build_small, train, validation, sizes=(20, 60), epochs=1)
    lines = capsys.readouterr().out.splitlines()
    pattern = re.compile(r"size (\d)/2  images=(\d+)  train_error=(\S+)  val_error=(\S+)  \(\d+\.\d s\)")
    matches = [pattern.fullmatch(line) for line in lines]
    assert len(lines) == 2 and all(matches), lines
    for k, match in enumerate(matches):
        assert (int(match.group(1)), int(match.group(2))) == (k + 1, result.train_sizes[k])
        assert float(match.group(3)) == pytest.approx(result.train_error[k], abs=5e-5)
        assert float(match.group(4)) == pytest.approx(result.val_error[k], abs=5e-5)
    learning_curves.learning_curve(build_small, train, validation, sizes=(20,), epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


@pytest.mark.trains
def test_learning_curve_trains_on_stratified_subsets(digits, monkeypatch):
    from cnn_course import training

    seen, real_fit = [], training.fit

    def spy(model, train, validation=None, **kwargs):
        seen.append(np.concatenate([np.asarray(y) for _, y in train]))
        return real_fit(model, train, validation, **kwargs)

    monkeypatch.setattr(training, "fit", spy)
    train, validation = digits
    learning_curves.learning_curve(build_small, train, validation, sizes=(10, 0.1), epochs=1)
    assert [len(labels) for labels in seen] == [10, 40]
    assert [len(np.unique(labels)) for labels in seen] == [10, 10]  # every class present
    assert np.bincount(seen[1]).min() >= 3


@pytest.mark.parametrize("sizes, match", [((0.01,), "one image per class"), ((0.0,), "fractions"),
                                          ((1000,), "counts between"), (0.5, "sequence")])
def test_learning_curve_rejects_bad_sizes(digits, sizes, match):
    train, validation = digits
    with pytest.raises(ValueError, match=match):
        learning_curves.learning_curve(build_small, train, validation, sizes=sizes, epochs=1)


def test_learning_curve_needs_a_compiled_model(digits):
    train, validation = digits
    with pytest.raises(ValueError, match="not compiled"):
        learning_curves.learning_curve(lambda: models.build_dense((8, 8, 1), 10), train, validation,
                                       sizes=(1.0,), epochs=1)
    with pytest.raises(ValueError, match="fit_kwargs"):
        learning_curves.learning_curve(build_small, train, validation, sizes=(1.0,), epochs=1,
                                       fit_kwargs={"epochs": 3})


# ---------------------------------------------------------------------------
# Capacity curve
# ---------------------------------------------------------------------------


@pytest.mark.trains
def test_capacity_curve(digits):
    train, validation = digits
    run = [learning_curves.capacity_curve(build_with_units, [1, 32], train, validation, epochs=2,
                                          seed=1, capacity_name="hidden units") for _ in range(2)]
    result = run[0]
    assert result.table == run[1].table  # seeded: bit-identical
    assert result.table.shape == (2, 7) and result.table.columns[0] == "hidden units"
    assert result.values == [1, 32] and result.train_sizes == [400, 400]
    assert result.num_params == [64 * 1 + 1 + 1 * 10 + 10, 64 * 32 + 32 + 32 * 10 + 10]
    assert result.train_error[1] < result.train_error[0]  # more capacity fits the data better


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


@pytest.mark.trains
def test_plots_return_figures(curve):
    fig = learning_curves.plot_learning_curve(curve)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_xlabel() == "training images"
    for line, errors in zip(ax.lines, (curve.train_error, curve.val_error)):
        np.testing.assert_allclose(line.get_xdata(), [40, 200, 400])
        np.testing.assert_allclose(line.get_ydata(), errors)
    plt.close(fig)

    capacity = learning_curves.CurveResult(
        "filters", [64, 4, 16], "error", [0.0, 0.3, 0.1], [0.3, 0.35, 0.2], [0.3, 0.35, 0.2],
        [1, 1, 1], [3, 1, 2], [9, 9, 9], [{}, {}, {}])
    fig, ax = plt.subplots()
    assert learning_curves.plot_capacity_curve(capacity, ax=ax) is fig
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [4, 16, 64])  # sorted by capacity
    best = ax.lines[2]  # the marker on the lowest validation error
    assert (best.get_xdata()[0], best.get_ydata()[0]) == (16, 0.2)
    plt.close(fig)
