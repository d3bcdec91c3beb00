"""Receptive fields: which input pixels one output unit of each layer depends on, walked through a model's graph.

Along each spatial axis a tensor is described by three numbers: the `jump` (input pixels
between two neighbouring units), and the first and last input pixel that its first unit
depends on (`low`, `high`; below 0 or past the image where padding adds zeros). A window of
`k` taps, dilation `d`, stride `s` and `p` zeros before, on a tensor with jump `j`, gives

    k_eff = d * (k - 1) + 1,   low' = low - p * j,   high' = high + (k_eff - 1 - p) * j,   j' = s * j

and where branches meet (`Add`, `Concatenate`) the field is the union of theirs.
"""

import dataclasses
from typing import NamedTuple

from cnn_course._validation import arg_error
from cnn_course.convolution import pad_amounts
from cnn_course.settings import import_keras
from cnn_course.tables import text_table


class _Axis(NamedTuple):
    jump: int
    low: int
    high: int


class ReceptiveFieldRow(NamedTuple):
    """One layer's receptive field: per spatial axis, in input pixels.

    `size`, `jump` and `start` are tuples with one entry per spatial axis
    ((height, width) for images); `size` is None from the layer on whose
    output every unit depends on the whole input (`Flatten`, global pooling).
    """

    layer: str
    layer_type: str
    size: tuple | None  # pixels seen by one unit, (height, width)
    jump: tuple | None  # input pixels between neighbouring units
    start: tuple | None  # centre of the first unit's field (negative: it reaches into the padding)

    def field(self, unit):
        """The input pixels `(first, last)` per axis that output unit `unit` (a position tuple) depends on.

        Not clipped to the image: a field that reaches into the padding has
        a first pixel below 0 or a last one past the image's end.
        """
        if self.size is None:
            raise arg_error("unit", unit, f"a unit of a layer with a local field (every unit of {self.layer} "
                            "sees the whole input)")
        if len(unit) != len(self.size):
            raise arg_error("unit", unit, f"one position per spatial axis ({len(self.size)})")
        half = [(size - 1) / 2 for size in self.size]
        return tuple((round(start + i * jump - h), round(start + i * jump + h))
                     for start, jump, h, i in zip(self.start, self.jump, half, unit))


@dataclasses.dataclass(frozen=True)
class ReceptiveFields:
    """The receptive field of every layer of a model, from `receptive_field`.

    Attributes:
        name: the model's name.
        input_shape: the model input's spatial shape, e.g. `(64, 64)`.
        rows: a tuple of `ReceptiveFieldRow`, in the order of the graph.
    """

    name: str
    input_shape: tuple
    rows: tuple

    def row(self, layer):
        """The row of the layer called `layer`."""
        for row in self.rows:
            if row.layer == layer:
                return row
        raise arg_error("layer", layer, f"the name of a layer of {self.name}",
                        f"Its layers: {', '.join(r.layer for r in self.rows)}")

    def __str__(self):
        def size(values):
            return "whole input" if values is None else "x".join(f"{v:g}" for v in values)

        def position(values):
            return "-" if values is None else "(" + ", ".join(f"{v:g}" for v in values) + ")"

        table = text_table(["layer", "type", "field", "jump", "centre of the first unit"],
                           [[r.layer, r.layer_type, size(r.size), position(r.jump), position(r.start)]
                            for r in self.rows], align="llrrr", rule=True)
        return f"Receptive fields of {self.name} (input {size(self.input_shape)}, in input pixels)\n{table}"


def _window(axes, sizes, kernel, strides, dilation, padding):
    """The axes after a sliding window (convolution or pooling) over a tensor of spatial `sizes`."""
    out = []
    for axis, size, k, s, d in zip(axes, sizes, kernel, strides, dilation):
        span = d * (k - 1) + 1
        before = pad_amounts(size, span, stride=s, padding=padding)[0]
        out.append(_Axis(axis.jump * s, axis.low - before * axis.jump, axis.high + (span - 1 - before) * axis.jump))
    return out


def _shifted(axes, amounts):
    """The axes after `amounts` pixels are added before (negative: cropped) on each axis."""
    return [_Axis(a.jump, a.low - n * a.jump, a.high - n * a.jump) for a, n in zip(axes, amounts)]


def _merged(layer, inputs):
    """Where branches meet, one unit sees the union of what each branch's unit saw."""
    if len({tuple(a.jump for a in axes) for axes in inputs}) != 1:
        raise arg_error("model", f"a {type(layer).__name__} ({layer.name}) joining branches of different jumps",
                        "branches with the same jump where they meet", describe=True)
    return [_Axis(axes[0].jump, min(a.low for a in axes), max(a.high for a in axes)) for axes in zip(*inputs)]


def _spatial(shape):
    return tuple(shape[1:-1])


def _is_window(layer, name):
    return hasattr(layer, name) and hasattr(layer, "strides") and hasattr(layer, "padding")


def _layer_axes(layer, inputs, in_shape, out_shape):
    """The axes of the layer's output, "whole" when every unit sees the whole input, or a ValueError."""
    keras = import_keras()

    kind = type(layer).__name__
    if any(axes == "whole" for axes in inputs):
        return "whole"
    if len(inputs) > 1:
        return _merged(layer, inputs)
    axes, rank = inputs[0], len(inputs[0])
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        raise arg_error("model", f"layer {layer.name} with data_format='channels_first'",
                        "a channels_last model (Keras's default)", describe=True)
    if "Transpose" in kind or kind.startswith("UpSampling"):
        raise arg_error("model", f"a {kind} layer ({layer.name})", "a model that only shrinks or keeps its maps "
                        "(an upsampling layer makes the field of neighbouring units overlap unevenly)",
                        describe=True)
    if _is_window(layer, "kernel_size"):
        dilation = getattr(layer, "dilation_rate", (1,) * rank)
        return _window(axes, _spatial(in_shape), layer.kernel_size, layer.strides, dilation, layer.padding)
    if _is_window(layer, "pool_size") and not kind.startswith("Global"):
        return _window(axes, _spatial(in_shape), layer.pool_size, layer.strides, (1,) * rank, layer.padding)
    if kind.startswith("ZeroPadding"):
        return _shifted(axes, [before for before, _ in layer.padding])
    if kind.startswith("Cropping"):
        return _shifted(axes, [-before for before, _ in layer.cropping])
    if isinstance(layer, keras.layers.Dense) and len(in_shape) > 2:
        return axes  # a dense layer on a feature map acts on each position alone, like a 1x1 convolution
    if len(out_shape) != len(in_shape) or _spatial(out_shape) != _spatial(in_shape):
        if len(out_shape) < len(in_shape):
            return "whole"  # Flatten, global pooling, Reshape to a vector
        raise arg_error("model", f"a {kind} layer ({layer.name}) that changes the map's size from "
                        f"{_spatial(in_shape)} to {_spatial(out_shape)}", "convolutions, pooling, padding, "
                        "cropping, merges and layers that keep the size", describe=True)
    return axes  # activations, batch normalisation, dropout, augmentation: each position stays where it was


def _walk(model, known, rows, prefix=""):
    """Give every tensor of `model`'s graph its axes (in `known`, by id), and one row per layer."""
    keras = import_keras()

    graph = getattr(model, "_functional", None) or model
    depths = getattr(graph, "_nodes_by_depth", None)
    if depths is None:
        raise arg_error("model", model, "a built Keras model (Sequential with an Input, or functional)",
                        "Call the model on an input, or start it with keras.Input(shape)")
    for depth in sorted(depths, reverse=True):
        for node in depths[depth]:
            layer = node.operation
            if isinstance(layer, keras.layers.InputLayer):
                continue
            inputs = [known.get(id(t)) for t in node.input_tensors]
            if any(axes is None for axes in inputs):
                continue  # a tensor this walk did not reach (another input of a shared layer)
            if isinstance(layer, keras.Model):
                for inner, axes in zip(layer.inputs, inputs):
                    known[id(inner)] = axes
                _walk(layer, known, rows, prefix=f"{prefix}{layer.name}/")
                outs = [known.get(id(t)) for t in layer.outputs]
            else:
                outs = [_layer_axes(layer, inputs, tuple(node.input_tensors[0].shape), tuple(o.shape))
                        for o in node.outputs]
            for tensor, axes in zip(node.outputs, outs):
                known[id(tensor)] = axes
            rows.append(_row(f"{prefix}{layer.name}", type(layer).__name__, outs[0]))


def _row(name, kind, axes):
    if axes is None or axes == "whole":
        return ReceptiveFieldRow(name, kind, None, None, None)
    return ReceptiveFieldRow(name, kind, tuple(a.high - a.low + 1 for a in axes), tuple(a.jump for a in axes),
                             tuple((a.low + a.high) / 2 for a in axes))


def receptive_field(model):
    """The receptive field of each layer of a model: how many input pixels one of its output units sees.

    For every layer, per spatial axis: the field's `size`, the `jump`
    between the fields of neighbouring units (the product of the strides so
    far) and the `start`, the centre of the first unit's field (negative
    where it reaches into zero padding). It grows by `(kernel - 1) x jump`
    at each convolution or pooling: two stacked 3x3 convolutions see 5x5,
    as one 5x5 convolution does, with fewer weights; a stride or a pooling
    multiplies the growth of every later layer. Where branches meet (ResNet's
    `Add`, Inception's `Concatenate`) a unit sees the union of its branches'
    fields. From `Flatten` or global pooling on, every unit sees the whole
    input (`size` None).

    Args:
        model: a built Keras model with channels-last inputs (Sequential
            started with `keras.Input`, or functional); nested models are
            walked into, their layers named `outer/inner`.

    Returns:
        A `ReceptiveFields`: print it for a table, or look a layer up with
        `.row(name)` (and `.row(name).field(unit)` for the pixels one unit sees).

    Raises:
        ValueError: for a model that is not built, a channels-first layer,
            an upsampling or transposed convolution, or a layer that changes
            the map's size in a way it does not know.

    Example:

    >>> import keras
    >>> from cnn_course.explain import receptive_field
    >>> model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Conv2D(4, 3, name="conv1"),
    ...                           keras.layers.Conv2D(4, 3, name="conv2"), keras.layers.MaxPooling2D(2, name="pool"),
    ...                           keras.layers.Conv2D(4, 3, name="conv3")])
    >>> [(row.layer, row.size, row.jump) for row in receptive_field(model).rows]
    [('conv1', (3, 3), (1, 1)), ('conv2', (5, 5), (1, 1)), ('pool', (6, 6), (2, 2)), ('conv3', (10, 10), (2, 2))]
    >>> receptive_field(model).row("conv3").field((1, 0))  # rows 2 to 11 and columns 0 to 9 of the image
    ((2, 11), (0, 9))
    """
    keras = import_keras()

    if not isinstance(model, keras.Model):
        raise arg_error("model", model, "a Keras model")
    graph = getattr(model, "_functional", None) or model
    if getattr(graph, "_nodes_by_depth", None) is None or len(model.inputs) != 1:
        raise arg_error("model", model.name, "a built Keras model with one image input",
                        "Start a Sequential with keras.Input(shape), or build it with models.build_convnet")
    shape = tuple(model.inputs[0].shape)
    if len(shape) < 3 or any(not isinstance(n, int) for n in shape[1:-1]):
        raise arg_error("model", f"an input of shape {shape}", "an input with fixed spatial sizes and channels "
                        "last, e.g. (None, 64, 64, 3)", describe=True)
    known = {id(model.inputs[0]): [_Axis(1, 0, 0)] * (len(shape) - 2)}
    rows = []
    _walk(model, known, rows)
    return ReceptiveFields(model.name, _spatial(shape), tuple(rows))
