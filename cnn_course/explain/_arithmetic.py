"""Layer arithmetic without a model: the output shape and the parameter count of each kind of layer, with how.

`explain.explain_model` and `dense_vs_conv.compare_dense_and_conv` show these formulas next to
their results; `dense_params` and `conv_params` are the lecture's two counting rules.
"""

import math
import numbers
from typing import NamedTuple

from cnn_course._validation import arg_error, check_bool, check_positive_int
from cnn_course.convolution import output_size


# ---------------------------------------------------------------------------
# Parameter counters that need no model
# ---------------------------------------------------------------------------


def kernel_tuple(value, name="kernel_size"):
    """`value` as a tuple of 1 to 3 positive integers (an int means the same along 2 axes)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    ok = isinstance(value, (tuple, list)) and 1 <= len(value) <= 3 and all(
        isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= 1 for k in value
    )
    if not ok:
        raise arg_error(name, value, "a positive integer or a tuple of positive integers",
                        f"For 3 along both axes use {name}=3 or {name}=(3, 3)")
    return tuple(int(k) for k in value)


def dense_params(n_inputs, units, bias=True):
    """Number of parameters of a `Dense` layer: `(n_inputs + 1) * units`.

    Every unit has one weight per input value and one bias: the `+ 1`. Without
    bias it is `n_inputs * units`. Introduced in `notebooks/00_getting_started`.

    Args:
        n_inputs: number of input values (for an image, height*width*channels
            after `Flatten`).
        units: number of units (neurons) of the layer.
        bias: whether the layer has a bias per unit (Keras's `use_bias`).

    Returns:
        The number of parameters, an int.

    Raises:
        ValueError: if `n_inputs` or `units` is not a positive integer, or
            `bias` is not a bool.

    Example:

    >>> dense_params(6272, 512)     # (6272 + 1) * 512
    3211776
    >>> dense_params(64 * 64, 128, bias=False)
    524288
    """
    n_inputs = check_positive_int("n_inputs", n_inputs)
    units = check_positive_int("units", units)
    return (n_inputs + int(check_bool("bias", bias))) * units


def conv_params(kernel_size, in_channels, filters, bias=True):
    """Number of parameters of a convolution layer: `(kh * kw * in_channels + 1) * filters`.

    Each filter has a weight for every kernel position in every input channel,
    plus one bias; the same filter is used at every position of the image
    (weight sharing), so the image size does not appear in the formula.

    Args:
        kernel_size: an int (square kernel) or a tuple such as `(3, 3)`
            (1 to 3 entries, for 1D, 2D and 3D convolutions).
        in_channels: number of channels of the input (3 for RGB, 1 for grey).
        filters: number of filters, which is the number of output channels.
        bias: whether every filter has a bias (Keras's `use_bias`).

    Returns:
        The number of parameters, an int.

    Raises:
        ValueError: for a bad `kernel_size`, a non-positive `in_channels` or
            `filters`, or a non-bool `bias`.

    Example:

    >>> conv_params(3, 32, 64)     # (3*3*32 + 1) * 64
    18496
    >>> conv_params((3, 3), 1, 100)     # 100 filters of 3x3 on a grey image
    1000
    """
    kernel = kernel_tuple(kernel_size)
    in_channels = check_positive_int("in_channels", in_channels)
    filters = check_positive_int("filters", filters)
    return (math.prod(kernel) * in_channels + int(check_bool("bias", bias))) * filters


# ---------------------------------------------------------------------------
# Shape and parameter arithmetic per kind of layer (shapes include the batch axis)
# ---------------------------------------------------------------------------

_AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _axis_how(size, kernel, stride, padding, dilation=1):
    """(output size, formula) along one axis of a convolution or pooling."""
    if size is None:
        return None, "?"
    out = output_size(size, kernel, padding=padding, stride=stride, dilation=dilation,
                       allow_empty=True)
    if padding == "same":
        return out, f"ceil({size}/{stride}) = {out}"
    span = dilation * (kernel - 1) + 1
    if stride == 1:
        return out, f"{size} - {span} + 1 = {out}"
    return out, f"floor(({size} - {span})/{stride}) + 1 = {out}"


def window_arithmetic(spatial, kernel, strides, padding, dilation=None):
    """Output sizes and the formula text for all spatial axes of a window operation."""
    dilation = dilation or (1,) * len(spatial)
    results = [_axis_how(s, k, st, padding, d) for s, k, st, d in zip(spatial, kernel, strides, dilation)]
    sizes = [r[0] for r in results]
    formulas = [r[1] for r in results]
    if len(set(formulas)) == 1:
        text = formulas[0]
    else:
        names = _AXIS_NAMES.get(len(spatial), tuple(f"axis{i}" for i in range(len(spatial))))
        text = ", ".join(f"{n} {f}" for n, f in zip(names, formulas))
    if padding == "same":
        text += " (same padding)"
    return sizes, text


def split_channels(shape, data_format):
    """(spatial sizes, channels) of a shape with batch axis."""
    if data_format == "channels_first":
        return list(shape[2:]), shape[1]
    return list(shape[1:-1]), shape[-1]


def join_channels(spatial, channels, data_format):
    if data_format == "channels_first":
        return (None, channels, *spatial)
    return (None, *spatial, channels)


class LayerArithmetic(NamedTuple):
    """What a layer does to its input's shape and how many weights it has, with the working shown."""

    out_shape: tuple  # e.g. (None, 30, 30, 32)
    how: str  # how the output shape follows, e.g. "32 - 3 + 1 = 30 (both axes); 32 filters"
    params: int
    arithmetic: str  # the parameter count worked out, e.g. "(3*3*3 + 1) * 32 = 896"


def conv_arithmetic(in_shape, filters, kernel, strides, padding, dilation=None, groups=1, use_bias=True,
                data_format="channels_last"):
    spatial, channels = split_channels(in_shape, data_format)
    sizes, text = window_arithmetic(spatial, kernel, strides, padding, dilation)
    out_shape = join_channels(sizes, filters, data_format)
    per_group = channels // groups
    window = "*".join(str(k) for k in kernel) + f"*{per_group}"
    params = (math.prod(kernel) * per_group + int(use_bias)) * filters
    arithmetic = f"({window} + 1) * {filters}" if use_bias else f"{window} * {filters}"
    arithmetic += f" = {params:,}"
    if groups > 1:
        arithmetic += f" ({channels} channels in {groups} groups)"
    return LayerArithmetic(out_shape, f"{text}; {filters} filters", params, arithmetic)


def pool_arithmetic(in_shape, pool, strides, padding, data_format="channels_last"):
    spatial, channels = split_channels(in_shape, data_format)
    sizes, text = window_arithmetic(spatial, pool, strides, padding)
    return LayerArithmetic(join_channels(sizes, channels, data_format), text, 0, "0")


def dense_arithmetic(in_shape, units, use_bias=True):
    n = in_shape[-1]
    params = (n + int(use_bias)) * units
    arithmetic = f"({n} + 1) * {units}" if use_bias else f"{n} * {units}"
    how = f"{units} unit{'s' if units != 1 else ''}" + (" (on the last axis)" if len(in_shape) > 2 else "")
    return LayerArithmetic((*in_shape[:-1], units), how, params, f"{arithmetic} = {params:,}")


def flatten_arithmetic(in_shape):
    dims = in_shape[1:]
    if any(d is None for d in dims):
        return LayerArithmetic((None, None), "?", 0, "0")
    size = math.prod(dims)
    how = "*".join(str(d) for d in dims) + f" = {size}" if len(dims) > 1 else f"{size} (already flat)"
    return LayerArithmetic((None, size), how, 0, "0")
