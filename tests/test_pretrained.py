"""Tests for cnn_course.pretrained: VGG16's base loaded from Keras's cache or a file, never downloaded here.

The reference is a VGG16 base built by `keras.applications.VGG16` itself, with
random values in every weight (biases too), written in the two real file
formats: the legacy HDF5 layout of Keras's published
`vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5` (written here with h5py,
independently of Keras's own writer) and Keras 3's `.weights.h5`. A loaded
base must hold exactly those values, so it cannot have kept random weights.
The download function is replaced in every test that could reach it.
"""

import inspect
import shutil

import h5py
import numpy as np
import pytest

import cnn_course  # noqa: F401  (before keras: sets TensorFlow's flags)
import keras
from cnn_course import datasets, pretrained
from cnn_course.pretrained import (
    VGG16_NOTOP_FILE,
    VGG16_NOTOP_URL,
    VGG16Preprocessing,
    WeightsUnavailableError,
    keras_models_dir,
    vgg16_base,
    vgg16_preprocess,
    vgg16_preprocessing_layer,
)

# ---------------------------------------------------------------------------
# Fixtures: one reference base, its weights in both formats
# ---------------------------------------------------------------------------


def write_legacy_h5(path, model):
    """Write `model`'s weights in the legacy Keras HDF5 layout of the published VGG16 files.

    Root attribute `layer_names` lists every layer (inputs and poolings too);
    each layer has a group whose `weight_names` attribute lists its datasets.
    """
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode("utf8") for layer in model.layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.1.5"
        for layer in model.layers:
            group = f.create_group(layer.name)
            names = [f"{layer.name}/{w.name}:0" for w in layer.weights]  # "block1_conv1/kernel:0"
            group.attrs["weight_names"] = [n.encode("utf8") for n in names]
            for name, weight in zip(names, layer.weights):
                group.create_dataset(name, data=keras.ops.convert_to_numpy(weight))


@pytest.fixture(scope="module")
def reference():
    """A VGG16 base from Keras itself, every weight set to known random values."""
    model = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.05, size=w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.fixture(scope="module")
def weight_files(reference, tmp_path_factory):
    """The reference weights as {"legacy": <.h5>, "keras3": <.weights.h5>}."""
    folder = tmp_path_factory.mktemp("weights")
    files = {"legacy": folder / "vgg16_base_legacy.h5", "keras3": folder / "vgg16_base.weights.h5"}
    write_legacy_h5(files["legacy"], reference)
    reference.save_weights(files["keras3"])
    return files


@pytest.fixture(scope="module")
def other_model_files(tmp_path_factory):
    """Weights of a small model that is not VGG16 (first layer even named like VGG16's), both formats."""
    folder = tmp_path_factory.mktemp("other")
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="block1_conv1")(inputs)
    x = keras.layers.Conv2D(8, 3, padding="same", name="block1_conv2")(x)
    model = keras.Model(inputs, x)
    files = {"legacy": folder / "small.h5", "keras3": folder / "small.weights.h5"}
    write_legacy_h5(files["legacy"], model)
    model.save_weights(files["keras3"])
    return files


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty Keras home in tmp_path, online allowed, and a fake download that records its calls."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv(datasets.OFFLINE_ENV, raising=False)
    calls = []

    def no_download(cache_dir):
        calls.append(cache_dir)
        raise Exception("URL fetch failure on test: no network in tests")  # what get_file raises

    monkeypatch.setattr(pretrained, "_download_vgg16", no_download)
    return {"models": tmp_path / "models", "downloads": calls}


def assert_same_weights(model, reference):
    got, expected = model.get_weights(), reference.get_weights()
    assert len(got) == len(expected) == 26  # 13 convolutions x (kernel, bias)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# weights="imagenet": Keras's cache file
# ---------------------------------------------------------------------------


def test_keras_models_dir_follows_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert keras_models_dir() == tmp_path / "models"


def test_file_name_url_and_hash_are_keras_own():
    """Our constants are the ones keras.applications.VGG16 uses, so both find the same cache file."""
    vgg16_module = pytest.importorskip("keras.src.applications.vgg16")
    assert VGG16_NOTOP_URL == vgg16_module.WEIGHTS_PATH_NO_TOP
    source = inspect.getsource(vgg16_module.VGG16)
    assert f'"{VGG16_NOTOP_FILE}"' in source
    assert f'"{pretrained._VGG16_NOTOP_MD5}"' in source
    assert 'cache_subdir="models"' in source


@pytest.mark.parametrize("allow_download", [False, True])
def test_imagenet_loads_the_legacy_file_in_the_keras_cache(cache, weight_files, reference, allow_download):
    cache["models"].mkdir()
    shutil.copy(weight_files["legacy"], cache["models"] / VGG16_NOTOP_FILE)
    base = vgg16_base(input_shape=(48, 48, 3), weights="imagenet", allow_download=allow_download)
    assert_same_weights(base, reference)
    assert base.output_shape == (None, 1, 1, 512)
    assert cache["downloads"] == []


def test_imagenet_downloads_once_into_the_cache_then_loads(cache, weight_files, reference, monkeypatch):
    calls = []

    def fake_download(cache_dir):  # plays keras.utils.get_file: saves the file, returns its path
        calls.append(cache_dir)
        target = cache["models"] / VGG16_NOTOP_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(weight_files["legacy"], target)
        return str(target)

    monkeypatch.setattr(pretrained, "_download_vgg16", fake_download)
    base = vgg16_base(input_shape=(32, 32, 3))
    assert_same_weights(base, reference)
    assert [str(c) for c in calls] == [str(cache["models"].parent)]


@pytest.mark.parametrize("offline", ["allow_download=False", "CNN_COURSE_OFFLINE=1"])
def test_imagenet_missing_offline_says_what_to_download_and_where(cache, monkeypatch, offline):
    if offline == "allow_download=False":
        allow_download = False
    else:
        monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
        allow_download = True
    with pytest.raises(WeightsUnavailableError) as info:
        vgg16_base(input_shape=(32, 32, 3), allow_download=allow_download)
    message = str(info.value)
    assert VGG16_NOTOP_FILE in message
    assert str(cache["models"]) in message
    assert VGG16_NOTOP_URL in message
    assert offline in message
    assert "load_shapes_base()" in message
    assert cache["downloads"] == []  # the network was never tried
    assert isinstance(info.value, OSError)


def test_imagenet_failed_download_is_reported_not_replaced_by_random_weights(cache):
    with pytest.raises(WeightsUnavailableError, match="could not be downloaded .*URL fetch failure") as info:
        vgg16_base(input_shape=(32, 32, 3))
    assert len(cache["downloads"]) == 1
    assert str(cache["models"]) in str(info.value) and VGG16_NOTOP_URL in str(info.value)


def test_imagenet_damaged_cache_file_says_delete_and_download_again(cache, other_model_files):
    cache["models"].mkdir()
    shutil.copy(other_model_files["legacy"], cache["models"] / VGG16_NOTOP_FILE)
    with pytest.raises(WeightsUnavailableError, match="Delete it and download") as info:
        vgg16_base(input_shape=(32, 32, 3), allow_download=False)
    assert str(cache["models"] / VGG16_NOTOP_FILE) in str(info.value)


# ---------------------------------------------------------------------------
# weights=<path>
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["legacy", "keras3"])
def test_weights_file_path_loads_both_formats(cache, weight_files, reference, kind):
    base = vgg16_base(input_shape=(32, 32, 3), weights=str(weight_files[kind]))
    assert_same_weights(base, reference)
    assert cache["downloads"] == []


@pytest.mark.parametrize("kind", ["legacy", "keras3"])
def test_weights_of_another_model_raise_naming_the_file(other_model_files, kind):
    path = other_model_files[kind]
    with pytest.raises(ValueError, match="not a VGG16 convolutional-base weights file") as info:
        vgg16_base(input_shape=(32, 32, 3), weights=path)
    assert str(path) in str(info.value)
    assert "include_top=False" in str(info.value)
    assert len(str(info.value)) < 1200  # Keras's own message prints whole weight arrays: cut short


def test_not_an_hdf5_file_raises_naming_the_file(tmp_path):
    path = tmp_path / "download_page.h5"
    path.write_text("<html>Not Found</html>")
    with pytest.raises(ValueError, match="not a Keras weights file") as info:
        vgg16_base(input_shape=(32, 32, 3), weights=path)
    assert str(path) in str(info.value)


def test_keras3_file_with_a_legacy_name_says_rename(weight_files, tmp_path):
    path = tmp_path / "vgg16_base.h5"
    shutil.copy(weight_files["keras3"], path)
    with pytest.raises(ValueError, match=r"rename it so that its name ends in '\.weights\.h5'"):
        vgg16_base(input_shape=(32, 32, 3), weights=path)


def test_missing_weights_file_raises_file_not_found(tmp_path):
    path = tmp_path / "no_such_file.h5"
    with pytest.raises(FileNotFoundError, match="no_such_file.h5"):
        vgg16_base(input_shape=(32, 32, 3), weights=path)


@pytest.mark.parametrize("weights", ["notes.txt", 3])
def test_weights_argument_that_is_not_a_weights_file(tmp_path, weights):
    if isinstance(weights, str):
        (tmp_path / weights).write_text("hello")
        weights = tmp_path / weights
    with pytest.raises(ValueError, match="The `weights` argument must be 'imagenet', None, or the path"):
        vgg16_base(input_shape=(32, 32, 3), weights=weights)


def test_weights_none_is_random_and_explicit():
    base = vgg16_base(input_shape=(32, 32, 3), weights=None)
    assert base.count_params() == 14_714_688  # Chollet, Deep Learning with Python: VGG16's conv base
    assert [layer.name for layer in base.layers][-1] == "block5_pool"


# ---------------------------------------------------------------------------
# input_shape
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "input_shape, fix",
    [
        ((31, 32, 3), "at least 32x32"),
        ((32, 16, 3), "at least 32x32"),
        ((150, 150, 1), "RGB images"),
        ((150, 150, 4), "RGB images"),
        ((150, 150), "input_shape=(150, 150, 3)"),
        ("150x150", "input_shape=(150, 150, 3)"),
        ((150.0, 150, 3), "input_shape=(150, 150, 3)"),
        ((True, 150, 3), "input_shape=(150, 150, 3)"),
    ],
)
def test_input_shape_is_validated(input_shape, fix):
    with pytest.raises(ValueError) as info:
        vgg16_base(input_shape=input_shape, weights=None)
    message = str(info.value)
    assert message.startswith("The `input_shape` argument must be a tuple (height, width, 3)")
    assert "at least 32" in message and fix in message


def test_allow_download_must_be_a_bool():
    with pytest.raises(ValueError, match="The `allow_download` argument must be True or False"):
        vgg16_base(input_shape=(32, 32, 3), weights=None, allow_download="no")


# ---------------------------------------------------------------------------
# Preprocessing
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).integers(0, 256, size=(4, 8, 8, 3), dtype=np.uint8)  # (batch, h, w, c)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_preprocess_matches_keras_and_leaves_the_input_alone(images, dtype):
    x = images.astype(dtype)
    before = x.copy()
    expected = keras.applications.vgg16.preprocess_input(x.astype("float32"))  # Keras: in place, on a copy
    got = vgg16_preprocess(x)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
    np.testing.assert_array_equal(x, before)
    assert got.dtype == np.float32
    # Independent reference: BGR order, ImageNet mean subtracted.
    mean_bgr = np.array([103.939, 116.779, 123.68])
    np.testing.assert_allclose(got, images[..., ::-1].astype("float64") - mean_bgr, atol=1e-4)


def test_preprocess_accepts_tensors(images):
    got = vgg16_preprocess(keras.ops.convert_to_tensor(images))
    assert keras.ops.is_tensor(got)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got), vgg16_preprocess(images), atol=1e-4)


def test_preprocess_rejects_non_rgb():
    with pytest.raises(ValueError, match="RGB images with 3 channels"):
        vgg16_preprocess(np.zeros((2, 8, 8, 1)))


def test_preprocessing_layer_in_a_model_survives_keras_save_and_load(images, tmp_path):
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, vgg16_preprocessing_layer()(inputs))
    expected = keras.applications.vgg16.preprocess_input(images.astype("float32"))
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, atol=1e-4)

    path = tmp_path / "preprocess.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # safe_mode stays on: no Lambda layer to unpickle
    assert isinstance(loaded.get_layer("vgg16_preprocessing"), VGG16Preprocessing)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, atol=1e-4)
