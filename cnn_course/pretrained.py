"""Pretrained convolutional bases (VGG16 on ImageNet): loading their weights offline-aware, and their preprocessing."""

import os
import pathlib
import warnings

import h5py
import numpy as np

from cnn_course._validation import arg_error
from cnn_course.datasets import downloads_allowed, keras_datasets_dir, why_not_downloaded
from cnn_course.settings import import_keras

keras = import_keras()

# The file Keras itself downloads for `keras.applications.VGG16(include_top=False,
# weights="imagenet")`: same name, URL, cache subfolder and MD5 as in
# keras/src/applications/vgg16.py, so a file Keras downloaded is found here and
# a file downloaded here is found by Keras.
VGG16_NOTOP_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG16_NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/" + VGG16_NOTOP_FILE
)
_VGG16_NOTOP_MD5 = "6d6bbae143d832006294945121d1f1fc"
_VGG16_MIN_SIZE = 32  # five 2x2 poolings: 32x32 is the smallest input Keras's VGG16 accepts
_OFFLINE_HINT = (
    "Offline? Use the course's own small pretrained base instead: "
    "cnn_course.shapes_base.load_shapes_base() (no download)."
)


class WeightsUnavailableError(OSError):
    """Pretrained weights are not in the local cache and could not (or may not) be downloaded, or are damaged."""


def keras_models_dir():
    """Folder where Keras keeps downloaded model weights: `<keras home>/models`.

    The Keras home is `$KERAS_HOME` when set, else `~/.keras` (or `/tmp/.keras`
    when the home folder is not writable), as in `keras.utils.get_file`. Put
    `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5` here by hand to use
    `vgg16_base()` offline.

    Returns:
        A `pathlib.Path` (the folder may not exist yet).

    Example:

    >>> import os
    >>> os.environ["KERAS_HOME"] = "/data/keras"
    >>> keras_models_dir().as_posix()
    '/data/keras/models'
    >>> del os.environ["KERAS_HOME"]
    """
    return keras_datasets_dir().parent / "models"


# ---------------------------------------------------------------------------
# The VGG16 convolutional base
# ---------------------------------------------------------------------------


def _check_input_shape(input_shape):
    """Return `input_shape` as a tuple (height, width, 3) with height, width >= 32, else raise."""
    expected = (
        f"a tuple (height, width, 3) of integers with height and width at least "
        f"{_VGG16_MIN_SIZE} (VGG16's minimum: its five 2x2 poolings halve the image five times)"
    )
    fix = "For example input_shape=(150, 150, 3)"
    ok = isinstance(input_shape, (tuple, list)) and len(input_shape) == 3 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in input_shape
    )
    if not ok:
        raise arg_error("input_shape", input_shape, expected, fix)
    height, width, channels = (int(v) for v in input_shape)
    if channels != 3:
        raise arg_error(
            "input_shape", input_shape, expected,
            "VGG16 was trained on RGB images: load the images with 3 channels (color_mode='rgb'), "
            f"e.g. input_shape=({height}, {width}, 3)",
        )
    if height < _VGG16_MIN_SIZE or width < _VGG16_MIN_SIZE:
        raise arg_error(
            "input_shape", input_shape, expected,
            f"Resize the images to at least {_VGG16_MIN_SIZE}x{_VGG16_MIN_SIZE}, e.g. input_shape=(150, 150, 3)",
        )
    return (height, width, channels)


def _weights_file_kind(path):
    """Describe an HDF5 file's layout for error messages: 'legacy', 'keras3', or None if unknown."""
    try:
        with h5py.File(path, "r") as f:
            if "layer_names" in f.attrs or "model_weights" in f:
                return "legacy"
            if "vars" in f or "layers" in f:
                return "keras3"
    except OSError:  # not an HDF5 file at all
        pass
    return None


def _load_weights_file(model, path):
    """Load a VGG16-base weights file into `model`; raise `ValueError` naming `path` if it does not fit.

    Keras chooses the reader by the name: `*.weights.h5` is Keras 3's format
    (matched by layer name), any other `*.h5` / `*.hdf5` the legacy HDF5 format
    of the published file (matched layer by layer, in order). Both raise when a
    layer, a weight count or a shape does not match, so nothing is left random.
    """
    try:
        with warnings.catch_warnings():
            # Keras 3 warns once per unmatched layer before it raises the error we report.
            warnings.filterwarnings("ignore", message="Skipping nested container")
            model.load_weights(str(path))
    except (ValueError, KeyError, OSError) as exc:  # h5py: OSError/KeyError; Keras: ValueError on mismatch
        kind = _weights_file_kind(path)
        name = str(path)
        if kind is None:
            hint = "It is not a Keras weights file (HDF5) at all"
        elif kind == "keras3" and not name.endswith(".weights.h5"):
            hint = "It looks like a Keras 3 weights file: rename it so that its name ends in '.weights.h5'"
        elif kind == "legacy" and name.endswith(".weights.h5"):
            hint = ("It looks like a legacy Keras HDF5 weights file: rename it so that its name ends in "
                    "'.h5' but not '.weights.h5'")
        else:
            hint = (f"Use the weights of VGG16 without its classifier (include_top=False), "
                    f"e.g. Keras's published {VGG16_NOTOP_FILE}, or a file written by "
                    f"base.save_weights('vgg16_base.weights.h5')")
        raise ValueError(
            f"Could not load the weights file '{path}': it is not a VGG16 convolutional-base weights "
            f"file (include_top=False). {hint}. Keras said: {_short(exc)}"
        ) from exc


def _short(exc, limit=400):
    """One-line summary of an exception; Keras's loading errors print whole weight arrays."""
    text = str(exc).split("Target variable:")[0]  # Keras 3 appends the variable with its values
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit] + " ..."
    return f"{type(exc).__name__}: {text} (full error above)"


def _check_weights_path(weights):
    """Return `weights` as an existing file Path with a weights-file name, else raise."""
    path = pathlib.Path(weights).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"Weights file not found: '{path}' (the `weights` argument). `weights` must be "
            f"'imagenet', None, or the path of a weights file; relative paths start from the "
            f"current working directory, '{pathlib.Path.cwd()}'."
        )
    if path.is_dir():
        raise arg_error("weights", str(weights), "a weights file, not a folder",
                        "Pass the path of the .h5 or .weights.h5 file inside it")
    if not path.name.endswith((".h5", ".hdf5")):
        raise arg_error(
            "weights", str(weights), "'imagenet', None, or the path of a .h5 or .weights.h5 file",
            f"For example weights='{VGG16_NOTOP_FILE}'",
        )
    return path


def _download_vgg16(cache_dir):
    """Download Keras's VGG16 no-top ImageNet weights into `cache_dir/models` (the only network access).

    Exactly what `keras.applications.VGG16(include_top=False, weights="imagenet")`
    does (same file, URL, subfolder and MD5 check), but into the cache folder
    read now, not the one Keras read at import. Returns the file's path.
    """
    return keras.utils.get_file(
        VGG16_NOTOP_FILE, VGG16_NOTOP_URL, cache_subdir="models",
        file_hash=_VGG16_NOTOP_MD5, cache_dir=str(cache_dir),
    )


def _unavailable(path, allow_download, reason=None):
    """Build the `WeightsUnavailableError` that tells the student where to put the file."""
    why = why_not_downloaded(None if reason is None else f"{type(reason).__name__}: {reason}")
    return WeightsUnavailableError(
        f"VGG16's ImageNet weights are not in the Keras cache (looked for {path}) and {why}. "
        f"Download {VGG16_NOTOP_URL} and save it, keeping the name {VGG16_NOTOP_FILE}, in the "
        f"folder {path.parent}, then run again (or pass weights='path/to/{VGG16_NOTOP_FILE}'). "
        f"{_OFFLINE_HINT}"
    )


def vgg16_base(input_shape=(150, 150, 3), weights="imagenet", allow_download=True):
    """VGG16's convolutional base (13 conv + 5 pooling layers, no classifier), with ImageNet weights.

    The model is `keras.applications.VGG16(include_top=False, ...)`: layers
    `block1_conv1` ... `block5_pool`, 14,714,688 parameters, output
    `(batch, height // 32, width // 32, 512)`. It expects images preprocessed
    by `vgg16_preprocess` / `vgg16_preprocessing_layer()` (pixels 0..255, not
    rescaled to 0..1). Set `base.trainable = False` to use it as a frozen
    feature extractor.

    With `weights="imagenet"` the weights come from Keras's own cache file,
    `keras_models_dir() / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"`
    (58.9 MB). If it is missing it is downloaded once, exactly as Keras would,
    unless `allow_download=False` or the environment variable
    `CNN_COURSE_OFFLINE=1` is set. Random weights are never used silently.

    Args:
        input_shape: `(height, width, 3)`, height and width at least 32.
        weights: `"imagenet"`; the path of a weights file (Keras's published
            legacy `.h5` file, or a Keras 3 `.weights.h5` file written by
            `base.save_weights(...)`); or `None` for random weights, only for
            tests and for counting parameters.
        allow_download: if False, never touch the network.

    Returns:
        A `keras.Model` named "vgg16".

    Raises:
        WeightsUnavailableError: (an `OSError`) `weights="imagenet"`, the file
            is not in the cache and may not or could not be downloaded, or it
            is damaged; the message gives the URL, file name and folder.
        FileNotFoundError: `weights` is a path that does not exist.
        ValueError: the weights file is not a VGG16 base weights file, or a
            bad `input_shape` or `weights` argument.

    Example:

    >>> base = vgg16_base(input_shape=(32, 32, 3), weights=None)  # random: for counting only
    >>> base.output_shape, base.count_params()
    ((None, 1, 1, 512), 14714688)
    >>> base = vgg16_base()  # doctest: +SKIP
    >>> base.output_shape  # doctest: +SKIP
    (None, 4, 4, 512)

    Offline, with nothing in the cache:

    >>> import os, tempfile
    >>> os.environ["KERAS_HOME"] = tempfile.mkdtemp()
    >>> vgg16_base(allow_download=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnn_course.pretrained.WeightsUnavailableError: VGG16's ImageNet weights are not in the Keras cache ...
    >>> del os.environ["KERAS_HOME"]
    """
    input_shape = _check_input_shape(input_shape)
    download = downloads_allowed(allow_download)  # also checks allow_download is a bool
    imagenet = isinstance(weights, str) and weights == "imagenet"
    if weights is None or imagenet:
        path = None
    elif isinstance(weights, (str, os.PathLike)):
        path = _check_weights_path(weights)
    else:
        raise arg_error("weights", weights, "'imagenet', None, or the path of a .h5 or .weights.h5 file")
    if imagenet:
        cached = keras_models_dir() / VGG16_NOTOP_FILE
        if not cached.is_file():
            if not download:
                raise _unavailable(cached, allow_download)
            try:
                cached = pathlib.Path(_download_vgg16(keras_models_dir().parent))
            except Exception as exc:  # get_file raises a plain Exception on network failure
                raise _unavailable(cached, allow_download, reason=exc) from exc

    model = keras.applications.VGG16(include_top=False, weights=None, input_shape=input_shape)
    if path is not None:
        _load_weights_file(model, path)
    elif imagenet:
        try:
            _load_weights_file(model, cached)
        except ValueError as exc:
            raise WeightsUnavailableError(
                f"Found VGG16's ImageNet weights at '{cached}' but could not load them; the file is "
                f"probably incomplete or not the published one. Delete it and download "
                f"{VGG16_NOTOP_URL} again into the folder {cached.parent}, then run again. "
                f"{_OFFLINE_HINT} ({exc})"
            ) from exc
    return model


# ---------------------------------------------------------------------------
# VGG16's preprocessing
# ---------------------------------------------------------------------------


def vgg16_preprocess(images):
    """VGG16's own preprocessing: RGB -> BGR, then subtract the ImageNet mean pixel.

    Same numbers as `keras.applications.vgg16.preprocess_input` ("caffe"
    mode: channels reversed, then mean (103.939, 116.779, 123.68) subtracted
    per BGR channel; no scaling), but never changes the array passed in (Keras
    modifies a float NumPy array in place).

    The images must be pixels in 0..255, as VGG16 was trained on. Our input
    pipeline rescales to 0..1 by default, so do NOT combine the two: build the
    dataset with `cnn_course.data.make_dataset(..., rescale=None)`. Or put the
    preprocessing inside the model with `vgg16_preprocessing_layer()`.

    Args:
        images: array or tensor `(..., height, width, 3)`, RGB, values 0..255.

    Returns:
        A float32 array (a tensor for tensor input) of the same shape.

    Raises:
        ValueError: the last axis is not 3 RGB channels.

    Example:

    >>> import numpy as np
    >>> pixel = np.array([[[[255, 0, 0]]]], dtype="uint8")  # one red pixel (1, 1, 1, 3)
    >>> [round(float(v), 3) for v in vgg16_preprocess(pixel)[0, 0, 0]]  # B, G, R minus the ImageNet mean
    [-103.939, -116.779, 131.32]
    """
    if keras.ops.is_tensor(images):
        images = keras.ops.cast(images, "float32")
    else:
        images = np.array(images, dtype="float32")  # a copy: preprocess_input works in place
    if len(images.shape) < 1 or images.shape[-1] != 3:
        raise arg_error(
            "images", f"an array of shape {tuple(images.shape)}", "RGB images with 3 channels on the last axis",
            "Load the images with color_mode='rgb'",
            describe=True,
        )
    return keras.applications.vgg16.preprocess_input(images)


@keras.saving.register_keras_serializable(package="cnn_course")
class VGG16Preprocessing(keras.layers.Layer):
    """VGG16's preprocessing as a layer, so that the model takes raw 0..255 RGB images.

    Computes exactly `keras.applications.vgg16.preprocess_input` (RGB -> BGR,
    ImageNet mean subtracted). Unlike a `Lambda` layer it saves and loads with
    `model.save("model.keras")` / `keras.models.load_model` (no
    `safe_mode=False` needed) once `cnn_course.pretrained` is imported.

    Input shape:
        `(batch, height, width, 3)`, RGB pixels in 0..255 (any dtype).

    Output shape:
        Same as the input, in the layer's float dtype.

    Example:

    >>> inputs = keras.Input((32, 32, 3))
    >>> outputs = VGG16Preprocessing()(inputs)
    >>> outputs.shape
    (None, 32, 32, 3)
    """

    def call(self, inputs):
        return keras.applications.vgg16.preprocess_input(keras.ops.cast(inputs, self.compute_dtype))

    def compute_output_shape(self, input_shape):
        return input_shape


def vgg16_preprocessing_layer(name="vgg16_preprocessing"):
    """A `VGG16Preprocessing` layer: put VGG16's preprocessing inside the model.

    Use it between the input and `vgg16_base()`, and feed the model raw 0..255
    images (`cnn_course.data.make_dataset(..., rescale=None)`), so the saved
    model preprocesses new images itself.

    Args:
        name: the layer's name.

    Returns:
        A `VGG16Preprocessing` layer (serialisable in `.keras` files).

    Example:

    >>> import numpy as np
    >>> inputs = keras.Input((32, 32, 3))
    >>> model = keras.Model(inputs, vgg16_preprocessing_layer()(inputs))
    >>> x = np.full((1, 32, 32, 3), 128.0, dtype="float32")
    >>> bool(np.allclose(model.predict(x, verbose=0), vgg16_preprocess(x)))
    True
    """
    return VGG16Preprocessing(name=name)
