"""Exercises: each computed answer agrees with Keras, and check() accepts it and hints otherwise."""

import keras
import numpy as np
import pytest

from cnn_course.exercises import EXERCISES, check


def _01_output_size_valid():
    return keras.layers.Conv2D(1, 5).compute_output_shape((1, 32, 32, 1))[1]


def _01_output_size_stride():
    padded = keras.layers.ZeroPadding2D(1).compute_output_shape((1, 64, 64, 1))
    return keras.layers.Conv2D(1, 3, strides=2).compute_output_shape(padded)[1]


def _01_same_padding():
    # The padding that makes a valid 7x7 convolution keep the size.
    return next(p for p in range(10) if keras.layers.Conv2D(1, 7).compute_output_shape(
        keras.layers.ZeroPadding2D(p).compute_output_shape((1, 20, 20, 1)))[1] == 20)


def _01_cross_correlation():
    x = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 1]], "float32")
    k = np.array([[-1, 1], [-1, 1]], "float32")
    return np.asarray(keras.ops.conv(x[None, :, :, None], k[:, :, None, None]))[0, :, :, 0]


def _01_conv_params():
    layer = keras.layers.Conv2D(64, 3)
    layer.build((None, 10, 10, 32))
    return layer.count_params()


def _01_dense_params():
    layer = keras.layers.Dense(100)
    layer.build((None, 1000 * 1000))
    return layer.count_params()


def _02_pool_output_shape():
    return keras.layers.MaxPooling2D(2).compute_output_shape((1, 26, 26, 32))[1:]


def _02_max_pool():
    x = np.array([[2, 0, 1, 3], [5, 1, 0, 2], [1, 1, 4, 0], [3, 6, 2, 2]], "float32")
    return np.asarray(keras.layers.MaxPooling2D(2)(x[None, :, :, None]))[0, :, :, 0]


def _02_pool_params():
    return keras.layers.MaxPooling2D(2).count_params()


def _02_receptive_field():
    # The field of the last unit is the smallest input that still gives a 1x1 output.
    def fits(n):
        stack = keras.Sequential([keras.layers.Conv2D(1, 3)] * 3 + [keras.layers.MaxPooling2D(2),
                                                                     keras.layers.Conv2D(1, 3)])
        try:
            return stack.compute_output_shape((1, n, n, 1))[1] >= 1
        except ValueError:  # Keras refuses an input that the stack would shrink to nothing
            return False
    return next(n for n in range(1, 100) if fits(n))


def _00_first_conv_params():
    layer = keras.layers.Conv2D(32, 3)
    layer.build((None, 64, 64, 3))
    return layer.count_params()


def _03_batchnorm_params():
    layer = keras.layers.BatchNormalization()
    layer.build((None, 8, 8, 32))
    return sum(int(np.prod(w.shape)) for w in layer.trainable_weights), layer.count_params()


def _04_trainable_head():
    head = keras.Sequential([keras.Input((4, 4, 512)), keras.layers.Flatten(), keras.layers.Dense(256),
                             keras.layers.Dense(1)])
    return head.count_params()


def _05_cam_map_height():
    from cnn_course import models

    return models.shapes_convnet((64, 64, 3), 4).get_layer("block2_act1").output.shape[1]


def _06_random_search_hit():
    draws = np.random.default_rng(0).random((100_000, 60)) < 0.05  # a simulation of the searches
    return draws.any(axis=1).mean()


def _07_two_3x3_vs_one_5x5():
    def weights(kernel):
        layer = keras.layers.Conv2D(64, kernel, use_bias=False)
        layer.build((None, 16, 16, 64))
        return layer.count_params()
    return 2 * weights(3), weights(5)


def _08_l2_penalty():
    return float(keras.regularizers.l2(0.01)(keras.ops.convert_to_tensor([1.0, -2.0, 2.0])))


def _08_dropout_scale():
    out = np.asarray(keras.layers.Dropout(0.2, seed=0)(np.ones((1, 1000), "float32"), training=True))
    return out[out > 0][0]  # any unit that was kept


def _01_gd_step():
    import tensorflow as tf

    w = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        loss = (w * 3.0 - 12.0) ** 2
    keras.optimizers.SGD(0.01).apply_gradients([(tape.gradient(loss, w), w)])
    return float(w.numpy())


def _01_conv3d_params():
    layer = keras.layers.Conv3D(16, 3)
    layer.build((None, 8, 32, 32, 3))
    return layer.count_params()


def _03_crop_area():
    # Measured through the layer: on ramps from 0 to 1, a cropped ramp runs from its window's start to its end.
    from cnn_course.augmentation import RandomCropAndResize

    ramp = np.linspace(0.0, 1.0, 33, dtype="float32")
    images = np.zeros((4, 33, 33, 2), "float32")
    images[..., 0], images[..., 1] = ramp[:, None], ramp[None, :]
    out = np.asarray(RandomCropAndResize(0.25, seed=0)(images, training=True))
    heights = out[:, -1, 0, 0] - out[:, 0, 0, 0]
    widths = out[:, 0, -1, 1] - out[:, 0, 0, 1]
    return float(np.mean(heights * widths))


def _07_sigmoid_chain():
    # The largest derivative of Keras's sigmoid, found by the tape on a fine grid, to the fifth power.
    import tensorflow as tf

    z = tf.constant(np.linspace(-6.0, 6.0, 1201), dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(z)
        s = keras.activations.sigmoid(z)
    return float(tf.reduce_max(tape.gradient(s, z))) ** 5


def _07_dense_channels():
    # A dense block and transition written with plain Keras layers, the channels read off the output.
    x = inputs = keras.Input((8, 8, 64))
    for _ in range(6):
        x = keras.layers.Concatenate()([x, keras.layers.Conv2D(32, 3, padding="same")(x)])
    after_block = int(x.shape[-1])
    after_transition = keras.layers.Conv2D(after_block // 2, 1)(x)
    keras.Model(inputs, after_transition)
    return after_block, int(after_transition.shape[-1])


def _10_backprop():
    import tensorflow as tf

    w1 = tf.Variable(0.5)
    with tf.GradientTape() as tape:
        loss = (2.0 * tf.nn.relu(w1 * 3.0) - 1.0) ** 2
    return float(tape.gradient(loss, w1))


def _10_tent_pieces():
    # The tent as a Keras network of 6 Dense layers of 2 ReLU units, read on a fine grid: count its bends.
    inputs = x = keras.Input((1,))
    for _ in range(6):
        hidden = keras.layers.Dense(2, activation="relu")
        x = hidden(x)
        hidden.set_weights([np.array([[1.0, 1.0]]), np.array([0.0, -0.5])])  # relu(z), relu(z - 0.5)
        combine = keras.layers.Dense(1)
        x = combine(x)
        combine.set_weights([np.array([[2.0], [-4.0]]), np.array([0.0])])
    grid = np.linspace(0, 1, 2 ** 12 + 1)
    values = keras.Model(inputs, x).predict(grid[:, None], verbose=0)[:, 0].astype(np.float64)
    slopes = np.round(np.diff(values) / np.diff(grid), 2)
    pieces = 1 + int(np.count_nonzero(np.diff(slopes)))
    return pieces, pieces - 1


def _10_momentum_step():
    # Keras's own SGD with momentum, fed the same gradient until the step stops changing.
    import tensorflow as tf

    w = tf.Variable(0.0, dtype=tf.float64)
    optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
    for _ in range(400):
        before = float(w.numpy())
        optimizer.apply_gradients([(tf.constant(2.0, dtype=tf.float64), w)])
    return before - float(w.numpy())


def _09_iou():
    # Counted pixel by pixel on a grid: a different computation from the formula.
    true_box, predicted_box = np.zeros((8, 8), bool), np.zeros((8, 8), bool)
    true_box[0:4, 0:4], predicted_box[2:6, 2:6] = True, True
    return (true_box & predicted_box).sum() / (true_box | predicted_box).sum()


def _09_multilabel_loss():
    return float(keras.losses.binary_crossentropy(np.array([[1.0, 0, 1, 0]]), np.array([[0.9, 0.2, 0.8, 0.1]]))[0])


#: The same answers, computed independently with Keras layers (or a simulation), by exercise.
_KERAS_ANSWERS = {
    "01.gd_step": _01_gd_step,
    "09.iou": _09_iou,
    "07.sigmoid_chain": _07_sigmoid_chain,
    "03.crop_area": _03_crop_area,
    "01.conv3d_params": _01_conv3d_params,
    "07.dense_channels": _07_dense_channels,
    "10.backprop": _10_backprop,
    "10.momentum_step": _10_momentum_step,
    "10.tent_pieces": _10_tent_pieces,
    "09.multilabel_loss": _09_multilabel_loss,
    "08.l2_penalty": _08_l2_penalty,
    "08.dropout_scale": _08_dropout_scale,
    "01.output_size_valid": _01_output_size_valid,
    "01.output_size_stride": _01_output_size_stride,
    "01.same_padding": _01_same_padding,
    "01.cross_correlation": _01_cross_correlation,
    "01.conv_params": _01_conv_params,
    "01.dense_params": _01_dense_params,
    "02.pool_output_shape": _02_pool_output_shape,
    "02.max_pool": _02_max_pool,
    "02.pool_params": _02_pool_params,
    "02.receptive_field": _02_receptive_field,
    "00.first_conv_params": _00_first_conv_params,
    "03.batchnorm_params": _03_batchnorm_params,
    "04.trainable_head": _04_trainable_head,
    "05.cam_map_height": _05_cam_map_height,
    "06.random_search_hit": _06_random_search_hit,
    "07.two_3x3_vs_one_5x5": _07_two_3x3_vs_one_5x5,
}


def _keras_answer(name):
    if name not in _KERAS_ANSWERS:
        raise AssertionError(f"no independent answer for {name}")
    return _KERAS_ANSWERS[name]()


@pytest.mark.parametrize("name", list(EXERCISES))
def test_solution_matches_keras_and_is_accepted(name, capsys):
    expected = _keras_answer(name)
    # A simulation's error; Keras keeps the optimiser's learning rate in float32 (0.01 is 0.0099999998).
    atol = {"06.random_search_hit": 0.005, "10.momentum_step": 1e-6}.get(name, 0)
    np.testing.assert_allclose(np.asarray(EXERCISES[name].solution(), float), np.asarray(expected, float), atol=atol)
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


def test_every_notebook_has_exercises_worked_answers_and_key_points():
    import pathlib
    import re

    from cnn_course.exercises import TRY_IT, solution

    notebooks = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.py"))
    assert len(notebooks) >= 8
    checked, revealed = set(), set()
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        here = set(re.findall(r'exercises\.check\("([^"]+)"', text))
        assert here, f"{path.name} has no self-checking exercise"
        assert all(name.startswith(path.name[:2] + ".") for name in here), (path.name, here)
        assert "# ## Key points" in text and "# **Next:**" in text, path.name
        checked |= here
        revealed |= set(re.findall(r'exercises\.solution\("([^"]+)"\)', text))
    assert checked == set(EXERCISES)  # every exercise is asked somewhere, and only those
    assert revealed == set(TRY_IT)  # every worked answer is offered where its question is
    for name in [*EXERCISES, *TRY_IT]:
        solution(name)  # prints; must not raise
    with pytest.raises(KeyError, match="try-it items: 00.two_blocks"):
        solution("03.nope")
