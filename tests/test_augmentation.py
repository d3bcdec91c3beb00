"""Augmentation: the ImageDataGenerator argument mapping, and what the layers really do to images."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import tensorflow as tf

from cnn_course.augmentation import RECIPES, RandomCropAndResize, make_augmentation, recipe, show_augmentations


def _image(h=16, w=16):
    x = np.zeros((h, w, 3), dtype="float32")
    x[2:10, 1:5] = 1.0  # an asymmetric bar, so flips and shifts show
    return x


def _where(mosaic, tile):
    """Every (top, left) at which `tile` appears in a grid image, by exhaustive search."""
    h, w = tile.shape[:2]
    return [(top, left) for top in range(mosaic.shape[0] - h + 1) for left in range(mosaic.shape[1] - w + 1)
            if np.allclose(mosaic[top:top + h, left:left + w], tile)]


def test_no_arguments_means_identity():
    aug = make_augmentation()
    assert [layer.__class__.__name__ for layer in aug.layers] == ["Identity"]
    x = _image()[None]
    np.testing.assert_array_equal(np.asarray(aug(x, training=True)), x)


def test_layers_follow_the_book_arguments():
    aug = make_augmentation(rotation_range=40, width_shift_range=0.2, height_shift_range=0.1,
                            zoom_range=0.2, shear_range=10, horizontal_flip=True)
    rot, shift, zoom, shear, flip = aug.layers
    assert [layer.__class__.__name__ for layer in aug.layers] == [
        "RandomRotation", "RandomTranslation", "RandomZoom", "RandomShear", "RandomFlip"]
    assert rot.factor == pytest.approx((-40 / 360, 40 / 360))
    assert shift.height_factor == pytest.approx(0.1) and shift.width_factor == pytest.approx(0.2)
    assert tuple(zoom.height_factor) == pytest.approx((-0.2, 0.2))
    # A shear of 10 degrees moves a point tan(10 deg) of its height sideways, either way, on both axes.
    slope = np.tan(np.radians(10))  # 0.1763
    assert tuple(shear.x_factor) == pytest.approx((-slope, slope))
    assert tuple(shear.y_factor) == pytest.approx((-slope, slope))
    assert flip.mode == "horizontal"
    # ImageDataGenerator's default fill, and any other one asked for, reaches every geometric layer.
    assert [layer.fill_mode for layer in aug.layers[:4]] == ["nearest"] * 4
    reflect = make_augmentation(rotation_range=5, width_shift_range=0.1, zoom_range=0.1, shear_range=5,
                                fill_mode="reflect")
    assert [layer.fill_mode for layer in reflect.layers] == ["reflect"] * 4
    assert make_augmentation(vertical_flip=True).layers[0].mode == "vertical"
    both = make_augmentation(horizontal_flip=True, vertical_flip=True).layers[0]
    assert both.mode == "horizontal_and_vertical"


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
    ({"crop": 0.6}, "crop"),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=rf"The `{name}` argument must be"):
        make_augmentation(**kwargs)


def test_show_augmentations_shows_the_original_then_augmented_copies():
    image = (_image() * 255).astype("uint8")
    fig = show_augmentations(image, make_augmentation(rotation_range=30), n=6, ncols=3)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["original"] + [f"random draw {i}" for i in range(1, 6)]
    # A stand-in augmentation that mirrors the batch it gets in training mode: the grid must hold
    # the original (uint8 scaled to [0, 1]) first and the mirror in every other tile.
    calls = []

    def mirror(batch, training=False):
        calls.append((tuple(batch.shape), training))
        return batch[:, :, ::-1] if training else batch

    grey = (_image() * 200).astype("uint8")  # a grey bar: 200 is shown as 200 / 255
    fig = show_augmentations(grey, mirror, n=4, ncols=4)
    assert calls == [((3, 16, 16, 3), True)]
    mosaic = np.asarray(fig.axes[0].images[0].get_array())
    expected = _image() * 200 / 255
    original, mirrored = _where(mosaic, expected), _where(mosaic, expected[:, ::-1])
    assert len(original) == 1 and len(mirrored) == 3
    assert all(top == original[0][0] and left > original[0][1] for top, left in mirrored)  # original first
    with pytest.raises(ValueError, match="one image of shape"):
        show_augmentations(np.zeros((2, 8, 8, 3)), make_augmentation())


def _hsv(images):
    from matplotlib.colors import rgb_to_hsv  # the reference: matplotlib's own colour conversion

    return rgb_to_hsv(np.clip(images, 0, 1))


def _colourful(n=16):
    return np.random.default_rng(3).uniform(0.2, 0.8, (n, 6, 6, 3)).astype("float32")


def _draw(block, images):
    out = np.asarray(block(tf.constant(images), training=True))
    np.testing.assert_array_equal(np.asarray(block(tf.constant(images), training=False)), images)
    return out


def test_brightness_and_contrast_stay_within_their_bounds():
    x = _colourful()
    out = _draw(make_augmentation(brightness=0.1, seed=1), x)
    shift = (out - x).reshape(len(x), -1)
    assert np.ptp(shift, axis=1).max() < 1e-5  # one shift per image, every pixel alike
    assert np.abs(shift).max() <= 0.1 + 1e-5 and np.abs(shift).max() > 0.01
    out = _draw(make_augmentation(contrast=0.2, seed=1), x)
    mean = x.mean(axis=(1, 2), keepdims=True)
    ratio = ((out - out.mean(axis=(1, 2), keepdims=True)) / (x - mean)).reshape(len(x), -1, 3)
    factors = np.median(ratio, axis=1)
    assert np.all((factors >= 0.8 - 1e-3) & (factors <= 1.2 + 1e-3)) and np.ptp(factors) > 0.02


def test_saturation_hue_and_grayscale_change_what_they_name_by_at_most_their_bounds():
    x = _colourful()
    hsv = _hsv(x)
    out = _hsv(_draw(make_augmentation(saturation=0.3, seed=1), x))
    ratio = out[..., 1] / hsv[..., 1]
    unclipped = out[..., 1] < 0.999
    assert ratio[unclipped].min() >= 0.7 - 1e-3 and ratio[unclipped].max() <= 1.3 + 1e-3
    np.testing.assert_allclose(out[..., 2], hsv[..., 2], atol=1e-3)  # the value (brightness) is kept
    out = _hsv(_draw(make_augmentation(hue=0.05, seed=1), x))
    turn = np.abs((out[..., 0] - hsv[..., 0] + 0.5) % 1.0 - 0.5)  # around the colour circle
    assert turn.max() <= 0.05 + 1e-3 and turn.max() > 0.005
    np.testing.assert_allclose(out[..., 1:], hsv[..., 1:], atol=2e-3)
    gray = _draw(make_augmentation(grayscale=1.0, seed=1), x)
    luma = x @ np.array([0.299, 0.587, 0.114], "float32")  # ITU-R BT.601, as PIL converts to "L"
    for channel in range(3):
        np.testing.assert_allclose(gray[..., channel], luma, atol=2e-3)


@pytest.mark.parametrize("typed, meant", [("rotation", "rotation_range"), ("zoom", "zoom_range"),
                                          ("rotaton_range", "rotation_range"), ("brightness_range", "brightness"),
                                          ("greyscale", "grayscale"), ("crop_size", "crop")])
def test_a_misspelt_argument_names_the_one_meant(typed, meant):
    with pytest.raises(TypeError, match=rf"The `{typed}` argument must be one of make_augmentation's arguments "
                                        rf"\(rotation_range, .*\)\. Received: {typed}=0\.2\. "
                                        rf"Did you mean {meant}=0\.2\?"):
        make_augmentation(**{typed: 0.2})


def _ramps(n, size):
    """Images whose channel 0 is the row's position and channel 1 the column's, from 0 to 1."""
    ramp = np.linspace(0.0, 1.0, size, dtype="float32")
    images = np.zeros((n, size, size, 3), "float32")
    images[..., 0] = ramp[:, None]
    images[..., 1] = ramp[None, :]
    return images


def test_random_crop_windows_have_the_asked_size_a_place_per_image_and_inference_is_identity():
    # Reference: bilinear interpolation reproduces a linear ramp exactly, so the first and last values of each
    # cropped ramp are where its window starts and ends, as a share of the image.
    images = _ramps(16, 20)
    block = make_augmentation(crop=0.2, seed=5)
    assert [layer.__class__.__name__ for layer in block.layers] == ["RandomCropAndResize"]
    out = _draw(block, images)
    assert out.shape == images.shape
    rows, columns = out[:, :, 0, 0], out[:, 0, :, 1]  # (16, 20) each
    for ramp in (rows, columns):
        starts, ends = ramp[:, 0], ramp[:, -1]
        np.testing.assert_allclose(ends - starts, 0.8, atol=1e-5)  # windows of 80% of the side
        assert (starts >= -1e-6).all() and (starts <= 0.2 + 1e-6).all()
        np.testing.assert_allclose(np.diff(ramp, axis=1), 0.8 / 19, atol=1e-5)  # still a straight ramp
    assert len(np.unique(np.round(rows[:, 0], 4))) > 8  # each image of the batch has its own window


def test_random_crop_layer_saves_and_loads(tmp_path):
    import keras

    inputs = keras.Input((12, 12, 3))
    model = keras.Model(inputs, RandomCropAndResize(0.25, seed=1, name="crop")(inputs))
    model.save(tmp_path / "crop.keras")
    loaded = keras.models.load_model(tmp_path / "crop.keras")
    layer = loaded.get_layer("crop")
    assert isinstance(layer, RandomCropAndResize) and (layer.crop, layer.seed) == (0.25, 1)
