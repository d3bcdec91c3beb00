"""Public checks of assignment a2_own_convnet (generated from assignments/a2_own_convnet/a2_own_convnet.py by
`python tools/sync_assignments.py`: do not edit by hand)."""

NAME = 'a2_own_convnet'
VERSION = '32c2ec84b71f'
QUESTIONS = {"q1": {"public": 2, "hidden": 1, "hidden_checks": ["Your parameter count of each layer (layer_params) (1)"]}, "q2": {"public": 3, "hidden": 0, "hidden_checks": []}, "q3": {"public": 2, "hidden": 0, "hidden_checks": []}, "q4": {"public": 2, "hidden": 0, "hidden_checks": []}, "q5": {"public": 2, "hidden": 2, "hidden_checks": ["Accuracy of the trained model on held-out MNIST test digits (2)"]}}

# Helpers of the checks below (a name that starts with `_` is not a check).
#
# The public checks ship inside the cnn_course package, where a student can read
# them, so they hold no number of question 1 in plain text: shapes and the total
# parameter count are compared through `_digest`. The hidden-check cell further
# down holds the numbers themselves and verifies these digests against them.
import functools
import hashlib
import numbers

import numpy as np

from cnn_course import datasets, settings
from cnn_course.checks import public

#: Seconds the grader gives one submission: about 8 times the reference's 21 s top to bottom on a
#: 2-core laptop (11 s when graded), room for a slower laptop and a somewhat larger network.
TIME_LIMIT_SECONDS = 180

#: The architecture of the instructions, one entry per layer (activation layers folded in).
_ARCHITECTURE = ("Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense")
_FILTERS = {1: 32, 3: 64}  # position -> filters of the two Conv2D layers
_SHAPE_DIGESTS = ("f867d826aa83038c", "09b9ba98330e4f6d", "c11796a91503989b",
                  "68a1e0117fa0fbef", "b36c5bd833dab587", "a668c8df784d2b44")
_TOTAL_PARAMS_DIGEST = "6bafafdeb141725f"
#: EPOCHS of the setup cell, in each mode.
_EPOCHS = {"default": 8, "quick": 2}
#: Lowest validation accuracy a correct solution gets: the reference's lowest over
#: set_seed(0..4), measured 0.946..0.956 in default mode and 0.828..0.876 in quick mode
#: (1,000 training digits, 2 epochs), the same with TF_ENABLE_ONEDNN_OPTS=0, minus a
#: margin of 0.03 (default) and 0.10 (quick), rounded down.
_MIN_VALIDATION_ACCURACY = {"default": 0.91, "quick": 0.72}
_SHAPE_HINTS = {
    "Conv2D": "in how many positions does a 3x3 kernel fit across and down without padding, "
              "and how many channels does a layer with that many filters output?",
    "MaxPooling2D": "how many whole 2x2 windows, moved 2 pixels at a time, fit across and down? "
                    "Pooling works on each channel separately",
    "Flatten": "Flatten lays out every value of its input in a single vector",
    "Dense": "a Dense layer outputs one number per unit",
}


def _digest(value):
    """A short fingerprint of an answer, so that the shipped checks do not show it."""
    return hashlib.sha256(f"a2_own_convnet {value!r}".encode()).hexdigest()[:16]


def _mode():
    return "quick" if settings.quick_mode() else "default"


def _as_shape(value):
    """A shape as a tuple of ints (a leading None, the batch axis, dropped); None if it is not one."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)):
        return None
    value = tuple(value)
    if value and value[0] is None:
        value = value[1:]
    if not value or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        return None
    return tuple(int(v) for v in value)


def _assert_model(model):
    keras = settings.import_keras()
    assert isinstance(model, keras.Model), (
        f"`model` is a {type(model).__name__}, not a Keras model: build it with keras.Sequential "
        "or keras.Model")
    assert any(not isinstance(layer, keras.layers.InputLayer) for layer in model.layers), (
        "`model` has no layers yet: build it in question 2")


def _activation_name(function):
    name = getattr(function, "__name__", str(function))
    return {"softmax_v2": "softmax"}.get(name, name)  # TensorFlow's tf.nn.softmax


def _folded_layers(model):
    """The model's layers in order, without the input layer, as dicts: layer, activation, last.

    An activation layer (`Activation`, `ReLU`, `Softmax`) right after a layer without
    activation counts as that layer's activation: `Dense(10)` then `Softmax()` reads as
    `Dense(10, activation="softmax")`. "last" is the layer whose output is the group's output.
    """
    keras = settings.import_keras()
    _assert_model(model)
    folded = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Softmax):
            activation = "softmax"
        elif isinstance(layer, keras.layers.ReLU):
            config = layer.get_config()
            plain = config.get("max_value") is None and not config.get("negative_slope") and not config.get(
                "threshold")
            activation = "relu" if plain else "a modified relu"
        elif isinstance(layer, keras.layers.Activation):
            activation = _activation_name(layer.activation)
        else:
            activation = _activation_name(layer.activation) if hasattr(layer, "activation") else None
            folded.append({"layer": layer, "activation": activation, "last": layer})
            continue
        if folded and folded[-1]["activation"] == "linear":
            folded[-1].update(activation=activation, last=layer)
        else:
            folded.append({"layer": layer, "activation": activation, "last": layer})
    return folded


def _loss_of(model):
    """`(name, from_logits)` of the model's compiled loss; name is None when it is not compiled."""
    keras = settings.import_keras()
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict) and len(loss) == 1:
        loss = next(iter(loss.values()))
    if isinstance(loss, (list, tuple)) and len(loss) == 1:
        loss = loss[0]
    if loss is None:
        return None, False
    if isinstance(loss, str) and loss.lower() in ("crossentropy", "ce"):
        return "sparse_categorical_crossentropy", False  # what Keras picks for integer labels
    if isinstance(loss, functools.partial):
        return getattr(loss.func, "__name__", str(loss.func)), bool(loss.keywords.get("from_logits", False))
    try:
        loss = keras.losses.get(loss)
    except (ValueError, TypeError):
        return str(loss), False
    function = getattr(loss, "fn", loss)  # a Loss object such as SparseCategoricalCrossentropy wraps one
    name = getattr(function, "__name__", type(loss).__name__)
    config = loss.get_config() if isinstance(loss, keras.losses.Loss) else {}
    return name, bool(config.get("from_logits", False))


def _split(name):
    """Images scaled to [0, 1] and labels of one split of the assignment's fixed MNIST split."""
    part = datasets.load_mnist_sample()[name]  # the same call as the data cell: the same split
    return part.images.astype("float32") / 255.0, part.labels


def _classes_of(model, images):
    """The class of highest score the model gives each image."""
    # Plain calls, 250 images at a time: faster than model.predict for a few hundred images.
    scores = np.concatenate([np.asarray(model(images[start:start + 250], training=False))
                             for start in range(0, len(images), 250)])
    assert scores.shape == (len(images), 10), (
        f"for {len(images)} images the model outputs an array of shape {scores.shape}; a classifier "
        f"of 10 digits outputs ({len(images)}, 10)")
    return scores.argmax(axis=1)


def _predicted_classes(model, split):
    """The class of highest score for each image of `split`, and the labels."""
    images, labels = _split(split)
    return _classes_of(model, images), labels


def _accuracy(model, split):
    predicted, labels = _predicted_classes(model, split)
    return float(np.mean(predicted == labels))

@public("q1", points=1)
def output_shapes_by_hand(layer_shapes):
    """Your output shape of each layer (layer_shapes)"""
    assert isinstance(layer_shapes, (list, tuple)) and len(layer_shapes) == len(_ARCHITECTURE), (
        f"`layer_shapes` should be a list of {len(_ARCHITECTURE)} shapes, one per layer of the table")
    for position, (value, kind, digest) in enumerate(zip(layer_shapes, _ARCHITECTURE, _SHAPE_DIGESTS), 1):
        shape = _as_shape(value)
        assert shape is not None, (
            f"entry {position} of `layer_shapes` is {value!r}: write a tuple of whole numbers, such as "
            "(20, 20, 8) for an image with 8 channels or (100,) for a vector")
        assert _digest(shape) == digest, (
            f"{shape} is not the output shape of layer {position} ({kind}): {_SHAPE_HINTS[kind]}")


@public("q1", points=1)
def total_params_by_hand(total_params):
    """Your total number of parameters (total_params)"""
    assert isinstance(total_params, numbers.Integral) and not isinstance(total_params, bool), (
        f"`total_params` should be a whole number; it is {total_params!r}")
    assert _digest(int(total_params)) == _TOTAL_PARAMS_DIGEST, (
        f"{int(total_params):,} is not the number of parameters of this architecture: count the kernel "
        "weights and the bias of every filter and every unit")

@public("q2", points=1)
def layers_in_order(model):
    """The layers and their settings, in the order of the table"""
    keras = settings.import_keras()
    layers = _folded_layers(model)
    kinds = [type(entry["layer"]).__name__ for entry in layers]
    assert len(layers) == len(_ARCHITECTURE), (
        f"the model has {len(layers)} layer(s) after its input ({', '.join(kinds) or 'none'}); the table "
        f"has {len(_ARCHITECTURE)}")
    for position, (entry, kind) in enumerate(zip(layers, _ARCHITECTURE), 1):
        assert isinstance(entry["layer"], getattr(keras.layers, kind)), (
            f"layer {position} is a {kinds[position - 1]}; the table has a {kind} there")
    for position, filters in _FILTERS.items():
        entry = layers[position - 1]
        conv = entry["layer"]
        assert conv.filters == filters, (
            f"the Conv2D layer {position} has {conv.filters} filters; the table asks for {filters}")
        assert tuple(conv.kernel_size) == (3, 3), (
            f"the Conv2D layer {position} has a {conv.kernel_size} kernel; the table asks for 3x3")
        assert entry["activation"] == "relu", (
            f"the Conv2D layer {position} uses the activation {entry['activation']!r}; the table asks for ReLU")
    for position in (2, 4):
        pool = layers[position - 1]["layer"]
        assert tuple(pool.pool_size) == (2, 2), (
            f"the MaxPooling2D layer {position} has {pool.pool_size} windows; the table asks for 2x2")


@public("q2", points=1)
def output_shapes_of_model(model):
    """Each layer outputs the shape the table gives a 28x28x1 input"""
    layers = _folded_layers(model)
    try:
        input_shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        input_shape = None
    assert input_shape == (None, 28, 28, 1), (
        f"the model takes inputs of shape {input_shape}; start it with keras.Input(shape=(28, 28, 1))")
    assert len(layers) == len(_ARCHITECTURE), (
        f"the model has {len(layers)} layer(s) after its input, the table {len(_ARCHITECTURE)}: "
        "get the layers right first (see the check of the layers and their order)")
    for position, (entry, _kind, digest) in enumerate(zip(layers, _ARCHITECTURE, _SHAPE_DIGESTS), 1):
        shape = _as_shape(tuple(entry["last"].output.shape))
        assert _digest(shape) == digest, (
            f"layer {position} ({type(entry['layer']).__name__}) outputs {shape} per image: not the shape "
            "the table gives (check its settings against the table: kernel, padding, strides, units)")


@public("q2", points=1)
def parameter_count_of_model(model):
    """The model has the number of parameters of the architecture"""
    _assert_model(model)
    count = int(model.count_params())
    assert _digest(count) == _TOTAL_PARAMS_DIGEST, (
        f"the model has {count:,} parameters: not the number of the table's architecture (compare "
        "model.summary() with the table, layer by layer)")

@public("q3", points=1)
def output_layer_fits_loss(model):
    """The last layer: one unit per class, and an activation that fits the loss"""
    keras = settings.import_keras()
    layers = _folded_layers(model)
    assert layers, "the model has no layers yet (question 2)"
    last = layers[-1]
    assert isinstance(last["layer"], keras.layers.Dense), (
        f"the model ends with a {type(last['layer']).__name__}; the table ends with a Dense layer")
    units = last["layer"].units
    assert units == 10, f"the last Dense layer has {units} unit(s); a classifier needs one output per class"
    name, from_logits = _loss_of(model)
    assert name is not None, "compile the model first (this question's cell), then run this check"
    activation = last["activation"]
    if from_logits:
        assert activation == "linear", (
            f"the loss was told (from_logits=True) that it receives raw scores, but the last layer "
            f"applies {activation!r} to them first")
    else:
        assert activation == "softmax", (
            f"with the activation {activation!r}, the 10 outputs of an image are not probabilities that "
            "add up to 1, which is what this loss expects from the model")


@public("q3", points=1)
def loss_fits_labels(model, y_train=None):
    """The loss is one for 10 classes with integer labels"""
    _assert_model(model)
    name, _ = _loss_of(model)
    assert name is not None, "compile the model first (this question's cell), then run this check"
    if name == "categorical_crossentropy" and np.ndim(y_train) == 2:
        raise AssertionError(
            "you turned the labels into one-hot vectors to use categorical_crossentropy: that trains the same "
            "network, but the question asks for the labels as given (one integer per image, y_train) and the "
            "loss that takes them as they are")
    why = {
        "categorical_crossentropy": "this loss expects a one-hot vector of 10 numbers per image, but each "
                                    "label here is one integer",
        "binary_crossentropy": "this loss is for yes/no labels, not for one label out of 10 classes",
        "binary_focal_crossentropy": "this loss is for yes/no labels, not for one label out of 10 classes",
    }
    assert name == "sparse_categorical_crossentropy", why.get(
        name, f"{name!r} is not a loss for one label out of 10 classes given as an integer")

@public("q4", points=1)
def trained_as_asked(history, model):
    """Trained for EPOCHS epochs, with validation (history)"""
    keras = settings.import_keras()
    _assert_model(model)
    assert isinstance(history, keras.callbacks.History), (
        f"`history` is a {type(history).__name__}; keep what model.fit(...) returns in it")
    assert history.model is model, "`history` comes from training another model: run the cells in order"
    epochs, asked = len(history.history.get("loss", [])), _EPOCHS[_mode()]
    assert epochs == asked, f"`history` holds {epochs} epoch(s) of training; the question asks for EPOCHS = {asked}"
    assert "val_loss" in history.history, (
        "model.fit did not measure the model on the validation split after each epoch (see the question)")


@public("q4", points=1)
def validation_accuracy_reached(model):
    """The trained model classifies enough validation digits correctly"""
    _assert_model(model)
    accuracy, minimum = _accuracy(model, "validation"), _MIN_VALIDATION_ACCURACY[_mode()]
    assert accuracy >= minimum, (
        f"validation accuracy {accuracy:.3f}, below the {minimum:.2f} that a correct solution reaches")

@public("q5", points=1)
def predicted_classes_of_model(predicted_classes, model):
    """The predicted digit of each validation image (predicted_classes)"""
    _assert_model(model)
    predicted = np.asarray(predicted_classes)
    model_classes, _ = _predicted_classes(model, "validation")
    assert predicted.shape == model_classes.shape, (
        f"`predicted_classes` has shape {predicted.shape}; expected one digit per validation image, "
        f"shape {model_classes.shape}")
    assert np.issubdtype(predicted.dtype, np.integer), (
        f"`predicted_classes` holds {predicted.dtype} values; expected the digits, as integers")
    # Two images of slack: a near-tie of two outputs may round the other way in another batch size.
    differ = int(np.sum(predicted != model_classes))
    assert differ <= 2, f"{differ} of the {len(predicted)} digits are not the ones `model` predicts"


@public("q5", points=1)
def validation_accuracy_value(val_accuracy, model):
    """The fraction of validation digits the model gets right (val_accuracy)"""
    _assert_model(model)
    try:
        value = float(val_accuracy)
    except (TypeError, ValueError):
        raise AssertionError(f"`val_accuracy` should be a number; it is {val_accuracy!r}") from None
    assert 0 <= value <= 1, f"`val_accuracy` is {value:g}: write a fraction between 0 and 1, not a percentage"
    actual = _accuracy(model, "validation")
    # Tolerance 0.005, about 2 of 500 images: for near-ties, as above.
    assert abs(value - actual) <= 0.005, (
        f"{value:.4f} is not the fraction of validation digits that `model` classifies correctly")
