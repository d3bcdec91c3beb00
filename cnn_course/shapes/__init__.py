"""The course's embedded offline dataset: seeded images of shapes on cluttered backgrounds, as arrays or PNG folders.

`make_shapes_dataset` writes `train/`, `validation/` and `test/` folders with
one subfolder per class (what `datasets.load_shapes` reads); `make_shapes_arrays`
makes the same images in memory; `render_shape` draws one image and its box.
NumPy and Pillow only: no TensorFlow. Introduced in `notebooks/00_getting_started`.

The code lives in three private files:

- `_drawing.py`: one image, a shape on a random background with clutter
  (`SHAPES`, `MIN_IMAGE_SIZE`, `render_shape`).
- `_dataset.py`: the dataset, in memory and as folders with a manifest that
  says how they were made (`make_shapes_arrays`, `make_shapes_dataset`,
  `dataset_exists`).
- `_tasks.py`: arrays for the tasks beyond classification, several shapes per
  image and per-pixel masks (`make_multilabel_arrays`, `make_segmentation_arrays`).
"""

from cnn_course.shapes._dataset import (
    DEFAULT_CLASSES,
    DEFAULT_COUNTS,
    GENERATOR,
    GENERATOR_VERSION,
    MANIFEST_NAME,
    dataset_exists,
    make_shapes_arrays,
    make_shapes_dataset,
)
from cnn_course.shapes._drawing import MIN_IMAGE_SIZE, SHAPES, render_shape
from cnn_course.shapes._tasks import make_multilabel_arrays, make_segmentation_arrays

__all__ = [
    "DEFAULT_CLASSES",
    "DEFAULT_COUNTS",
    "GENERATOR",
    "GENERATOR_VERSION",
    "MANIFEST_NAME",
    "MIN_IMAGE_SIZE",
    "SHAPES",
    "dataset_exists",
    "make_shapes_arrays",
    "make_multilabel_arrays",
    "make_segmentation_arrays",
    "make_shapes_dataset",
    "render_shape",
]
