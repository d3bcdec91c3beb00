"""The lecture's table of last-layer activation and loss per task, and compiling a model with them."""

import warnings
from typing import NamedTuple

from cnn_course._aliases import REMOVAL
from cnn_course._validation import arg_error, check_choice, check_positive_int
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


class TaskHead(NamedTuple):
    """The output layer and the loss for a task: `task_head`'s result, read by name (`head.loss`)."""

    units: int
    activation: str | None  # None: linear
    loss: str
    metrics: list

    def __getitem__(self, key):
        # task_head returned a dict until 0.2: head.loss still works until REMOVAL.
        if isinstance(key, str):
            warnings.warn(f"task_head(...)[{key!r}] is deprecated and goes after {REMOVAL}: use "
                          f"task_head(...).{key}", DeprecationWarning, stacklevel=2)
            return getattr(self, key)
        return tuple.__getitem__(self, key)


def task_head(task, num_classes=None, one_hot=False):
    """Return the output layer's units and activation, and the loss, for a task.

    This is the lecture's table "last-layer activation and loss function":

    | task | units | activation | loss |
    |---|---|---|---|
    | binary | 1 | sigmoid | binary_crossentropy |
    | multiclass (one label) | classes | softmax | sparse_categorical_crossentropy (one-hot: categorical_crossentropy) |
    | multilabel | classes | sigmoid | binary_crossentropy |
    | regression | outputs | none (linear) | mse |
    | regression_0_1 (targets in [0, 1]) | outputs | sigmoid | mse |

    Args:
        task: one of the keys of `TASKS`.
        num_classes: number of classes (multiclass, multilabel) or outputs
            (regression; default 1). Ignored for binary.
        one_hot: whether multiclass labels are one-hot vectors.

    Returns:
        A `TaskHead` (a named tuple): `units`, `activation`, `loss`, `metrics`.

    Raises:
        ValueError: for an unknown task or a missing/invalid `num_classes`.

    Example:

    >>> task_head("binary").loss
    'binary_crossentropy'
    >>> task_head("multiclass", num_classes=4)
    TaskHead(units=4, activation='softmax', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
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
    return TaskHead(units, activation, onehot_loss if one_hot else int_loss, list(metrics))


def compile_for_task(model, task="multiclass", optimizer="adam", learning_rate=1e-3,
                     one_hot=False, weight_decay=None, jit_compile="auto"):
    """Compile a model with the loss and metrics its task needs.

    Args:
        model: a Keras model whose output layer matches the task.
        task: as in `task_head`.
        optimizer: "adam", "rmsprop" or "sgd" (a Keras optimizer instance is used as is).
        learning_rate: the optimizer's learning rate.
        one_hot: whether multiclass labels are one-hot vectors.
        weight_decay: optional decoupled weight decay (AdamW-style) for the optimizer.
        jit_compile: compile the training step with XLA: "auto" (Keras's
            default: on a GPU when the model allows it, off on a CPU and under
            a `tf.distribute` strategy), True or False. Keras turns XLA off
            while deterministic ops are on (`set_seed(deterministic=True)`),
            since XLA has no deterministic version of some ops.

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
    if units != head.units:
        raise ValueError(
            f"The model has {units} output unit(s) but task={task!r} expects {head.units}. "
            f"Build it with the same task (build_convnet(..., task={task!r}))."
        )
    if isinstance(optimizer, str):
        name = check_choice("optimizer", optimizer, ("adam", "rmsprop", "sgd"))
        kwargs = {"learning_rate": learning_rate}
        if weight_decay:
            kwargs["weight_decay"] = weight_decay
        optimizer = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
                     "sgd": keras.optimizers.SGD}[name](**kwargs)
    check_choice("jit_compile", jit_compile, ("auto", True, False))
    model.compile(optimizer=optimizer, loss=head.loss, metrics=head.metrics, jit_compile=jit_compile)
    return model
