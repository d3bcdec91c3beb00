"""Training helper: label/loss checks before fit, early stopping, atomic checkpoints."""

import keras
import numpy as np
import pytest

from cnn_course import data, models, training
from cnn_course.reproducibility import set_seed



def _multiclass_model(num_classes=3, one_hot=False):
    return models.compile_for_task(models.build_dense((8, 8, 1), num_classes), "multiclass",
                                   one_hot=one_hot)


@pytest.mark.parametrize("model_fn,labels,message", [
    (lambda: _multiclass_model(), np.eye(3)[[0, 1, 2, 0]], "one-hot vectors .* sparse_categorical"),
    (lambda: _multiclass_model(one_hot=True), np.array([0, 1, 2, 0]), "are integers .* categorical_crossentropy"),
    (lambda: _multiclass_model(), np.array([0, 1, 5, 0]), "num_classes=6"),
    (lambda: models.compile_for_task(models.build_dense((8, 8, 1), task="binary"), "binary"),
     np.array([0, 1, 2, 1]), "labels in \\[0, 1\\].*task='multiclass'"),
])
def test_wrong_labels_for_loss_fail_before_training(model_fn, labels, message):
    model = model_fn()
    weights = [w.copy() for w in model.get_weights()]
    ds = data.make_dataset(np.zeros((4, 8, 8, 1), "uint8"), labels, batch_size=4)
    with pytest.raises(ValueError, match=message):
        training.fit(model, ds, epochs=1, verbose=0)
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)  # nothing was trained


def test_softmax_with_binary_crossentropy_is_caught():
    model = models.build_dense((8, 8, 1), 3)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="softmax but the loss is binary_crossentropy"):
        training.check_labels_for_model(model, np.array([0, 1, 2]))


def test_uncompiled_model_is_caught():
    ds = data.make_dataset(np.zeros((4, 8, 8, 1), "uint8"), np.zeros(4, int), batch_size=4)
    with pytest.raises(ValueError, match="not compiled"):
        training.fit(models.build_dense((8, 8, 1), task="binary"), ds, epochs=1)


@pytest.mark.trains
def test_fit_learns_and_checkpoints_the_best_model(tmp_path, blobs):
    set_seed(0)
    x, y = blobs()
    train = data.make_dataset(x, y, batch_size=16, shuffle=True, seed=0)
    val = data.make_dataset(x, y, batch_size=64)
    model = models.compile_for_task(models.build_dense((8, 8, 1), task="binary", hidden_units=(8,)),
                                    "binary", learning_rate=1e-2)
    path = tmp_path / "out" / "best.keras"
    # The reference: Keras's own best-model checkpoint, written beside ours during the same training.
    keras_path = tmp_path / "keras" / "best.keras"
    keras_path.parent.mkdir()
    keras_best = keras.callbacks.ModelCheckpoint(keras_path, monitor="val_loss", save_best_only=True)
    history = training.fit(model, train, val, epochs=6, patience=3, checkpoint=path, verbose=0,
                           callbacks=[keras_best])
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]
    restored, reference = keras.models.load_model(path), keras.models.load_model(keras_path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), reference.predict(x, verbose=0))
    assert restored.evaluate(val, verbose=0)[0] == pytest.approx(history.history["val_loss"][history.best_epoch - 1],
                                                                 rel=1e-5)
    assert sorted(p.name for p in path.parent.iterdir()) == ["best.keras"]  # no temp files left


@pytest.mark.trains
def test_early_stopping_restores_best_weights(blobs):
    set_seed(0)
    x, y = blobs()
    train = data.make_dataset(x, y, batch_size=16)
    # Validation labels are the opposite: validation loss rises as training learns, so it stops early.
    val = data.make_dataset(x, 1 - y, batch_size=64)
    model = models.compile_for_task(models.build_dense((8, 8, 1), task="binary", hidden_units=(8,)),
                                    "binary", learning_rate=1e-2)
    history = training.fit(model, train, val, epochs=30, patience=2, verbose=0)
    assert len(history.history["loss"]) < 30
    best = min(history.history["val_loss"])
    assert model.evaluate(val, verbose=0)[0] == pytest.approx(best, rel=1e-4)


def test_argument_errors(tmp_path, blobs):
    x, y = blobs(8)
    ds = data.make_dataset(x, y, batch_size=4)
    model = models.compile_for_task(models.build_dense((8, 8, 1), task="binary"), "binary")
    with pytest.raises(ValueError, match="The `validation` argument must be a dataset"):
        training.fit(model, ds, patience=2)
    with pytest.raises(ValueError, match="ending in '.keras'"):
        training.fit(model, ds, ds, checkpoint=tmp_path / "best.h5")
    with pytest.raises(ValueError, match="The `epochs` argument must be a positive integer"):
        training.fit(model, ds, epochs=0)
    empty = ds.take(0)
    with pytest.raises(ValueError, match=r"must be a dataset with at least one batch\. "
                                         r"Received for `train`: an empty dataset$"):
        training.fit(model, empty, epochs=1)


def _keras_early_stopping_direction(model, name):
    """The reference: which of two epochs (1.0 then 2.0) Keras's own EarlyStopping calls the best."""
    early = keras.callbacks.EarlyStopping(monitor=name, patience=5)
    early.set_model(model)
    early.on_train_begin()
    early.on_epoch_end(0, {name: 1.0})
    early.on_epoch_end(1, {name: 2.0})
    return "min" if early.best == 1.0 else "max"


def test_metric_direction_is_keras_early_stopping_s_answer():
    regression = models.build_dense((8, 8, 1), task="regression")
    regression.compile("adam", "mse", metrics=["mae", "mse", keras.metrics.RootMeanSquaredError()])
    classifier = models.build_dense((8, 8, 1), task="binary")
    classifier.compile("adam", "binary_crossentropy", metrics=["accuracy", keras.metrics.AUC(name="auc")])
    for model in (regression, classifier):
        model.fit(np.zeros((2, 8, 8, 1)), np.zeros(2), verbose=0)  # builds the compiled metrics
        names = [n for n in model.get_metrics_result()]
        assert len(names) >= 3
        for name in names + [f"val_{n}" for n in names]:
            expected = _keras_early_stopping_direction(model, name)
            assert training.metric_direction(name, model) == expected, name
            assert training.metric_direction(name) == expected, name  # from the name alone, too
    assert training.metric_direction("val_my_score", strict=False) is None
    with pytest.raises(ValueError, match=r"The `metric` argument must be a loss or a metric whose better direction"):
        training.metric_direction("val_my_score")


@pytest.mark.trains
def test_the_checkpoint_and_best_epoch_keep_the_lowest_val_mae_like_keras(tmp_path):
    # A regression model watched on val_mae: lower is better. The reference is Keras's own
    # ModelCheckpoint, told nothing but the metric's name, written during the same training.
    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (64, 8, 8, 1), dtype="uint8")
    y = x.reshape(64, -1).mean(axis=1) / 255.0
    train = data.make_dataset(x, y, batch_size=16, shuffle=True, seed=0)
    val = data.make_dataset(x[:32], y[:32], batch_size=32)
    model = models.compile_for_task(models.build_dense((8, 8, 1), task="regression", hidden_units=(8,)),
                                    "regression", learning_rate=1e-2)
    path, keras_path = tmp_path / "ours.keras", tmp_path / "keras.keras"
    keras_best = keras.callbacks.ModelCheckpoint(keras_path, monitor="val_mae", save_best_only=True)
    history = training.fit(model, train, val, epochs=6, monitor="val_mae", checkpoint=path, verbose=0,
                           callbacks=[keras_best])
    val_mae = history.history["val_mae"]
    assert val_mae[-1] < val_mae[0]  # it learns: the first epoch is not the best
    assert history.best_epoch == int(np.argmin(val_mae)) + 1
    restored, reference = keras.models.load_model(path), keras.models.load_model(keras_path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), reference.predict(x, verbose=0))


def test_arrays_instead_of_a_dataset_get_the_package_s_error():
    model = models.compile_for_task(models.build_dense((8, 8, 1), task="binary"), "binary")
    x, y = np.zeros((4, 8, 8, 1), "uint8"), np.zeros(4, int)
    with pytest.raises(ValueError, match=r"The `train` argument must be a tf.data.Dataset of \(images, labels\) "
                                         r"batches\. Received for `train`: a tuple\. "
                                         r"Build one with cnn_course.data.make_dataset"):
        training.fit(model, (x, y), epochs=1)
    history = training.fit(model, data.make_dataset(x, y, batch_size=4), (x, y), epochs=1, verbose=0)
    assert "val_loss" in history.history  # validation may be a pair, as Keras's validation_data
