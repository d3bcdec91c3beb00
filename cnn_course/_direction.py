"""Which way a metric improves, asked of Keras: the one answer for checkpoints, best epochs, plots and searches."""

import numpy as np

from cnn_course._validation import arg_error

#: Metrics the course itself reports that Keras has no class for.
COURSE_METRICS = {"error": "min", "train_error": "min", "seconds": "min"}


def _compiled_direction(model, name):
    """The direction of the compiled metric called `name` of `model`, as Keras's callbacks find it, or None."""
    found = []
    for metric in getattr(model, "metrics", None) or []:
        found.extend(getattr(metric, "metrics", None) or [metric])  # CompileMetrics holds the compiled ones
    for metric in found:
        if getattr(metric, "name", None) == name and getattr(metric, "_direction", None) in ("up", "down"):
            return "max" if metric._direction == "up" else "min"
    return None


def _keras_direction(name):
    """The direction of Keras's metric of that name ("mae", "auc", ...), or None if Keras has none."""
    from cnn_course.settings import import_keras

    keras = import_keras()
    try:
        metric = keras.metrics.get(name)
    except (ValueError, TypeError):
        return None
    direction = getattr(metric, "_direction", None)
    return {"up": "max", "down": "min"}.get(direction)


def metric_direction(metric, model=None, strict=True):
    """Return "min" if lower values of `metric` are better, "max" if higher ones are.

    The answer `keras.callbacks.EarlyStopping(mode="auto")` gives: a loss
    (`loss`, `val_loss`, `<output>_loss`) goes down; any other metric goes
    the way Keras's metric object says (`accuracy` and `auc` up; `mae`,
    `mse` and `root_mean_squared_error` down). With `model`, its compiled
    metrics are asked first (a custom metric of yours included); without
    it, Keras's metric of that name. The `val_` prefix is ignored. The
    course's own `error` (learning curves) and `seconds` go down.

    Args:
        metric: the logged name, e.g. "val_loss", "val_accuracy", "val_mae".
        model: optional compiled Keras model whose metrics to ask first.
        strict: if True, raise for a metric whose direction cannot be told;
            if False, return None for it.

    Returns:
        "min" or "max" (or None, with `strict=False`, when it cannot be told).

    Raises:
        ValueError: for a name that is not a non-empty string, or (with
            `strict`) a metric whose direction neither the model nor Keras knows.

    Example:

    >>> metric_direction("val_loss"), metric_direction("val_accuracy"), metric_direction("val_mae")
    ('min', 'max', 'min')
    >>> print(metric_direction("val_my_score", strict=False))
    None
    """
    if not isinstance(metric, str) or not metric:
        raise arg_error("metric", metric, "the name of a logged metric, e.g. 'val_loss' or 'val_accuracy'")
    name = metric.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    direction = _compiled_direction(model, name) if model is not None else None
    direction = direction or COURSE_METRICS.get(name) or _keras_direction(name)
    if direction is None and strict:
        raise arg_error("metric", metric, "a loss or a metric whose better direction Keras knows",
                        f"Neither the model's compiled metrics nor Keras's say whether a higher or a lower "
                        f"{metric!r} is better: monitor 'val_loss', or a Keras metric such as 'val_accuracy'")
    return direction


def best_index(values, metric, model=None):
    """Index of the best of `values`, a metric's value per epoch, the way `metric_direction` says; None if unknown.

    Example:

    >>> best_index([0.9, 0.5, 0.7], "val_loss"), best_index([0.9, 0.5, 0.7], "val_accuracy")
    (1, 0)
    """
    direction = metric_direction(metric, model, strict=False)
    if direction is None:
        return None
    return int(np.argmin(values) if direction == "min" else np.argmax(values))
