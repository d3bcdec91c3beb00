"""Augmentation: the ImageDataGenerator argument mapping, and what the layers really do to images."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import tensorflow as tf

from cnn_course.augmentation import RECIPES, make_augmentation, recipe, show_augmentations


def _image(h=16, w=16):
    x = np.zeros((h, w, 3), dtype="float32")
    x[2:10, 1:5] = 1.0  # an asymmetric bar, so flips and shifts show
    return x


def test_no_arguments_means_identity():
    aug = make_augmentation()
    assert [layer.__class__.__name__ for layer in aug.layers] == ["Identity"]
    x = _image()[None]
    np.testing.assert_array_equal(np.asarray(aug(x, training=True)), x)


def test_layers_follow_the_book_arguments():
    aug = make_augmentation(rotation_range=40, width_shift_range=0.2, height_shift_range=0.1,
                            zoom_range=0.2, shear_range=10, horizontal_flip=True)
    rot, shift, zoom, shear, flip = aug.layers
    assert rot.factor == pytest.approx((-40 / 360, 40 / 360))
    assert shift.height_factor == pytest.approx(0.1) and shift.width_factor == pytest.approx(0.2)
    assert tuple(zoom.height_factor) == pytest.approx((-0.2, 0.2))
    assert shear.__class__.__name__ == "RandomShear"
    assert flip.mode == "horizontal"


def test_flip_gives_original_or_mirror_and_inference_is_identity():
    aug = make_augmentation(horizontal_flip=True, seed=3)
    x = np.repeat(_image()[None], 32, axis=0)
    out = np.asarray(aug(tf.constant(x), training=True))
    mirrored = x[:, :, ::-1]
    same = np.all(out == x, axis=(1, 2, 3))
    flipped = np.all(np.isclose(out, mirrored), axis=(1, 2, 3))
    assert np.all(same | flipped)
    assert same.any() and flipped.any()
    np.testing.assert_array_equal(np.asarray(aug(tf.constant(x), training=False)), x)


def test_shift_moves_the_bar_by_at_most_the_range():
    aug = make_augmentation(width_shift_range=0.25, fill_mode="constant", seed=0)
    x = np.repeat(_image()[None], 16, axis=0)
    out = np.asarray(aug(tf.constant(x), training=True))
    cols = [np.nonzero(o.max(axis=(0, 2)) > 0.5)[0] for o in out]
    starts = np.array([c[0] for c in cols if len(c)])
    assert np.all(np.abs(starts - 1) <= 0.25 * 16 + 1)
    assert len(set(starts.tolist())) > 1  # it really moves


def test_recipes_build_the_layers_their_arguments_name():
    shapes = recipe("shapes", seed=0)
    shift, flip = shapes.layers
    assert shift.height_factor == pytest.approx(0.1) and shift.width_factor == pytest.approx(0.1)
    assert flip.mode == "horizontal"
    book = recipe("cats_vs_dogs").layers
    assert [x.__class__.__name__ for x in book] == ["RandomRotation", "RandomTranslation", "RandomZoom",
                                                    "RandomFlip"]
    assert book[0].factor == pytest.approx((-40 / 360, 40 / 360))
    assert set(RECIPES) == {"shapes", "cats_vs_dogs", "strong"}
    with pytest.raises(ValueError, match=r"The `name` argument must be one of .*'shapes'.*Received: name='light'"):
        recipe("light")


@pytest.mark.parametrize("kwargs,name", [
    ({"rotation_range": -5}, "rotation_range"),
    ({"width_shift_range": 1.5}, "width_shift_range"),
    ({"zoom_range": "big"}, "zoom_range"),
    ({"fill_mode": "mirror"}, "fill_mode"),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=rf"The `{name}` argument must be"):
        make_augmentation(**kwargs)


def test_show_augmentations_returns_a_figure():
    fig = show_augmentations((_image() * 255).astype("uint8"), make_augmentation(rotation_range=30),
                             n=6, ncols=3)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[0] == "original" and len(texts) == 6
    with pytest.raises(ValueError, match="one image of shape"):
        show_augmentations(np.zeros((2, 8, 8, 3)), make_augmentation())
