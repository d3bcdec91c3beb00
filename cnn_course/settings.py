"""Environment settings read in one place: quick mode, default folders, TensorFlow start-up flags."""

import os
import pathlib

from cnn_course._environment import (  # noqa: F401  (settings.import_keras, ... as before)
    THREADS_ENV,
    configure_tensorflow_environment,
    env_flag,
    import_keras,
    import_tensorflow_quietly,
    tensorflow_logs_hidden,
)

#: Environment variable that switches notebooks, the demo and tests to quick mode.
QUICK_ENV = "CNN_COURSE_QUICK"
#: Environment variable the grader sets in a submission's process (`cnn_course.assignment.grading()`).
GRADING_ENV = "CNN_COURSE_GRADING"


def quick_mode():
    """Return True when `CNN_COURSE_QUICK` is set to a true value (1, true, yes).

    Quick mode is what CI uses to execute every notebook in seconds: smaller
    data and fewer epochs. Students normally leave it unset.

    Example:

    >>> import os
    >>> os.environ["CNN_COURSE_QUICK"] = "1"
    >>> quick_mode()
    True
    >>> del os.environ["CNN_COURSE_QUICK"]
    >>> quick_mode()
    False
    """
    return env_flag(QUICK_ENV)


def default_data_dir():
    """Folder where the embedded dataset is written unless told otherwise.

    `CNN_COURSE_DATA` wins; otherwise `data/` in the repository when running from
    a checkout, else `~/cnn_course_data`.
    """
    env = os.environ.get("CNN_COURSE_DATA")
    if env:
        return pathlib.Path(env).expanduser()
    repo_data = pathlib.Path(__file__).resolve().parent.parent / "data"
    if repo_data.is_dir():
        return repo_data
    return pathlib.Path.home() / "cnn_course_data"


def check_installation():
    """Print the versions and settings that matter for this course; return 0 when all is well.

    Used by `cnn-course check` and the first cell of `notebooks/00_getting_started`.
    Paste its output into a question to the teacher.

    Returns:
        0 if TensorFlow and Keras 3 import and Keras runs on TensorFlow, else 1.
    """
    import platform

    import numpy as np

    print(f"Python      {platform.python_version()} ({platform.system()} {platform.machine()})")
    print(f"NumPy       {np.__version__}")
    with tensorflow_logs_hidden():  # no C++ start-up lines ("failed call to cuInit" is not a fault here)
        keras = import_keras()
        import tensorflow as tf

        from cnn_course.devices import report

        lines = report()  # GPUs, the strategy choose_strategy would pick, precision, XLA
    print(f"TensorFlow  {tf.__version__}")
    print(f"Keras       {keras.__version__} (backend: {keras.backend.backend()})")
    for line in lines:
        print(line)
    print(f"CPU cores   {os.cpu_count()}")
    print(f"oneDNN      TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS')}")
    print(f"Quick mode  {quick_mode()}  ({QUICK_ENV})")
    print(f"Data folder {default_data_dir()}")
    if int(keras.__version__.split(".")[0]) < 3 or keras.backend.backend() != "tensorflow":
        print("Problem: cnn_course needs Keras 3 on the TensorFlow backend. "
              "Fix: pip install -r requirements.txt, and set KERAS_BACKEND=tensorflow.")
        return 1
    print("Installation OK.")
    return 0
