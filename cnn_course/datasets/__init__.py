"""Every dataset loader of the course in one place; each returns `ImageSet`s, most a dict of splits.

`from cnn_course import datasets` is all a notebook needs; the code lives in
one private file per idea:

- `_folders.py`: `ImageSet`, the container every loader returns, and folders
  of images (`load_image_folder`, `load_split_folders`), the Kaggle
  cats-vs-dogs layout.
- `_scan.py`: the layout of an image folder checked, and its files walked once,
  for both image loaders (`ImageFolderError` names the bad file or layout).
- `_stream.py`: folders larger than memory, checked once and streamed with
  `tf.data` (`stream_image_folder`, `stream_split_folders`, `ImageStream`).
- `_keras_cache.py`: the Keras cache folder (`keras_datasets_dir`), the offline
  switch (`OFFLINE_ENV`), when a download is allowed, and
  `DatasetUnavailableError`; shared with `cnn_course.pretrained`.
- `_keras_files.py`: MNIST, Fashion-MNIST and CIFAR-10 from the Keras cache
  (`load_mnist`, `load_fashion_mnist`, `load_cifar10`).
- `_bundled.py`: datasets bundled with installed packages, never downloaded
  (`load_digits`, `load_mnist_sample`).
- here: `load_shapes`, the course's embedded shapes dataset (written by
  `cnn_course.shapes`), loaded as a dict of splits.
"""

import types

from cnn_course import settings, shapes
from cnn_course._validation import check_bool
from cnn_course.datasets._folders import (
    IMAGE_EXTENSIONS,
    ImageFolderError,
    ImageSet,
    load_image_folder,
    load_split_folders,
)
from cnn_course.datasets._stream import ImageStream, stream_image_folder, stream_split_folders
from cnn_course.datasets._keras_cache import (
    OFFLINE_ENV,
    DatasetUnavailableError,
    downloads_allowed,
    keras_datasets_dir,
    why_not_downloaded,
)
from cnn_course.datasets._keras_files import (
    CIFAR10_NAMES,
    DIGIT_NAMES,
    FASHION_MNIST_NAMES,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
)
from cnn_course.datasets._bundled import load_digits, load_mnist_sample

__all__ = [
    # image_folders
    "IMAGE_EXTENSIONS",
    "ImageFolderError",
    "ImageSet",
    "load_image_folder",
    "load_split_folders",
    # image_stream
    "ImageStream",
    "stream_image_folder",
    "stream_split_folders",
    # keras_cache
    "OFFLINE_ENV",
    "DatasetUnavailableError",
    "downloads_allowed",
    "keras_datasets_dir",
    "why_not_downloaded",
    # keras_datasets
    "CIFAR10_NAMES",
    "DIGIT_NAMES",
    "FASHION_MNIST_NAMES",
    "load_cifar10",
    "load_fashion_mnist",
    "load_mnist",
    # small_datasets
    "load_digits",
    "load_mnist_sample",
    # here
    "QUICK_SHAPES_COUNTS",
    "load_shapes",
]

#: Images per class in each split of the shapes dataset in quick mode (read-only).
QUICK_SHAPES_COUNTS = types.MappingProxyType({"train": 12, "validation": 6, "test": 6})


def load_shapes(quick=None, seed=0, data_dir=None):
    """The course's embedded shapes dataset, written if needed, as a dict of splits.

    Writes the dataset with `cnn_course.shapes.make_shapes_dataset` (64x64
    RGB images of circles, squares, triangles and stars on cluttered
    backgrounds) unless `data_dir` already holds it with the same
    configuration, in which case it is only read; then loads it with
    `load_split_folders`.

    Args:
        quick: True for the small quick-mode dataset (`QUICK_SHAPES_COUNTS`:
            12 train, 6 validation and 6 test images per class), False for the
            full one (`shapes.DEFAULT_COUNTS`: 250 / 100 / 100 per class).
            None (default) follows `settings.quick_mode()`, that is the
            environment variable `CNN_COURSE_QUICK`.
        seed: non-negative integer seed of the images.
        data_dir: folder to write the dataset to and read it from. None
            (default) means `settings.default_data_dir() / "shapes_quick"` in
            quick mode, else `settings.default_data_dir() / "shapes"`.

    Returns:
        A dict `{"train", "validation", "test"}` of `ImageSet`s: images uint8
        `(n, 64, 64, 3)`, labels int64, class names the sorted folder names
        `("circle", "square", "star", "triangle")`, `paths` the PNG files.

    Raises:
        FileExistsError: `data_dir` holds files that `make_shapes_dataset` did
            not write (your files are never overwritten).
        ValueError: `quick` is not None, True or False, or a bad `seed` or
            `data_dir`.

    Example:

    >>> import pathlib, shutil, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "shapes_quick"
    >>> splits = load_shapes(quick=True, data_dir=folder)
    Writing shapes dataset to ...
    >>> {split: len(images) for split, images in splits.items()}
    {'train': 48, 'validation': 24, 'test': 24}
    >>> splits["train"].image_shape, splits["train"].class_names
    ((64, 64, 3), ('circle', 'square', 'star', 'triangle'))
    >>> splits = load_shapes(quick=True, data_dir=folder)  # the second call only reads
    Shapes dataset already in ... (same configuration): nothing to do.
    >>> shutil.rmtree(folder.parent)
    """
    quick = settings.quick_mode() if quick is None else check_bool("quick", quick)
    if data_dir is None:
        data_dir = settings.default_data_dir() / ("shapes_quick" if quick else "shapes")
    counts = QUICK_SHAPES_COUNTS if quick else None
    root = shapes.make_shapes_dataset(data_dir, counts=counts, seed=seed)
    return load_split_folders(root)
