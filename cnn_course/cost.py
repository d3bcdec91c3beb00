"""What a network costs: its multiply-adds per image and per training run, counted from its layers.

A convolution uses each weight of its kernel once per output position; a
dense layer each weight once per input vector. The count is exact for the
layers below and does not depend on the computer, which is why A2's time
constraint is a budget of multiply-adds, not of seconds. Used by assignment
A2 (`assignments/a2_own_convnet`); notebook 07 counts Inception's with
`architectures.multiply_adds`, which counts `Conv2D` and `Dense` only.
"""

import math
from typing import NamedTuple

from cnn_course._validation import arg_error, check_positive_int
from cnn_course.settings import import_keras

#: Layers whose work is not counted: element-wise or window operations (activations, pooling, normalisation,
#: dropout) and reshaping. Their cost grows with the size of the feature maps, not with a kernel.
UNCOUNTED = ("InputLayer", "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "MaxPooling1D",
             "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
             "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Flatten", "Reshape",
             "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "BatchNormalization",
             "LayerNormalization", "Rescaling", "ZeroPadding2D", "Cropping2D", "Add", "Concatenate",
             "Average", "Maximum", "Multiply", "Identity")
#: Layers with kernels, whose multiply-adds are counted.
COUNTED = ("Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
           "Conv1DTranspose", "Conv2DTranspose", "Dense")


class TrainingCost(NamedTuple):
    """What a design costs to train (`training_cost`).

    Attributes:
        parameters: the model's parameters (`model.count_params()`).
        multiply_adds: multiply-adds of one forward pass of one image.
        images: training images per epoch.
        epochs: epochs of training.
        training_multiply_adds: `multiply_adds * images * epochs`.
    """

    parameters: int
    multiply_adds: int
    images: int
    epochs: int
    training_multiply_adds: int

    def __str__(self):
        return (f"parameters: {self.parameters:,}\n"
                f"multiply-adds per image (forward): {self.multiply_adds:,}\n"
                f"training cost: {self.multiply_adds:,} x {self.images:,} images x {self.epochs} epochs = "
                f"{self.training_multiply_adds:,} multiply-adds")


def _positions(shape):
    """The positions a layer's output has per image: every axis but the batch and the channels."""
    return math.prod(int(size) for size in tuple(shape)[1:-1])


def _output_shape(layer):
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError) as exc:
        raise ValueError(f"The layer {layer.name!r} ({type(layer).__name__}) has no single output to count from "
                         f"({exc}). Build the model from keras.Input, and use each layer once") from None


def _layer_multiply_adds(layer, keras):
    kind = type(layer).__name__
    if isinstance(layer, keras.Model):
        return sum(_layer_multiply_adds(inner, keras) for inner in layer.layers)
    if kind in UNCOUNTED:
        return 0
    if kind not in COUNTED:
        raise ValueError(f"multiply_adds cannot count a {kind} layer ({layer.name!r}): it counts "
                         f"{', '.join(COUNTED)}, and takes {', '.join(UNCOUNTED[1:])} as free. Fix: build the "
                         "network from those layers")
    if not layer.built:
        raise ValueError(f"The layer {layer.name!r} is not built yet. Fix: start the model with keras.Input(...)")
    if kind.startswith("Separable"):  # a depthwise kernel over the input channels, then a 1x1 convolution
        positions = _positions(_output_shape(layer))
        return positions * (math.prod(layer.depthwise_kernel.shape) + math.prod(layer.pointwise_kernel.shape))
    if kind.endswith("Transpose"):  # each input position spreads its values through the whole kernel
        return _positions(layer.input.shape) * math.prod(layer.kernel.shape)
    # Conv*, DepthwiseConv*: the kernel (per group) once per output position; Dense: once per input vector.
    return _positions(_output_shape(layer)) * math.prod(layer.kernel.shape)


def multiply_adds(model):
    """Multiply-adds of one forward pass of one image through `model`, counted from its layers.

    Counts `Conv1D`/`Conv2D` (grouped ones too), `DepthwiseConv1D`/`2D`,
    `SeparableConv1D`/`2D`, their transposed forms and `Dense`, inside nested
    models too; pooling, activations, normalisation, dropout and reshaping
    count 0 (see `UNCOUNTED`). A layer it does not know raises, rather than
    being counted as free.

    Args:
        model: a built Keras model (started from `keras.Input`).

    Returns:
        The number of multiply-adds, an int.

    Raises:
        ValueError: `model` is not a Keras model, or it holds a layer this
            count does not know, or one that is not built.

    Example:

    >>> from cnn_course import cost
    >>> from cnn_course.settings import import_keras
    >>> keras = import_keras()
    >>> model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3),  # 26*26 positions x 9*8
    ...                           keras.layers.MaxPooling2D(2), keras.layers.Flatten(),  # 13*13*8 = 1352 values
    ...                           keras.layers.Dense(10)])                             # 1352*10
    >>> cost.multiply_adds(model) == 26 * 26 * 9 * 8 + 1352 * 10
    True
    """
    keras = import_keras()
    if not isinstance(model, keras.Model):
        raise arg_error("model", f"a {type(model).__name__}", "a Keras model (keras.Sequential or keras.Model)",
                        describe=True)
    return int(sum(_layer_multiply_adds(layer, keras) for layer in model.layers))


def training_cost(model, images, epochs):
    """The parameters of `model` and the multiply-adds of training it: per image, and for the whole run.

    The training cost is the forward multiply-adds per image times the
    training images times the epochs: the same number on every computer
    (training also runs each image backwards, about twice the forward work,
    which this leaves out). Assignment A2 sets a budget on it.

    Args:
        model: a built Keras model.
        images: how many training images one epoch goes through, an int >= 1.
        epochs: how many epochs, an int >= 1.

    Returns:
        A `TrainingCost`; `print` it for three lines.

    Raises:
        ValueError: as `multiply_adds`, or `images` or `epochs` not an int >= 1.

    Example:

    >>> from cnn_course import cost
    >>> from cnn_course.settings import import_keras
    >>> keras = import_keras()
    >>> model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    >>> print(cost.training_cost(model, images=3500, epochs=2))
    parameters: 7,850
    multiply-adds per image (forward): 7,840
    training cost: 7,840 x 3,500 images x 2 epochs = 54,880,000 multiply-adds
    """
    images, epochs = check_positive_int("images", images), check_positive_int("epochs", epochs)
    per_image = multiply_adds(model)
    return TrainingCost(int(model.count_params()), per_image, images, epochs, per_image * images * epochs)
