"""Image folders: load images stored as `<split>/<class name>/<image files>` into `ImageSet`s."""

import dataclasses
import os
import pathlib
import warnings

import numpy as np
from PIL import Image

from cnn_course._validation import arg_error, check_choice, check_class_names, check_image_size


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


#: PIL's modes for one channel of more than 8 bits (a 16-bit grayscale PNG opens as one of these).
_WIDE_GRAY_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")


def _to_8_bits(image):
    """A 16-bit grayscale image as 8-bit "L", keeping its high byte (as TensorFlow's decoder does).

    PIL's own `convert` clips such values at 255, which turns a 16-bit
    X-ray or microscope image almost white.
    """
    if image.mode not in _WIDE_GRAY_MODES:
        return image
    wide = np.asarray(image).astype(np.int64)  # (h, w), 0..65535 for a 16-bit PNG
    return Image.fromarray(np.clip(wide >> 8, 0, 255).astype(np.uint8), "L")


def _decode(path, size, mode):
    """Open and fully decode one image file; return a uint8 array (h, w) or (h, w, 3)."""
    with open(path, "rb") as stream, Image.open(stream) as image:
        image.load()  # decode now: a truncated or corrupt file fails here
        image = _to_8_bits(image).convert(mode)
        if size is not None and image.size != (size[1], size[0]):
            image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


def _check_image_size(image_size):
    return None if image_size is None else check_image_size(image_size)


def _check_class_names(class_names):
    return None if class_names is None else check_class_names(class_names)


#: PIL's name of each `color_mode`.
_PIL_MODES = {"rgb": "RGB", "grayscale": "L"}


def _class_files(directory, class_folders, stacklevel, loaders=("load_image_folder", "load_split_folders")):
    """Check that each class folder holds image files; return the files of each class, in class order.

    Shared by the in-memory loader and `cnn_course.image_stream`. `stacklevel`
    is what `warnings.warn` would take in the public function (2: warn at its
    caller's line); `loaders` names the one-split and the split-root functions
    that the layout error suggests.
    """
    single, split_root = loaders
    files_per_class = []
    for folder in class_folders:
        nested, files = _list_entries(folder)
        if not files and nested:
            split = next((f for f in class_folders if f.name.lower() in ("train", "training")), folder)
            raise ImageFolderError(
                f"Class folder '{folder}' holds only subfolders ({[n.name for n in nested]}) and no "
                f"image files. It looks like '{directory}' is a dataset root with one folder per "
                f"split, not one folder per class. Use {split_root}('{directory}'), or point "
                f"at one split, e.g. {single}('{split}'). Expected layout:\n"
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
                stacklevel=stacklevel + 1,
            )
        files_per_class.append(files)
    return files_per_class


def _read_or_reason(path, size, mode):
    """Decode one file: `(array, None)` for a usable image, `(None, reason)` for a bad file."""
    if not _is_image_name(path):
        return None, (f"not an image file (extension {path.suffix or 'none'!r}; "
                      f"accepted: {' '.join(IMAGE_EXTENSIONS)})")
    try:
        return _decode(path, size, mode), None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        return None, f"cannot be decoded as an image ({type(exc).__name__}: {exc})"


def _skip_bad_files(folder, bad, kept, stacklevel):
    """Warn once per skipped file of one class folder; raise if the class has no usable image left."""
    for bad_path, reason in bad:
        warnings.warn(f"Skipping '{bad_path}': {reason}.", stacklevel=stacklevel + 1)
    if kept == 0:
        raise ImageFolderError(
            f"Class folder '{folder}' has no usable image after skipping {len(bad)} bad "
            f"file(s). Add readable images (.png .jpg .jpeg .bmp .gif) to it, or remove the folder."
        )


def _bad_files_error(directory, bad):
    """The one error that lists every bad file (the first 10) of `directory`: `bad` is (path, reason) pairs."""
    listed = "\n".join(f"    '{p}': {reason}" for p, reason in bad[:10])
    more = f"\n    ... and {len(bad) - 10} more" if len(bad) > 10 else ""
    return ImageFolderError(
        f"Found {len(bad)} file(s) that are not usable images in '{directory}':\n{listed}{more}\n"
        f"{_BAD_FILE_FIX}."
    )


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
    directory = _check_directory("directory", directory)
    size = _check_image_size(image_size)
    check_choice("color_mode", color_mode, ("rgb", "grayscale"))
    check_choice("on_bad_file", on_bad_file, ("raise", "skip"))
    class_names = _check_class_names(class_names)

    class_folders = _find_class_folders(directory, class_names)
    files_per_class = _class_files(directory, class_folders, stacklevel=2)

    mode = _PIL_MODES[color_mode]
    total = sum(len(files) for files in files_per_class)
    images = None  # allocated once the first image gives the size
    labels, paths, bad = [], [], []
    first_path = None
    for label, (folder, files) in enumerate(zip(class_folders, files_per_class)):
        kept = 0
        for path in files:
            array, reason = _read_or_reason(path, size, mode)
            if reason is not None:
                bad.append((path, reason))
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
            _skip_bad_files(folder, bad, kept, stacklevel=2)
            bad = []
    if bad:
        raise _bad_files_error(directory, bad)
    if len(labels) < total:
        images = images[: len(labels)].copy()  # drop the unused rows left by skipped files
    return ImageSet(
        images=images,
        labels=np.asarray(labels, dtype=np.int64),
        class_names=tuple(f.name for f in class_folders),
        paths=tuple(paths),
    )


def _check_split_root(root, splits, class_names):
    """Check `root/<split>/` for every split and, without `class_names`, that all splits hold the same classes.

    Shared by `load_split_folders` and `cnn_course.image_stream.stream_split_folders`.
    Nothing is decoded: a wrong layout fails fast and cheaply. Returns `root` as a Path.
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
    if class_names is None:
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
    return root

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
    root = _check_split_root(root, splits, kwargs.get("class_names"))
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
