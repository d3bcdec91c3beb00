"""Shape and parameter explainers: where every output shape and every parameter count of a network comes from.

`explain_model` walks a Keras model's graph; the arithmetic per kind of layer is in the private
`_arithmetic.py`, the table objects in `_tables.py`, the dense-versus-conv comparison in
`_dense_vs_conv.py`, receptive fields in `_receptive.py`; import their public names from here.
"""

import math

from cnn_course._validation import arg_error
from cnn_course.explain._dense_vs_conv import DenseConvComparison, compare_dense_and_conv  # noqa: F401  (explain.*, as before)
from cnn_course.explain._receptive import ReceptiveFieldRow, ReceptiveFields, receptive_field
from cnn_course.explain._tables import LayerRow, ModelExplanation
from cnn_course.explain._arithmetic import conv_params, dense_params  # noqa: F401  (explain.*, as before)
from cnn_course.explain._arithmetic import (
    conv_arithmetic, dense_arithmetic, flatten_arithmetic, pool_arithmetic, split_channels,
)
from cnn_course.settings import import_keras

#: The names of the course's API here (what `from cnn_course.explain import *` takes, and what the
#: README's package map lists); the rest is internal.
__all__ = [
    "compare_dense_and_conv",
    "conv_params",
    "dense_params",
    "DenseConvComparison",
    "explain_model",
    "LayerRow",
    "ModelExplanation",
    "preview_convnet",
    "receptive_field",
    "ReceptiveFieldRow",
    "ReceptiveFields",
]



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
        computed = conv_arithmetic(in_shape, layer.filters, layer.kernel_size, layer.strides, layer.padding,
                               layer.dilation_rate, layer.groups, layer.use_bias, layer.data_format)
    elif isinstance(layer, _pooling_classes()):
        computed = pool_arithmetic(in_shape, layer.pool_size, layer.strides, layer.padding, layer.data_format)
    elif isinstance(layer, keras.layers.Dense):
        computed = dense_arithmetic(in_shape, layer.units, layer.use_bias)
    elif isinstance(layer, keras.layers.Flatten):
        computed = flatten_arithmetic(in_shape)
    if computed is not None and tuple(computed.out_shape) == tuple(out_shape) and computed.params == params:
        return computed.how, computed.arithmetic
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
        spatial, channels = split_channels(in_shape, getattr(layer, "data_format", "channels_last"))
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
