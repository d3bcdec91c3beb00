"""Shape and parameter explainers: where every output shape and every parameter count of a network comes from."""

import dataclasses
import html
import math
import numbers

from cnn_course._validation import arg_error, check_bool, check_positive_int, input_too_small_error
from cnn_course.convolution import output_size
from cnn_course.settings import import_keras
from cnn_course.tables import html_table, text_table

# ---------------------------------------------------------------------------
# Parameter counters that need no model
# ---------------------------------------------------------------------------


def _kernel_tuple(value, name="kernel_size"):
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
    kernel = _kernel_tuple(kernel_size)
    in_channels = check_positive_int("in_channels", in_channels)
    filters = check_positive_int("filters", filters)
    return (math.prod(kernel) * in_channels + int(check_bool("bias", bias))) * filters


# ---------------------------------------------------------------------------
# The explanation objects
# ---------------------------------------------------------------------------

_COLUMNS = ("Layer (type)", "Output shape", "Shape: how", "Params", "Params: how", "Trainable")


@dataclasses.dataclass(frozen=True)
class LayerRow:
    """One layer of a `ModelExplanation`.

    Attributes:
        name: the layer's name.
        type: its class name (for a nested model, "Sequential" or "Functional").
        output_shape: the output shape with `None` for the batch, e.g.
            `(None, 148, 148, 32)`; a list of shapes for several outputs;
            None when unknown.
        how: how the output shape follows from the input shape, e.g.
            `"150 - 3 + 1 = 148; 32 filters"`.
        params: number of parameters (weights and biases).
        arithmetic: how the count comes about, e.g. `"(3*3*3 + 1) * 32 = 896"`.
        trainable: parameters updated by training.
        non_trainable: parameters not updated by training (frozen layers,
            batch-normalization statistics).
        depth: 0 for a layer of the model, 1 for a layer of a nested model, ...
    """

    name: str
    type: str
    output_shape: object
    how: str
    params: int
    arithmetic: str
    trainable: int
    non_trainable: int
    depth: int = 0

    @property
    def status(self):
        """"yes" (all trainable), "frozen" (none), "partly", or "" for no parameters."""
        if not self.params:
            return ""
        if not self.non_trainable:
            return "yes"
        return "frozen" if not self.trainable else "partly"


@dataclasses.dataclass(frozen=True)
class ModelExplanation:
    """Layer-by-layer shapes and parameter counts, with the arithmetic behind them.

    Returned by `explain_model`. Print it for an aligned text table, display
    it in Jupyter for an HTML table, or use `rows` / `to_rows()` in code.

    Attributes:
        name: the model's name.
        rows: a tuple of `LayerRow`, one per layer.
        trainable: total trainable parameters.
        non_trainable: total non-trainable (frozen) parameters.
    """

    name: str
    rows: tuple
    trainable: int
    non_trainable: int

    @property
    def total(self):
        """All parameters: `trainable + non_trainable` (equals `model.count_params()`)."""
        return self.trainable + self.non_trainable

    def to_rows(self):
        """The rows as a list of dicts (e.g. for `pandas.DataFrame(...)`)."""
        return [dataclasses.asdict(row) for row in self.rows]

    def row(self, name):
        """The `LayerRow` of the layer called `name`.

        Raises:
            ValueError: if no layer has that name (the message lists the names).
        """
        for r in self.rows:
            if r.name == name:
                return r
        names = ", ".join(r.name for r in self.rows)
        raise arg_error("name", name, f"the name of a layer of {self.name!r}", f"Its layers are: {names}")

    def totals_lines(self):
        """The three totals lines, as in `model.summary()`."""
        return [
            f"Total params: {self.total:,}",
            f"Trainable params: {self.trainable:,}",
            f"Non-trainable params: {self.non_trainable:,}",
        ]

    def _cells(self, indent):
        for r in self.rows:
            yield (
                indent * r.depth + f"{r.name} ({r.type})",
                _format_shape(r.output_shape),
                r.how,
                f"{r.params:,}",
                r.arithmetic,
                r.status,
            )

    def __str__(self):
        table = text_table(_COLUMNS, self._cells("  "), align="lllrll", rule=True)
        width = max(len(line) for line in table.splitlines())
        return "\n".join([f'Model: "{self.name}"', table, "-" * width, *self.totals_lines()])

    def _repr_html_(self):
        cells = self._cells("\u00a0\u00a0\u00a0\u00a0")
        return html_table(_COLUMNS, cells, align="lllrll", code=(1, 2, 4), footer=self.totals_lines(),
                          title=f"Model: {self.name}")


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


# ---------------------------------------------------------------------------
# Shape and parameter arithmetic per kind of layer (shapes include the batch axis)
# ---------------------------------------------------------------------------

_AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _axis_how(size, kernel, stride, padding, dilation=1):
    """(output size, formula) along one axis of a convolution or pooling."""
    if size is None:
        return None, "?"
    out = output_size(size, kernel, padding, stride, dilation, allow_empty=True)
    if padding == "same":
        return out, f"ceil({size}/{stride}) = {out}"
    span = dilation * (kernel - 1) + 1
    if stride == 1:
        return out, f"{size} - {span} + 1 = {out}"
    return out, f"floor(({size} - {span})/{stride}) + 1 = {out}"


def _window_how(spatial, kernel, strides, padding, dilation=None):
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


def _split(shape, data_format):
    """(spatial sizes, channels) of a shape with batch axis."""
    if data_format == "channels_first":
        return list(shape[2:]), shape[1]
    return list(shape[1:-1]), shape[-1]


def _join(spatial, channels, data_format):
    if data_format == "channels_first":
        return (None, channels, *spatial)
    return (None, *spatial, channels)


def _conv_parts(in_shape, filters, kernel, strides, padding, dilation=None, groups=1, use_bias=True,
                data_format="channels_last"):
    spatial, channels = _split(in_shape, data_format)
    sizes, text = _window_how(spatial, kernel, strides, padding, dilation)
    out_shape = _join(sizes, filters, data_format)
    per_group = channels // groups
    window = "*".join(str(k) for k in kernel) + f"*{per_group}"
    params = (math.prod(kernel) * per_group + int(use_bias)) * filters
    arithmetic = f"({window} + 1) * {filters}" if use_bias else f"{window} * {filters}"
    arithmetic += f" = {params:,}"
    if groups > 1:
        arithmetic += f" ({channels} channels in {groups} groups)"
    return out_shape, f"{text}; {filters} filters", params, arithmetic


def _pool_parts(in_shape, pool, strides, padding, data_format="channels_last"):
    spatial, channels = _split(in_shape, data_format)
    sizes, text = _window_how(spatial, pool, strides, padding)
    return _join(sizes, channels, data_format), text, 0, "0"


def _dense_parts(in_shape, units, use_bias=True):
    n = in_shape[-1]
    params = (n + int(use_bias)) * units
    arithmetic = f"({n} + 1) * {units}" if use_bias else f"{n} * {units}"
    how = f"{units} unit{'s' if units != 1 else ''}" + (" (on the last axis)" if len(in_shape) > 2 else "")
    return (*in_shape[:-1], units), how, params, f"{arithmetic} = {params:,}"


def _flatten_parts(in_shape):
    dims = in_shape[1:]
    if any(d is None for d in dims):
        return (None, None), "?", 0, "0"
    size = math.prod(dims)
    how = "*".join(str(d) for d in dims) + f" = {size}" if len(dims) > 1 else f"{size} (already flat)"
    return (None, size), how, 0, "0"


# ---------------------------------------------------------------------------
# explain_model
# ---------------------------------------------------------------------------


def _count(weights):
    return sum(math.prod(w.shape) for w in weights)


def _graph(model):
    """The functional graph behind a model (a Sequential keeps one inside), or None."""
    graph = getattr(model, "_functional", None) or model
    return graph if getattr(graph, "_nodes_by_depth", None) is not None else None


def _node_shapes(layer, graph_node_ids):
    """(input shapes, output shapes) of the layer's call inside this model, or (None, None).

    Uses the first call of the layer that belongs to this model's graph (a
    shared layer shows its first use), as Keras's own `summary()` does.
    """
    nodes = [n for n in getattr(layer, "_inbound_nodes", []) if id(n) in graph_node_ids]
    if not nodes:
        return None, None
    node = nodes[0]
    return ([tuple(t.shape) for t in node.input_tensors], [tuple(t.shape) for t in node.outputs])


def _layer_parts(layer, in_shapes, out_shape):
    """(how, arithmetic) for one layer, from its config and its input shape."""
    keras = import_keras()

    params = layer.count_params() if layer.built else 0
    generic = _generic_arithmetic(layer, params)
    in_shape = in_shapes[0] if in_shapes and len(in_shapes) == 1 else None
    if isinstance(layer, keras.layers.InputLayer):
        return ("input: (batch, height, width, channels)" if len(out_shape or ()) == 4 else "input"), "0"
    if isinstance(layer, keras.Model):
        n = len([sub for sub in layer.layers if not isinstance(sub, keras.layers.InputLayer)])
        return f"its {n} layers, one after another", f"sum over its {n} layers = {params:,}"
    if in_shape is None or out_shape is None:
        how = f"combines {len(in_shapes)} inputs" if in_shapes and len(in_shapes) > 1 else "-"
        return how, generic
    computed = None
    if isinstance(layer, (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)):
        computed = _conv_parts(in_shape, layer.filters, layer.kernel_size, layer.strides, layer.padding,
                               layer.dilation_rate, layer.groups, layer.use_bias, layer.data_format)
    elif isinstance(layer, _pooling_classes()):
        computed = _pool_parts(in_shape, layer.pool_size, layer.strides, layer.padding, layer.data_format)
    elif isinstance(layer, keras.layers.Dense):
        computed = _dense_parts(in_shape, layer.units, layer.use_bias)
    elif isinstance(layer, keras.layers.Flatten):
        computed = _flatten_parts(in_shape)
    if computed is not None and tuple(computed[0]) == tuple(out_shape) and computed[2] == params:
        return computed[1], computed[3]
    return _generic_how(layer, in_shape, out_shape), _special_arithmetic(layer, params) or generic


def _pooling_classes():
    keras = import_keras()

    layers = keras.layers
    return (layers.MaxPooling1D, layers.MaxPooling2D, layers.MaxPooling3D,
            layers.AveragePooling1D, layers.AveragePooling2D, layers.AveragePooling3D)


def _generic_how(layer, in_shape, out_shape):
    keras = import_keras()

    layers = keras.layers
    global_pools = (layers.GlobalAveragePooling1D, layers.GlobalAveragePooling2D, layers.GlobalAveragePooling3D,
                    layers.GlobalMaxPooling1D, layers.GlobalMaxPooling2D, layers.GlobalMaxPooling3D)
    if isinstance(layer, global_pools):
        spatial, channels = _split(in_shape, getattr(layer, "data_format", "channels_last"))
        kind = "mean" if "Average" in type(layer).__name__ else "max"
        return f"{kind} of each {'x'.join(str(s) for s in spatial)} map = {channels} values"
    if isinstance(layer, layers.ZeroPadding2D) and layer.data_format == "channels_last":
        (top, bottom), (left, right) = layer.padding
        h, w = in_shape[1:3]
        return f"height {h} + {top} + {bottom} = {out_shape[1]}, width {w} + {left} + {right} = {out_shape[2]}"
    if tuple(in_shape) == tuple(out_shape):
        if isinstance(layer, layers.Dropout):
            return f"unchanged (sets {layer.rate:.0%} of the values to 0, in training only)"
        return "unchanged"
    return "-"


def _special_arithmetic(layer, params):
    """`4 * 64 = 256 (128 trainable)` for normalization layers: several vectors of one length."""
    shapes = [tuple(w.shape) for w in layer.weights]
    if len(shapes) > 1 and all(len(s) == 1 for s in shapes) and len(set(shapes)) == 1:
        text = f"{len(shapes)} * {shapes[0][0]} = {params:,}"
        trainable = _count(layer.trainable_weights)
        if trainable != params:
            text += f" ({trainable:,} trainable)"
        return text
    return None


def _generic_arithmetic(layer, params):
    """One product per weight tensor, e.g. `3*3*32*1 + 32 = 320`."""
    if not params:
        return "0"
    terms = ["*".join(str(d) for d in w.shape) or "1" for w in layer.weights]
    return " + ".join(terms) + f" = {params:,}" if len(terms) > 1 else f"{terms[0]} = {params:,}"


def _explain_rows(model, depth, expand_nested):
    keras = import_keras()

    graph = _graph(model)
    node_ids = set()
    if graph is not None:
        node_ids = {id(n) for nodes in graph._nodes_by_depth.values() for n in nodes}
    layers = graph.layers if graph is not None else model.layers
    rows = []
    for layer in layers:
        if depth > 0 and isinstance(layer, keras.layers.InputLayer):
            continue  # the nested model's input is the previous row's output
        in_shapes, out_shapes = _node_shapes(layer, node_ids)
        out_shape = None
        if out_shapes is not None:
            out_shape = out_shapes[0] if len(out_shapes) == 1 else out_shapes
        single_out = out_shape if not isinstance(out_shape, list) else None
        how, arithmetic = _layer_parts(layer, in_shapes, single_out)
        trainable, non_trainable = _count(layer.trainable_weights), _count(layer.non_trainable_weights)
        rows.append(LayerRow(layer.name, type(layer).__name__, out_shape, how, trainable + non_trainable,
                             arithmetic, trainable, non_trainable, depth))
        if expand_nested and isinstance(layer, keras.Model):
            rows.extend(_explain_rows(layer, depth + 1, expand_nested))
    return rows


def explain_model(model, expand_nested=False):
    """Explain every layer's output shape and parameter count, with the arithmetic.

    Like `model.summary()`, plus two columns a student can check by hand: how
    the output shape follows from the input (`150 - 3 + 1 = 148` for a valid
    3x3 convolution, `floor((148 - 2)/2) + 1 = 74` for 2x2 max pooling,
    `7*7*128 = 6272` for `Flatten`) and how the parameters add up
    (`(3*3*32 + 1) * 64 = 18,496` for a convolution, `(6272 + 1) * 512 =
    3,211,776` for a dense layer, `4 * 64 = 256 (128 trainable)` for batch
    normalization). Works for Sequential and functional models, including
    `keras.applications` networks and models with a nested model (an
    augmentation block, a frozen pretrained base), which appear as one row.
    Introduced in `notebooks/00_getting_started`.

    Args:
        model: a built Keras model (start it with `keras.Input(shape=...)`).
        expand_nested: also list the layers of nested models, indented under
            them (the nested model's own row still counts all of them).

    Returns:
        A `ModelExplanation`: `print()` it, show it in Jupyter, or read `.rows`.
        Its `total`, `trainable` and `non_trainable` equal
        `model.count_params()` and the sizes of `model.trainable_weights` and
        `model.non_trainable_weights`.

    Raises:
        ValueError: if `model` is not a Keras model or is not built yet.

    Example:

    >>> from cnn_course import models
    >>> table = explain_model(models.cats_vs_dogs_convnet())
    >>> row = table.row("block2_conv1")
    >>> row.output_shape, row.how
    ((None, 72, 72, 64), '74 - 3 + 1 = 72; 64 filters')
    >>> row.arithmetic
    '(3*3*32 + 1) * 64 = 18,496'
    >>> table.row("flatten").how
    '7*7*128 = 6272'
    >>> table.total
    3453121
    """
    keras = import_keras()

    if not isinstance(model, keras.Model):
        raise arg_error("model", model, "a Keras model",
                        "Pass the model itself, e.g. explain_model(models.mnist_convnet())")
    if not model.built:
        raise arg_error("model", model, "a built model",
                        "Start it with keras.Input(shape=...) or call model.build(input_shape) first")
    rows = _explain_rows(model, 0, bool(expand_nested))
    return ModelExplanation(model.name, tuple(rows), _count(model.trainable_weights),
                            _count(model.non_trainable_weights))


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


def _rows_from_parts(name, input_shape, parts):
    rows = [LayerRow("input", "InputLayer", (None, *input_shape), "input: (batch, height, width, channels)",
                     0, "0", 0, 0)]
    for layer_name, layer_type, (out_shape, how, params, arithmetic) in parts:
        rows.append(LayerRow(layer_name, layer_type, tuple(out_shape), how, params, arithmetic, params, 0))
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
    kernel = _kernel_tuple(kernel_size)
    stride = _kernel_tuple(strides, "strides")
    if len(kernel) != 2:
        raise arg_error("kernel_size", kernel_size, "a positive integer or a pair (height, width)")
    if len(stride) != 2:
        raise arg_error("strides", strides, "a positive integer or a pair (height, width)")
    if padding not in ("valid", "same"):
        raise arg_error("padding", padding, "'valid' or 'same'")

    dense_parts = [("flatten", "Flatten", _flatten_parts((None, *shape)))]
    current = dense_parts[0][2][0]
    for i, units in enumerate(dense_units, start=1):
        dense_parts.append((f"dense{i}", "Dense", _dense_parts(current, units)))
        current = dense_parts[-1][2][0]

    conv_parts = []
    current = (None, *shape)
    for i, filters in enumerate(conv_filters, start=1):
        parts = _conv_parts(current, filters, kernel, stride, padding)
        if min(parts[0][1:3]) < 1:
            raise input_too_small_error(
                shape, f"{len(conv_filters)} {kernel[0]}x{kernel[1]} {padding} convolutions", parts[0][1:3],
                f"conv{i}", "Use a larger input_shape, fewer convolutions, or padding='same'.")
        conv_parts.append((f"conv{i}", "Conv2D", parts))
        current = parts[0]
    if conv_head:
        conv_parts.append(("flatten", "Flatten", _flatten_parts(current)))
        current = conv_parts[-1][2][0]
        for i, units in enumerate(conv_head, start=1):
            conv_parts.append((f"dense{i}", "Dense", _dense_parts(current, units)))
            current = conv_parts[-1][2][0]
    return DenseConvComparison(shape, _rows_from_parts("dense", shape, dense_parts),
                               _rows_from_parts("convolutional", shape, conv_parts))


# ---------------------------------------------------------------------------
# Builder-side preview
# ---------------------------------------------------------------------------


def preview_convnet(input_shape, **build_convnet_kwargs):
    """What will this conv/pooling stack do to my images? Build it (untrained) and explain it.

    Builds the model with `models.build_convnet` (no training, no data) and
    returns its `explain_model` table, so that a student sees every shape and
    parameter count before training. When neither `task` nor `num_classes` is
    given, the preview uses `task="binary"` (one sigmoid output unit).

    Args:
        input_shape: `(height, width, channels)`.
        **build_convnet_kwargs: any argument of `models.build_convnet`
            (`filters`, `kernel_size`, `padding`, `pool_size`,
            `convs_per_block`, `dense_units`, `dropout`, `task`, ...).

    Returns:
        A `ModelExplanation`.

    Raises:
        ValueError: the builder's errors, e.g. an input too small for the
            stack (the message names the block where the feature map vanishes).

    Example:

    >>> table = preview_convnet((150, 150, 3), filters=(32, 64, 128, 128), dense_units=(512,))
    >>> table.row("block4_pool").output_shape
    (None, 7, 7, 128)
    >>> table.total
    3453121
    """
    from cnn_course import models

    kwargs = dict(build_convnet_kwargs)
    if "task" not in kwargs and "num_classes" not in kwargs:
        kwargs["task"] = "binary"
    return explain_model(models.build_convnet(input_shape, **kwargs))
