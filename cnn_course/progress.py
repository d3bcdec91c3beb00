"""Progress as plain text lines, one look everywhere: a Keras callback for epochs, a function for any other loop."""

import threading
import time

from cnn_course._progress_lines import INTERVAL, Heartbeat, format_line, print_line  # noqa: F401  (progress.*)
from cnn_course.settings import import_keras

keras = import_keras()

# ---------------------------------------------------------------------------
# The Keras callback
# ---------------------------------------------------------------------------


def _ordered(logs):
    """The logs with the training metrics first, then the validation ones; the loss first in each."""
    def rank(key):
        is_val = key.startswith("val_")
        return (is_val, key.removeprefix("val_") != "loss")

    return {key: logs[key] for key in sorted(logs, key=rank)}


class ProgressLine(keras.callbacks.Callback):
    """Print one plain line per epoch: epoch i/n, the logged metrics and the epoch's seconds.

    `cnn_course.training.fit` adds it for you (its default `verbose=1`);
    pass it yourself to `model.fit(..., verbose=0, callbacks=[ProgressLine()])`.
    Training metrics come first (`loss`, `accuracy`, ...), then the
    validation ones (`val_loss`, `val_accuracy`, ...) when `fit` has
    validation data, each as `name=value` (see `format_line`)::

        convnet: epoch 3/20  loss=0.4123  accuracy=0.8750  val_loss=0.5012  val_accuracy=0.8125  (1.2 s)

    When an epoch runs longer than `interval` seconds without a line (a big
    model on a slow laptop), it also prints an in-epoch line about every
    `interval` seconds, with the batches done and the running mean of the
    loss, or the validation batches done::

        convnet: epoch 3/20  batch 120/500  loss=0.4301  (10.0 s)

    Unlike Keras's own progress bar (`verbose=1`), it writes no backspaces,
    carriage returns or colour codes, which garble captured output (notebook
    files, Colab, VS Code, logs).

    Args:
        name: optional prefix of every line, e.g. the model's name.
        interval: seconds without a line after which an in-epoch line is
            printed; None for `INTERVAL` (10 s).
        every_epoch: True prints a line for every epoch; False only for an
            epoch that ends `interval` seconds or more after the last line
            (for a `fit` inside a loop that prints its own line per step,
            such as `learning_curves.learning_curve`).

    Raises:
        ValueError: for an `interval` that is not a number >= 0.

    Example:

    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    >>> model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    >>> x, y = np.ones((8, 2)), np.ones(8)
    >>> history = model.fit(x, y, validation_data=(x, y), epochs=2, verbose=0,
    ...                     callbacks=[ProgressLine(name="demo")])   # doctest: +ELLIPSIS
    demo: epoch 1/2  loss=...  accuracy=...  val_loss=...  val_accuracy=...  (... s)
    demo: epoch 2/2  loss=...  accuracy=...  val_loss=...  val_accuracy=...  (... s)
    """

    # Keras may then run the batch hooks on a worker thread instead of waiting for
    # each batch, as it does without callbacks (they read the clock; print under a lock).
    async_safe = True

    def __init__(self, name=None, interval=None, every_epoch=True):
        super().__init__()
        self.name = name
        self.every_epoch = bool(every_epoch)
        self._beat = Heartbeat(interval)
        self._lock = threading.Lock()  # batch hooks may run on Keras's worker threads
        self._epoch = None
        self._epoch_start = None

    def _epoch_label(self):
        total = self.params.get("epochs") if self.params else None
        return format_line("epoch", self._epoch + 1, total)

    def on_train_begin(self, logs=None):
        self._beat.mark()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._epoch_start = epoch, time.perf_counter()
        if self.every_epoch:
            self._beat.mark()

    def _in_epoch_line(self, what, batch, total, logs):
        if self._epoch is None:
            return
        with self._lock:
            if not self._beat.due():
                return
            values = {"loss": logs["loss"]} if logs and "loss" in logs else None
            print_line(f"{self._epoch_label()}  {what}", batch + 1, total, values,
                       seconds=time.perf_counter() - self._epoch_start, name=self.name)

    def on_train_batch_end(self, batch, logs=None):
        self._in_epoch_line("batch", batch, self.params.get("steps") if self.params else None, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._in_epoch_line("validation batch", batch, None, None)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        seconds = time.perf_counter() - self._epoch_start
        with self._lock:
            if not (self.every_epoch or self._beat.due()):
                return
            self._beat.mark()
            print_line(self._epoch_label(), values=_ordered(logs), seconds=seconds, name=self.name)

    def on_train_end(self, logs=None):
        self._epoch = None
