"""Tests for cnn_course.transfer: the feature cache, heads, freezing, fine-tuning and its guard rails."""

import json
import os
import subprocess
import sys
import textwrap
import warnings

import cnn_course  # noqa: F401  (sets TensorFlow's flags before it is imported)
import keras
import numpy as np
import pytest

from cnn_course import models, transfer
from cnn_course import _progress_lines
from cnn_course.datasets import ImageSet


def small_base(size=16, batchnorm=False, name=None):
    """A 2-block conv base; layers named like VGG16's."""
    layers = [keras.Input((size, size, 3)), keras.layers.Conv2D(4, 3, padding="same", name="block1_conv1")]
    if batchnorm:
        layers.append(keras.layers.BatchNormalization(name="block1_bn"))
    layers += [keras.layers.MaxPooling2D(2, name="block1_pool"),
               keras.layers.Conv2D(8, 3, padding="same", name="block2_conv1")]
    if batchnorm:
        layers.append(keras.layers.BatchNormalization(name="block2_bn"))
    layers.append(keras.layers.MaxPooling2D(2, name="block2_pool"))
    return keras.Sequential(layers, name=name)


def random_images(n=12, size=16, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype="uint8")


@pytest.fixture(scope="module")
def vgg_base():
    return keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))


@pytest.fixture(autouse=True)
def empty_memory_cache():
    transfer.clear_memory_cache()
    yield
    transfer.clear_memory_cache()


# ---------------------------------------------------------------------------
# Feature extraction and its cache
# ---------------------------------------------------------------------------


def test_extraction_prints_blocks_and_says_when_features_come_from_the_cache(tmp_path, capsys, monkeypatch):

    base, images = small_base(), random_images(n=10)
    monkeypatch.setattr(_progress_lines, "INTERVAL", 0.0)  # every block of batches is due for a line
    transfer.extract_features(base, images, batch_size=4, cache=tmp_path)
    transfer.extract_features(base, images, batch_size=4, cache=tmp_path)
    transfer.clear_memory_cache()
    transfer.extract_features(base, images, batch_size=4, cache=tmp_path)
    path = transfer.last_extraction().path
    transfer.extract_features(base, images, batch_size=4, cache=False, verbose=0)
    lines = [line.rsplit("  (", 1) for line in capsys.readouterr().out.splitlines()]
    assert [text for text, _ in lines] == [
        "features 4/10  images done", "features 8/10  images done", "features 10/10  computed by the base",
        "features 10/10  loaded from cache (memory)", f"features 10/10  loaded from cache ({path})"]
    assert all(seconds.endswith(" s)") for _, seconds in lines)


def test_features_equal_base_predict():
    base = small_base()
    images = random_images(n=10)
    features = transfer.extract_features(base, images, batch_size=4)
    expected = base.predict(images.astype("float32") / 255.0, verbose=0)
    assert features.shape == (10, 4, 4, 8) and features.dtype == np.float32
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)


def test_imageset_and_custom_preprocess():
    base = small_base()
    images = random_images(n=6)
    imageset = ImageSet(images=images, labels=np.zeros(6, dtype="int64"), class_names=("a",))
    np.testing.assert_array_equal(transfer.extract_features(base, imageset, cache=False),
                                  transfer.extract_features(base, images, cache=False))
    centred = transfer.extract_features(base, images, preprocess=lambda x: x / 127.5 - 1.0, cache=False)
    expected = base.predict(images.astype("float32") / 127.5 - 1.0, verbose=0)
    np.testing.assert_allclose(centred, expected, rtol=1e-5, atol=1e-6)


def test_memory_cache_hit_returns_same_object():
    base = small_base()
    images = random_images()
    first, info1 = transfer.extract_features(base, images, return_info=True)
    second, info2 = transfer.extract_features(base, images.copy(), return_info=True)
    assert (info1.hit, info1.source) == (False, "computed")
    assert (info2.hit, info2.source) == (True, "memory")
    assert second is first
    assert transfer.last_extraction() == info2
    assert "loaded from cache" in str(info2)
    assert not second.flags.writeable  # the cached array cannot be changed by accident


def test_one_changed_pixel_misses():
    base = small_base()
    images = random_images()
    transfer.extract_features(base, images)
    changed = images.copy()
    changed[7, 3, 5, 1] ^= 1
    features, info = transfer.extract_features(base, changed, return_info=True)
    assert not info.hit
    np.testing.assert_allclose(features, base.predict(changed / 255.0, verbose=0), rtol=1e-5, atol=1e-6)


def test_changed_image_size_misses():
    inputs = keras.Input((None, None, 3))
    outputs = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs))
    base = keras.Model(inputs, outputs)
    big = random_images(size=16)
    _, first = transfer.extract_features(base, big, return_info=True)
    small, info = transfer.extract_features(base, big[:, :12, :12], return_info=True)
    assert not info.hit and info.key != first.key
    np.testing.assert_allclose(small, base.predict(big[:, :12, :12] / 255.0, verbose=0), rtol=1e-5, atol=1e-6)


def test_changed_base_weights_miss():
    base = small_base()
    images = random_images()
    before = transfer.extract_features(base, images)
    kernel = base.get_layer("block2_conv1").kernel
    kernel.assign(kernel.numpy() * 2.0)
    after, info = transfer.extract_features(base, images, return_info=True)
    assert not info.hit
    assert not np.allclose(before, after)


def test_changed_preprocessing_misses():
    base = small_base()
    images = random_images()
    transfer.extract_features(base, images, preprocess=lambda x: x / 255.0)
    features, info = transfer.extract_features(base, images, preprocess=lambda x: x / 127.5 - 1.0,
                                               return_info=True)
    assert not info.hit
    expected = base.predict(images.astype("float32") / 127.5 - 1.0, verbose=0)  # not the cached x / 255
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)


def test_freezing_does_not_change_the_key():
    base = small_base()
    images = random_images()
    transfer.extract_features(base, images)
    transfer.freeze(base)
    assert transfer.extract_features(base, images, return_info=True)[1].hit


def test_cache_false_never_stores():
    base = small_base()
    images = random_images()
    transfer.extract_features(base, images, cache=False)
    assert not transfer.extract_features(base, images, cache=False, return_info=True)[1].hit


# Runs in a new Python process: same architecture, weights loaded from a file.
NEW_PROCESS = textwrap.dedent("""
    import json, sys
    import cnn_course
    import keras, numpy as np
    sys.path.insert(0, {tests!r})
    from test_transfer import small_base, random_images
    from cnn_course import transfer
    base = small_base()
    base.load_weights({weights!r})
    features, info = transfer.extract_features(base, random_images(), cache={folder!r}, return_info=True)
    np.save({out!r}, features)
    print(json.dumps({{"hit": info.hit, "source": info.source, "key": info.key}}))
""")


def test_disk_cache_is_read_by_a_new_process(tmp_path):
    # Create and discard a few models first, so that this process numbers its
    # auto-named layers differently from the new one: the key must not depend on that.
    for _ in range(3):
        keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    base = small_base()
    weights = str(tmp_path / "base.weights.h5")
    base.save_weights(weights)
    folder = tmp_path / "features"
    features, info = transfer.extract_features(base, random_images(), cache=folder, return_info=True)
    assert info.source == "computed" and os.path.exists(info.path)
    assert sorted(os.listdir(folder)) == [f"features-{info.key}.npy"]  # no temporary leftovers

    out = str(tmp_path / "out.npy")
    script = NEW_PROCESS.format(tests=os.path.dirname(__file__), weights=weights, folder=str(folder), out=out)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"hit": True, "source": "disk", "key": info.key}
    np.testing.assert_array_equal(np.load(out), features)
    assert sorted(os.listdir(folder)) == [f"features-{info.key}.npy"]


def test_disk_cache_in_this_process_and_atomic_write(tmp_path, monkeypatch):
    base = small_base()
    images = random_images()
    transfer.extract_features(base, images, cache=tmp_path)
    transfer.clear_memory_cache()
    again, info = transfer.extract_features(base, images, cache=tmp_path, return_info=True)
    assert info.source == "disk"
    np.testing.assert_allclose(again, base.predict(images / 255.0, verbose=0), rtol=1e-5, atol=1e-6)

    # A write that fails half-way leaves neither a temporary file nor a broken cache file.
    def broken_save(file, array):
        file.write(b"\x93NUMPY half a file")
        raise OSError("disk full")

    monkeypatch.setattr(transfer.np, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        transfer.extract_features(base, random_images(seed=1), cache=tmp_path)
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(info.path)]


def test_images_that_do_not_fit_the_base():
    with pytest.raises(ValueError, match=r"expects images of shape \(16, 16, 3\).*Fix"):
        transfer.extract_features(small_base(), random_images(size=20))
    with pytest.raises(ValueError, match="The `images` argument must be"):
        transfer.extract_features(small_base(), np.zeros((16, 16)))


# ---------------------------------------------------------------------------
# Heads
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("head, expected_params", [
    ("flatten", (4 * 4 * 512 + 1) * 256 + (256 + 1) * 1),  # the book's classifier on VGG16 features
    ("gap", (512 + 1) * 256 + (256 + 1) * 1),
    ("gmp", (512 + 1) * 256 + (256 + 1) * 1),
])
def test_feature_classifier_parameters(head, expected_params):
    model = transfer.build_feature_classifier((4, 4, 512), task="binary", head=head)
    assert model.count_params() == expected_params
    assert [layer.name for layer in model.layers][-3:] == ["dense1", "dropout1", "output"]
    assert model.get_layer("dropout1").rate == 0.5


def test_the_head_has_the_builders_name_and_the_old_pooling_argument_still_works_with_a_warning():
    # One name for one choice: head="flatten" | "gap" | "gmp", as in models.build_convnet.
    with pytest.warns(DeprecationWarning, match="head='gap'") as caught:
        old = transfer.build_feature_classifier((4, 4, 512), task="binary", pooling="average")
    assert caught[0].filename == __file__
    new = transfer.build_feature_classifier((4, 4, 512), task="binary", head="gap")
    assert [type(layer).__name__ for layer in old.layers] == [type(layer).__name__ for layer in new.layers]
    with pytest.raises(ValueError, match="The `head` argument must be one of 'flatten', 'gap', 'gmp'"):
        transfer.build_feature_classifier((4, 4, 512), head="average")


@pytest.mark.trains
def test_feature_classifier_learns_on_cached_features():
    keras.utils.set_random_seed(0)
    base = small_base()
    images = random_images(n=32)
    labels = (images.mean(axis=(1, 2, 3)) > images.mean()).astype("int64")
    features = transfer.extract_features(base, images)
    model = transfer.build_feature_classifier(features.shape[1:], num_classes=2, hidden_units=(16,), dropout=0.0)
    models.compile_for_task(model, "multiclass", learning_rate=1e-2)
    history = model.fit(features, labels, epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_transfer_model_matches_feature_classifier():
    """Same default preprocessing and head layout: a head trained on features transplants exactly."""
    base = small_base()
    images = random_images(n=8)
    classifier = transfer.build_feature_classifier((4, 4, 8), num_classes=3, hidden_units=(16,))
    model = transfer.build_transfer_model(base, num_classes=3, hidden_units=(16,))
    for name in ("dense1", "output"):
        model.get_layer(name).set_weights(classifier.get_layer(name).get_weights())
    np.testing.assert_allclose(model.predict(images, verbose=0),
                               classifier.predict(transfer.extract_features(base, images), verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.trains
def test_transfer_model_freezes_base_and_frozen_batchnorm_stays_in_inference_mode():
    base = small_base(batchnorm=True)
    model = transfer.build_transfer_model(base, task="binary", hidden_units=(8,),
                                          augmentation=keras.layers.RandomFlip("horizontal"))
    assert not base.trainable and len(model.trainable_weights) == 4
    # Every convolution unfrozen, batch normalization kept frozen (the default): its
    # moving statistics do not move although fit runs the model with training=True.
    transfer.unfreeze_from(base, "block1_conv1", allow_all=True)
    models.compile_for_task(model, "binary")
    bn = base.get_layer("block1_bn")
    mean_before = bn.moving_mean.numpy().copy()
    conv_before = base.get_layer("block1_conv1").kernel.numpy().copy()
    model.fit(random_images(n=8), np.arange(8) % 2, epochs=1, batch_size=4, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mean_before)
    assert not np.array_equal(base.get_layer("block1_conv1").kernel.numpy(), conv_before)


@pytest.mark.trains
def test_unfrozen_batchnorm_warns_and_really_runs_in_training_mode():
    """Documents Keras 3's behaviour (keras-team/keras#20285): fit overrides base(x, training=False)."""
    base = small_base(batchnorm=True)
    model = transfer.build_transfer_model(base, task="binary", hidden_units=(8,))
    with pytest.warns(UserWarning, match="training mode"):
        transfer.unfreeze_from(base, "block1_conv1", include_batchnorm=True, allow_all=True)
    models.compile_for_task(model, "binary")
    bn = base.get_layer("block1_bn")
    mean_before = bn.moving_mean.numpy().copy()
    model.fit(random_images(n=8), np.arange(8) % 2, epochs=1, batch_size=4, verbose=0)
    assert not np.array_equal(bn.moving_mean.numpy(), mean_before)


def test_transfer_model_needs_a_fixed_input_shape():
    inputs = keras.Input((None, None, 3))
    base = keras.Model(inputs, keras.layers.Conv2D(4, 3)(inputs))
    with pytest.raises(ValueError, match="input_shape"):
        transfer.build_transfer_model(base, task="binary")
    model = transfer.build_transfer_model(base, task="binary", input_shape=(16, 16, 3))
    assert model.input_shape == (None, 16, 16, 3)


# ---------------------------------------------------------------------------
# Counting, freezing and unfreezing (VGG16 layer names and the book's counts)
# ---------------------------------------------------------------------------


def test_trainable_summary_book_example(vgg_base):
    model = transfer.build_transfer_model(vgg_base, task="binary", hidden_units=(256,))
    vgg_base.trainable = True
    before = transfer.trainable_summary(model, "before freezing the conv base")
    assert before.line == "This is the number of trainable weights before freezing the conv base: 30"
    assert before.trainable_params == model.count_params() and before.non_trainable_tensors == 0
    transfer.freeze(vgg_base)
    after = transfer.trainable_summary(model, "after freezing the conv base")
    assert after.line == "This is the number of trainable weights after freezing the conv base: 4"
    assert after.trainable_params == (512 + 1) * 256 + 257  # 32x32 input: 1x1x512 features
    assert after.non_trainable_params == 14_714_688  # the VGG16 conv base


def test_unfreeze_from_block5_conv1(vgg_base):
    names = transfer.unfreeze_from(vgg_base, "block5_conv1")
    assert names == ("block5_conv1", "block5_conv2", "block5_conv3")
    assert len(vgg_base.trainable_weights) == 6  # 3 conv layers x (kernel, bias)
    trainable = [layer.name for layer in vgg_base.layers if layer.trainable and layer.weights]
    assert trainable == list(names)
    assert not vgg_base.get_layer("block4_conv3").trainable


def test_unfreeze_last_n(vgg_base):
    # The last 4 layers of VGG16's conv base: block5_conv1..3 and block5_pool.
    assert transfer.unfreeze_from(vgg_base, last_n=4) == ("block5_conv1", "block5_conv2", "block5_conv3")
    assert len(vgg_base.trainable_weights) == 6
    assert transfer.unfreeze_from(vgg_base, last_n=8) == (
        "block4_conv1", "block4_conv2", "block4_conv3", "block5_conv1", "block5_conv2", "block5_conv3")
    transfer.freeze(vgg_base)


def test_unfreezing_only_layers_without_weights_is_refused(vgg_base):
    with pytest.raises(ValueError, match="no weights"):
        transfer.unfreeze_from(vgg_base, last_n=1)  # block5_pool only


def test_wrong_layer_name_lists_valid_names(vgg_base):
    with pytest.raises(ValueError) as error:
        transfer.unfreeze_from(vgg_base, "block5_conv")
    message = str(error.value)
    assert "Did you mean 'block5_conv1'?" in message
    assert "block1_conv1, block1_conv2, block2_conv1" in message and "block5_pool" in message


@pytest.mark.parametrize("kwargs", [{"from_layer": "block1_conv1"}, {"last_n": 18}, {"last_n": 100}])
def test_unfreezing_everything_needs_allow_all(vgg_base, kwargs):
    with pytest.raises(ValueError, match="allow_all=True"):
        transfer.unfreeze_from(vgg_base, **kwargs)
    transfer.unfreeze_from(vgg_base, allow_all=True, **kwargs)
    assert len(vgg_base.trainable_weights) == 26
    transfer.freeze(vgg_base)


def test_unfreeze_from_takes_fine_tunes_argument_name_and_its_old_one_with_a_warning(vgg_base):
    # One name for one thing: `from_layer`, as in fine_tune; the old `layer_name` still works for a term.
    assert transfer.unfreeze_from(vgg_base, from_layer="block5_conv2") == ("block5_conv2", "block5_conv3")
    with pytest.warns(DeprecationWarning, match="from_layer") as caught:
        assert transfer.unfreeze_from(vgg_base, layer_name="block5_conv3") == ("block5_conv3",)
    assert caught[0].filename == __file__  # the warning points at the caller's line
    with pytest.raises(ValueError, match="from_layer"):
        transfer.unfreeze_from(vgg_base, from_layer="block5_conv3", layer_name="block5_conv3")
    transfer.freeze(vgg_base)


def test_unfreeze_reaches_layers_frozen_earlier(vgg_base):
    # `base.trainable = True` is a no-op on an already trainable base (TensorFlow backend),
    # so frozen inner layers must be set one by one.
    transfer.unfreeze_from(vgg_base, "block5_conv1")
    transfer.unfreeze_from(vgg_base, "block4_conv1")
    assert len(vgg_base.trainable_weights) == 12
    transfer.freeze(vgg_base)
    assert len(vgg_base.trainable_weights) == 0


def test_unfreeze_from_needs_exactly_one_choice(vgg_base):
    with pytest.raises(ValueError, match="exactly one"):
        transfer.unfreeze_from(vgg_base)
    with pytest.raises(ValueError, match="exactly one"):
        transfer.unfreeze_from(vgg_base, "block5_conv1", last_n=2)


@pytest.mark.parametrize("include_batchnorm, expected", [(False, 2), (True, 4)])
def test_batchnorm_stays_frozen_unless_asked(include_batchnorm, expected):
    base = small_base(batchnorm=True)
    transfer.freeze(base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transfer.unfreeze_from(base, "block2_conv1", include_batchnorm=include_batchnorm)
    assert len(base.trainable_weights) == expected
    assert base.get_layer("block2_bn").trainable is include_batchnorm


# ---------------------------------------------------------------------------
# Fine-tuning and the recompile check
# ---------------------------------------------------------------------------


def trained_head_model(epochs=1):
    keras.utils.set_random_seed(1)
    base = small_base()
    model = transfer.build_transfer_model(base, task="binary", hidden_units=(8,))
    models.compile_for_task(model, "binary", optimizer="rmsprop", learning_rate=1e-3)
    images, labels = random_images(n=8), np.arange(8) % 2
    if epochs:
        model.fit(images, labels, epochs=epochs, batch_size=4, verbose=0)
    return model, base, images, labels


def test_fine_tune_refuses_an_untrained_head():
    model, base, _, _ = trained_head_model(epochs=0)
    with pytest.raises(RuntimeError, match="train the classifier on top of the frozen base first"):
        transfer.fine_tune(model, base, "block2_conv1")
    assert not base.trainable  # nothing was unfrozen
    uncompiled = transfer.build_transfer_model(small_base(), task="binary")
    with pytest.raises(RuntimeError, match="not compiled"):
        transfer.fine_tune(uncompiled, uncompiled.get_layer(index=2), "block2_conv1")


@pytest.mark.trains
def test_fine_tune_unfreezes_and_recompiles():
    model, base, images, labels = trained_head_model()
    model = transfer.fine_tune(model, base, "block2_conv1")
    assert np.isclose(float(model.optimizer.learning_rate), 1e-5)
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert model.loss == "binary_crossentropy"
    assert len(model.trainable_weights) == 2 + 4  # block2_conv1 + the head's two dense layers
    transfer.check_compiled_trainability(model)
    top, bottom = base.get_layer("block2_conv1").kernel, base.get_layer("block1_conv1").kernel
    top_before, bottom_before = top.numpy().copy(), bottom.numpy().copy()
    model.fit(images, labels, epochs=1, batch_size=4, verbose=0, callbacks=[transfer.RecompileCheck()])
    assert not np.array_equal(top.numpy(), top_before)  # the unfrozen block trained
    np.testing.assert_array_equal(bottom.numpy(), bottom_before)  # the frozen one did not
    # Fine-tuning again right away (a smaller learning rate, one more block) is allowed.
    transfer.fine_tune(model, base, "block2_conv1", learning_rate=1e-6)
    assert np.isclose(float(model.optimizer.learning_rate), 1e-6)


@pytest.mark.trains
def test_fine_tune_refuses_a_large_learning_rate():
    model, base, _, _ = trained_head_model()
    with pytest.raises(ValueError, match="such as 1e-5"):
        transfer.fine_tune(model, base, "block2_conv1", learning_rate=1e-2)
    with pytest.raises(ValueError, match="allow_all=True"):
        transfer.fine_tune(model, base, "block1_conv1")
    with pytest.raises(ValueError, match="Did you mean"):
        transfer.fine_tune(model, base, "block2_conv")
    with pytest.raises(ValueError, match="the base inside the model"):
        transfer.fine_tune(model, small_base(), "block2_conv1")


@pytest.mark.trains
@pytest.mark.parametrize("change", ["unfreeze", "freeze"])
def test_forgotten_recompile_is_caught(change):
    model, base, images, labels = trained_head_model()
    transfer.check_compiled_trainability(model)  # fine right after training
    if change == "unfreeze":
        transfer.unfreeze_from(base, "block2_conv1")
        expected = "Unfrozen since compile"
    else:
        model.get_layer("dense1").trainable = False
        expected = "Frozen since compile"
    with pytest.raises(RuntimeError, match=rf"{expected}.*call model\.compile\(\.\.\.\) again"):
        transfer.check_compiled_trainability(model)
    with pytest.raises(RuntimeError, match="model.compile"):
        model.fit(images, labels, epochs=1, verbose=0, callbacks=[transfer.RecompileCheck()])
    models.compile_for_task(model, "binary", learning_rate=1e-5)
    transfer.check_compiled_trainability(model)  # recompiled: fine again


@pytest.mark.trains
def test_state_lives_on_the_objects_it_describes():
    # fine_tune's record of what it compiled the model to train is kept on that model, not in
    # module state: another model is unaffected, and each base keeps its own last extraction.
    model, base, _, _ = trained_head_model()
    other, other_base, _, _ = trained_head_model(epochs=0)
    assert transfer.compiled_trainable(model) is None
    transfer.fine_tune(model, base, "block2_conv1")
    assert set(transfer.compiled_trainable(model)) == {id(v) for v in model.trainable_variables}
    assert transfer.compiled_trainable(other) is None
    with pytest.raises(RuntimeError, match="train the classifier on top of the frozen base first"):
        transfer.fine_tune(other, other_base, "block2_conv1")
    first, second = small_base(name="first"), small_base(name="second")
    transfer.extract_features(first, random_images(n=4), verbose=0)
    transfer.extract_features(second, random_images(n=2), verbose=0)
    assert transfer.last_extraction(first).shape[0] == 4 and transfer.last_extraction(second).shape[0] == 2
    assert transfer.last_extraction() is transfer.last_extraction(second)
