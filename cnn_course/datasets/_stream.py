"""Image folders larger than memory: check every file once (the result cached), then stream batches with tf.data.

`datasets.load_image_folder` decodes every image into one
array: right for a few thousand images, too much memory for 25,000 photos at
150x150 (about 1.7 GB as uint8, four times that as float32). Here the folder
is checked once instead (every file decoded once, bad files named as the
in-memory loader names them) and the result is cached outside your folder, so
a second run starts at once; then a `tf.data` pipeline reads, decodes and
resizes the images in parallel while the model trains, with memory that does
not grow with the number of images.
"""

import concurrent.futures
import dataclasses
import hashlib
import json
import math
import os
import pathlib
import time
import warnings

import numpy as np
from PIL import Image

from cnn_course import settings
from cnn_course._files import write_text_atomically
from cnn_course._pipeline import finish_batches
from cnn_course._validation import (
    arg_error,
    check_bool,
    check_choice,
    check_image_size,
    check_positive_int,
    check_rescale,
    check_seed,
    check_verbose,
)
from cnn_course.datasets._scan import (
    PIL_MODES,
    check_directory,
    check_optional_class_names,
    check_split_root,
    class_files,
    find_class_folders,
    read_or_reason,
    sort_files,
)

#: Version of the cache files' content: files written with another version are ignored (checked again).
CACHE_VERSION = 1

#: File formats, as PIL names them, that TensorFlow's `tf.io.decode_image` reads ("MPO" is the
#: multi-picture JPEG some cameras write).
_TENSORFLOW_FORMATS = ("PNG", "JPEG", "MPO", "GIF", "BMP", "WEBP")

#: The function names that the layout errors suggest (the in-memory loader suggests its own).
_LOADERS = ("stream_image_folder", "stream_split_folders")


@dataclasses.dataclass(repr=False)
class ImageStream:
    """A folder of images read as a `tf.data` pipeline, with what is known about it without decoding.

    Attributes:
        dataset: a `tf.data.Dataset` of `(images, labels)` batches: float32
            `(batch, height, width, channels)` (times `rescale`) and int64
            `(batch,)`. Pass it to `model.fit` or `cnn_course.training.fit`.
        class_names: tuple of class names; `class_names[label]` names a label.
        paths: tuple of the streamed file paths (as `str`) in file order: class
            by class, sorted by name. An unshuffled dataset yields them in
            this order.
        labels: int64 array `(n,)`, the label of each path.
        image_size: `(height, width)` of every image in a batch.
        batch_size: images per batch (the last batch may be smaller).
        skipped: `(path, reason)` of each file left out with `on_bad_file="skip"`.
        cache_file: the file that holds this folder's check results.
        checked: how many files this call decoded to check them (0 when
            every file was unchanged since the last check).
    """

    dataset: object
    class_names: tuple
    paths: tuple
    labels: np.ndarray
    image_size: tuple
    batch_size: int
    skipped: tuple = ()
    cache_file: pathlib.Path = None
    checked: int = 0

    def __len__(self):
        return len(self.labels)

    @property
    def num_classes(self):
        return len(self.class_names)

    @property
    def image_shape(self):
        """Shape of one image, `(height, width, channels)`: the model's input shape."""
        return tuple(self.dataset.element_spec[0].shape[1:])

    @property
    def num_batches(self):
        """Batches in one epoch: `ceil(len(self) / batch_size)`."""
        return math.ceil(len(self) / self.batch_size)

    def __repr__(self):
        height, width = self.image_size
        folder = os.path.dirname(os.path.dirname(self.paths[0])) if self.paths else "?"
        return (f"ImageStream({len(self)} images of {self.num_classes} classes {self.class_names}, "
                f"{height}x{width}, {self.num_batches} batches of {self.batch_size}, from '{folder}')")


def default_cache_dir():
    """Where check results are cached unless `cache_dir=` says otherwise: `image_stream_cache/` in the data folder.

    The data folder is `cnn_course.settings.default_data_dir()` (`CNN_COURSE_DATA`
    when set). Nothing is ever written into an image folder.
    """
    return settings.default_data_dir() / "image_stream_cache"


# ---------------------------------------------------------------------------
# Checking every file once
# ---------------------------------------------------------------------------


def _tensorflow_reason(path):
    """Why TensorFlow's decoder would not read a file that PIL decoded as PIL does, or None."""
    try:
        with Image.open(path) as image:
            file_format, mode = image.format, image.mode
    except OSError as exc:  # changed or removed since it was decoded
        return f"cannot be read ({type(exc).__name__}: {exc})"
    if file_format not in _TENSORFLOW_FORMATS:
        return (f"a {file_format} file, which TensorFlow's image decoder cannot read (it reads PNG, JPEG, "
                f"GIF, BMP and WebP): convert it to PNG or JPEG to stream it")
    if file_format == "BMP" and mode in ("P", "1"):
        return ("a palette or 1-bit BMP, which TensorFlow's image decoder misreads: convert it to PNG "
                "or to a 24-bit BMP to stream it")
    return None


def _relative(path):
    """A file's path relative to the image folder, as the cache keys it: "<class folder>/<file name>"."""
    return f"{path.parent.name}/{path.name}"


def _check_file(path, pil_mode):
    """Decode one file as the in-memory loader does: None when it can be streamed, else why not."""
    _, reason = read_or_reason(path, None, pil_mode)  # the pixels are dropped at once
    return reason if reason is not None else _tensorflow_reason(path)


def _cache_file(cache_dir, directory, color_mode, class_names):
    """One cache file per (folder, color mode, classes): rewritten in place when the folder changes."""
    key = json.dumps([str(directory.resolve()), color_mode, list(class_names)])
    return cache_dir / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}.json"


def _read_cache(path, header):
    """The cached `{relative path: [size, mtime_ns, reason]}`, or {} when there is none that fits."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no cache yet, unreadable, or half a file from an old crash
        return {}
    if not isinstance(record, dict) or any(record.get(k) != v for k, v in header.items()):
        return {}
    files = record.get("files")
    if not isinstance(files, dict):
        return {}
    return {rel: entry for rel, entry in files.items() if isinstance(entry, list) and len(entry) == 3}


def _write_cache(path, header, entries, stacklevel):
    try:
        write_text_atomically(path, json.dumps({**header, "files": entries}))
    except OSError as exc:
        warnings.warn(f"Could not write the check results to '{path}' ({exc}); the folder will be checked "
                      f"again next time. Pass cache_dir= a folder you can write to.", stacklevel=stacklevel + 1)


def _check_folder(directory, files_per_class, color_mode, class_names, cache_file, verbose, stacklevel):
    """Return `(reasons, decoded)`: `reasons[relative path]` is None for a usable image, else why not.

    A file is decoded only when the cache has no result for its relative path,
    size and modification time; its size and time are read before it is
    decoded, so a file changed during the check is checked again next time.
    """
    header = {"version": CACHE_VERSION, "directory": str(directory.resolve()), "color_mode": color_mode,
              "class_names": list(class_names)}
    cached = _read_cache(cache_file, header)
    entries, todo = {}, []
    for files in files_per_class:
        for path in files:
            rel = _relative(path)
            try:
                stat = path.stat()
                stamp = [stat.st_size, stat.st_mtime_ns]
            except OSError:  # a broken link: checked (and named as a bad file) every time
                stamp = [None, None]
            if rel in cached and cached[rel][:2] == stamp and None not in stamp:
                entries[rel] = cached[rel]
            else:
                todo.append((path, rel, stamp))
    if todo:
        if verbose:
            print(f"Checking {len(todo)} new or changed file(s) in '{directory}' (once: the result is "
                  f"cached in '{cache_file}')", flush=True)
        start = time.perf_counter()
        pil_mode = PIL_MODES[color_mode]
        # PIL decodes with Python's lock released, so threads check files in parallel.
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            reasons = list(pool.map(lambda item: _check_file(item[0], pil_mode), todo))
        for (_, rel, stamp), reason in zip(todo, reasons):
            entries[rel] = stamp + [reason]
        if verbose:
            bad = sum(reason is not None for reason in reasons)
            print(f"Checked {len(todo)} file(s) in {time.perf_counter() - start:.1f} s: {bad} bad.", flush=True)
    if todo or entries.keys() != cached.keys():
        _write_cache(cache_file, header, entries, stacklevel + 1)
    return {rel: entry[2] for rel, entry in entries.items()}, len(todo)


# ---------------------------------------------------------------------------
# The tf.data pipeline
# ---------------------------------------------------------------------------


def _pil_luma(tf, image):
    """RGB uint8 `(h, w, 3)` to grayscale `(h, w, 1)` with PIL's integer formula (ITU-R 601-2 luma, rounded)."""
    rgb = tf.cast(image, tf.int32)
    luma = (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 32768) // 65536
    return tf.cast(luma, tf.uint8)[..., None]


def _read_image_fn(tf, image_size, channels):
    """The per-file step: read, decode as PIL does, resize as PIL's bilinear does, round to uint8."""
    height, width = image_size

    def read_image(path, label):
        data = tf.io.read_file(path)
        image = tf.cond(
            tf.io.is_jpeg(data),
            # PIL decodes JPEG with libjpeg's accurate integer DCT; TensorFlow's default is the fast one.
            lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"),
            lambda: tf.io.decode_image(data, channels=3, expand_animations=False),
        )  # (height, width, 3) uint8, the first frame of a GIF
        if channels == 1:
            image = _pil_luma(tf, image)  # (height, width, 1)

        def resize():
            # Antialiased bilinear is PIL's BILINEAR (its filter widens when shrinking); round as PIL does.
            resized = tf.image.resize(image, (height, width), method="bilinear", antialias=True)
            return tf.cast(tf.clip_by_value(tf.floor(resized + 0.5), 0.0, 255.0), tf.uint8)

        same_size = tf.reduce_all(tf.equal(tf.shape(image)[:2], (height, width)))
        image = tf.cond(same_size, lambda: image, resize)
        return tf.ensure_shape(image, (height, width, channels)), label

    return read_image


def _make_pipeline(paths, labels, image_size, channels, batch_size, shuffle, seed, rescale, augment):
    tf = settings.import_tensorflow_quietly()
    ds = tf.data.Dataset.from_tensor_slices((list(paths), labels))
    if shuffle:
        # Shuffling file names costs a few bytes per image; every epoch gets a new order.
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(_read_image_fn(tf, image_size, channels), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size)  # (batch, height, width, channels) uint8
    return finish_batches(ds, rescale, augment)


# ---------------------------------------------------------------------------
# The public functions
# ---------------------------------------------------------------------------


def _check_cache_dir(cache_dir, directory):
    if cache_dir is None:
        cache, named = default_cache_dir(), "the default cache folder"
    elif isinstance(cache_dir, (str, os.PathLike)):
        cache, named = pathlib.Path(cache_dir).expanduser(), None
    else:
        raise arg_error("cache_dir", cache_dir, "None or a path to a folder (str or pathlib.Path)")
    inside = directory.resolve()
    if cache.resolve() == inside or inside in cache.resolve().parents:
        where = f"{named} '{cache}'" if named else repr(os.fspath(cache_dir))
        raise arg_error("cache_dir", where, f"a folder outside the image folder '{directory}'",
                        "cnn_course never writes into your image folders: pass cache_dir= another folder",
                        describe=True)
    return cache


def stream_image_folder(directory, image_size=None, batch_size=32, color_mode="rgb", on_bad_file="raise",
                        class_names=None, shuffle=False, seed=None, rescale=1.0 / 255, augment=None,
                        cache_dir=None, verbose=1):
    """Stream one split stored as `directory/<class name>/<image files>`, for folders larger than memory.

    The same folder layout, class order, file order and error messages as
    `datasets.load_image_folder`, in two steps:

    1. Check, once: every file is decoded once (with PIL, in parallel
       threads) and the bad ones are named as the in-memory loader names
       them ("raise" or "skip"). The result is cached in `cache_dir`, never in
       your folder, per file: its path relative to `directory`, its size and
       its modification time. A second call decodes only new or changed
       files, so for an unchanged folder it starts at once.
    2. Stream: a `tf.data` pipeline reads, decodes and resizes the images in
       parallel threads (`num_parallel_calls=tf.data.AUTOTUNE`) while the
       model trains, then batches, rescales and prefetches. Nothing is
       cached in memory: memory stays flat however many images there are.

    The pixels equal the in-memory loader's for PNG, JPEG, GIF and BMP images
    already at `image_size`; resized images differ by at most 1 (of 255) in a
    few pixels (TensorFlow's antialiased bilinear against PIL's bilinear).
    Grayscale uses PIL's formula. Files PIL reads but TensorFlow cannot (TIFF,
    palette BMP, ...) are bad files here, with the reason given. 16-bit PNGs
    keep the high byte of each value in both loaders.

    Args:
        directory: path of the folder that holds one subfolder per class.
        image_size: required: an int or `(height, width)`. Every image is
            resized to it (bilinear, aspect ratio not kept): a batch holds
            images of one size.
        batch_size: images per batch.
        color_mode: "rgb" (3 channels) or "grayscale" (1 channel).
        on_bad_file: "raise" (default): one error lists every bad file;
            "skip": leave them out, with one warning per file, every call.
        class_names: None to use every subfolder, sorted by name; or a list of
            subfolder names, which chooses the classes and their order.
        shuffle: shuffle the files every epoch (for training data). With False
            the batches come in `paths` order, so `predictions[i]` belongs to
            `labels[i]`.
        seed: shuffle seed (an int: the same orders every run); None uses the
            global seed (`cnn_course.reproducibility.set_seed`).
        rescale: factor applied to the float32 pixels (1/255 maps them to
            [0, 1], as `cnn_course.data.make_dataset` does); None keeps 0..255.
        augment: optional augmentation block (see
            `cnn_course.augmentation.make_augmentation`), run on whole batches.
        cache_dir: folder for the check results; default `default_cache_dir()`.
            Must be outside `directory`.
        verbose: 1 prints a line before and after checking files (nothing
            when every file was unchanged); 0 prints nothing.

    Returns:
        An `ImageStream`: `.dataset` (the `tf.data.Dataset` of float32
        `(batch, height, width, channels)` images and int64 `(batch,)`
        labels), `.class_names`, `.paths`, `.labels`, `.skipped`; `len()` is
        the number of images.

    Raises:
        FileNotFoundError: `directory` does not exist.
        ImageFolderError: (a `ValueError`) a wrong layout, fewer than 2
            classes, an empty class folder, bad files with `on_bad_file="raise"`,
            a class left empty after skipping: as `load_image_folder`.
        ValueError: an argument of the wrong type or value, `image_size`
            missing, or a `cache_dir` inside `directory`.

    Example:

    >>> import pathlib, shutil, tempfile
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name, color in [("cats", "orange"), ("dogs", "brown")]:
    ...     (root / "train" / name).mkdir(parents=True)
    ...     for i in range(3):
    ...         Image.new("RGB", (40, 30), color).save(root / "train" / name / f"{i}.png")
    >>> train = stream_image_folder(root / "train", image_size=(16, 16), batch_size=4,
    ...                             cache_dir=root / "cache")
    Checking 6 new or changed file(s) in '...train' (once: the result is cached in '...json')
    Checked 6 file(s) in ... s: 0 bad.
    >>> len(train), train.class_names, train.labels.tolist()
    (6, ('cats', 'dogs'), [0, 0, 0, 1, 1, 1])
    >>> [(tuple(x.shape), x.dtype.name, y.dtype.name) for x, y in train.dataset]
    [((4, 16, 16, 3), 'float32', 'int64'), ((2, 16, 16, 3), 'float32', 'int64')]
    >>> again = stream_image_folder(root / "train", image_size=(16, 16), cache_dir=root / "cache")
    >>> again.checked  # unchanged folder: nothing decoded, nothing printed
    0
    >>> shutil.rmtree(root)
    """
    directory = check_directory("directory", directory)
    if image_size is None:
        raise arg_error("image_size", None, "given when streaming: an int or a tuple (height, width)",
                        "A batch holds images of one size, so every image is resized to it: "
                        "for example image_size=(150, 150)")
    size = check_image_size(image_size)
    batch_size = check_positive_int("batch_size", batch_size)
    check_choice("color_mode", color_mode, ("rgb", "grayscale"))
    check_choice("on_bad_file", on_bad_file, ("raise", "skip"))
    class_names = check_optional_class_names(class_names)
    shuffle = check_bool("shuffle", shuffle)
    seed = check_seed(seed, allow_none=True)
    rescale = check_rescale(rescale)
    if augment is not None and not callable(augment):
        raise arg_error("augment", augment, "None or a Keras layer or model (called on each batch)")
    verbose = check_verbose(verbose)
    cache_dir = _check_cache_dir(cache_dir, directory)

    class_folders = find_class_folders(directory, class_names)
    files_per_class = class_files(directory, class_folders, stacklevel=2, loaders=_LOADERS)
    names = tuple(f.name for f in class_folders)
    cache_file = _cache_file(cache_dir, directory, color_mode, names)
    reasons, decoded = _check_folder(directory, files_per_class, color_mode, names, cache_file, verbose,
                                     stacklevel=2)

    paths, labels = [], []

    def keep(label, path):
        reason = reasons[_relative(path)]
        if reason is None:
            paths.append(str(path))
            labels.append(label)
        return reason

    skipped = [(str(path), reason) for path, reason in
               sort_files(directory, class_folders, files_per_class, keep, on_bad_file, stacklevel=2)]

    labels = np.asarray(labels, dtype=np.int64)
    channels = 3 if color_mode == "rgb" else 1
    dataset = _make_pipeline(paths, labels, size, channels, batch_size, shuffle, seed, rescale, augment)
    return ImageStream(dataset=dataset, class_names=names, paths=tuple(paths), labels=labels, image_size=size,
                       batch_size=batch_size, skipped=tuple(skipped), cache_file=cache_file, checked=decoded)


def stream_split_folders(root, splits=("train", "validation", "test"), shuffle=None, **kwargs):
    """Stream a dataset stored as `root/<split>/<class name>/<image files>`, for folders larger than memory.

    The streaming twin of `datasets.load_split_folders`: the
    same checks first (every split exists; all splits hold the same class
    folders, so label `i` means the same class everywhere), then
    `stream_image_folder` for each split, with the same keyword arguments.

    Args:
        root: folder that holds one subfolder per split.
        splits: names of the split folders, e.g. `("train", "val")`.
        shuffle: the names of the splits to shuffle every epoch; None (the
            default) shuffles the first split only (the training data), so
            the others yield their batches in `paths` order.
        **kwargs: passed on to `stream_image_folder`: `image_size` (required),
            `batch_size`, `color_mode`, `on_bad_file`, `class_names`, `seed`,
            `rescale`, `augment`, `cache_dir`, `verbose`.

    Returns:
        A dict mapping each split name to an `ImageStream`, in `splits` order.

    Raises:
        FileNotFoundError: `root` or one of the split folders does not exist.
        ImageFolderError: the splits hold different class folders, or any
            error of `stream_image_folder`.
        ValueError: an argument of the wrong type or value.

    Example:

    >>> import pathlib, shutil, tempfile
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for split in ["train", "test"]:
    ...     for name in ["cats", "dogs"]:
    ...         (root / "data" / split / name).mkdir(parents=True)
    ...         Image.new("L", (8, 8), 200).save(root / "data" / split / name / "a.png")
    >>> data = stream_split_folders(root / "data", splits=("train", "test"), image_size=8,
    ...                             color_mode="grayscale", cache_dir=root / "cache", verbose=0)
    >>> {split: (len(s), s.image_size) for split, s in data.items()}
    {'train': (2, (8, 8)), 'test': (2, (8, 8))}
    >>> shutil.rmtree(root)
    """
    if "image_size" not in kwargs or kwargs["image_size"] is None:
        raise arg_error("image_size", kwargs.get("image_size"),
                        "given when streaming: an int or a tuple (height, width)",
                        "A batch holds images of one size: for example image_size=(150, 150)")
    root = check_split_root(root, splits, kwargs.get("class_names"))
    if shuffle is None:
        shuffled = (splits[0],)
    elif isinstance(shuffle, (list, tuple)) and all(s in splits for s in shuffle):
        shuffled = tuple(shuffle)
    else:
        raise arg_error("shuffle", shuffle, f"None or a tuple of split names from {tuple(splits)}",
                        f"For example shuffle=({splits[0]!r},)")
    return {split: stream_image_folder(root / split, shuffle=split in shuffled, **kwargs) for split in splits}
