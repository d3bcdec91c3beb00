"""The lectures' architectures at course size (small LeNet, VGG, Inception, ResNet) and deep plain/residual stacks."""

from cnn_course._validation import arg_error, check_positive_int
from cnn_course.architectures._blocks import conv_bn, inception_module, keras, layers, residual_block, vgg_block
from cnn_course.architectures._full import lenet5

# ---------------------------------------------------------------------------
# Small versions for the course's 64x64 shapes (a few seconds an epoch on a CPU)
# ---------------------------------------------------------------------------


# Each takes `input_shape=(64, 64, 3)` and `num_classes=4` and returns an uncompiled model. Two
# choices make the last three learn reliably within 8 epochs on the shapes (batch size 16, Adam). In
# our runs with Keras's default initialisation, they stayed near chance for 8 to 12 epochs with global
# average pooling, and with global max pooling whether they got started in time depended on the seed:
# - He initialisation ("he_normal") keeps the size of the signal through ReLU layers, where Keras's
#   default ("glorot_uniform") halves its variance at each one (notebook 10's deep plain stack);
# - global max pooling: a shape covers a small part of the image, and the largest response of a
#   channel says whether its feature is somewhere in it; an average mostly measures the background.
_HE = "he_normal"  # He initialisation, for the ReLU layers of the small models


def _classifier(x, num_classes):
    return layers.Dense(num_classes, activation="softmax", name="output")(x)


def small_lenet(input_shape=(64, 64, 3), num_classes=4):
    """LeNet-5's layout at 64x64: two 5x5 convolutions with average pooling, dense 120 and 84 (sigmoid).

    Example:

    >>> from cnn_course import architectures
    >>> architectures.small_lenet().count_params()
    389816
    """
    # The same layers as `lenet5`: (batch, 64, 64, 6) -> pooled 32x32 -> (batch, 28, 28, 16)
    # -> pooled 14x14 -> 3,136 values flattened -> 120 -> 84 -> classes.
    return lenet5(input_shape, num_classes, name="small_lenet")


def small_vgg(input_shape=(64, 64, 3), num_classes=4):
    """Three VGG blocks (16, 32, 64 filters, two 3x3 convolutions each), global max pooling: 72,340 parameters."""
    inputs = keras.Input(input_shape, name="image")  # (batch, 64, 64, 3)
    x = vgg_block(inputs, 16, 2, name="block1", kernel_initializer=_HE)  # (batch, 32, 32, 16)
    x = vgg_block(x, 32, 2, name="block2", kernel_initializer=_HE)  # (batch, 16, 16, 32)
    x = vgg_block(x, 64, 2, name="block3", kernel_initializer=_HE)  # (batch, 8, 8, 64)
    x = layers.GlobalMaxPooling2D(name="global_max")(x)  # (batch, 64)
    return keras.Model(inputs, _classifier(x, num_classes), name="small_vgg")


def small_inception(input_shape=(64, 64, 3), num_classes=4):
    """A 3x3 convolution, two Inception modules (with 1x1 reductions), global max pooling: 31,988 parameters."""
    inputs = keras.Input(input_shape, name="image")  # (batch, 64, 64, 3)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=_HE, name="stem_conv")(inputs)
    x = layers.MaxPooling2D(2, name="stem_pool")(x)  # (batch, 32, 32, 32)
    x = inception_module(x, 16, 16, 32, 8, 8, 8, name="inception1", kernel_initializer=_HE)  # (batch, 32, 32, 64)
    x = layers.MaxPooling2D(2, name="pool1")(x)  # (batch, 16, 16, 64)
    x = inception_module(x, 32, 32, 48, 8, 16, 16, name="inception2", kernel_initializer=_HE)  # (b, 16, 16, 112)
    x = layers.MaxPooling2D(2, name="pool2")(x)  # (batch, 8, 8, 112)
    x = layers.GlobalMaxPooling2D(name="global_max")(x)  # (batch, 112)
    return keras.Model(inputs, _classifier(x, num_classes), name="small_inception")


def small_resnet(input_shape=(64, 64, 3), num_classes=4, batchnorm=False):
    """A 3x3 convolution, three residual blocks (16, 32, 64 filters), global max pooling: 77,316 parameters.

    Without batch normalization by default: with it (`batchnorm=True`), in
    our 8-epoch runs it fit the training images as fast but its validation
    accuracy lagged behind and jumped from epoch to epoch.
    """
    inputs = keras.Input(input_shape, name="image")  # (batch, 64, 64, 3)
    x = conv_bn(inputs, 16, 3, 1, batchnorm, name="stem", kernel_initializer=_HE)
    x = layers.Activation("relu", name="stem_relu")(x)
    x = layers.MaxPooling2D(2, name="stem_pool")(x)  # (batch, 32, 32, 16)
    block = {"batchnorm": batchnorm, "kernel_initializer": _HE}
    x = residual_block(x, 16, name="res1", **block)  # (batch, 32, 32, 16): identity shortcut
    x = residual_block(x, 32, 2, name="res2", **block)  # (batch, 16, 16, 32): projection shortcut
    x = residual_block(x, 64, 2, name="res3", **block)  # (batch, 8, 8, 64): projection shortcut
    x = layers.GlobalMaxPooling2D(name="global_max")(x)  # (batch, 64)
    return keras.Model(inputs, _classifier(x, num_classes), name="small_resnet")


# ---------------------------------------------------------------------------
# The same deep stack without and with skip connections
# ---------------------------------------------------------------------------


def _deep_stack(depth, filters, input_shape, num_classes, skip, batchnorm):
    depth = check_positive_int("depth", depth)
    if depth % 2:
        raise arg_error("depth", depth, "an even number",
                        "The convolutions come in pairs, one pair per residual block; use e.g. depth=30")
    # With batchnorm: conv (no bias) -> batch normalization -> ReLU and He initialisation, as He et al.
    # trained their plain and residual networks; without: Keras's default initialisation, no normalization.
    init = {"batchnorm": batchnorm, "kernel_initializer": _HE if batchnorm else "glorot_uniform"}
    inputs = keras.Input(input_shape, name="image")  # (batch, 28, 28, 1)
    x = conv_bn(inputs, filters, 3, 2, name="stem", **init)  # (batch, 14, 14, filters)
    x = layers.Activation("relu", name="stem")(x)
    for i in range(1, depth // 2 + 1):  # (batch, 14, 14, filters) all the way
        if skip:  # relu(x + F(x))
            x = residual_block(x, filters, name=f"pair{i}", **init)
        else:  # relu(F(x)): the same layers (and names), without the "+ x"
            x = conv_bn(x, filters, 3, 1, name=f"pair{i}_1", **init)
            x = layers.Activation("relu", name=f"pair{i}_1_relu")(x)
            x = conv_bn(x, filters, 3, 1, name=f"pair{i}_2", **init)
            x = layers.Activation("relu", name=f"pair{i}_out")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)  # (batch, filters)
    kind = "residual" if skip else "plain"
    return keras.Model(inputs, _classifier(x, num_classes), name=f"{kind}_{depth}" + ("_bn" if batchnorm else ""))


def deep_plain_stack(depth=30, filters=16, input_shape=(28, 28, 1), num_classes=10, batchnorm=False):
    """A stride-2 3x3 convolution, then `depth` 3x3 convolutions with ReLU, global average pooling, softmax.

    By default no batch normalization and Keras's default initialisation,
    which halves the variance of the signal at every ReLU layer: after 30
    convolutions the output hardly depends on the input, and in notebook 10
    this stack does not learn at all. `deep_residual_stack` has the same layers
    plus skip connections, and learns. With `batchnorm=True` every convolution
    is followed by batch normalization and uses He initialisation, as in He et
    al.'s plain networks: the signal keeps its size, and what is left is their
    *degradation problem* (notebook 10 trains 6 and 30 such layers).

    Args:
        depth: number of 3x3 convolutions after the first one, even.
        filters: filters of every convolution.
        input_shape: `(height, width, channels)`.
        num_classes: units of the softmax output layer.
        batchnorm: batch normalization after every convolution (which then
            has no bias), and He initialisation.

    Returns:
        An uncompiled `keras.Model` named `plain_<depth>` (`plain_<depth>_bn`
        with batch normalization).

    Raises:
        ValueError: if `depth` is not a positive even integer.

    Example:

    >>> from cnn_course import architectures
    >>> plain = architectures.deep_plain_stack(depth=30)
    >>> residual = architectures.deep_residual_stack(depth=30)
    >>> plain.count_params() == residual.count_params() == 69930
    True
    """
    return _deep_stack(depth, filters, input_shape, num_classes, skip=False, batchnorm=batchnorm)


def deep_residual_stack(depth=30, filters=16, input_shape=(28, 28, 1), num_classes=10, batchnorm=False):
    """`deep_plain_stack` with a skip connection around every pair of convolutions: `x + F(x)`.

    Each pair is `residual_block(x, filters, batchnorm=batchnorm)`: two 3x3
    convolutions `F` and the output `relu(x + F(x))`, the lecture's
    `h_l = f_l(h_{l-1}) + h_{l-1}` followed by a ReLU. Identity shortcuts have
    no weights: both stacks have the same parameters. Args, return value and
    errors as in `deep_plain_stack` (the model is named `residual_<depth>`,
    `residual_<depth>_bn` with batch normalization).
    """
    return _deep_stack(depth, filters, input_shape, num_classes, skip=True, batchnorm=batchnorm)


# ---------------------------------------------------------------------------
# Segmentation: a class for every pixel
# ---------------------------------------------------------------------------


def small_unet(input_shape=(64, 64, 3), num_classes=5, filters=(16, 32, 64)):
    """A small encoder-decoder for segmentation (U-Net's layout): a softmax over the classes at every pixel.

    The encoder is the usual convnet, two 3x3 convolutions then 2x2 max
    pooling per level, so each level sees a wider field and keeps less of
    where. The decoder gives the size back: a stride-2 `Conv2DTranspose`
    doubles it at each level, the encoder's map of the same size is
    concatenated to it (the skip connection that brings back the fine
    position pooling threw away), and two 3x3 convolutions merge the two. A
    1x1 convolution with a softmax ends it: `(H, W, num_classes)`
    probabilities, trained with sparse categorical cross-entropy against a
    `(H, W)` mask of class indices. Ronneberger et al. (2015) called it
    U-Net; theirs has five levels and 64 to 1,024 filters.

    Args:
        input_shape: `(height, width, channels)`; height and width divisible
            by `2 ** (len(filters) - 1)`.
        num_classes: classes per pixel, background included.
        filters: filters per level, from the finest to the coarsest.

    Returns:
        An uncompiled `keras.Model` named `small_unet`.

    Raises:
        ValueError: for sizes the pooling cannot halve evenly, or bad counts.

    Example:

    >>> from cnn_course import architectures
    >>> model = architectures.small_unet((64, 64, 3), num_classes=5)
    >>> model.output_shape, model.count_params()
    ((None, 64, 64, 5), 117109)
    """
    num_classes = check_positive_int("num_classes", num_classes)
    if not isinstance(filters, (tuple, list)) or len(filters) < 2:
        raise arg_error("filters", filters, "a tuple of at least two filter counts, such as (16, 32, 64)")
    filters = [check_positive_int("filters", f) for f in filters]
    factor = 2 ** (len(filters) - 1)
    if len(input_shape) != 3 or input_shape[0] % factor or input_shape[1] % factor:
        raise arg_error("input_shape", input_shape, f"(height, width, channels) with height and width divisible "
                        f"by {factor} ({len(filters) - 1} poolings)", "Resize the images, or use fewer levels.")

    def two_convs(x, n, name):
        x = layers.Conv2D(n, 3, padding="same", activation="relu", kernel_initializer=_HE, name=f"{name}_conv1")(x)
        return layers.Conv2D(n, 3, padding="same", activation="relu", kernel_initializer=_HE,
                             name=f"{name}_conv2")(x)

    inputs = keras.Input(input_shape, name="image")  # (batch, H, W, 3)
    x, skips = inputs, []
    for level, n in enumerate(filters[:-1], start=1):
        x = two_convs(x, n, f"down{level}")  # (batch, H / 2 ** (level - 1), ..., n)
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"down{level}_pool")(x)  # half the size
    x = two_convs(x, filters[-1], "bottom")  # (batch, H / factor, W / factor, filters[-1])
    for level in range(len(filters) - 1, 0, -1):
        n = filters[level - 1]
        x = layers.Conv2DTranspose(n, 2, strides=2, name=f"up{level}_transpose")(x)  # twice the size
        x = layers.Concatenate(name=f"up{level}_skip")([x, skips[level - 1]])  # (..., 2 n)
        x = two_convs(x, n, f"up{level}")
    outputs = layers.Conv2D(num_classes, 1, activation="softmax", name="pixel_classes")(x)  # (batch, H, W, C)
    return keras.Model(inputs, outputs, name="small_unet")
