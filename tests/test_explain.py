"""Tests for cnn_course.explain: totals against Keras, the arithmetic strings, frozen and nested models."""

import cnn_course  # noqa: F401  (sets TensorFlow's flags before keras is imported)

import re

import keras
import numpy as np
import pytest

from cnn_course import explain, models


def _sizes(weights):
    return int(sum(np.prod(w.shape) for w in weights))


def _check_totals(model, table=None):
    table = table or explain.explain_model(model)
    assert table.total == model.count_params()
    assert table.trainable == _sizes(model.trainable_weights)
    assert table.non_trainable == _sizes(model.non_trainable_weights)
    return table


@pytest.fixture(scope="module")
def vgg16_top():
    return keras.applications.VGG16(weights=None, include_top=True)


@pytest.fixture(scope="module")
def vgg16_base():
    return keras.applications.VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))


@pytest.fixture(scope="module")
def frozen_transfer_model(vgg16_base):
    """VGG16 base frozen, new head with batch normalization and dropout (feature extraction)."""
    vgg16_base.trainable = False
    inputs = keras.Input((150, 150, 3))
    x = vgg16_base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.BatchNormalization(name="head_bn")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="head")(x)
    yield keras.Model(inputs, outputs, name="transfer")
    vgg16_base.trainable = True


def _augmentation():
    return keras.Sequential([keras.Input((150, 150, 3)), keras.layers.RandomFlip("horizontal", name="flip"),
                             keras.layers.RandomRotation(0.1, name="rotate"),
                             keras.layers.Rescaling(1 / 255, name="rescale")], name="augmentation")


MODEL_BUILDERS = {
    "mnist_convnet": models.mnist_convnet,
    "cats_vs_dogs_convnet": models.cats_vs_dogs_convnet,
    "cats_vs_dogs_dropout_augmentation": lambda: models.cats_vs_dogs_convnet(dropout=0.5,
                                                                            augmentation=_augmentation()),
    "convnet_two_convs_per_block": lambda: models.build_convnet((64, 64, 3), num_classes=5, filters=(16, 32),
                                                                convs_per_block=2),
    "convnet_same_padding": lambda: models.build_convnet((150, 150, 3), task="binary", filters=(32, 64, 128),
                                                         padding="same", dense_units=(256, 64), dropout=0.3),
    "convnet_5x5_no_pooling": lambda: models.build_convnet((32, 32, 1), num_classes=10, filters=(8, 8),
                                                           kernel_size=5, pool_size=None),
    "convnet_regression": lambda: models.build_convnet((48, 40, 3), task="regression", num_classes=2,
                                                       filters=(4, 8, 16), kernel_size=(3, 5)),
    "dense_baseline": lambda: models.build_dense((28, 28, 1), num_classes=10, hidden_units=(512, 128), dropout=0.2),
}


@pytest.mark.parametrize("name", sorted(MODEL_BUILDERS))
def test_totals_equal_count_params_for_course_models(name):
    model = MODEL_BUILDERS[name]()
    table = _check_totals(model)
    assert sum(r.params for r in table.rows) == table.total
    assert table.name == model.name


def test_vgg16_with_top_matches_published_count(vgg16_top):
    table = _check_totals(vgg16_top)
    assert table.total == 138_357_544  # Simonyan & Zisserman (2014), Keras documentation
    assert table.row("block1_conv1").how == "ceil(224/1) = 224 (same padding); 64 filters"
    assert table.row("block1_conv1").arithmetic == "(3*3*3 + 1) * 64 = 1,792"
    assert table.row("block5_pool").how == "floor((14 - 2)/2) + 1 = 7"
    assert table.row("flatten").how == "7*7*512 = 25088"
    assert table.row("fc1").arithmetic == "(25088 + 1) * 4096 = 102,764,544"
    assert table.row("predictions").arithmetic == "(4096 + 1) * 1000 = 4,097,000"


def test_vgg16_without_top_matches_published_count(vgg16_base):
    table = _check_totals(vgg16_base)
    assert table.total == 14_714_688
    assert table.row("block5_pool").output_shape == (None, 4, 4, 512)
    assert table.row("block5_pool").how == "floor((9 - 2)/2) + 1 = 4"


def test_frozen_base_counts_as_non_trainable(frozen_transfer_model, vgg16_base):
    table = _check_totals(frozen_transfer_model)
    base_row = table.row(vgg16_base.name)
    assert (base_row.type, base_row.params, base_row.trainable, base_row.status) == (
        "Functional", 14_714_688, 0, "frozen")
    bn = table.row("head_bn")
    assert bn.arithmetic == "4 * 512 = 2,048 (1,024 trainable)"
    assert (bn.trainable, bn.non_trainable, bn.status) == (1024, 1024, "partly")
    assert table.row("head").arithmetic == "(512 + 1) * 1 = 513"
    assert table.trainable == 1024 + 513
    assert table.non_trainable == 14_714_688 + 1024
    assert "mean of each 4x4 map = 512 values" in table.row("global_average_pooling2d").how
    assert "Non-trainable params: 14,715,712" in str(table)


def test_frozen_base_expanded_lists_its_layers_as_frozen(frozen_transfer_model):
    table = explain.explain_model(frozen_transfer_model, expand_nested=True)
    nested = [r for r in table.rows if r.depth == 1]
    assert [r.name for r in nested][:2] == ["block1_conv1", "block1_conv2"]
    assert all(r.status in ("frozen", "") for r in nested)
    assert sum(r.params for r in nested) == 14_714_688
    assert "  block1_conv1 (Conv2D)" in str(table)
    assert table.total == frozen_transfer_model.count_params()


def test_cats_vs_dogs_rows_explain_shapes_and_counts():
    table = explain.explain_model(models.cats_vs_dogs_convnet())
    row = table.row("block2_conv1")
    assert row.params == 18_496
    assert row.arithmetic == "(3*3*32 + 1) * 64 = 18,496"
    assert row.how == "74 - 3 + 1 = 72; 64 filters"
    assert table.row("block1_conv1").how == "150 - 3 + 1 = 148; 32 filters"
    assert table.row("block1_pool").how == "floor((148 - 2)/2) + 1 = 74"
    assert table.row("block4_pool").how == "floor((15 - 2)/2) + 1 = 7"
    assert table.row("flatten").how == "7*7*128 = 6272"
    assert table.row("dense1").arithmetic == "(6272 + 1) * 512 = 3,211,776"
    assert table.row("output").how == "1 unit"
    assert table.row("block1_pool").arithmetic == "0"
    assert table.row("image").type == "InputLayer"
    assert [r.output_shape for r in table.rows][-1] == (None, 1)


def test_nested_augmentation_block_is_one_row_or_expanded():
    model = models.cats_vs_dogs_convnet(dropout=0.5, augmentation=_augmentation())
    table = explain.explain_model(model)
    row = table.row("augmentation")
    assert (row.type, row.params, row.output_shape) == ("Sequential", 0, (None, 150, 150, 3))
    assert "unchanged (sets 50% of the values to 0, in training only)" == table.row("dropout1").how
    expanded = explain.explain_model(model, expand_nested=True)
    names = [(r.name, r.depth) for r in expanded.rows]
    assert names[1:5] == [("augmentation", 0), ("flip", 1), ("rotate", 1), ("rescale", 1)]
    assert expanded.row("rescale").how == "unchanged"
    assert expanded.total == table.total == model.count_params()


def test_nested_sequential_with_weights_counts_them():
    block = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, name="inner_conv"),
                              keras.layers.BatchNormalization(name="inner_bn")], name="feature_block")
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Flatten()(block(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    table = _check_totals(model)
    assert table.row("feature_block").params == 224 + 32
    assert table.row("feature_block").arithmetic == "sum over its 2 layers = 256"
    expanded = explain.explain_model(model, expand_nested=True)
    assert expanded.row("inner_conv").arithmetic == "(3*3*3 + 1) * 8 = 224"
    assert expanded.row("inner_bn").arithmetic == "4 * 8 = 32 (16 trainable)"


def test_sequential_model_and_extra_layer_types():
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.ZeroPadding2D(1, name="pad"),
        keras.layers.Conv2D(8, 3, strides=2, name="strided"),
        keras.layers.Conv2D(8, 3, dilation_rate=2, use_bias=False, name="dilated"),
        keras.layers.Conv2D(8, 3, groups=2, padding="same", name="grouped"),
        keras.layers.DepthwiseConv2D(3, name="depthwise"),
        keras.layers.AveragePooling2D(3, strides=2, padding="same", name="avg"),
        keras.layers.GlobalMaxPooling2D(name="gmax"),
        keras.layers.Dense(4, name="dense"),
    ], name="zoo")
    table = _check_totals(model)
    assert table.row("pad").how == "height 32 + 1 + 1 = 34, width 32 + 1 + 1 = 34"
    assert table.row("strided").how == "floor((34 - 3)/2) + 1 = 16; 8 filters"
    assert table.row("dilated").how == "16 - 5 + 1 = 12; 8 filters"
    assert table.row("dilated").arithmetic == "3*3*8 * 8 = 576"
    assert table.row("grouped").arithmetic == "(3*3*4 + 1) * 8 = 296 (8 channels in 2 groups)"
    assert table.row("depthwise").arithmetic == "3*3*8*1 + 8 = 80"
    assert table.row("depthwise").how == "-"  # no formula for this layer type: the shape is still right
    assert table.row("depthwise").output_shape == (None, 10, 10, 8)
    assert table.row("avg").how == "ceil(10/2) = 5 (same padding)"
    assert table.row("gmax").how == "max of each 5x5 map = 8 values"
    assert table.rows[0].name == "input_layer" or table.rows[0].type == "InputLayer"


def test_non_square_and_conv1d_and_dense_on_sequences():
    inputs = keras.Input((40, 30, 2))
    x = keras.layers.Conv2D(4, (3, 5), name="rect")(inputs)
    x = keras.layers.Reshape((38 * 26, 4))(x)
    x = keras.layers.Conv1D(6, 7, strides=3, name="conv1d")(x)
    x = keras.layers.Dense(5, name="per_step")(x)
    model = keras.Model(inputs, x)
    table = _check_totals(model)
    assert table.row("rect").how == "height 40 - 3 + 1 = 38, width 30 - 5 + 1 = 26; 4 filters"
    assert table.row("rect").arithmetic == "(3*5*2 + 1) * 4 = 124"
    assert table.row("conv1d").how == "floor((988 - 7)/3) + 1 = 328; 6 filters"
    assert table.row("per_step").how == "5 units (on the last axis)"
    assert table.row("reshape").how == "-"


def test_multi_input_layer_and_shared_layer():
    a, b = keras.Input((8,), name="a"), keras.Input((8,), name="b")
    shared = keras.layers.Dense(4, name="shared")
    merged = keras.layers.Concatenate(name="concat")([shared(a), shared(b)])
    model = keras.Model([a, b], keras.layers.Dense(1, name="out")(merged))
    table = _check_totals(model)
    assert table.row("concat").how == "combines 2 inputs"
    assert table.row("shared").params == 36
    assert table.row("out").arithmetic == "(8 + 1) * 1 = 9"


@pytest.mark.parametrize("size", [7, 28, 150, 151])
@pytest.mark.parametrize("kernel", [1, 2, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_shape_formula_agrees_with_keras(size, kernel, stride, padding):
    """The number at the end of every "how" formula is the size Keras computes."""
    inputs = keras.Input((size, size, 2))
    conv = keras.layers.Conv2D(3, kernel, strides=stride, padding=padding, name="c")(inputs)
    pool = keras.layers.MaxPooling2D(kernel, strides=stride, padding=padding, name="p")(inputs)
    table = explain.explain_model(keras.Model(inputs, [conv, pool]))
    for name in ("c", "p"):
        row = table.row(name)
        result = re.match(r".* = (\d+)", row.how).group(1)  # "floor((150 - 3)/2) + 1 = 74; ..." -> "74"
        assert int(result) == row.output_shape[1], row.how
        assert row.how.startswith("ceil(" if padding == "same" else (f"{size} - " if stride == 1 else "floor("))


def test_str_and_html_render_with_totals():
    table = explain.explain_model(models.mnist_convnet())
    text = str(table)
    assert text.splitlines()[0] == 'Model: "mnist_convnet"'
    for line in ("Total params: 93,322", "Trainable params: 93,322", "Non-trainable params: 0"):
        assert line in text
    assert "(3*3*32 + 1) * 64 = 18,496" in text
    header, rule = text.splitlines()[1:3]
    assert header.index("Output shape") == rule.index("  ---") + 2  # columns are aligned
    page = table._repr_html_()
    assert page.startswith("<p><b>Model: mnist_convnet</b></p><table>")
    assert "Total params: 93,322" in page and page.count("<tr>") == len(table.rows) + 1 + 3


def test_to_rows_gives_plain_dicts():
    rows = explain.explain_model(models.mnist_convnet()).to_rows()
    assert rows[1] == {"name": "block1_conv1", "type": "Conv2D", "output_shape": (None, 26, 26, 32),
                       "how": "28 - 3 + 1 = 26; 32 filters", "params": 320,
                       "arithmetic": "(3*3*1 + 1) * 32 = 320", "trainable": 320, "non_trainable": 0,
                       "depth": 0}


def test_row_lookup_error_lists_layer_names():
    table = explain.explain_model(models.mnist_convnet())
    with pytest.raises(ValueError, match=r"The `name` argument must be .*Its layers are: image, block1_conv1"):
        table.row("conv1")


def test_explain_model_rejects_non_models_and_unbuilt_models():
    with pytest.raises(ValueError, match=r"The `model` argument must be a Keras model\. Received: model='vgg16'"):
        explain.explain_model("vgg16")
    with pytest.raises(ValueError, match=r"must be a Keras model"):
        explain.explain_model(keras.layers.Dense(3))
    with pytest.raises(ValueError, match=r"must be a built model.*keras\.Input"):
        explain.explain_model(keras.Sequential([keras.layers.Dense(3)]))


@pytest.mark.parametrize("args, expected", [
    ((6272, 512), 3_211_776),
    ((6272, 512, False), 3_211_264),
    ((1, 1), 2),
    ((64 * 64, 128), 524_416),
])
def test_dense_params(args, expected):
    assert explain.dense_params(*args) == expected
    layer = keras.layers.Dense(args[1], use_bias=args[2] if len(args) > 2 else True)
    layer.build((None, args[0]))
    assert layer.count_params() == expected


@pytest.mark.parametrize("args, expected", [
    ((3, 32, 64), 18_496),
    (((3, 3), 3, 32), 896),
    ((3, 1, 100), 1000),
    (((5, 3), 2, 4, False), 120),
    ((1, 256, 64), 16_448),
])
def test_conv_params(args, expected):
    assert explain.conv_params(*args) == expected
    layer = keras.layers.Conv2D(args[2], args[0], use_bias=args[3] if len(args) > 3 else True)
    layer.build((None, 32, 32, args[1]))
    assert layer.count_params() == expected


def test_conv_params_1d_and_3d_kernels():
    assert explain.conv_params((7,), 4, 6) == (7 * 4 + 1) * 6
    assert explain.conv_params((3, 3, 3), 2, 5) == (27 * 2 + 1) * 5


@pytest.mark.parametrize("call, match", [
    (lambda: explain.dense_params(0, 10), r"The `n_inputs` argument must be a positive integer\. Received: n_inputs=0"),
    (lambda: explain.dense_params(10, 2.5), r"`units` argument must be a positive integer"),
    (lambda: explain.dense_params(10, 2, bias="yes"), r"`bias` argument must be True or False"),
    (lambda: explain.conv_params("3", 1, 1), r"`kernel_size` argument must be .*kernel_size=\(3, 3\)"),
    (lambda: explain.conv_params((3, 0), 1, 1), r"`kernel_size` argument"),
    (lambda: explain.conv_params(3, 0, 1), r"`in_channels` argument must be a positive integer"),
    (lambda: explain.conv_params(3, 1, -4), r"`filters` argument"),
    (lambda: explain.compare_dense_and_conv((64,)), r"`input_shape` argument must be \(height, width\)"),
    (lambda: explain.compare_dense_and_conv((64, 64), dense_units=()), r"`dense_units` argument"),
    (lambda: explain.compare_dense_and_conv((64, 64), conv_filters=(16, 0)), r"`conv_filters` argument"),
    (lambda: explain.compare_dense_and_conv((64, 64), padding="full"), r"`padding` argument must be 'valid' or 'same'"),
    (lambda: explain.compare_dense_and_conv((64, 64), strides=(1, 2, 3)), r"`strides` argument"),
    (lambda: explain.compare_dense_and_conv((64, 64), kernel_size=(3, 3, 3)), r"`kernel_size` argument"),
    (lambda: explain.compare_dense_and_conv((6, 6), conv_filters=(4, 4, 4), kernel_size=3),
     r"Input 6x6 is too small .*0x0 after conv3\. Use a larger input_shape"),
])
def test_bad_arguments_raise_the_package_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_compare_megapixel_dense_and_conv_agree_with_keras():
    """1000x1000 grey image: 100 dense units versus 100 filters of 3x3 (lecture example)."""
    comparison = explain.compare_dense_and_conv((1000, 1000), dense_units=100, conv_filters=100, kernel_size=3)
    assert comparison.input_shape == (1000, 1000, 1)
    dense = keras.layers.Dense(100, kernel_initializer="zeros")
    dense.build((None, 1000 * 1000))
    conv = keras.layers.Conv2D(100, 3)
    conv.build((None, 1000, 1000, 1))
    assert comparison.dense.total == dense.count_params() == 100_000_100
    assert comparison.conv.total == conv.count_params() == 1000
    assert comparison.conv.row("conv1").how == "1000 - 3 + 1 = 998; 100 filters"
    assert comparison.conv.row("conv1").arithmetic == "(3*3*1 + 1) * 100 = 1,000"
    text = str(comparison)
    assert text.startswith("Input: 1000x1000x1 = 1,000,000 values per image")
    assert "(100,000 times fewer)" in text
    assert "Largest layer of the dense network: dense1, 100,000,100 parameters." in text
    assert "<table>" in comparison._repr_html_()


def test_compare_64x64_networks_agree_with_keras_models():
    """64x64 grey image: dense 256-128-64-16 versus three valid 5x5 convolutions of 16 channels + Dense(16)."""
    comparison = explain.compare_dense_and_conv((64, 64), dense_units=(256, 128, 64, 16),
                                                conv_filters=(16, 16, 16), kernel_size=5, conv_head=(16,))
    dense = models.build_dense((64, 64, 1), num_classes=16, hidden_units=(256, 128, 64))
    inputs = keras.Input((64, 64, 1))
    x = inputs
    for _ in range(3):
        x = keras.layers.Conv2D(16, 5)(x)
    conv = keras.Model(inputs, keras.layers.Dense(16)(keras.layers.Flatten()(x)))
    assert comparison.dense.total == dense.count_params() == 1_091_024
    assert comparison.conv.total == conv.count_params() == 705_488
    keras_table = explain.explain_model(conv)
    assert [r.output_shape for r in comparison.conv.rows] == [r.output_shape for r in keras_table.rows]
    assert [r.how for r in comparison.conv.rows[1:]] == [r.how for r in keras_table.rows[1:]]
    assert [r.arithmetic for r in comparison.conv.rows] == [r.arithmetic for r in keras_table.rows]
    assert comparison.hidden_sizes("conv") == [57_600, 50_176, 43_264, 16]
    assert comparison.hidden_sizes("dense") == [256, 128, 64, 16]
    assert "(1.5 times fewer)" in comparison.verdict()
    with pytest.raises(ValueError, match="`which` argument"):
        comparison.hidden_sizes("both")


def test_compare_same_padding_strides_and_colour_input():
    comparison = explain.compare_dense_and_conv((32, 32, 3), dense_units=(10,), conv_filters=(16, 32),
                                                padding="same", strides=2)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same")(inputs)
    model = keras.Model(inputs, keras.layers.Conv2D(32, 3, strides=2, padding="same")(x))
    assert comparison.conv.total == model.count_params()
    assert comparison.conv.rows[-1].output_shape == model.output_shape == (None, 8, 8, 32)
    assert comparison.conv.row("conv1").how == "ceil(32/2) = 16 (same padding); 16 filters"


def test_preview_convnet_explains_the_built_model():
    table = explain.preview_convnet((150, 150, 3), filters=(32, 64, 128, 128), dense_units=(512,))
    assert table.total == models.cats_vs_dogs_convnet().count_params() == 3_453_121
    assert table.row("output").output_shape == (None, 1)  # binary by default
    table = explain.preview_convnet((64, 64, 3), num_classes=4, filters=(16, 32), convs_per_block=2,
                                    padding="same")
    assert table.row("block2_conv2").how == "ceil(32/1) = 32 (same padding); 32 filters"
    assert table.row("output").output_shape == (None, 4)


def test_preview_convnet_surfaces_the_builder_error_naming_the_block():
    with pytest.raises(ValueError, match=r"Input 20x20 is too small .*after block3"):
        explain.preview_convnet((20, 20, 3), filters=(32, 64, 128, 128))
    with pytest.raises(ValueError, match=r"`padding` argument"):
        explain.preview_convnet((64, 64, 3), padding="full")
