"""The end of every input pipeline of the course: float32 images, rescaled, cached, augmented, prefetched.

Shared by `cnn_course.data.make_dataset` (arrays in memory) and the streamed
image folders of `cnn_course.datasets`, so that both feed a model the same
batches; `cnn_course.data.finish_batches` is this function.
"""

import os

from cnn_course._validation import check_rescale
from cnn_course.settings import import_tensorflow_quietly


def finish_batches(ds, rescale=None, augment=None, *, cache=False, prefetch=True):
    """The steps every pipeline of the course ends with, on `(images, labels)` batches of any dtype.

    Converts the images to float32 and multiplies them by `rescale`, caches
    the result if asked, augments (random layers called with
    `training=True`), and prefetches. `make_dataset` and
    `datasets.stream_image_folder` both end this way.

    Args:
        ds: a `tf.data.Dataset` of `(images (batch, height, width, channels), labels)`.
        rescale: None, or the factor the float32 pixels are multiplied by (checked with
            the package's template; 1 leaves them as they are).
        augment: None, or a Keras layer or model called on each batch.
        cache: False, True (memory) or a file path for `tf.data`'s disk cache;
            the cache holds the batches before augmentation.
        prefetch: overlap input preparation with training.

    Returns:
        The `tf.data.Dataset` of float32 `(images, labels)` batches.

    Example:

    >>> import numpy as np
    >>> import tensorflow as tf
    >>> from cnn_course.data import finish_batches
    >>> ds = tf.data.Dataset.from_tensors((np.full((2, 4, 4, 1), 255, "uint8"), np.array([0, 1])))
    >>> x, y = next(iter(finish_batches(ds, rescale=1 / 255)))
    >>> x.dtype.name, float(x.numpy().max()), y.numpy().tolist()
    ('float32', 1.0, [0, 1])
    """
    tf = import_tensorflow_quietly()
    scale = check_rescale(rescale)

    def to_float(x, y):
        x = tf.cast(x, tf.float32)  # (batch, height, width, channels)
        return (x * scale if scale is not None else x), y

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    if cache:
        ds = ds.cache() if cache is True else ds.cache(os.fspath(cache))
    if augment is not None:
        ds = ds.map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds
