"""cnn_course.cost: multiply-adds counted from the layers, against hand arithmetic and the lecture's Inception count."""

import pytest

from cnn_course import architectures, cost
from cnn_course.settings import import_keras

keras = import_keras()
L = keras.layers


def _model(*layers, shape=(28, 28, 1)):
    return keras.Sequential([keras.Input(shape), *layers])


@pytest.mark.parametrize("layer, expected", [
    (L.Conv2D(8, 3), 26 * 26 * 3 * 3 * 1 * 8),
    (L.Conv2D(8, 3, padding="same", strides=2), 14 * 14 * 3 * 3 * 1 * 8),
    (L.Conv2D(4, 5, dilation_rate=2), 20 * 20 * 5 * 5 * 4),
    (L.DepthwiseConv2D(3, depth_multiplier=2), 26 * 26 * 3 * 3 * 1 * 2),
    (L.SeparableConv2D(8, 3), 26 * 26 * (3 * 3 * 1 + 1 * 8)),
    (L.Conv2DTranspose(4, 3, strides=2), 28 * 28 * 3 * 3 * 4 * 1),
    (L.MaxPooling2D(2), 0),
    (L.BatchNormalization(), 0),
])
def test_one_layer_against_hand_arithmetic(layer, expected):
    assert cost.multiply_adds(_model(layer)) == expected


def test_grouped_convolution_and_channels():
    model = _model(L.Conv2D(8, 3, groups=2), shape=(10, 10, 4))  # each filter sees 4 / 2 = 2 channels
    assert cost.multiply_adds(model) == 8 * 8 * 3 * 3 * 2 * 8


def test_a2s_lecture_network_and_inception_3a_by_hand():
    model = _model(L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"),
                   L.MaxPooling2D(2), L.Flatten(), L.Dense(10, activation="softmax"))
    assert cost.multiply_adds(model) == 26 * 26 * 9 * 32 + 11 * 11 * 9 * 32 * 64 + 1600 * 10 == 2_440_960
    # Szegedy et al.'s module 3a on a 28x28x192 input, with its reductions: the same multiply_adds, re-exported.
    assert architectures.multiply_adds is cost.multiply_adds
    reduced = 28 * 28 * (192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 25 * 16 * 32 + 192 * 32)
    assert architectures.inception_3a_counts()["reduced"]["multiply_adds"] == reduced


def test_nested_models_are_counted():
    inner = _model(L.Conv2D(8, 3), L.GlobalAveragePooling2D(), shape=(12, 12, 1))
    inputs = keras.Input((12, 12, 1))
    outer = keras.Model(inputs, L.Dense(10)(inner(inputs)))
    assert cost.multiply_adds(outer) == 10 * 10 * 9 * 8 + 8 * 10


def test_an_unknown_layer_is_refused_not_counted_as_free():
    with pytest.raises(ValueError, match="cannot count a LSTM layer"):
        cost.multiply_adds(_model(L.Reshape((28, 28)), L.LSTM(4)))
    with pytest.raises(ValueError, match="Keras model"):
        cost.multiply_adds("a model")


def test_training_cost():
    model = _model(L.Flatten(), L.Dense(10))
    result = cost.training_cost(model, images=3500, epochs=3)
    assert result == cost.TrainingCost(7850, 7840, 3500, 3, 7840 * 3500 * 3)
    assert "82,320,000 multiply-adds" in str(result)
    for bad in ({"images": 0, "epochs": 1}, {"images": 10, "epochs": 2.5}):
        with pytest.raises(ValueError):
            cost.training_cost(model, **bad)
