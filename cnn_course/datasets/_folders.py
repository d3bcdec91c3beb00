"""Image folders: load images stored as `<split>/<class name>/<image files>` into `ImageSet`s."""

import dataclasses

import numpy as np

from cnn_course._validation import check_choice, check_image_size
from cnn_course.datasets._scan import (  # noqa: F401  (ImageFolderError, IMAGE_EXTENSIONS: importable from here)
    IMAGE_EXTENSIONS,
    PIL_MODES,
    ImageFolderError,
    check_directory,
    check_optional_class_names,
    check_split_root,
    class_files,
    find_class_folders,
    read_or_reason,
    sort_files,
)


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


def _check_image_size(image_size):
    return None if image_size is None else check_image_size(image_size)


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
    changed, moved or deleted. A 16-bit grayscale PNG is brought to 0..255 by
    keeping the high byte of each value (`value // 256`), as TensorFlow's
    decoder does.

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
    directory = check_directory("directory", directory)
    size = _check_image_size(image_size)
    check_choice("color_mode", color_mode, ("rgb", "grayscale"))
    check_choice("on_bad_file", on_bad_file, ("raise", "skip"))
    class_names = check_optional_class_names(class_names)

    class_folders = find_class_folders(directory, class_names)
    files_per_class = class_files(directory, class_folders, stacklevel=2)

    mode = PIL_MODES[color_mode]
    total = sum(len(files) for files in files_per_class)
    images = None  # allocated once the first image gives the size
    labels, paths = [], []

    def keep(label, path):
        nonlocal images
        array, reason = read_or_reason(path, size, mode)
        if reason is not None:
            return reason
        if images is None:
            images = np.empty((total,) + array.shape[:2] + (3 if mode == "RGB" else 1,), np.uint8)
        elif array.shape[:2] != images.shape[1:3]:
            (h0, w0), (h1, w1) = images.shape[1:3], array.shape[:2]
            raise ImageFolderError(
                f"Images have different sizes: '{paths[0]}' is {h0}x{w0} but '{path}' is "
                f"{h1}x{w1} (height x width). Pass image_size= to resize every image to one "
                f"size, e.g. load_image_folder(..., image_size=({h0}, {w0}))."
            )
        images[len(labels)] = array.reshape(images.shape[1:])  # (height, width, channels)
        labels.append(label)
        paths.append(str(path))
        return None

    sort_files(directory, class_folders, files_per_class, keep, on_bad_file, stacklevel=2)
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
    root = check_split_root(root, splits, kwargs.get("class_names"))
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
