"""Plots for training: learning curves and labelled image grids. Helpers take `ax=None` and return the figure."""

import numpy as np

from cnn_course._direction import best_index
from cnn_course._validation import arg_error


def _new_axes(nrows, ncols, width, height):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    return fig, axes.ravel()


def _as_history_dict(history):
    """Accept a Keras `History`, its `.history` dict, or a dict of lists."""
    values = getattr(history, "history", history)
    if not isinstance(values, dict) or not values:
        raise arg_error(
            "history", type(history).__name__, "a keras History or a non-empty dict of metric lists",
            "Pass what model.fit(...) returned",
        )
    return values


def _label_panel(axis, metric, title):
    """Epochs along x, the metric up y, a title (after `title` if given), a grid and a legend."""
    axis.set_xlabel("epoch")
    axis.set_ylabel(metric)
    axis.set_title(f"{title}: {metric}" if title else metric)
    axis.grid(alpha=0.3)
    axis.legend(fontsize="small")


def smooth(values, factor):
    """Exponential moving average, as TensorBoard's smoothing slider does.

    Args:
        values: sequence of numbers.
        factor: in [0, 1): 0 returns the values unchanged, 0.9 is very smooth.

    Returns:
        A list of the same length.

    Example:

    >>> smooth([0.0, 1.0, 1.0], 0.5)
    [0.0, 0.5, 0.75]
    """
    if not 0 <= factor < 1:
        raise arg_error("smoothing", factor, "a number in [0, 1)")
    out, last = [], None
    for v in values:
        last = v if last is None else factor * last + (1 - factor) * v
        out.append(float(last))
    return out


def plot_history(history, metrics=("loss", "accuracy"), smoothing=0.0, title=None, ax=None):
    """Plot training and validation curves, one panel per metric.

    Training is drawn as a solid line, validation (`val_` + metric) dashed, so
    the gap between them, the sign of overfitting, is easy to see. The best
    validation epoch is marked. Introduced in `notebooks/00_getting_started`.

    Args:
        history: what `model.fit` returned (or its `.history` dict).
        metrics: metric names to plot, e.g. `("loss", "accuracy")`; names
            missing from the history are skipped.
        smoothing: exponential smoothing factor in [0, 1) for noisy curves.
        title: optional text put before each panel's title.
        ax: None for a new figure, or one Axes per metric (a single Axes when
            plotting one metric).

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: if none of `metrics` is in the history; the message lists
            what it holds.

    Example:

    >>> from cnn_course.plots import plot_history
    >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.9]})
    >>> len(fig.axes)
    1
    """
    values = _as_history_dict(history)
    if isinstance(metrics, str):
        metrics = (metrics,)
    present = [m for m in metrics if m in values]
    if not present:
        raise arg_error(
            "metrics", tuple(metrics), f"names found in the history: {sorted(values)}",
        )
    if ax is None:
        fig, axes = _new_axes(1, len(present), 4.5 * len(present), 3.4)
    else:
        axes = list(np.ravel(ax))
        if len(axes) != len(present):
            raise arg_error(
                "ax", f"{len(axes)} Axes", f"one Axes per metric plotted ({present})",
                describe=True,
            )
        fig = axes[0].figure
    for axis, name in zip(axes, present):
        train = smooth(values[name], smoothing)
        epochs = np.arange(1, len(train) + 1)
        axis.plot(epochs, train, "-", label=f"training {name}")
        val_name = "val_" + name
        if val_name in values:
            val = smooth(values[val_name], smoothing)
            axis.plot(epochs, val, "--", label=f"validation {name}")
            best = best_index(val, val_name)  # None: which way it improves is unknown, no epoch marked
            if best is not None:
                axis.plot(epochs[best], val[best], "o", color="black", label=f"best epoch ({best + 1})")
        _label_panel(axis, name, title)
    fig.tight_layout()
    return fig


def compare_histories(histories, metrics=("loss", "val_accuracy"), chance=None, title=None):
    """Plot several training runs side by side: one panel per metric, one line per run.

    For experiments that change one thing and keep the rest (an optimiser,
    an activation, the depth): the runs share each panel, so their curves
    compare epoch by epoch. Runs of different lengths are drawn as they are.
    Introduced in `notebooks/10_training_deep_networks`.

    Args:
        histories: a dict `{run name: what model.fit returned}` (or its
            `.history` dict).
        metrics: metric names, one panel each; a metric no run recorded is
            an error.
        chance: optional accuracy of guessing, drawn as a dotted line on the
            panels whose metric contains "accuracy".
        title: optional text put before each panel's title.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: if `histories` is empty, or if no run recorded one of
            `metrics` (the message lists what they hold).

    Example:

    >>> from cnn_course.plots import compare_histories
    >>> fig = compare_histories({"SGD": {"loss": [2.3, 2.0]}, "Adam": {"loss": [1.5, 0.6]}}, metrics=("loss",))
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['SGD', 'Adam']
    """
    if not isinstance(histories, dict) or not histories:
        raise arg_error("histories", type(histories).__name__, "a non-empty dict {run name: history}",
                        "e.g. {'SGD': history_sgd, 'Adam': history_adam}")
    runs = {name: _as_history_dict(history) for name, history in histories.items()}
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    recorded = sorted({key for values in runs.values() for key in values})
    for metric in metrics:
        if metric not in recorded:
            raise arg_error("metrics", metric, f"a metric the runs recorded, one of {recorded}")
    fig, axes = _new_axes(1, len(metrics), 5 * len(metrics), 3.6)
    for axis, metric in zip(axes, metrics):
        for name, values in runs.items():
            if metric in values:
                axis.plot(np.arange(1, len(values[metric]) + 1), values[metric], marker="o", label=name)
        if chance is not None and "accuracy" in metric:
            axis.axhline(chance, color="gray", linestyle=":", label="chance")
        _label_panel(axis, metric, title)
    fig.tight_layout()
    return fig


def show_images(images, labels=None, class_names=None, predictions=None, titles=None,
                ncols=8, max_images=32, ax=None):
    """Show images as a grid, titled with their labels (and predictions when given).

    With `predictions`, each title reads "true / predicted", green when right
    and red when wrong. The grid is drawn as one mosaic in a single Axes, so it
    fits into any figure layout. Introduced in `notebooks/00_getting_started`.

    Args:
        images: array `(n, height, width, channels)` (channels 1 or 3), uint8
            in [0, 255] or float in [0, 1]; or `(n, height, width)`.
        labels: optional integer labels, shape `(n,)`.
        class_names: optional names indexed by label.
        predictions: optional predicted integer labels, or class probabilities
            `(n, num_classes)` (their argmax is used), or binary probabilities
            `(n,)`/`(n, 1)` (thresholded at 0.5).
        titles: optional explicit titles, one per image (overrides labels).
        ncols: tiles per row.
        max_images: show at most this many (the first ones).
        ax: a matplotlib Axes, or None for a new figure.

    Returns:
        The matplotlib Figure.

    Example:

    >>> import numpy as np
    >>> from cnn_course.plots import show_images
    >>> fig = show_images(np.zeros((4, 8, 8, 1)), labels=[0, 1, 0, 1], class_names=["a", "b"])
    >>> len(fig.axes)
    1
    """
    images = _checked_images(images)
    n = min(len(images), int(max_images))
    images = _as_unit_rgb(images[:n])
    predicted = _predicted_labels(predictions, n)
    titles, colours = _tile_titles(n, labels, class_names, predicted, titles)
    ncols = max(1, min(int(ncols), n))
    nrows = int(np.ceil(n / ncols))
    mosaic = _mosaic(images, ncols, nrows)
    if ax is None:
        fig, axes = _new_axes(1, 1, min(2.0 + 1.6 * ncols, 16), min(1.0 + 1.8 * nrows, 14))
        ax = axes[0]
    fig = ax.figure
    ax.imshow(mosaic, interpolation="nearest")
    ax.set_axis_off()
    _write_titles(ax, titles, colours, images.shape[1:3], ncols)
    return fig


def _checked_images(images):
    """The images as an array `(n, height, width, 1 or 3)`, a channel axis added to `(n, height, width)`."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise arg_error(
            "images", f"an array of shape {images.shape}",
            "an array of shape (n, height, width, 1 or 3)",
            describe=True,
        )
    return images


def _as_unit_rgb(images):
    """The images as float RGB in [0, 1]: uint8 divided by 255, clipped, gray repeated over 3 channels."""
    if images.dtype == np.uint8:
        images = images.astype("float32") / 255.0
    images = np.clip(images, 0.0, 1.0)
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return images


def _predicted_labels(predictions, n):
    """The first `n` predicted integer labels, from labels or probabilities; None without predictions."""
    if predictions is None:
        return None
    p = np.asarray(predictions)[:n]
    if p.ndim == 2 and p.shape[1] > 1:
        return p.argmax(axis=1)
    if p.dtype.kind == "f":
        return (p.reshape(-1) >= 0.5).astype(int)
    return p.reshape(-1).astype(int)


def _label_name(label, class_names):
    """The class name of an integer label, or the label as text without `class_names`."""
    return str(class_names[int(label)]) if class_names is not None else str(int(label))


def _tile_titles(n, labels, class_names, predicted, titles):
    """Title and colour of each tile: the given titles, else "true / predicted" (green or red), "true" or "pred ..."."""
    colours = ["black"] * n
    if titles is None:
        titles = [""] * n
        if labels is not None:
            labels = np.asarray(labels).reshape(-1)[:n]
            titles = [_label_name(label, class_names) for label in labels]
            if predicted is not None:
                titles = [f"{t} / {_label_name(p, class_names)}" for t, p in zip(titles, predicted)]
                colours = ["green" if true == guess else "red" for true, guess in zip(labels, predicted)]
        elif predicted is not None:
            titles = [f"pred {_label_name(p, class_names)}" for p in predicted]
    return titles, colours


def _cell_size(height, width):
    """Height and width of a tile's cell in the mosaic (tile, padding, room for the title), and that room."""
    pad = max(2, height // 8)
    title_room = max(6, height // 4)
    return height + pad + title_room, width + pad, title_room


def _mosaic(images, ncols, nrows):
    """One white RGB array holding the images as tiles, `ncols` per row, each below room for its title."""
    h, w = images.shape[1:3]
    cell_h, cell_w, title_room = _cell_size(h, w)
    mosaic = np.ones((nrows * cell_h, ncols * cell_w, 3), dtype="float32")
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        top, left = r * cell_h + title_room, c * cell_w
        mosaic[top:top + h, left:left + w] = image
    return mosaic


def _write_titles(ax, titles, colours, tile_shape, ncols):
    """Write each non-empty title, in its colour, above its tile of the mosaic drawn in `ax`."""
    h, w = tile_shape
    cell_h, cell_w, title_room = _cell_size(h, w)
    for i, (text, colour) in enumerate(zip(titles, colours)):
        if text:
            r, c = divmod(i, ncols)
            ax.text(c * cell_w + w / 2, r * cell_h + title_room - 1, text, ha="center",
                    va="bottom", fontsize=8, color=colour)


def save_figure(fig, path, dpi=110):
    """Save a figure atomically: write a temporary file next to `path`, then rename.

    A crash half-way never leaves a truncated PNG at `path`.

    Args:
        fig: a matplotlib Figure.
        path: destination file; its suffix picks the format (".png").
        dpi: resolution.

    Returns:
        The path as a `pathlib.Path`.
    """
    import pathlib

    from cnn_course._files import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    return pathlib.Path(path)
