"""Transfer learning: cached feature extraction, heads on a frozen base, freezing, fine-tuning and its guard rails."""

import collections
import dataclasses
import difflib
import hashlib
import json
import numbers
import os
import time
import warnings
import weakref

import numpy as np

from cnn_course._validation import arg_error, check_choice, check_fraction, check_positive_int
from cnn_course.files import atomic_path
from cnn_course.models import task_head
from cnn_course.progress import Heartbeat, print_line
from cnn_course.settings import import_keras

keras = import_keras()

#: Largest total size of the in-process feature cache (least recently used entries go first).
MEMORY_CACHE_BYTES = 1 << 30  # 1 GiB
#: Largest number of entries in the in-process feature cache.
MEMORY_CACHE_ENTRIES = 16

_MEMORY_CACHE = collections.OrderedDict()  # key -> read-only float32 array, in LRU order
_LAST_INFO = None
# Fallback for check_compiled_trainability when the optimizer does not say which
# variables it was built for: ids of the trainable variables at `fine_tune` time.
_COMPILED_TRAINABLE = weakref.WeakKeyDictionary()


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


def last_extraction():
    """Return the `ExtractionInfo` of the last `extract_features` call (None before the first).

    Example:

    >>> import numpy as np, keras
    >>> from cnn_course import transfer
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)])
    >>> images = np.zeros((4, 8, 8, 3), dtype="uint8")
    >>> _ = transfer.extract_features(base, images, verbose=0)
    >>> _ = transfer.extract_features(base, images, verbose=0)
    >>> transfer.last_extraction().hit
    True
    """
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


def _check_base_input(base, image_shape):
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
    if not isinstance(base, keras.Model):
        raise arg_error("base", base, "a Keras model",
                        "e.g. keras.applications.VGG16(include_top=False, input_shape=(150, 150, 3))")
    batch_size = check_positive_int("batch_size", batch_size)
    check_choice("verbose", verbose, (0, 1))
    images = _as_images(images)
    _check_base_input(base, images.shape[1:])
    if preprocess is None:
        preprocess = _rescale
    elif not callable(preprocess):
        raise arg_error("preprocess", preprocess, "None or a callable applied to float32 batches")
    if cache is not None and cache is not False and not isinstance(cache, (str, os.PathLike)):
        raise arg_error("cache", cache, "None (memory), False (no cache) or a folder path")

    key = _blake(
        base_fingerprint(base),
        f"{images.shape}{images.dtype}",
        memoryview(np.ascontiguousarray(images)).cast("B"),
        _preprocess_fingerprint(preprocess, images.shape[1:]),
    )
    path = None
    if isinstance(cache, (str, os.PathLike)):
        folder = os.fspath(cache)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"features-{key}.npy")

    features, source = None, "computed"
    if cache is not False and key in _MEMORY_CACHE:
        features, source = _MEMORY_CACHE[key], "memory"
        _MEMORY_CACHE.move_to_end(key)
    elif path is not None and os.path.exists(path):
        try:
            features, source = np.load(path), "disk"
        except (OSError, ValueError) as error:
            warnings.warn(f"Ignoring the unreadable feature cache file {path} ({error}); recomputing.",
                          stacklevel=2)
        if features is not None and (features.shape[0] != len(images) or features.dtype != np.float32):
            features, source = None, "computed"
    if features is None:
        batches = []
        beat = Heartbeat()
        for i in range(0, len(images), batch_size):
            batch = preprocess(images[i:i + batch_size].astype("float32"))  # (batch, h, w, c)
            batches.append(np.asarray(base.predict_on_batch(batch), dtype="float32"))
            done = min(i + batch_size, len(images))
            if verbose and done < len(images) and beat.due():
                print_line("features", done, len(images), note="images done", seconds=beat.elapsed)
        features = np.concatenate(batches, axis=0)  # (n, *feature_shape)
        if path is not None:
            _save_atomically(path, features)
    if cache is not False and source != "memory":
        features.flags.writeable = False
        _remember(key, features)
    features.flags.writeable = False
    _LAST_INFO = ExtractionInfo(hit=source != "computed", source=source, key=key, path=path,
                                shape=tuple(features.shape), nbytes=int(features.nbytes),
                                seconds=time.perf_counter() - start)
    if verbose:
        print_line("features", len(images), len(images), note=_LAST_INFO.where, seconds=_LAST_INFO.seconds)
    return (features, _LAST_INFO) if return_info else features


# ---------------------------------------------------------------------------
# Classifiers: on cached features, or with the frozen base inside the model
# ---------------------------------------------------------------------------


def _head(x, task, num_classes, hidden_units, dropout, pooling):
    """The book's head: [Flatten | GlobalAveragePooling2D] -> (Dense(relu) -> Dropout) ... -> output."""
    pooling = check_choice("pooling", pooling, ("flatten", "average"))
    dropout = check_fraction("dropout", dropout)
    head = task_head(task, num_classes)
    if pooling == "average":
        if len(x.shape) != 4:
            raise arg_error("pooling", pooling, "'flatten' for features that are not feature maps "
                            f"(height, width, channels); received features of shape {tuple(x.shape[1:])}")
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)  # (batch, channels)
    else:
        x = keras.layers.Flatten(name="flatten")(x)  # (batch, height * width * channels)
    for k, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(check_positive_int("hidden_units", units), activation="relu", name=f"dense{k}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout{k}")(x)
    return keras.layers.Dense(head["units"], activation=head["activation"], name="output")(x)


def build_feature_classifier(feature_shape, num_classes=None, task="multiclass", hidden_units=(256,),
                             dropout=0.5, pooling="flatten", name="feature_classifier"):
    """Build the small dense classifier that trains on features from `extract_features`.

    The book's head (DLwP 5.3.1): `Flatten -> Dense(256, relu) ->
    Dropout(0.5) -> output`, the output layer following the task
    (`models.task_head`; compile with `models.compile_for_task`). Its layer
    names match the head of `build_transfer_model`, so trained head weights
    can be copied from one to the other layer by layer.

    Args:
        feature_shape: shape of one feature map, e.g. `(4, 4, 512)` (the
            features' `shape[1:]`).
        num_classes: number of classes (not needed for task="binary").
        task: as in `models.task_head`.
        hidden_units: sizes of the hidden dense layers (empty for a linear classifier).
        dropout: dropout rate after each hidden layer (0 for none).
        pooling: "flatten" (the book) or "average" (global average pooling:
            far fewer parameters on large feature maps).
        name: model name.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for a bad argument.

    Example:

    >>> from cnn_course.transfer import build_feature_classifier
    >>> model = build_feature_classifier((4, 4, 512), task="binary")
    >>> model.count_params()   # (4*4*512 + 1) * 256 + (256 + 1) * 1
    2097665
    """
    feature_shape = tuple(feature_shape)
    if not feature_shape or not all(isinstance(v, numbers.Integral) and v >= 1 for v in feature_shape):
        raise arg_error("feature_shape", feature_shape, "a tuple of positive integers",
                        "Pass features.shape[1:]")
    inputs = keras.Input(shape=feature_shape, name="features")
    outputs = _head(inputs, task, num_classes, hidden_units, dropout, pooling)
    return keras.Model(inputs, outputs, name=name)


def build_transfer_model(base, num_classes=None, task="multiclass", augmentation=None, preprocess=None,
                         hidden_units=(256,), dropout=0.5, pooling="flatten", input_shape=None,
                         name="transfer_model"):
    """Build `Input -> [augmentation] -> preprocessing -> frozen base -> head`: transfer learning with augmentation.

    The slower variant (DLwP 5.3.1, "feature extraction with data
    augmentation"): every image passes through the base at every epoch, which
    lets augmentation produce new images each time, and later allows
    fine-tuning (`fine_tune`). The base is frozen here (`base.trainable =
    False`), so only the head trains at first.

    BatchNormalization must stay in inference mode (normalising with the
    moving mean and variance learned on ImageNet), even after the base is
    unfrozen. Otherwise, as keras.io's transfer-learning guide explains, it
    would normalise each small batch of new data with that batch's own
    statistics and overwrite its moving averages, which changes what every
    later layer receives and destroys what the model has learned. The base is
    called with `training=False`, as in that guide and in Keras 2, where
    this alone kept it in inference mode. In Keras 3 it is not enough: inside
    a functional model, `fit` passes `training=True` to every layer and
    overrides it (keras-team/keras#20285). What holds in Keras 3 is that a
    BatchNormalization layer with `trainable = False` always runs in
    inference mode; so `unfreeze_from` and `fine_tune` keep those layers
    frozen unless asked. (VGG16 has no BatchNormalization; ResNet,
    EfficientNet and MobileNet do.)

    Args:
        base: a Keras model, e.g. `keras.applications.VGG16(include_top=False,
            input_shape=(150, 150, 3))`.
        num_classes: number of classes (not needed for task="binary").
        task: as in `models.task_head`.
        augmentation: optional augmentation block (active in training only).
        preprocess: a Keras layer or a function applied to the raw pixel
            values (float 0..255); None rescales to [0, 1] (the same default
            as `extract_features`). A plain function is wrapped in a `Lambda`
            layer (saving such a model needs `safe_mode=False` to load).
        hidden_units, dropout, pooling: the head, as in `build_feature_classifier`.
        input_shape: `(height, width, channels)`, needed only when the base
            accepts any size (built without `input_shape`).
        name: model name.

    Returns:
        An uncompiled `keras.Model` whose base is frozen.

    Raises:
        ValueError: for a bad argument, or a base without a fixed input shape
            and no `input_shape`.

    Example:

    >>> import keras
    >>> from cnn_course import transfer
    >>> base = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, name="conv")], name="base")
    >>> model = transfer.build_transfer_model(base, task="binary", hidden_units=(16,))
    >>> [layer.name for layer in model.layers]
    ['image', 'rescale', 'base', 'flatten', 'dense1', 'dropout1', 'output']
    >>> transfer.trainable_summary(model).trainable_tensors   # only the head's 2 dense layers
    4
    """
    if not isinstance(base, keras.Model):
        raise arg_error("base", base, "a Keras model",
                        "e.g. keras.applications.VGG16(include_top=False, input_shape=(150, 150, 3))")
    shape = tuple(input_shape) if input_shape is not None else tuple(base.input_shape[1:])
    if any(v is None for v in shape):
        raise arg_error("input_shape", input_shape, "a tuple (height, width, channels) for a base that "
                        f"accepts any image size (its input shape is {tuple(base.input_shape[1:])})",
                        "e.g. input_shape=(150, 150, 3)")
    _check_base_input(base, shape)
    if preprocess is None:
        preprocess = keras.layers.Rescaling(1.0 / 255, name="rescale")
    elif not isinstance(preprocess, keras.layers.Layer):
        if not callable(preprocess):
            raise arg_error("preprocess", preprocess, "None, a Keras layer or a function")
        preprocess = keras.layers.Lambda(preprocess, name="preprocess")

    base.trainable = False  # only the head trains until fine_tune unfreezes the top of the base
    inputs = keras.Input(shape=shape, name="image")  # (batch, height, width, channels), 0..255
    x = augmentation(inputs) if augmentation is not None else inputs
    x = preprocess(x)
    # training=False as in keras.io's guide; in Keras 3, fit overrides it, and frozen
    # BatchNormalization layers (see unfreeze_from) are what stays in inference mode.
    x = base(x, training=False)  # (batch, *feature_shape)
    outputs = _head(x, task, num_classes, hidden_units, dropout, pooling)
    return keras.Model(inputs, outputs, name=name)


# ---------------------------------------------------------------------------
# Counting, freezing and unfreezing
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TrainableSummary:
    """Counts of a model's trainable and frozen weights, from `trainable_summary`.

    Attributes:
        trainable_tensors: number of trainable weight tensors (a Dense or
            Conv2D layer has 2: kernel and bias), `len(model.trainable_weights)`.
        non_trainable_tensors: `len(model.non_trainable_weights)`.
        trainable_params: number of trainable parameters (scalars).
        non_trainable_params: number of frozen parameters.
        when: optional phrase such as "before freezing the conv base".
    """

    trainable_tensors: int
    non_trainable_tensors: int
    trainable_params: int
    non_trainable_params: int
    when: str = None

    @property
    def line(self):
        """The book's sentence: "This is the number of trainable weights <when>: 30"."""
        when = f" {self.when}" if self.when else ""
        return f"This is the number of trainable weights{when}: {self.trainable_tensors}"

    def __str__(self):
        return (f"{self.line} ({self.trainable_params:,} trainable parameters; "
                f"{self.non_trainable_tensors} frozen tensors, {self.non_trainable_params:,} frozen parameters)")


def trainable_summary(model, when=None):
    """Count the trainable and frozen weights of a model, to print before and after freezing.

    Args:
        model: a built Keras model (or layer).
        when: optional phrase for the printed line, e.g. "after freezing the conv base".

    Returns:
        A `TrainableSummary`; `.line` is the book's one-line sentence and
        `str()` adds the parameter counts.

    Example:

    >>> import keras
    >>> from cnn_course.transfer import freeze, trainable_summary
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
    >>> model = keras.Sequential([base, keras.layers.Flatten(), keras.layers.Dense(1)])
    >>> print(trainable_summary(model, "before freezing the conv base").line)
    This is the number of trainable weights before freezing the conv base: 4
    >>> _ = freeze(base)
    >>> print(trainable_summary(model, "after freezing the conv base"))
    This is the number of trainable weights after freezing the conv base: 2 (145 trainable ... frozen parameters)
    """
    def count(weights):
        return int(sum(int(np.prod(w.shape)) for w in weights))

    return TrainableSummary(len(model.trainable_weights), len(model.non_trainable_weights),
                            count(model.trainable_weights), count(model.non_trainable_weights), when)


def freeze(base):
    """Freeze a base: none of its weights change during training (`base.trainable = False`).

    After changing `trainable`, compile the model again: Keras keeps updating
    the weights that were trainable when the model was compiled and first trained.

    Returns:
        The same base.

    Example:

    >>> import keras
    >>> from cnn_course.transfer import freeze
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
    >>> len(freeze(base).trainable_weights)
    0
    """
    _set_trainable(base, False)
    return base


def _set_trainable(layer, value):
    """Set `trainable` on a layer and every layer inside it.

    Not just `layer.trainable = value`: with the TensorFlow backend, Keras
    skips an assignment of the value the attribute already has, so
    `base.trainable = True` on a base that is trainable but holds frozen
    layers leaves those layers frozen. Setting the opposite value first makes
    the assignment reach every sublayer.
    """
    layer.trainable = not value
    layer.trainable = value
    for sub in getattr(layer, "layers", ()):
        _set_trainable(sub, value)


def _has_weights(layer):
    return bool(layer.weights)


def _is_batchnorm(layer):
    return isinstance(layer, keras.layers.BatchNormalization)


def _sublayers(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _sublayers(layer)


def _freeze_batchnorm(layer):
    if _is_batchnorm(layer):
        layer.trainable = False
    for sub in getattr(layer, "layers", ()):
        _freeze_batchnorm(sub)


def _unknown_layer_error(base, layer_name):
    names = [layer.name for layer in base.layers]
    weighted = [layer.name for layer in base.layers if _has_weights(layer)]
    # The most similar name; among equally similar ones the earliest ("block5_conv" -> "block5_conv1").
    scores = [(difflib.SequenceMatcher(None, str(layer_name), name).ratio(), -i) for i, name in enumerate(names)]
    best, index = max(scores) if scores else (0.0, 0)
    hint = f" Did you mean {names[-index]!r}?" if best >= 0.6 else ""
    return ValueError(
        f"The base {base.name!r} has no layer named {layer_name!r}.{hint} Layers with weights, in order: "
        f"{', '.join(weighted)}. All layers: {', '.join(names)}."
    )


def unfreeze_from(base, layer_name=None, last_n=None, include_batchnorm=False, allow_all=False):
    """Make the top of a base trainable: from `layer_name` (or the last `last_n` layers) to the end.

    Fine-tuning (DLwP 5.3.2) unfreezes only the last block(s) of a pretrained
    base: the early layers detect generic edges and textures worth keeping,
    the later ones more specific patterns worth adapting. The layers before
    the chosen one are frozen. BatchNormalization layers stay frozen unless
    `include_batchnorm=True`: in Keras 3 a frozen BatchNormalization layer
    runs in inference mode, a trainable one normalises with the statistics of
    each training batch and overwrites its moving averages (see
    `build_transfer_model`); `include_batchnorm=True` warns about it. Unfreezing every layer is refused unless
    `allow_all=True`: with few images it overfits and destroys the
    pretrained filters. Compile the model again afterwards, or use
    `fine_tune`, which does both.

    Why not simply `base.trainable = True` and then freeze the early layers?
    With the TensorFlow backend, Keras ignores `base.trainable = True` when
    the base is already trainable, so layers frozen earlier (say by a
    previous `unfreeze_from`) would stay frozen; this function sets every
    layer explicitly.

    Args:
        base: the convolutional base (a Keras model).
        layer_name: first layer to unfreeze, e.g. "block5_conv1" for VGG16.
        last_n: alternatively, the number of layers (entries of `base.layers`,
            including pooling layers) to unfreeze, counted from the end.
        include_batchnorm: also unfreeze BatchNormalization layers (warns:
            they then run in training mode during `fit`).
        allow_all: allow every layer with weights to become trainable.

    Returns:
        The names of the layers with weights that are now trainable, in order.

    Raises:
        ValueError: for an unknown layer name (listing the valid names and
            suggesting the closest one), for both or neither of `layer_name`
            and `last_n`, for a choice that unfreezes no weights, or when
            everything would be unfrozen without `allow_all=True`.

    Example:

    >>> import keras
    >>> from cnn_course.transfer import unfreeze_from
    >>> base = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3, name="block1_conv1"),
    ...     keras.layers.Conv2D(4, 3, name="block2_conv1"), keras.layers.Conv2D(4, 3, name="block3_conv1")])
    >>> unfreeze_from(base, "block2_conv1")
    ('block2_conv1', 'block3_conv1')
    >>> unfreeze_from(base, "block2_con1")
    Traceback (most recent call last):
    ...
    ValueError: The base 'sequential...' has no layer named 'block2_con1'. Did you mean ... block3_conv1.
    """
    layers = list(base.layers)
    if (layer_name is None) == (last_n is None):
        raise arg_error("layer_name", layer_name, "given when last_n is not (pass exactly one of them)",
                        "e.g. unfreeze_from(base, 'block5_conv1') or unfreeze_from(base, last_n=4)")
    if layer_name is not None:
        names = [layer.name for layer in layers]
        if layer_name not in names:
            raise _unknown_layer_error(base, layer_name)
        start = names.index(layer_name)
    else:
        last_n = check_positive_int("last_n", last_n)
        start = max(0, len(layers) - last_n)
    chosen = f"layer_name={layer_name!r}" if layer_name is not None else f"last_n={last_n}"
    weighted = [layer.name for layer in layers if _has_weights(layer)]
    top = f"layer_name={weighted[-1]!r}" if weighted else "a later layer"
    if not any(_has_weights(layer) for layer in layers[start:]):
        raise ValueError(
            f"{chosen} unfreezes only {[layer.name for layer in layers[start:]]}, which have no weights, "
            f"so nothing would train. Fix: start from an earlier layer (a larger last_n, or e.g. {top})."
        )
    if not any(_has_weights(layer) for layer in layers[:start]) and not allow_all:
        raise ValueError(
            f"{chosen} would unfreeze every layer of the base {base.name!r} ({len(layers)} layers). Training "
            "all pretrained weights on a small dataset overfits and wrecks the pretrained filters. Fix: "
            f"unfreeze only the top block (e.g. {top}), or pass allow_all=True if you mean it."
        )
    _set_trainable(base, True)
    for layer in layers[:start]:
        _set_trainable(layer, False)
    if not include_batchnorm:
        for layer in layers[start:]:
            _freeze_batchnorm(layer)
    elif any(_is_batchnorm(layer) and layer.trainable for layer in _sublayers(base)):
        warnings.warn(
            "include_batchnorm=True: the unfrozen BatchNormalization layers will run in training mode during "
            "fit (Keras 3 ignores the base's training=False there), normalising with each batch's statistics "
            "and overwriting their moving mean and variance. Keep them frozen (the default) unless you have "
            "plenty of data.", stacklevel=2)
    return tuple(layer.name for layer in layers[start:] if layer.trainable_weights)


# ---------------------------------------------------------------------------
# Fine-tuning, with the recompile it needs
# ---------------------------------------------------------------------------


def _variable_name(v):
    return getattr(v, "path", None) or getattr(v, "name", "?")


def check_compiled_trainability(model):
    """Raise if the trainable weights changed after the model was compiled and trained.

    In Keras 3 the optimizer and the compiled training step keep the
    variables that were trainable at the first training step after
    `compile`. Freezing or unfreezing layers later has no effect until the
    model is compiled again: a base "frozen" after training keeps being
    updated, and a base "unfrozen" for fine-tuning is silently never
    trained. This check compares the model's trainable variables now with
    those the optimizer was built for. A model compiled but not trained yet
    passes (its first step will use the current flags).

    Call it before `model.fit` (`cnn_course.transfer.RecompileCheck()` does
    it as a callback); `fine_tune` recompiles for you.

    Args:
        model: a Keras model.

    Raises:
        RuntimeError: naming the weights that changed and the fix
            (call `model.compile(...)` again).

    Example:

    >>> import numpy as np, keras
    >>> from cnn_course.transfer import check_compiled_trainability
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="hidden"),
    ...                           keras.layers.Dense(1, name="out")])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.zeros((4, 3)), np.zeros(4), verbose=0)
    >>> check_compiled_trainability(model)   # fine
    >>> model.layers[0].trainable = False
    >>> check_compiled_trainability(model)
    Traceback (most recent call last):
    ...
    RuntimeError: The trainable weights changed after the model was compiled: the optimizer updates ... in one call.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return
    known = None
    if getattr(optimizer, "built", False) and getattr(optimizer, "_trainable_variables", None) is not None:
        known = {id(v): v for v in optimizer._trainable_variables}
    elif model in _COMPILED_TRAINABLE and getattr(optimizer, "built", False):
        known = _COMPILED_TRAINABLE[model]
    if known is None:
        return  # not trained since compile: the next fit uses the current trainable flags
    now = {id(v): v for v in model.trainable_variables}
    if set(now) == set(known):
        return
    added = [_variable_name(v) for i, v in now.items() if i not in known]
    removed = [_variable_name(v) for i, v in known.items() if i not in now]

    def listed(names):
        return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")

    parts = []
    if added:
        parts.append(f"Unfrozen since compile (never updated): {listed(added)}.")
    if removed:
        parts.append(f"Frozen since compile (still being updated): {listed(removed)}.")
    raise RuntimeError(
        f"The trainable weights changed after the model was compiled: the optimizer updates {len(known)} "
        f"weight tensors, the model now has {len(now)} trainable. {' '.join(parts)} Keras trains the weights "
        "that were trainable when it compiled the model, so your change has no effect. Fix: call "
        "model.compile(...) again (with a new optimizer) after changing `trainable`, or use "
        "cnn_course.transfer.fine_tune, which unfreezes and recompiles in one call."
    )


class RecompileCheck(keras.callbacks.Callback):
    """Run `check_compiled_trainability` when training starts.

    Use it as `model.fit(..., callbacks=[RecompileCheck()])`: a model whose
    `trainable` flags changed since it was compiled then fails at once with
    the fix, instead of training the wrong weights.
    """

    def on_train_begin(self, logs=None):
        check_compiled_trainability(self.model)


def _make_optimizer(optimizer, learning_rate):
    if isinstance(optimizer, str):
        name = check_choice("optimizer", optimizer, ("rmsprop", "adam", "sgd"))
        return {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
                "sgd": keras.optimizers.SGD}[name](learning_rate=learning_rate)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise arg_error("optimizer", optimizer, "'rmsprop', 'adam', 'sgd' or a new Keras optimizer")
    if getattr(optimizer, "built", False):
        raise arg_error("optimizer", optimizer, "a new, unused optimizer",
                        "An optimizer is tied to the variables it was first used with")
    return optimizer


def fine_tune(model, base, from_layer=None, last_n=None, learning_rate=1e-5, optimizer="rmsprop",
              include_batchnorm=False, allow_all=False):
    """Unfreeze the top of the base and recompile with a small learning rate, in one call.

    The second step of transfer learning (DLwP 5.3.2): after the head has
    been trained on the frozen base, unfreeze the last block(s)
    (`unfreeze_from`) and train on with a learning rate about 100 times
    smaller, so the pretrained filters are adjusted, not overwritten. The
    model is recompiled here, with the loss and metrics it was compiled with
    and a new optimizer, because Keras only trains what was trainable when
    the model was compiled (see `check_compiled_trainability`); through this
    function, forgetting to recompile is impossible.

    Args:
        model: the compiled and trained model that contains `base`
            (e.g. from `build_transfer_model`).
        base: its convolutional base.
        from_layer: first layer of the base to unfreeze, e.g. "block5_conv1".
        last_n: alternatively, the number of layers of the base to unfreeze.
        learning_rate: the new learning rate; at most 1e-3 (1e-5 is typical).
        optimizer: "rmsprop" (the book), "adam", "sgd", or a new optimizer instance.
        include_batchnorm, allow_all: as in `unfreeze_from`.

    Returns:
        The same model, recompiled, ready for `fit`.

    Raises:
        RuntimeError: if the model is not compiled, or its head has not been
            trained yet (calling `fine_tune` again, e.g. to unfreeze one more
            block, is allowed).
        ValueError: for a learning rate above 1e-3, a base that is not part of
            the model, or a bad layer choice (see `unfreeze_from`).

    Example:

    >>> import numpy as np, keras
    >>> from cnn_course import models, transfer
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="conv1"),
    ...                          keras.layers.Conv2D(4, 3, name="conv2")], name="base")
    >>> model = models.compile_for_task(transfer.build_transfer_model(base, task="binary", hidden_units=()),
    ...                                 "binary", optimizer="rmsprop")
    >>> transfer.fine_tune(model, base, "conv2")
    Traceback (most recent call last):
    ...
    RuntimeError: The classifier on top of the base has not been trained yet. Fix: train the ... pretrained filters.
    >>> _ = model.fit(np.zeros((4, 8, 8, 3)), np.zeros(4), verbose=0)
    >>> model = transfer.fine_tune(model, base, "conv2")
    >>> round(float(model.optimizer.learning_rate), 8), transfer.trainable_summary(model).trainable_tensors
    (1e-05, 4)
    """
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise RuntimeError(
            "The model is not compiled, so its classifier has not been trained yet. Fix: compile it "
            "(cnn_course.models.compile_for_task), train the classifier on top of the frozen base first "
            "(feature extraction), then fine-tune."
        )
    if int(model.optimizer.iterations) == 0 and model not in _COMPILED_TRAINABLE:  # (not fine-tuned before)
        raise RuntimeError(
            "The classifier on top of the base has not been trained yet. Fix: train the classifier on top "
            "of the frozen base first (feature extraction), then fine-tune; otherwise the large gradients "
            "of a random head wreck the pretrained filters."
        )
    if not isinstance(learning_rate, numbers.Real) or isinstance(learning_rate, bool) or learning_rate <= 0:
        raise arg_error("learning_rate", learning_rate, "a positive number")
    if not isinstance(optimizer, str) and hasattr(optimizer, "learning_rate"):
        learning_rate = float(np.asarray(optimizer.learning_rate))
    if learning_rate > 1e-3:
        raise arg_error("learning_rate", learning_rate, "at most 1e-3 for fine-tuning",
                        "Use a small learning rate such as 1e-5: large updates wreck the pretrained filters")
    model_weights = {id(w) for w in model.weights}
    if not base.weights or not all(id(w) in model_weights for w in base.weights):
        raise arg_error("base", getattr(base, "name", base), f"the base inside the model {model.name!r}",
                        "Pass the same base object you built the model with")
    new_optimizer = _make_optimizer(optimizer, learning_rate)

    unfreeze_from(base, from_layer, last_n, include_batchnorm=include_batchnorm, allow_all=allow_all)
    config = model.get_compile_config()
    config.pop("optimizer", None)
    config = keras.saving.deserialize_keras_object(config)
    model.compile(optimizer=new_optimizer, **config)
    _COMPILED_TRAINABLE[model] = {id(v): v for v in model.trainable_variables}
    return model
