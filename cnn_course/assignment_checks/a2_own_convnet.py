"""Public checks of assignment a2_own_convnet (generated from assignments/a2_own_convnet/a2_own_convnet.py by
`python tools/sync_assignments.py`: do not edit by hand)."""

NAME = 'a2_own_convnet'
VERSION = '4f6a8c07dcca'
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

from cnn_course import cost, datasets, settings
from cnn_course.checks import public

#: Seconds the grader gives one submission: the backstop of the training budget below. A design at
#: the budget trains in about 60 s on a 2-core laptop; the rest of the notebook takes about 20 s. Three
#: times that leaves room for a slower laptop; the budget itself never depends on the grading machine.
TIME_LIMIT_SECONDS = 240

#: The architecture of the instructions, one entry per layer (activation layers folded in).
_ARCHITECTURE = ("Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense")
_SHAPE_DIGESTS = ("f867d826aa83038c", "09b9ba98330e4f6d", "c11796a91503989b",
                  "68a1e0117fa0fbef", "b36c5bd833dab587", "a668c8df784d2b44")
_TOTAL_PARAMS_DIGEST = "6bafafdeb141725f"
#: The constraints of question 2 (the checks hold their own copies: the student's constants are not read).
_MAX_PARAMETERS = 50_000
_TRAINING_DIGITS = {"default": 3500, "quick": 1000}  # what one epoch trains on, in each mode
_BATCH_SIZE = 32
_MAX_EPOCHS = 20
_QUICK_EPOCHS = 2  # the given code trains this many epochs in quick mode, whatever EPOCHS says
#: The training budget, in forward multiply-adds per image x 3,500 training digits x EPOCHS (counted
#: by `cost.training_cost`; the same number on every computer, unlike seconds). Calibration: model.fit
#: on the 3,500 digits, batch 32, on this course's 2-core Xeon while two other jobs shared its CPU:
#: per epoch about 1.3 s plus 0.09 to 0.22 s per million multiply-adds per image (measured: the lecture's
#: network, 2.44 M, 1.7 s; 16/32 filters, 0.66 M, 1.5 to 1.9 s; three full-size 32-filter layers with
#: global average pooling, 14.7 M, 4.4 to 4.8 s; a small VGG-style stack, 11.1 M, 4.4 to 6.0 s; the
#: first epoch 2 to 4 s more). 400 billion is then about 50 to 60 s of training for any design within
#: MAX_EPOCHS = 20 epochs (the cap bounds the per-epoch part the multiply-adds do not count), and the
#: reference's 24 billion about 15 s.
_MAX_TRAINING_MULTIPLY_ADDS = 400 * 10**9
#: Lowest validation accuracy a correct solution gets: the lowest of two designs over set_seed(0..4),
#: the reference (16 and 32 filters, a Dense(32) head, 10 epochs) and the lecture's network (question
#: 1's table, 8 epochs), measured on this course's 2-core Xeon (validation / the sample's 1,000 test
#: digits, which stand in for the hidden ones: this computer's Keras cache has no MNIST):
#:   default mode, reference: val 0.950..0.958, test 0.955..0.971; lecture: val 0.946..0.956, test
#:   0.961..0.970; with TF_ENABLE_ONEDNN_OPTS=0, reference: val 0.948..0.956, test 0.954..0.968;
#:   quick mode (1,000 training digits, 2 epochs), reference: val 0.732..0.816, test 0.734..0.825;
#:   lecture: val 0.828..0.876, test 0.834..0.867; the same with oneDNN off (reference; lecture: default
#:   mode, seeds 0..2, val 0.946..0.956, test 0.961..0.971);
#: minus a margin of 0.03 (default) and 0.10 (quick: far noisier), rounded down.
_MIN_VALIDATION_ACCURACY = {"default": 0.91, "quick": 0.63}
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


def _design_numbers(model):
    """`(parameters, multiply-adds per image)` of the model, counted here from its layers."""
    _assert_model(model)
    try:
        multiply_adds = cost.multiply_adds(model)
    except ValueError as exc:
        raise AssertionError(f"its cost cannot be counted: {exc}") from None
    return int(model.count_params()), multiply_adds


def _epochs_chosen(EPOCHS):  # noqa: N803  (the student's name)
    assert isinstance(EPOCHS, numbers.Integral) and not isinstance(EPOCHS, bool), (
        f"`EPOCHS` should be a whole number of epochs, 1 to {_MAX_EPOCHS}; it is {EPOCHS!r}")
    assert 1 <= EPOCHS <= _MAX_EPOCHS, (
        f"`EPOCHS` is {EPOCHS}: choose 1 to {_MAX_EPOCHS} epochs (more would take too long whatever the network)")
    return int(EPOCHS)


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

_CONVOLUTIONS = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")


@public("q2", points=1)
def design_is_a_convnet_for_digits(model):
    """A convnet for the digits: 28x28x1 in, 10 out, at least one convolution"""
    keras = settings.import_keras()
    _assert_model(model)
    try:
        input_shape, output_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError):
        input_shape = output_shape = None
    assert input_shape == (None, 28, 28, 1), (
        f"the model takes inputs of shape {input_shape}; start it with keras.Input(shape=(28, 28, 1))")
    assert output_shape == (None, 10), (
        f"the model outputs shape {output_shape} per batch; a classifier of 10 digits outputs (None, 10): end "
        "with Flatten or GlobalAveragePooling2D, then Dense(10)")
    _design_numbers(model)  # every layer is one whose cost can be counted
    kinds = [type(layer).__name__ for layer in _all_layers(model, keras)]
    assert any(kind in _CONVOLUTIONS for kind in kinds), (
        f"the model's layers are {', '.join(kinds)}: a convnet has at least one convolution layer "
        f"({', '.join(_CONVOLUTIONS)})")


def _all_layers(model, keras):
    """Every layer of the model, inside nested models too."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer, keras)
        else:
            yield layer


@public("q2", points=1)
def parameters_within_limit(model):
    """At most 50,000 parameters"""
    parameters, _ = _design_numbers(model)
    assert parameters <= _MAX_PARAMETERS, (
        f"the model has {parameters:,} parameters, over the limit of {_MAX_PARAMETERS:,}: look at "
        "model.summary() for the layer that holds most of them (usually the Dense layer after Flatten) and "
        "make its input smaller (one more pooling, fewer filters before it) or use GlobalAveragePooling2D")


@public("q2", points=1)
def training_cost_within_budget(model, EPOCHS):  # noqa: N803  (the student's name)
    """Training cost within the budget (multiply-adds per image x 3,500 digits x EPOCHS)"""
    epochs = _epochs_chosen(EPOCHS)
    _, multiply_adds = _design_numbers(model)
    training = multiply_adds * _TRAINING_DIGITS["default"] * epochs
    assert training <= _MAX_TRAINING_MULTIPLY_ADDS, (
        f"training costs {multiply_adds:,} multiply-adds per image x {_TRAINING_DIGITS['default']:,} digits x "
        f"{epochs} epochs = {training:,}, over the budget of {_MAX_TRAINING_MULTIPLY_ADDS:,}: fewer epochs, "
        "or cheaper convolutions (fewer filters on the large maps, or a pooling earlier)")

@public("q3", points=1)
def output_layer_fits_loss(model):
    """The last layer: one unit per class, and an activation that fits the loss"""
    keras = settings.import_keras()
    layers = _folded_layers(model)
    assert layers, "the model has no layers yet (question 2)"
    last = layers[-1]
    assert isinstance(last["layer"], keras.layers.Dense), (
        f"the model ends with a {type(last['layer']).__name__}; question 2 asks for a last Dense layer of 10 "
        "units")
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
def trained_as_asked(history, model, EPOCHS):  # noqa: N803  (the student's name)
    """Trained for your EPOCHS epochs, in batches of 32, with validation (history)"""
    keras = settings.import_keras()
    _assert_model(model)
    assert isinstance(history, keras.callbacks.History), (
        f"`history` is a {type(history).__name__}; keep what model.fit(...) returns in it")
    assert history.model is model, "`history` comes from training another model: run the cells in order"
    # Any whole number of EPOCHS is trained as asked here: whether it fits the budget is question 2's check.
    assert settings.quick_mode() or (isinstance(EPOCHS, numbers.Integral) and not isinstance(EPOCHS, bool)), (
        f"`EPOCHS` should be a whole number of epochs; it is {EPOCHS!r}")
    asked = _QUICK_EPOCHS if settings.quick_mode() else int(EPOCHS)
    epochs = len(history.history.get("loss", []))
    assert epochs == asked, (
        f"`history` holds {epochs} epoch(s) of training; the question asks for train_epochs = {asked}")
    steps, expected = (history.params or {}).get("steps"), -(-_TRAINING_DIGITS[_mode()] // _BATCH_SIZE)
    assert steps == expected, (
        f"each epoch took {steps} steps; with batches of {_BATCH_SIZE} the {_TRAINING_DIGITS[_mode()]:,} training "
        f"digits take {expected}: train on x_train, y_train with batch_size=BATCH_SIZE")
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
