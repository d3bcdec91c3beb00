"""Shapes for the tasks beyond classification: several shapes per image (multilabel) and per-pixel masks.

The boxes for localisation come with every image already (`make_shapes_arrays`'s
third array); this file adds what the generator can also draw. Introduced in
`notebooks/09_beyond_classification`.
"""

import numpy as np

from cnn_course._validation import arg_error, check_bool, check_positive_int, check_seed
from cnn_course.shapes._dataset import DEFAULT_CLASSES, check_shape_classes, check_split, draw_class_by_class, \
    image_rng
from cnn_course.shapes._drawing import check_drawing_size, draw_scene, sample_grid_scene, shape_mask


def make_multilabel_arrays(n, image_size=64, class_names=DEFAULT_CLASSES, seed=0, clutter=True, *,
                           split="train", max_shapes=3):
    """Images holding one to `max_shapes` different shapes, with which shapes each holds.

    The image is cut into four quarters; each shape sits inside its own
    quarter, drawn as in `make_shapes_arrays` and a little larger for the
    quarter's size, over one background with its clutter. Which classes appear, how many (one to
    `max_shapes`, equally likely) and in which quarters is random. The label
    of an image is multi-hot: one 0/1 entry per class, the target of a
    multilabel classifier (a sigmoid per class, binary cross-entropy).

    Args:
        n: number of images, a positive integer.
        image_size: side of the square images in pixels, at least 32 (each
            quarter is a 16-pixel drawing at least).
        class_names: shapes that may appear, in label order (from `SHAPES`).
        seed: non-negative integer; the same seed gives the same arrays.
        clutter: whether to add distractor lines, dots and blobs.
        split: name of the random stream (`"train"`, `"validation"`, ...).
        max_shapes: the most shapes in one image, 1 to 4 and at most the
            number of classes.

    Returns:
        `(images, labels)`: uint8 `(n, H, W, 3)` and float32 `(n, classes)`,
        `labels[i, c] == 1` when image `i` holds a `class_names[c]`.

    Raises:
        ValueError: for a bad argument (the message says which and why).

    Example:

    >>> images, labels = make_multilabel_arrays(3, image_size=32, class_names=["circle", "star", "cross"])
    >>> images.shape, labels.shape
    ((3, 32, 32, 3), (3, 3))
    >>> bool(((labels.sum(axis=1) >= 1) & (labels.sum(axis=1) <= 3)).all())
    True
    """
    n = check_positive_int("n", n)
    image_size = check_drawing_size(image_size)
    if image_size < 32:
        raise arg_error("image_size", image_size, "at least 32 for four quarters", "Try image_size=64.")
    class_names = check_shape_classes(class_names)
    seed, clutter, split = check_seed(seed), check_bool("clutter", clutter), check_split(split)
    max_shapes = check_positive_int("max_shapes", max_shapes)
    if max_shapes > min(4, len(class_names)):
        raise arg_error("max_shapes", max_shapes, f"at most {min(4, len(class_names))} (four quarters, "
                        f"{len(class_names)} classes)", "Lower max_shapes or add classes.")
    images = np.empty((n, image_size, image_size, 3), dtype=np.uint8)
    labels = np.zeros((n, len(class_names)), dtype=np.float32)
    for i in range(n):
        rng = image_rng(seed, split, "multilabel", i)
        count = int(rng.integers(1, max_shapes + 1))
        chosen = rng.choice(len(class_names), size=count, replace=False)
        cells = [None] * 4
        for quarter, label in zip(rng.choice(4, size=count, replace=False), chosen):
            cells[int(quarter)] = class_names[int(label)]
        images[i] = draw_scene(sample_grid_scene(cells, rng, image_size, clutter))
        labels[i, chosen] = 1.0
    return images, labels


def make_segmentation_arrays(n_per_class, image_size=64, class_names=DEFAULT_CLASSES, seed=0, clutter=True, *,
                             split="train"):
    """The images of `make_shapes_arrays` with a mask saying, for each pixel, what it shows.

    The images are exactly those of `make_shapes_arrays` with the same
    arguments. The mask holds 0 for a background pixel and `label + 1` for a
    pixel at least half covered by the shape (clutter drawn over the shape
    does not change the mask): `len(class_names) + 1` classes per pixel, the
    target of a per-pixel softmax.

    Args:
        n_per_class: images per class, a positive integer.
        image_size: side of the square images in pixels, at least 16.
        class_names: shapes to draw, in label order (from `SHAPES`).
        seed: non-negative integer; the same seed gives the same arrays.
        clutter: whether to add distractor lines, dots and blobs.
        split: name of the random stream, as in `make_shapes_arrays`.

    Returns:
        `(images, masks, labels)`: uint8 `(N, H, W, 3)`, uint8 `(N, H, W)`
        and int64 `(N,)`, class by class.

    Raises:
        ValueError: for a bad argument (the message says which and why).

    Example:

    >>> images, masks, labels = make_segmentation_arrays(1, image_size=32, class_names=["circle", "star"])
    >>> masks.shape, sorted(set(masks[1].ravel().tolist()))
    ((2, 32, 32), [0, 2])
    """
    images, labels, covered = draw_class_by_class(n_per_class, image_size, class_names, seed, clutter, split,
                                                  per_scene=shape_mask)  # covered: (N, H, W) bool
    masks = covered * (labels + 1).astype(np.uint8)[:, None, None]
    return images, masks, labels
