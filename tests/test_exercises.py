"""Exercises: each computed answer agrees with Keras, and check() accepts it and hints otherwise."""

import keras
import numpy as np
import pytest

from cnn_course.exercises import EXERCISES, check


def _keras_answer(name):
    """The same answers, computed independently with Keras layers."""
    if name == "01.output_size_valid":
        return keras.layers.Conv2D(1, 5).compute_output_shape((1, 32, 32, 1))[1]
    if name == "01.output_size_stride":
        padded = keras.layers.ZeroPadding2D(1).compute_output_shape((1, 64, 64, 1))
        return keras.layers.Conv2D(1, 3, strides=2).compute_output_shape(padded)[1]
    if name == "01.same_padding":
        # The padding that makes a valid 7x7 convolution keep the size.
        return next(p for p in range(10) if keras.layers.Conv2D(1, 7).compute_output_shape(
            keras.layers.ZeroPadding2D(p).compute_output_shape((1, 20, 20, 1)))[1] == 20)
    if name == "01.cross_correlation":
        x = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 1]], "float32")
        k = np.array([[-1, 1], [-1, 1]], "float32")
        return np.asarray(keras.ops.conv(x[None, :, :, None], k[:, :, None, None]))[0, :, :, 0]
    if name == "01.conv_params":
        layer = keras.layers.Conv2D(64, 3)
        layer.build((None, 10, 10, 32))
        return layer.count_params()
    if name == "01.dense_params":
        layer = keras.layers.Dense(100)
        layer.build((None, 1000 * 1000))
        return layer.count_params()
    if name == "02.pool_output_shape":
        return keras.layers.MaxPooling2D(2).compute_output_shape((1, 26, 26, 32))[1:]
    if name == "02.max_pool":
        x = np.array([[2, 0, 1, 3], [5, 1, 0, 2], [1, 1, 4, 0], [3, 6, 2, 2]], "float32")
        return np.asarray(keras.layers.MaxPooling2D(2)(x[None, :, :, None]))[0, :, :, 0]
    if name == "02.pool_params":
        return keras.layers.MaxPooling2D(2).count_params()
    raise AssertionError(f"no independent answer for {name}")


@pytest.mark.parametrize("name", list(EXERCISES))
def test_solution_matches_keras_and_is_accepted(name, capsys):
    expected = _keras_answer(name)
    np.testing.assert_allclose(np.asarray(EXERCISES[name].solution(), float), np.asarray(expected, float))
    assert check(name, expected) is True
    assert "Correct!" in capsys.readouterr().out


def test_wrong_and_missing_answers_get_hints(capsys):
    assert check("01.conv_params", 18432) is False  # forgot the biases
    assert "Hint: Each of the 64 filters has 3*3*32 weights and 1 bias." in capsys.readouterr().out
    assert check("02.max_pool", [5, 3, 6, 4]) is False
    assert "shape (4,)" in capsys.readouterr().out
    assert check("01.dense_params", None) is False
    assert "Not answered yet" in capsys.readouterr().out


def test_unknown_exercise():
    with pytest.raises(KeyError, match="Known exercises: 01.output_size_valid"):
        check("01.nope", 1)
