"""The lectures' full-size networks in plain Keras functional code: LeNet-5, AlexNet, VGG16, ResNet50, DenseNet-121.

Each has exactly its published parameter count; `inception_3a_counts` gives
the lecture's cost arithmetic (with `cost.multiply_adds`, also exported here as
`architectures.multiply_adds`). Introduced in
`notebooks/07_lenet_to_resnet`.
"""

from cnn_course._validation import arg_error, check_choice
from cnn_course.cost import multiply_adds
from cnn_course.settings import import_keras
from cnn_course.architectures._blocks import (
    bottleneck_block,
    dense_block,
    inception_module,
    naive_inception_module,
    transition_block,
    vgg_block,
)

keras = import_keras()
layers = keras.layers


# ---------------------------------------------------------------------------
# LeNet-5 (1998) and AlexNet (2012)
# ---------------------------------------------------------------------------


def lenet5(input_shape=(28, 28, 1), num_classes=10, name="lenet5", activation="sigmoid", pooling="average"):
    """LeNet-5 as in *Dive into Deep Learning* (d2l.ai, 7.6): 61,706 parameters.

    LeCun et al. (1998): two 5x5 convolutions, each followed by average
    pooling, then three dense layers, with sigmoid-like activations. d2l pads
    the first convolution (`same`), so a 28x28 MNIST digit gives the same
    28x28 first feature map as the paper's 32x32 input.

    Args:
        input_shape: `(height, width, channels)`.
        num_classes: units of the softmax output layer.
        name: the model's name.
        activation: of the convolutions and the hidden dense layers:
            "sigmoid" (d2l's), "tanh" (closer to the paper's scaled tanh) or
            "relu" (AlexNet's, notebook 07 trains it against the sigmoid).
        pooling: "average" (d2l's) or "max".

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for another `activation` or `pooling`.

    Example:

    >>> from cnn_course import architectures
    >>> architectures.lenet5().count_params()
    61706
    >>> architectures.lenet5(activation="relu", pooling="max").count_params()  # the same weights
    61706
    """
    activation = check_choice("activation", activation, ("sigmoid", "tanh", "relu"))
    pooling = check_choice("pooling", pooling, ("average", "max"))
    pool = layers.AveragePooling2D if pooling == "average" else layers.MaxPooling2D
    inputs = keras.Input(input_shape, name="image")  # (batch, 28, 28, 1)
    x = layers.Conv2D(6, 5, padding="same", activation=activation, name="conv1")(inputs)  # (batch, 28, 28, 6)
    x = pool(2, name="pool1")(x)  # (batch, 14, 14, 6)
    x = layers.Conv2D(16, 5, activation=activation, name="conv2")(x)  # (batch, 10, 10, 16)
    x = pool(2, name="pool2")(x)  # (batch, 5, 5, 16)
    x = layers.Flatten(name="flatten")(x)  # (batch, 400)
    x = layers.Dense(120, activation=activation, name="dense1")(x)
    x = layers.Dense(84, activation=activation, name="dense2")(x)
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
# VGG16 (2014)
# ---------------------------------------------------------------------------


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
# Inception's arithmetic: parameters and multiply-adds
# ---------------------------------------------------------------------------


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
# ResNet50 (2015)
# ---------------------------------------------------------------------------


def _stem(inputs, use_bias, pool_name):
    """ResNet's and DenseNet's first layers: a 7x7 stride-2 convolution and 3x3 max pooling (224 -> 56)."""
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)  # (batch, 230, 230, 3)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)  # (batch, 112, 112, 64)
    x = layers.BatchNormalization(epsilon=1.001e-5, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    return layers.MaxPooling2D(3, strides=2, name=pool_name)(x)  # (batch, 56, 56, 64)


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
    x = _stem(inputs, use_bias=True, pool_name="pool1_pool")  # (batch, 56, 56, 64)
    for stage, (filters, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], start=2):
        for block in range(1, blocks + 1):
            stride = 2 if block == 1 and stage > 2 else 1
            x = bottleneck_block(x, filters, stride, name=f"conv{stage}_block{block}")
        # stage 2: (batch, 56, 56, 256), 3: (28, 28, 512), 4: (14, 14, 1024), 5: (7, 7, 2048)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)  # (batch, 2048)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="resnet50")


# ---------------------------------------------------------------------------
# DenseNet-121 (2017), the network of CheXNet
# ---------------------------------------------------------------------------


def densenet121(input_shape=(224, 224, 3), num_classes=1000):
    """DenseNet-121 (Huang et al., 2017, Table 1): 8,062,504 parameters, as `keras.applications.DenseNet121`.

    A 7x7 stride-2 convolution and 3x3 max pooling (224 -> 56), four dense
    blocks of 6, 12, 24 and 16 layers with growth rate 32 and a 1x1 bottleneck
    in each layer, a transition halving channels and size between them, global
    average pooling and one dense layer: 1 + 2 * 58 + 3 + 1 = 121 weight
    layers. CheXNet (Rajpurkar et al., 2017) is this network, pretrained on
    ImageNet, with a new 14-unit sigmoid head for the 14 findings of the
    ChestX-ray14 radiographs: multilabel, as in notebook 09.

    Args:
        input_shape: `(height, width, channels)`, at least 32x32.
        num_classes: units of the softmax output layer.

    Returns:
        An uncompiled `keras.Model`.
    """
    inputs = keras.Input(input_shape, name="image")  # (batch, 224, 224, 3)
    x = _stem(inputs, use_bias=False, pool_name="pool1")  # (batch, 56, 56, 64)
    for block, num_layers in enumerate((6, 12, 24, 16), start=2):
        x = dense_block(x, num_layers, growth_rate=32, name=f"conv{block}")
        if block < 5:  # block 2: 64 + 6 * 32 = 256 channels -> 128 at 28x28; 3: 512 -> 256; 4: 1024 -> 512
            x = transition_block(x, 0.5, name=f"pool{block}")
    # block 5: (batch, 7, 7, 512 + 16 * 32 = 1024)
    x = layers.BatchNormalization(epsilon=1.001e-5, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)  # (batch, 1024)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="densenet121")
