"""Public checks of assignment a4_debug_and_tune (generated from assignments/a4_debug_and_tune/a4_debug_and_tune.py by
`python tools/sync_assignments.py`: do not edit by hand)."""

NAME = 'a4_debug_and_tune'
VERSION = '7c121eb36aac'
QUESTIONS = {"q1": {"public": 2, "hidden": 0, "hidden_checks": []}, "q2": {"public": 2, "hidden": 0, "hidden_checks": []}, "q3": {"public": 2, "hidden": 0, "hidden_checks": []}, "q4": {"public": 2, "hidden": 0, "hidden_checks": []}, "q5": {"public": 2, "hidden": 0, "hidden_checks": []}, "q6": {"public": 1, "hidden": 2, "hidden_checks": ["`model` is accurate on the grader's hidden test images (2)"]}, "q7": {"public": 2, "hidden": 0, "hidden_checks": []}, "q8": {"public": 2, "hidden": 1, "hidden_checks": ["`MORE_DATA_HELPS` is what the slope and the gap of your own curve say (1)"]}, "q9": {"public": 1, "hidden": 1, "hidden_checks": ["`best_config` is the configuration with the highest validation accuracy in your table (1)"]}}

import numbers

import numpy as np

from cnn_course import settings
from cnn_course.checks import hidden, public

DIGIT_SHAPE = (8, 8, 1)  # the images the script's model takes
#: Seconds the grader gives one submission: about 6 times the reference's 48 s top to bottom on a
#: 2-core laptop (42 s when graded).
TIME_LIMIT_SECONDS = 300


def _keras():
    return settings.import_keras()


def _mean_loss(loss, targets, probabilities):
    """The mean of `loss` (a name, a function or a Loss object) on a batch of targets and probabilities."""
    function = _keras().losses.get(loss) if isinstance(loss, str) else loss
    return float(np.mean(np.asarray(function(targets, probabilities))))


@public("q1", points=2)
def loss_suits_the_labels(model, y_train):
    """The loss `model` is compiled with suits integer labels and a softmax over 10 classes"""
    assert getattr(model, "loss", None) is not None, "`model` is not compiled yet: run the training cell"
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 10))
    probabilities = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype("float32")
    labels = np.array([0, 3, 9, 5, 1, 7])
    expected = float(np.mean(-np.log(probabilities[np.arange(6), labels])))  # the crossentropy, by hand
    targets = np.eye(10, dtype="float32")[labels] if np.ndim(y_train) == 2 else labels
    try:
        value = _mean_loss(model.loss, targets, probabilities)
    except Exception as exc:  # a loss that cannot take these labels at all
        value, why = None, f"it cannot even be computed on such labels ({type(exc).__name__})"
    else:
        why = f"on a test batch it gives {value:.4f}, which is not the loss that fits them"
    assert value is not None and abs(value - expected) < 1e-4, (  # float32 rounding: 1e-4 is ample
        f"`model` is compiled with loss={model.loss!r}, which does not suit labels like y_train "
        f"(shape {np.shape(y_train)}) and a 10-way softmax output: {why}")

@public("q2", points=2)
def learning_rate_lets_adam_train(model):
    """The optimizer's learning rate lets Adam train this network"""
    assert getattr(model, "optimizer", None) is not None, "`model` is not compiled yet: run the training cell"
    rate = float(np.asarray(model.optimizer.learning_rate))
    # Measured: Adam trains this network at 0.03 and stays at chance from 0.1 up; 0.05 is the limit allowed.
    assert 0 < rate <= 0.05, (f"the optimizer of `model` has learning rate {rate:g}: at that rate the "
                              "first updates throw the weights far off, and training never recovers")

@public("q3", points=2)
def training_images_on_the_right_scale(x_train, x_val):
    """The training images are on the scale of the validation and test images"""
    x, v = np.asarray(x_train, dtype="float64"), np.asarray(x_val, dtype="float64")
    assert x.min() >= 0 and x.max() <= 1 + 1e-6 and x.max() >= 0.5, (
        f"the values in x_train run from {x.min():g} to {x.max():g}; those in x_val from "
        f"{v.min():g} to {v.max():g}")

def _pairing_probe(n=240):
    """A fixed linear model and images it classifies with a clear margin; labels = its own answers."""
    keras = _keras()
    rng = np.random.default_rng(4)
    images = rng.uniform(size=(n, *DIGIT_SHAPE)).astype("float32")
    weights = rng.normal(size=(int(np.prod(DIGIT_SHAPE)), 10))
    weights = (weights - weights.mean(axis=0)).astype("float32")  # columns sum to 0: every class gets answered
    logits = images.reshape(n, -1).astype("float64") @ weights  # (n, 10)
    top_two = np.sort(logits, axis=1)[:, -2:]
    clear = top_two[:, 1] - top_two[:, 0] > 0.05  # no near-ties: any float32 path gives the same class
    probe = keras.Sequential([keras.Input(DIGIT_SHAPE), keras.layers.Flatten(),
                              keras.layers.Dense(10, use_bias=False, kernel_initializer="zeros",
                                                 activation="softmax")])
    probe.layers[-1].set_weights([weights])
    return probe, images[clear], logits[clear].argmax(axis=1)


@public("q4", points=2)
def evaluate_pairs_each_prediction_with_its_label(evaluate):
    """`evaluate` compares each image's prediction with that image's label"""
    probe, images, labels = _pairing_probe()
    accuracy = float(evaluate(probe, images, labels))
    assert abs(accuracy - 1.0) < 1e-9, (
        f"evaluate() gives {accuracy:.3f} for a test model that is right on each of {len(labels)} "
        "images (it should give 1.000)")

def _mode_probe(n=100, answer=3):
    """A model that answers `answer` for every image at test time, and another class in training mode."""
    keras = _keras()

    class AnswerByMode(keras.layers.Layer):
        def call(self, inputs, training=None):
            label = keras.ops.zeros_like(inputs[:, 0], dtype="int32") + ((answer + 4) % 10 if training else answer)
            return keras.ops.one_hot(label, 10)  # (batch, 10)

    probe = keras.Sequential([keras.Input(DIGIT_SHAPE), keras.layers.Flatten(), AnswerByMode()])
    images = np.random.default_rng(5).uniform(size=(n, *DIGIT_SHAPE)).astype("float32")
    return probe, images, np.full(n, answer)


@public("q5", points=2)
def evaluate_measures_the_trained_model(evaluate):
    """`evaluate` measures the model as it is used once trained"""
    probe, images, labels = _mode_probe()
    accuracy = float(evaluate(probe, images, labels))
    assert abs(accuracy - 1.0) < 1e-9, (
        f"evaluate() gives {accuracy:.3f} for a test model that, once trained, is right on every one of "
        f"{len(labels)} images (it should give 1.000)")

def _thresholds():
    """(validation, hidden test) accuracy a fixed script reaches, in the current mode."""
    # Reference, 5 seeds (set_seed 0-4): default mode, validation 0.978-0.989 and hidden test 0.959-0.981;
    # quick mode (CI, 3 epochs), validation 0.828-0.922 and hidden test 0.840-0.900. Thresholds: the lowest
    # seed minus a margin of about 0.05 (default) and 0.18 (quick: so few epochs vary more). A script with the
    # loss, the learning rate or the scale left faulty gets 0.10-0.40.
    return (0.65, 0.65) if settings.quick_mode() else (0.92, 0.90)


@public("q6", points=1)
def validation_accuracy_reached(history):
    """After the last epoch, the validation accuracy is where a fixed script gets"""
    values = getattr(history, "history", {}).get("val_accuracy")
    assert values, "`history` holds no val_accuracy: run the training cell (fit with validation_data)"
    threshold = _thresholds()[0]
    assert np.isfinite(values[-1]) and values[-1] >= threshold, (
        f"validation accuracy after the last epoch: {values[-1]:.3f}; a fixed script gets {threshold:.2f} "
        "or more")

@public("q7", points=1)
def majority_baseline(majority_accuracy, y_train, y_val):
    """`majority_accuracy` is the validation accuracy of always answering the most frequent training digit"""
    counts = np.bincount(np.asarray(y_train).astype(int), minlength=10)
    tied = np.flatnonzero(counts == counts.max())  # any of them is a right answer
    right = [float(np.mean(np.asarray(y_val) == digit)) for digit in tied]
    assert any(abs(float(majority_accuracy) - value) < 1e-9 for value in right), (
        f"majority_accuracy is {majority_accuracy!r}: not the accuracy on y_val of always answering the "
        "digit most frequent in y_train")


@public("q7", points=1)
def logistic_baseline(logistic, logistic_accuracy, x_val, y_val):
    """`logistic_accuracy` is the validation accuracy of the fitted `logistic`"""
    assert hasattr(logistic, "predict"), "`logistic` should be the fitted LogisticRegression"
    x = np.asarray(x_val)
    measured = float(np.mean(logistic.predict(x.reshape(len(x), -1)) == np.asarray(y_val)))
    assert abs(float(logistic_accuracy) - measured) < 1e-9, (
        f"logistic_accuracy is {logistic_accuracy!r}, but `logistic` is right on {measured:.3f} of the "
        "flattened validation images")

@public("q8", points=1)
def learning_curve_recorded(CURVE_SIZES, train_errors, val_errors):
    """`train_errors` and `val_errors` hold one error rate per size of CURVE_SIZES"""
    sizes = list(CURVE_SIZES)
    assert len(train_errors) == len(val_errors) == len(sizes), (
        f"{len(sizes)} sizes, but {len(train_errors)} training errors and {len(val_errors)} validation errors")
    values = np.asarray(list(train_errors) + list(val_errors), dtype="float64")
    assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1)), (
        "every error should be a number between 0 and 1 (1 - accuracy)")


def _slope_and_gap(CURVE_SIZES, train_errors, val_errors):
    """The least-squares slope of the validation error per doubling of the data, and the final gap."""
    sizes = np.log2(np.asarray(list(CURVE_SIZES), dtype="float64"))
    val = np.asarray(list(val_errors), dtype="float64")
    assert len(sizes) >= 2 and len(val) == len(sizes), "record the learning curve first (one error per size)"
    return float(np.polyfit(sizes, val, 1)[0]), float(val[-1]) - float(train_errors[-1])


@public("q8", points=1)
def slope_and_gap_of_the_curve(CURVE_SIZES, train_errors, val_errors, val_slope, final_gap):
    """`val_slope` and `final_gap` are those of your own learning curve"""
    slope, gap = _slope_and_gap(CURVE_SIZES, train_errors, val_errors)
    for name, value in (("val_slope", val_slope), ("final_gap", final_gap)):
        assert isinstance(value, numbers.Real) and not isinstance(value, bool), (
            f"`{name}` should be a number; it is {value!r}")
    assert abs(float(val_slope) - slope) <= 1e-6, (
        f"val_slope is {float(val_slope):+.4f}, but the least-squares line through your validation errors "
        f"against log2 of the sizes has another slope: fit val_errors against np.log2(CURVE_SIZES), and "
        "read the slope (the first number np.polyfit returns)")
    assert abs(float(final_gap) - gap) <= 1e-9, (
        f"final_gap is {float(final_gap):.4f}: it should be the validation error minus the training error "
        "at the largest size")

def _rows(search_result):
    rows = getattr(search_result, "rows", None)
    assert rows is not None, "`search_result` should be what search.random_search returns"
    return rows


@public("q9", points=1)
def search_table_complete(search_result):
    """The search tried enough configurations of two hyperparameters, each with a validation accuracy"""
    rows = _rows(search_result)
    minimum = 2 if settings.quick_mode() else 4
    assert len(rows) >= minimum, f"the search holds {len(rows)} trials; run at least {minimum}"
    for row in rows:
        assert len(row["config"]) >= 2, f"trial {row['trial']} varies {len(row['config'])} hyperparameter(s), not 2"
        value = row["metrics"].get("val_accuracy")
        assert value is not None and 0 <= value <= 1, (
            f"trial {row['trial']} reports val_accuracy={value!r}: expected a number between 0 and 1")
