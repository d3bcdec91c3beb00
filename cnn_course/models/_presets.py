"""Named networks with their published parameter counts (keras.io, the book, d2l) and the course's own."""

from cnn_course._validation import check_choice
from cnn_course.models._builder import build_convnet


def keras_io_mnist_convnet():
    """keras.io's "Simple MNIST convnet": Conv32-pool-Conv64-pool-Flatten-Dropout-Dense10, 34,826 params.

    >>> keras_io_mnist_convnet().count_params()
    34826
    """
    return build_convnet((28, 28, 1), 10, filters=(32, 64), dense_units=(), dropout=0.5,
                         name="keras_io_mnist_convnet")


def mnist_convnet():
    """*Deep Learning with Python* 1st ed., 5.1: Conv32-pool-Conv64-pool-Conv64-Dense64-Dense10, 93,322.

    >>> mnist_convnet().count_params()
    93322
    """
    return build_convnet((28, 28, 1), 10, filters=(32, 64, 64), dense_units=(64,), pool_last=False,
                         name="mnist_convnet")


def mnist_convnet_2nd_edition():
    """*Deep Learning with Python* 2nd ed., 8.1: Conv32-pool-Conv64-pool-Conv128-Flatten-Dense10, 104,202.

    The book's `Rescaling(1/255)` layer (no parameters) is left out: the images come rescaled.

    >>> mnist_convnet_2nd_edition().count_params()
    104202
    """
    return build_convnet((28, 28, 1), 10, filters=(32, 64, 128), dense_units=(), pool_last=False,
                         name="mnist_convnet_2nd_edition")


def cats_vs_dogs_convnet(dropout=0.0, augmentation=None):
    """*Deep Learning with Python* 1st ed., 5.2: the 150x150 cats-vs-dogs convnet, 3,453,121 parameters.

    Four conv/max-pooling blocks (32, 64, 128, 128 filters), `Dense(512)` and
    one sigmoid unit. The book's second version adds `dropout=0.5` and
    augmentation; neither changes the parameter count.

    >>> cats_vs_dogs_convnet().count_params()
    3453121
    """
    return build_convnet((150, 150, 3), task="binary", filters=(32, 64, 128, 128),
                         dense_units=(512,), dropout=dropout, augmentation=augmentation,
                         name="cats_vs_dogs_convnet")


def lenet5():
    """LeNet-5 as in *Dive into Deep Learning* 7.6 (sigmoid, average pooling), 61,706 parameters.

    d2l's output layer gives logits; here it is a softmax, for `compile_for_task` (same parameters).

    >>> lenet5().count_params()
    61706
    """
    return build_convnet((28, 28, 1), 10, filters=(6, 16), kernel_size=5, padding=("same", "valid"),
                         pooling="average", dense_units=(120, 84), activation="sigmoid", name="lenet5")


def shapes_convnet(input_shape=(64, 64, 3), num_classes=4, dropout=0.0, augmentation=None,
                   name="shapes_convnet"):
    """The course's convnet for its shapes dataset: three conv-BN-ReLU/max-pooling blocks, global max pooling.

    Filters 16, 32 and 64, He initialisation, batch normalization, and a
    `GlobalMaxPooling2D` head straight into the softmax: 24,180 parameters
    at 64x64 (224 of them BN's moving statistics, not trained). Each choice
    makes it learn from the first epochs, also with augmentation; notebook 03
    shows the book's Flatten network next to it.

    >>> shapes_convnet().count_params()
    24180
    """
    return build_convnet(input_shape, num_classes, filters=(16, 32, 64), dense_units=(), dropout=dropout,
                         augmentation=augmentation, batchnorm=True, head="gmp",
                         kernel_initializer="he_normal", name=name)


#: Named presets: the classic networks, each with its published parameter count, and the course's own.
PRESETS = {"keras_io_mnist": keras_io_mnist_convnet, "mnist": mnist_convnet,
           "mnist_2nd_edition": mnist_convnet_2nd_edition, "cats_vs_dogs": cats_vs_dogs_convnet,
           "lenet5": lenet5, "shapes": shapes_convnet}


def build_preset(name, **kwargs):
    """Build a named preset network: one of the keys of `PRESETS`.

    Example:

    >>> build_preset("mnist").name
    'mnist_convnet'
    """
    check_choice("name", name, tuple(PRESETS))
    return PRESETS[name](**kwargs)
