"""The tf.data pipeline: order, seeded shuffling, rescaling, augmentation and errors."""

import numpy as np
import pytest
from PIL import Image

from cnn_course.augmentation import make_augmentation
from cnn_course.data import dataset_labels, make_dataset
from cnn_course.datasets import ImageSet


def _arrays(n=20):
    images = np.arange(n, dtype="uint8")[:, None, None, None] * np.ones((1, 4, 4, 1), "uint8")
    return images, np.arange(n) % 3


def _first_pixels(ds):
    return np.concatenate([x.numpy()[:, 0, 0, 0] for x, _ in ds])


def test_unshuffled_order_is_the_source_order_and_rescaled():
    images, labels = _arrays()
    ds = make_dataset(images, labels, batch_size=6)
    np.testing.assert_allclose(_first_pixels(ds), np.arange(20) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(dataset_labels(ds), labels)


def test_imageset_source_keeps_labels_aligned():
    images, labels = _arrays()
    subset = ImageSet(images, labels, ("a", "b", "c"))
    ds = make_dataset(subset, batch_size=7, rescale=None, cache=True)
    assert _first_pixels(ds).tolist() == list(range(20))
    np.testing.assert_array_equal(dataset_labels(ds), labels)


def test_seeded_shuffle_is_repeatable_and_reshuffles_each_epoch():
    images, labels = _arrays()
    a = make_dataset(images, labels, batch_size=5, shuffle=True, seed=1)
    b = make_dataset(images, labels, batch_size=5, shuffle=True, seed=1)
    c = make_dataset(images, labels, batch_size=5, shuffle=True, seed=2)
    first_a, second_a = _first_pixels(a), _first_pixels(a)
    np.testing.assert_array_equal(first_a, _first_pixels(b))
    assert not np.array_equal(first_a, second_a)  # a new order every epoch
    assert not np.array_equal(first_a, _first_pixels(c))
    assert sorted((first_a * 255).round().astype(int).tolist()) == list(range(20))
    # Labels travel with their images through the shuffle.
    for x, y in a:
        np.testing.assert_array_equal(np.round(x.numpy()[:, 0, 0, 0] * 255).astype(int) % 3, y.numpy())


@pytest.mark.parametrize("seed", [1, 7])
def test_shuffled_batches_are_tf_datas_shuffle_of_the_images(seed):
    # The reference: tf.data's own shuffle of the (image, label) pairs, with one-hot labels
    # to check that 2-D labels travel too. make_dataset shuffles indices instead (so that
    # its shuffle buffer holds no copy of the images) and must give the same batches.
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (23, 3, 2, 2), dtype="uint8")
    labels = np.eye(4, dtype="float32")[rng.integers(0, 4, 23)]
    ours = make_dataset(images, labels, batch_size=5, shuffle=True, seed=seed, rescale=None)
    reference = (tf.data.Dataset.from_tensor_slices((images, labels))
                 .shuffle(23, seed=seed, reshuffle_each_iteration=True).batch(5))
    for _ in range(2):  # two epochs: each reshuffled the same way
        pairs = list(zip(ours, reference))
        assert len(pairs) == 5
        for (x, y), (x_ref, y_ref) in pairs:
            assert x.dtype == tf.float32 and y.dtype == tf.float32
            np.testing.assert_array_equal(x.numpy(), x_ref.numpy().astype("float32"))
            np.testing.assert_array_equal(y.numpy(), y_ref.numpy())


def test_augmentation_changes_training_batches():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (8, 16, 16, 3), dtype="uint8")
    labels = np.arange(8)
    aug = make_augmentation(rotation_range=90, seed=0)
    x_aug = next(iter(make_dataset(images, labels, batch_size=8, augment=aug)))[0].numpy()
    assert x_aug.shape == (8, 16, 16, 3)
    assert not np.allclose(x_aug, images / 255.0)
    # A random mirror, after rescaling: each image comes out as itself or its mirror, next to its own
    # label, with new draws every epoch (also from a cached pipeline: augmentation runs after the cache).
    flip = make_augmentation(horizontal_flip=True, seed=0)
    ds = make_dataset(images, labels, batch_size=8, augment=flip, cache=True)
    plain = images / 255.0
    draws = []
    for _ in range(4):
        x, y = (t.numpy() for t in next(iter(ds)))
        np.testing.assert_array_equal(y, labels)
        same = np.all(np.isclose(x, plain, atol=1e-6), axis=(1, 2, 3))
        mirrored = np.all(np.isclose(x, plain[:, :, ::-1], atol=1e-6), axis=(1, 2, 3))
        assert np.all(same != mirrored), (same, mirrored)
        draws.append(tuple(mirrored))
    assert any(any(d) for d in draws) and len(set(draws)) > 1


def test_one_hot_labels():
    images, labels = _arrays(6)
    y = next(iter(make_dataset(images, labels, batch_size=6, one_hot=3)))[1].numpy()
    np.testing.assert_array_equal(y, np.eye(3)[labels])


def test_folder_source(tmp_path):
    for name, value in (("cats", 10), ("dogs", 200)):
        (tmp_path / name).mkdir()
        for i in range(3):
            Image.fromarray(np.full((12, 10, 3), value, "uint8")).save(tmp_path / name / f"{i}.png")
    ds = make_dataset(tmp_path, batch_size=4, image_size=(6, 5))
    x = np.concatenate([b.numpy() for b, _ in ds])
    assert x.shape == (6, 6, 5, 3)
    np.testing.assert_array_equal(dataset_labels(ds), [0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(x[:3], 10 / 255.0, rtol=1e-5)
    np.testing.assert_allclose(x[3:], 200 / 255.0, rtol=1e-5)


def test_errors():
    images, labels = _arrays()
    with pytest.raises(ValueError, match=r"The `labels` argument must be one label per image"):
        make_dataset(images, labels[:5])
    with pytest.raises(ValueError, match=r"The `labels` argument must be an array"):
        make_dataset(images)
    with pytest.raises(ValueError, match=r"The `batch_size` argument must be a positive integer"):
        make_dataset(images, labels, batch_size=0)
    with pytest.raises(ValueError, match=r"The `cache` argument must be False when shuffle=True"):
        make_dataset(images, labels, shuffle=True, cache=True)
    with pytest.raises(ValueError, match=r"The `source` argument must be a folder path"):
        make_dataset(np.zeros((3, 4)), [0, 1, 2])
    for bad in (0, -1 / 255, "1/255", True):  # the same check as image_stream's
        with pytest.raises(ValueError, match=r"The `rescale` argument must be None or a positive number"):
            make_dataset(images, labels, rescale=bad)
