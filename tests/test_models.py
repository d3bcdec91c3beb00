"""Model builders against published parameter counts and Keras's own shape inference."""

import re

import keras
import numpy as np
import pytest

from cnn_course import models


L = keras.layers

# Each preset's published parameter count and its layers as its source writes them, in plain Keras.
PUBLISHED = {
    # keras.io, "Simple MNIST convnet" (examples/vision/mnist_convnet.py).
    "keras_io_mnist": (34_826, lambda: keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.5),
        L.Dense(10, activation="softmax")])),
    # Chollet, Deep Learning with Python, 1st ed., listing 5.1 + 5.2.
    "mnist": (93_322, lambda: keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"),
        L.Flatten(), L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")])),
    # Deep Learning with Python, 2nd ed., listing 8.1 (less its parameter-free Rescaling layer).
    "mnist_2nd_edition": (104_202, lambda: keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Conv2D(128, 3, activation="relu"),
        L.Flatten(), L.Dense(10, activation="softmax")])),
    # Deep Learning with Python, 1st ed., listing 5.5.
    "cats_vs_dogs": (3_453_121, lambda: keras.Sequential([
        keras.Input((150, 150, 3)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Conv2D(128, 3, activation="relu"),
        L.MaxPooling2D(2), L.Conv2D(128, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(512, activation="relu"), L.Dense(1, activation="sigmoid")])),
    # Dive into Deep Learning, 7.6 (LeNet): padding=2 is "same" for a 5x5 kernel; output as softmax.
    "lenet5": (61_706, lambda: keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(6, 5, padding="same", activation="sigmoid"),
        L.AveragePooling2D(2), L.Conv2D(16, 5, activation="sigmoid"), L.AveragePooling2D(2),
        L.Flatten(), L.Dense(120, activation="sigmoid"), L.Dense(84, activation="sigmoid"),
        L.Dense(10, activation="softmax")])),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_presets_have_published_parameter_counts(name):
    count, _ = PUBLISHED[name]
    assert models.build_preset(name).count_params() == count


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_presets_are_the_networks_written_by_hand(name):
    by_hand, built = PUBLISHED[name][1](), models.build_preset(name)
    assert [type(x).__name__ for x in built.layers[1:]] == [type(x).__name__ for x in by_hand.layers]
    assert built.output_shape == by_hand.output_shape
    assert models.compare_layers(by_hand, built) == []


def test_shapes_preset_is_the_network_written_by_hand_and_counted_by_hand():
    def conv_bn_relu(filters):
        return [L.Conv2D(filters, 3, use_bias=False, kernel_initializer="he_normal"),
                L.BatchNormalization(momentum=0.9), L.Activation("relu"), L.MaxPooling2D(2)]

    by_hand = keras.Sequential([keras.Input((64, 64, 3)), *conv_bn_relu(16), *conv_bn_relu(32),
                                *conv_bn_relu(64), L.GlobalMaxPooling2D(), L.Dense(4, activation="softmax")])
    built = models.build_preset("shapes")
    assert models.compare_layers(by_hand, built) == []
    # Kernels without biases, 4 numbers per channel for each BN (2 trained, 2 moving statistics), 64 -> 4.
    kernels, bns, output = 3 * 3 * 3 * 16 + 3 * 3 * 16 * 32 + 3 * 3 * 32 * 64, 4 * (16 + 32 + 64), 64 * 4 + 4
    assert built.count_params() == kernels + bns + output == 24_180
    assert built.get_layer("block2_conv1").get_config()["kernel_initializer"]["class_name"] == "HeNormal"
    assert built.get_layer("block2_bn1").momentum == 0.9
    assert built.get_layer("gmp").output.shape == (None, 64)
    with_dropout = models.shapes_convnet(dropout=0.3)
    assert [x.name for x in with_dropout.layers[-3:]] == ["gmp", "dropout", "output"]


def test_global_max_pooling_head_takes_each_channels_maximum():
    model = models.build_convnet((8, 8, 1), 2, filters=(3,), pool_size=None, dense_units=(), head="gmp")
    features = keras.Model(model.input, model.get_layer("gmp").output)
    feature_maps = keras.Model(model.input, model.get_layer("block1_conv1").output)
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(features.predict(x, verbose=0),
                               feature_maps.predict(x, verbose=0).max(axis=(1, 2)), rtol=1e-6)


def test_kernel_initializer_reaches_convolutions_and_hidden_dense_layers():
    model = models.build_convnet((16, 16, 1), 2, filters=(4, 4), dense_units=(8,), kernel_initializer="he_normal")
    for name in ("block1_conv1", "block2_conv1", "dense1"):
        assert model.get_layer(name).get_config()["kernel_initializer"]["class_name"] == "HeNormal"
    default = models.build_convnet((16, 16, 1), 2, filters=(4,), dense_units=(8,))
    assert default.get_layer("dense1").get_config()["kernel_initializer"]["class_name"] == "GlorotUniform"


def test_preset_names_and_options():
    assert set(models.PRESETS) == set(PUBLISHED) | {"shapes"}
    assert models.build_preset("cats_vs_dogs", dropout=0.5).count_params() == 3_453_121
    assert [x.name for x in models.mnist_convnet().layers] == [
        "image", "block1_conv1", "block1_pool", "block2_conv1", "block2_pool", "block3_conv1",
        "flatten", "dense1", "output"]
    with pytest.raises(ValueError, match=r"The `name` argument must be one of .*'lenet5'.*Received: name='vgg'"):
        models.build_preset("vgg")


def test_keras_io_preset_has_dropout_right_before_the_output():
    layers = models.keras_io_mnist_convnet().layers
    assert isinstance(layers[-2], keras.layers.Dropout) and layers[-2].rate == 0.5
    assert isinstance(layers[-3], keras.layers.Flatten) and layers[-1].name == "output"


def test_dropout_goes_before_each_hidden_dense_layer():
    model = models.build_convnet((16, 16, 1), 3, filters=(4,), dense_units=(8, 6), dropout=0.25)
    assert [x.name for x in model.layers[-5:]] == ["dropout1", "dense1", "dropout2", "dense2", "output"]
    model = models.build_dense((8, 8, 1), 3, hidden_units=(), dropout=0.25)
    assert [type(x).__name__ for x in model.layers] == ["InputLayer", "Flatten", "Dropout", "Dense"]


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


@pytest.mark.parametrize("input_shape,filters,kwargs", [
    ((28, 28, 1), (32, 64, 64), {"pool_last": False}),
    ((28, 28, 1), (6, 16), {"kernel_size": 5, "padding": ("same", "valid"), "pooling": "average"}),
    ((64, 64, 3), (8, 16, 32), {"downsample": "stride"}),
    ((37, 29, 3), (8, 16), {"downsample": "stride", "padding": "same", "convs_per_block": 2}),
    ((33, 33, 1), (8, 8), {"downsample": "stride", "pool_size": 3, "pool_last": False}),
    ((40, 60, 3), (4, 4, 4), {"padding": ["valid", "same", "valid"], "pool_size": (2, 3)}),
])
def test_convnet_shapes_follow_the_options(input_shape, filters, kwargs):
    predicted = models.convnet_shapes(input_shape, filters, **kwargs)
    model = models.build_convnet(input_shape, 3, filters=filters, **kwargs)
    for (block, shape), i in zip(predicted, range(1, len(filters) + 1)):
        last = [x for x in model.layers if x.name.startswith(f"block{i}_")][-1]
        assert (block, tuple(last.output.shape[1:])) == (f"block{i}", shape)


@pytest.mark.parametrize("padding,filters,size", [
    ("same", (8, 16, 32), 8),  # 64 -> 32 -> 16 -> 8 either way
    ("valid", (8,), 31),  # 64 -> 62 -> 31, and (64 - 3) // 2 + 1 = 31
])
def test_strided_convolution_downsamples_like_pooling(padding, filters, size):
    pooled = models.build_convnet((64, 64, 3), 2, filters=filters, padding=padding)
    strided = models.build_convnet((64, 64, 3), 2, filters=filters, padding=padding, downsample="stride")
    last = f"block{len(filters)}"
    assert pooled.get_layer(f"{last}_pool").output.shape[1:3] == (size, size)
    assert strided.get_layer(f"{last}_conv1").output.shape[1:3] == (size, size)
    assert not any(isinstance(x, keras.layers.MaxPooling2D) for x in strided.layers)
    assert {strided.get_layer(f"block{i}_conv1").strides for i in range(1, len(filters) + 1)} == {(2, 2)}
    assert pooled.count_params() == strided.count_params()  # a stride adds no weights


def test_batchnorm_sits_between_a_bias_free_conv_and_the_activation():
    model = models.build_convnet((32, 32, 3), 5, filters=(8,), convs_per_block=2, dense_units=(),
                                 batchnorm=True)
    assert [(type(x).__name__, x.name) for x in model.layers[1:8]] == [
        ("Conv2D", "block1_conv1"), ("BatchNormalization", "block1_bn1"), ("Activation", "block1_act1"),
        ("Conv2D", "block1_conv2"), ("BatchNormalization", "block1_bn2"), ("Activation", "block1_act2"),
        ("MaxPooling2D", "block1_pool")]
    conv = model.get_layer("block1_conv1")
    assert conv.use_bias is False and conv.get_config()["activation"] == "linear"
    assert model.get_layer("block1_act1").get_config()["activation"] == "relu"
    # By hand: 3*3*3*8 + 3*3*8*8 kernel weights, 4*8 per BN (gamma, beta trainable; mean, variance not),
    # 32->30->28->14: 14*14*8 inputs into 5 units.
    convs, bns, dense = 3 * 3 * 3 * 8 + 3 * 3 * 8 * 8, 2 * 4 * 8, 14 * 14 * 8 * 5 + 5
    assert model.count_params() == convs + bns + dense
    assert sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) == 2 * 2 * 8


def test_global_average_pooling_head_parameter_count_by_hand():
    model = models.build_convnet((32, 32, 3), 5, filters=(8, 16), dense_units=(32,), head="gap")
    assert "flatten" not in [x.name for x in model.layers]
    assert model.get_layer("gap").output.shape == (None, 16)
    by_hand = (3 * 3 * 3 * 8 + 8) + (3 * 3 * 8 * 16 + 16) + (16 * 32 + 32) + (32 * 5 + 5)
    assert model.count_params() == by_hand == 2101


def test_input_too_small_names_the_block():
    with pytest.raises(ValueError, match=r"too small.*after block3.*Use a larger input_shape"):
        models.build_convnet((20, 20, 3), 4, filters=(8, 8, 8, 8))
    # 28 -> 26 -> 13 -> 11 -> 5 -> 3 -> 1, and block4 has no pooling to blame: its convolution vanishes.
    with pytest.raises(ValueError, match=r"Input 28x28 is too small .*0x0 after block4\. .*filters=\(8, 8, 8\)"):
        models.build_convnet((28, 28, 1), 4, filters=(8, 8, 8, 8), pool_last=False)
    models.build_convnet((28, 28, 1), 4, filters=(8, 8, 8), pool_last=False)  # one block fewer fits
    # 20 -> 9 -> 4 -> 1 -> 0 with 3x3 valid convolutions of stride 2.
    with pytest.raises(ValueError, match=r"conv\(3x3, valid, stride 2x2\) blocks: .*0x0 after block4"):
        models.convnet_shapes((20, 20, 3), (8, 8, 8, 8), downsample="stride")


@pytest.mark.parametrize("kwargs,message", [
    ({"padding": ("same",)}, r"`padding` argument must be 'valid', 'same', or a tuple of 2 of them .*"
                             r"Received: padding=\('same',\)\. For example padding=\('same', 'valid'\)"),
    ({"padding": ("same", "full")}, r"`padding\[1\]` argument must be one of 'valid', 'same'"),
    ({"pooling": "min"}, r"`pooling` argument must be one of 'max', 'average'\. Received: pooling='min'"),
    ({"head": "avg"}, r"`head` argument must be one of 'flatten', 'gap', 'gmp'\. Received: head='avg'"),
    ({"downsample": "conv"}, r"`downsample` argument must be one of 'pool', 'stride'"),
    ({"batchnorm": "yes"}, r"`batchnorm` argument must be True or False"),
    ({"pool_last": None}, r"`pool_last` argument must be True or False"),
    ({"filters": 8}, r"`filters` argument must be a non-empty tuple .*For three blocks"),
])
def test_new_arguments_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_convnet((28, 28, 1), 10, **{"filters": (8, 8), **kwargs})


@pytest.mark.parametrize("task,units,activation,loss", [
    ("binary", 1, "sigmoid", "binary_crossentropy"),
    ("multiclass", 5, "softmax", "sparse_categorical_crossentropy"),
    ("multilabel", 5, "sigmoid", "binary_crossentropy"),
    ("regression", 1, None, "mse"),
    ("regression_0_1", 1, "sigmoid", "mse"),
])
def test_task_head_follows_the_lecture_table(task, units, activation, loss):
    head = models.task_head(task, num_classes=5 if task.startswith("multi") else None)
    assert (head.units, head.activation, head.loss) == (units, activation, loss)
    model = models.compile_for_task(
        models.build_convnet((16, 16, 1), head.units if task.startswith("multi") else None,
                             task=task, filters=(4,)), task)
    assert model.output_shape == (None, units)
    assert model.loss == loss
    out_activation = model.get_layer("output").activation.__name__
    assert out_activation == (activation or "linear")


def test_one_hot_multiclass_uses_categorical_crossentropy():
    assert models.task_head("multiclass", 3, one_hot=True).loss == "categorical_crossentropy"


def test_task_head_is_read_by_name_and_the_old_dict_keys_still_work_with_a_warning():
    head = models.task_head("multilabel", 4)
    assert head == models.TaskHead(units=4, activation="sigmoid", loss="binary_crossentropy",
                                   metrics=["binary_accuracy"])
    units, activation, loss, metrics = head  # a named tuple unpacks in field order
    assert head[0] == units == 4 and head[-1] == metrics
    with pytest.warns(DeprecationWarning, match=r"task_head\(\.\.\.\)\['loss'\] is deprecated .*\.loss"):
        assert head["loss"] == loss == "binary_crossentropy"


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


def _small_sequential(kernel=3, extra=False):
    layers = [keras.Input((16, 16, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
              L.Conv2D(8, kernel, activation="relu"), L.Flatten()]
    layers += [L.Dense(6, activation="relu")] if extra else []
    return keras.Sequential(layers + [L.Dense(3, activation="softmax")])


def test_compare_layers_ignores_names_and_the_input_layer():
    built = models.build_convnet((16, 16, 1), 3, filters=(4, 8), pool_last=False, dense_units=())
    assert models.compare_layers(_small_sequential(), built) == []
    assert models.compare_layers(built, built) == []


def test_compare_layers_names_the_position_and_both_values():
    built = models.build_convnet((16, 16, 1), 3, filters=(4, 8), pool_last=False, dense_units=())
    differences = models.compare_layers(_small_sequential(kernel=5), built)
    # Keras numbers the hand-written layers' names (conv2d_1, conv2d_2, ...) across the session.
    assert re.fullmatch(r"layer 3 \(Conv2D 'conv2d_\d+' vs 'block2_conv1'\): kernel_size \(5, 5\) vs \(3, 3\)",
                        differences[0])
    assert any(re.search(r"layer 3 .*parameters 808 vs 296", d) for d in differences)  # (5*5*4+1)*8, (3*3*4+1)*8
    assert any(re.search(r"layer 3 .*output shape \(None, 3, 3, 8\) vs \(None, 5, 5, 8\)", d) for d in differences)
    relu_vs_tanh = models.build_convnet((16, 16, 1), 3, filters=(4, 8), pool_last=False, dense_units=(),
                                        activation="tanh")
    assert models.compare_layers(built, relu_vs_tanh) == [
        "layer 1 (Conv2D 'block1_conv1' vs 'block1_conv1'): activation 'relu' vs 'tanh'",
        "layer 3 (Conv2D 'block2_conv1' vs 'block2_conv1'): activation 'relu' vs 'tanh'"]


def test_compare_layers_reports_different_layer_counts_and_types():
    built = models.build_convnet((16, 16, 1), 3, filters=(4, 8), pool_last=False, dense_units=())
    (message,) = models.compare_layers(_small_sequential(extra=True), built)
    assert message.startswith("model_a has 6 layers and model_b has 5 (InputLayer not counted): ")
    assert "'Flatten', 'Dense', 'Dense'] vs [" in message
    average = models.build_convnet((16, 16, 1), 3, filters=(4, 8), pool_last=False, dense_units=(),
                                   pooling="average")
    assert models.compare_layers(built, average) == [
        "layer 2 ('block1_pool' vs 'block1_pool'): type MaxPooling2D vs AveragePooling2D"]
    with pytest.raises(ValueError, match=r"The `model_b` argument must be a built Keras model"):
        models.compare_layers(built, "model")
