"""Data augmentation with Keras 3 preprocessing layers, configured with `ImageDataGenerator`'s argument names."""

import math
import numbers
import types

import numpy as np

from cnn_course._validation import (arg_error, check_bool, check_choice, check_number,
                                    check_seed, explain_unknown_arguments)
from cnn_course.settings import import_keras, import_tensorflow_quietly

keras = import_keras()


#: Names a student may type for `make_augmentation`'s arguments: the lecture's words, Keras's layers.
_SYNONYMS = {
    "rotation": "rotation_range", "rotate": "rotation_range", "width_shift": "width_shift_range",
    "height_shift": "height_shift_range", "shift": "width_shift_range", "translation": "width_shift_range",
    "zoom": "zoom_range", "shear": "shear_range", "flip": "horizontal_flip", "horizontal": "horizontal_flip",
    "vertical": "vertical_flip", "brightness_range": "brightness", "contrast_range": "contrast",
    "saturation_range": "saturation", "hue_range": "hue", "gray": "grayscale", "grey": "grayscale",
    "greyscale": "grayscale", "crop_size": "crop", "random_crop": "crop", "crop_range": "crop",
}


def _check_range(name, value, low, high):
    return check_number(name, value, low=low, high=high, expected=f"a number in [{low}, {high}]",
                        fix=f"{name}=0 turns this augmentation off")


@explain_unknown_arguments(_SYNONYMS)
def make_augmentation(
    rotation_range=0.0,
    width_shift_range=0.0,
    height_shift_range=0.0,
    zoom_range=0.0,
    shear_range=0.0,
    horizontal_flip=False,
    vertical_flip=False,
    fill_mode="nearest",
    seed=None,
    name="augmentation",
    *,
    brightness=0.0,
    contrast=0.0,
    saturation=0.0,
    hue=0.0,
    grayscale=0.0,
    value_range=(0.0, 1.0),
    crop=0.0,
):
    """Build a random-augmentation block from `ImageDataGenerator`-style arguments.

    Keras 3 removed `ImageDataGenerator`, which the book's examples use. This
    function takes the same argument names and returns the Keras 3 equivalent:
    a `keras.Sequential` of random preprocessing layers. It is active only in
    training (`training=True`, which `fit` sets) and passes images through
    unchanged at inference. Use it as the first layer of a model
    (`cnn_course.models.build_convnet(..., augmentation=...)`: fastest on a
    2-core CPU, where it runs inside the training step) or in a tf.data
    pipeline (`cnn_course.data.make_dataset(..., augment=...)`: best when a GPU
    trains and the CPU cores are free to prepare data). `benchmarks/` measures
    both. Introduced in `notebooks/00_getting_started`.

    How the book's arguments map to layers:

    | argument | layer |
    |---|---|
    | `rotation_range=40` (degrees) | `RandomRotation(40 / 360)` |
    | `width_shift_range=0.2` (fraction of width) | `RandomTranslation(0, 0.2)` |
    | `height_shift_range=0.2` | `RandomTranslation(0.2, 0)` |
    | `zoom_range=0.2` (scale 0.8 to 1.2) | `RandomZoom((-0.2, 0.2))` |
    | `shear_range=10` (degrees) | `RandomShear(tan(10 deg))` |
    | `horizontal_flip=True` | `RandomFlip("horizontal")` |
    | `vertical_flip=True` | `RandomFlip("vertical")` |

    Colour ("photometric") changes, which `ImageDataGenerator` had only as
    `brightness_range` and `channel_shift_range`, are keyword-only here:

    | argument | layer |
    |---|---|
    | `brightness=0.1` (fraction of the value range added or taken away) | `RandomBrightness(0.1)` |
    | `contrast=0.2` (contrast times 0.8 to 1.2) | `RandomContrast(0.2)` |
    | `saturation=0.3` (saturation times 0.7 to 1.3) | `RandomSaturation` |
    | `hue=0.05` (a twentieth of the colour circle each way) | `RandomHue(0.1)` |
    | `grayscale=0.2` (probability) | `RandomGrayscale(0.2)` |

    `crop=0.1` adds a `RandomCropAndResize(0.1)` layer: each training image
    is cut to a random window of 90% of its height and width, which is then
    resized back to the full size (AlexNet took random 224x224 windows of its
    256x256 images); at inference images pass unchanged. Keras's own
    `RandomCrop` returns smaller images in training than at inference and
    cuts a whole batch at one place, so the course does not use it here.

    Which keep the label depends on the data: a mirrored cat is a cat, a
    mirrored "b" is a "d"; a colour change keeps a shape's label but not a
    traffic light's.

    Args:
        rotation_range: maximum rotation in degrees, in [0, 180].
        width_shift_range: maximum horizontal shift as a fraction of the width, in [0, 1).
        height_shift_range: maximum vertical shift as a fraction of the height, in [0, 1).
        zoom_range: maximum zoom as a fraction, in [0, 1): 0.2 zooms between
            0.8x and 1.2x.
        shear_range: maximum shear angle in degrees, in [0, 60]. (The book's
            `shear_range=0.2` is 0.2 degrees, which does almost nothing.)
        horizontal_flip: randomly mirror left-right.
        vertical_flip: randomly mirror top-bottom.
        fill_mode: how pixels that come in from outside the image are filled:
            "nearest" (the `ImageDataGenerator` default), "reflect",
            "constant" or "wrap".
        seed: integer seed for the random transformations (None: drawn from
            the global seed set by `cnn_course.reproducibility.set_seed`).
        name: the block's name.
        brightness: maximum brightness change, a fraction of `value_range`
            in [0, 1].
        contrast: maximum contrast change, in [0, 1]: 0.2 scales each
            image's deviations from its mean by 0.8 to 1.2.
        saturation: maximum saturation change, in [0, 1): 0.3 multiplies
            it by 0.7 to 1.3 (RGB images only).
        hue: maximum hue rotation as a fraction of the colour circle, in
            [0, 0.5] (RGB images only).
        grayscale: probability of turning an image gray (its three
            channels kept), in [0, 1] (RGB images only).
        value_range: the range of the pixel values the block receives:
            `(0, 1)` for the course's rescaled images, `(0, 255)` for raw ones.
        crop: share of the height and width a random crop cuts away, in
            [0, 0.5]: 0.1 keeps a random 90% window, resized back.

    Returns:
        A `keras.Sequential` of preprocessing layers. With every argument at
        its default it holds one `Identity` layer and returns its input unchanged.

    Raises:
        ValueError: if an argument is out of range; the message names it.
        TypeError: for an argument it does not have, naming the one meant
            (`rotation=20` is `rotation_range=20`).

    Example:

    >>> from cnn_course.augmentation import make_augmentation
    >>> aug = make_augmentation(rotation_range=20, width_shift_range=0.1,
    ...                         horizontal_flip=True, seed=0)
    >>> [layer.__class__.__name__ for layer in aug.layers]
    ['RandomRotation', 'RandomTranslation', 'RandomFlip']
    """
    geometric = {
        "rotation_range": _check_range("rotation_range", rotation_range, 0, 180),
        "width_shift_range": _check_range("width_shift_range", width_shift_range, 0, 0.99),
        "height_shift_range": _check_range("height_shift_range", height_shift_range, 0, 0.99),
        "zoom_range": _check_range("zoom_range", zoom_range, 0, 0.99),
        "shear_range": _check_range("shear_range", shear_range, 0, 60),
        "horizontal_flip": check_bool("horizontal_flip", horizontal_flip),
        "vertical_flip": check_bool("vertical_flip", vertical_flip),
        "fill_mode": check_choice("fill_mode", fill_mode, ("nearest", "reflect", "constant", "wrap")),
    }
    photometric = {
        "brightness": _check_range("brightness", brightness, 0, 1),
        "contrast": _check_range("contrast", contrast, 0, 1),
        "saturation": _check_range("saturation", saturation, 0, 0.99),
        "hue": _check_range("hue", hue, 0, 0.5),
        "grayscale": _check_range("grayscale", grayscale, 0, 1),
        "value_range": _check_value_range(value_range),
    }
    crop = _check_range("crop", crop, 0, 0.5)
    seed = check_seed(seed, allow_none=True)

    def next_seed(offset):
        # Each layer gets its own seed so that they do not draw the same numbers.
        return None if seed is None else int(seed) + offset

    layers = _geometric_layers(next_seed, **geometric) + _photometric_layers(next_seed, **photometric)
    if crop:
        layers.append(RandomCropAndResize(crop, seed=next_seed(11)))
    if not layers:  # an empty Sequential cannot be called
        layers.append(keras.layers.Identity(name="no_augmentation"))
    return keras.Sequential(layers, name=name)


def _check_value_range(value_range):
    ok = (isinstance(value_range, (tuple, list)) and len(value_range) == 2
          and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value_range)
          and value_range[0] < value_range[1])
    if not ok:
        raise arg_error("value_range", value_range, "a pair (low, high) with low < high",
                        "(0, 1) for images rescaled by 1/255, (0, 255) for raw pixels")
    return float(value_range[0]), float(value_range[1])


def _geometric_layers(next_seed, rotation_range, width_shift_range, height_shift_range, zoom_range,
                      shear_range, horizontal_flip, vertical_flip, fill_mode):
    """The layers that move pixels, in `ImageDataGenerator`'s terms."""
    layers = []
    if rotation_range:
        layers.append(keras.layers.RandomRotation(rotation_range / 360.0, fill_mode=fill_mode, seed=next_seed(1)))
    if width_shift_range or height_shift_range:
        layers.append(keras.layers.RandomTranslation(height_shift_range, width_shift_range, fill_mode=fill_mode,
                                                     seed=next_seed(2)))
    if zoom_range:
        layers.append(keras.layers.RandomZoom((-zoom_range, zoom_range), fill_mode=fill_mode, seed=next_seed(3)))
    if shear_range:
        factor = math.tan(math.radians(shear_range))
        layers.append(keras.layers.RandomShear(x_factor=factor, y_factor=factor, fill_mode=fill_mode,
                                               seed=next_seed(4)))
    if horizontal_flip or vertical_flip:
        mode = "horizontal_and_vertical" if horizontal_flip and vertical_flip else (
            "horizontal" if horizontal_flip else "vertical")
        layers.append(keras.layers.RandomFlip(mode, seed=next_seed(5)))
    return layers


def _photometric_layers(next_seed, brightness, contrast, saturation, hue, grayscale, value_range):
    """The layers that change colours and leave every pixel where it is."""
    layers = []
    if brightness:
        layers.append(keras.layers.RandomBrightness(brightness, value_range=value_range, seed=next_seed(6)))
    if contrast:
        layers.append(keras.layers.RandomContrast(contrast, value_range=value_range, seed=next_seed(7)))
    if saturation:
        # Keras's factor f multiplies the saturation by f / (1 - f): 0.5 changes nothing.
        bounds = ((1 - saturation) / (2 - saturation), (1 + saturation) / (2 + saturation))
        layers.append(keras.layers.RandomSaturation(bounds, value_range=value_range, seed=next_seed(8)))
    if hue:
        # Keras's factor f turns the hue by up to f / 2 of the circle, either way.
        layers.append(keras.layers.RandomHue(2 * hue, value_range=value_range, seed=next_seed(9)))
    if grayscale:
        layers.append(keras.layers.RandomGrayscale(grayscale, seed=next_seed(10)))
    return layers


@keras.saving.register_keras_serializable(package="cnn_course")
class RandomCropAndResize(keras.layers.Layer):
    """A random crop of each image, resized back to the image's size; the identity at inference.

    In training, every image of the batch gets its own window, `1 - crop` of
    its height and width, at a random place, resized back to the full size
    with bilinear interpolation: the shape is cut away at the edges a little
    and seen a little larger. At inference (`training=False`) the images pass
    unchanged, so the model sees whole images when it predicts. It saves and
    loads with `model.save("model.keras")` / `keras.models.load_model` once
    `cnn_course.augmentation` is imported. Build it with
    `make_augmentation(crop=...)`.

    Args:
        crop: share of the height and width cut away, in [0, 0.5].
        seed: integer seed of the windows' places (None: from the global seed).
        **kwargs: passed to `keras.layers.Layer` (`name`, ...).

    Example:

    >>> import numpy as np
    >>> layer = RandomCropAndResize(0.25, seed=0)
    >>> images = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    >>> layer(images, training=True).shape
    TensorShape([2, 8, 8, 3])
    >>> bool(np.array_equal(layer(images, training=False), images))
    True
    """

    def __init__(self, crop=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.crop = _check_range("crop", crop, 0, 0.5)
        self.seed = check_seed(seed, allow_none=True)
        self._generator = keras.random.SeedGenerator(self.seed)

    def call(self, images, training=None):
        if not training or not self.crop:
            return images
        tf = import_tensorflow_quietly()
        images = tf.convert_to_tensor(images, self.compute_dtype)
        batch = tf.shape(images)[0]
        side = 1.0 - self.crop
        # Top-left corners in [0, crop] of the height and width, one pair per image; boxes are (y0, x0, y1, x1)
        # in crop_and_resize's coordinates, where 0 and 1 are the centres of the first and last pixels.
        corners = keras.random.uniform((batch, 2), 0.0, self.crop, seed=self._generator)
        boxes = tf.concat([corners, corners + side], axis=1)
        size = tf.shape(images)[1:3]
        resized = tf.image.crop_and_resize(images, boxes, tf.range(batch), size, method="bilinear")
        return tf.cast(resized, images.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "crop": self.crop, "seed": self.seed}


#: Named augmentation recipes, as `make_augmentation` arguments; build one with `recipe(name)`.
RECIPES = types.MappingProxyType({
    # The course's default for the shapes: mirror, and move by up to a tenth of the image each way.
    # Rotations and zooms added to this kept the networks near chance for more epochs in our runs.
    "shapes": types.MappingProxyType({"horizontal_flip": True, "width_shift_range": 0.1,
                                      "height_shift_range": 0.1}),
    # Deep Learning with Python (1st ed., 5.2) for cats vs dogs, without its shear_range=0.2 (0.2 degrees).
    "cats_vs_dogs": types.MappingProxyType({"rotation_range": 40, "width_shift_range": 0.2,
                                            "height_shift_range": 0.2, "zoom_range": 0.2,
                                            "horizontal_flip": True}),
    # What the course used on the shapes before "shapes": notebook 03 shows why it learned so slowly.
    "strong": types.MappingProxyType({"rotation_range": 30, "width_shift_range": 0.15,
                                      "height_shift_range": 0.15, "zoom_range": 0.15,
                                      "horizontal_flip": True}),
})


def recipe(name="shapes", seed=None):
    """Build the augmentation block of a named recipe (a key of `RECIPES`).

    Args:
        name: "shapes" (the course's default for its shapes dataset),
            "cats_vs_dogs" (the book's) or "strong".
        seed: integer seed for the random transformations, or None.

    Returns:
        A `keras.Sequential` of preprocessing layers, as from `make_augmentation`.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).

    Example:

    >>> from cnn_course.augmentation import recipe
    >>> [layer.__class__.__name__ for layer in recipe("shapes", seed=0).layers]
    ['RandomTranslation', 'RandomFlip']
    """
    name = check_choice("name", name, tuple(RECIPES))
    return make_augmentation(**RECIPES[name], seed=seed, name=f"{name}_augmentation")


def show_augmentations(image, augmentation, n=9, ncols=3, ax=None):
    """Show one image under `n` random draws of an augmentation block, as a grid.

    The first tile is the original; the others are augmented copies. Each call
    draws new transformations; build the block with a `seed` (or call
    `set_seed` first) to get the same grid every run. Introduced
    in `notebooks/00_getting_started`.

    Args:
        image: one image, `(height, width, channels)`, uint8 in [0, 255] or
            float in [0, 1].
        augmentation: a block from `make_augmentation` (any callable Keras
            layer taking a batch and `training=True` works).
        n: number of tiles including the original.
        ncols: tiles per row.
        ax: a matplotlib Axes to draw into; a new figure when None.

    Returns:
        The matplotlib Figure.

    Example:

    >>> import numpy as np
    >>> from cnn_course.augmentation import make_augmentation, show_augmentations
    >>> image = np.zeros((32, 32, 3), dtype="uint8"); image[8:24, 4:12] = 255
    >>> fig = show_augmentations(image, make_augmentation(rotation_range=30), n=4, ncols=2)
    >>> len(fig.axes)
    1
    """
    tf = import_tensorflow_quietly()

    from cnn_course.plots import show_images

    image = np.asarray(image)
    if image.ndim != 3:
        raise arg_error(
            "image", f"an array of shape {image.shape}", "one image of shape (height, width, channels)",
            "Pass images[0], not the whole batch",
            describe=True,
        )
    n = int(n)
    if n < 1:
        raise arg_error("n", n, "a positive integer")
    scale = 255.0 if image.dtype == np.uint8 else 1.0
    batch = np.repeat(image[None].astype("float32") / scale, n - 1, axis=0)
    augmented = np.asarray(augmentation(tf.constant(batch), training=True)) if n > 1 else batch
    tiles = np.concatenate([image[None].astype("float32") / scale, augmented], axis=0)
    titles = ["original"] + [f"random draw {i}" for i in range(1, n)]
    return show_images(np.clip(tiles, 0, 1), titles=titles, ncols=ncols, ax=ax)
