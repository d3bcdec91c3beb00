"""Learning curves and capacity curves: will more data help, and how big should the model be?"""

import dataclasses
import numbers
import time

import numpy as np

from cnn_course._validation import arg_error, check_choice, check_number, check_positive_int, check_verbose
from cnn_course.tables import html_table, text_table


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


class CurveTable:
    """A small table of results: `columns`, `rows`; prints as text, shows as HTML in Jupyter.

    `table["validation error"]` returns one column as a NumPy array, and
    `table.shape` is `(rows, columns)`.
    """

    def __init__(self, columns, rows):
        self.columns = tuple(columns)
        self.rows = [list(r) for r in rows]

    @property
    def shape(self):
        return (len(self.rows), len(self.columns))

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, column):
        if column not in self.columns:
            raise KeyError(f"No column {column!r}; the columns are {list(self.columns)}")
        k = self.columns.index(column)
        return np.array([r[k] for r in self.rows])

    def __eq__(self, other):
        return isinstance(other, CurveTable) and (self.columns, self.rows) == (other.columns, other.rows)

    def __str__(self):
        return text_table(self.columns, self.rows)

    __repr__ = __str__

    def _repr_html_(self):
        return html_table(self.columns, self.rows)


@dataclasses.dataclass
class CurveResult:
    """What `learning_curve` or `capacity_curve` measured, one entry per point of the curve.

    Attributes:
        parameter: what varies: "training examples" or the capacity's name.
        values: the values it took (numbers of training images, or capacities).
        metric: "error" (1 - accuracy) or "loss".
        train_error: the metric on the training subset after training.
        val_error: the metric on the validation data after training.
        best_val_error: the best validation value over the epochs.
        best_epoch: the epoch (1-based) of that best value.
        num_params: the number of parameters of each model.
        train_sizes: the number of training images of each point.
        histories: the `.history` dict of every run.
    """

    parameter: str
    values: list
    metric: str
    train_error: list
    val_error: list
    best_val_error: list
    best_epoch: list
    num_params: list
    train_sizes: list
    histories: list

    @property
    def table(self):
        """The results as a `CurveTable`, one row per point."""
        m = self.metric
        columns = (self.parameter, "parameters", "training images", f"training {m}",
                   f"validation {m}", f"best validation {m}", "best epoch")
        rows = zip(self.values, self.num_params, self.train_sizes, self.train_error, self.val_error,
                   self.best_val_error, self.best_epoch)
        return CurveTable(columns, rows)

    def __str__(self):
        return str(self.table)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _arrays(name, data):
    """Return `(images, integer labels)` from an ImageSet or an `(images, labels)` pair."""
    from cnn_course.datasets import ImageSet

    if isinstance(data, ImageSet):
        return data.images, np.asarray(data.labels)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        images, labels = np.asarray(data[0]), np.asarray(data[1])
        if len(images) == len(labels):
            return images, labels
    raise arg_error(name, type(data).__name__, "an ImageSet or a pair (images, labels) of equal length",
                    "For example cnn_course.datasets.load_digits()['train']")


def _class_of(labels):
    labels = np.asarray(labels)
    return labels.argmax(axis=1) if labels.ndim == 2 and labels.shape[1] > 1 else labels.reshape(len(labels))


def _count(size, total):
    """A size given as a fraction (float in (0, 1]) or a count (int in [1, total]) -> a count."""
    check_number("sizes", size, expected="fractions in (0, 1] or integer counts")
    if isinstance(size, numbers.Integral):
        if not 1 <= size <= total:
            raise arg_error("sizes", size, f"counts between 1 and the {total} training images")
        return int(size)
    if not 0 < size <= 1:
        raise arg_error("sizes", size, "fractions in (0, 1] (or integer counts)",
                        "For example sizes=(0.1, 0.25, 0.5, 1.0)")
    return max(1, int(round(size * total)))


def stratified_subset(labels, size, seed=0):
    """Pick `size` indices with every class in the proportions of `labels` (seeded).

    Each class's images are shuffled once with `seed`, and a subset takes the
    first ones of each class, so with one seed the smaller subsets are inside
    the larger ones: a learning curve then measures more data, not other data.

    Args:
        labels: integer labels `(n,)` (or one-hot `(n, k)`).
        size: number of indices to pick, at least the number of classes.
        seed: seed of the shuffle.

    Returns:
        Sorted int64 array of `size` indices; every class appears at least once.

    Raises:
        ValueError: if `size` is smaller than the number of classes.

    Example:

    >>> labels = np.array([0] * 8 + [1] * 4)
    >>> subset = stratified_subset(labels, 6, seed=0)
    >>> np.bincount(labels[subset]).tolist()
    [4, 2]
    >>> set(stratified_subset(labels, 3, seed=0)) <= set(subset)
    True
    """
    classes = _class_of(labels)
    names, counts = np.unique(classes, return_counts=True)
    total = len(classes)
    size = int(size)
    if size < len(names) or size > total:
        raise arg_error("sizes", size, f"a subset size between {len(names)} (one image per class) "
                        f"and {total}", "Use a larger fraction or count")
    quota = size * counts / total
    take = np.clip(np.floor(quota).astype(int), 1, counts)
    remainder = quota - np.floor(quota)
    while take.sum() < size:  # largest remainders first, then any class with images left
        room = np.flatnonzero(take < counts)
        k = room[np.argmax(remainder[room])]
        take[k] += 1
        remainder[k] = -1
    while take.sum() > size:  # the forced "at least one" went over: trim the largest classes
        k = int(np.argmax(np.where(take > 1, take, -1)))
        take[k] -= 1
    rng = np.random.default_rng(seed)
    picked = []
    for name, n in zip(names, take):
        members = np.flatnonzero(classes == name)
        picked.append(members[rng.permutation(len(members))][:n])
    return np.sort(np.concatenate(picked)).astype(np.int64)


def _measure(model, subset_ds, validation_ds, metric):
    scores = []
    for ds in (subset_ds, validation_ds):
        result = model.evaluate(ds, verbose=0, return_dict=True)
        if metric == "loss":
            scores.append(float(result["loss"]))
        else:
            accuracy = result.get("accuracy", result.get("binary_accuracy"))
            if accuracy is None:
                raise ValueError(
                    f"metric='error' needs the model compiled with metrics=['accuracy'], but it reports "
                    f"{sorted(result)}. Compile with cnn_course.models.compile_for_task, or pass metric='loss'."
                )
            scores.append(1.0 - float(accuracy))
    return scores


def _run(build, points, parameter, train, validation, sizes_of, epochs, seed, batch_size, fit_kwargs,
         metric, label, verbose):
    """Train one fresh, seeded model per point and measure it, printing one line per point."""
    from cnn_course import training
    from cnn_course.data import make_dataset
    from cnn_course.progress import ProgressLine, print_line
    from cnn_course.reproducibility import set_seed

    metric = check_choice("metric", metric, ("error", "loss"))
    verbose = check_verbose(verbose)
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    images, labels = _arrays("train", train)
    val_images, val_labels = _arrays("validation", validation)
    validation_ds = make_dataset(val_images, val_labels, batch_size=256, shuffle=False)
    fit_kwargs = dict(fit_kwargs or {})
    if "epochs" in fit_kwargs:
        raise arg_error("fit_kwargs", fit_kwargs, "a dict without 'epochs'",
                        "Pass epochs=... to the curve function itself")
    result = CurveResult(parameter, [], metric, [], [], [], [], [], [], [])
    for step, point in enumerate(points, start=1):
        start = time.perf_counter()
        index = sizes_of(point)
        name = f"{label} {step}/{len(points)}"
        point_kwargs = {"verbose": 0, "name": name, **fit_kwargs, "epochs": epochs}
        if verbose and not point_kwargs["verbose"]:
            # Epoch lines only when this point has run 10 s without a line: a slow point still shows life.
            point_kwargs["callbacks"] = [ProgressLine(name=name, every_epoch=False),
                                         *(fit_kwargs.get("callbacks") or [])]
        set_seed(seed)
        model = build(point)
        if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
            raise ValueError("The build function returned a model that is not compiled. Return "
                             "cnn_course.models.compile_for_task(model, task) (a fresh model each call).")
        subset_train = make_dataset(images[index], labels[index], batch_size=batch_size, shuffle=True,
                                    seed=seed)
        history = training.fit(model, subset_train, validation_ds, **point_kwargs)
        subset_eval = make_dataset(images[index], labels[index], batch_size=256, shuffle=False)
        train_score, val_score = _measure(model, subset_eval, validation_ds, metric)
        val_key = "val_loss" if metric == "loss" else next(
            (k for k in ("val_accuracy", "val_binary_accuracy") if k in history.history), None)
        per_epoch = np.asarray(history.history[val_key], dtype=float)
        if metric == "error":
            per_epoch = 1.0 - per_epoch
        result.values.append(point)
        result.train_error.append(train_score)
        result.val_error.append(val_score)
        result.best_val_error.append(float(per_epoch.min()))
        result.best_epoch.append(int(per_epoch.argmin()) + 1)
        result.num_params.append(int(model.count_params()))
        result.train_sizes.append(int(len(index)))
        result.histories.append(dict(history.history))
        if verbose:
            shown = {"images": int(len(index))} if parameter == "training examples" else \
                {parameter.replace(" ", "_"): point, "parameters": int(model.count_params())}
            print_line(label, step, len(points), {**shown, f"train_{metric}": train_score,
                                                  f"val_{metric}": val_score},
                       seconds=time.perf_counter() - start)
    return result


# ---------------------------------------------------------------------------
# The two curves
# ---------------------------------------------------------------------------


def learning_curve(build_fn, train, validation, sizes=(0.1, 0.25, 0.5, 1.0), epochs=10, seed=0,
                   batch_size=32, fit_kwargs=None, metric="error", verbose=1):
    """Train the same model on growing subsets of the training data: will more data help?

    For each size, a stratified, seeded subset of `train` is taken (smaller
    subsets inside larger ones, see `stratified_subset`), the seed is reset
    with `reproducibility.set_seed(seed)`, a fresh model is built with
    `build_fn()` and trained with `cnn_course.training.fit`. Reading the
    curve: if the validation error is still falling at the largest size,
    more data will help; if training and validation error have met at a high
    value, the model is too small (more data will not help; more capacity
    may); a large gap that stays open means overfitting.

    Args:
        build_fn: a function of no argument that returns a NEW compiled model.
        train: an `ImageSet` or a pair `(images, labels)` (uint8 images;
            they are rescaled by `make_dataset`).
        validation: an `ImageSet` or a pair `(images, labels)`.
        sizes: training-set sizes: fractions in (0, 1] (floats) or image
            counts (ints), each at least the number of classes.
        epochs: epochs per model (every size gets the same number).
        seed: seed of the subsets, of the weights and of the shuffling.
        batch_size: training batch size.
        fit_kwargs: extra arguments for `training.fit` (e.g. `patience=3`;
            `verbose=1` prints every epoch of every size).
        metric: "error" (1 - accuracy) or "loss".
        verbose: 1 prints one line per size when it is done (see
            `cnn_course.progress`), plus an epoch line when a size has run
            10 s without a line; 0 prints nothing.

    Returns:
        A `CurveResult` (its `table` prints one row per size); plot it with
        `plot_learning_curve`.

    Raises:
        ValueError: for a bad size, a model that is not compiled, or
            metric="error" with a model compiled without accuracy.

    Example:

    >>> from cnn_course import datasets, models
    >>> digits = datasets.load_digits()
    >>> def build():
    ...     return models.compile_for_task(models.build_dense((8, 8, 1), 10, hidden_units=(8,)))
    >>> result = learning_curve(build, digits["train"], digits["validation"], sizes=(0.1, 1.0),
    ...                         epochs=1)
    size 1/2  images=126  train_error=...  val_error=...  (... s)
    size 2/2  images=1258  train_error=...  val_error=...  (... s)
    >>> result.train_sizes, result.table.shape
    ([126, 1258], (2, 7))
    """
    images, labels = _arrays("train", train)
    total = len(labels)
    if isinstance(sizes, (numbers.Real, str)) or not len(sizes):
        raise arg_error("sizes", sizes, "a non-empty sequence of fractions or counts")
    counts = [_count(s, total) for s in sizes]
    subsets = {c: stratified_subset(labels, c, seed=seed) for c in counts}
    return _run(lambda c: build_fn(), counts, "training examples", (images, labels), validation,
                lambda c: subsets[c], epochs, seed, batch_size, fit_kwargs, metric, "size", verbose)


def capacity_curve(build_fn_for_capacity, capacities, train, validation, epochs=10, seed=0,
                   batch_size=32, fit_kwargs=None, metric="error", capacity_name="capacity", verbose=1):
    """Train models of growing capacity on the same data: the U-shaped validation curve.

    For each capacity (for example the number of filters or hidden units),
    the seed is reset, `build_fn_for_capacity(capacity)` builds a fresh
    compiled model, and it is trained on all of `train` with
    `cnn_course.training.fit`. Training error keeps falling as capacity
    grows; validation error falls (underfitting), bottoms out, then rises
    again (overfitting). Pick the capacity at the bottom.

    Args:
        build_fn_for_capacity: a function of one argument, the capacity, that
            returns a NEW compiled model.
        capacities: the values to try, smallest first.
        train: an `ImageSet` or a pair `(images, labels)`.
        validation: an `ImageSet` or a pair `(images, labels)`.
        epochs, seed, batch_size, fit_kwargs, metric: as in `learning_curve`.
        capacity_name: what the capacity is, for the table and plot (e.g.
            "hidden units").
        verbose: 1 prints one line per capacity when it is done (as in
            `learning_curve`); 0 prints nothing.

    Returns:
        A `CurveResult`; plot it with `plot_capacity_curve`.

    Raises:
        ValueError: as in `learning_curve`.

    Example:

    >>> from cnn_course import datasets, models
    >>> digits = datasets.load_digits()
    >>> def build(units):
    ...     return models.compile_for_task(models.build_dense((8, 8, 1), 10, hidden_units=(units,)))
    >>> result = capacity_curve(build, [2, 16], digits["train"], digits["validation"], epochs=1,
    ...                         capacity_name="hidden units")
    capacity 1/2  hidden_units=2  parameters=160  train_error=...  val_error=...  (... s)
    capacity 2/2  hidden_units=16  parameters=1210  train_error=...  val_error=...  (... s)
    >>> result.num_params
    [160, 1210]
    """
    capacities = list(capacities)
    if not capacities:
        raise arg_error("capacities", capacities, "a non-empty list of capacities", "For example [4, 16, 64]")
    images, labels = _arrays("train", train)
    every = np.arange(len(labels))
    return _run(build_fn_for_capacity, capacities, str(capacity_name), (images, labels), validation,
                lambda c: every, epochs, seed, batch_size, fit_kwargs, metric, "capacity", verbose)


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


def _plot_curve(result, x, xlabel, title, ax):
    if not isinstance(result, CurveResult):
        raise arg_error("result", type(result).__name__, "a CurveResult from learning_curve or capacity_curve")
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.6))
    fig = ax.figure
    order = np.argsort(np.asarray(x, dtype=float), kind="stable")
    x = np.asarray(x, dtype=float)[order]
    ylabel = "error (1 - accuracy)" if result.metric == "error" else "loss"
    ax.plot(x, np.asarray(result.train_error)[order], "o-", label=f"training {result.metric}")
    val = np.asarray(result.val_error)[order]
    ax.plot(x, val, "s--", label=f"validation {result.metric}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig, ax, x, val


def plot_learning_curve(result, ax=None):
    """Plot training and validation error against the number of training images.

    Args:
        result: what `learning_curve` returned.
        ax: a matplotlib Axes, or None for a new figure.

    Returns:
        The matplotlib Figure.

    Example:

    >>> result = CurveResult("training examples", [10, 100], "error", [0.0, 0.05], [0.5, 0.2],
    ...                      [0.5, 0.2], [1, 1], [50, 50], [10, 100], [{}, {}])
    >>> fig = plot_learning_curve(result)
    >>> len(fig.axes[0].lines)
    2
    """
    fig, ax, _, _ = _plot_curve(result, result.train_sizes, "training images",
                                "learning curve: will more data help?", ax)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_capacity_curve(result, ax=None):
    """Plot training and validation error against model capacity, marking the best capacity.

    A log scale is used for the x axis when the capacities span more than a
    factor of 10 (as 4, 16, 64, 256 filters usually do).

    Args:
        result: what `capacity_curve` returned.
        ax: a matplotlib Axes, or None for a new figure.

    Returns:
        The matplotlib Figure.

    Example:

    >>> result = CurveResult("filters", [4, 16, 64], "error", [0.3, 0.1, 0.0], [0.35, 0.2, 0.3],
    ...                      [0.35, 0.2, 0.3], [1, 1, 1], [1, 2, 3], [9, 9, 9], [{}, {}, {}])
    >>> fig = plot_capacity_curve(result)
    >>> fig.axes[0].get_xscale()
    'log'
    """
    fig, ax, x, val = _plot_curve(result, result.values, result.parameter,
                                  "capacity curve: how big should the model be?", ax)
    best = int(np.argmin(val))
    ax.plot(x[best], val[best], "o", color="black", markersize=9, fillstyle="none",
            label=f"best validation ({result.parameter} = {x[best]:g})")
    if x.min() > 0 and x.max() / x.min() > 10:
        ax.set_xscale("log")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
