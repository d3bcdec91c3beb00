"""Public checks of assignment a1_convolution (generated from assignments/a1_convolution/a1_convolution.py by
`python tools/sync_assignments.py`: do not edit by hand)."""

NAME = 'a1_convolution'
VERSION = '54f996e6ce72'
QUESTIONS = {"q1": {"public": 2, "hidden": 2, "hidden_checks": ["output_size agrees with the formula on many sizes, kernels, paddings and strides (1)", "same_padding keeps the size for every odd kernel from 1 to 15 (1)"]}, "q2": {"public": 3, "hidden": 3, "hidden_checks": ["conv2d matches the reference on random inputs, shapes, paddings and strides (rtol 1e-6) (1)", "conv2d works on float32 arrays, the type Keras computes in (rtol 1e-4) (1)", "conv2d is written by hand, with NumPy only (1)"]}, "q3": {"public": 2, "hidden": 2, "hidden_checks": ["convolve matches the reference true convolution on random inputs (rtol 1e-6) (1)", "Part (c): the kernels for which convolution and cross-correlation agree (1)"]}, "q4": {"public": 2, "hidden": 2, "hidden_checks": ["max_pool2d matches the reference on random inputs (negative numbers, float32) and strides (1)", "max_pool2d is written by hand, with NumPy only (1)"]}, "q5": {"public": 2, "hidden": 2, "hidden_checks": ["dense_params and conv_params on many layers, including VGG16's and the lecture's (1)", "Part (b): the two counts for a 96x128x3 photo, and which one grows with the image (1)"]}}

import numpy as np

from cnn_course.checks import public

#: Seconds the grader gives one submission: the reference runs in 0.2 s on a 2-core laptop; a student's
#: loops over every pixel may take a hundred times longer and still deserve their points.
TIME_LIMIT_SECONDS = 60


def _written(value, name):
    """Fail with a plain message when a function still returns nothing (its `...` is not replaced yet)."""
    assert value is not None and value is not Ellipsis, f"{name} returns {value!r}: replace its `...` with your code"


@public("q1", points=1)
def output_size_examples(output_size):
    """output_size on the small cases of the text and a few more"""
    cases = [((5, 3), {}, 3), ((5, 3), {"padding": 1}, 5), ((8, 3), {"stride": 2}, 3),
             ((7, 3), {"stride": 2}, 3), ((32, 3), {"padding": 1}, 32), ((6, 2), {"padding": 2, "stride": 3}, 3)]
    for args, kwargs, want in cases:
        got = output_size(*args, **kwargs)
        _written(got, "output_size")
        call = ", ".join([str(a) for a in args] + [f"{key}={value}" for key, value in kwargs.items()])
        assert got == want, (f"output_size({call}) returned {got!r}: draw the padded input and count "
                             "the places where the whole kernel fits")


@public("q1", points=1)
def same_padding_examples(same_padding):
    """same_padding for 3x3 and 5x5 kernels"""
    for k in (3, 5):
        p = same_padding(k)
        _written(p, "same_padding")
        assert p == (k - 1) // 2, (f"same_padding({k}) returned {p!r}: with that many zeros on each side, "
                                   "an input of size 10 does not give an output of size 10")

@public("q2", points=1)
def conv2d_worked_example(conv2d):
    """conv2d on the worked example of the text (exact integers)"""
    x = np.array([[1, 2, 0], [0, 1, 3], [2, 1, 0]]).reshape(3, 3, 1)
    kernels = np.array([[1, 2], [0, -1]]).reshape(2, 2, 1, 1)
    y = conv2d(x, kernels, np.zeros(1, dtype=int))
    _written(y, "conv2d")
    assert np.shape(y) == (2, 2, 1), (f"the output has shape {np.shape(y)}; a 3x3 input and a 2x2 kernel "
                                      "give a 2x2 map, and one filter gives one channel")
    assert np.array_equal(np.asarray(y)[:, :, 0], [[4, -1], [1, 7]]), (
        f"the output is {np.asarray(y)[:, :, 0].tolist()}, not what the example gives by hand: check which "
        "numbers each kernel position covers, and that the kernel is not flipped")


@public("q2", points=1)
def conv2d_output_shapes(conv2d):
    """conv2d's output shape with padding, stride and several channels and filters"""
    x = np.zeros((6, 8, 3))
    for kernel_shape, padding, stride in [((3, 3, 3, 4), 0, 1), ((3, 3, 3, 4), 1, 1), ((3, 3, 3, 4), 1, 2),
                                          ((3, 3, 3, 4), 2, 3), ((2, 3, 3, 2), 0, 1)]:
        kh, kw, _, n_filters = kernel_shape
        y = conv2d(x, np.zeros(kernel_shape), np.zeros(n_filters), padding=padding, stride=stride)
        _written(y, "conv2d")
        want = ((6 - kh + 2 * padding) // stride + 1, (8 - kw + 2 * padding) // stride + 1, n_filters)
        assert np.shape(y) == want, (
            f"with x of shape (6, 8, 3), kernels of shape {kernel_shape}, padding={padding} and "
            f"stride={stride}, the output has shape {np.shape(y)}, which does not follow the output-size "
            "formula of question 1 (one output channel per filter)")


@public("q2", points=1)
def conv2d_channels_and_bias(conv2d):
    """conv2d adds up over the input channels and adds each filter's bias"""
    x = np.zeros((3, 3, 2), dtype=int)
    x[:, :, 0] = [[1, 2, 0], [0, 1, 3], [2, 1, 0]]
    x[:, :, 1] = [[1, 0, 2], [0, 1, 0], [3, 0, 1]]
    kernels = np.zeros((2, 2, 2, 2), dtype=int)
    kernels[:, :, 0, 0] = [[1, 2], [0, -1]]  # filter 0 looks at both channels
    kernels[:, :, 1, 0] = [[0, 0], [0, 1]]
    kernels[:, :, 1, 1] = [[1, 1], [1, 1]]  # filter 1 looks at channel 1 only
    y = conv2d(x, kernels, np.array([10, -1]))
    _written(y, "conv2d")
    assert np.shape(y) == (2, 2, 2), f"the output has shape {np.shape(y)}: two filters give two channels"
    y = np.asarray(y)
    assert np.array_equal(y[:, :, 1], [[1, 2], [3, 1]]), (
        f"filter 1 (a 2x2 block of ones on channel 1, bias -1) gives {y[:, :, 1].tolist()}: each output "
        "number is the sum over all channels of the window times the filter, plus that filter's bias")
    assert np.array_equal(y[:, :, 0], [[15, 9], [11, 18]]), (
        f"filter 0 (both channels, bias 10) gives {y[:, :, 0].tolist()}: each output number is the sum over "
        "all channels of the window times the filter, plus that filter's bias")

@public("q3", points=1)
def flip_example(flip):
    """flip turns each filter in its spatial axes and leaves channels and filters in place"""
    base = np.array([[1, 2, 3], [4, 5, 6]])
    kernels = np.zeros((2, 3, 2, 2), dtype=int)
    for c in range(2):
        for f in range(2):
            kernels[:, :, c, f] = base * (1 + c + 10 * f)
    flipped = flip(kernels)
    _written(flipped, "flip")
    flipped = np.asarray(flipped)
    assert flipped.shape == kernels.shape, f"flip returned shape {flipped.shape}; it should keep the shape"
    for c in range(2):
        for f in range(2):
            assert np.array_equal(flipped[:, :, c, f], [[6, 5, 4], [3, 2, 1]] * np.array(1 + c + 10 * f)), (
                f"channel {c} of filter {f} is {flipped[:, :, c, f].tolist()} after flip: turn only the two "
                "spatial axes, and keep each channel and filter where it was")


@public("q3", points=1)
def convolve_worked_example(convolve):
    """convolve on the worked example of question 2"""
    x = np.array([[1, 2, 0], [0, 1, 3], [2, 1, 0]]).reshape(3, 3, 1)
    kernels = np.array([[1, 2], [0, -1]]).reshape(2, 2, 1, 1)
    y = convolve(x, kernels, np.zeros(1, dtype=int))
    _written(y, "convolve")
    assert np.shape(y) == (2, 2, 1), f"the output has shape {np.shape(y)}, not the shape conv2d gives"
    assert np.array_equal(np.asarray(y)[:, :, 0], [[0, 3], [5, 1]]), (
        f"the output is {np.asarray(y)[:, :, 0].tolist()}: turn the kernel by 180 degrees, then slide it as "
        "in question 2")

@public("q4", points=1)
def max_pool_worked_example(max_pool2d):
    """max_pool2d on the worked example of the text"""
    x = np.array([[1, 5, 2, 0], [3, 2, 8, 1], [0, 4, 6, 7], [9, 1, 3, 2]]).reshape(4, 4, 1)
    y = max_pool2d(x)
    _written(y, "max_pool2d")
    assert np.shape(y) == (4 // 2, 4 // 2, 1), f"the output has shape {np.shape(y)}, not 2x2 with one channel"
    assert np.array_equal(np.asarray(y)[:, :, 0], [[5, 8], [9, 7]]), (
        f"the output is {np.asarray(y)[:, :, 0].tolist()}: keep the largest number of each 2x2 window")


@public("q4", points=1)
def max_pool_shapes_and_channels(max_pool2d):
    """max_pool2d's output shape with other windows and strides, each channel pooled on its own"""
    x = np.zeros((5, 7, 3))
    for pool_size, stride in [(2, None), (3, 1), (3, 2), (2, 3)]:
        y = max_pool2d(x, pool_size, stride)
        _written(y, "max_pool2d")
        step = pool_size if stride is None else stride
        want = ((5 - pool_size) // step + 1, (7 - pool_size) // step + 1, 3)
        assert np.shape(y) == want, (f"with x of shape (5, 7, 3), pool_size={pool_size} and stride={stride}, "
                                     f"the output has shape {np.shape(y)}, which does not follow the formula")
    x = np.stack([np.eye(2), 2 * np.ones((2, 2)), -np.ones((2, 2))], axis=-1)  # (2, 2, 3)
    y = np.asarray(max_pool2d(x))
    assert np.shape(y) == (1, 1, 3) and np.array_equal(y.ravel(), [1, 2, -1]), (
        f"three channels of one 2x2 window each gave {y.ravel().tolist()}: take one maximum per channel")

@public("q5", points=1)
def dense_params_examples(dense_params):
    """dense_params on small layers you can count by hand"""
    for n_inputs, units in [(2, 1), (4, 3), (10, 5)]:
        got = dense_params(n_inputs, units)
        _written(got, "dense_params")
        assert got == (n_inputs + 1) * units, (
            f"dense_params({n_inputs}, {units}) returned {got!r}: draw the layer and count its connections "
            "and its biases")


@public("q5", points=1)
def conv_params_examples(conv_params):
    """conv_params on small layers you can count by hand"""
    for kh, kw, channels, filters in [(1, 1, 2, 1), (3, 3, 1, 2), (2, 3, 4, 5)]:
        got = conv_params(kh, kw, channels, filters)
        _written(got, "conv_params")
        assert got == (kh * kw * channels + 1) * filters, (
            f"conv_params({kh}, {kw}, {channels}, {filters}) returned {got!r}: count the weights of one "
            "filter (across all input channels) and its bias, then multiply by the number of filters")
