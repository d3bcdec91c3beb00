"""cnn_course: a Keras 3 toolkit for the convolutional-neural-network block of a machine-learning course.

Import submodules by name, e.g. ``from cnn_course import models, data``.
Importing this package sets TensorFlow's start-up flags (oneDNN on) and then
imports TensorFlow without its C++ log noise, so import it before TensorFlow.
"""

from cnn_course.settings import configure_tensorflow_environment, import_tensorflow_quietly

configure_tensorflow_environment()
import_tensorflow_quietly()

__version__ = "0.1.0"
