"""Training: a `fit` helper with early stopping, atomic best-model checkpoints and label/loss checks up front."""

import os
import pathlib
import time

import numpy as np

from cnn_course._direction import best_index, metric_direction
from cnn_course._validation import arg_error, check_positive_int, check_verbose
from cnn_course.devices import is_chief, is_multi_worker
from cnn_course._files import atomic_path
from cnn_course.datasets import ImageStream
from cnn_course.progress import ProgressLine, print_line
from cnn_course.reproducibility import determinism_error
from cnn_course.settings import import_keras

#: The names of the course's API here (what `from cnn_course.training import *` takes, and what the
#: README's package map lists); the rest is internal.
__all__ = [
    "AtomicCheckpoint",
    "check_labels_for_model",
    "fit",
    "loss_name",
    "metric_direction",
]


keras = import_keras()


class AtomicCheckpoint(keras.callbacks.Callback):
    """Save the best model so far in `.keras` format, atomically.

    The model is written to a temporary file in the same folder and then
    renamed over `path`, so an interrupted run leaves either the previous best
    model or the new one, never a half-written file. `fit(..., checkpoint=path)`
    adds it for you.

    Args:
        path: destination, ending in `.keras`.
        monitor: the logged metric to watch. Which way is better is asked
            of Keras when training starts (`metric_direction`), as its
            `EarlyStopping` does: lower for losses, `mae` and `mse`, higher
            for `accuracy` and `auc`.
        verbose: print a line when a new best model is saved.

    Raises:
        ValueError: if `path` does not end in `.keras`, or (at the end of an
            epoch) `monitor` is not among the logged metrics.
    """

    def __init__(self, path, monitor="val_loss", verbose=0):
        super().__init__()
        self.path = pathlib.Path(path)
        if self.path.suffix != ".keras":
            raise arg_error("checkpoint", os.fspath(path), "a file path ending in '.keras'",
                            "For example: checkpoint='outputs/best.keras'")
        self.monitor, self.verbose = monitor, check_verbose(verbose)
        self.lower_is_better, self.best, self.best_epoch = None, None, None

    def on_train_begin(self, logs=None):
        if self.lower_is_better is None:  # the model's compiled metrics are known only now
            self.lower_is_better = metric_direction(self.monitor, self.model) == "min"
            self.best = np.inf if self.lower_is_better else -np.inf

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(
                f"Checkpoint monitor {self.monitor!r} is not among the logged metrics "
                f"{sorted(logs or {})}. Pass validation data, or monitor='loss'."
            )
        if value < self.best if self.lower_is_better else value > self.best:
            self.best, self.best_epoch = value, epoch + 1
            if not is_chief(self.model.distribute_strategy):
                return  # in a multi-worker cluster only the chief writes; the others hold the same weights
            with atomic_path(self.path) as tmp:
                self.model.save(tmp)
            if self.verbose:
                print(f"epoch {epoch + 1}: {self.monitor} improved to {value:.4f}, saved {self.path}")


def loss_name(model):
    """The name of a compiled model's loss ("sparse_categorical_crossentropy", ...), or None before `compile`.

    Example:

    >>> from cnn_course import models
    >>> loss_name(models.compile_for_task(models.build_dense((4, 4, 1), 3), "multiclass"))
    'sparse_categorical_crossentropy'
    """
    loss = model.loss
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__


def check_labels_for_model(model, labels):
    """Check that labels fit the model's output layer and loss, before training starts.

    Catches the classic mistakes that otherwise surface as a TensorFlow stack
    trace from the middle of `fit` (or, worse, train silently on nonsense):
    one-hot labels with `sparse_categorical_crossentropy`, integer labels with
    `categorical_crossentropy`, a label larger than the number of output
    units, several classes with one sigmoid unit, `binary_crossentropy` on a
    softmax output.

    Args:
        model: a compiled Keras model.
        labels: a batch (or all) of the labels that will be passed to `fit`.

    Raises:
        ValueError: saying what was received, what the loss expects, and the fix.

    Example:

    >>> import numpy as np
    >>> from cnn_course.models import build_dense, compile_for_task
    >>> model = compile_for_task(build_dense((4, 4, 1), num_classes=3), "multiclass")
    >>> check_labels_for_model(model, np.array([0, 2, 1]))   # fine: no error
    >>> check_labels_for_model(model, np.eye(3))
    Traceback (most recent call last):
    ...
    ValueError: The labels are one-hot vectors (shape (3, 3)) but the loss is ... or pass labels.argmax(axis=1).
    """
    if getattr(model, "optimizer", None) is None or model.loss is None:
        raise ValueError("The model is not compiled. Call cnn_course.models.compile_for_task(model, task) "
                         "or model.compile(...) before training.")
    labels = np.asarray(labels)
    loss = loss_name(model) or ""
    units = model.output_shape[-1]
    out_layer = model.layers[-1]
    activation = getattr(getattr(out_layer, "activation", None), "__name__", None)
    squeezed = labels.reshape(len(labels), -1) if labels.ndim > 1 else labels[:, None]
    is_one_hot = labels.ndim == 2 and labels.shape[1] > 1 and np.all(np.isin(labels, (0, 1))) \
        and np.all(labels.sum(axis=1) == 1)
    integer_like = np.all(np.equal(np.mod(labels, 1), 0)) if labels.size else True

    if loss == "sparse_categorical_crossentropy":
        if labels.ndim == 2 and labels.shape[1] > 1:
            raise ValueError(
                f"The labels are one-hot vectors (shape {labels.shape}) but the loss is "
                "sparse_categorical_crossentropy, which expects integer class labels of shape (n,). "
                "Fix: compile with loss='categorical_crossentropy', or pass labels.argmax(axis=1)."
            )
        if not integer_like or labels.min() < 0 or labels.max() >= units:
            raise ValueError(
                f"The labels range over [{labels.min()}, {labels.max()}] but the model has {units} "
                f"output units, so sparse_categorical_crossentropy expects integers 0..{units - 1}. "
                f"Fix: build the model with num_classes={int(labels.max()) + 1}, or check the labels."
            )
    elif loss == "categorical_crossentropy":
        if labels.ndim == 1 or labels.shape[-1] == 1:
            raise ValueError(
                f"The labels are integers (shape {labels.shape}) but the loss is "
                "categorical_crossentropy, which expects one-hot vectors of shape (n, classes). "
                "Fix: compile with loss='sparse_categorical_crossentropy' "
                "(compile_for_task(model, 'multiclass')), or one-hot encode the labels."
            )
        if labels.shape[-1] != units:
            raise ValueError(
                f"The one-hot labels have {labels.shape[-1]} columns but the model has {units} output "
                f"units. Fix: build the model with num_classes={labels.shape[-1]}."
            )
    elif loss == "binary_crossentropy":
        if activation == "softmax" and units > 1 and not is_one_hot:
            raise ValueError(
                "The output layer is softmax but the loss is binary_crossentropy (used for binary or "
                "multilabel tasks with sigmoid outputs). Fix: for single-label classes use "
                "loss='sparse_categorical_crossentropy'; for multilabel use activation='sigmoid'."
            )
        if labels.size and (labels.min() < 0 or labels.max() > 1):
            raise ValueError(
                f"binary_crossentropy expects labels in [0, 1] but they range over "
                f"[{labels.min()}, {labels.max()}]. Fix: for more than two classes use "
                "task='multiclass' (softmax output, sparse_categorical_crossentropy)."
            )
        if squeezed.shape[1] != units:
            raise ValueError(
                f"The labels have {squeezed.shape[1]} value(s) per image but the model has {units} "
                f"output unit(s). Fix: for one yes/no label use task='binary' (1 sigmoid unit); for "
                f"several independent labels use task='multilabel' with num_classes={squeezed.shape[1]}."
            )


def _print_restored(early, epochs, name):
    """Say which epoch's weights early stopping restored, and whether it stopped early."""
    note = "weights restored"
    if early.stopped_epoch:
        note += f" (stopped early after epoch {early.stopped_epoch + 1})"
    print_line("best epoch", early.best_epoch + 1, epochs, {early.monitor: early.best}, note=note, name=name)


def _as_dataset(data):
    """The `tf.data.Dataset` to train on: a streamed image folder's `.dataset`, anything else as it is."""
    return data.dataset if isinstance(data, ImageStream) else data


def _check_train(train):
    """The training data must be a dataset (validation may be anything Keras's `validation_data` takes)."""
    if not hasattr(train, "take"):
        raise arg_error("train", f"a {type(train).__name__}", "a tf.data.Dataset of (images, labels) batches",
                        "Build one with cnn_course.data.make_dataset(images, labels, batch_size=32)",
                        describe=True)
    return train


def fit(model, train, validation=None, *, epochs=10, patience=None, monitor="val_loss",
        start_from_epoch=0, checkpoint=None, callbacks=None, verbose=1, name=None):
    """Train a compiled model, with early stopping and best-model checkpoints when asked.

    Before the first step it checks the labels of one training batch against
    the model's output layer and loss (`check_labels_for_model`), so a wrong
    loss gives a clear message instead of a stack trace from inside `fit`, and
    that no layer was frozen or unfrozen since the model was compiled
    (`transfer.check_compiled_trainability`).

    Progress: one plain line per epoch (`cnn_course.progress.ProgressLine`)::

        epoch 3/20  loss=0.4123  accuracy=0.8750  val_loss=0.5012  val_accuracy=0.8125  (1.2 s)

    plus an in-epoch line about every 10 s when an epoch is slow. Keras's own
    progress bar is never shown (`model.fit` always runs with `verbose=0`):
    its backspaces and colour codes garble notebook outputs and logs.

    On several devices: build and compile the model inside
    `strategy.scope()` (`cnn_course.devices.choose_strategy`) and batch the
    data with the global batch size (`devices.global_batch_size`); `fit` then
    trains every replica in step. Under `MultiWorkerMirroredStrategy` it runs
    its own loop (`_multi_worker.py`), because Keras's cannot.

    Args:
        model: a compiled Keras model.
        train: a `tf.data.Dataset` of `(images, labels)` batches (see
            `cnn_course.data.make_dataset`), or a streamed image folder
            (`datasets.ImageStream`).
        validation: optional validation dataset, or a streamed image folder.
        epochs: maximum number of epochs.
        patience: stop when `monitor` has not improved for this many epochs,
            and restore the best weights (None: train all epochs).
        monitor: metric watched by early stopping and the checkpoint; whether lower or higher is
            better is Keras's answer (`metric_direction`): `val_loss` and `val_mae` down, `val_accuracy` up.
        start_from_epoch: early stopping starts watching only after this many
            epochs (a model trained with strong augmentation and dropout can sit
            at chance level for its first epochs before it starts learning).
        checkpoint: optional `.keras` path where the best model is saved
            (atomically) whenever `monitor` improves.
        callbacks: extra Keras callbacks.
        verbose: 0 trains silently; 1 (the default) prints one line per
            epoch. "auto" and 2 (Keras's values) also mean 1.
        name: optional prefix of the progress lines, e.g. "convnet".

    Returns:
        The Keras `History`; `history.seconds` holds the wall time and
        `history.best_epoch` the best epoch (1-based) when validation is given.

    Raises:
        ValueError: for a bad argument or labels that do not fit the loss.
        RuntimeError: if trainable flags changed since the last compile, or
            if deterministic ops are on and an op has no deterministic kernel
            on this device (the message names it and the ways out).

    Example:

    >>> import numpy as np
    >>> from cnn_course import data, models, training
    >>> x = np.random.default_rng(0).integers(0, 255, (16, 8, 8, 1), dtype="uint8")
    >>> y = np.arange(16) % 2
    >>> model = models.compile_for_task(models.build_dense((8, 8, 1), task="binary"), "binary")
    >>> history = training.fit(model, data.make_dataset(x, y, batch_size=8), epochs=2)
    epoch 1/2  loss=...  (... s)
    epoch 2/2  loss=...  (... s)
    >>> len(history.history["loss"])
    2
    """
    epochs = check_positive_int("epochs", epochs)
    verbose = check_verbose(verbose)
    train, validation = _check_train(_as_dataset(train)), _as_dataset(validation)
    if validation is None and monitor.startswith("val_") and (patience or checkpoint):
        raise arg_error("validation", None, f"a dataset when monitoring {monitor!r}",
                        "Pass validation data, or monitor='loss'")
    first_batch = next(iter(train.take(1)), None)
    if first_batch is None:
        raise arg_error("train", "an empty dataset", "a dataset with at least one batch", describe=True)
    check_labels_for_model(model, np.asarray(first_batch[1]))
    # Trainable flags changed since compile (e.g. a base unfrozen) are ignored by Keras
    # until the model is compiled again: say so instead of training the wrong weights.
    from cnn_course.transfer import check_compiled_trainability

    check_compiled_trainability(model)

    all_callbacks = list(callbacks or [])
    if verbose and not any(isinstance(c, ProgressLine) for c in all_callbacks):
        all_callbacks.append(ProgressLine(name=name))
    early = None
    if patience is not None:
        check_positive_int("patience", patience)
        early = keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True,
                                              start_from_epoch=start_from_epoch)
        all_callbacks.append(early)
    if checkpoint is not None:
        all_callbacks.append(AtomicCheckpoint(checkpoint, monitor=monitor))
    start = time.perf_counter()
    try:
        if is_multi_worker(model.distribute_strategy):  # Keras's fit cannot (see _multi_worker.py)
            from cnn_course.training._multi_worker import fit_loop

            history = fit_loop(model, train, validation, epochs, all_callbacks)
        else:
            history = model.fit(train, validation_data=validation, epochs=epochs,
                                callbacks=all_callbacks, verbose=0, shuffle=False)
    except Exception as exc:  # re-raised unchanged unless it is TensorFlow's determinism refusal
        explained = determinism_error(exc)
        if explained is None:
            raise
        raise explained from exc
    history.seconds = time.perf_counter() - start
    if verbose and early is not None and early.best_weights is not None:
        _print_restored(early, epochs, name)
    val = history.history.get(monitor)
    history.best_epoch = None
    if val:
        best = best_index(val, monitor, model)
        if best is not None:
            history.best_epoch = best + 1
    return history
