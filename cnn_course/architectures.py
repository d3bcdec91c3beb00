"""The lectures' architectures, each in plain Keras functional code: LeNet-5, AlexNet, VGG, Inception, ResNet.

Every function here is written to be read layer by layer, next to the
lecture: one Keras layer per line, the shape in a comment where it changes.
The full-size networks (`lenet5`, `alexnet`, `vgg16`, `resnet50`) have
exactly their published parameter counts. The same ideas at the size of the
course's 64x64 shapes (`small_lenet`, `small_vgg`, `small_inception`,
`small_resnet`) and the same deep network without and with skip connections
(`deep_plain_stack`, `deep_residual_stack`) live in
`cnn_course.small_architectures`, built from the blocks here, and are
importable from here too (`architectures.small_vgg`). All return uncompiled
models (compile them with `cnn_course.models.compile_for_task`); the blocks
take a tensor and return one. Introduced in `notebooks/07_lenet_to_resnet`.
"""
import math

from cnn_course._validation import arg_error, check_choice, check_positive_int
from cnn_course.settings import import_keras

keras = import_keras()
layers = keras.layers


# ---------------------------------------------------------------------------
# LeNet-5 (1998) and AlexNet (2012)
# ---------------------------------------------------------------------------


def lenet5(input_shape=(28, 28, 1), num_classes=10, name="lenet5"):
    """LeNet-5 as in *Dive into Deep Learning* (d2l.ai, 7.6): 61,706 parameters.

    LeCun et al. (1998): two 5x5 convolutions, each followed by average
    pooling, then three dense layers, with sigmoid-like activations. d2l pads
    the first convolution (`same`), so a 28x28 MNIST digit gives the same
    28x28 first feature map as the paper's 32x32 input.

    Args:
        input_shape: `(height, width, channels)`.
        num_classes: units of the softmax output layer.
        name: the model's name.

    Returns:
        An uncompiled `keras.Model`.

    Example:

    >>> from cnn_course import architectures
    >>> architectures.lenet5().count_params()
    61706
    """
    inputs = keras.Input(input_shape, name="image")  # (batch, 28, 28, 1)
    x = layers.Conv2D(6, 5, padding="same", activation="sigmoid", name="conv1")(inputs)  # (batch, 28, 28, 6)
    x = layers.AveragePooling2D(2, name="pool1")(x)  # (batch, 14, 14, 6)
    x = layers.Conv2D(16, 5, activation="sigmoid", name="conv2")(x)  # (batch, 10, 10, 16)
    x = layers.AveragePooling2D(2, name="pool2")(x)  # (batch, 5, 5, 16)
    x = layers.Flatten(name="flatten")(x)  # (batch, 400)
    x = layers.Dense(120, activation="sigmoid", name="dense1")(x)
    x = layers.Dense(84, activation="sigmoid", name="dense2")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def alexnet(input_shape=(224, 224, 3), num_classes=1000):
    """AlexNet as in torchvision (`torchvision.models.alexnet`): 61,100,840 parameters.

    Krizhevsky et al. (2012) split their network over two GPUs; torchvision's
    one-GPU version (Krizhevsky's "one weird trick", 2014) has five
    convolutions of 64, 192, 384, 256 and 256 filters, three max poolings and
    three dense layers with dropout. Its adaptive average pool to 6x6 does
    nothing at 224x224, where the map is already 6x6: this version checks that.

    Args:
        input_shape: `(height, width, channels)`; the convolutions must end at
            6x6 (224 to 227 pixels do).
        num_classes: units of the softmax output layer.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: if the last feature map is not 6x6.
    """
    inputs = keras.Input(input_shape, name="image")  # (batch, 224, 224, 3)
    x = layers.ZeroPadding2D(2, name="pad1")(inputs)  # (batch, 228, 228, 3): torchvision's padding=2
    x = layers.Conv2D(64, 11, strides=4, activation="relu", name="conv1")(x)  # (batch, 55, 55, 64)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)  # (batch, 27, 27, 64)
    x = layers.Conv2D(192, 5, padding="same", activation="relu", name="conv2")(x)  # (batch, 27, 27, 192)
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)  # (batch, 13, 13, 192)
    x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)  # (batch, 13, 13, 384)
    x = layers.Conv2D(256, 3, padding="same", activation="relu", name="conv4")(x)  # (batch, 13, 13, 256)
    x = layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool3")(x)  # (batch, 6, 6, 256)
    if tuple(x.shape[1:3]) != (6, 6):
        raise arg_error("input_shape", tuple(input_shape), "an image whose last feature map is 6x6",
                        f"It gives {x.shape[1]}x{x.shape[2]}; use 224x224 (as torchvision does)")
    x = layers.Flatten(name="flatten")(x)  # (batch, 9216)
    x = layers.Dropout(0.5, name="dropout1")(x)
    x = layers.Dense(4096, activation="relu", name="dense1")(x)
    x = layers.Dropout(0.5, name="dropout2")(x)
    x = layers.Dense(4096, activation="relu", name="dense2")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="alexnet")


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


def vgg16(input_shape=(224, 224, 3), num_classes=1000, head="flatten"):
    """VGG16 (configuration D of Simonyan & Zisserman, 2014): 138,357,544 parameters with its dense head.

    Five VGG blocks (2, 2, 3, 3, 3 convolutions of 64 to 512 filters) take
    224x224 to 7x7x512. As in `keras.applications.VGG16`, the head flattens
    that and adds dense layers of 4096, 4096 and 1000 units, which hold 89% of
    the parameters; `head="gap"` uses global average pooling and the output
    layer instead, as GoogLeNet and ResNet do (15,227,688 parameters).

    Args:
        input_shape: `(height, width, channels)`, at least 32x32.
        num_classes: units of the softmax output layer.
        head: "flatten" or "gap".

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for an unknown `head`.
    """
    check_choice("head", head, ("flatten", "gap"))
    inputs = keras.Input(input_shape, name="image")  # (batch, 224, 224, 3)
    x = vgg_block(inputs, 64, 2, name="block1")  # (batch, 112, 112, 64)
    x = vgg_block(x, 128, 2, name="block2")  # (batch, 56, 56, 128)
    x = vgg_block(x, 256, 3, name="block3")  # (batch, 28, 28, 256)
    x = vgg_block(x, 512, 3, name="block4")  # (batch, 14, 14, 512)
    x = vgg_block(x, 512, 3, name="block5")  # (batch, 7, 7, 512)
    if head == "flatten":
        x = layers.Flatten(name="flatten")(x)  # (batch, 25088)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="gap")(x)  # (batch, 512): one mean per channel
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"vgg16_{head}")


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


def multiply_adds(model):
    """Multiply-adds of one forward pass of one image through the Conv2D and Dense layers of `model`.

    A convolution uses each weight of its kernel once per output position.

    Example:

    >>> from cnn_course import architectures
    >>> inputs = architectures.keras.Input((8, 8, 3))
    >>> conv = architectures.layers.Conv2D(4, 3, padding="same")(inputs)  # 8*8 outputs, 3*3*3*4 weights
    >>> architectures.multiply_adds(architectures.keras.Model(inputs, conv))
    6912
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.Dense)):
            kernel = layer.kernel.shape
            outputs = layer.output.shape[1:-1]  # (out height, out width) for Conv2D, () for Dense
            total += math.prod(outputs) * math.prod(kernel)
    return total


def inception_3a_counts():
    """Parameters and multiply-adds of GoogLeNet's Inception (3a), with and without its 1x1 reductions.

    Szegedy et al. (2014), Table 1: input 28x28x192; 64 1x1 filters, 96 -> 128
    (3x3 branch), 16 -> 32 (5x5 branch), 32 pool projections. The naive module
    has the same 1x1, 3x3 and 5x5 filters without reductions and projection.

    Returns:
        A dict `{"naive": {...}, "reduced": {...}}`, each with "params",
        "multiply_adds" and "out_channels".

    Example:

    >>> from cnn_course import architectures
    >>> counts = architectures.inception_3a_counts()
    >>> counts["reduced"]["params"], counts["naive"]["params"]
    (163696, 387296)
    >>> counts["reduced"]["out_channels"], counts["naive"]["out_channels"]
    (256, 416)
    """
    counts = {}
    for kind in ("naive", "reduced"):
        inputs = keras.Input((28, 28, 192))
        if kind == "naive":
            outputs = naive_inception_module(inputs, 64, 128, 32, name="3a")
        else:
            outputs = inception_module(inputs, 64, 96, 128, 16, 32, 32, name="3a")
        model = keras.Model(inputs, outputs)
        counts[kind] = {"params": model.count_params(), "multiply_adds": multiply_adds(model),
                        "out_channels": int(outputs.shape[-1])}
    return counts


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


def resnet50(input_shape=(224, 224, 3), num_classes=1000):
    """ResNet-50 (He et al., 2015, Table 1): 25,636,712 parameters, as `keras.applications.ResNet50`.

    A 7x7 stride-2 convolution and 3x3 max pooling (224 -> 56), four stages of
    3, 4, 6 and 3 bottleneck blocks (stages 3 to 5 start by halving the size),
    global average pooling, one dense layer: 1 + 3 * 16 + 1 = 50 weight layers.

    Args:
        input_shape: `(height, width, channels)`, at least 32x32.
        num_classes: units of the softmax output layer.

    Returns:
        An uncompiled `keras.Model`.
    """
    inputs = keras.Input(input_shape, name="image")  # (batch, 224, 224, 3)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)  # (batch, 230, 230, 3)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)  # (batch, 112, 112, 64)
    x = layers.BatchNormalization(epsilon=1.001e-5, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)  # (batch, 56, 56, 64)
    for stage, (filters, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], start=2):
        for block in range(1, blocks + 1):
            stride = 2 if block == 1 and stage > 2 else 1
            x = bottleneck_block(x, filters, stride, name=f"conv{stage}_block{block}")
        # stage 2: (batch, 56, 56, 256), 3: (28, 28, 512), 4: (14, 14, 1024), 5: (7, 7, 2048)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)  # (batch, 2048)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="resnet50")


# ---------------------------------------------------------------------------
# The course-size versions, importable from here too
# ---------------------------------------------------------------------------

#: Names that `architectures.<name>` finds in `cnn_course.small_architectures`.
SMALL_ARCHITECTURES = ("small_lenet", "small_vgg", "small_inception", "small_resnet", "deep_plain_stack",
                       "deep_residual_stack")


def __getattr__(name):
    """`architectures.small_vgg` and the other `SMALL_ARCHITECTURES`, from `cnn_course.small_architectures`.

    Looked up on first use, not imported at the top: that module builds on
    the blocks defined here, so importing it here would be an import cycle.
    """
    if name in SMALL_ARCHITECTURES:
        from cnn_course import small_architectures

        return getattr(small_architectures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(SMALL_ARCHITECTURES))
