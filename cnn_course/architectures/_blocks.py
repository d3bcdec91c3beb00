"""The building blocks of the lectures' architectures: a VGG block, Inception modules, residual and dense blocks.

Each takes a tensor and returns one, one Keras layer per line, so that a
network is written as a few block calls (`architectures.vgg16`,
`architectures.small_resnet`, ...). Introduced in `notebooks/07_lenet_to_resnet`.
"""

from cnn_course._validation import check_number, check_positive_int
from cnn_course.settings import import_keras

keras = import_keras()
layers = keras.layers


# ---------------------------------------------------------------------------
# VGG (2014): blocks of 3x3 convolutions
# ---------------------------------------------------------------------------


def vgg_block(x, filters, convs, name="block", kernel_initializer="glorot_uniform"):
    """`convs` 3x3 convolutions (`same` padding, ReLU), then 2x2 max pooling: Simonyan & Zisserman (2014).

    Two stacked 3x3 convolutions see a 5x5 window and three see 7x7, with
    fewer weights than one big kernel and a ReLU between each.

    Args:
        x: input tensor `(batch, height, width, channels)`.
        filters: filters of every convolution in the block.
        convs: number of convolutions.
        name: prefix of the layer names.
        kernel_initializer: of the convolutions (Keras's default; the
            `small_*` models use "he_normal", made for ReLU networks).

    Returns:
        A tensor `(batch, height // 2, width // 2, filters)`.

    Example:

    >>> from cnn_course import architectures
    >>> x = architectures.keras.Input((32, 32, 3))
    >>> tuple(architectures.vgg_block(x, 64, convs=2).shape)
    (None, 16, 16, 64)
    """
    for i in range(1, check_positive_int("convs", convs) + 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_initializer=kernel_initializer,
                          name=f"{name}_conv{i}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


# ---------------------------------------------------------------------------
# Inception (GoogLeNet, 2014): parallel branches, 1x1 reductions
# ---------------------------------------------------------------------------


def naive_inception_module(x, f1, f3, f5, name="naive_inception"):
    """Szegedy et al. (2014), Figure 2(a): 1x1, 3x3 and 5x5 convolutions and 3x3 max pooling, side by side.

    Every branch keeps height and width, so the outputs can be concatenated
    along the channels; the pooling branch passes all input channels on.
    Args as in `inception_module` (`f1`, `f3`, `f5`: filters of the 1x1, 3x3
    and 5x5 convolutions). Returns `(batch, height, width, f1 + f3 + f5 + channels)`.
    """
    b1 = layers.Conv2D(f1, 1, activation="relu", name=f"{name}_1x1")(x)
    b3 = layers.Conv2D(f3, 3, padding="same", activation="relu", name=f"{name}_3x3")(x)
    b5 = layers.Conv2D(f5, 5, padding="same", activation="relu", name=f"{name}_5x5")(x)
    bp = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    return layers.Concatenate(name=f"{name}_concat")([b1, b3, b5, bp])


def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj, name="inception",
                     kernel_initializer="glorot_uniform"):
    """GoogLeNet's Inception module with 1x1 reductions (Szegedy et al., 2014, Figure 2(b)).

    Four branches on the same input, concatenated along the channels: a 1x1
    convolution; a 1x1 "reduction" to `f3_reduce` channels, then 3x3; a 1x1
    reduction to `f5_reduce`, then 5x5; 3x3 max pooling, then a 1x1 "pool
    projection". The 1x1 convolutions make the input of the 3x3 and 5x5 thin.

    Args:
        x: input tensor `(batch, height, width, channels)`.
        f1: filters of the 1x1 branch.
        f3_reduce, f3: 1x1 reduction and 3x3 filters of the second branch.
        f5_reduce, f5: 1x1 reduction and 5x5 filters of the third branch.
        pool_proj: 1x1 filters after the max pooling.
        name: prefix of the layer names.
        kernel_initializer: of every convolution.

    Returns:
        A tensor `(batch, height, width, f1 + f3 + f5 + pool_proj)`.

    Example:

    >>> from cnn_course import architectures
    >>> x = architectures.keras.Input((28, 28, 192))
    >>> tuple(architectures.inception_module(x, 64, 96, 128, 16, 32, 32, name="3a").shape)
    (None, 28, 28, 256)
    """
    relu = {"activation": "relu", "kernel_initializer": kernel_initializer}
    b1 = layers.Conv2D(f1, 1, name=f"{name}_1x1", **relu)(x)
    b3 = layers.Conv2D(f3_reduce, 1, name=f"{name}_3x3_reduce", **relu)(x)
    b3 = layers.Conv2D(f3, 3, padding="same", name=f"{name}_3x3", **relu)(b3)
    b5 = layers.Conv2D(f5_reduce, 1, name=f"{name}_5x5_reduce", **relu)(x)
    b5 = layers.Conv2D(f5, 5, padding="same", name=f"{name}_5x5", **relu)(b5)
    bp = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    bp = layers.Conv2D(pool_proj, 1, name=f"{name}_pool_proj", **relu)(bp)
    return layers.Concatenate(name=f"{name}_concat")([b1, b3, b5, bp])


# ---------------------------------------------------------------------------
# ResNet (2015): residual blocks
# ---------------------------------------------------------------------------


def conv_bn(x, filters, kernel, stride, batchnorm, name, kernel_initializer="glorot_uniform"):
    """Conv2D (`same` padding; no bias when batch normalization follows), then BatchNormalization if `batchnorm`.

    The layers are named `{name}_conv` and `{name}_bn`; no activation.
    """
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=not batchnorm,
                      kernel_initializer=kernel_initializer, name=f"{name}_conv")(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x) if batchnorm else x


def residual_block(x, filters, stride=1, batchnorm=True, name="res", kernel_initializer="glorot_uniform"):
    """ResNet's basic block (He et al., 2015, Figure 2): `relu(F(x) + shortcut(x))`.

    `F`: two 3x3 convolutions, each followed by batch normalization, ReLU
    between. The shortcut is `x` itself when `F(x)` has its shape; when the
    block halves the size (`stride=2`) or changes the channels, a 1x1
    convolution with the same stride (a *projection*) brings `x` to that shape.

    Args:
        x: input tensor `(batch, height, width, channels)`.
        filters: filters of both convolutions (the output channels).
        stride: stride of the first convolution (2 halves height and width).
        batchnorm: batch normalization after each convolution (which then
            has no bias: the normalization's offset does that job).
        name: prefix of the layer names.
        kernel_initializer: of every convolution.

    Returns:
        A tensor `(batch, ceil(height / stride), ceil(width / stride), filters)`.

    Example:

    >>> from cnn_course import architectures
    >>> x = architectures.keras.Input((32, 32, 16))
    >>> y = architectures.residual_block(x, 32, stride=2, name="down")
    >>> tuple(y.shape)
    (None, 16, 16, 32)
    >>> model = architectures.keras.Model(x, y)
    >>> [layer.name for layer in model.layers if "shortcut" in layer.name]
    ['down_shortcut_conv', 'down_shortcut_bn']
    """
    check_positive_int("stride", stride)
    init = {"batchnorm": batchnorm, "kernel_initializer": kernel_initializer}
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:  # shapes differ: project x with a 1x1 convolution
        shortcut = conv_bn(x, filters, 1, stride, name=f"{name}_shortcut", **init)
    y = conv_bn(x, filters, 3, stride, name=f"{name}_1", **init)  # (batch, h / stride, w / stride, filters)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = conv_bn(y, filters, 3, 1, name=f"{name}_2", **init)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def bottleneck_block(x, filters, stride=1, name="bottleneck"):
    """ResNet-50's bottleneck block, laid out as in `keras.applications.ResNet50`.

    1x1 convolution down to `filters` channels (with the block's stride), 3x3,
    1x1 up to `4 * filters`; batch normalization after each, ReLU between. The
    thin 3x3 makes 50 layers affordable (as Inception's 1x1 reductions do).
    Like Keras, the convolutions keep their biases; BN epsilon is 1.001e-5.

    Args:
        x: input tensor `(batch, height, width, channels)`.
        filters: channels of the thin 1x1 and 3x3 convolutions.
        stride: stride of the first 1x1 convolution and of the projection.
        name: prefix of the layer names.

    Returns:
        A tensor `(batch, ceil(height / stride), ceil(width / stride), 4 * filters)`.
    """
    bn = {"epsilon": 1.001e-5}
    shortcut = x
    if stride != 1 or x.shape[-1] != 4 * filters:  # projection shortcut
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_0_bn", **bn)(shortcut)
    y = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    y = layers.BatchNormalization(name=f"{name}_1_bn", **bn)(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(y)
    y = layers.BatchNormalization(name=f"{name}_2_bn", **bn)(y)
    y = layers.Activation("relu", name=f"{name}_2_relu")(y)
    y = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(y)  # (batch, h, w, 4 * filters)
    y = layers.BatchNormalization(name=f"{name}_3_bn", **bn)(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


# ---------------------------------------------------------------------------
# DenseNet (2017): every layer sees the feature maps of all layers before it
# ---------------------------------------------------------------------------


def _bn_relu_conv(x, filters, kernel, name):
    """Batch normalization, ReLU, then a convolution without bias: DenseNet's "pre-activation" order."""
    x = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    return layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=f"{name}_conv")(x)


def dense_block(x, num_layers, growth_rate, bottleneck=True, name="dense"):
    """DenseNet's dense block (Huang et al., 2017): each layer's output is concatenated to its input.

    Layer `i` receives the block's input and the `growth_rate` new channels of
    every layer before it, so the channels grow linearly: `c + num_layers *
    growth_rate` at the end. A ResNet block *adds* what it computes to its
    input; a dense block *keeps* every earlier feature map, so later layers can
    reuse edges found early on, and each layer can be narrow. Each layer is
    batch normalization, ReLU and a 3x3 convolution, preceded, with
    `bottleneck=True` (DenseNet-B), by a 1x1 convolution to `4 * growth_rate`
    channels that keeps the 3x3 convolution cheap as the input widens.

    Args:
        x: input tensor `(batch, height, width, channels)`.
        num_layers: layers in the block.
        growth_rate: new channels each layer adds (DenseNet-121: 32).
        bottleneck: put a 1x1 convolution to `4 * growth_rate` channels
            before each 3x3 convolution.
        name: prefix of the layer names.

    Returns:
        A tensor `(batch, height, width, channels + num_layers * growth_rate)`.

    Raises:
        ValueError: if `num_layers` or `growth_rate` is not a positive integer.

    Example:

    >>> from cnn_course import architectures
    >>> x = architectures.keras.Input((16, 16, 24))
    >>> y = architectures.dense_block(x, num_layers=4, growth_rate=12)
    >>> tuple(y.shape)  # 24 + 4 * 12 channels
    (None, 16, 16, 72)
    """
    num_layers = check_positive_int("num_layers", num_layers)
    growth_rate = check_positive_int("growth_rate", growth_rate)
    for i in range(1, num_layers + 1):
        y = x
        if bottleneck:
            y = _bn_relu_conv(y, 4 * growth_rate, 1, name=f"{name}_layer{i}_1x1")  # (batch, h, w, 4k)
        y = _bn_relu_conv(y, growth_rate, 3, name=f"{name}_layer{i}_3x3")  # (batch, h, w, k)
        x = layers.Concatenate(name=f"{name}_layer{i}_concat")([x, y])  # channels + k
    return x


def transition_block(x, compression=0.5, name="transition"):
    """DenseNet's transition: a 1x1 convolution keeping `compression` of the channels, then 2x2 average pooling.

    It sits between two dense blocks: it narrows the concatenated channels and
    halves height and width, as pooling does between a VGG's blocks.

    Args:
        x: input tensor `(batch, height, width, channels)`.
        compression: share of the channels kept, in (0, 1] (DenseNet-C: 0.5).
        name: prefix of the layer names.

    Returns:
        A tensor `(batch, height // 2, width // 2, int(channels * compression))`.

    Raises:
        ValueError: if `compression` is not in (0, 1].

    Example:

    >>> from cnn_course import architectures
    >>> x = architectures.keras.Input((16, 16, 72))
    >>> tuple(architectures.transition_block(x).shape)
    (None, 8, 8, 36)
    """
    compression = check_number("compression", compression, low=0.0, high=1.0, low_open=True,
                               expected="a share of the channels in (0, 1]",
                               fix="DenseNet-121 keeps half of them: compression=0.5")
    x = _bn_relu_conv(x, int(x.shape[-1] * compression), 1, name=name)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)
