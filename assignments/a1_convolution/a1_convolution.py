# %% [markdown]
# # A1 · Convolution by hand
#
# **Lecture topics:** the convolution layer (cross-correlation with several
# channels and filters, biases), true convolution and the flipped kernel,
# padding and stride, the output-size formula, max pooling, and why a
# convolution needs far fewer parameters than a dense layer.
#
# **What you will do:** write, in plain NumPy, the forward pass of a
# convolution layer and of a max-pooling layer, the formula for their output
# size, and the parameter counts of dense and convolution layers. No
# TensorFlow here: every line that computes something is yours.
#
# **Builds on:** notebook 01, sections "Convolution, step by step", "The
# formulas, and grids that are not images", "The slides' worked examples,
# checked", "Padding, stride and the output size" and "Why convolutions need
# far fewer parameters"; notebook 02, section "Max pooling by hand".
#
# **Time:** about 90 minutes of work; the finished notebook runs in a few
# seconds on a laptop CPU.
#
# **Points:** 22 in all, in five questions (q1 to q5).
#
# **How to check your work:** after each question, run its `check("q1")` cell
# (`check("q2")`, ...). It runs the *public* checks on your answer and prints
# PASS or FAIL with a reason. When your teacher grades, the same public checks
# run again together with *hidden* checks worth more points: they try your
# functions on other shapes, paddings, strides and float types than the
# examples here. A function that passes the public checks is not always right:
# test it on cases of your own too.
#
# **Rules:** write the answers with NumPy only (loops or array slicing, both
# get full marks). Do not call SciPy, a deep-learning library or
# `cnn_course.convolution` inside your functions: a hidden check looks for
# that. Replace each `...` with your code, and keep the names and arguments of
# the functions as they are.

# %% [markdown]
# ## Setup

# %%
import numpy as np

from cnn_course import assignment

check = assignment.checker("a1_convolution", globals())

# %% [markdown]
# ## Question 1: how big is the output? (4 points)
#
# A kernel of size `k` slides along one side of an input of size `n`. Before it
# slides, `padding` zeros are added on *each* side (so the padded side has
# `n + 2 * padding` cells), and it moves `stride` cells at a time. The number of
# places where the whole kernel fits is
#
# `floor((n - k + 2 * padding) / stride) + 1`.
#
# The same formula gives the height (with `n` = height, `k` = kernel height)
# and the width of a feature map, for convolution and for pooling alike.
#
# **(a)** Write `output_size(n, k, padding=0, stride=1)`. It returns an integer.
# Check yourself on small cases by drawing them:
#
# - `n=5, k=3`: the kernel fits at positions 0, 1 and 2, so the answer is 3.
# - `n=5, k=3, padding=1`: the padded side has 7 cells.
# - `n=8, k=3, stride=2`: the kernel starts at 0, 2, 4, ... and must still fit;
#   a start where it would stick out of the input does not count.
#
# **(b)** With stride 1 and an odd kernel size `k`, some padding keeps the output
# exactly as large as the input ("same" padding). Write `same_padding(k)`: the
# number of zeros to add on each side.

# %%
def output_size(n, k, padding=0, stride=1):
    """Length of a convolution's or pooling's output along one axis.

    Args:
        n: length of the input along this axis (height or width).
        k: length of the kernel (or pooling window) along this axis.
        padding: zeros added on each side before sliding.
        stride: how many cells the window moves at each step.

    Returns:
        The number of positions where the window fits, an int.
    """
    # BEGIN SOLUTION
    return (n - k + 2 * padding) // stride + 1
    # END SOLUTION


def same_padding(k):
    """Zeros on each side that keep the size unchanged, for stride 1 and an odd kernel size `k`."""
    return (k - 1) // 2  # SOLUTION


print("n=5, k=3:", output_size(5, 3))
print("n=8, k=3, stride=2:", output_size(8, 3, stride=2))
print("same padding for a 5x5 kernel:", same_padding(5))

# %% tags=["checks"]
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


# %% tags=["hidden-checks"]
import numpy as np

from cnn_course.checks import hidden, hidden_seed


@hidden("q1", points=1)
def output_size_many_cases(output_size):
    """output_size agrees with the formula on many sizes, kernels, paddings and strides"""
    # 300 cases drawn from the course secret (sizes up to 64, kernels up to 9, padding up to 4, stride up
    # to 5): each call crosses to the student's process, so a few hundred, not every combination.
    rng = np.random.default_rng(hidden_seed("q1 sizes"))
    cases = [(int(n), int(k), int(p), int(s)) for n, k, p, s in zip(
        rng.integers(1, 65, 1000), rng.integers(1, 10, 1000), rng.integers(0, 5, 1000), rng.integers(1, 6, 1000))]
    for n, k, p, s in [case for case in cases if case[1] <= case[0] + 2 * case[2]][:300]:
        got = output_size(n, k, padding=p, stride=s)
        assert got == (n - k + 2 * p) // s + 1, (
            f"output_size({n}, {k}, padding={p}, stride={s}) returned {got!r}, which is not "
            "the number of places the kernel fits")


@hidden("q1", points=1)
def same_padding_any_kernel(same_padding):
    """same_padding keeps the size for every odd kernel from 1 to 15"""
    for k in range(1, 16, 2):
        p = same_padding(k)
        assert 2 * p == k - 1, f"same_padding({k}) returned {p!r}, which does not keep the size"


# %%
check("q1")

# %% [markdown]
# ## Question 2: a convolution layer's forward pass (6 points)
#
# A convolution layer takes an input `x` of shape `(H, W, C)` (height, width,
# channels: 3 for a colour image, or the number of feature maps of the layer
# before) and `F` filters. Each filter is a small block of weights as deep as
# the input: the kernels are stored together as one array of shape
# `(kh, kw, C, F)` (the layout Keras uses, so `kernels[:, :, :, f]` is filter
# `f`). There is one bias per filter, `bias` of shape `(F,)`.
#
# To compute output `y[i, j, f]`: pad `x` with `padding` zeros on each side of
# the height and the width (never along the channels), put filter `f` on the
# padded input with its top-left corner at row `i * stride`, column
# `j * stride`, multiply the `kh x kw x C` numbers it covers by the filter's
# weights, add them all up, and add `bias[f]`. The output has shape
# `(H', W', F)`, with `H'` and `W'` from the formula of question 1. This is
# cross-correlation: the kernel is used as it is, not flipped (question 3 is
# about the flip).
#
# **Worked example** (one channel, one filter, no padding, stride 1, bias 0):
#
# ```
# x (3x3)      kernel (2x2)
# 1  2  0      1   2
# 0  1  3      0  -1
# 2  1  0
# ```
#
# The output is 2x2. At the top-left, the kernel covers `1 2 / 0 1`, so
# `y[0, 0] = 1*1 + 2*2 + 0*0 + 1*(-1) = 4`. Work out the other three numbers on
# paper, then compare them with what your function prints below. The
# example's arrays have the layer's shapes: `x` is `(3, 3, 1)`, the kernel
# `(2, 2, 1, 1)`.
#
# Write `conv2d(x, kernels, bias, padding=0, stride=1)`. Hints: `np.pad` adds
# zeros (give it one `(before, after)` pair per axis); `np.sum` of an
# element-wise product is the "multiply and add up" step. Your function must
# work for any number of channels and filters, non-square inputs and kernels,
# and for float64 and float32 arrays (float32 is the type Keras computes in).

# %%
def conv2d(x, kernels, bias, padding=0, stride=1):
    """Forward pass of a convolution layer (cross-correlation), with zero padding and a stride.

    Args:
        x: input of shape `(H, W, C)`.
        kernels: filters of shape `(kh, kw, C, F)`.
        bias: one number per filter, shape `(F,)`.
        padding: zeros added on each side of the height and the width.
        stride: step between neighbouring positions of the filters.

    Returns:
        Feature maps of shape `(H', W', F)`, with `H'` and `W'` given by
        `output_size`.
    """
    # BEGIN SOLUTION
    kh, kw, _, n_filters = kernels.shape
    x_padded = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))  # (H + 2p, W + 2p, C)
    out_h = (x_padded.shape[0] - kh) // stride + 1
    out_w = (x_padded.shape[1] - kw) // stride + 1
    y = np.zeros((out_h, out_w, n_filters), dtype=np.result_type(x, kernels, bias))
    for i in range(out_h):
        for j in range(out_w):
            window = x_padded[i * stride:i * stride + kh, j * stride:j * stride + kw, :]  # (kh, kw, C)
            for f in range(n_filters):
                y[i, j, f] = np.sum(window * kernels[:, :, :, f]) + bias[f]
    return y
    # END SOLUTION


example_x = np.array([[1, 2, 0],
                      [0, 1, 3],
                      [2, 1, 0]]).reshape(3, 3, 1)  # (H, W, C)
example_kernel = np.array([[1, 2],
                           [0, -1]]).reshape(2, 2, 1, 1)  # (kh, kw, C, F)
example_y = conv2d(example_x, example_kernel, np.zeros(1, dtype=int))
print(np.shape(example_y))
print(np.asarray(example_y)[..., 0] if np.ndim(example_y) == 3 else example_y)

# %% tags=["checks"]
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


# %% tags=["hidden-checks"]
from cnn_course import convolution as _reference
from cnn_course.checks import global_names, hidden_seed

# Top-level packages a function written by hand must not reach. Spelled with capitals and compared in lower
# case, because the grader imports the deep-learning library up front when the master's text names it.
_LIBRARIES = {name.lower() for name in ("cnn_course", "scipy", "skimage", "cv2", "Keras", "TensorFlow",
                                        "torch", "jax")}
# Routines (NumPy's included) that would slide the kernel or the window for the student.
_SLIDING_ROUTINES = {"convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve",
                     "maximum_filter", "block_reduce", "pool2d", "cross_correlate2d", "conv_general_dilated"}


def _assert_by_hand(function, name):
    names = global_names(function)  # the names it uses, through the helpers it calls
    if names is None:
        raise AssertionError(f"{name} should be a function defined with `def` in the notebook")
    used = sorted({used for used, module in names if (module is not None and module.lower() in _LIBRARIES)
                   or (module is None and (used in _SLIDING_ROUTINES or used.lower() in _LIBRARIES))})
    assert not used, (f"{name} uses {', '.join(used)}: write the sliding window yourself in NumPy (loops or "
                      "slicing), without SciPy, a deep-learning library or cnn_course.convolution")


def _assert_close(got, want, what, rtol=1e-6):
    got = np.asarray(got)
    assert got.shape == want.shape, f"{what}: the output has shape {got.shape}, expected {want.shape}"
    atol = rtol * max(float(np.abs(want).max()), 1.0)
    worst = float(np.abs(got.astype(np.float64) - want).max())
    assert np.allclose(got, want, rtol=rtol, atol=atol), f"{what}: values differ by up to {worst:.3g}"


# Shapes, paddings and strides the student never saw: (H, W, C, kh, kw, F, padding, stride).
_CONV_CASES = [(5, 5, 1, 3, 3, 1, 0, 1), (7, 9, 3, 3, 3, 4, 1, 1), (8, 11, 2, 3, 2, 3, 2, 2),
               (10, 7, 3, 5, 3, 2, 1, 3), (9, 9, 4, 2, 2, 5, 0, 2), (6, 13, 2, 4, 4, 3, 2, 3),
               (12, 10, 3, 3, 5, 2, 2, 1), (4, 4, 3, 4, 4, 2, 0, 1)]


def _conv_case(rng, h, w, c, kh, kw, f):
    return rng.normal(size=(h, w, c)), rng.normal(size=(kh, kw, c, f)), rng.normal(size=f)


@hidden("q2", points=1)
def conv2d_random_inputs(conv2d):
    """conv2d matches the reference on random inputs, shapes, paddings and strides (rtol 1e-6)"""
    rng = np.random.default_rng(hidden_seed("q2 random inputs"))  # from the course secret
    for h, w, c, kh, kw, f, p, s in _CONV_CASES:
        x, kernels, bias = _conv_case(rng, h, w, c, kh, kw, f)
        want = _reference.conv2d(x, kernels, bias, padding=p, stride=s)
        _assert_close(conv2d(x, kernels, bias, padding=p, stride=s), want,
                      f"x {x.shape}, kernels {kernels.shape}, padding={p}, stride={s}")


@hidden("q2", points=1)
def conv2d_float32_inputs(conv2d):
    """conv2d works on float32 arrays, the type Keras computes in (rtol 1e-4)"""
    rng = np.random.default_rng(hidden_seed("q2 float32 inputs"))  # from the course secret
    for h, w, c, kh, kw, f, p, s in _CONV_CASES[1:5]:
        x, kernels, bias = (part.astype(np.float32) for part in _conv_case(rng, h, w, c, kh, kw, f))
        want = _reference.conv2d(x.astype(np.float64), kernels.astype(np.float64), bias.astype(np.float64),
                                 padding=p, stride=s)
        _assert_close(conv2d(x, kernels, bias, padding=p, stride=s), want,
                      f"float32 x {x.shape}, kernels {kernels.shape}, padding={p}, stride={s}",
                      rtol=1e-4)  # float32 keeps about 7 digits; sums of ~100 products lose a few


@hidden("q2", points=1)
def conv2d_written_by_hand(conv2d):
    """conv2d is written by hand, with NumPy only"""
    y = conv2d(np.arange(12.0).reshape(3, 4, 1), np.ones((2, 2, 1, 1)), np.zeros(1))
    assert np.shape(y) == (2, 3, 1), "write conv2d first: it should return the feature maps as an array"
    _assert_by_hand(conv2d, "conv2d")


# %%
check("q2")

# %% [markdown]
# ## Question 3: convolution or cross-correlation? (4 points)
#
# In mathematics, *convolution* turns the kernel by 180 degrees (upside down
# and left to right) before sliding it; what you wrote in question 2 slides it
# unturned, which is *cross-correlation*. Deep-learning libraries compute
# cross-correlation and call it convolution. For a layer that learns its
# weights the difference is harmless: it would simply learn the turned kernel.
#
# **(a)** Write `flip(kernels)`: for kernels of shape `(kh, kw, C, F)`, return
# the array with every filter turned by 180 degrees in its two spatial axes.
# The channels and the filters stay where they are. For example the 2x3
# kernel `1 2 3 / 4 5 6` becomes `6 5 4 / 3 2 1`.
#
# **(b)** Write `convolve(x, kernels, bias, padding=0, stride=1)`, the true
# convolution, with the same arguments and shapes as `conv2d`. One line that
# uses your two functions is enough.
#
# **(c)** For which kernels does the flip change nothing, so that convolution
# and cross-correlation give the same output? Answer with the set of letters of
# the kernels below for which they agree (for example `{"b", "d"}`). You may
# compute the answer with your `flip`.

# %%
def flip(kernels):
    """Turn each filter of `kernels`, shaped `(kh, kw, C, F)`, by 180 degrees in its spatial axes."""
    return kernels[::-1, ::-1]  # SOLUTION


def convolve(x, kernels, bias, padding=0, stride=1):
    """True convolution: cross-correlation with each filter turned by 180 degrees. Arguments as `conv2d`."""
    return conv2d(x, flip(kernels), bias, padding, stride)  # SOLUTION


candidates = {
    "a": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]),
    "b": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "c": np.array([[0, 1], [1, 0]]),
    "d": np.array([[1, 2], [3, 4]]),
    "e": np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]]),
}
symmetric_kernels = {"a", "c"}  # SOLUTION

convolved = convolve(example_x, example_kernel, np.zeros(1, dtype=int))
print(np.asarray(convolved)[..., 0] if np.ndim(convolved) == 3 else convolved)

# %% tags=["checks"]
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


# %% tags=["hidden-checks"]
@hidden("q3", points=1)
def convolve_random_inputs(convolve):
    """convolve matches the reference true convolution on random inputs (rtol 1e-6)"""
    rng = np.random.default_rng(hidden_seed("q3 random inputs"))  # from the course secret
    for h, w, c, kh, kw, f, p, s in _CONV_CASES:
        x, kernels, bias = _conv_case(rng, h, w, c, kh, kw, f)
        want = _reference.conv2d(x, kernels, bias, padding=p, stride=s, flip=True)
        _assert_close(convolve(x, kernels, bias, padding=p, stride=s), want,
                      f"x {x.shape}, kernels {kernels.shape}, padding={p}, stride={s}")


@hidden("q3", points=1)
def symmetric_kernels_answer(symmetric_kernels):
    """Part (c): the kernels for which convolution and cross-correlation agree"""
    if isinstance(symmetric_kernels, str):  # "a, c" or "ac": its letters
        letters = {char for char in symmetric_kernels.lower() if char.isalpha()}
    else:
        letters = {str(letter).strip().lower() for letter in symmetric_kernels}
    assert letters == {"a", "c"}, (f"{sorted(letters)} is not the right set: the two agree exactly when "
                                   "turning the kernel by 180 degrees gives the same kernel")


# %%
check("q3")

# %% [markdown]
# ## Question 4: max pooling (4 points)
#
# Max pooling slides a `pool_size x pool_size` window over each channel
# separately and keeps the largest number in it. It has no weights. Its output
# size follows the same formula as in question 1, with no padding here. When
# `stride` is not given it equals `pool_size`, so the windows do not overlap
# (as in Keras's `MaxPooling2D`).
#
# **Worked example** (one channel, `pool_size=2`, stride 2):
#
# ```
# 1  5  2  0
# 3  2  8  1
# 0  4  6  7
# 9  1  3  2
# ```
#
# The top-left window holds `1 5 / 3 2`, so the top-left output is 5. The
# output is 2x2; find the other three by hand.
#
# Write `max_pool2d(x, pool_size=2, stride=None)` for `x` of shape `(H, W, C)`,
# returning `(H', W', C)`. Pooled numbers can be negative.

# %%
def max_pool2d(x, pool_size=2, stride=None):
    """Max pooling of each channel of `x`, shaped `(H, W, C)`, without padding.

    Args:
        x: input of shape `(H, W, C)`.
        pool_size: height and width of the window.
        stride: step between windows; None means `pool_size`.

    Returns:
        An array of shape `(H', W', C)`.
    """
    if stride is None:
        stride = pool_size
    # BEGIN SOLUTION
    out_h = (x.shape[0] - pool_size) // stride + 1
    out_w = (x.shape[1] - pool_size) // stride + 1
    y = np.zeros((out_h, out_w, x.shape[2]), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]  # (p, p, C)
            y[i, j, :] = window.max(axis=(0, 1))  # one maximum per channel
    return y
    # END SOLUTION


pool_example = np.array([[1, 5, 2, 0],
                         [3, 2, 8, 1],
                         [0, 4, 6, 7],
                         [9, 1, 3, 2]]).reshape(4, 4, 1)
pooled = max_pool2d(pool_example)
print(np.asarray(pooled)[..., 0] if np.ndim(pooled) == 3 else pooled)

# %% tags=["checks"]
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


# %% tags=["hidden-checks"]
@hidden("q4", points=1)
def max_pool_random_inputs(max_pool2d):
    """max_pool2d matches the reference on random inputs (negative numbers, float32) and strides"""
    rng = np.random.default_rng(hidden_seed("q4 random inputs"))  # from the course secret
    for h, w, c, pool_size, stride in [(6, 6, 1, 2, None), (7, 9, 3, 2, None), (9, 8, 2, 3, None),
                                       (8, 10, 3, 3, 1), (11, 7, 2, 2, 3), (10, 10, 4, 3, 2)]:
        for dtype in (np.float64, np.float32):
            x = (rng.normal(size=(h, w, c)) - 3).astype(dtype)  # mostly negative
            want = _reference.pool2d(x.astype(np.float64), pool_size, stride, mode="max")
            _assert_close(max_pool2d(x, pool_size, stride), want,
                          f"{np.dtype(dtype).name} x {x.shape}, pool_size={pool_size}, stride={stride}")


@hidden("q4", points=1)
def max_pool_written_by_hand(max_pool2d):
    """max_pool2d is written by hand, with NumPy only"""
    y = max_pool2d(np.arange(16.0).reshape(4, 4, 1))
    assert np.shape(y) == (2, 2, 1), "write max_pool2d first: it should return the pooled maps as an array"
    _assert_by_hand(max_pool2d, "max_pool2d")


# %%
check("q4")

# %% [markdown]
# ## Question 5: counting parameters (4 points)
#
# A dense layer connects each of its `units` to every one of its `n_inputs`
# inputs (one weight per connection) and gives each unit a bias. A convolution
# layer with `filters` kernels of size `kh x kw` on an input with `channels`
# channels has one weight per kernel cell per input channel per filter, and one
# bias per filter.
#
# **(a)** Write `dense_params(n_inputs, units)` and
# `conv_params(kh, kw, channels, filters)`, counting the biases. Small cases
# to check by hand: a dense layer from 2 inputs to 1 unit has 3 parameters; a
# 1x1 convolution with one filter on a 2-channel input has 3 too.
#
# **(b)** A colour photo 128 pixels wide and 96 high (`96 x 128 x 3`) goes
# either into a dense layer of 100 units (after flattening it into one vector)
# or into a convolution layer of 100 filters of 3x3. Store the two counts, from
# your functions, in `dense_count` and `conv_count`. Then answer: if the photo
# were twice as large in each direction, which count would change? Set
# `grows_with_image` to `"dense"` or `"conv"`.

# %%
def dense_params(n_inputs, units):
    """Weights and biases of a dense layer from `n_inputs` inputs to `units` units."""
    return (n_inputs + 1) * units  # SOLUTION


def conv_params(kh, kw, channels, filters):
    """Weights and biases of a convolution layer: `filters` kernels of `kh x kw` on `channels` channels."""
    return (kh * kw * channels + 1) * filters  # SOLUTION


dense_count = dense_params(96 * 128 * 3, 100)  # SOLUTION
conv_count = conv_params(3, 3, 3, 100)  # SOLUTION
grows_with_image = "dense"  # SOLUTION

print(f"dense: {dense_count}, conv: {conv_count}")

# %% tags=["checks"]
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


# %% tags=["hidden-checks"]
@hidden("q5", points=1)
def param_counts_many_cases(dense_params, conv_params):
    """dense_params and conv_params on many layers, including VGG16's and the lecture's"""
    assert conv_params(3, 3, 3, 64) == 1792 and conv_params(3, 3, 512, 512) == 2359808, (
        "conv_params gives other counts than Keras for VGG16's first and last convolution layers")
    assert dense_params(25088, 4096) == 102764544, "dense_params gives another count than Keras for VGG16's fc1"
    assert dense_params(1000 * 1000, 100) == 100000100 and conv_params(3, 3, 1, 100) == 1000, (
        "the counts for the lecture's 1000x1000 grayscale image are not right")
    rng = np.random.default_rng(hidden_seed("q5 random layers"))  # from the course secret
    for _ in range(50):
        n, units, kh, kw, channels, filters = (int(v) for v in rng.integers(1, 300, size=6))
        assert dense_params(n, units) == (n + 1) * units, f"dense_params({n}, {units}) is not the count"
        assert conv_params(kh, kw, channels, filters) == (kh * kw * channels + 1) * filters, (
            f"conv_params({kh}, {kw}, {channels}, {filters}) is not the count")


@hidden("q5", points=1)
def dense_vs_conv_answers(dense_count, conv_count, grows_with_image):
    """Part (b): the two counts for a 96x128x3 photo, and which one grows with the image"""
    assert dense_count == (96 * 128 * 3 + 1) * 100, f"dense_count is {dense_count!r}, not the dense layer's count"
    assert conv_count == (3 * 3 * 3 + 1) * 100, f"conv_count is {conv_count!r}, not the convolution layer's count"
    assert str(grows_with_image).strip().lower() == "dense", (
        f"grows_with_image is {grows_with_image!r}: which layer has one weight per input pixel?")


# %%
check("q5")

# %% [markdown]
# ## Before you hand in
#
# Restart the kernel and run every cell from the top: each `check` cell should
# print PASS for all its public checks. Then try your functions on a case of
# your own, say a 5x7 input with two channels, three 3x2 filters, padding 2 and
# stride 3: is the output shape what the formula of question 1 predicts? Hand
# in this notebook (the `.ipynb` file) with your answers in it.
