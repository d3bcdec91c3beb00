"""convolution.py against independent references: Keras's own layers and ops, and scipy.signal."""

import inspect
import itertools

import cnn_course  # noqa: F401  (sets TensorFlow's flags before keras is imported)

import keras
import numpy as np
import pytest
from scipy import signal

from cnn_course.convolution import (
    conv2d, convolve2d, cross_correlate2d, output_size, pad_amounts, pool2d,
)

ATOL = 1e-5


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _rng(*seed):
    return np.random.default_rng(list(seed))


# ---------------------------------------------------------------------------
# Conv2D: a grid of 6 kernels x 5 strides x 2 paddings x 2 input sizes = 120 cases
# ---------------------------------------------------------------------------

CONV_KERNELS = [(1, 1), (2, 2), (3, 3), (5, 5), (2, 3), (4, 1)]
CONV_STRIDES = [1, 2, 3, (1, 2), (3, 2)]
CONV_PADDINGS = ["valid", "same"]
CONV_INPUTS = [(7, 7), (8, 5)]  # (H, W): odd square, and non-square
CHANNELS = [(1, 1), (1, 3), (2, 2), (3, 4), (4, 1), (4, 4)]  # (C_in, C_out), cycled over the grid

CONV_CASES = [
    pytest.param(hw, kernel, stride, padding, CHANNELS[n % len(CHANNELS)], n % 2 == 0,
                 id=f"{hw[0]}x{hw[1]}-k{kernel[0]}x{kernel[1]}-s{stride}-{padding}-c{CHANNELS[n % len(CHANNELS)]}")
    for n, (hw, kernel, stride, padding) in enumerate(
        itertools.product(CONV_INPUTS, CONV_KERNELS, CONV_STRIDES, CONV_PADDINGS))
]


def _hits_onednn_conv_bug(batch, c_in, kernel, stride, out_hw):
    """TF 2.21's oneDNN Conv2D (TF_ENABLE_ONEDNN_OPTS=1, set by cnn_course) can return wrong
    numbers, sometimes uninitialised memory, for this narrow case: a batch of more than one
    image, one input channel, stride 1 down and > 1 across, kernel wider than 1, output one
    column wide. Whether it does depends on the CPU (oneDNN picks its kernel by instruction
    set): wrong on an AVX-512 machine, right on an AVX2-only one, right with oneDNN off. One
    image at a time it is right everywhere; see test_keras_conv2d_one_image_at_a_time_...
    """
    return (batch > 1 and c_in == 1 and _pair(stride)[0] == 1 and _pair(stride)[1] > 1
            and kernel[1] > 1 and out_hw[1] == 1 and out_hw[0] > 1)


@pytest.mark.parametrize("hw, kernel, stride, padding, channels, batched", CONV_CASES)
def test_conv2d_matches_keras_conv2d_layer(hw, kernel, stride, padding, channels, batched):
    c_in, c_out = channels
    sh, sw = _pair(stride)
    out_hw = (output_size(hw[0], kernel[0], padding=padding, stride=sh),
              output_size(hw[1], kernel[1], padding=padding, stride=sw))
    rng = _rng(hw[0], hw[1], *kernel, *_pair(stride), len(padding), c_in, c_out)
    x = rng.normal(size=(2, *hw, c_in)).astype("float32")  # (N, H, W, C_in)
    weights = rng.normal(size=(*kernel, c_in, c_out)).astype("float32")  # (kh, kw, C_in, C_out)
    bias = rng.normal(size=(c_out,)).astype("float32")

    layer = keras.layers.Conv2D(c_out, kernel, strides=stride, padding=padding)
    layer.build(x.shape)
    layer.set_weights([weights, bias])
    if _hits_onednn_conv_bug(len(x), c_in, kernel, stride, out_hw):
        # The reference is Keras run one image at a time, which is right on every CPU; the
        # batch of two may or may not be wrong, depending on the CPU (see the helper).
        expected = np.concatenate([keras.ops.convert_to_numpy(layer(x[i:i + 1])) for i in range(len(x))])
    else:
        expected = keras.ops.convert_to_numpy(layer(x))  # (N, H', W', C_out)

    if batched:
        got = conv2d(x, weights, bias, padding=padding, stride=stride)
    else:  # a single image (H, W, C_in) gives (H', W', C_out)
        got = conv2d(x[0], weights, bias, padding=padding, stride=stride)[None]
        expected = expected[:1]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=ATOL)

    assert expected.shape[1:3] == out_hw


def test_keras_conv2d_one_image_at_a_time_where_onednn_gets_a_batch_wrong():
    # The grid case 8x5, kernel 5x5, stride (1, 2), valid, 1 -> 1 channels: on some CPUs Keras
    # is wrong for the batch of two under oneDNN (see _hits_onednn_conv_bug); image by image it
    # is right on every CPU, as scipy confirms here.
    rng = _rng(8, 5, 5, 5, 1, 2)
    x = rng.normal(size=(2, 8, 5, 1)).astype("float32")
    weights, bias = rng.normal(size=(5, 5, 1, 1)).astype("float32"), np.array([0.5], "float32")
    layer = keras.layers.Conv2D(1, 5, strides=(1, 2))
    layer.build(x.shape)
    layer.set_weights([weights, bias])
    expected = np.concatenate([keras.ops.convert_to_numpy(layer(x[i:i + 1])) for i in range(2)])
    np.testing.assert_allclose(conv2d(x, weights, bias, stride=(1, 2)), expected, atol=ATOL)
    reference = [signal.correlate2d(x[i, :, :, 0], weights[:, :, 0, 0], mode="valid")[:, ::2] + 0.5
                 for i in range(2)]
    np.testing.assert_allclose(expected[..., 0], np.stack(reference), atol=ATOL)


def test_conv2d_takes_a_layers_get_weights_directly():
    layer = keras.layers.Conv2D(3, (3, 2), strides=(2, 1), padding="same",
                                bias_initializer="random_normal")
    x = _rng(1).normal(size=(1, 9, 6, 2)).astype("float32")
    expected = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(conv2d(x, *layer.get_weights(), padding="same", stride=(2, 1)),
                               expected, atol=ATOL)


@pytest.mark.parametrize("pad, kernel, stride", [
    ("full", (3, 3), 1), ("full", (2, 4), 1), ("full", (3, 2), 2),
    (1, (3, 3), 1), (2, (5, 5), 2), (1, (2, 3), (2, 1)), (0, (3, 3), 1), (3, (1, 1), 3),
])
def test_full_and_integer_padding_match_keras_ops_conv_on_a_zero_padded_input(pad, kernel, stride):
    rng = _rng(*kernel, *_pair(stride), 7)
    x = rng.normal(size=(2, 6, 7, 3)).astype("float32")
    weights = rng.normal(size=(*kernel, 3, 2)).astype("float32")
    if pad == "full":
        ph, pw = kernel[0] - 1, kernel[1] - 1
    else:
        ph = pw = pad
    padded = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    expected = keras.ops.convert_to_numpy(keras.ops.conv(padded, weights, strides=stride, padding="valid"))
    np.testing.assert_allclose(conv2d(x, weights, padding=pad, stride=stride), expected, atol=ATOL)


# ---------------------------------------------------------------------------
# Pooling: 4 window sizes x 4 strides x 2 paddings x {max, average} = 64 Keras layer cases
# ---------------------------------------------------------------------------

POOL_SIZES = [(2, 2), (3, 3), (2, 3), (1, 2)]
POOL_STRIDES = [None, 1, 2, (2, 1)]
POOL_CASES = list(itertools.product(POOL_SIZES, POOL_STRIDES, ["valid", "same"], ["max", "average"]))


@pytest.mark.parametrize("pool_size, stride, padding, mode", POOL_CASES)
def test_pool2d_matches_keras_pooling_layers(pool_size, stride, padding, mode):
    x = _rng(*pool_size, len(padding), len(mode)).normal(size=(2, 7, 8, 3)).astype("float32")
    layer_class = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    expected = keras.ops.convert_to_numpy(layer_class(pool_size, strides=stride, padding=padding)(x))
    got = pool2d(x, pool_size, stride=stride, mode=mode, padding=padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=ATOL)
    sh, sw = _pair(pool_size if stride is None else stride)
    assert expected.shape[1:3] == (output_size(7, pool_size[0], padding=padding, stride=sh),
                                   output_size(8, pool_size[1], padding=padding, stride=sw))


@pytest.mark.parametrize("pool_size, stride, padding", [
    (2, None, "valid"), (3, 2, "same"), ((2, 3), 1, "same"), (3, None, "same"), ((3, 1), (1, 2), "valid"),
])
def test_min_pooling_is_minus_max_pooling_of_minus_x(pool_size, stride, padding):
    x = _rng(5).normal(size=(1, 7, 6, 2)).astype("float32")
    minus_max = -keras.ops.convert_to_numpy(keras.ops.max_pool(-x, pool_size, strides=stride, padding=padding))
    np.testing.assert_allclose(pool2d(x, pool_size, stride=stride, mode="min", padding=padding),
                               minus_max, atol=ATOL)


def test_same_average_pooling_divides_by_the_real_cells_only():
    x = np.ones((3, 3))
    # Zeros counted in the mean would give 4/9 in the corners; Keras and pool2d give 1.
    np.testing.assert_array_equal(pool2d(x, 3, stride=1, mode="average", padding="same"), np.ones((3, 3)))


def test_pool2d_accepts_2d_3d_and_4d_inputs_alike():
    x = _rng(2).normal(size=(6, 5))
    four_d = pool2d(x[None, :, :, None], 2, mode="average")
    np.testing.assert_array_equal(pool2d(x, 2, mode="average"), four_d[0, :, :, 0])
    np.testing.assert_array_equal(pool2d(x[:, :, None], 2, mode="average"), four_d[0])


# ---------------------------------------------------------------------------
# 2-D cross-correlation and convolution against scipy.signal
# ---------------------------------------------------------------------------

SCIPY_IMAGES = [(5, 5), (6, 9), (8, 4)]
SCIPY_KERNELS = [(1, 1), (2, 2), (3, 3), (2, 5), (4, 3)]
SCIPY_CASES = [
    (image, kernel, mode)
    for image, kernel, mode in itertools.product(SCIPY_IMAGES, SCIPY_KERNELS, ["valid", "full"])
    if mode == "full" or (kernel[0] <= image[0] and kernel[1] <= image[1])
]


@pytest.mark.parametrize("image, kernel, mode", SCIPY_CASES)
def test_cross_correlate2d_and_convolve2d_match_scipy(image, kernel, mode):
    rng = _rng(*image, *kernel, len(mode))
    x, k = rng.normal(size=image), rng.normal(size=kernel)
    np.testing.assert_allclose(cross_correlate2d(x, k, padding=mode), signal.correlate2d(x, k, mode=mode),
                               atol=1e-10)
    np.testing.assert_allclose(convolve2d(x, k, padding=mode), signal.convolve2d(x, k, mode=mode),
                               atol=1e-10)


@pytest.mark.parametrize("kernel", [(1, 1), (3, 3), (5, 3), (1, 5)])
def test_same_padding_matches_scipy_for_odd_kernels(kernel):
    # scipy centres an even kernel differently from TensorFlow, so only odd ones are compared;
    # even kernels with "same" are checked against Keras in the Conv2D grid above.
    rng = _rng(*kernel)
    x, k = rng.normal(size=(7, 6)), rng.normal(size=kernel)
    np.testing.assert_allclose(cross_correlate2d(x, k, padding="same"), signal.correlate2d(x, k, mode="same"),
                               atol=1e-10)
    np.testing.assert_allclose(convolve2d(x, k, padding="same"), signal.convolve2d(x, k, mode="same"),
                               atol=1e-10)


@pytest.mark.parametrize("stride", [2, 3, (1, 2), (3, 1)])
def test_stride_keeps_every_s_th_output_of_the_unstrided_result(stride):
    sh, sw = _pair(stride)
    rng = _rng(sh, sw)
    x, k = rng.normal(size=(9, 8)), rng.normal(size=(3, 2))
    np.testing.assert_allclose(cross_correlate2d(x, k, stride=stride),
                               signal.correlate2d(x, k, mode="valid")[::sh, ::sw], atol=1e-10)


def test_conv2d_flip_is_true_convolution_per_channel():
    rng = _rng(11)
    x = rng.normal(size=(6, 7, 2))  # (H, W, C_in)
    kernels = rng.normal(size=(3, 2, 2, 1))  # (kh, kw, C_in, C_out)
    expected = sum(signal.convolve2d(x[..., d], kernels[..., d, 0], mode="valid") for d in range(2))
    np.testing.assert_allclose(conv2d(x, kernels, flip=True)[..., 0], expected, atol=1e-10)


def test_convolution_and_cross_correlation_differ_by_a_kernel_flip():
    x = np.arange(12.0).reshape(3, 4)
    k = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(convolve2d(x, k), cross_correlate2d(x, k[::-1, ::-1]))
    assert not np.array_equal(convolve2d(x, k), cross_correlate2d(x, k))


# ---------------------------------------------------------------------------
# Output sizes and padding amounts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("size, kernel, padding, stride, expected", [
    (5, 3, 0, 1, 3), (32, 3, 1, 1, 32), (7, 3, 0, 2, 3), (8, 3, 0, 2, 3), (128, 5, 0, 2, 62),
    (5, 3, "full", 1, 7), (5, 5, "valid", 1, 1), (7, 2, "same", 3, 3), (10, 4, 2, 3, 4),
])
def test_output_size_formula(size, kernel, padding, stride, expected):
    assert output_size(size, kernel, padding=padding, stride=stride) == expected


@pytest.mark.parametrize("size, kernel, stride", list(itertools.product([1, 4, 5, 8], [1, 2, 3, 6], [1, 2, 3])))
def test_same_padding_puts_the_zeros_where_keras_puts_them(size, kernel, stride):
    # The reference is Keras's own Conv2D(padding="same"): our zeros, added by hand with np.pad and
    # followed by a "valid" cross-correlation, must give its numbers. A random kernel over a random
    # column tells every split of the zeros apart (one more zero before shifts every output).
    before, after = pad_amounts(size, kernel, stride=stride, padding="same")
    x = _rng(size, kernel, stride).normal(size=(1, size, 1, 1)).astype("float32")
    k = _rng(kernel).normal(size=(kernel, 1, 1, 1)).astype("float32")
    layer = keras.layers.Conv2D(1, (kernel, 1), strides=(stride, 1), padding="same", use_bias=False)
    layer.build(x.shape)
    layer.set_weights([k])
    expected = np.asarray(layer(x))[0, :, 0, 0]
    padded = np.pad(x[0, :, 0, 0], (before, after))
    ours = np.array([padded[i * stride:i * stride + kernel] @ k[:, 0, 0, 0] for i in range(len(expected))])
    np.testing.assert_allclose(ours, expected, atol=ATOL)
    assert output_size(size, kernel, padding="same", stride=stride) == len(expected)


@pytest.mark.parametrize("padding, expected", [("valid", (0, 0)), ("full", (4, 4)), (2, (2, 2)), ("SAME", (2, 2))])
def test_pad_amounts_other_paddings(padding, expected):
    assert pad_amounts(10, 5, padding=padding) == expected


def test_stride_and_padding_are_keyword_only_and_the_old_orders_still_work_with_a_warning():
    # The two functions used to take the pair in opposite orders: pad_amounts(size, kernel, stride,
    # padding) and output_size(size, kernel, padding, stride). Old positional calls keep their meaning
    # until the removal date, each with a DeprecationWarning that shows the keyword form.
    with pytest.warns(DeprecationWarning, match=r"pad_amounts\(size, kernel, stride=2, padding='same'\)"):
        assert pad_amounts(7, 3, 2, "same") == pad_amounts(7, 3, stride=2, padding="same") == (1, 1)
    with pytest.warns(DeprecationWarning, match=r"output_size\(size, kernel, padding=1, stride=2\)"):
        assert output_size(7, 3, 1, 2) == output_size(7, 3, padding=1, stride=2) == 4
    with pytest.raises(TypeError, match="multiple values for argument 'stride'"):
        pad_amounts(7, 3, 2, stride=2)
    with pytest.raises(TypeError, match="at most 4 positional"):
        pad_amounts(7, 3, 2, "same", 1)
    assert list(inspect.signature(pad_amounts).parameters)[2:] == ["stride", "padding"]
    assert all(inspect.signature(f).parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
               for f, name in [(pad_amounts, "stride"), (pad_amounts, "padding"),
                               (output_size, "stride"), (output_size, "padding")])


# ---------------------------------------------------------------------------
# Errors: the package's template, naming the sizes and the fix
# ---------------------------------------------------------------------------


def test_output_size_too_small_input_names_sizes_and_fix():
    with pytest.raises(ValueError, match=r"at least the kernel size 5 once padded \(it is 3\).*padding='same'"):
        output_size(3, 5)


def test_conv2d_channel_mismatch():
    with pytest.raises(ValueError, match=r"`kernels` argument must be shaped \(kh, kw, 3, C_out\)"):
        conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 2, 4)))


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError,
                       match=r"padded input, 4x4 \(input 4x4.*Received: kernel='5x5'. Use a smaller kernel"):
        conv2d(np.zeros((4, 4, 1)), np.zeros((5, 5, 1, 1)))
    with pytest.raises(ValueError, match="padded input, 3x4"):
        cross_correlate2d(np.zeros((3, 4)), np.zeros((4, 2)))


@pytest.mark.parametrize("call, match", [
    (lambda: cross_correlate2d(np.zeros((5, 5)), np.ones((3, 3)), padding="centre"),
     "`padding` argument must be one of 'valid', 'same', 'full'"),
    (lambda: cross_correlate2d(np.zeros((5, 5)), np.ones((3, 3)), padding=-1), "`padding`"),
    (lambda: cross_correlate2d(np.zeros((5, 5)), np.ones((3, 3)), stride=0), "`stride`"),
    (lambda: cross_correlate2d(np.zeros((5, 5, 1)), np.ones((3, 3))), "use conv2d for channels"),
    (lambda: conv2d(np.zeros((5, 5, 2)), np.ones((3, 3, 2, 4)), bias=np.zeros(3)), r"shape \(4,\), one per filter"),
    (lambda: conv2d(np.zeros((5, 5)), np.ones((3, 3, 1, 1))), r"\(H, W, C_in\)"),
    (lambda: pool2d(np.zeros((5, 5)), 2, mode="median"), "one of 'max', 'average', 'min'"),
    (lambda: pool2d(np.zeros((5, 5)), 2, padding="full"), "one of 'valid', 'same'"),
    (lambda: pool2d(np.zeros((2, 5)), 3), r"`pool_size`.*padded input, 2x5"),
    (lambda: output_size(5, 0), "`kernel` argument must be a positive integer"),
])
def test_bad_arguments_raise_the_standard_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_one_output_size_formula_serves_the_builder_and_explain():
    # The deprecated models.conv_output_size and explain's shape column both go through
    # convolution.output_size; a dilated 3x3 kernel spans 5 pixels, as in Keras.
    import keras

    from cnn_course import explain, models

    assert output_size(10, 3, dilation=2) == 6 == keras.layers.Conv2D(1, 3, dilation_rate=2)(
        keras.Input((10, 10, 1))).shape[1]
    assert output_size(2, 3, allow_empty=True) == 0
    with pytest.warns(DeprecationWarning, match="convolution.output_size"):
        assert models.conv_output_size(148, 2, stride=2) == 74
    model = keras.Sequential([keras.Input((10, 10, 1)), keras.layers.Conv2D(1, 3, dilation_rate=2, name="c")])
    assert "(None, 6, 6, 1)" in str(explain.explain_model(model))
    with pytest.raises(ValueError, match=r"^Input 20x20 is too small for 4 conv\(3x3, valid\)\+max-pool\(2x2\) "
                                         r"blocks: the feature map would be 0x0 after block3\. Use a larger"):
        models.convnet_shapes((20, 20, 3), (8, 8, 8, 8))
