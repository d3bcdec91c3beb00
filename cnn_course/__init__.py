"""cnn_course: a Keras 3 toolkit for the convolutional-neural-network block of a machine-learning course.

Import submodules by name, e.g. ``from cnn_course import models, data``.
Importing this package only sets TensorFlow's start-up flags (oneDNN on, C++
log noise off); it imports nothing heavy. TensorFlow is imported, quietly, by
the first module that needs it (`models`, `data`, `training`, ...), so the
NumPy-only modules (`convolution`, `filters`, `shapes`, `lecture_examples`,
`exercises`, `explain`'s arithmetic) and the `cnn-course` command start fast.
Import `cnn_course` before importing TensorFlow or Keras yourself.
"""

from cnn_course import _aliases
from cnn_course._environment import configure_tensorflow_environment

configure_tensorflow_environment()
_aliases.install()  # old module paths (cnn_course.image_folders, ...) still import, with a DeprecationWarning

__version__ = "0.1.0"
