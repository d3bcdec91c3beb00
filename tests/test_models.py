"""Model builders against published parameter counts and Keras's own shape inference."""

import keras
import numpy as np
import pytest

from cnn_course import models


def test_book_presets_have_published_parameter_counts():
    # Chollet, Deep Learning with Python (1st ed.): listing 5.1 and section 5.2.
    assert models.mnist_convnet().count_params() == 93_322
    assert models.cats_vs_dogs_convnet().count_params() == 3_453_121
    assert models.build_preset("cats_vs_dogs", dropout=0.5).count_params() == 3_453_121


def test_dense_parameter_count_by_hand():
    model = models.build_dense((28, 28, 1), num_classes=10, hidden_units=(512,))
    assert model.count_params() == (28 * 28 * 512 + 512) + (512 * 10 + 10)


@pytest.mark.parametrize("input_shape,filters,padding,pool,convs", [
    ((150, 150, 3), (32, 64, 128, 128), "valid", 2, 1),
    ((64, 64, 3), (16, 32), "same", 2, 2),
    ((33, 47, 1), (8, 8, 8), "valid", 2, 1),
    ((40, 40, 3), (4, 4), "valid", 3, 2),
    ((32, 32, 3), (8,), "same", None, 1),
])
def test_convnet_shapes_match_keras(input_shape, filters, padding, pool, convs):
    predicted = models.convnet_shapes(input_shape, filters, 3, padding, pool, convs)
    model = models.build_convnet(input_shape, 3, filters=filters, padding=padding,
                                 pool_size=pool, convs_per_block=convs)
    last = f"block{len(filters)}_pool" if pool else f"block{len(filters)}_conv{convs}"
    assert tuple(model.get_layer(last).output.shape[1:]) == predicted[-1][1]
    assert [name for name, _ in predicted] == [f"block{i}" for i in range(1, len(filters) + 1)]


def test_input_too_small_names_the_block():
    with pytest.raises(ValueError, match=r"too small.*after block3.*Use a larger input_shape"):
        models.build_convnet((20, 20, 3), 4, filters=(8, 8, 8, 8))


@pytest.mark.parametrize("task,units,activation,loss", [
    ("binary", 1, "sigmoid", "binary_crossentropy"),
    ("multiclass", 5, "softmax", "sparse_categorical_crossentropy"),
    ("multilabel", 5, "sigmoid", "binary_crossentropy"),
    ("regression", 1, None, "mse"),
    ("regression_0_1", 1, "sigmoid", "mse"),
])
def test_task_head_follows_the_lecture_table(task, units, activation, loss):
    head = models.task_head(task, num_classes=5 if task.startswith("multi") else None)
    assert (head["units"], head["activation"], head["loss"]) == (units, activation, loss)
    model = models.compile_for_task(
        models.build_convnet((16, 16, 1), head["units"] if task.startswith("multi") else None,
                             task=task, filters=(4,)), task)
    assert model.output_shape == (None, units)
    assert model.loss == loss
    out_activation = model.get_layer("output").activation.__name__
    assert out_activation == (activation or "linear")


def test_one_hot_multiclass_uses_categorical_crossentropy():
    assert models.task_head("multiclass", 3, one_hot=True)["loss"] == "categorical_crossentropy"


def test_errors_use_the_template():
    with pytest.raises(ValueError, match=r"The `task` argument must be one of .*Received: task='multi'"):
        models.task_head("multi", 3)
    with pytest.raises(ValueError, match=r"For two classes use task='binary'"):
        models.task_head("multiclass", 1)
    with pytest.raises(ValueError, match=r"`input_shape` argument .*Received: input_shape=\(64, 64\)"):
        models.build_convnet((64, 64), 3)
    with pytest.raises(ValueError, match=r"The `kernel_size` argument must be a positive integer"):
        models.convnet_shapes((32, 32, 3), kernel_size=(True, 3))  # a bool is not a size
    model = models.build_convnet((16, 16, 1), 3, filters=(4,))
    with pytest.raises(ValueError, match=r"3 output unit\(s\) but task='binary' expects 1"):
        models.compile_for_task(model, "binary")


def test_augmentation_inside_model_is_inactive_at_inference():
    aug = keras.layers.RandomFlip("horizontal", seed=1)
    model = models.build_convnet((8, 8, 1), 2, filters=(2,), pool_size=None, augmentation=aug)
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    assert model.layers[1] is aug
