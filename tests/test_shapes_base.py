"""Tests for cnn_course.shapes_base: the shipped weights load, are reproduced by their script's code, and come from other images."""

import hashlib

import numpy as np
import pytest

import cnn_course  # noqa: F401  (before keras: sets TensorFlow's flags)
import keras
from cnn_course import shapes, shapes_base


def _fixed_batch(n=16):
    """Course images the base never saw in pretraining, rescaled to [0, 1]: (n, 64, 64, 3)."""
    images, _, _ = shapes.make_shapes_arrays(n // 4, image_size=64, seed=0, split="test")
    return images.astype("float32") / 255.0


# --- the shipped weights ----------------------------------------------------


def test_shipped_weights_load_into_the_architecture():
    base = shapes_base.load_shapes_base()
    assert base.trainable is False
    assert base.input_shape == (None, *shapes_base.INPUT_SHAPE)
    assert base.output_shape == (None, 6, 6, 128)
    assert [layer.name for layer in base.layers[1:]] == [
        "block1_conv1", "block1_pool", "block2_conv1", "block2_pool", "block3_conv1", "block3_pool"]
    features = np.asarray(base(_fixed_batch(8)))
    assert features.shape == (8, 6, 6, 128)  # 64 -> 62 -> 31 -> 29 -> 14 -> 12 -> 6
    assert np.all(np.isfinite(features)) and features.max() > 0  # relu features, not all dead
    # The weights are the pretrained ones, not a fresh initialisation.
    fresh = shapes_base.build_shapes_base()
    assert not np.allclose(base.get_layer("block1_conv1").kernel, fresh.get_layer("block1_conv1").kernel)


def test_trainable_base_and_fine_tuning_from_block3():
    base = shapes_base.load_shapes_base(trainable=True)
    assert len(base.trainable_weights) == 6  # 3 kernels + 3 biases
    for layer in base.layers:
        layer.trainable = layer.name.startswith("block3")
    assert [w.path for w in base.trainable_weights] == ["block3_conv1/kernel", "block3_conv1/bias"]


def test_metadata_describes_the_shipped_file():
    metadata = shapes_base.load_metadata()
    digest = hashlib.sha256(shapes_base.WEIGHTS_PATH.read_bytes()).hexdigest()
    assert metadata["weights_sha256"] == digest  # weights and json were written together
    assert metadata["input_shape"] == list(shapes_base.INPUT_SHAPE)
    assert tuple(metadata["source_classes"]) == shapes_base.SOURCE_CLASSES
    assert metadata["config"] == shapes_base.DEFAULT_CONFIG
    assert 0.6 < metadata["source_val_accuracy"] <= 1.0  # it learned the source task (chance: 0.11)


def test_missing_weights_name_the_file_and_the_script(tmp_path):
    missing = tmp_path / "shapes_base.weights.h5"
    with pytest.raises(FileNotFoundError) as info:
        shapes_base.load_shapes_base(weights_path=missing)
    message = str(info.value)
    assert str(missing) in message
    assert "tools/pretrain_shapes_base.py" in message


def test_trainable_must_be_a_bool():
    with pytest.raises(ValueError, match="The `trainable` argument must be True or False"):
        shapes_base.load_shapes_base(trainable="yes")


# --- reproduction -----------------------------------------------------------


def test_pretraining_reproduces_the_shipped_weights(tmp_path):
    # Re-run the code of tools/pretrain_shapes_base.py with the shipped
    # configuration (about a minute on 2 CPU cores). With deterministic ops
    # the result is bit-identical on the machine that made the weights; the
    # tolerance leaves room for another CPU's floating-point rounding.
    config = dict(shapes_base.load_metadata()["config"])
    retrained, report = shapes_base.pretrain_shapes_base(**config)
    assert report["config"] == config
    shipped = shapes_base.load_shapes_base()
    assert len(retrained.weights) == len(shipped.weights) == 6
    for new, old in zip(retrained.weights, shipped.weights):
        new, old = np.asarray(new), np.asarray(old)
        assert new.shape == old.shape
        relative = np.linalg.norm(new - old) / np.linalg.norm(old)
        assert relative < 1e-3, f"{new.shape}: relative difference {relative:.2e}"
    batch = _fixed_batch()
    new_features = np.asarray(retrained(batch))
    old_features = np.asarray(shipped(batch))
    relative = np.linalg.norm(new_features - old_features) / np.linalg.norm(old_features)
    assert relative < 1e-3, f"features differ by {relative:.2e} (relative)"
    # Saving writes loadable weights (atomically; no temp file left behind).
    weights, metadata = shapes_base.save_shapes_base(
        retrained, report, tmp_path / "shapes_base.weights.h5", tmp_path / "shapes_base.json")
    reloaded = shapes_base.load_shapes_base(weights_path=weights)
    np.testing.assert_array_equal(np.asarray(reloaded(batch)), new_features)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shapes_base.json", "shapes_base.weights.h5"]


# --- source and target are different images ---------------------------------


def test_source_classes_are_not_course_classes():
    assert not set(shapes_base.SOURCE_CLASSES) & set(shapes.DEFAULT_CLASSES)
    assert set(shapes_base.SOURCE_CLASSES) <= set(shapes.SHAPES)
    with pytest.raises(ValueError, match="shapes that are not course classes"):
        shapes_base.make_source_data(["heart", "star"], n_per_class=1, n_validation_per_class=1)


def test_source_and_target_images_are_disjoint():
    config = shapes_base.DEFAULT_CONFIG
    (x, _), (vx, _) = shapes_base.make_source_data(
        config["source_classes"], config["n_per_class"], config["n_validation_per_class"],
        config["seed"])
    source = {hashlib.sha256(image.tobytes()).digest() for image in np.concatenate([x, vx])}
    assert len(source) == len(x) + len(vx)  # no image is repeated within the source task either
    for split, n in shapes.DEFAULT_COUNTS.items():
        target, _, _ = shapes.make_shapes_arrays(n, image_size=64, seed=0, split=split)
        assert not source & {hashlib.sha256(image.tobytes()).digest() for image in target}, split


def test_a_classifier_on_the_frozen_base_trains_only_its_head():
    base = shapes_base.load_shapes_base()
    inputs = keras.Input(shape=shapes_base.INPUT_SHAPE)
    x = keras.layers.Flatten()(base(inputs))  # (batch, 4608)
    outputs = keras.layers.Dense(4, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [np.asarray(w).copy() for w in base.weights]
    batch = _fixed_batch()
    model.fit(batch, np.arange(len(batch)) % 4, epochs=1, verbose=0)
    for old, new in zip(before, base.weights):
        np.testing.assert_array_equal(old, np.asarray(new))
