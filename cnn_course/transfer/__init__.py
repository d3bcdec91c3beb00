"""Transfer learning: heads on a frozen base and fine-tuning; the feature cache and freezing live next door.

The private `_features.py` computes and caches a base's features, `_freezing.py` freezes and
unfreezes layers and guards against a `trainable` change Keras would ignore. Import their
functions from here (`transfer.extract_features`, `transfer.freeze`, ...).
"""

import numbers
import warnings

import numpy as np

from cnn_course._aliases import REMOVAL
from cnn_course._validation import arg_error, check_choice, check_fraction, check_number, check_positive_int
from cnn_course.transfer._features import (  # noqa: F401  (re-exported: transfer.extract_features, ...)
    MEMORY_CACHE_BYTES, MEMORY_CACHE_ENTRIES, ExtractionInfo, base_fingerprint, clear_memory_cache, extract_features,
    check_base_input, last_extraction,
)
from cnn_course.transfer._freezing import (  # noqa: F401  (re-exported: transfer.freeze, ...)
    RecompileCheck, TrainableSummary, check_compiled_trainability, compiled_trainable, freeze,
    remember_compiled_trainable, trainable_summary, unfreeze_from,
)
from cnn_course.models import task_head
from cnn_course.settings import import_keras

#: The names of the course's API here (what `from cnn_course.transfer import *` takes, and what the
#: README's package map lists); the rest is internal.
__all__ = [
    "build_feature_classifier",
    "build_transfer_model",
    "check_compiled_trainability",
    "clear_memory_cache",
    "extract_features",
    "ExtractionInfo",
    "fine_tune",
    "freeze",
    "last_extraction",
    "RecompileCheck",
    "trainable_summary",
    "TrainableSummary",
    "unfreeze_from",
]


keras = import_keras()


# ---------------------------------------------------------------------------
# Classifiers: on cached features, or with the frozen base inside the model
# ---------------------------------------------------------------------------


#: The old `pooling=` values and the `head=` value each now is (the same names as `models.build_convnet`).
_OLD_POOLING = {"flatten": "flatten", "average": "gap"}


def _head_from(head, pooling):
    """`head`, or what the deprecated `pooling=` asked for (with a `DeprecationWarning`)."""
    if pooling is None:
        return check_choice("head", head, ("flatten", "gap", "gmp"))
    check_choice("pooling", pooling, tuple(_OLD_POOLING))
    warnings.warn(f"pooling={pooling!r} is deprecated and goes after {REMOVAL}: use head={_OLD_POOLING[pooling]!r}, "
                  "the name models.build_convnet uses", DeprecationWarning, stacklevel=3)
    return _OLD_POOLING[pooling]


def _head(x, task, num_classes, hidden_units, dropout, head):
    """The book's head: [Flatten | global average or max pooling] -> (Dense(relu) -> Dropout) ... -> output."""
    dropout = check_fraction("dropout", dropout)
    output = task_head(task, num_classes)
    if head in ("gap", "gmp"):
        if len(x.shape) != 4:
            raise arg_error("head", head, "'flatten' for features that are not feature maps "
                            f"(height, width, channels); received features of shape {tuple(x.shape[1:])}")
        pool = keras.layers.GlobalAveragePooling2D if head == "gap" else keras.layers.GlobalMaxPooling2D
        x = pool(name="avg_pool" if head == "gap" else "max_pool")(x)  # (batch, channels)
    else:
        x = keras.layers.Flatten(name="flatten")(x)  # (batch, height * width * channels)
    for k, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(check_positive_int("hidden_units", units), activation="relu", name=f"dense{k}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout{k}")(x)
    return keras.layers.Dense(output.units, activation=output.activation, name="output")(x)


def build_feature_classifier(feature_shape, num_classes=None, task="multiclass", hidden_units=(256,),
                             dropout=0.5, head="flatten", name="feature_classifier", *, pooling=None):
    """Build the small dense classifier that trains on features from `extract_features`.

    The book's head (DLwP 5.3.1): `Flatten -> Dense(256, relu) ->
    Dropout(0.5) -> output`, the output layer following the task
    (`models.task_head`; compile with `models.compile_for_task`). Its layer
    names match the head of `build_transfer_model`, so trained head weights
    can be copied from one to the other layer by layer.

    Args:
        feature_shape: shape of one feature map, e.g. `(4, 4, 512)` (the
            features' `shape[1:]`).
        num_classes: number of classes (not needed for task="binary").
        task: as in `models.task_head`.
        hidden_units: sizes of the hidden dense layers (empty for a linear classifier).
        dropout: dropout rate after each hidden layer (0 for none).
        head: "flatten" (the book), "gap" (global average pooling: far fewer
            parameters on large feature maps) or "gmp" (global max pooling);
            the names of `models.build_convnet`'s `head`.
        name: model name.
        pooling: the old name of `head` ("flatten" or "average"); deprecated
            (warns), goes after 2027-08-31.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for a bad argument.

    Example:

    >>> from cnn_course.transfer import build_feature_classifier
    >>> model = build_feature_classifier((4, 4, 512), task="binary")
    >>> model.count_params()   # (4*4*512 + 1) * 256 + (256 + 1) * 1
    2097665
    """
    feature_shape = tuple(feature_shape)
    if not feature_shape or not all(isinstance(v, numbers.Integral) and v >= 1 for v in feature_shape):
        raise arg_error("feature_shape", feature_shape, "a tuple of positive integers",
                        "Pass features.shape[1:]")
    inputs = keras.Input(shape=feature_shape, name="features")
    outputs = _head(inputs, task, num_classes, hidden_units, dropout, _head_from(head, pooling))
    return keras.Model(inputs, outputs, name=name)


def build_transfer_model(base, num_classes=None, task="multiclass", augmentation=None, preprocess=None,
                         hidden_units=(256,), dropout=0.5, head="flatten", input_shape=None,
                         name="transfer_model", *, pooling=None):
    """Build `Input -> [augmentation] -> preprocessing -> frozen base -> head`: transfer learning with augmentation.

    The slower variant (DLwP 5.3.1, "feature extraction with data
    augmentation"): every image passes through the base at every epoch, which
    lets augmentation produce new images each time, and later allows
    fine-tuning (`fine_tune`). The base is frozen here (`base.trainable =
    False`), so only the head trains at first.

    BatchNormalization must stay in inference mode (normalising with the
    moving mean and variance learned on ImageNet), even after the base is
    unfrozen. Otherwise, as keras.io's transfer-learning guide explains, it
    would normalise each small batch of new data with that batch's own
    statistics and overwrite its moving averages, which changes what every
    later layer receives and destroys what the model has learned. The base is
    called with `training=False`, as in that guide and in Keras 2, where
    this alone kept it in inference mode. In Keras 3 it is not enough: inside
    a functional model, `fit` passes `training=True` to every layer and
    overrides it (keras-team/keras#20285). What holds in Keras 3 is that a
    BatchNormalization layer with `trainable = False` always runs in
    inference mode; so `unfreeze_from` and `fine_tune` keep those layers
    frozen unless asked. (VGG16 has no BatchNormalization; ResNet,
    EfficientNet and MobileNet do.)

    Args:
        base: a Keras model, e.g. `keras.applications.VGG16(include_top=False,
            input_shape=(150, 150, 3))`.
        num_classes: number of classes (not needed for task="binary").
        task: as in `models.task_head`.
        augmentation: optional augmentation block (active in training only).
        preprocess: a Keras layer or a function applied to the raw pixel
            values (float 0..255); None rescales to [0, 1] (the same default
            as `extract_features`). A plain function is wrapped in a `Lambda`
            layer (saving such a model needs `safe_mode=False` to load).
        hidden_units, dropout, head: the head, as in `build_feature_classifier`
            (`pooling`, its old name, still works until 2027-08-31, with a warning).
        input_shape: `(height, width, channels)`, needed only when the base
            accepts any size (built without `input_shape`).
        name: model name.

    Returns:
        An uncompiled `keras.Model` whose base is frozen.

    Raises:
        ValueError: for a bad argument, or a base without a fixed input shape
            and no `input_shape`.

    Example:

    >>> import keras
    >>> from cnn_course import transfer
    >>> base = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, name="conv")], name="base")
    >>> model = transfer.build_transfer_model(base, task="binary", hidden_units=(16,))
    >>> [layer.name for layer in model.layers]
    ['image', 'rescale', 'base', 'flatten', 'dense1', 'dropout1', 'output']
    >>> transfer.trainable_summary(model).trainable_tensors   # only the head's 2 dense layers
    4
    """
    if not isinstance(base, keras.Model):
        raise arg_error("base", base, "a Keras model",
                        "e.g. keras.applications.VGG16(include_top=False, input_shape=(150, 150, 3))")
    shape = tuple(input_shape) if input_shape is not None else tuple(base.input_shape[1:])
    if any(v is None for v in shape):
        raise arg_error("input_shape", input_shape, "a tuple (height, width, channels) for a base that "
                        f"accepts any image size (its input shape is {tuple(base.input_shape[1:])})",
                        "e.g. input_shape=(150, 150, 3)")
    check_base_input(base, shape)
    if preprocess is None:
        preprocess = keras.layers.Rescaling(1.0 / 255, name="rescale")
    elif not isinstance(preprocess, keras.layers.Layer):
        if not callable(preprocess):
            raise arg_error("preprocess", preprocess, "None, a Keras layer or a function")
        preprocess = keras.layers.Lambda(preprocess, name="preprocess")

    base.trainable = False  # only the head trains until fine_tune unfreezes the top of the base
    inputs = keras.Input(shape=shape, name="image")  # (batch, height, width, channels), 0..255
    x = augmentation(inputs) if augmentation is not None else inputs
    x = preprocess(x)
    # training=False as in keras.io's guide; in Keras 3, fit overrides it, and frozen
    # BatchNormalization layers (see unfreeze_from) are what stays in inference mode.
    x = base(x, training=False)  # (batch, *feature_shape)
    outputs = _head(x, task, num_classes, hidden_units, dropout, _head_from(head, pooling))
    return keras.Model(inputs, outputs, name=name)


def _make_optimizer(optimizer, learning_rate):
    if isinstance(optimizer, str):
        name = check_choice("optimizer", optimizer, ("rmsprop", "adam", "sgd"))
        return {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
                "sgd": keras.optimizers.SGD}[name](learning_rate=learning_rate)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise arg_error("optimizer", optimizer, "'rmsprop', 'adam', 'sgd' or a new Keras optimizer")
    if getattr(optimizer, "built", False):
        raise arg_error("optimizer", optimizer, "a new, unused optimizer",
                        "An optimizer is tied to the variables it was first used with")
    return optimizer


def fine_tune(model, base, from_layer=None, last_n=None, learning_rate=1e-5, optimizer="rmsprop",
              include_batchnorm=False, allow_all=False):
    """Unfreeze the top of the base and recompile with a small learning rate, in one call.

    The second step of transfer learning (DLwP 5.3.2): after the head has
    been trained on the frozen base, unfreeze the last block(s)
    (`unfreeze_from`) and train on with a learning rate about 100 times
    smaller, so the pretrained filters are adjusted, not overwritten. The
    model is recompiled here, with the loss and metrics it was compiled with
    and a new optimizer, because Keras only trains what was trainable when
    the model was compiled (see `check_compiled_trainability`); through this
    function, forgetting to recompile is impossible.

    Args:
        model: the compiled and trained model that contains `base`
            (e.g. from `build_transfer_model`).
        base: its convolutional base.
        from_layer: first layer of the base to unfreeze, e.g. "block5_conv1".
        last_n: alternatively, the number of layers of the base to unfreeze.
        learning_rate: the new learning rate; at most 1e-3 (1e-5 is typical).
        optimizer: "rmsprop" (the book), "adam", "sgd", or a new optimizer instance.
        include_batchnorm, allow_all: as in `unfreeze_from`.

    Returns:
        The same model, recompiled, ready for `fit`.

    Raises:
        RuntimeError: if the model is not compiled, or its head has not been
            trained yet (calling `fine_tune` again, e.g. to unfreeze one more
            block, is allowed).
        ValueError: for a learning rate above 1e-3, a base that is not part of
            the model, or a bad layer choice (see `unfreeze_from`).

    Example:

    >>> import numpy as np, keras
    >>> from cnn_course import models, transfer
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="conv1"),
    ...                          keras.layers.Conv2D(4, 3, name="conv2")], name="base")
    >>> model = models.compile_for_task(transfer.build_transfer_model(base, task="binary", hidden_units=()),
    ...                                 "binary", optimizer="rmsprop")
    >>> transfer.fine_tune(model, base, "conv2")
    Traceback (most recent call last):
    ...
    RuntimeError: The classifier on top of the base has not been trained yet. Fix: train the ... pretrained filters.
    >>> _ = model.fit(np.zeros((4, 8, 8, 3)), np.zeros(4), verbose=0)
    >>> model = transfer.fine_tune(model, base, "conv2")
    >>> round(float(model.optimizer.learning_rate), 8), transfer.trainable_summary(model).trainable_tensors
    (1e-05, 4)
    """
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise RuntimeError(
            "The model is not compiled, so its classifier has not been trained yet. Fix: compile it "
            "(cnn_course.models.compile_for_task), train the classifier on top of the frozen base first "
            "(feature extraction), then fine-tune."
        )
    if int(model.optimizer.iterations) == 0 and compiled_trainable(model) is None:  # (not fine-tuned before)
        raise RuntimeError(
            "The classifier on top of the base has not been trained yet. Fix: train the classifier on top "
            "of the frozen base first (feature extraction), then fine-tune; otherwise the large gradients "
            "of a random head wreck the pretrained filters."
        )
    check_number("learning_rate", learning_rate, low=0, low_open=True, expected="a positive number")
    if not isinstance(optimizer, str) and hasattr(optimizer, "learning_rate"):
        learning_rate = float(np.asarray(optimizer.learning_rate))
    if learning_rate > 1e-3:
        raise arg_error("learning_rate", learning_rate, "at most 1e-3 for fine-tuning",
                        "Use a small learning rate such as 1e-5: large updates wreck the pretrained filters")
    model_weights = {id(w) for w in model.weights}
    if not base.weights or not all(id(w) in model_weights for w in base.weights):
        raise arg_error("base", getattr(base, "name", base), f"the base inside the model {model.name!r}",
                        "Pass the same base object you built the model with")
    new_optimizer = _make_optimizer(optimizer, learning_rate)

    unfreeze_from(base, from_layer, last_n, include_batchnorm=include_batchnorm, allow_all=allow_all)
    config = model.get_compile_config()
    config.pop("optimizer", None)
    config = keras.saving.deserialize_keras_object(config)
    model.compile(optimizer=new_optimizer, **config)
    remember_compiled_trainable(model)
    return model
