"""Every model builder in one import: `models.build_convnet`, `models.shapes_convnet`, `models.compare_layers`.

`from cnn_course import models` is all a notebook needs; the code lives in one
private file per idea:

- `_heads.py`: the output layer and loss per task (`TASKS`, `task_head`) and
  `compile_for_task`.
- `_builder.py`: `build_convnet`, `convnet_shapes` and the dense baseline
  `build_dense`.
- `_presets.py`: the named networks with their published parameter counts
  (`PRESETS`, `build_preset`, `mnist_convnet`, `shapes_convnet`, ...).
- `_comparison.py`: `compare_layers`, what differs between two models
  (`COMPARED_CONFIG`).
- here: `conv_output_size`, deprecated (goes after 2027-08-31).

None of them imports TensorFlow until a model is built.
"""

import warnings

from cnn_course._aliases import REMOVAL
from cnn_course.models._builder import build_convnet, build_dense, convnet_shapes  # noqa: F401  (models.*)
from cnn_course.convolution import output_size
from cnn_course.models._comparison import COMPARED_CONFIG, compare_layers  # noqa: F401  (models.*)
from cnn_course.models._presets import (  # noqa: F401  (models.*)
    PRESETS, build_preset, cats_vs_dogs_convnet, keras_io_mnist_convnet, lenet5, mnist_convnet,
    mnist_convnet_2nd_edition, shapes_convnet,
)
from cnn_course.models._heads import TASKS, TaskHead, compile_for_task, task_head  # noqa: F401  (models.*)

#: The names of the course's API here (what `from cnn_course.models import *` takes, and what the
#: README's package map lists); the rest is internal.
__all__ = [
    "build_convnet",
    "build_dense",
    "build_preset",
    "cats_vs_dogs_convnet",
    "compare_layers",
    "COMPARED_CONFIG",
    "compile_for_task",
    "conv_output_size",
    "convnet_shapes",
    "keras_io_mnist_convnet",
    "lenet5",
    "mnist_convnet",
    "mnist_convnet_2nd_edition",
    "PRESETS",
    "shapes_convnet",
    "task_head",
    "TaskHead",
    "TASKS",
]



def conv_output_size(size, kernel, stride=1, padding="valid"):
    """Deprecated: use `cnn_course.convolution.output_size(size, kernel, padding=..., stride=...)`.

    Kept so that old notebooks still run; it returns 0 where the window does
    not fit, as it always did (`output_size(..., allow_empty=True)`).

    Example:

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     conv_output_size(148, 2, stride=2)
    74
    """
    warnings.warn(f"models.conv_output_size is deprecated and goes after {REMOVAL}: use "
                  "convolution.output_size(size, kernel, padding=..., stride=...)", DeprecationWarning, stacklevel=2)
    return output_size(size, kernel, padding=padding, stride=stride, allow_empty=True)
