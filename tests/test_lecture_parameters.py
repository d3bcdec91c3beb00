"""The lectures' worked examples on parameter counts and layer sizes, recomputed with Keras.

Every example of the five decks in `shared/lectures/` (PDF-extracted text) is an entry of
`cnn_course.lecture_examples.EXAMPLES` (deck file, lines, the slide's claim and number, the
correct number, and the slip if any; notebook 01 lists the slips). The counts given there as
data, and several sizes, have a test here that computes the correct number independently,
with `explain.dense_params` / `explain.conv_params` or with `count_params()` and output
shapes of Keras models. Where a slide is wrong or rounds loosely, the test asserts the
correct value and that the slide's figure differs, and the entry's `slip` says why.
"""

import collections.abc
import pathlib
import re

import cnn_course  # noqa: F401  (sets TensorFlow's flags before keras is imported)

import keras
import numpy as np
import pytest

from cnn_course import convolution, lecture_examples, models
from cnn_course.explain import compare_dense_and_conv, conv_params, dense_params, explain_model
from cnn_course.lecture_examples import EXAMPLES, get_example


def _plain(value):
    """Arrays, lists and tuples as nested lists, mappings as dicts, NumPy scalars as Python numbers."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, collections.abc.Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value.item() if isinstance(value, np.generic) else value


def _as_slide_would_write(example):
    """The correct value rounded to the slide's unit (61 for 60,965,224 when the slide says "61 million")."""
    correct = _plain(example.correct_value)
    if example.unit == 1:
        return correct
    if isinstance(correct, list):
        return [round(v / example.unit) for v in correct]
    return round(correct / example.unit)


def _assert_slide(key, computed):
    """The computed value is the catalogue's correct value; a slip means the slide's figure differs."""
    example = get_example(key)
    assert _plain(computed) == _plain(example.correct_value), key
    if example.slip or example.source:
        assert _plain(example.slide_value) != _as_slide_would_write(example), key
    elif example.slide_value is not None:
        assert _plain(example.slide_value) == _as_slide_would_write(example), key


def _dense_stack(input_dim, units):
    """A dense network `input_dim -> units[0] -> units[1] ...` (zero-initialised: only the shapes matter)."""
    inputs = keras.Input((input_dim,))
    x = inputs
    for n in units:
        x = keras.layers.Dense(n, kernel_initializer="zeros")(x)
    return keras.Model(inputs, x)


# VGG configurations of Simonyan & Zisserman (2014), Table 1: (kernel, filters) per convolution, "M" = max pooling.
_VGG_BLOCKS = {
    "A": [[(3, 64)], [(3, 128)], [(3, 256)] * 2, [(3, 512)] * 2, [(3, 512)] * 2],
    "B": [[(3, 64)] * 2, [(3, 128)] * 2, [(3, 256)] * 2, [(3, 512)] * 2, [(3, 512)] * 2],
    "C": [[(3, 64)] * 2, [(3, 128)] * 2, [(3, 256)] * 2 + [(1, 256)], [(3, 512)] * 2 + [(1, 512)],
          [(3, 512)] * 2 + [(1, 512)]],
    "D": [[(3, 64)] * 2, [(3, 128)] * 2, [(3, 256)] * 3, [(3, 512)] * 3, [(3, 512)] * 3],
    "E": [[(3, 64)] * 2, [(3, 128)] * 2, [(3, 256)] * 4, [(3, 512)] * 4, [(3, 512)] * 4],
}
_VGG_BLOCKS["A-LRN"] = _VGG_BLOCKS["A"]  # local response normalisation has no parameters


def _vgg_params(config):
    """Parameters of a VGG configuration on 224x224x3 (five poolings: 7x7x512 into FC-4096, FC-4096, FC-1000)."""
    total, channels = 0, 3
    for block in _VGG_BLOCKS[config]:
        for kernel, filters in block:
            total += conv_params(kernel, channels, filters)
            channels = filters
    return total + dense_params(7 * 7 * 512, 4096) + dense_params(4096, 4096) + dense_params(4096, 1000)


@pytest.mark.parametrize("key", ["deck000_conv_32_filters_32x32x3", "deck001_conv_32_filters_32x32x3"])
def test_conv_32_filters_on_32x32x3(key):
    """000 line 132 and 001 line 143: `layer_conv_2d(filters = 32, kernel_size = c(3,3), input_shape = c(32,32,3))`.

    The slides give no count: (3*3*3 + 1) * 32 = 896 parameters, output 30x30x32 (valid padding, Keras's default).
    """
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(32, (3, 3), activation="relu")])
    assert conv_params(3, 3, 32) == model.count_params()
    _assert_slide(key, {"params": model.count_params(), "output": model.output_shape[1:]})


@pytest.mark.parametrize("key", ["deck000_megapixel_dense_100", "deck001_megapixel_dense_100"])
def test_megapixel_image_into_100_dense_units(key):
    """000 line 151, 001 line 184: a 1000x1000 image into 100 dense units, "100M parameters".

    Slip: (1,000,000 + 1) * 100 = 100,000,100; the slides count the weights only.
    """
    layer = keras.layers.Dense(100, kernel_initializer="zeros")
    layer.build((None, 1000 * 1000))
    assert layer.count_params() == dense_params(1000 * 1000, 100)
    _assert_slide(key, layer.count_params())
    assert dense_params(1000 * 1000, 100, bias=False) == get_example(key).slide_value  # what the slide counted


@pytest.mark.parametrize("key", ["deck000_megapixel_conv_100_filters", "deck001_megapixel_conv_100_filters"])
def test_megapixel_image_into_100_filters(key):
    """000 line 152, 001 line 185: 100 filters of 3x3 on a single-channel image: 1000 parameters (900 + 100)."""
    layer = keras.layers.Conv2D(100, 3)
    layer.build((None, 1000, 1000, 1))
    assert conv_params(3, 1, 100, bias=False) == 900
    _assert_slide(key, layer.count_params())
    comparison = compare_dense_and_conv((1000, 1000), dense_units=100, conv_filters=100)
    assert (comparison.dense.total, comparison.conv.total) == (100_000_100, 1000)


def test_rgb_256_inputs():
    """001 line 73: "256 x 256 x 3 ≈ 200,000 inputs". Rounded: 196,608."""
    table = explain_model(models.build_dense((256, 256, 3), task="binary", hidden_units=()))
    assert table.row("flatten").how == "256*256*3 = 196608"
    _assert_slide("deck001_rgb_256_inputs", table.row("flatten").output_shape[1])


def test_rgb_256_into_1000_dense_units():
    """001 line 75: "200,000 x 1,000 = 200 million parameters". Rounded and without biases: 196,609,000."""
    layer = keras.layers.Dense(1000, kernel_initializer="zeros")
    layer.build((None, 256 * 256 * 3))
    assert layer.count_params() == dense_params(256 * 256 * 3, 1000)
    _assert_slide("deck001_rgb_256_dense_1000", layer.count_params())


def test_output_size_32x32_with_padding_1():
    """001 lines 166-177: 32x32x3, 3x3 kernel, p = 1, s = 1, 16 filters -> 32 x 32 x 16 (Keras: padding="same")."""
    inputs = keras.Input((32, 32, 3))
    padded = keras.layers.ZeroPadding2D(1)(inputs)
    explicit = keras.layers.Conv2D(16, 3)(padded)
    same = keras.layers.Conv2D(16, 3, padding="same")(inputs)
    assert explicit.shape[1:] == same.shape[1:]
    assert (32 - 3 + 2 * 1) // 1 + 1 == 32
    _assert_slide("deck001_output_size_32x32", tuple(same.shape[1:]))
    assert conv_params(3, 3, 16) == 448  # not on the slide


def test_pooling_has_no_parameters():
    """001 line 200: "Pooling has no trainable parameters"."""
    model = keras.Sequential([keras.Input((28, 28, 8)), keras.layers.MaxPooling2D(2),
                              keras.layers.AveragePooling2D(2)])
    _assert_slide("deck001_pooling_no_parameters", model.count_params())


def test_alexnet_vgg16_resnet152_layer_counts():
    """001 lines 225-227: AlexNet 5, VGG16 16 and ResNet 152 "convolutional layers".

    AlexNet is right; VGG16 has 13 convolutional layers (16 weight layers with its 3 dense ones); ResNet-152
    has 151 convolutions on its main path plus one dense layer (152 weight layers).
    """
    vgg16_blocks = _VGG_BLOCKS["D"]
    vgg16_convs = sum(len(block) for block in vgg16_blocks)
    _assert_slide("deck001_vgg16_conv_layers", vgg16_convs)
    # ResNet-152: conv1 + bottleneck blocks of 3 convolutions, 3 + 8 + 36 + 3 of them (He et al., 2015, Table 1).
    resnet_main_path = 1 + 3 * (3 + 8 + 36 + 3)
    _assert_slide("deck001_resnet152_conv_layers", resnet_main_path)
    resnet = keras.applications.ResNet152(weights=None)
    convs = [layer for layer in resnet.layers if isinstance(layer, keras.layers.Conv2D)]
    shortcuts = [layer for layer in convs if layer.name.endswith("_0_conv")]
    assert (len(convs), len(shortcuts)) == (155, 4)
    assert len(convs) - len(shortcuts) == 151
    assert len(convs) - len(shortcuts) + sum(isinstance(x, keras.layers.Dense) for x in resnet.layers) == 152
    _assert_slide("deck004_resnet_152_layers", len(convs) - len(shortcuts) + 1)
    _assert_slide("deck001_alexnet_conv_layers", 5)  # see test_alexnet_parameters for the network itself


def test_vgg16_data_flow():
    """001 line 229 (Figure 2.4): VGG16's data size after each max pooling and after the dense layers."""
    shapes = models.convnet_shapes((224, 224, 3), filters=(64, 128, 256, 512, 512), padding="same",
                                   convs_per_block=3)
    _assert_slide("deck001_vgg16_data_flow", [shape for _, shape in shapes] + [4096, 4096, 1000])


def test_dense_64x64_into_128_units():
    """002 line 35: 64x64 image into d1 = 128 units "leads to 524288 parameters". Slip: 128 biases missing."""
    model = models.build_dense((64, 64, 1), task="regression", num_classes=128, hidden_units=())
    _assert_slide("deck002_dense_64x64_to_128", model.count_params())
    assert dense_params(64 * 64, 128, bias=False) == get_example("deck002_dense_64x64_to_128").slide_value


def test_valid_3x3_convolution_on_10x10_image():
    """002 lines 159-166: a centred 3x3 kernel on the 10x10 image loses a pixel at each end: 8x8."""
    layer_output = keras.layers.Conv2D(1, 3)(keras.Input((10, 10, 1)))
    assert convolution.output_size(10, 3) == layer_output.shape[1] == 8  # the course's formula agrees with Keras
    _assert_slide("deck002_valid_3x3_on_10x10", tuple(layer_output.shape[1:]))


@pytest.mark.parametrize("size, kernel", [(10, 3), (64, 5), (7, 7)])
def test_same_padding_padded_size(size, kernel):
    """002 line 169: padded size "(M + k1 - 1) x (N + k2 - 2)". Slip: both need k - 1 extra pixels."""
    pad = kernel - 1
    padded = keras.layers.ZeroPadding2D(((pad // 2, pad - pad // 2), (pad // 2, pad - pad // 2)))
    padded_input = padded(keras.Input((size, size, 1)))
    out = keras.layers.Conv2D(1, kernel)(padded_input)
    assert tuple(out.shape[1:3]) == (size, size)
    assert tuple(padded_input.shape[1:3]) == (size + kernel - 1, size + kernel - 1)
    assert convolution.output_size(size + kernel - 1, kernel) == size  # N + k2 - 1: same size
    assert convolution.output_size(size + kernel - 2, kernel) == size - 1  # the slide's N + k2 - 2: one short
    # The catalogue evaluates the formula on the deck's 10x10 image and 3x3 kernel.
    deck_padded = keras.layers.ZeroPadding2D(1)(keras.Input((10, 10, 1)))
    _assert_slide("deck002_same_padding_size", tuple(deck_padded.shape[1:3]))


def test_question_dense_network_on_64x64():
    """002 line 177: "How many parameters are in x in R^(64x64) -> 256 -> 128 -> 64 -> 16?" (no answer given)."""
    model = models.build_dense((64, 64, 1), num_classes=16, hidden_units=(256, 128, 64))
    table = explain_model(model)
    layers = [row.params for row in table.rows if row.type == "Dense"]
    assert layers == [dense_params(4096, 256), dense_params(256, 128), dense_params(128, 64), dense_params(64, 16)]
    _assert_slide("deck002_question_dense_64x64", {"layers": layers, "total": model.count_params()})


def test_question_conv_network_on_64x64():
    """002 line 179: parameters and hidden neurons of x in R^(64x64) => 16 => 16 => 16 -> 16, 5x5 valid.

    No answer on the slide; one input channel (a grey image, as the slide's R^(64x64) says).
    """
    inputs = keras.Input((64, 64, 1))
    x = inputs
    for _ in range(3):
        x = keras.layers.Conv2D(16, 5, padding="valid")(x)
    model = keras.Model(inputs, keras.layers.Dense(16)(keras.layers.Flatten()(x)))
    table = explain_model(model)
    weighted = [row for row in table.rows if row.params]
    comparison = compare_dense_and_conv((64, 64), dense_units=(256, 128, 64, 16), conv_filters=(16, 16, 16),
                                        kernel_size=5, conv_head=16)
    assert comparison.conv.total == model.count_params()
    _assert_slide("deck002_question_conv_64x64", {
        "layers": [row.params for row in weighted],
        "total": model.count_params(),
        "neurons": comparison.hidden_sizes("conv"),
        "shapes": [row.output_shape[1:] for row in weighted[:3]],
    })


def test_valid_5x5_sizes_stride_1():
    """002 lines 236-239: 5x5 valid convolutions from 128x128: 124x124, 120x120, 116x116."""
    x = keras.Input((128, 128, 1))
    sizes = []
    for _ in range(3):
        x = keras.layers.Conv2D(1, 5)(x)
        sizes.append(x.shape[1])
    _assert_slide("deck002_stride1_chain", sizes)


def test_valid_5x5_sizes_stride_2():
    """002 lines 241-243: with stride 2: 62x62, 29x29, 12x12. Slip: the third is 13x13 (then 5x5, then 1x1)."""
    x = keras.Input((128, 128, 1))
    sizes = []
    while x.shape[1] >= 5:
        x = keras.layers.Conv2D(1, 5, strides=2)(x)
        sizes.append(x.shape[1])
    assert sizes == [62, 29, 13, 5, 1]
    _assert_slide("deck002_stride2_chain", sizes[:3])
    example = get_example("deck002_stride2_chain")  # its computation, carried on to the 1x1 output
    assert _plain(example.compute(**{**example.inputs, "layers": 5})) == sizes
    assert convolution.output_size(12, 5, stride=2) == 4  # from the slide's 12x12 the chain would stall at 4x4


def test_2x2_pooling_halves_the_image():
    """002 line 262: "Even when the pooling kernel is of size 2x2, it can halve the image!" (floor for odd sizes)."""
    assert keras.layers.MaxPooling2D(2)(keras.Input((15, 15, 1))).shape[1:3] == (7, 7)
    assert keras.layers.MaxPooling2D(2)(keras.Input((64, 64, 1))).shape[1:3] == (32, 32)
    _assert_slide("deck002_pool_halves", tuple(keras.layers.MaxPooling2D(2)(keras.Input((10, 10, 1))).shape[1:3]))


def test_vgg_weight_layer_counts():
    """002 line 367 (Table 1): A, A-LRN, B, C, D, E have 11, 11, 13, 16, 16, 19 weight layers."""
    counts = [sum(len(block) for block in _VGG_BLOCKS[c]) + 3 for c in ("A", "A-LRN", "B", "C", "D", "E")]
    _assert_slide("deck002_vgg_weight_layers", counts)
    _assert_slide("deck004_vgg19_layers", counts[-1])  # 004 line 396: "VGG: 19 layers"


def test_vgg_parameter_table():
    """002 line 380 (Table 2): 133, 133, 133, 134, 138, 144 million parameters; all correctly rounded.

    Configuration D is VGG16: Keras's VGG16 and the published 138,357,544 (built in tests/test_explain.py).
    """
    exact = [_vgg_params(c) for c in ("A", "A-LRN", "B", "C", "D", "E")]
    _assert_slide("deck002_vgg_parameters", exact)
    assert exact[4] == 138_357_544  # VGG16, published
    assert exact[5] == 143_667_240  # VGG19, published


def test_small_dense_network_1170():
    """002 line 437: "10 x 20 + 20 + 20 x 30 + 30 + 30 x 10 + 10 + 10 = 1170".

    The arithmetic is right; the terms do not match a dense network with a bias per unit (see the catalogue).
    """
    _assert_slide("deck002_small_dense_1170", 10 * 20 + 20 + 20 * 30 + 30 + 30 * 10 + 10 + 10)
    assert _dense_stack(10, (20, 30, 10)).count_params() == 1160
    assert _dense_stack(10, (20, 30, 10, 1)).count_params() == 1171


def test_keras_dense_network_2_3_3_1():
    """003 lines 47-51: Input(shape=(2,)) -> Dense(3) -> Dense(3) -> Dense(1): (2+1)*3 + (3+1)*3 + (3+1)*1 = 25."""
    model = _dense_stack(2, (3, 3, 1))
    assert dense_params(2, 3) + dense_params(3, 3) + dense_params(3, 1) == 25
    _assert_slide("deck003_keras_dense_2_3_3_1", model.count_params())


def test_max_pooling_of_4x4_map():
    """003 lines 153-159: 2x2 max pooling of [[0..3], [4..7], [8..11], [12..15]] gives [[5, 7], [13, 15]]."""
    feature_map = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    pooled = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(feature_map))[0, :, :, 0]
    _assert_slide("deck003_max_pool_4x4", pooled.astype(int).tolist())
    _assert_slide("deck004_max_pool_2x2_stride_2", pooled.shape)  # 004 line 346: 4x4 -> 2x2


def test_4x4_filter_has_16_weights():
    """004 line 259: "Filter of size 4x4: 16 different weights" (one input channel; the bias comes on top)."""
    _assert_slide("deck004_filter_4x4_weights", conv_params(4, 1, 1, bias=False))
    assert conv_params(4, 1, 1) == 17


def test_5x5_image_and_3x3_filter():
    """004 lines 288-292: a 5x5 image with a 3x3 filter gives the 3x3 feature map [[4,3,4],[2,4,3],[2,3,4]]."""
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    layer = keras.layers.Conv2D(1, 3, use_bias=False)
    layer.build((None, 5, 5, 1))
    layer.set_weights([kernel.reshape(3, 3, 1, 1).astype("float32")])
    feature_map = keras.ops.convert_to_numpy(layer(image.reshape(1, 5, 5, 1).astype("float32")))[0, :, :, 0]
    _assert_slide("deck004_quiz_feature_map", feature_map.astype(int).tolist())


def test_alexnet_parameters():
    """004 line 392: "AlexNet: 8 layers, 61 million parameters" (Krizhevsky et al. 2012; 2 GPUs = groups of 2).

    5 convolutions + 3 dense layers; 60,965,224 parameters, which rounds to 61 million.
    """
    zeros = {"kernel_initializer": "zeros"}
    inputs = keras.Input((227, 227, 3))
    x = keras.layers.Conv2D(96, 11, strides=4, **zeros)(inputs)  # (55, 55, 96)
    x = keras.layers.MaxPooling2D(3, strides=2)(x)  # (27, 27, 96)
    x = keras.layers.Conv2D(256, 5, padding="same", groups=2, **zeros)(x)
    x = keras.layers.MaxPooling2D(3, strides=2)(x)  # (13, 13, 256)
    x = keras.layers.Conv2D(384, 3, padding="same", **zeros)(x)
    x = keras.layers.Conv2D(384, 3, padding="same", groups=2, **zeros)(x)
    x = keras.layers.Conv2D(256, 3, padding="same", groups=2, **zeros)(x)
    x = keras.layers.MaxPooling2D(3, strides=2)(x)  # (6, 6, 256)
    x = keras.layers.Flatten()(x)
    for units in (4096, 4096, 1000):
        x = keras.layers.Dense(units, **zeros)(x)
    model = keras.Model(inputs, x)
    table = explain_model(model)
    assert sum(1 for row in table.rows if row.params) == 8
    assert table.rows[1].arithmetic == "(11*11*3 + 1) * 96 = 34,944"
    _assert_slide("deck004_alexnet_parameters", model.count_params())
    # Without the two-GPU split (groups=1) the same layers would have 62,378,344 parameters.
    ungrouped = (conv_params(5, 96, 256) + conv_params(3, 384, 384) + conv_params(3, 384, 256)
                 - conv_params(5, 48, 256) - conv_params(3, 192, 384) - conv_params(3, 192, 256))
    assert model.count_params() + ungrouped == 62_378_344


def test_googlenet_parameters():
    """004 line 399: "GoogLeNet: 22 layers, 5 million parameters": the authors' figure; their Table 1 sums to ~7.0M.

    Counted from Szegedy et al. (2014), Table 1, with biases, without the auxiliary classifiers.
    """
    def inception(cin, n1x1, r3, n3x3, r5, n5x5, pool_proj):
        params = (conv_params(1, cin, n1x1) + conv_params(1, cin, r3) + conv_params(3, r3, n3x3)
                  + conv_params(1, cin, r5) + conv_params(5, r5, n5x5) + conv_params(1, cin, pool_proj))
        return params, n1x1 + n3x3 + n5x5 + pool_proj

    total = conv_params(7, 3, 64) + conv_params(1, 64, 64) + conv_params(3, 64, 192)
    channels = 192
    modules = [(64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64),  # 3a, 3b
               (192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
               (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128),  # 4a-4e
               (256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128)]  # 5a, 5b
    for module in modules:
        params, channels = inception(channels, *module)
        total += params
    assert channels == 1024
    total += dense_params(1024, 1000)
    _assert_slide("deck004_googlenet_parameters", total)


def test_catalogue_is_complete_and_consistent():
    """Every entry names a deck file, lines and a claim; a slip is documented exactly where the values differ."""
    assert len(EXAMPLES) == 38
    for example in EXAMPLES:
        key = example.key
        assert example.deck.endswith(".md") and 0 < example.lines[0] <= example.lines[1] and example.claim, key
        if example.slide_value is None:
            assert not example.slip, key
        else:
            differs = _plain(example.slide_value) != _as_slide_would_write(example)
            assert differs == bool(example.slip or example.source) == (not example.slide_agrees()), key
            assert not (example.slip and example.source), key


def test_every_count_given_as_data_is_recomputed_here():
    """The entries whose correct value is data (not computed by cnn_course.convolution) each have a Keras check."""
    source = pathlib.Path(__file__).read_text(encoding="utf-8")
    named_here = set(re.findall(r'"(deck\d{3}_\w+)"', source))
    given_as_data = {example.key for example in EXAMPLES if example.compute is None}
    assert len(given_as_data) == 25
    assert given_as_data <= named_here


OLD_DECK_NAMES = {"DECK_2020": "000_1416b60456be1f89.md", "DECK_2025": "001_4f9fa88f872c7880.md",
                  "DECK_CV": "002_f3391ec0a65b9454.md", "DECK_OSLO": "003_8095cabaef43a299.md",
                  "DECK_MSIS": "004_c3d96a3e3883e06d.md"}


@pytest.mark.parametrize("name", sorted(OLD_DECK_NAMES))
def test_old_deck_constants_warn_and_give_the_file_name(name):
    assert name not in vars(lecture_examples)  # decks are named by their file names only
    with pytest.warns(DeprecationWarning, match=name):
        assert getattr(lecture_examples, name) == OLD_DECK_NAMES[name]


def test_old_parameter_catalogue_names_warn_and_still_work():
    with pytest.warns(DeprecationWarning, match="PARAMETER_EXAMPLES"):
        from cnn_course.lecture_examples import PARAMETER_EXAMPLES
    assert "deck004_alexnet_parameters" in PARAMETER_EXAMPLES and "deck003_max_pool_4x4" not in PARAMETER_EXAMPLES
    assert all(key == example.key and example.topic in ("parameters", "layer count")
               for key, example in PARAMETER_EXAMPLES.items())
    assert len(PARAMETER_EXAMPLES) == 24
    with pytest.warns(DeprecationWarning, match="ParameterExample"):
        assert lecture_examples.ParameterExample is lecture_examples.LectureExample
    with pytest.warns(DeprecationWarning, match="parameter_slips"):
        parameter_slips = lecture_examples.parameter_slips
    pairs = parameter_slips()
    assert [key for key, _ in pairs] == [e.key for e in PARAMETER_EXAMPLES.values() if e.slip]
    assert "deck001_vgg16_conv_layers" in dict(pairs) and all(e.is_slip for _, e in pairs)
    with pytest.raises(AttributeError, match="no attribute 'DECK_2030'"):
        lecture_examples.DECK_2030  # noqa: B018
