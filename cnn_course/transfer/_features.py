"""Feature extraction with a cache: run a frozen base once over the images, keyed by what determines the result."""

import collections
import dataclasses
import hashlib
import json
import os
import time
import warnings

import numpy as np

from cnn_course._validation import arg_error, check_positive_int, check_verbose
from cnn_course._files import atomic_path
from cnn_course._progress_lines import Heartbeat, print_line
from cnn_course.settings import import_keras

keras = import_keras()

#: Largest total size of the in-process feature cache (least recently used entries go first).
MEMORY_CACHE_BYTES = 1 << 30  # 1 GiB
#: Largest number of entries in the in-process feature cache.
MEMORY_CACHE_ENTRIES = 16

_MEMORY_CACHE = collections.OrderedDict()  # key -> read-only float32 array, in LRU order
_LAST_INFO = None  # the most recent extraction of any base, for last_extraction() without a base
#: The base attribute where `extract_features` keeps that base's last `ExtractionInfo`.
LAST_EXTRACTION_ATTRIBUTE = "_cnn_course_last_extraction"

# ---------------------------------------------------------------------------
# Feature extraction with a cache
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ExtractionInfo:
    """What the last `extract_features` call did.

    Attributes:
        hit: True when the features came from a cache (memory or disk).
        source: "memory", "disk" or "computed".
        key: the cache key (hex string) built from the base's architecture and
            weights, the images' shape and bytes, and the preprocessing.
        path: the `.npy` file on disk, or None without a cache folder.
        shape: shape of the features, `(n, ...)`.
        nbytes: size of the features in bytes (the same in memory and on disk,
            plus a 128-byte `.npy` header).
        seconds: wall time of the call.
    """

    hit: bool
    source: str
    key: str
    path: str
    shape: tuple
    nbytes: int
    seconds: float

    @property
    def where(self):
        """Where the features came from, in words: "computed by the base" or "loaded from cache (...)"."""
        return {"memory": "loaded from cache (memory)", "disk": f"loaded from cache ({self.path})",
                "computed": "computed by the base"}[self.source]

    def __str__(self):
        return (f"features {self.shape}, {self.nbytes / 2**20:.1f} MiB: {self.where} "
                f"in {self.seconds:.2f} s")


def last_extraction(base=None):
    """Return the `ExtractionInfo` of the last `extract_features` call (None before the first).

    Each base keeps the information of its own last extraction (attribute
    `LAST_EXTRACTION_ATTRIBUTE`); without a base, the most recent of any
    base in this process is returned (what a notebook cell just did).

    Args:
        base: the base whose last extraction to describe, or None.

    Example:

    >>> import numpy as np, keras
    >>> from cnn_course import transfer
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)])
    >>> images = np.zeros((4, 8, 8, 3), dtype="uint8")
    >>> _ = transfer.extract_features(base, images, verbose=0)
    >>> _ = transfer.extract_features(base, images, verbose=0)
    >>> transfer.last_extraction().hit, transfer.last_extraction(base).hit
    (True, True)
    """
    if base is not None:
        return getattr(base, LAST_EXTRACTION_ATTRIBUTE, None)
    return _LAST_INFO


def clear_memory_cache():
    """Empty the in-process feature cache (files in cache folders are left alone)."""
    _MEMORY_CACHE.clear()


def _blake(*chunks):
    h = hashlib.blake2b(digest_size=16)
    for chunk in chunks:
        h.update(chunk if isinstance(chunk, (bytes, memoryview)) else str(chunk).encode())
    return h.hexdigest()


def _layer_names(config, names):
    """Collect the names of the layers described in a model config, in order."""
    if isinstance(config, dict):
        inner = config.get("config")
        if ("class_name" in config and isinstance(inner, dict) and isinstance(inner.get("name"), str)
                and ("trainable" in inner or config["class_name"] == "InputLayer")):
            names.append(inner["name"])  # a layer (not a dtype policy or an initializer)
        for value in config.values():
            _layer_names(value, names)
    elif isinstance(config, (list, tuple)):
        for value in config:
            _layer_names(value, names)
    return names


def _canonical(value, rename):
    """A config with layer names replaced by their position and `trainable` flags dropped."""
    if isinstance(value, dict):
        return {k: _canonical(v, rename) for k, v in sorted(value.items()) if k != "trainable"}
    if isinstance(value, (list, tuple)):
        return [_canonical(v, rename) for v in value]
    if isinstance(value, str):
        return rename.get(value, value)
    return value


def base_fingerprint(base):
    """Hash a model's architecture and all its weights: equal fingerprints give equal features.

    Layer names are replaced by their position, so the same network rebuilt
    in a new process (where Keras may number an auto-named layer
    differently) gets the same fingerprint; `trainable` flags are ignored
    because they do not change what the base computes. Every weight
    (including batch-normalization statistics) is hashed, so training or
    loading other weights changes the fingerprint.

    Args:
        base: a Keras model.

    Returns:
        A 32-character hex string.

    Example:

    >>> import keras
    >>> from cnn_course.transfer import base_fingerprint
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)])
    >>> before = base_fingerprint(base)
    >>> _ = base.layers[0].bias.assign([1.0, 0.0])
    >>> base_fingerprint(base) == before
    False
    """
    config = base.get_config()
    rename = {}
    for name in _layer_names(config, [base.name]):
        rename.setdefault(name, f"<layer{len(rename)}>")
    config = json.dumps(_canonical(config, rename), sort_keys=True, default=repr)
    h = hashlib.blake2b(digest_size=16)
    h.update(type(base).__name__.encode())
    h.update(config.encode())
    for w in base.weights:
        array = np.ascontiguousarray(np.asarray(w))
        h.update(f"{array.shape}{array.dtype}".encode())
        h.update(memoryview(array).cast("B"))
    return h.hexdigest()


def _rescale(batch):
    return batch / 255.0


def _preprocess_fingerprint(preprocess, image_shape):
    """Name of the preprocessing, plus a hash of what it does to a fixed probe batch."""
    if isinstance(preprocess, keras.layers.Layer):
        name = f"{type(preprocess).__name__}:{json.dumps(preprocess.get_config(), sort_keys=True, default=repr)}"
    else:
        name = f"{getattr(preprocess, '__module__', '')}.{getattr(preprocess, '__qualname__', repr(preprocess))}"
    # (2, height, width, channels): a ramp over the pixel range, so that two different
    # functions with the same name (two lambdas, an edited function) get different keys.
    probe = np.linspace(0.0, 255.0, 2 * int(np.prod(image_shape)), dtype="float32").reshape((2, *image_shape))
    out = np.ascontiguousarray(np.asarray(preprocess(probe), dtype="float32"))
    return _blake(name, memoryview(out).cast("B"))


def _as_images(images):
    from cnn_course.datasets import ImageSet

    if isinstance(images, ImageSet):
        images = images.images
    images = np.asarray(images)
    if images.ndim == 3:  # (n, h, w): grayscale without a channel axis
        images = images[..., None]
    if images.ndim != 4 or len(images) == 0 or not np.issubdtype(images.dtype, np.number):
        raise arg_error("images", f"an array of shape {images.shape} and dtype {images.dtype}",
                        "an ImageSet or a non-empty numeric array of shape (n, height, width, channels)", describe=True)
    return images


def check_base_input(base, image_shape):
    """Raise the standard error if images of `image_shape` do not fit the input of `base`."""
    expected = tuple(base.input_shape[1:])
    if len(expected) != len(image_shape) or any(e is not None and e != s for e, s in zip(expected, image_shape)):
        raise ValueError(
            f"The base expects images of shape {expected} but received images of shape {image_shape}. "
            f"Fix: resize the images (load_image_folder(..., image_size={expected[:2]})), or build the base "
            f"with input_shape={image_shape}."
        )


def _remember(key, features):
    if features.nbytes > MEMORY_CACHE_BYTES:
        return
    _MEMORY_CACHE[key] = features
    _MEMORY_CACHE.move_to_end(key)
    while (len(_MEMORY_CACHE) > MEMORY_CACHE_ENTRIES
           or sum(a.nbytes for a in _MEMORY_CACHE.values()) > MEMORY_CACHE_BYTES):
        _MEMORY_CACHE.popitem(last=False)


def _save_atomically(path, features):
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.save(f, features)


def _checked_arguments(base, images, batch_size, cache, preprocess, verbose):
    """Validate the arguments of `extract_features`; return the images array, batch size and preprocessing."""
    if not isinstance(base, keras.Model):
        raise arg_error("base", base, "a Keras model",
                        "e.g. keras.applications.VGG16(include_top=False, input_shape=(150, 150, 3))")
    batch_size = check_positive_int("batch_size", batch_size)
    check_verbose(verbose)
    images = _as_images(images)
    check_base_input(base, images.shape[1:])
    if preprocess is None:
        preprocess = _rescale
    elif not callable(preprocess):
        raise arg_error("preprocess", preprocess, "None or a callable applied to float32 batches")
    if cache is not None and cache is not False and not isinstance(cache, (str, os.PathLike)):
        raise arg_error("cache", cache, "None (memory), False (no cache) or a folder path")
    return images, batch_size, preprocess


def _cache_key(base, images, preprocess):
    """The cache key: a hash of the base, the images' shape, dtype and bytes, and the preprocessing."""
    return _blake(
        base_fingerprint(base),
        f"{images.shape}{images.dtype}",
        memoryview(np.ascontiguousarray(images)).cast("B"),
        _preprocess_fingerprint(preprocess, images.shape[1:]),
    )


def _cache_file(cache, key):
    """The `.npy` path for `key` in the cache folder (made if missing), or None when `cache` is not a folder."""
    if not isinstance(cache, (str, os.PathLike)):
        return None
    folder = os.fspath(cache)
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"features-{key}.npy")


def _cached_features(key, path, n_images, use_memory):
    """The features cached under `key` (memory first, then `path`) and their source, or `(None, "computed")`."""
    if use_memory and key in _MEMORY_CACHE:
        _MEMORY_CACHE.move_to_end(key)
        return _MEMORY_CACHE[key], "memory"
    if path is None or not os.path.exists(path):
        return None, "computed"
    try:
        features = np.load(path)
    except (OSError, ValueError) as error:
        # stacklevel 3: the warning names the line that called extract_features.
        warnings.warn(f"Ignoring the unreadable feature cache file {path} ({error}); recomputing.",
                      stacklevel=3)
        return None, "computed"
    if features.shape[0] != n_images or features.dtype != np.float32:
        return None, "computed"
    return features, "disk"


def _run_base(base, images, batch_size, preprocess, verbose):
    """Run the base over the images batch by batch (with progress lines); return the float32 features."""
    batches = []
    beat = Heartbeat()
    for i in range(0, len(images), batch_size):
        batch = preprocess(images[i:i + batch_size].astype("float32"))  # (batch, h, w, c)
        batches.append(np.asarray(base.predict_on_batch(batch), dtype="float32"))
        done = min(i + batch_size, len(images))
        if verbose and done < len(images) and beat.due():
            print_line("features", done, len(images), note="images done", seconds=beat.elapsed)
    return np.concatenate(batches, axis=0)  # (n, *feature_shape)


def extract_features(base, images, batch_size=64, cache=None, preprocess=None, return_info=False,
                     verbose=1):
    """Run a frozen convolutional base once over images and return its features, cached.

    The fast way to use a pretrained network (DLwP 5.3.1, "fast feature
    extraction without data augmentation"): the base runs once, in inference
    mode, and a small classifier (`build_feature_classifier`) then trains on
    the stored features in a fraction of a second per epoch. The price: no
    data augmentation (every epoch sees the same features); for that, use
    `build_transfer_model`. Introduced in `notebooks/04_transfer_learning`.

    Caching: the features are stored under a key made of the base
    (`base_fingerprint`: architecture and a hash of all weights), the images'
    shape and dtype, a hash of their bytes, and the preprocessing (its name
    and what it does to a fixed probe batch). So a different image size, one
    changed pixel, other weights or another preprocessing function give a new
    key, never stale features. With `cache=None` they are kept in this
    process (at most `MEMORY_CACHE_BYTES`, 1 GiB, and `MEMORY_CACHE_ENTRIES`
    entries, least recently used dropped first); with a folder they are also
    written there as `features-<key>.npy` (written to a temporary file and
    renamed, so an interrupted run never leaves half a file) and read back by
    later calls, in this process or a new one. Size in memory and on disk:
    `4 bytes * n * prod(feature_shape)`, e.g. VGG16 at 150x150 gives
    `(4, 4, 512)` features, 32 KiB per image, 62.5 MiB for 2,000 images. The
    returned array is read-only (it is the cached one); copy it to change it.
    Hashing costs a fraction of the extraction (about 0.1 s per 100 MB of
    weights or images).

    Args:
        base: a Keras model (the convolutional base), used with `training=False`.
        images: an `ImageSet`, or an array `(n, height, width, channels)` of
            raw pixel values (uint8 0..255).
        batch_size: images per forward pass.
        cache: None (in-process memory cache), False (no cache), or a folder
            path (memory and disk; created if missing).
        preprocess: callable applied to each float32 batch of raw pixel values
            `(batch, height, width, channels)` before the base; None divides by
            255 (the same default as `build_transfer_model`). For ImageNet
            weights pass the network's own function, e.g.
            `keras.applications.vgg16.preprocess_input`. It must be
            deterministic (no augmentation here).
        return_info: also return an `ExtractionInfo` (see also `last_extraction()`).
        verbose: 1 prints one progress line when done, saying whether the
            features came from the cache (see `cnn_course.progress`), and
            while the base runs, a line about every 10 s with the images
            done so far; 0 prints nothing.

    Returns:
        float32 array `(n, *base.output_shape[1:])`, read-only; with
        `return_info=True`, the tuple `(features, info)`.

    Raises:
        ValueError: for images that are not `(n, height, width, channels)` or
            whose shape does not fit the base.

    Example:

    >>> import numpy as np, keras
    >>> from cnn_course.transfer import extract_features
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3),
    ...                          keras.layers.MaxPooling2D(2)])
    >>> images = np.random.default_rng(0).integers(0, 256, (10, 8, 8, 3), dtype="uint8")
    >>> features, info = extract_features(base, images, return_info=True)
    features 10/10  computed by the base  (... s)
    >>> features.shape, features.dtype, info.source
    ((10, 3, 3, 4), dtype('float32'), 'computed')
    >>> extract_features(base, images, return_info=True)[1].source
    features 10/10  loaded from cache (memory)  (... s)
    'memory'
    """
    global _LAST_INFO

    start = time.perf_counter()
    images, batch_size, preprocess = _checked_arguments(base, images, batch_size, cache, preprocess, verbose)
    key = _cache_key(base, images, preprocess)
    path = _cache_file(cache, key)
    features, source = _cached_features(key, path, len(images), use_memory=cache is not False)
    if features is None:
        features = _run_base(base, images, batch_size, preprocess, verbose)
        if path is not None:
            _save_atomically(path, features)
    if cache is not False and source != "memory":
        features.flags.writeable = False
        _remember(key, features)
    features.flags.writeable = False
    _LAST_INFO = ExtractionInfo(hit=source != "computed", source=source, key=key, path=path,
                                shape=tuple(features.shape), nbytes=int(features.nbytes),
                                seconds=time.perf_counter() - start)
    setattr(base, LAST_EXTRACTION_ATTRIBUTE, _LAST_INFO)
    if verbose:
        print_line("features", len(images), len(images), note=_LAST_INFO.where, seconds=_LAST_INFO.seconds)
    return (features, _LAST_INFO) if return_info else features
