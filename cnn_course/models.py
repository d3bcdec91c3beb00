"""Model builders: conv/max-pooling stacks with a dense head, dense baselines, the book's presets, heads per task."""

import numbers

from cnn_course._validation import arg_error, check_choice, check_fraction, check_pair, check_positive_int
from cnn_course.settings import import_keras

#: The lecture's table: last-layer activation and loss for each kind of task.
TASKS = {
    # task: (activation, loss for integer labels, loss for one-hot labels, metrics)
    "binary": ("sigmoid", "binary_crossentropy", "binary_crossentropy", ["accuracy"]),
    "multiclass": ("softmax", "sparse_categorical_crossentropy", "categorical_crossentropy", ["accuracy"]),
    "multilabel": ("sigmoid", "binary_crossentropy", "binary_crossentropy", ["binary_accuracy"]),
    "regression": (None, "mse", "mse", ["mae"]),
    "regression_0_1": ("sigmoid", "mse", "mse", ["mae"]),
}


def task_head(task, num_classes=None, one_hot=False):
    """Return the output layer's units and activation, and the loss, for a task.

    This is the lecture's table "last-layer activation and loss function":

    | task | units | activation | loss |
    |---|---|---|---|
    | binary | 1 | sigmoid | binary_crossentropy |
    | multiclass (single label) | classes | softmax | sparse_categorical_crossentropy (integer labels) or categorical_crossentropy (one-hot) |
    | multilabel | classes | sigmoid | binary_crossentropy |
    | regression | outputs | none (linear) | mse |
    | regression_0_1 (targets in [0, 1]) | outputs | sigmoid | mse |

    Args:
        task: one of the keys of `TASKS`.
        num_classes: number of classes (multiclass, multilabel) or outputs
            (regression; default 1). Ignored for binary.
        one_hot: whether multiclass labels are one-hot vectors.

    Returns:
        A dict with keys `units`, `activation`, `loss`, `metrics`.

    Raises:
        ValueError: for an unknown task or a missing/invalid `num_classes`.

    Example:

    >>> task_head("binary")["loss"]
    'binary_crossentropy'
    >>> task_head("multiclass", num_classes=4)
    {'units': 4, 'activation': 'softmax', 'loss': 'sparse_categorical_crossentropy', 'metrics': ['accuracy']}
    """
    task = check_choice("task", task, tuple(TASKS))
    activation, int_loss, onehot_loss, metrics = TASKS[task]
    if task == "binary":
        units = 1
    elif task.startswith("regression"):
        units = 1 if num_classes is None else check_positive_int("num_classes", num_classes)
    else:
        if num_classes is None:
            raise arg_error("num_classes", num_classes, f"an integer >= 2 for task={task!r}")
        units = check_positive_int("num_classes", num_classes)
        if units < 2:
            raise arg_error(
                "num_classes", num_classes, f"an integer >= 2 for task={task!r}",
                "For two classes use task='binary' (one sigmoid unit)",
            )
    return {
        "units": units,
        "activation": activation,
        "loss": onehot_loss if one_hot else int_loss,
        "metrics": list(metrics),
    }


def conv_output_size(size, kernel, stride=1, padding="valid"):
    """Length of a convolution or pooling output along one axis.

    `floor((size - kernel + 2 * pad) / stride) + 1`, with `pad = 0` for
    "valid"; for "same" Keras pads so that the output is `ceil(size / stride)`.

    Example:

    >>> conv_output_size(150, 3)   # 3x3 valid convolution
    148
    >>> conv_output_size(148, 2, stride=2)   # 2x2 max pooling
    74
    >>> conv_output_size(7, 3, padding="same")
    7
    """
    if padding == "same":
        return -(-size // stride)
    return max(0, (size - kernel) // stride + 1)


def convnet_shapes(input_shape, filters=(32, 64, 128), kernel_size=3, padding="valid",
                   pool_size=2, convs_per_block=1):
    """Feature-map shape after each block of a conv/pooling stack, before building anything.

    Answers "what will this stack do to a 150x150 image?". Each block is
    `convs_per_block` convolutions then one pooling (the last block may skip
    pooling when `pool_size` is None).

    Args:
        input_shape: `(height, width, channels)`.
        filters, kernel_size, padding, pool_size, convs_per_block: as in
            `build_convnet`.

    Returns:
        A list of `(block_name, (height, width, channels))`, one per block.

    Raises:
        ValueError: if the feature map vanishes (height or width < 1) in some
            block; the message names the block and suggests a fix.

    Example:

    >>> convnet_shapes((150, 150, 3), filters=(32, 64, 128, 128))[-1]
    ('block4', (7, 7, 128))
    """
    if len(input_shape) != 3:
        raise arg_error("input_shape", input_shape, "a tuple (height, width, channels)")
    kh, kw = check_pair("kernel_size", kernel_size)
    ph, pw = check_pair("pool_size", pool_size) if pool_size else (1, 1)
    h, w, _ = input_shape
    shapes = []
    for i, f in enumerate(filters, start=1):
        for _ in range(convs_per_block):
            h, w = conv_output_size(h, kh, 1, padding), conv_output_size(w, kw, 1, padding)
            if h < 1 or w < 1:
                break
        if h >= 1 and w >= 1 and pool_size:
            h, w = conv_output_size(h, ph, ph), conv_output_size(w, pw, pw)
        if h < 1 or w < 1:
            raise ValueError(
                f"Input {input_shape[0]}x{input_shape[1]} is too small for {len(filters)} "
                f"conv({kh}x{kw}, {padding})+pool({ph}x{pw}) blocks: the feature map would be "
                f"{max(h, 0)}x{max(w, 0)} after block{i}. Use a larger input_shape, fewer blocks "
                f"(filters={tuple(filters[:i - 1]) or '(...)'}), or padding='same'."
            )
        shapes.append((f"block{i}", (h, w, f)))
    return shapes


def build_convnet(input_shape, num_classes=None, task="multiclass", filters=(32, 64, 128),
                  kernel_size=3, padding="valid", pool_size=2, convs_per_block=1,
                  dense_units=(64,), dropout=0.0, activation="relu", augmentation=None,
                  name="convnet"):
    """Build a conv/max-pooling stack with a dense head, the lectures' basic convnet.

    Layout: `Input -> [augmentation] -> block1 ... blockN -> Flatten ->
    [Dropout] -> Dense(units) ... -> output`, where each block is
    `convs_per_block` x `Conv2D(filters[i], kernel_size, activation)` then
    `MaxPooling2D(pool_size)`. The output layer and the loss to use follow the
    task (`task_head`); compile with `compile_for_task`. Layers are named
    `block{i}_conv{j}` and `block{i}_pool` (like VGG16). Introduced in
    `notebooks/00_getting_started`.

    Args:
        input_shape: `(height, width, channels)` of the (already rescaled) images.
        num_classes: number of classes (not needed for task="binary").
        task: "binary", "multiclass", "multilabel", "regression" or "regression_0_1".
        filters: number of filters of each block; its length is the number of blocks.
        kernel_size: convolution kernel size (int or pair).
        padding: "valid" (shrinks by kernel-1) or "same" (keeps the size).
        pool_size: max-pooling window and stride (int or pair), or None for no pooling.
        convs_per_block: convolutions per block (VGG uses 2 or 3).
        dense_units: sizes of the hidden dense layers of the head.
        dropout: dropout rate before each dense layer of the head (0 for none).
        activation: activation of the hidden layers.
        augmentation: optional augmentation block to put right after the input
            (active in training only).
        name: model name.

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
    """
    keras = import_keras()

    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or not all(isinstance(v, numbers.Integral) and v >= 1 for v in input_shape):
        raise arg_error("input_shape", input_shape, "a tuple (height, width, channels) of positive integers",
                        "For 64x64 colour images: input_shape=(64, 64, 3)")
    if not filters or not all(isinstance(f, numbers.Integral) and f >= 1 for f in filters):
        raise arg_error("filters", filters, "a non-empty tuple of positive integers, one per block")
    padding = check_choice("padding", padding, ("valid", "same"))
    convs_per_block = check_positive_int("convs_per_block", convs_per_block)
    dropout = check_fraction("dropout", dropout)
    head = task_head(task, num_classes)
    convnet_shapes(input_shape, filters, kernel_size, padding, pool_size, convs_per_block)

    inputs = keras.Input(shape=input_shape, name="image")
    x = augmentation(inputs) if augmentation is not None else inputs
    for i, f in enumerate(filters, start=1):
        for j in range(1, convs_per_block + 1):
            x = keras.layers.Conv2D(f, kernel_size, padding=padding, activation=activation,
                                    name=f"block{i}_conv{j}")(x)
        if pool_size:
            x = keras.layers.MaxPooling2D(pool_size, name=f"block{i}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = _dense_head(x, dense_units, dropout, activation)
    outputs = keras.layers.Dense(head["units"], activation=head["activation"], name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def _dense_head(x, units, dropout, activation):
    keras = import_keras()

    for k, n in enumerate(units, start=1):
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout{k}")(x)
        x = keras.layers.Dense(check_positive_int("dense_units", n), activation=activation,
                               name=f"dense{k}")(x)
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
        dropout: dropout rate before each hidden layer.
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
    outputs = keras.layers.Dense(head["units"], activation=head["activation"], name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def compile_for_task(model, task="multiclass", optimizer="adam", learning_rate=1e-3,
                     one_hot=False, weight_decay=None):
    """Compile a model with the loss and metrics its task needs.

    Args:
        model: a Keras model whose output layer matches the task.
        task: as in `task_head`.
        optimizer: "adam", "rmsprop" or "sgd" (a Keras optimizer instance is used as is).
        learning_rate: the optimizer's learning rate.
        one_hot: whether multiclass labels are one-hot vectors.
        weight_decay: optional decoupled weight decay (AdamW-style) for the optimizer.

    Returns:
        The same model, compiled.

    Raises:
        ValueError: if the model's output layer does not fit the task (for
            example 1 unit for "multiclass"), with the fix.

    Example:

    >>> from cnn_course.models import build_convnet, compile_for_task
    >>> model = compile_for_task(build_convnet((32, 32, 3), task="binary", filters=(8,)), task="binary")
    >>> model.loss
    'binary_crossentropy'
    """
    keras = import_keras()

    units = model.output_shape[-1]
    head = task_head(task, units if task not in ("binary",) else None, one_hot=one_hot)
    if units != head["units"]:
        raise ValueError(
            f"The model has {units} output unit(s) but task={task!r} expects {head['units']}. "
            f"Build it with the same task (build_convnet(..., task={task!r}))."
        )
    if isinstance(optimizer, str):
        name = check_choice("optimizer", optimizer, ("adam", "rmsprop", "sgd"))
        kwargs = {"learning_rate": learning_rate}
        if weight_decay:
            kwargs["weight_decay"] = weight_decay
        optimizer = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
                     "sgd": keras.optimizers.SGD}[name](**kwargs)
    model.compile(optimizer=optimizer, loss=head["loss"], metrics=head["metrics"])
    return model


def mnist_convnet():
    """The book's MNIST convnet (Chollet, *Deep Learning with Python*, 1st ed., 5.1): 93,322 parameters.

    `Conv2D(32) -> MaxPool -> Conv2D(64) -> MaxPool -> Conv2D(64) -> Flatten ->
    Dense(64) -> Dense(10, softmax)` on 28x28x1 images, all 3x3 valid
    convolutions. The last conv block has no pooling, as in the book.

    Example:

    >>> mnist_convnet().count_params()
    93322
    """
    keras = import_keras()

    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = keras.layers.Conv2D(32, 3, activation="relu", name="block1_conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="block1_pool")(x)
    x = keras.layers.Conv2D(64, 3, activation="relu", name="block2_conv1")(x)
    x = keras.layers.MaxPooling2D(2, name="block2_pool")(x)
    x = keras.layers.Conv2D(64, 3, activation="relu", name="block3_conv1")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(64, activation="relu", name="dense1")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="mnist_convnet")


def cats_vs_dogs_convnet(dropout=0.0, augmentation=None):
    """The book's 150x150 cats-vs-dogs convnet (DLwP 1st ed., 5.2): 3,453,121 parameters.

    Four conv/max-pooling blocks (32, 64, 128, 128 filters), `Dense(512)` and
    one sigmoid unit. The book's second version adds `dropout=0.5` and
    augmentation; neither changes the parameter count.

    Example:

    >>> cats_vs_dogs_convnet().count_params()
    3453121
    """
    return build_convnet((150, 150, 3), task="binary", filters=(32, 64, 128, 128),
                         dense_units=(512,), dropout=dropout, augmentation=augmentation,
                         name="cats_vs_dogs_convnet")


#: Named presets: the book's two classic networks.
PRESETS = {"mnist": mnist_convnet, "cats_vs_dogs": cats_vs_dogs_convnet}


def build_preset(name, **kwargs):
    """Build a named preset network ("mnist" or "cats_vs_dogs").

    Example:

    >>> build_preset("mnist").name
    'mnist_convnet'
    """
    check_choice("name", name, tuple(PRESETS))
    return PRESETS[name](**kwargs)
