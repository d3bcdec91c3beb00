"""Building a convnet (conv/pooling blocks and a dense head) or a dense baseline from a few arguments."""

import numbers
from typing import NamedTuple

from cnn_course._validation import (arg_error, check_bool, check_choice, check_fraction, check_pair,
                                    check_positive_int, input_too_small_error)
from cnn_course.convolution import output_size
from cnn_course.devices import output_dtype, replicas_in_scope
from cnn_course.settings import import_keras
from cnn_course.models._heads import task_head


def convnet_shapes(input_shape, filters=(32, 64, 128), kernel_size=3, padding="valid",
                   pool_size=2, convs_per_block=1, pool_last=True, downsample="pool", pooling="max"):
    """Feature-map shape after each block of a conv/pooling stack, before building anything.

    Answers "what will this stack do to a 150x150 image?". Each block is
    `convs_per_block` convolutions, then a downsampling by `pool_size`
    (pooling, or a stride on the block's last convolution; none in the last
    block when `pool_last=False`, none at all when `pool_size` is None).

    Args:
        input_shape: `(height, width, channels)`.
        filters, kernel_size, padding, pool_size, convs_per_block, pool_last,
            downsample, pooling: as in `build_convnet`.

    Returns:
        A list of `(block_name, (height, width, channels))`, one per block.

    Raises:
        ValueError: for a bad argument, or if the feature map vanishes (height
            or width < 1) in some block; the message names the block and the fix.

    Example:

    >>> convnet_shapes((150, 150, 3), filters=(32, 64, 128, 128))[-1]
    ('block4', (7, 7, 128))
    >>> convnet_shapes((28, 28, 1), filters=(32, 64, 64), pool_last=False)[-1]
    ('block3', (3, 3, 64))
    """
    plan = _block_plan(input_shape, filters, kernel_size, padding, pool_size, convs_per_block, pool_last,
                       downsample, pooling)
    return [(block.name, block.output_shape) for block in plan]


class _Block(NamedTuple):
    """One block of a conv/pooling stack, as `build_convnet` builds it and `convnet_shapes` reports it."""

    name: str  # "block1", ...
    filters: int
    padding: str  # "valid" or "same"
    strides: tuple  # the (height, width) stride of each of its convolutions, in order
    pool: tuple | None  # the pooling window (and stride) that ends it, or None
    output_shape: tuple  # (height, width, channels) after it


def _block_plan(input_shape, filters, kernel_size, padding, pool_size, convs_per_block, pool_last,
                downsample, pooling):
    """Check a stack's arguments and return its `_Block`s: the one walk through the blocks.

    Raises the package's input-too-small error, naming the block, where the feature map vanishes.
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in input_shape):
        raise arg_error("input_shape", input_shape, "a tuple (height, width, channels) of positive integers",
                        "For 64x64 colour images: input_shape=(64, 64, 3)")
    if not isinstance(filters, (tuple, list)) or not filters or not all(
            isinstance(f, numbers.Integral) and not isinstance(f, bool) and f >= 1 for f in filters):
        raise arg_error("filters", filters, "a non-empty tuple of positive integers, one per block",
                        "For three blocks: filters=(32, 64, 128)")
    kh, kw = check_pair("kernel_size", kernel_size)
    paddings = _block_paddings(padding, filters)
    ph, pw = check_pair("pool_size", pool_size) if pool_size else (1, 1)
    convs_per_block = check_positive_int("convs_per_block", convs_per_block)
    check_bool("pool_last", pool_last)
    downsample = check_choice("downsample", downsample, ("pool", "stride"))
    pooling = check_choice("pooling", pooling, ("max", "average"))
    h, w, _ = input_shape
    plan = []
    for i, (f, pad) in enumerate(zip(filters, paddings), start=1):
        down = _downsamples(i, len(filters), pool_size, pool_last)
        strides = tuple((ph, pw) if down and downsample == "stride" and j == convs_per_block else (1, 1)
                        for j in range(1, convs_per_block + 1))
        pool = (ph, pw) if down and downsample == "pool" else None
        for s in strides:
            h = output_size(h, kh, padding=pad, stride=s[0], allow_empty=True)
            w = output_size(w, kw, padding=pad, stride=s[1], allow_empty=True)
            if h < 1 or w < 1:
                break
        if h >= 1 and w >= 1 and pool:
            h, w = output_size(h, ph, stride=ph, allow_empty=True), output_size(w, pw, stride=pw, allow_empty=True)
        if h < 1 or w < 1:
            stride = f", stride {ph}x{pw}" if pool_size and downsample == "stride" else ""
            pooled = f"+{pooling}-pool({ph}x{pw})" if pool_size and downsample == "pool" else ""
            raise input_too_small_error(
                input_shape, f"{len(filters)} conv({kh}x{kw}, {pad}{stride}){pooled} blocks", (h, w), f"block{i}",
                f"Use a larger input_shape, fewer blocks (filters={tuple(filters[:i - 1]) or '(...)'}), "
                "or padding='same'.")
        plan.append(_Block(f"block{i}", int(f), pad, strides, pool, (h, w, int(f))))
    return plan


def _block_paddings(padding, filters):
    """One padding per block: a string for every block, or a tuple of strings, one per block."""
    if isinstance(padding, str):
        return (check_choice("padding", padding, ("valid", "same")),) * len(filters)
    if not isinstance(padding, (tuple, list)) or len(padding) != len(filters):
        raise arg_error("padding", padding,
                        f"'valid', 'same', or a tuple of {len(filters)} of them (one per block, "
                        f"as filters={tuple(filters)} has {len(filters)} blocks)",
                        f"For example padding={('same',) + ('valid',) * (len(filters) - 1)}")
    return tuple(check_choice(f"padding[{k}]", p, ("valid", "same")) for k, p in enumerate(padding))


def _downsamples(block, blocks, pool_size, pool_last):
    """Whether block number `block` (from 1) of `blocks` ends with a downsampling."""
    return bool(pool_size) and (pool_last or block < blocks)


def build_convnet(input_shape, num_classes=None, task="multiclass", filters=(32, 64, 128),
                  kernel_size=3, padding="valid", pool_size=2, convs_per_block=1,
                  dense_units=(64,), dropout=0.0, activation="relu", augmentation=None,
                  name="convnet", *, pool_last=True, pooling="max", downsample="pool",
                  batchnorm=False, head="flatten", kernel_initializer="glorot_uniform"):
    """Build a conv/pooling stack with a dense head, the lectures' basic convnet.

    Layout: `Input -> [augmentation] -> block1 ... blockN -> Flatten (or
    GlobalAveragePooling2D) -> [Dropout] -> Dense(units) ... -> [Dropout] ->
    output`, where each block is `convs_per_block` x `Conv2D(filters[i],
    kernel_size, activation)` then pooling (or a strided last convolution).
    (`GlobalMaxPooling2D` instead of Flatten with `head="gmp"`.)
    The output layer and the loss follow the task (`task_head`); compile with
    `compile_for_task`. Layers are named `block{i}_conv{j}`, `block{i}_bn{j}`,
    `block{i}_act{j}`, `block{i}_pool` (like VGG16), `flatten`, `gap` or `gmp`,
    `dropout{k}`, `dense{k}` and `output`. Every network of
    `models.shapes_convnet` and the other presets are built with it. Introduced in `notebooks/00_getting_started`.

    Args:
        input_shape: `(height, width, channels)` of the (already rescaled) images.
        num_classes: number of classes (not needed for task="binary").
        task: "binary", "multiclass", "multilabel", "regression" or "regression_0_1".
        filters: number of filters of each block; its length is the number of blocks.
        kernel_size: convolution kernel size (int or pair).
        padding: "valid" (shrinks by kernel-1) or "same" (keeps the size), or
            a tuple with one of them per block.
        pool_size: pooling window and stride (int or pair), or None for no
            downsampling at all.
        convs_per_block: convolutions per block (VGG uses 2 or 3).
        dense_units: sizes of the hidden dense layers of the head.
        dropout: dropout rate before each hidden dense layer (`dropout{k}`
            before `dense{k}`), 0 for none. With `dense_units=()`, one `Dropout`
            (`dropout`) right before the output layer, as in keras.io's MNIST convnet.
        activation: activation of the convolutions and the hidden dense layers.
        augmentation: optional augmentation block to put right after the input
            (active in training only).
        name: model name.
        pool_last: whether the last block downsamples too (False: the book's
            MNIST convnets, whose last convolution feeds `Flatten` directly).
        pooling: "max" (`MaxPooling2D`) or "average" (`AveragePooling2D`, LeNet-5).
        downsample: "pool" (a pooling layer ends each block) or "stride" (the
            block's last convolution has `strides=pool_size`, no pooling layer;
            sizes as pooling's with "same" padding, maybe one more with "valid").
        batchnorm: if True, each convolution is `Conv2D(use_bias=False) ->
            BatchNormalization -> Activation` (conv-BN-ReLU) instead of
            `Conv2D(activation)`; BN's shift replaces the bias.
        head: "flatten" (`Flatten`), "gap" (`GlobalAveragePooling2D`: the
            mean of each channel, far fewer dense weights) or "gmp"
            (`GlobalMaxPooling2D`: the largest value of each channel, i.e.
            whether its feature is anywhere in the image).
        kernel_initializer: initializer of the convolution and hidden dense
            kernels: Keras's default "glorot_uniform", or "he_normal" (He et
            al., made for ReLU: keeps the signal's size from layer to layer).

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for a bad argument, or an input too small for the stack
            (naming the block where the feature map vanishes).

    Example:

    >>> from cnn_course.models import build_convnet
    >>> model = build_convnet((28, 28, 1), num_classes=10, filters=(32, 64), dense_units=(64,))
    >>> model.output_shape
    (None, 10)
    >>> model = build_convnet((64, 64, 3), 5, filters=(16, 32), batchnorm=True, head="gap", dense_units=())
    >>> [layer.name for layer in model.layers[1:5]]
    ['block1_conv1', 'block1_bn1', 'block1_act1', 'block1_pool']
    """
    keras = import_keras()

    input_shape = tuple(input_shape)
    plan = _block_plan(input_shape, filters, kernel_size, padding, pool_size, convs_per_block, pool_last,
                       downsample, pooling)
    check_bool("batchnorm", batchnorm)
    head = check_choice("head", head, ("flatten", "gap", "gmp"))
    dropout = check_fraction("dropout", dropout)
    out = task_head(task, num_classes)
    pool_layer = {"max": keras.layers.MaxPooling2D, "average": keras.layers.AveragePooling2D}[pooling]

    inputs = keras.Input(shape=input_shape, name="image")
    x = augmentation(inputs) if augmentation is not None else inputs
    for block in plan:
        for j, strides in enumerate(block.strides, start=1):
            x = _conv(x, block.filters, kernel_size, strides, block.padding, activation, batchnorm, block.name, j,
                      kernel_initializer)
        if block.pool:
            x = pool_layer(block.pool, name=f"{block.name}_pool")(x)
    if head == "gap":
        x = keras.layers.GlobalAveragePooling2D(name="gap")(x)  # (batch, channels)
    elif head == "gmp":
        x = keras.layers.GlobalMaxPooling2D(name="gmp")(x)  # (batch, channels)
    else:
        x = keras.layers.Flatten(name="flatten")(x)  # (batch, height * width * channels)
    x = _dense_head(x, dense_units, dropout, activation, kernel_initializer)
    outputs = keras.layers.Dense(out.units, activation=out.activation, dtype=output_dtype(),
                                 name="output")(x)  # float32 under mixed precision
    return keras.Model(inputs, outputs, name=name)


def _conv(x, filters, kernel_size, strides, padding, activation, batchnorm, block, j, initializer):
    """One convolution of a block: `Conv2D(activation)`, or `Conv2D(no bias) -> BN -> Activation`."""
    keras = import_keras()

    conv = {"strides": strides, "padding": padding, "kernel_initializer": initializer,
            "name": f"{block}_conv{j}"}
    if not batchnorm:
        return keras.layers.Conv2D(filters, kernel_size, activation=activation, **conv)(x)
    x = keras.layers.Conv2D(filters, kernel_size, use_bias=False, **conv)(x)
    # momentum 0.9, not Keras's 0.99: a small dataset gives few steps per epoch, and with 0.99 the
    # moving statistics used at evaluation still lag the training ones after several epochs.
    # synchronized: under a strategy with several replicas, the batch statistics are those of the
    # global batch (as on one device), not of each replica's share.
    x = keras.layers.BatchNormalization(momentum=0.9, synchronized=replicas_in_scope() > 1,
                                        name=f"{block}_bn{j}")(x)
    return keras.layers.Activation(activation, name=f"{block}_act{j}")(x)


def _dense_head(x, units, dropout, activation, initializer="glorot_uniform"):
    """Hidden dense layers, each after a Dropout; with no hidden layer, the Dropout alone."""
    keras = import_keras()

    for k, n in enumerate(units, start=1):
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout{k}")(x)
        x = keras.layers.Dense(check_positive_int("dense_units", n), activation=activation,
                               kernel_initializer=initializer, name=f"dense{k}")(x)
    if dropout and not units:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return x


def build_dense(input_shape, num_classes=None, task="multiclass", hidden_units=(128,),
                dropout=0.0, activation="relu", name="dense_baseline"):
    """Build a dense (fully connected) network on raw pixels: the baseline a convnet must beat.

    Layout: `Input -> Flatten -> [Dropout] -> Dense(units) ... -> output`.

    Args:
        input_shape: `(height, width, channels)`.
        num_classes: number of classes (not needed for task="binary").
        task: as in `build_convnet`.
        hidden_units: sizes of the hidden dense layers.
        dropout: dropout rate before each hidden layer (with `hidden_units=()`,
            before the output layer).
        activation: activation of the hidden layers.
        name: model name.

    Returns:
        An uncompiled `keras.Model`.

    Example:

    >>> from cnn_course.models import build_dense
    >>> build_dense((28, 28, 1), num_classes=10, hidden_units=(512,)).count_params()
    407050
    """
    keras = import_keras()

    dropout = check_fraction("dropout", dropout)
    head = task_head(task, num_classes)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = _dense_head(x, hidden_units, dropout, activation)
    outputs = keras.layers.Dense(head.units, activation=head.activation, dtype=output_dtype(),
                                 name="output")(x)  # float32 under mixed precision
    return keras.Model(inputs, outputs, name=name)
