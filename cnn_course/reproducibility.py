"""Reproducible runs: one call seeds Python, NumPy and TensorFlow and makes TensorFlow's ops deterministic."""

import os
import random

import numpy as np

from cnn_course._validation import check_seed
from cnn_course.settings import import_keras, import_tensorflow_quietly


def set_seed(seed=0, deterministic=True):
    """Seed every random number generator a Keras program uses.

    Seeds Python's `random`, NumPy and TensorFlow (through
    `keras.utils.set_random_seed`), sets `PYTHONHASHSEED` for any child
    process, and, with `deterministic=True`, turns on TensorFlow's
    deterministic ops (`tf.config.experimental.enable_op_determinism`).
    Call it once at the top of a notebook or script, before building models
    and datasets: the same seed then gives the same weights and the same
    numbers on the same machine (CPU). Introduced in
    `notebooks/00_getting_started`.

    Deterministic ops cost little on a CPU. On a GPU they can be slower, and a
    few ops have no deterministic GPU kernel: TensorFlow then raises an error
    naming the op rather than silently giving different numbers.

    Args:
        seed: a non-negative integer.
        deterministic: whether to turn on TensorFlow's deterministic ops.

    Returns:
        The seed, so that `seed = set_seed(42)` reads naturally.

    Raises:
        ValueError: if `seed` is not a non-negative integer.

    Example:

    >>> from cnn_course.reproducibility import set_seed
    >>> import numpy as np
    >>> _ = set_seed(1); a = np.random.rand()
    >>> _ = set_seed(1); b = np.random.rand()
    >>> a == b
    True
    """
    seed = check_seed(seed, fix="For example: set_seed(42)")
    keras = import_keras()
    tf = import_tensorflow_quietly()

    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # also seeds Python, NumPy and TensorFlow's global generator
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    return seed


def determinism_error(exc):
    """Turn TensorFlow's "no deterministic kernel" error into one that names the op and the ways out.

    With `set_seed(..., deterministic=True)` TensorFlow refuses to run an op
    that has no deterministic kernel on the device (a few GPU kernels, such as
    some segment reductions and scatter updates), rather than give numbers
    that change from run to run. `training.fit` calls this on such an error.

    Args:
        exc: the exception raised while training.

    Returns:
        A `RuntimeError` to raise from `exc`, or None when `exc` is not about determinism.

    Example:

    >>> import tensorflow as tf
    >>> from cnn_course.reproducibility import determinism_error
    >>> err = tf.errors.UnimplementedError(None, None, "Deterministic GPU implementation of "
    ...                                    "unsorted segment reduction op not available.")
    >>> print(determinism_error(err))  # doctest: +ELLIPSIS
    TensorFlow has no deterministic kernel for an op this model uses: Deterministic GPU ... not available. ...
    """
    tf = import_tensorflow_quietly()
    message = str(getattr(exc, "message", None) or exc)
    if not isinstance(exc, tf.errors.UnimplementedError) or "eterminis" not in message:
        return None
    op = getattr(getattr(exc, "op", None), "name", None)
    where = f" (op {op!r})" if op else ""
    return RuntimeError(
        f"TensorFlow has no deterministic kernel for an op this model uses{where}: {message.strip()} "
        f"set_seed() turned deterministic ops on, so TensorFlow stops instead of giving numbers that change "
        f"from run to run. Either call set_seed(seed, deterministic=False) (same seed, not bit-identical "
        f"runs), or replace the layer that uses this op, or train on the CPU, where it has a deterministic kernel."
    )
