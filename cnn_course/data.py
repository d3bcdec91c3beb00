"""The tf.data input pipeline: from arrays or a folder to shuffled, rescaled, augmented, prefetched batches."""

import os

import numpy as np

from cnn_course._pipeline import finish_batches  # noqa: F401  (data.finish_batches, as before)
from cnn_course._validation import arg_error, check_positive_int, check_rescale
from cnn_course.settings import import_tensorflow_quietly


def _as_arrays(source, labels, image_size, color_mode):
    """Return (images uint8 (n,h,w,c), labels (n,) or (n,k)) from any accepted source."""
    from cnn_course.datasets import ImageSet, load_image_folder

    if isinstance(source, (str, os.PathLike)):
        source = load_image_folder(source, image_size=image_size, color_mode=color_mode)
    if isinstance(source, ImageSet):
        if labels is not None:
            raise arg_error(
                "labels", "an array", "None when the source is an ImageSet or a folder",
                "The ImageSet already carries its labels",
                describe=True,
            )
        return source.images, source.labels
    images = np.asarray(source)
    if images.ndim == 3:  # (n, h, w): grayscale without a channel axis
        images = images[..., None]
    if images.ndim != 4:
        raise arg_error(
            "source", f"an array of shape {images.shape}",
            "a folder path, an ImageSet, or an array of shape (n, height, width, channels)",
            describe=True,
        )
    if labels is None:
        raise arg_error("labels", None, "an array with one label per image when the source is an array")
    labels = np.asarray(labels)
    if len(labels) != len(images):
        raise arg_error(
            "labels", f"{len(labels)} labels", f"one label per image ({len(images)} images)",
            describe=True,
        )
    return images, labels


def make_dataset(source, labels=None, *, batch_size=32, shuffle=False, seed=None, augment=None,
                 rescale=1.0 / 255, cache=False, prefetch=True, image_size=None,
                 color_mode="rgb", one_hot=None):
    """Build a `tf.data.Dataset` of `(images, labels)` batches ready for `model.fit`.

    The Keras 3 replacement for `ImageDataGenerator.flow` and
    `flow_from_directory`. The steps, in order:

    1. read the source: an array with `labels`, an `ImageSet`, or a folder with
       one subfolder per class (decoded once, with every file checked, by
       `cnn_course.datasets.load_image_folder`);
    2. shuffle (only when `shuffle=True`; seeded, reshuffled every epoch). The
       image indices are shuffled, not the images, so memory holds one copy
       of the data set;
    3. batch, then convert to float32 and multiply by `rescale`;
    4. optionally cache the result (`cache=True` in memory, or a file path);
    5. augment (only when `augment` is given; random layers run with
       `training=True` on whole batches, in parallel with training);
    6. prefetch, so the next batch is ready while the model trains.

    With `shuffle=False` (use it for validation and test data) batches come in
    the source's order, so `predictions[i]` belongs to `imageset.labels[i]`.

    Args:
        source: folder path, `ImageSet`, or array `(n, height, width, channels)`.
        labels: labels for an array source: integers `(n,)` or one-hot `(n, k)`.
        batch_size: images per batch.
        shuffle: shuffle every epoch (training data only).
        seed: shuffle seed; None uses the global seed from `set_seed`.
        augment: optional augmentation block (see
            `cnn_course.augmentation.make_augmentation`).
        rescale: factor applied to pixel values (1/255 maps to [0, 1]); None
            or 1 leaves them as they are.
        cache: False, True (memory) or a file path for `tf.data`'s disk cache.
            Cached batches are re-shuffled only within the cache, so caching is
            for `shuffle=False` data.
        prefetch: overlap input preparation with training.
        image_size: `(height, width)` to resize to, for a folder source.
        color_mode: "rgb" or "grayscale", for a folder source.
        one_hot: None to keep labels as given; an integer `k` to one-hot encode
            integer labels into `k` classes (for `categorical_crossentropy`).

    Returns:
        A `tf.data.Dataset` yielding `(float32 images (batch, h, w, c), labels)`.

    Raises:
        ValueError: for a bad argument; FileNotFoundError / ValueError from the
            folder loader for a missing folder, a bad layout or a bad image file.

    Example:

    >>> import numpy as np
    >>> from cnn_course.data import make_dataset
    >>> images = np.zeros((10, 8, 8, 1), dtype="uint8"); labels = np.arange(10) % 2
    >>> ds = make_dataset(images, labels, batch_size=4)
    >>> [tuple(x.shape) for x, _ in ds]
    [(4, 8, 8, 1), (4, 8, 8, 1), (2, 8, 8, 1)]
    """
    tf = import_tensorflow_quietly()

    batch_size = check_positive_int("batch_size", batch_size)
    scale = check_rescale(rescale)
    if shuffle and cache:
        raise arg_error(
            "cache", cache, "False when shuffle=True",
            "Cache the validation/test pipelines; the training arrays are already in memory",
        )
    images, labels = _as_arrays(source, labels, image_size, color_mode)
    if one_hot is not None:
        num_classes = check_positive_int("one_hot", one_hot)
        if labels.ndim != 1:
            raise arg_error("one_hot", one_hot, "None when labels are already one-hot")
        labels = np.eye(num_classes, dtype="float32")[labels.astype(int)]

    # Shuffle and batch the image indices, then gather each batch from one copy of the arrays:
    # a shuffle buffer of whole images would hold a second copy of the data set. tf.data's
    # shuffle order depends only on the seed and the number of elements, so the batches are
    # the ones a shuffle of the images themselves would give.
    images_t, labels_t = tf.convert_to_tensor(images), tf.convert_to_tensor(labels)
    ds = tf.data.Dataset.range(len(images))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)

    ds = ds.map(lambda index: (tf.gather(images_t, index), tf.gather(labels_t, index)),
                num_parallel_calls=tf.data.AUTOTUNE)
    return finish_batches(ds, scale, augment, cache=cache, prefetch=prefetch)


def dataset_labels(dataset):
    """Return all labels of a dataset, in the order it yields them, as a NumPy array.

    Only meaningful for a dataset built with `shuffle=False`: a shuffled one
    yields a new order every pass, so its labels would not line up with the
    predictions of another pass.
    """
    return np.concatenate([np.asarray(y) for _, y in dataset], axis=0)
