"""Every model builder in one import: `models.build_convnet`, `models.shapes_convnet`, `models.compare_layers`.

The code lives in one module per idea; this module imports from each, so that
`from cnn_course import models` is all a notebook needs:

- `cnn_course.task_heads`: the output layer and loss per task (`TASKS`,
  `task_head`) and `compile_for_task`.
- `cnn_course.convnet_builder`: `build_convnet`, `convnet_shapes` and the
  dense baseline `build_dense`.
- `cnn_course.presets`: the named networks with their published parameter
  counts (`PRESETS`, `build_preset`, `mnist_convnet`, `shapes_convnet`, ...).
- `cnn_course.model_comparison`: `compare_layers`, what differs between two
  models (`COMPARED_CONFIG`).
- here: `conv_output_size`, deprecated.

None of them imports TensorFlow until a model is built.
"""

import warnings

from cnn_course.models._builder import build_convnet, build_dense, convnet_shapes  # noqa: F401  (models.*)
from cnn_course.convolution import output_size
from cnn_course.models._comparison import COMPARED_CONFIG, compare_layers  # noqa: F401  (models.*)
from cnn_course.models._presets import (  # noqa: F401  (models.*)
    PRESETS, build_preset, cats_vs_dogs_convnet, keras_io_mnist_convnet, lenet5, mnist_convnet,
    mnist_convnet_2nd_edition, shapes_convnet,
)
from cnn_course.models._heads import TASKS, compile_for_task, task_head  # noqa: F401  (models.*)


def conv_output_size(size, kernel, stride=1, padding="valid"):
    """Deprecated: use `cnn_course.convolution.output_size(size, kernel, padding, stride)`.

    Kept so that old notebooks still run; it returns 0 where the window does
    not fit, as it always did (`output_size(..., allow_empty=True)`).

    Example:

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     conv_output_size(148, 2, stride=2)
    74
    """
    warnings.warn("models.conv_output_size is deprecated: use convolution.output_size(size, kernel, "
                  "padding, stride)", DeprecationWarning, stacklevel=2)
    return output_size(size, kernel, padding, stride, allow_empty=True)
