"""Convolution, cross-correlation and pooling written out in NumPy, to be read next to the lecture maths."""

import math
import numbers

import numpy as np

from cnn_course._aliases import positional_until_removal
from cnn_course._validation import arg_error, check_choice, check_pair, check_positive_int

#: The padding names understood here ("valid" and "same" as in Keras, plus "full").
PADDING_NAMES = ("valid", "same", "full")

#: The pooling functions `pool2d` knows.
POOL_MODES = ("max", "average", "min")


# ---------------------------------------------------------------------------
# Small argument helpers
# ---------------------------------------------------------------------------


def _check_padding(padding, allowed=PADDING_NAMES, allow_int=True):
    """Return `padding` as a lower-case name or a non-negative int, else raise."""
    if isinstance(padding, str):
        return check_choice("padding", padding.lower(), allowed)
    if allow_int and isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        if padding >= 0:
            return int(padding)
    expected = "one of " + ", ".join(repr(p) for p in allowed)
    if allow_int:
        expected += ", or an integer >= 0 (zeros added on every side)"
    raise arg_error("padding", padding, expected)


# ---------------------------------------------------------------------------
# Output sizes and padding
# ---------------------------------------------------------------------------


@positional_until_removal("stride", "padding")
def pad_amounts(size, kernel, *, stride=1, padding="same"):
    """Zeros added before and after one spatial axis, exactly as TensorFlow adds them.

    - `"valid"`: no padding, `(0, 0)`.
    - `"same"`: enough zeros that the output has `ceil(size / stride)` cells:
      `total = max((ceil(size / stride) - 1) * stride + kernel - size, 0)`,
      split as `before = total // 2` and `after = total - before`. When the
      total is odd, the extra zero goes after (at the bottom or right).
    - `"full"`: `kernel - 1` on each side, so every overlap of kernel and
      input is computed (the textbook "full" convolution).
    - an int `p`: `p` zeros on each side.

    Args:
        size: length of the input along this axis (height or width).
        kernel: length of the kernel (or pooling window) along this axis.
        stride: step between neighbouring windows (keyword-only, as is
            `padding`: `output_size` takes the same two by name).
        padding: `"valid"`, `"same"`, `"full"` or an int >= 0.

    Returns:
        A tuple `(before, after)` of ints.

    Raises:
        ValueError: for a non-positive size, kernel or stride, or an unknown
            padding.

    Example:

    >>> from cnn_course.convolution import pad_amounts
    >>> pad_amounts(5, 3, padding="same")
    (1, 1)
    >>> pad_amounts(6, 4, padding="same")  # 3 zeros in all: 1 before, 2 after
    (1, 2)
    >>> pad_amounts(5, 3, padding="full")
    (2, 2)
    """
    size = check_positive_int("size", size)
    kernel = check_positive_int("kernel", kernel)
    stride = check_positive_int("stride", stride)
    padding = _check_padding(padding)
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return kernel - 1, kernel - 1
    if padding == "same":
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2
    return padding, padding


@positional_until_removal("padding", "stride", "dilation", "allow_empty")
def output_size(size, kernel, *, padding=0, stride=1, dilation=1, allow_empty=False):
    """Length of a convolution's (or pooling's) output along one axis.

    The lecture formula, with `p` zeros on each side:

        output = floor((size - kernel + 2 * p) / stride) + 1

    The course's one implementation of it: `models.convnet_shapes` and
    `explain` call it too. A dilated kernel spans `dilation * (kernel - 1) + 1`
    pixels.

    `padding` may also be a name: `"valid"` is `p = 0`; `"same"` pads as
    Keras does, so the output is `ceil(size / stride)` (equal to `size` for
    stride 1); `"full"` is `p = kernel - 1`.

    Args:
        size: input length (height or width).
        kernel: kernel (or pooling window) length.
        padding: an int >= 0, or `"valid"`, `"same"` or `"full"`. This and
            the arguments after it are keyword-only, as in `pad_amounts`.
        stride: step between neighbouring windows.
        dilation: spacing between the kernel's taps (1: a plain kernel).
        allow_empty: if True, return 0 when the kernel does not fit instead
            of raising (for callers that name the layer where a stack vanishes).

    Returns:
        The output length, an int >= 1 (or 0 with `allow_empty`).

    Raises:
        ValueError: if an argument is invalid, or if the kernel does not fit
            in the padded input (the output would be empty).

    Example:

    >>> from cnn_course.convolution import output_size
    >>> output_size(32, 3, padding=1)  # 3x3 kernel, 1 pixel of zeros: size kept
    32
    >>> output_size(7, 3, stride=2)
    3
    >>> output_size(7, 3, padding="same", stride=2)
    4
    >>> output_size(2, 3, allow_empty=True)
    0
    """
    span = check_positive_int("dilation", dilation) * (check_positive_int("kernel", kernel) - 1) + 1
    before, after = pad_amounts(size, span, stride=stride, padding=padding)
    padded = size + before + after
    if span > padded:
        if allow_empty:
            return 0
        raise arg_error(
            "size", size, f"at least the kernel size {span} once padded (it is {padded})",
            "Use a smaller kernel, add padding (e.g. padding='same'), or a larger input",
        )
    return (padded - span) // stride + 1


# ---------------------------------------------------------------------------
# Two-dimensional (single-channel) cross-correlation and convolution
# ---------------------------------------------------------------------------


def _as_array(name, value, ndims, description):
    array = np.asarray(value)
    if array.ndim not in ndims or array.size == 0 or array.dtype.kind not in "biuf":
        raise arg_error(name, f"array of shape {array.shape} and dtype {array.dtype}", description, describe=True)
    return array.astype(np.result_type(array.dtype, np.float32))


def _pad_spatial(x, kernel_hw, stride_hw, padding, name="kernel"):
    """Zero-pad the two spatial axes of `x`, shaped `(N, H, W, C)`, for a window `(kh, kw)`."""
    (kh, kw), (sh, sw), (h, w) = kernel_hw, stride_hw, x.shape[1:3]
    top, bottom = pad_amounts(h, kh, stride=sh, padding=padding)
    left, right = pad_amounts(w, kw, stride=sw, padding=padding)
    if kh > h + top + bottom or kw > w + left + right:
        raise arg_error(
            name, f"{kh}x{kw}",
            f"no larger than the padded input, {h + top + bottom}x{w + left + right} "
            f"(input {h}x{w}, padding={padding!r})",
            f"Use a smaller {name}, more padding (e.g. padding='same'), or a larger input",
        )
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))


def conv2d(x, kernels, bias=None, padding="valid", stride=1, flip=False):
    """A convolution layer's forward pass: many input channels, many filters.

    For each filter `c`, slide a `kh x kw x C_in` window over the (padded)
    input and take its inner product with the filter:

        Y[i, j, c] = bias[c] + sum_{m, n, d} X[i*sh + m, j*sw + n, d] * K[m, n, d, c]

    This is a cross-correlation, which is what Keras's `Conv2D` computes.
    With `flip=True` the kernel is turned 180 degrees first, giving a true
    convolution.

    The kernel layout is Keras's, so a trained layer's weights plug straight
    in: `kernels, bias = layer.get_weights()`.

    Args:
        x: input `(H, W, C_in)`, or a batch `(N, H, W, C_in)`.
        kernels: filters `(kh, kw, C_in, C_out)`.
        bias: optional `(C_out,)`, added to every position of each map.
        padding: `"valid"` (no zeros), `"same"` (Keras/TF rule, see
            `pad_amounts`), `"full"`, or an int of zeros on every side.
        stride: an int, or a pair `(along_height, along_width)`.
        flip: False for cross-correlation (deep-learning "convolution"),
            True for true convolution.

    Returns:
        Feature maps `(H', W', C_out)`, or `(N, H', W', C_out)` for a batch,
        with `H'`, `W'` given by `output_size`.

    Raises:
        ValueError: if the shapes do not fit together (channel mismatch,
            kernel larger than the padded input, wrong number of biases) or an
            argument is invalid.

    Example:

    >>> import numpy as np
    >>> from cnn_course.convolution import conv2d
    >>> x = np.arange(16.0).reshape(4, 4, 1)   # (H, W, C_in)
    >>> k = np.ones((2, 2, 1, 2))              # (kh, kw, C_in, C_out)
    >>> y = conv2d(x, k, bias=[0.0, 100.0], stride=2)
    >>> y.shape
    (2, 2, 2)
    >>> y[..., 0]
    array([[10., 18.],
           [42., 50.]])
    """
    x = _as_array("x", x, (3, 4), "an array of shape (H, W, C_in) or (N, H, W, C_in)")
    kernels = _as_array("kernels", kernels, (4,), "an array of shape (kh, kw, C_in, C_out)")
    batched = x.ndim == 4
    if not batched:
        x = x[None]  # (1, H, W, C_in)
    kh, kw, c_in, c_out = kernels.shape
    if x.shape[-1] != c_in:
        raise arg_error(
            "kernels", f"an array of shape {kernels.shape}",
            f"shaped (kh, kw, {x.shape[-1]}, C_out) to match the input's {x.shape[-1]} channels",
            "The third kernel axis is the number of input channels",
            describe=True,
        )
    if bias is None:
        bias = np.zeros(c_out)
    bias = np.asarray(bias, dtype=float)
    if bias.shape != (c_out,):
        raise arg_error("bias", f"an array of shape {bias.shape}", f"an array of shape ({c_out},), one per filter",
                        describe=True)
    if flip:
        kernels = kernels[::-1, ::-1]  # turn each filter 180 degrees: true convolution
    sh, sw = check_pair("stride", stride)
    padding = _check_padding(padding)
    xp = _pad_spatial(x, (kh, kw), (sh, sw), padding)  # (N, H + pads, W + pads, C_in)

    out_h = (xp.shape[1] - kh) // sh + 1
    out_w = (xp.shape[2] - kw) // sw + 1
    y = np.zeros((x.shape[0], out_h, out_w, c_out), dtype=np.result_type(xp, kernels))
    for i in range(out_h):
        for j in range(out_w):
            window = xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]  # (N, kh, kw, C_in)
            # Multiply element-wise with every filter and sum over (kh, kw, C_in).
            y[:, i, j, :] = np.tensordot(window, kernels, axes=3)  # (N, C_out)
    y += bias  # one bias per filter, broadcast over (N, H', W')
    return y if batched else y[0]


def cross_correlate2d(x, k, padding="valid", stride=1):
    """Slide kernel `k` over image `x` and take the inner product at each stop.

        Y[i, j] = sum_m sum_n X[i*s + m, j*s + n] * K[m, n]

    This is the operation deep-learning libraries (Keras's `Conv2D` included)
    call "convolution".

    Args:
        x: 2-D input `(H, W)`.
        k: 2-D kernel `(kh, kw)`.
        padding: `"valid"`, `"same"`, `"full"` or an int of zeros per side.
        stride: an int, or a pair `(along_height, along_width)`.

    Returns:
        The 2-D feature map `(H', W')`.

    Raises:
        ValueError: if an input is not 2-D, the kernel does not fit in the
            padded input, or an argument is invalid.

    Example:

    >>> import numpy as np
    >>> from cnn_course.convolution import cross_correlate2d
    >>> x = np.array([[1, 2, 3],
    ...               [4, 5, 6],
    ...               [7, 8, 9]])
    >>> cross_correlate2d(x, [[1, 0], [0, -1]])  # top-left minus bottom-right
    array([[-4., -4.],
           [-4., -4.]])
    """
    x = _as_array("x", x, (2,), "a 2-D array (H, W); use conv2d for channels")
    k = _as_array("k", k, (2,), "a 2-D array (kh, kw); use conv2d for several channels")
    kh, kw = k.shape
    sh, sw = check_pair("stride", stride)
    padding = _check_padding(padding)
    xp = _pad_spatial(x[None, :, :, None], (kh, kw), (sh, sw), padding)[0, :, :, 0]  # (H + pads, W + pads)

    out_h = (xp.shape[0] - kh) // sh + 1
    out_w = (xp.shape[1] - kw) // sw + 1
    y = np.zeros((out_h, out_w), dtype=np.result_type(xp, k))
    for i in range(out_h):
        for j in range(out_w):
            window = xp[i * sh:i * sh + kh, j * sw:j * sw + kw]  # (kh, kw)
            y[i, j] = np.sum(window * k)
    return y


def convolve2d(x, k, padding="valid", stride=1):
    """True (mathematical) 2-D convolution: cross-correlation with the kernel flipped.

        Y[i, j] = sum_m sum_n X[i*s + m, j*s + n] * K[kh-1-m, kw-1-n]

    Convolution turns the kernel 180 degrees before sliding it; cross-correlation
    does not. For a kernel that is symmetric under that turn the two agree, and
    since a network learns its kernels, the flip makes no difference to what it
    can learn.

    Args:
        x: 2-D input `(H, W)`.
        k: 2-D kernel `(kh, kw)`.
        padding: `"valid"`, `"same"`, `"full"` or an int of zeros per side.
        stride: an int, or a pair `(along_height, along_width)`.

    Returns:
        The 2-D output `(H', W')`.

    Raises:
        ValueError: as `cross_correlate2d`.

    Example:

    >>> import numpy as np
    >>> from cnn_course.convolution import convolve2d
    >>> convolve2d([[1, 2, 3]], [[1, 0]], padding="full")  # flipped kernel [0, 1]
    array([[1., 2., 3., 0.]])
    """
    k = _as_array("k", k, (2,), "a 2-D array (kh, kw); use conv2d for several channels")
    return cross_correlate2d(x, k[::-1, ::-1], padding=padding, stride=stride)


# ---------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------


def pool2d(x, pool_size=2, stride=None, mode="max", padding="valid"):
    """Summarise each window of each channel by one number: its max, mean or min.

    Pooling works on every channel separately and has no weights. With
    `padding="same"` Keras's rule is followed: the padded cells are ignored,
    so max pooling takes the max over the real cells only and average pooling
    divides by the number of real cells in the window (not by the window size).

    Args:
        x: `(H, W)`, `(H, W, C)` or a batch `(N, H, W, C)`.
        pool_size: an int, or a pair `(along_height, along_width)`.
        stride: an int or a pair; None (default) means equal to `pool_size`,
            as in Keras.
        mode: `"max"`, `"average"` or `"min"`.
        padding: `"valid"` or `"same"`.

    Returns:
        An array of the same rank as `x`, with pooled height and width.

    Raises:
        ValueError: for an unknown mode or padding, or a window larger than a
            `"valid"` input.

    Example:

    >>> import numpy as np
    >>> from cnn_course.convolution import pool2d
    >>> x = np.array([[1, 3, 0, 2],
    ...               [4, 2, 1, 1],
    ...               [0, 0, 5, 6],
    ...               [1, 1, 7, 8]])
    >>> pool2d(x, 2)
    array([[4., 2.],
           [1., 8.]])
    >>> pool2d(x, 2, mode="average")
    array([[2.5, 1. ],
           [0.5, 6.5]])
    """
    x = _as_array("x", x, (2, 3, 4), "an array of shape (H, W), (H, W, C) or (N, H, W, C)")
    mode = check_choice("mode", mode, POOL_MODES)
    padding = _check_padding(padding, allowed=("valid", "same"), allow_int=False)
    ph, pw = check_pair("pool_size", pool_size)
    sh, sw = (ph, pw) if stride is None else check_pair("stride", stride)
    original_ndim = x.ndim
    x4 = x  # (N, H, W, C)
    if x.ndim == 2:
        x4 = x[None, :, :, None]  # (1, H, W, 1)
    elif x.ndim == 3:
        x4 = x[None]  # (1, H, W, C)

    xp = _pad_spatial(x4.astype(float), (ph, pw), (sh, sw), padding, name="pool_size")
    reduce = {"max": np.max, "average": np.mean, "min": np.min}[mode]
    if padding == "same":
        # Mark the padded cells NaN and use the NaN-skipping versions, so that
        # only real cells are compared or averaged.
        h, w = x4.shape[1:3]
        top, _ = pad_amounts(h, ph, stride=sh, padding=padding)
        left, _ = pad_amounts(w, pw, stride=sw, padding=padding)
        real = np.zeros(xp.shape[1:3], dtype=bool)
        real[top:top + h, left:left + w] = True
        xp[:, ~real, :] = np.nan
        reduce = {"max": np.nanmax, "average": np.nanmean, "min": np.nanmin}[mode]

    out_h = (xp.shape[1] - ph) // sh + 1
    out_w = (xp.shape[2] - pw) // sw + 1
    y = np.zeros((x4.shape[0], out_h, out_w, x4.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            window = xp[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :]  # (N, ph, pw, C)
            y[:, i, j, :] = reduce(window, axis=(1, 2))  # (N, C)
    if original_ndim == 2:
        return y[0, :, :, 0]
    return y[0] if original_ndim == 3 else y
