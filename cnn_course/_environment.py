"""How TensorFlow starts in cnn_course: its start-up flags, a quiet import, the thread limit.

The lowest layer of the package: every module that needs TensorFlow or Keras
imports it through `import_keras` or `import_tensorflow_quietly`, and
`cnn_course/__init__.py` calls `configure_tensorflow_environment` before
anything imports TensorFlow. `cnn_course.settings` re-exports all of it.
"""

import contextlib
import os
import sys

from cnn_course._validation import arg_error

#: Environment variable that limits TensorFlow to this many threads (unset: all cores).
THREADS_ENV = "CNN_COURSE_THREADS"


def env_flag(name):
    """Return True when environment variable `name` is set to 1, true, yes or on (any case).

    Example:

    >>> import os
    >>> os.environ["CNN_COURSE_EXAMPLE"] = "Yes"
    >>> env_flag("CNN_COURSE_EXAMPLE")
    True
    >>> del os.environ["CNN_COURSE_EXAMPLE"]
    >>> env_flag("CNN_COURSE_EXAMPLE")
    False
    """
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def configure_tensorflow_environment():
    """Set TensorFlow's start-up flags unless the user already set them.

    Must run before TensorFlow is imported (it reads them once, at import):
    `cnn_course/__init__.py` calls it, so `import cnn_course` first.

    - `TF_ENABLE_ONEDNN_OPTS=1`: oneDNN CPU kernels, measured about 1.6x faster
      convnet training on a 2-core laptop-class CPU (see `benchmarks/`).
    - `TF_CPP_MIN_LOG_LEVEL=2`: hide TensorFlow's info and warning start-up noise.
    - With `CNN_COURSE_THREADS=N`: `TF_NUM_INTRAOP_THREADS=N` and
      `TF_NUM_INTEROP_THREADS=N`, so TensorFlow uses N threads even when
      your own code imports it first.

    Raises:
        ValueError: if `CNN_COURSE_THREADS` is set to something other than a
            positive integer.
    """
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    threads = _thread_limit()
    if threads is not None:  # read by TensorFlow itself, whoever imports it first
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(threads))
        os.environ.setdefault("TF_NUM_INTEROP_THREADS", str(threads))


@contextlib.contextmanager
def _stderr_fd_silenced():
    """Send the process's C-level stderr (file descriptor 2) to the null device, then restore it."""
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr (e.g. pythonw on Windows): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def tensorflow_logs_hidden():
    """Hide what TensorFlow's C++ core writes to file descriptor 2 inside the block; Python's stderr still shows.

    TensorFlow logs lines such as "failed call to cuInit" (on a laptop without
    a GPU) or "NodeDef mentions attribute use_unbounded_threadpool" straight to
    descriptor 2, long after its import: they look like faults and are not.
    Inside the block they go to the null device, while `sys.stderr` (Python's
    warnings and tracebacks) is pointed at a copy of the real descriptor.
    `CNN_COURSE_TF_LOGS=1` shows everything.
    """
    if env_flag("CNN_COURSE_TF_LOGS"):
        yield
        return
    sys.stderr.flush()
    try:
        copy = os.dup(2)
    except OSError:  # no usable stderr (e.g. pythonw on Windows): nothing to hide
        yield
        return
    saved_stream = sys.stderr
    try:
        sys.stderr = open(copy, "w", buffering=1, closefd=False, encoding="utf-8", errors="replace")  # noqa: SIM115
        with _stderr_fd_silenced():
            yield
    finally:
        sys.stderr.flush()
        sys.stderr = saved_stream
        os.close(copy)


def import_tensorflow_quietly():
    """Import TensorFlow and look up its devices without the C++ start-up log lines.

    Since TensorFlow 2.19, `TF_CPP_MIN_LOG_LEVEL` no longer hides the lines that
    its C++ core prints at import and device start-up ("oneDNN custom operations
    are on", "Could not find cuda drivers", absl's "All log messages before
    absl::InitializeLog()"): they are written straight to file descriptor 2.
    This function silences that descriptor only while TensorFlow imports and
    lists its devices. Python exceptions are not affected: an import error
    still shows. Set `CNN_COURSE_TF_LOGS=1` to see the log lines, and
    `CNN_COURSE_THREADS=N` to limit TensorFlow to N threads.

    It runs once: when TensorFlow is already imported it returns it unchanged.

    Returns:
        The `tensorflow` module.
    """
    already = sys.modules.get("tensorflow")
    if already is not None:
        return already
    configure_tensorflow_environment()
    quiet = contextlib.nullcontext() if env_flag("CNN_COURSE_TF_LOGS") else _stderr_fd_silenced()
    with quiet:
        import tensorflow as tf

        tf.config.list_physical_devices()
    _apply_thread_limit(tf)
    return tf


def _thread_limit():
    """The thread limit `CNN_COURSE_THREADS` asks for, or None when it is unset."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise arg_error(THREADS_ENV, raw, "a positive integer", "Unset it to use every core",
                        what="environment variable")
    return int(raw)


def _apply_thread_limit(tf):
    """Limit TensorFlow's thread pools to `CNN_COURSE_THREADS` threads when that variable is set."""
    threads = _thread_limit()
    if threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def import_keras():
    """Import Keras the first time a module needs it, with TensorFlow imported quietly first.

    Modules that build or train models call this instead of a bare `import
    keras`, at their top or inside the function that needs Keras, so that
    `import cnn_course` and the NumPy-only modules (`convolution`, `filters`,
    `shapes`, ...) start in a fraction of a second without TensorFlow.

    Returns:
        The `keras` module.
    """
    import_tensorflow_quietly()
    import keras

    return keras
