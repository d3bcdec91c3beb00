"""The layout of an image folder, checked and scanned once for both image loaders (in memory and streamed).

`<root>/<split>/<class name>/<image files>`: the checks of that layout that fail
fast before any image is decoded (`check_directory`, `find_class_folders`,
`class_files`, `check_split_root`), decoding one file or saying why it is not
an image (`read_or_reason`), and the walk over every file that keeps the
usable ones and names the bad ones (`sort_files`). `_folders.py` (into one
array) and `_stream.py` (checked once, then streamed) build on it.
"""

import os
import pathlib
import warnings

import numpy as np
from PIL import Image

from cnn_course._validation import arg_error, check_class_names

class ImageFolderError(ValueError):
    """An image folder has the wrong layout or holds a file that is not a usable image."""


ImageFolderError.__module__ = "cnn_course.datasets"  # its public home: tracebacks and messages name that one


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


def check_directory(name, directory):
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


def find_class_folders(directory, class_names=None):
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


def decode(path, size, mode):
    """Open and fully decode one image file; return a uint8 array (h, w) or (h, w, 3)."""
    with open(path, "rb") as stream, Image.open(stream) as image:
        image.load()  # decode now: a truncated or corrupt file fails here
        image = _to_8_bits(image).convert(mode)
        if size is not None and image.size != (size[1], size[0]):
            image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


def check_optional_class_names(class_names):
    return None if class_names is None else check_class_names(class_names)


#: PIL's name of each `color_mode`.
PIL_MODES = {"rgb": "RGB", "grayscale": "L"}


def class_files(directory, class_folders, stacklevel, loaders=("load_image_folder", "load_split_folders")):
    """Check that each class folder holds image files; return the files of each class, in class order.

    Shared by the in-memory loader and the streamed one. `stacklevel`
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


def read_or_reason(path, size, mode):
    """Decode one file: `(array, None)` for a usable image, `(None, reason)` for a bad file."""
    if not _is_image_name(path):
        return None, (f"not an image file (extension {path.suffix or 'none'!r}; "
                      f"accepted: {' '.join(IMAGE_EXTENSIONS)})")
    try:
        return decode(path, size, mode), None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        return None, f"cannot be decoded as an image ({type(exc).__name__}: {exc})"


def check_split_root(root, splits, class_names):
    """Check `root/<split>/` for every split and, without `class_names`, that all splits hold the same classes.

    Shared by `load_split_folders` and `stream_split_folders`.
    Nothing is decoded: a wrong layout fails fast and cheaply. Returns `root` as a Path.
    """
    root = check_directory("root", root)
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


def sort_files(directory, class_folders, files_per_class, reason_of, on_bad_file, stacklevel):
    """Walk every file of every class once, keeping the usable ones; the one bad-file rule of both loaders.

    `reason_of(label, path)` looks at one file (decoding it, or reading the
    cached check) and returns None to keep it, or why it is not usable. With
    `on_bad_file="raise"`, one error lists every bad file (the first 10) after
    the walk; with `"skip"`, each is named in a warning, and a class left
    without images is an error. `stacklevel` is what `warnings.warn` would take
    in the public loader (2: warn at its caller's line).

    Returns:
        The skipped files as `(path, reason)` pairs (empty unless `"skip"`).

    Raises:
        ImageFolderError: for bad files with `"raise"`, or a class with no usable image left.
    """
    bad, skipped = [], []
    for label, (folder, files) in enumerate(zip(class_folders, files_per_class)):
        class_bad, kept = [], 0
        for path in files:
            reason = reason_of(label, path)
            if reason is None:
                kept += 1
            else:
                class_bad.append((path, reason))
        if class_bad and on_bad_file == "skip":
            for path, reason in class_bad:
                warnings.warn(f"Skipping '{path}': {reason}.", stacklevel=stacklevel + 1)
            if kept == 0:
                raise ImageFolderError(
                    f"Class folder '{folder}' has no usable image after skipping {len(class_bad)} bad "
                    f"file(s). Add readable images ({' '.join(IMAGE_EXTENSIONS)}) to it, or remove the folder.")
            skipped += class_bad
        else:
            bad += class_bad
    if bad:
        listed = "\n".join(f"    '{path}': {reason}" for path, reason in bad[:10])
        more = f"\n    ... and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise ImageFolderError(f"Found {len(bad)} file(s) that are not usable images in '{directory}':\n"
                               f"{listed}{more}\n{_BAD_FILE_FIX}.")
    return skipped
