"""A dense network against a convolutional one on the same input, without building either: the lecture's comparison."""

import dataclasses
import html
import math
import numbers

from cnn_course._validation import arg_error, input_too_small_error
from cnn_course.explain._tables import LayerRow, ModelExplanation
from cnn_course.explain._arithmetic import conv_arithmetic, dense_arithmetic, flatten_arithmetic, kernel_tuple


# ---------------------------------------------------------------------------
# Dense versus convolutional layers, without building anything
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DenseConvComparison:
    """A dense network and a convolutional network on the same input, side by side.

    Returned by `compare_dense_and_conv`. Print it (or display it in Jupyter)
    for both tables and a one-line verdict.

    Attributes:
        input_shape: `(height, width, channels)`.
        dense: `ModelExplanation` of `Flatten -> Dense ...`.
        conv: `ModelExplanation` of `Conv2D ... [-> Flatten -> Dense ...]`.
    """

    input_shape: tuple
    dense: ModelExplanation
    conv: ModelExplanation

    def hidden_sizes(self, which):
        """Values (neurons) per example after each layer of "dense" or "conv", input excluded."""
        table = {"dense": self.dense, "conv": self.conv}.get(which)
        if table is None:
            raise arg_error("which", which, "'dense' or 'conv'")
        return [math.prod(r.output_shape[1:]) for r in table.rows[1:] if r.type != "Flatten"]

    def verdict(self):
        """A few sentences comparing the two parameter counts."""
        d, c = self.dense.total, self.conv.total
        factor = d / c if d >= c else c / d
        factor = f"{factor:,.0f}" if factor >= 10 else f"{factor:.1f}"
        ratio = f"{factor} times fewer" if d >= c else f"{factor} times more"
        lines = [f"Dense network: {d:,} parameters. Convolutional network: {c:,} parameters ({ratio})."]
        for label, table in (("dense", self.dense), ("convolutional", self.conv)):
            biggest = max(table.rows, key=lambda r: r.params)
            lines.append(f"Largest layer of the {label} network: {biggest.name}, {biggest.params:,} parameters.")
        lines.append("A dense unit has a weight for every input value; a filter has weights only for its small "
                     "window (times the input channels), and the same filter slides over the whole image.")
        return "\n".join(lines)

    def __str__(self):
        h, w, ch = self.input_shape
        header = f"Input: {h}x{w}x{ch} = {h * w * ch:,} values per image"
        return "\n\n".join([header, str(self.dense), str(self.conv), self.verdict()])

    def _repr_html_(self):
        h, w, ch = self.input_shape
        return (f"<p>Input: {h}x{w}x{ch} = {h * w * ch:,} values per image</p>"
                f"{self.dense._repr_html_()}{self.conv._repr_html_()}"
                f"<p>{html.escape(self.verdict()).replace(chr(10), '<br>')}</p>")


def rows_from_arithmetic(name, input_shape, parts):
    rows = [LayerRow("input", "InputLayer", (None, *input_shape), "input: (batch, height, width, channels)",
                     0, "0", 0, 0)]
    for layer_name, layer_type, done in parts:
        rows.append(LayerRow(layer_name, layer_type, tuple(done.out_shape), done.how, done.params, done.arithmetic,
                             done.params, 0))
    total = sum(r.params for r in rows)
    return ModelExplanation(name, tuple(rows), total, 0)


def _units_tuple(name, value, allow_empty):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    ok = isinstance(value, (tuple, list)) and (allow_empty or len(value) > 0) and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in value)
    if not ok:
        raise arg_error(name, value, "a positive integer or a tuple of positive integers, one per layer")
    return tuple(int(v) for v in value)


def compare_dense_and_conv(input_shape, dense_units=(100,), conv_filters=(100,), kernel_size=3,
                           padding="valid", strides=1, conv_head=()):
    """Compare the parameters of dense layers and convolution layers on the same input.

    The lectures' argument for convolutions, computed for any sizes and
    without building a model (a 1000x1000 input is no problem):

    - dense: `input -> Flatten -> Dense(dense_units[0]) -> Dense(dense_units[1]) ...`
    - conv: `input -> Conv2D(conv_filters[0], kernel_size) -> ... [-> Flatten -> Dense(conv_head) ...]`

    The counts equal `count_params()` of the same Keras models. Introduced in
    `notebooks/00_getting_started`.

    Args:
        input_shape: `(height, width)` for a grey image (1 channel is assumed)
            or `(height, width, channels)`.
        dense_units: units of each dense layer of the dense network.
        conv_filters: filters of each convolution layer of the conv network.
        kernel_size: the convolutions' kernel size (int or pair).
        padding: "valid" or "same".
        strides: the convolutions' stride (int or pair).
        conv_head: units of dense layers after the convolutions (after a
            `Flatten`), e.g. `(16,)` for 16 classes; `()` for none.

    Returns:
        A `DenseConvComparison`; `print()` it for both tables and a verdict.

    Raises:
        ValueError: for a bad argument, or an input too small for the
            convolutions (naming the layer where the feature map vanishes).

    Example:

    A 1000x1000 grey image into 100 dense units or 100 filters of 3x3:

    >>> comparison = compare_dense_and_conv((1000, 1000), dense_units=100, conv_filters=100)
    >>> comparison.dense.total, comparison.conv.total
    (100000100, 1000)

    A 64x64 grey image into dense layers 256-128-64-16, or three valid 5x5
    convolutions of 16 channels and a dense layer of 16 classes:

    >>> comparison = compare_dense_and_conv((64, 64), dense_units=(256, 128, 64, 16),
    ...                                     conv_filters=(16, 16, 16), kernel_size=5, conv_head=16)
    >>> comparison.dense.total, comparison.conv.total
    (1091024, 705488)
    >>> comparison.hidden_sizes("conv")
    [57600, 50176, 43264, 16]
    """
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is not None and len(shape) == 2:
        shape = (*shape, 1)
    if shape is None or len(shape) != 3 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in shape):
        raise arg_error("input_shape", input_shape,
                        "(height, width) or (height, width, channels) of positive integers",
                        "For a 64x64 grey image use input_shape=(64, 64)")
    shape = tuple(int(v) for v in shape)
    dense_units = _units_tuple("dense_units", dense_units, allow_empty=False)
    conv_filters = _units_tuple("conv_filters", conv_filters, allow_empty=False)
    conv_head = _units_tuple("conv_head", conv_head, allow_empty=True)
    kernel = kernel_tuple(kernel_size)
    stride = kernel_tuple(strides, "strides")
    if len(kernel) != 2:
        raise arg_error("kernel_size", kernel_size, "a positive integer or a pair (height, width)")
    if len(stride) != 2:
        raise arg_error("strides", strides, "a positive integer or a pair (height, width)")
    if padding not in ("valid", "same"):
        raise arg_error("padding", padding, "'valid' or 'same'")

    dense_parts = [("flatten", "Flatten", flatten_arithmetic((None, *shape)))]
    current = dense_parts[0][2].out_shape
    for i, units in enumerate(dense_units, start=1):
        dense_parts.append((f"dense{i}", "Dense", dense_arithmetic(current, units)))
        current = dense_parts[-1][2].out_shape

    conv_parts = []
    current = (None, *shape)
    for i, filters in enumerate(conv_filters, start=1):
        parts = conv_arithmetic(current, filters, kernel, stride, padding)
        if min(parts.out_shape[1:3]) < 1:
            raise input_too_small_error(
                shape, f"{len(conv_filters)} {kernel[0]}x{kernel[1]} {padding} convolutions", parts.out_shape[1:3],
                f"conv{i}", "Use a larger input_shape, fewer convolutions, or padding='same'.")
        conv_parts.append((f"conv{i}", "Conv2D", parts))
        current = parts.out_shape
    if conv_head:
        conv_parts.append(("flatten", "Flatten", flatten_arithmetic(current)))
        current = conv_parts[-1][2].out_shape
        for i, units in enumerate(conv_head, start=1):
            conv_parts.append((f"dense{i}", "Dense", dense_arithmetic(current, units)))
            current = conv_parts[-1][2].out_shape
    return DenseConvComparison(shape, rows_from_arithmetic("dense", shape, dense_parts),
                               rows_from_arithmetic("convolutional", shape, conv_parts))
