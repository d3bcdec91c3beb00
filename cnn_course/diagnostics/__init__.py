"""Debugging a network that does not learn: output/loss checks, overfitting one small batch, the diagnosis table.

Gradient norms per layer and dead ReLUs are in the private `_gradients.py`, the
diagnosis table (`diagnose_errors`) in `_errors.py`; import their names from here.
"""

import math

import numpy as np

from cnn_course._validation import arg_error, check_fraction, check_number, check_positive_int, check_verbose
from cnn_course.diagnostics._errors import ErrorDiagnosis, diagnose_errors  # noqa: F401  (diagnostics.*)
from cnn_course.diagnostics._gradients import (  # noqa: F401  (diagnostics.*, as before)
    GradientNormLogger, dead_relu_fraction, plot_gradient_norms,
)
from cnn_course._progress_lines import Heartbeat, print_line
from cnn_course.settings import import_keras
from cnn_course.training import check_labels_for_model, loss_name

#: The names of the course's API here; the rest is internal.
__all__ = [
    "can_overfit_small_batch",
    "check_output_and_loss",
    "dead_relu_fraction",
    "diagnose_errors",
    "ErrorDiagnosis",
    "GradientNormLogger",
    "OverfitResult",
    "plot_gradient_norms",
]

keras = import_keras()

_PROBABILITY_LOSSES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")


def _output_activation(model):
    """Name of the last layer's activation ("softmax", "sigmoid", "linear", ...)."""
    layer = model.layers[-1]
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", type(activation).__name__)


def _from_logits(model):
    loss = model.loss
    if isinstance(loss, str) or loss is None or not hasattr(loss, "get_config"):
        return False
    return bool(loss.get_config().get("from_logits", False))


def check_output_and_loss(model, labels):
    """Check the last layer's activation and the loss against each other and against the labels.

    First runs `cnn_course.training.check_labels_for_model` (labels vs loss vs
    number of output units), then the mismatches it lets through:

    - a linear output (no activation) with a cross-entropy that expects
      probabilities (`from_logits=False`);
    - a softmax or sigmoid output with `from_logits=True` (squashed twice);
    - a sigmoid output with (sparse_)categorical_crossentropy;
    - a softmax output with one unit (always outputs 1.0);
    - a softmax output with binary_crossentropy (legal-looking with one-hot labels).

    Args:
        model: a compiled Keras model.
        labels: a batch (or all) of the labels that will be passed to `fit`.

    Raises:
        ValueError: naming the mismatch and the fix.

    Example:

    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])   # no activation
    >>> model.compile("adam", "sparse_categorical_crossentropy")
    >>> check_output_and_loss(model, np.array([0, 2, 1]))
    Traceback (most recent call last):
    ...
    ValueError: The output layer has no activation (it outputs raw scores, 'logits') but the loss ... Fix: add
    activation='softmax' to the last layer, or compile with ...(from_logits=True).
    """
    check_labels_for_model(model, labels)
    loss = loss_name(model) or ""
    activation = _output_activation(model)
    units = model.output_shape[-1]
    from_logits = _from_logits(model)
    loss_class = "".join(part.capitalize() for part in loss.split("_"))
    if loss in _PROBABILITY_LOSSES and activation == "linear" and not from_logits:
        wanted = "softmax" if loss != "binary_crossentropy" else "sigmoid"
        raise ValueError(
            f"The output layer has no activation (it outputs raw scores, 'logits') but the loss {loss} "
            f"expects probabilities (from_logits=False). Fix: add activation='{wanted}' to the last layer, "
            f"or compile with loss=keras.losses.{loss_class}(from_logits=True)."
        )
    if loss in _PROBABILITY_LOSSES and activation in ("softmax", "sigmoid") and from_logits:
        raise ValueError(
            f"The output layer already applies {activation} but the loss has from_logits=True, so it "
            f"applies {activation} a second time. Fix: compile with loss='{loss}' (from_logits=False), "
            "or remove the activation from the last layer."
        )
    if activation == "softmax" and units == 1:
        raise ValueError(
            "The output layer is softmax with 1 unit: softmax over a single unit always outputs 1.0, so "
            "the model cannot learn. Fix: for a yes/no task use Dense(1, activation='sigmoid') with "
            "loss='binary_crossentropy' (build_convnet(..., task='binary'))."
        )
    if activation == "sigmoid" and loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        raise ValueError(
            f"The output layer is sigmoid but the loss is {loss}, which expects a softmax output "
            "(probabilities over the classes that sum to 1). Fix: use activation='softmax' in the last "
            "layer for single-label classes, or loss='binary_crossentropy' for multilabel tasks."
        )
    if activation == "softmax" and loss == "binary_crossentropy":
        raise ValueError(
            "The output layer is softmax but the loss is binary_crossentropy (for sigmoid outputs: binary "
            "or multilabel tasks); the 'accuracy' it reports is then binary accuracy per unit, far too "
            "high. Fix: for single-label classes with one-hot labels use loss='categorical_crossentropy' "
            "(or 'sparse_categorical_crossentropy' with integer labels); for multilabel use "
            "activation='sigmoid'."
        )


# --------------------------------------------------------------------------- overfit one batch


class OverfitResult:
    """What `can_overfit_small_batch` found.

    Attributes:
        passed: whether the model reached the target on the batch.
        final_loss, final_accuracy: on the batch after training (inference
            mode); None when training was skipped (or no accuracy metric).
        steps: training steps run.
        history: dict with lists `loss` and (if any) `accuracy`, one per step.
        hint: None when passed, else what is likely wrong and the fix.
        model: the trained model.
    """

    def __init__(self, passed, final_loss, final_accuracy, steps, history, hint, model):
        self.passed, self.final_loss, self.final_accuracy = passed, final_loss, final_accuracy
        self.steps, self.history, self.hint, self.model = steps, history, hint, model

    def __bool__(self):
        return bool(self.passed)

    def __str__(self):
        if self.final_loss is None:
            head = "Overfit-one-batch check FAILED before training"
        else:
            acc = "" if self.final_accuracy is None else f", accuracy {self.final_accuracy:.3f}"
            head = (f"Overfit-one-batch check {'PASSED' if self.passed else 'FAILED'} after {self.steps} "
                    f"steps: loss {self.final_loss:.4g}{acc}")
        return head + ("" if self.hint is None else f"\nHint: {self.hint}")

    __repr__ = __str__


def _learning_rate(model):
    try:
        return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return None


def _accuracy_key(logs):
    return next((k for k in logs if "accuracy" in k), None)


def can_overfit_small_batch(model_fn, x, y, *, n_examples=32, steps=200, target_accuracy=0.99,
                            target_loss=None, seed=0, verbose=1):
    """Check that a fresh model can learn one small batch by heart: the first test of a new network.

    A correct network with enough capacity drives the training loss of 16-32
    examples to (almost) zero within a couple of hundred steps. If it cannot,
    something is broken, and training on the full data would only hide it. The
    check runs in this order:

    1. `check_output_and_loss`: a last activation that does not fit the loss
       or the labels (e.g. softmax with binary_crossentropy, a linear output
       with a loss that expects probabilities). The model then fails without
       training and the hint is that message, with its fix.
    2. Up to `steps` training steps (`train_on_batch`) on the first
       `n_examples` examples, stopping once the target is reached.
    3. If the target was missed: a loss that became NaN or grew means the
       learning rate is too high; a loss that barely moved means the learning
       rate is too low, the ReLUs are dead (the hint reports
       `dead_relu_fraction`), or the labels do not go with the inputs.

    Args:
        model_fn: a function returning a NEW compiled model (called once,
            after `set_seed(seed)`).
        x: inputs as the model expects them (e.g. images scaled to [0, 1]).
        y: the matching labels.
        n_examples: size of the batch taken from the start of `x`, `y`.
        steps: maximum number of training steps.
        target_accuracy: accuracy on the batch that counts as learned (used
            when `target_loss` is None).
        target_loss: if given, pass when the loss falls to this value instead
            (needed for models without an accuracy metric, e.g. regression).
        seed: passed to `reproducibility.set_seed` before building the model.
        verbose: print the result and hint, and a progress line about every
            10 s while it trains (see `cnn_course.progress`); 0: silent.

    Returns:
        An `OverfitResult` (truthy when passed).

    Raises:
        ValueError: for bad arguments, a model that is not compiled, or no
            accuracy metric and no `target_loss`.

    Example:

    >>> import keras, numpy as np
    >>> def make():
    ...     model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    ...     model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    ...     return model
    >>> result = can_overfit_small_batch(make, np.eye(2), np.eye(2), verbose=0)
    >>> result.passed, "categorical_crossentropy" in result.hint
    (False, True)
    """
    n_examples, steps = _check_overfit_arguments(model_fn, n_examples, steps, target_accuracy, target_loss)
    verbose = check_verbose(verbose)
    x, y = np.asarray(x)[:n_examples], np.asarray(y)[:n_examples]
    if len(x) != len(y):
        raise arg_error("y", f"{len(y)} labels", f"as many labels as inputs ({len(x)})", describe=True)
    model = _fresh_model(model_fn, seed)
    history = {"loss": []}

    def done(passed, loss, acc, hint):
        result = OverfitResult(passed, loss, acc, len(history["loss"]), history, hint, model)
        if verbose:
            print(result, flush=True)
        return result

    try:
        check_output_and_loss(model, y)
    except ValueError as error:
        if "not compiled" in str(error):
            raise
        return done(False, None, None, str(error))

    acc_key = _train_on_one_batch(model, x, y, history, steps, target_accuracy, target_loss, verbose)
    if target_loss is None and acc_key is None:
        raise arg_error("target_loss", None, "a number when the model has no accuracy metric",
                        "Pass e.g. target_loss=0.01, or compile with metrics=['accuracy']")
    final = model.test_on_batch(x, y, return_dict=True)
    final_loss = float(final["loss"])
    final_acc = float(final[acc_key]) if acc_key and acc_key in final else None
    if _batch_learned(final_loss, final_acc, history, target_accuracy, target_loss):
        return done(True, final_loss, final_acc, None)
    return done(False, final_loss, final_acc, _failure_hint(model, x, history["loss"], steps))


def _check_overfit_arguments(model_fn, n_examples, steps, target_accuracy, target_loss):
    """Validate the arguments of `can_overfit_small_batch`; return `n_examples` and `steps` as ints."""
    if not callable(model_fn):
        raise arg_error("model_fn", model_fn, "a function that returns a new compiled model",
                        "Wrap the model building and compile in a def and pass the function itself")
    n_examples = check_positive_int("n_examples", n_examples)
    steps = check_positive_int("steps", steps)
    check_fraction("target_accuracy", target_accuracy, inclusive_high=True)
    check_number("target_loss", target_loss, allow_none=True, expected="a number or None")
    return n_examples, steps


def _fresh_model(model_fn, seed):
    """Set the seed, call `model_fn`, and check that it returned a Keras model."""
    from cnn_course.reproducibility import set_seed

    set_seed(seed)
    model = model_fn()
    if not isinstance(model, keras.Model):
        raise arg_error("model_fn", model_fn, "a function returning a keras.Model",
                        f"It returned a {type(model).__name__}; end it with `return model`")
    return model


def _train_on_one_batch(model, x, y, history, steps, target_accuracy, target_loss, verbose):
    """Train on `x`, `y` for up to `steps` steps, appending to `history`; return the accuracy key (or None)."""
    acc_key = None
    beat = Heartbeat()
    for step in range(1, steps + 1):
        logs = model.train_on_batch(x, y, return_dict=True)
        loss = float(logs["loss"])
        acc_key = acc_key or _accuracy_key(logs)
        history["loss"].append(loss)
        if acc_key:
            history.setdefault("accuracy", []).append(float(logs[acc_key]))
        if verbose and beat.due():
            print_line("step", step, steps, {k: v[-1] for k, v in history.items()}, seconds=beat.elapsed,
                       name="overfit check")
        if _stop_training(loss, logs[acc_key] if acc_key else None, target_accuracy, target_loss):
            break
    return acc_key


def _stop_training(loss, accuracy, target_accuracy, target_loss):
    """Whether to stop after a step: the loss is NaN or infinite, or the step reached the target."""
    if not math.isfinite(loss):
        return True
    if target_loss is not None:
        return loss <= target_loss
    return accuracy is not None and accuracy >= target_accuracy


def _batch_learned(final_loss, final_acc, history, target_accuracy, target_loss):
    """Whether the check passed: a finite final loss, and the target met after training or at the last step."""
    if not math.isfinite(final_loss):
        return False
    if target_loss is not None:
        return final_loss <= target_loss or history["loss"][-1] <= target_loss
    return final_acc >= target_accuracy or history["accuracy"][-1] >= target_accuracy


def _failure_hint(model, x, losses, steps):
    lr = _learning_rate(model)
    lr_text = f" (now {lr:g})" if lr is not None else ""
    first, last = losses[0], losses[-1]
    finite = [v for v in losses if math.isfinite(v)]
    if not math.isfinite(last) or (finite and max(finite) > 10 * max(first, 1e-8)) or last > 2 * first:
        return (f"The loss exploded (from {first:.4g} to {last:.4g}): the learning rate{lr_text} is too high. "
                "Fix: lower it 10x, e.g. compile_for_task(model, task, learning_rate=1e-4).")
    if last > 0.9 * first:
        dead = {}
        try:
            dead = {k: v for k, v in dead_relu_fraction(model, x).items() if v >= 0.5}
        except ValueError:
            pass
        dead_text = ("; dead ReLUs found: " + ", ".join(f"{k} {v:.0%}" for k, v in dead.items())) if dead \
            else " (dead_relu_fraction(model, x) finds none here)"
        return (f"The loss barely moved (from {first:.4g} to {last:.4g} in {len(losses)} steps). Likely causes: "
                f"the learning rate{lr_text} is too low (try 10x higher); dead ReLUs{dead_text} (check the "
                "input scaling and the initialisation, or lower the learning rate); or the labels do not go "
                "with the inputs (shuffled separately?): check the pairing by showing a few images with "
                "their labels (cnn_course.plots.show_images).")
    return (f"The loss fell (from {first:.4g} to {last:.4g}) but did not reach the target in {steps} steps. "
            f"Fix: train for more steps, raise the learning rate{lr_text}, or make the model bigger.")
