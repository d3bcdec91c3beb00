"""Evaluating a trained classifier: aligned predictions, confusion matrix, per-class table, worst errors."""


import numpy as np

from cnn_course._validation import arg_error, check_number, check_positive_int, check_verbose
from cnn_course.settings import import_tensorflow_quietly
from cnn_course.tables import html_table, text_table  # noqa: F401  (also evaluation.text_table, as before)


# ---------------------------------------------------------------------------
# Predictions with their labels
# ---------------------------------------------------------------------------


def _class_indices(labels):
    """Integer class indices from integer labels `(n,)`/`(n, 1)` or one-hot labels `(n, k)`."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:  # one-hot (n, classes)
        return labels.argmax(axis=1).astype(np.int64)
    return np.rint(labels.reshape(len(labels))).astype(np.int64)


def _is_dataset(data):
    tf = import_tensorflow_quietly()

    return isinstance(data, tf.data.Dataset)


def predict_with_labels(model, dataset, labels=None, *, batch_size=256, rescale=1.0 / 255, verbose=1):
    """Predict a whole dataset and collect its labels in the SAME pass, batch by batch.

    Each batch `(x, y)` is read once: the model predicts `x` (with
    `training=False`) and `y` is kept next to it. So `y_true[i]` always
    belongs to `y_prob[i]`, whatever order the dataset yields its batches in.

    The trap this avoids: a dataset made with `shuffle=True` yields a NEW
    order on every pass. `model.predict(ds)` is one pass and reading the
    labels (or taking them from the original arrays) is another, so the
    predictions and the labels no longer match and the accuracy, confusion
    matrix and "worst errors" are all nonsense (accuracy near chance level for
    a good model)::

        probs = model.predict(shuffled_ds)               # pass 1: one order
        labels = np.concatenate([y for _, y in shuffled_ds])  # pass 2: another
        # WRONG: probs[i] and labels[i] are different images
        y_true, y_prob = predict_with_labels(model, shuffled_ds)  # right

    Introduced with the confusion matrix in the evaluation lecture.

    Args:
        model: a Keras classifier: sigmoid output `(n, 1)` (binary) or
            softmax output `(n, classes)`.
        dataset: a `tf.data.Dataset` of `(images, labels)` batches (extra
            elements such as sample weights are ignored); or an `ImageSet`;
            or an image array `(n, height, width, channels)` with `labels`.
            Arrays and ImageSets are batched in their own order by
            `cnn_course.data.make_dataset(..., rescale=rescale)`.
        labels: labels for an image array; None otherwise.
        batch_size: batch size used for an array or an ImageSet.
        rescale: pixel scale used for an array or an ImageSet (as in
            `make_dataset`; the model must see what it was trained on).
        verbose: 1 prints a progress line about every 10 s when predicting
            takes that long (see `cnn_course.progress`); 0 never prints.

    Returns:
        A tuple `(y_true, y_prob)`: `y_true` int64 class indices `(n,)`
        (one-hot labels are turned into indices with argmax), `y_prob` the
        float32 model outputs `(n, 1)` or `(n, classes)`.

    Raises:
        ValueError: for an empty dataset, labels given with a dataset, or
            batches that are not `(images, labels)` pairs.

    Example:

    >>> import numpy as np, keras
    >>> from cnn_course.data import make_dataset
    >>> model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(2, activation="softmax")])
    >>> x = np.arange(24, dtype="uint8").reshape(6, 2, 2, 1); y = np.arange(6) % 2
    >>> ds = make_dataset(x, y, batch_size=4, shuffle=True, seed=1)
    >>> y_true, y_prob = predict_with_labels(model, ds)
    >>> y_true.shape, y_prob.shape
    ((6,), (6, 2))
    >>> sorted(y_true.tolist())   # every label once, in the order the predictions came
    [0, 0, 0, 1, 1, 1]
    """
    if _is_dataset(dataset):
        if labels is not None:
            raise arg_error("labels", "an array", "None when `dataset` is a tf.data.Dataset",
                            "The dataset already carries its labels", describe=True)
    else:
        from cnn_course.data import make_dataset

        dataset = make_dataset(dataset, labels, batch_size=batch_size, shuffle=False,
                               rescale=rescale, prefetch=False)
    from cnn_course._progress_lines import Heartbeat, print_line

    verbose = check_verbose(verbose)
    truths, probs, done = [], [], 0
    beat = Heartbeat()
    for batch in dataset:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise arg_error("dataset", "batches without labels", "a dataset of (images, labels) batches",
                            "Build it with cnn_course.data.make_dataset(images, labels)", describe=True)
        x, y = batch[0], batch[1]
        p = np.asarray(model(x, training=False), dtype=np.float32)  # (batch, units)
        if p.ndim == 1:
            p = p[:, None]
        probs.append(p)
        truths.append(_class_indices(y))
        done += len(p)
        if verbose and beat.due():
            print_line(f"predicted {done} images", seconds=beat.elapsed)
    if not probs:
        raise arg_error("dataset", "an empty dataset", "a dataset with at least one batch", describe=True)
    return np.concatenate(truths), np.concatenate(probs)


def predicted_classes(y_prob, threshold=0.5):
    """Turn model outputs into predicted class indices.

    Args:
        y_prob: softmax outputs `(n, classes)` (argmax is taken), or sigmoid
            outputs `(n,)` / `(n, 1)` of a binary model (class 1 when the
            output is >= `threshold`).
        threshold: decision threshold for binary outputs.

    Returns:
        int64 array `(n,)` of class indices.

    Example:

    >>> predicted_classes([[0.2, 0.8], [0.9, 0.1]]).tolist()
    [1, 0]
    >>> predicted_classes([[0.3], [0.7]], threshold=0.5).tolist()
    [0, 1]
    """
    y_prob = np.asarray(y_prob, dtype=np.float64)
    if y_prob.ndim == 2 and y_prob.shape[1] > 1:
        return y_prob.argmax(axis=1).astype(np.int64)
    if y_prob.ndim not in (1, 2):
        raise arg_error("y_prob", f"an array of shape {y_prob.shape}", "an array (n,), (n, 1) or (n, classes)",
                        describe=True)
    return (y_prob.reshape(-1) >= threshold).astype(np.int64)


def top_k_accuracy(y_true, y_prob, k=5):
    """Share of examples whose true class is among the `k` classes the model found most probable.

    ImageNet's results are reported as top-5 error, `1 - top_k_accuracy(..., k=5)`:
    with 1,000 classes, many of them close (dozens of dog breeds), a photo of a
    husky answered "malamute, husky, ..." counts as right. With `k=1` this is the
    usual accuracy.

    Args:
        y_true: true class indices `(n,)` (or one-hot rows `(n, classes)`).
        y_prob: the model's class probabilities (or scores) `(n, classes)`.
        k: how many of the most probable classes count, 1 <= k <= classes.

    Returns:
        A float in [0, 1].

    Raises:
        ValueError: for shapes that do not match or a `k` out of range.

    Example:

    >>> y_prob = [[0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]]
    >>> top_k_accuracy([1, 2, 0], y_prob, k=1), top_k_accuracy([1, 2, 0], y_prob, k=2)
    (0.3333333333333333, 0.6666666666666666)
    """
    y_true = _class_indices(np.asarray(y_true))
    y_prob = np.asarray(y_prob, dtype=np.float64)
    if y_prob.ndim != 2 or len(y_prob) != len(y_true):
        raise arg_error("y_prob", f"an array of shape {y_prob.shape}",
                        f"an array (n, classes) with one row per label ({len(y_true)})", describe=True)
    k = check_number("k", k, low=1, high=y_prob.shape[1], integer=True)
    top = np.argsort(-y_prob, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == y_true[:, None], axis=1)))


def _boxes(name, boxes):
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.ndim not in (1, 2) or boxes.shape[-1] != 4 or not np.isfinite(boxes).all():
        raise arg_error(name, f"an array of shape {boxes.shape}", "finite boxes (x0, y0, x1, y1), shape (4,) or "
                        "(n, 4)", describe=True)
    if (boxes[..., 2] < boxes[..., 0]).any() or (boxes[..., 3] < boxes[..., 1]).any():
        raise arg_error(name, "a box with x1 < x0 or y1 < y0", "boxes whose corners are (x0, y0) top-left and "
                        "(x1, y1) bottom-right", "Sort each box's coordinates, or predict (x0, y0, width, height) "
                        "and add.", describe=True)
    return boxes


def box_iou(boxes_true, boxes_pred):
    """Intersection over union of pairs of boxes: the overlap divided by the area the two cover together.

    The usual score of a localisation: 1 for the same box, 0 for boxes that do
    not touch; detection benchmarks count a predicted box as right when its IoU
    with the true one is at least 0.5. Boxes are `(x0, y0, x1, y1)` with the
    end excluded, like `make_shapes_arrays`'s boxes (`image[y0:y1, x0:x1]`);
    coordinates may be floats (a model's predictions).

    Args:
        boxes_true: `(n, 4)` (or one box, `(4,)`).
        boxes_pred: the same shape as `boxes_true`, paired row by row.

    Returns:
        A float array `(n,)` of IoUs in [0, 1] (a float for one pair). Two
        empty boxes have IoU 0.

    Raises:
        ValueError: for shapes that do not match, or a box with its corners
            swapped.

    Example:

    >>> float(box_iou([0, 0, 4, 4], [2, 0, 6, 4]))  # overlap 8, together 24
    0.3333333333333333
    >>> box_iou([[0, 0, 2, 2], [0, 0, 2, 2]], [[0, 0, 2, 2], [5, 5, 6, 6]]).tolist()
    [1.0, 0.0]
    """
    a, b = _boxes("boxes_true", boxes_true), _boxes("boxes_pred", boxes_pred)
    if a.shape != b.shape:
        raise arg_error("boxes_pred", f"an array of shape {b.shape}", f"the shape of boxes_true, {a.shape}",
                        describe=True)
    width = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    height = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    overlap = width * height
    together = ((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
                + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - overlap)
    iou = np.divide(overlap, together, out=np.zeros_like(overlap), where=together > 0)
    return float(iou) if iou.ndim == 0 else iou


def mean_iou(masks_true, masks_pred, num_classes):
    """Segmentation's score: the IoU of each class's pixels, averaged over the classes.

    For class `c`, the pixels labelled `c` and the pixels predicted `c` are two
    regions; their IoU is the overlap over the union. A model that answers
    "background" everywhere gets a high pixel accuracy when the objects are
    small, but the objects' classes score 0 here: that is why segmentation is
    scored this way. Classes that appear in neither mask are left out of the
    mean (as in `keras.metrics.MeanIoU`).

    Args:
        masks_true: integer class per pixel, any shape (e.g. `(n, H, W)`).
        masks_pred: class per pixel, the same shape; or the model's
            per-pixel probabilities with one more axis of `num_classes`
            (the argmax is taken).
        num_classes: number of classes, background included.

    Returns:
        `(mean, per_class)`: the mean IoU (float) and a float array
        `(num_classes,)` with each class's IoU (NaN for a class absent from
        both).

    Raises:
        ValueError: for shapes that do not match, or classes out of range.

    Example:

    >>> truth = [[0, 0, 1, 1]]
    >>> mean, per_class = mean_iou(truth, [[0, 1, 1, 1]], num_classes=2)
    >>> round(mean, 4), per_class.round(4).tolist()  # background 1/2, class 1 2/3
    (0.5833, [0.5, 0.6667])
    """
    num_classes = check_positive_int("num_classes", num_classes)
    truth, pred = np.asarray(masks_true), np.asarray(masks_pred)
    if pred.ndim == truth.ndim + 1 and pred.shape[-1] == num_classes:
        pred = pred.argmax(axis=-1)
    if pred.shape != truth.shape:
        raise arg_error("masks_pred", f"an array of shape {pred.shape}", f"the shape of masks_true, {truth.shape}, "
                        f"or that with {num_classes} probabilities per pixel", describe=True)
    for name, mask in (("masks_true", truth), ("masks_pred", pred)):
        if mask.size and (not np.issubdtype(mask.dtype, np.integer) or mask.min() < 0 or mask.max() >= num_classes):
            raise arg_error(name, f"classes from {mask.min()} to {mask.max()} ({mask.dtype})",
                            f"integer classes 0 to {num_classes - 1}", describe=True)
    counts = np.bincount(truth.ravel().astype(np.int64) * num_classes + pred.ravel().astype(np.int64),
                         minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    overlap = np.diag(counts).astype(np.float64)
    union = counts.sum(axis=0) + counts.sum(axis=1) - overlap
    per_class = np.full(num_classes, np.nan)
    np.divide(overlap, union, out=per_class, where=union > 0)
    return float(np.nanmean(per_class)) if (union > 0).any() else 0.0, per_class


def coverage_curve(y_true, y_prob):
    """Accuracy on the examples the model is surest of, for every share of examples it answers.

    A system may refuse to answer when it is unsure and hand those examples
    to a person. **Coverage** is the share it answers. Sorting the examples by
    the probability of the predicted class, from surest to least sure, and
    answering only the first `k` gives coverage `k / n` and the accuracy on
    those `k`. Goodfellow et al. set Street View's house-number reader the goal
    of 98% accuracy at 95% coverage.

    Args:
        y_true: true class indices `(n,)` (or one-hot rows `(n, classes)`).
        y_prob: the model's class probabilities `(n, classes)`, or `(n,)` /
            `(n, 1)` sigmoid outputs for a binary task.

    Returns:
        A dict of three arrays of length `n`: "coverage" (`1/n` to 1),
        "accuracy" (on the answered examples) and "threshold" (answer when the
        predicted class's probability is at least this).

    Raises:
        ValueError: if `y_prob` has another number of rows than `y_true`.

    Example:

    >>> curve = coverage_curve([0, 1, 1, 0], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    >>> curve["coverage"].tolist(), curve["accuracy"].tolist()
    ([0.25, 0.5, 0.75, 1.0], [1.0, 1.0, 0.6666666666666666, 0.5])
    """
    y_true = _class_indices(np.asarray(y_true))
    confidence = _confidences(y_prob)
    if len(confidence) != len(y_true):
        raise arg_error("y_prob", f"{len(confidence)} rows", f"one row per label ({len(y_true)})", describe=True)
    correct = predicted_classes(y_prob) == y_true
    order = np.argsort(-confidence, kind="stable")  # surest first
    answered = np.arange(1, len(y_true) + 1)
    return {"coverage": answered / len(y_true), "accuracy": np.cumsum(correct[order]) / answered,
            "threshold": confidence[order]}


def _confidences(y_prob):
    """Probability the model gave to the class it predicted, for each example."""
    y_prob = np.asarray(y_prob, dtype=np.float64)
    if y_prob.ndim == 2 and y_prob.shape[1] > 1:
        return y_prob.max(axis=1)
    p = y_prob.reshape(-1)
    return np.where(p >= 0.5, p, 1.0 - p)


def _as_predictions(y_pred):
    """Accept class indices `(n,)` or probabilities `(n, k)` / `(n, 1)` floats."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 or (y_pred.dtype.kind == "f" and np.any(y_pred != np.rint(y_pred))):
        return predicted_classes(y_pred)
    return y_pred.reshape(-1).astype(np.int64)


# ---------------------------------------------------------------------------
# Confusion matrix
# ---------------------------------------------------------------------------


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Count, for each true class (row), how often each class was predicted (column).

    Uses `sklearn.metrics.confusion_matrix` with every class listed, so the
    matrix is `num_classes x num_classes` even when a class never occurs.

    Args:
        y_true: true class indices `(n,)` (or one-hot `(n, k)`).
        y_pred: predicted class indices `(n,)`, or model outputs (as taken
            by `predicted_classes`).
        num_classes: number of classes; None uses the largest index + 1.

    Returns:
        int64 array `(num_classes, num_classes)`; `cm[i, j]` counts images of
        class i predicted as class j, so the diagonal holds the correct ones.

    Example:

    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], num_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 0, 1]])
    """
    from sklearn import metrics

    y_true = _class_indices(y_true)
    y_pred = _as_predictions(y_pred)
    if len(y_true) != len(y_pred):
        raise arg_error("y_pred", f"{len(y_pred)} predictions", f"one per label ({len(y_true)} labels)", describe=True)
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    num_classes = check_positive_int("num_classes", num_classes)
    return metrics.confusion_matrix(y_true, y_pred, labels=np.arange(num_classes)).astype(np.int64)


def _names(class_names, n):
    if class_names is None:
        return [str(i) for i in range(n)]
    names = [str(c) for c in class_names]
    if len(names) != n:
        raise arg_error("class_names", tuple(class_names), f"a list of {n} names, one per class")
    return names


def plot_confusion_matrix(cm, class_names=None, normalize=False, ax=None):
    """Draw a confusion matrix as a heat map with the count written in every cell.

    Args:
        cm: square array from `confusion_matrix` (rows: true, columns: predicted).
        class_names: names for the rows and columns; None uses the indices.
        normalize: False to colour by counts; True to divide each row by its
            total, so each cell shows the fraction of that true class (the
            diagonal is then each class's recall), with the count below.
        ax: a matplotlib Axes, or None for a new figure.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: if `cm` is not square or `class_names` has the wrong length.

    Example:

    >>> fig = plot_confusion_matrix([[5, 1], [2, 7]], ["cat", "dog"], normalize=True)
    >>> len(fig.axes[0].texts)
    4
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise arg_error("cm", f"an array of shape {cm.shape}", "a square confusion matrix (classes, classes)",
                        describe=True)
    n = cm.shape[0]
    names = _names(class_names, n)
    if normalize:
        totals = cm.sum(axis=1, keepdims=True)
        values = np.divide(cm, totals, out=np.zeros(cm.shape, dtype=float), where=totals > 0)
    else:
        values = cm.astype(float)
    if ax is None:
        import matplotlib.pyplot as plt

        size = min(2.5 + 0.55 * n, 12)
        fig, ax = plt.subplots(figsize=(size + 1, size))
    fig = ax.figure
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else max(values.max(), 1))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    threshold = (1 if normalize else max(values.max(), 1)) / 2
    for i in range(n):
        for j in range(n):
            text = f"{values[i, j]:.2f}\n({cm[i, j]})" if normalize else f"{cm[i, j]}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8 if n <= 10 else 6,
                    color="white" if values[i, j] > threshold else "black")
    long_names = max(map(len, names)) > 3
    ax.set_xticks(range(n), names, rotation=45 if long_names else 0,
                  ha="right" if long_names else "center")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("confusion matrix" + (" (each row sums to 1)" if normalize else ""))
    fig.tight_layout()
    return fig


def most_confused_pairs(cm, class_names=None, top=5):
    """List the most frequent mistakes: which true class was taken for which.

    Args:
        cm: square confusion matrix (rows: true, columns: predicted).
        class_names: names of the classes; None uses the indices as strings.
        top: how many pairs to return at most.

    Returns:
        A list of `(true_name, predicted_name, count)`, largest count first
        (ties in row-then-column order); correct predictions (the diagonal)
        and pairs never confused are left out.

    Example:

    >>> most_confused_pairs([[9, 3, 0], [1, 8, 0], [0, 5, 7]], ["cat", "dog", "fox"], top=2)
    [('fox', 'dog', 5), ('cat', 'dog', 3)]
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise arg_error("cm", f"an array of shape {cm.shape}", "a square confusion matrix (classes, classes)",
                        describe=True)
    top = check_positive_int("top", top)
    names = _names(class_names, cm.shape[0])
    pairs = [(int(cm[i, j]), i, j) for i in range(cm.shape[0]) for j in range(cm.shape[1])
             if i != j and cm[i, j] > 0]
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [(names[i], names[j], count) for count, i, j in pairs[:top]]


# ---------------------------------------------------------------------------
# Per-class table
# ---------------------------------------------------------------------------


class ClassificationTable:
    """Per-class precision, recall, F1 and support; prints as a table, shows as HTML in Jupyter.

    Attributes:
        class_names: list of class names.
        precision, recall, f1: float arrays `(classes,)`.
        support: int array `(classes,)`, the number of true examples of each class.
        accuracy: overall fraction correct.
    """

    columns = ("class", "precision", "recall", "f1", "support")

    def __init__(self, class_names, precision, recall, f1, support, accuracy):
        self.class_names = list(class_names)
        self.precision, self.recall, self.f1 = precision, recall, f1
        self.support, self.accuracy = support, accuracy

    def rows(self):
        """The table's rows: one per class, then the unweighted mean ("macro avg")."""
        rows = [[name, float(p), float(r), float(f), int(s)] for name, p, r, f, s in
                zip(self.class_names, self.precision, self.recall, self.f1, self.support)]
        rows.append(["macro avg", float(np.mean(self.precision)), float(np.mean(self.recall)),
                     float(np.mean(self.f1)), int(np.sum(self.support))])
        return rows

    def __str__(self):
        return text_table(self.columns, self.rows()) + f"\naccuracy: {self.accuracy:.3f}"

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        return html_table(self.columns, self.rows()) + f"<p>accuracy: {self.accuracy:.3f}</p>"


def classification_table(y_true, y_pred, class_names=None):
    """Compute precision, recall, F1 and support for each class, as a printable table.

    Precision: of the images predicted as the class, the fraction that are.
    Recall: of the images of the class, the fraction found. A class that is
    never predicted gets precision 0 (not a warning).

    Args:
        y_true: true class indices `(n,)` (or one-hot).
        y_pred: predicted class indices `(n,)`, or model outputs.
        class_names: names of the classes; None uses indices (the number of
            classes is then the largest index + 1).

    Returns:
        A `ClassificationTable` (numbers from
        `sklearn.metrics.precision_recall_fscore_support`).

    Example:

    >>> table = classification_table([0, 0, 1, 1], [0, 1, 1, 1], ["cat", "dog"])
    >>> print(table)
        class  precision  recall     f1  support
          cat      1.000   0.500  0.667        2
          dog      0.667   1.000  0.800        2
    macro avg      0.833   0.750  0.733        4
    accuracy: 0.750
    """
    from sklearn import metrics

    y_true = _class_indices(y_true)
    y_pred = _as_predictions(y_pred)
    n = len(class_names) if class_names is not None else int(max(y_true.max(), y_pred.max())) + 1
    names = _names(class_names, n)
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=np.arange(n), zero_division=0)
    accuracy = float(np.mean(y_true == y_pred)) if len(y_true) else 0.0
    return ClassificationTable(names, precision, recall, f1, support.astype(np.int64), accuracy)


# ---------------------------------------------------------------------------
# Worst errors
# ---------------------------------------------------------------------------


def worst_errors(y_true, y_prob, k=10):
    """Indices of the k mistakes the model was most sure about.

    Among the misclassified examples, sorts by the probability the model gave
    to its (wrong) predicted class, highest first. These are the images to
    look at: mislabelled data, ambiguous images, or a systematic blind spot.

    Args:
        y_true: true class indices `(n,)` (or one-hot).
        y_prob: model outputs `(n, classes)` or binary `(n,)` / `(n, 1)`.
        k: how many to return at most (fewer when there are fewer mistakes).

    Returns:
        int64 array of indices into `y_true` / `y_prob`.

    Example:

    >>> y_prob = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95]]
    >>> worst_errors([0, 0, 1, 0], y_prob, k=2).tolist()
    [3, 1]
    """
    k = check_positive_int("k", k)
    y_true = _class_indices(y_true)
    y_pred = predicted_classes(y_prob)
    if len(y_true) != len(y_pred):
        raise arg_error("y_prob", f"{len(y_pred)} predictions", f"one per label ({len(y_true)} labels)", describe=True)
    wrong = np.flatnonzero(y_pred != y_true)
    confidence = _confidences(y_prob)[wrong]
    order = np.argsort(-confidence, kind="stable")
    return wrong[order][:k].astype(np.int64)


def plot_worst_errors(images, y_true, y_prob, class_names=None, k=10, ncols=5, ax=None):
    """Show the k most confident mistakes, titled "true -> predicted (confidence)".

    Args:
        images: the images in the same order as `y_true` / `y_prob` (an
            array `(n, height, width, channels)` or an `ImageSet`).
        y_true: true class indices (e.g. from `predict_with_labels`).
        y_prob: model outputs in the same order.
        class_names: names of the classes; None uses the indices.
        k: how many mistakes to show at most.
        ncols: images per row.
        ax: a matplotlib Axes, or None for a new figure.

    Returns:
        The matplotlib Figure (with a note instead of images when the model
        made no mistake).

    Example:

    >>> import numpy as np
    >>> fig = plot_worst_errors(np.zeros((3, 8, 8, 1)), [0, 1, 1], [[0.9, 0.1], [0.7, 0.3], [0.2, 0.8]],
    ...                         ["cat", "dog"])
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['dog -> cat (70%)']
    """
    from cnn_course.plots import show_images

    images = np.asarray(getattr(images, "images", images))
    index = worst_errors(y_true, y_prob, k=k)
    y_true = _class_indices(y_true)
    y_pred = predicted_classes(y_prob)
    confidence = _confidences(y_prob)

    def name(c):
        return str(class_names[c]) if class_names is not None else str(c)

    if len(index) == 0:
        if ax is None:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(4, 1.5))
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no misclassified images", ha="center", va="center")
        return ax.figure
    titles = [f"{name(y_true[i])} -> {name(y_pred[i])} ({confidence[i]:.0%})" for i in index]
    fig = show_images(images[index], titles=titles, ncols=ncols, max_images=len(index), ax=ax)
    ax = fig.axes[0] if ax is None else ax
    ax.set_title(f"{len(index)} most confident mistakes: true -> predicted (confidence)", fontsize=9)
    return fig


__all__ = [
    "box_iou", "mean_iou", "predict_with_labels", "predicted_classes", "confusion_matrix", "plot_confusion_matrix",
    "most_confused_pairs", "classification_table", "ClassificationTable", "worst_errors",
    "plot_worst_errors", "text_table", "html_table", "top_k_accuracy",
]
