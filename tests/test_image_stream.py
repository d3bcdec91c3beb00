"""Tests for the streamed image folders (datasets/_stream.py): checked once (cached), streamed with tf.data.

The reference is the in-memory loader, `image_folders.load_image_folder`
(PIL), on the same files: same pixels, labels, class and file order, bad files
and messages. Every image is written here, in `tmp_path`, with PIL; the check
results go to a cache folder next to the image folder, never into it.
"""

import io
import os
import pathlib

import numpy as np
import pytest
from PIL import Image

from cnn_course import training

from cnn_course.datasets import _scan

from cnn_course.datasets import _stream as image_stream
from cnn_course.datasets._folders import ImageFolderError, load_image_folder, load_split_folders
from cnn_course.datasets._stream import ImageStream, stream_image_folder, stream_split_folders
from cnn_course.settings import import_keras

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def pattern(label, index, size=(10, 12)):
    """A distinct, textured RGB image per (class, file): a gradient plus noise, corner pixel = its identity."""
    height, width = size
    rng = np.random.default_rng(100 * label + index)
    yy, xx = np.mgrid[0:height, 0:width]
    image = np.stack([xx * 9 + 30 * label, yy * 11 + 7 * index, (xx + yy) * 5], axis=-1) + rng.integers(0, 40, (
        height, width, 3))
    image = np.clip(image, 0, 255).astype(np.uint8)  # (height, width, 3)
    image[0, 0] = (40 + 60 * label, 10 + 20 * index, 7)
    return image


def make_folder(directory, classes=("cats", "dogs"), n=3, size=(10, 12), ext=".png"):
    """`directory/<class>/<class>.<i><ext>` with `n` textured images per class."""
    for label, name in enumerate(classes):
        (directory / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(pattern(label, i, size)).save(directory / name / f"{name}.{i}{ext}")
    return directory


def corrupt_jpeg(path):
    """A JPEG cut in half: its header reads fine, its pixels are missing."""
    buffer = io.BytesIO()
    Image.fromarray(pattern(0, 9, (24, 32))).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return path


def snapshot(root):
    """Every path under `root` with its bytes, size and modification time."""
    state = {}
    for path in sorted(pathlib.Path(root).rglob("*")):
        stat = path.stat()
        state[path] = (path.read_bytes() if path.is_file() else None, stat.st_size, stat.st_mtime_ns)
    return state


def stream(directory, cache, **kwargs):
    kwargs.setdefault("verbose", 0)
    return stream_image_folder(directory, cache_dir=cache, **kwargs)


def all_images(dataset):
    """Every image and label of one pass, concatenated: `(n, h, w, c)` float32 and `(n,)` int64."""
    batches = list(dataset)
    return (np.concatenate([x.numpy() for x, _ in batches]), np.concatenate([y.numpy() for _, y in batches]))


@pytest.fixture
def folder(tmp_path):
    return make_folder(tmp_path / "images")


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def decodes(monkeypatch):
    """Count the files the check decodes: the in-memory loader's decode function, spied on."""
    calls = []
    real = _scan.decode

    def spy(path, size, mode):
        calls.append(pathlib.Path(path).name)  # list.append is safe from the checking threads
        return real(path, size, mode)

    monkeypatch.setattr(_scan, "decode", spy)
    return calls


# ---------------------------------------------------------------------------
# The same images, labels and order as the in-memory loader
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".gif"])
@pytest.mark.parametrize("color_mode", ["rgb", "grayscale"])
def test_streamed_images_equal_the_in_memory_loaders(tmp_path, cache, ext, color_mode):
    directory = make_folder(tmp_path / "images", classes=("dogs", "cats", "birds"), n=3, ext=ext)
    reference = load_image_folder(directory, color_mode=color_mode)
    streamed = stream(directory, cache, image_size=(10, 12), color_mode=color_mode, rescale=None, batch_size=4)

    assert isinstance(streamed, ImageStream) and len(streamed) == len(reference) == 9
    assert streamed.image_shape == reference.image_shape and streamed.num_batches == 3
    assert streamed.class_names == reference.class_names == ("birds", "cats", "dogs")
    assert streamed.paths == reference.paths
    assert streamed.labels.dtype == np.int64 and streamed.labels.tolist() == reference.labels.tolist()
    images, labels = all_images(streamed.dataset)
    assert images.dtype == np.float32 and images.shape == reference.images.shape
    assert np.array_equal(images, reference.images)  # images already at image_size: exactly PIL's pixels
    assert labels.dtype == np.int64 and labels.tolist() == reference.labels.tolist()


@pytest.mark.parametrize("channels", [1, 2, 4])  # 16-bit gray, gray + alpha, RGBA
def test_16_bit_pngs_stream_as_the_in_memory_loader_reads_them(tmp_path, cache, channels):
    import tensorflow as tf

    directory = tmp_path / "images"
    for label, name in enumerate(("a", "b")):
        (directory / name).mkdir(parents=True)
        wide = (np.linspace(0, 65535, 10 * 12 * channels) * (1 - 0.3 * label)).astype(np.uint16)
        png = tf.io.encode_png(wide.reshape(10, 12, channels)).numpy()  # PIL cannot write 16-bit RGBA
        (directory / name / "0.png").write_bytes(png)
    for color_mode in ("rgb", "grayscale"):
        reference = load_image_folder(directory, color_mode=color_mode)
        images, _ = all_images(stream(directory, cache, image_size=(10, 12), color_mode=color_mode,
                                      rescale=None).dataset)
        assert np.array_equal(images, reference.images), (channels, color_mode)
        assert len(np.unique(images)) > 50  # not clipped to white


@pytest.mark.parametrize("size", [(5, 6), (7, 11), (23, 17)])
@pytest.mark.parametrize("color_mode", ["rgb", "grayscale"])
def test_resized_images_are_within_one_of_pils_bilinear(folder, cache, size, color_mode):
    reference = load_image_folder(folder, image_size=size, color_mode=color_mode)
    images, _ = all_images(stream(folder, cache, image_size=size, color_mode=color_mode, rescale=None).dataset)
    assert images.shape == reference.images.shape
    difference = np.abs(images - reference.images)
    assert difference.max() <= 1 and difference.mean() < 0.35


def test_rescale_and_an_int_image_size(folder, cache):
    streamed = stream(folder, cache, image_size=10)
    images, _ = all_images(streamed.dataset)
    assert streamed.image_size == (10, 10) and images.shape == (6, 10, 10, 3)
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.max() > 0.5  # times 1/255 by default


# ---------------------------------------------------------------------------
# Bad files: named as the in-memory loader names them
# ---------------------------------------------------------------------------


def test_bad_file_is_named_in_the_same_error_as_the_in_memory_loaders(tmp_path, cache):
    directory = make_folder(tmp_path / "images", n=3, ext=".jpg")
    bad = corrupt_jpeg(directory / "cats" / "cat.99.jpg")
    with pytest.raises(ImageFolderError) as streamed:
        stream(directory, cache, image_size=(10, 12))
    message = str(streamed.value)
    assert str(bad) in message and "truncated" in message.lower() and "on_bad_file='skip'" in message
    with pytest.raises(ImageFolderError) as in_memory:
        load_image_folder(directory)
    assert message == str(in_memory.value)


def test_skip_warns_and_leaves_the_bad_file_out_every_time(tmp_path, cache, decodes):
    directory = make_folder(tmp_path / "images", n=3, ext=".jpg")
    bad = corrupt_jpeg(directory / "cats" / "cat.5.jpg")
    for _ in range(2):  # checked, then read from the cache: the same warning both times
        with pytest.warns(UserWarning, match="Skipping") as record:
            streamed = stream(directory, cache, image_size=(10, 12), on_bad_file="skip")
        assert [str(bad) in str(w.message) for w in record] == [True]
        assert len(streamed) == 6 and str(bad) not in streamed.paths
        assert streamed.labels.tolist() == [0, 0, 0, 1, 1, 1]
        assert [p for p, _ in streamed.skipped] == [str(bad)] and "truncated" in streamed.skipped[0][1].lower()
        images, labels = all_images(streamed.dataset)
        assert images.shape == (6, 10, 12, 3) and labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert len(decodes) == 7  # 7 files decoded once, by the first call only


def test_skip_that_empties_a_class_is_an_error(tmp_path, cache):
    directory = make_folder(tmp_path / "images", n=1)
    (directory / "cats" / "cats.0.png").unlink()
    (directory / "cats" / "readme.txt").write_text("x")
    with pytest.warns(UserWarning, match="readme.txt"), pytest.raises(ImageFolderError, match="no usable image"):
        stream(directory, cache, image_size=8, on_bad_file="skip")


def test_a_broken_link_is_a_bad_file_as_in_memory(folder, cache):
    link = folder / "dogs" / "gone.png"
    try:
        link.symlink_to(folder / "dogs" / "missing.png")
    except OSError:  # Windows without the privilege to make links
        pytest.skip("cannot make a symbolic link here")
    with pytest.raises(ImageFolderError) as in_memory:
        load_image_folder(folder)
    for _ in range(2):  # never cached: checked again each time
        with pytest.raises(ImageFolderError) as streamed:
            stream(folder, cache, image_size=8)
        assert str(streamed.value) == str(in_memory.value) and str(link) in str(streamed.value)


def test_a_file_tensorflow_cannot_decode_is_a_bad_file_with_its_reason(tmp_path, cache):
    directory = make_folder(tmp_path / "images", n=2)
    tiff = directory / "dogs" / "scan.png"  # a TIFF with a .png name: PIL reads it, TensorFlow cannot
    Image.fromarray(pattern(1, 5)).save(tiff, format="TIFF")
    palette_bmp = directory / "cats" / "icon.bmp"
    Image.fromarray(pattern(0, 5)).convert("P").save(palette_bmp)
    assert len(load_image_folder(directory)) == 6  # the in-memory loader reads both
    with pytest.raises(ImageFolderError) as err:
        stream(directory, cache, image_size=(10, 12))
    message = str(err.value)
    assert "Found 2 file(s)" in message and "TIFF file" in message and str(tiff) in message
    assert "palette or 1-bit BMP" in message and str(palette_bmp) in message


# ---------------------------------------------------------------------------
# The check runs once: cached outside the folder, by relative path, size and modification time
# ---------------------------------------------------------------------------


def test_second_call_on_an_unchanged_folder_decodes_nothing(folder, cache, decodes, capsys):
    first = stream(folder, cache, image_size=(10, 12), verbose=1)
    assert sorted(decodes) == sorted(pathlib.Path(p).name for p in first.paths) and first.checked == 6
    assert "Checking 6 new or changed file(s)" in capsys.readouterr().out
    decodes.clear()

    second = stream(folder, cache, image_size=(5, 5), batch_size=2, verbose=1)  # the check does not depend on these
    assert decodes == [] and second.checked == 0
    assert capsys.readouterr().out == ""
    assert second.paths == first.paths and second.cache_file == first.cache_file
    assert all_images(second.dataset)[0].shape == (6, 5, 5, 3)


def test_a_changed_file_is_checked_again_and_only_it(folder, cache, decodes):
    stream(folder, cache, image_size=8)
    decodes.clear()

    touched = folder / "dogs" / "dogs.1.png"
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # same bytes, new time
    assert stream(folder, cache, image_size=8).checked == 1 and decodes == ["dogs.1.png"]
    decodes.clear()

    replaced = folder / "cats" / "cats.2.png"
    replaced.write_text("not a picture any more")
    os.utime(replaced, ns=(stat.st_atime_ns, stat.st_mtime_ns + 9_000_000_000))
    with pytest.raises(ImageFolderError, match="cats.2.png"):
        stream(folder, cache, image_size=8)
    assert decodes == ["cats.2.png"]
    decodes.clear()

    replaced.unlink()
    Image.fromarray(pattern(0, 7)).save(folder / "cats" / "cats.7.png")
    streamed = stream(folder, cache, image_size=8)
    assert decodes == ["cats.7.png"]
    assert str(folder / "cats" / "cats.7.png") in streamed.paths and str(replaced) not in streamed.paths


def test_a_damaged_cache_file_is_ignored_and_rewritten(folder, cache, decodes):
    cache_file = stream(folder, cache, image_size=8).cache_file
    cache_file.write_text('{"version": 1, "files": ')  # half a file
    decodes.clear()
    assert stream(folder, cache, image_size=8).checked == 6 and len(decodes) == 6
    decodes.clear()
    assert stream(folder, cache, image_size=8).checked == 0 and decodes == []


def test_color_mode_and_classes_have_their_own_check(tmp_path, cache, decodes):
    directory = make_folder(tmp_path / "images", classes=("a", "b", "c"), n=2)
    assert stream(directory, cache, image_size=8).checked == 6
    assert stream(directory, cache, image_size=8, color_mode="grayscale").checked == 6
    assert stream(directory, cache, image_size=8, class_names=["c", "a"]).checked == 4
    assert stream(directory, cache, image_size=8, class_names=["c", "a"]).class_names == ("c", "a")
    assert len(decodes) == 16


def test_the_image_folder_is_never_written(tmp_path, cache):
    directory = make_folder(tmp_path / "images", n=3, ext=".jpg")
    corrupt_jpeg(directory / "dogs" / "dog.9.jpg")
    before = snapshot(directory)
    with pytest.warns(UserWarning):
        streamed = stream(directory, cache, image_size=(10, 12), on_bad_file="skip", shuffle=True, seed=0)
    all_images(streamed.dataset)
    with pytest.warns(UserWarning):
        stream(directory, cache, image_size=(10, 12), on_bad_file="skip")
    assert snapshot(directory) == before  # the same files, bytes, sizes and times; nothing added
    assert [p.parent for p in cache.iterdir()] == [cache]  # the check result lives in the cache folder only


def test_default_cache_folder_is_in_the_data_folder(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "data"))
    streamed = stream_image_folder(folder, image_size=8, verbose=0)
    assert streamed.cache_file.parent == tmp_path / "data" / "image_stream_cache" == image_stream.default_cache_dir()
    assert streamed.cache_file.is_file()


def test_cache_folder_inside_the_image_folder_is_refused(folder):
    before = snapshot(folder)
    with pytest.raises(ValueError, match="The `cache_dir` argument must be a folder outside the image folder"):
        stream_image_folder(folder, image_size=8, cache_dir=folder / "cats" / "cache")
    assert snapshot(folder) == before


# ---------------------------------------------------------------------------
# Arguments and layout: the package's template, the in-memory loader's messages
# ---------------------------------------------------------------------------


def test_image_size_is_required(folder, cache):
    with pytest.raises(ValueError, match=r"The `image_size` argument must be given when streaming.*"
                                         r"image_size=\(150, 150\)"):
        stream(folder, cache)
    with pytest.raises(ValueError, match="image_size"):
        stream_split_folders(folder.parent, cache_dir=cache)


@pytest.mark.parametrize("kwargs, name", [
    ({"batch_size": 0}, "batch_size"),
    ({"color_mode": "rgba"}, "color_mode"),
    ({"on_bad_file": "ignore"}, "on_bad_file"),
    ({"image_size": (0, 5)}, "image_size"),
    ({"class_names": "cats"}, "class_names"),
    ({"shuffle": "yes"}, "shuffle"),
    ({"seed": -1}, "seed"),
    ({"rescale": 0}, "rescale"),
    ({"augment": "flip"}, "augment"),
    ({"verbose": 3}, "verbose"),
    ({"cache_dir": 3}, "cache_dir"),
])
def test_bad_arguments_use_the_package_template(folder, cache, kwargs, name):
    kwargs = {"image_size": 8, "cache_dir": cache, **kwargs}
    with pytest.raises(ValueError, match=f"The `{name}` argument must be .* Received: {name}="):
        stream_image_folder(folder, **kwargs)


def test_layout_errors_name_the_streaming_functions(tmp_path, cache):
    for split in ["train", "test"]:
        make_folder(tmp_path / "root" / split, n=1)
    with pytest.raises(ImageFolderError) as err:
        stream(tmp_path / "root", cache, image_size=8)
    message = str(err.value)
    assert "only subfolders" in message and f"stream_split_folders('{tmp_path / 'root'}')" in message
    assert f"stream_image_folder('{tmp_path / 'root' / 'train'}')" in message


def test_split_folders(tmp_path, cache):
    make_folder(tmp_path / "root" / "train", n=3)
    make_folder(tmp_path / "root" / "validation", n=2)
    make_folder(tmp_path / "root" / "test", n=1)
    data = stream_split_folders(tmp_path / "root", image_size=(10, 12), cache_dir=cache, verbose=0, seed=1)
    reference = load_split_folders(tmp_path / "root")
    assert list(data) == ["train", "validation", "test"]
    for split in data:
        assert data[split].paths == reference[split].paths and data[split].class_names == ("cats", "dogs")
    # Only the first split is shuffled by default: the others keep the file order.
    assert all_images(data["validation"].dataset)[1].tolist() == reference["validation"].labels.tolist()
    assert np.allclose(all_images(data["test"].dataset)[0] * 255, reference["test"].images, atol=1e-3)


def test_split_folders_share_the_in_memory_loaders_checks(tmp_path, cache):
    make_folder(tmp_path / "root" / "train", classes=("cats", "dogs"), n=1)
    make_folder(tmp_path / "root" / "test", classes=("cats", "dgos"), n=1)
    with pytest.raises(ImageFolderError) as streamed:
        stream_split_folders(tmp_path / "root", splits=("train", "test"), image_size=8, cache_dir=cache)
    with pytest.raises(ImageFolderError) as in_memory:
        load_split_folders(tmp_path / "root", splits=("train", "test"))
    assert str(streamed.value) == str(in_memory.value) and "['cats', 'dgos']" in str(streamed.value)
    with pytest.raises(FileNotFoundError, match=r"Missing split folder\(s\) \['validation'\]"):
        stream_split_folders(tmp_path / "root", image_size=8, cache_dir=cache)
    make_folder(tmp_path / "root" / "val", n=1)
    with pytest.raises(ValueError, match="The `shuffle` argument must be None or a tuple of split names"):
        stream_split_folders(tmp_path / "root", splits=("train", "val"), shuffle=("validation",), image_size=8)


# ---------------------------------------------------------------------------
# Shuffling and training
# ---------------------------------------------------------------------------


def identities(dataset):
    """The (class, file) each streamed image came from, read from its corner pixel, for one epoch."""
    images, labels = all_images(dataset)
    return [(int(label), int(round((image[0, 0, 1] - 10) / 20))) for image, label in zip(images, labels)]


def test_seeded_shuffle_is_reproducible_and_reshuffles_every_epoch(tmp_path, cache):
    directory = make_folder(tmp_path / "images", n=6)
    unshuffled = identities(stream(directory, cache, image_size=(10, 12), rescale=None).dataset)
    assert unshuffled == [(label, i) for label in range(2) for i in range(6)]  # the paths' order

    runs = []
    for _ in range(2):
        streamed = stream(directory, cache, image_size=(10, 12), rescale=None, shuffle=True, seed=3, batch_size=5)
        runs.append([identities(streamed.dataset) for _epoch in range(2)])
    assert runs[0] == runs[1]  # the same seed, the same orders
    first, second = runs[0]
    assert sorted(first) == sorted(second) == unshuffled  # every image once per epoch
    assert first != unshuffled and second != first  # shuffled, and again each epoch
    other = stream(directory, cache, image_size=(10, 12), rescale=None, shuffle=True, seed=4, batch_size=5)
    assert identities(other.dataset) != first


@pytest.mark.trains
def test_a_streamed_folder_trains_a_keras_model(tmp_path, cache):
    keras = import_keras()
    keras.utils.set_random_seed(0)
    train = make_folder(tmp_path / "images" / "train", n=8, size=(8, 8))
    validation = make_folder(tmp_path / "images" / "validation", n=2, size=(8, 8), ext=".jpg")
    data = stream_split_folders(tmp_path / "images", splits=("train", "validation"), image_size=(8, 8),
                                batch_size=4, seed=0, cache_dir=cache, verbose=0)
    assert data["train"].paths[0].startswith(str(train)) and data["validation"].paths[0].startswith(str(validation))

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(2, "softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = training.fit(model, data["train"].dataset, data["validation"].dataset, epochs=1, verbose=0)
    assert set(history.history) >= {"loss", "val_loss", "accuracy"} and np.isfinite(history.history["loss"][0])
    history = training.fit(model, data["train"], data["validation"], epochs=1, verbose=0)  # the streams themselves
    assert len(history.history["val_loss"]) == 1
    history = model.fit(data["train"].dataset, epochs=1, verbose=0, shuffle=False)  # and Keras's own fit
    assert np.isfinite(history.history["loss"][0])
    predictions = model.predict(data["validation"].dataset, verbose=0)
    assert predictions.shape == (len(data["validation"]), 2)
