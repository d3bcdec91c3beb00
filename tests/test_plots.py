"""Plot helpers: they take ax=None, return the figure, and draw what they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnn_course import plots

HISTORY = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.9],
           "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.55]}


def test_plot_history_draws_train_and_validation_and_marks_best():
    fig = plots.plot_history(HISTORY)
    loss_ax, acc_ax = fig.axes
    train, val, best = loss_ax.lines
    np.testing.assert_allclose(train.get_ydata(), HISTORY["loss"])
    np.testing.assert_allclose(val.get_ydata(), HISTORY["val_loss"])
    assert best.get_xdata()[0] == 2  # lowest validation loss at epoch 2
    assert acc_ax.lines[2].get_xdata()[0] == 2  # highest validation accuracy at epoch 2
    plt.close(fig)


def test_plot_history_marks_the_lowest_val_mae_and_no_best_for_an_unknown_metric():
    history = {"mae": [0.5, 0.3, 0.2], "val_mae": [0.6, 0.3, 0.4], "score": [1, 2, 3], "val_score": [1, 3, 2]}
    fig = plots.plot_history(history, metrics=("mae", "score"))
    mae_ax, score_ax = fig.axes
    assert mae_ax.lines[2].get_xdata()[0] == 2  # mean absolute error: lower is better, as Keras says
    assert len(score_ax.lines) == 2  # whether a higher "score" is better is unknown: no epoch marked
    plt.close(fig)


def test_plot_history_into_given_axes_and_smoothing():
    fig, axes = plt.subplots(1, 1)
    out = plots.plot_history(HISTORY, metrics="loss", smoothing=0.5, ax=axes)
    assert out is fig
    np.testing.assert_allclose(axes.lines[0].get_ydata(), [1.0, 0.8, 0.6])
    with pytest.raises(ValueError, match="one Axes per metric"):
        plots.plot_history(HISTORY, ax=axes)
    with pytest.raises(ValueError, match="names found in the history"):
        plots.plot_history(HISTORY, metrics=("auc",))
    plt.close(fig)


def test_show_images_titles_and_colours():
    images = np.zeros((3, 8, 8, 3), "uint8")
    fig = plots.show_images(images, labels=[0, 1, 1], class_names=["cat", "dog"],
                            predictions=np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]]))
    texts = fig.axes[0].texts
    assert [t.get_text() for t in texts] == ["cat / cat", "dog / cat", "dog / dog"]
    assert [t.get_color() for t in texts] == ["green", "red", "green"]
    plt.close(fig)


def _where(mosaic, tile):
    """Every (top, left) at which `tile` appears in `mosaic`, by exhaustive search."""
    h, w = tile.shape[:2]
    return [(top, left) for top in range(mosaic.shape[0] - h + 1) for left in range(mosaic.shape[1] - w + 1)
            if np.allclose(mosaic[top:top + h, left:left + w], tile, atol=1e-6)]


def test_show_images_draws_each_image_scaled_in_reading_order():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (5, 8, 8, 1), dtype="uint8")
    fig = plots.show_images(grey, ncols=3, max_images=4)
    mosaic = np.asarray(fig.axes[0].images[0].get_array())
    expected = np.repeat(grey.astype("float64") / 255.0, 3, axis=-1)  # uint8 to [0, 1], grey to RGB
    spots = [_where(mosaic, tile) for tile in expected]
    assert [len(s) for s in spots] == [1, 1, 1, 1, 0], spots  # each shown once; the 5th is past max_images
    (r0, c0), (r1, c1), (r2, c2), (r3, c3) = (s[0] for s in spots[:4])
    assert r0 == r1 == r2 < r3 and c0 < c1 < c2 and c3 == c0  # three per row, then the next row
    plt.close(fig)
    # Floats are shown as they are, values outside [0, 1] clipped.
    colour = rng.random((2, 6, 6, 3)) * 1.4 - 0.2
    fig = plots.show_images(colour)
    mosaic = np.asarray(fig.axes[0].images[0].get_array())
    assert [len(_where(mosaic, tile)) for tile in np.clip(colour, 0.0, 1.0)] == [1, 1]
    plt.close(fig)


def test_save_figure_is_atomic(tmp_path):
    fig = plots.plot_history(HISTORY)
    path = plots.save_figure(fig, tmp_path / "sub" / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["curves.png"]
    plt.close(fig)


def test_compare_histories_draws_one_line_per_run_and_panel():
    runs = {"SGD": {"loss": [2.3, 2.0, 1.5], "val_accuracy": [0.1, 0.3, 0.5]},
            "Adam": {"loss": [1.4, 0.6], "val_accuracy": [0.7, 0.9]}}
    fig = plots.compare_histories(runs, ("loss", "val_accuracy"), chance=0.1, title="demo")
    loss_panel, accuracy_panel = fig.axes
    assert [line.get_label() for line in loss_panel.lines] == ["SGD", "Adam"]  # no chance line on the loss
    assert list(loss_panel.lines[0].get_ydata()) == [2.3, 2.0, 1.5]
    assert list(loss_panel.lines[1].get_xdata()) == [1, 2]  # epochs count from 1, each run its own length
    assert [line.get_label() for line in accuracy_panel.lines] == ["SGD", "Adam", "chance"]
    assert list(accuracy_panel.lines[2].get_ydata()) == [0.1, 0.1]
    assert accuracy_panel.get_title() == "demo: val_accuracy"
    plt.close(fig)


def test_compare_histories_names_what_the_runs_recorded():
    with pytest.raises(ValueError, match=r"one of \['loss'\].*Received: metrics='val_accuracy'"):
        plots.compare_histories({"a": {"loss": [1.0]}}, ("loss", "val_accuracy"))
    with pytest.raises(ValueError, match="histories"):
        plots.compare_histories({})
