"""Freezing and unfreezing a base, counting what trains, and the guard against changing `trainable` after compile."""

import dataclasses
import difflib
import warnings

import numpy as np

from cnn_course._aliases import REMOVAL
from cnn_course._validation import arg_error, check_positive_int
from cnn_course.settings import import_keras

keras = import_keras()

# ---------------------------------------------------------------------------
# Counting, freezing and unfreezing
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TrainableSummary:
    """Counts of a model's trainable and frozen weights, from `trainable_summary`.

    Attributes:
        trainable_tensors: number of trainable weight tensors (a Dense or
            Conv2D layer has 2: kernel and bias), `len(model.trainable_weights)`.
        non_trainable_tensors: `len(model.non_trainable_weights)`.
        trainable_params: number of trainable parameters (scalars).
        non_trainable_params: number of frozen parameters.
        when: optional phrase such as "before freezing the conv base".
    """

    trainable_tensors: int
    non_trainable_tensors: int
    trainable_params: int
    non_trainable_params: int
    when: str = None

    @property
    def line(self):
        """The book's sentence: "This is the number of trainable weights <when>: 30"."""
        when = f" {self.when}" if self.when else ""
        return f"This is the number of trainable weights{when}: {self.trainable_tensors}"

    def __str__(self):
        return (f"{self.line} ({self.trainable_params:,} trainable parameters; "
                f"{self.non_trainable_tensors} frozen tensors, {self.non_trainable_params:,} frozen parameters)")


def trainable_summary(model, when=None):
    """Count the trainable and frozen weights of a model, to print before and after freezing.

    Args:
        model: a built Keras model (or layer).
        when: optional phrase for the printed line, e.g. "after freezing the conv base".

    Returns:
        A `TrainableSummary`; `.line` is the book's one-line sentence and
        `str()` adds the parameter counts.

    Example:

    >>> import keras
    >>> from cnn_course.transfer import freeze, trainable_summary
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
    >>> model = keras.Sequential([base, keras.layers.Flatten(), keras.layers.Dense(1)])
    >>> print(trainable_summary(model, "before freezing the conv base").line)
    This is the number of trainable weights before freezing the conv base: 4
    >>> _ = freeze(base)
    >>> print(trainable_summary(model, "after freezing the conv base"))
    This is the number of trainable weights after freezing the conv base: 2 (145 trainable ... frozen parameters)
    """
    def count(weights):
        return int(sum(int(np.prod(w.shape)) for w in weights))

    return TrainableSummary(len(model.trainable_weights), len(model.non_trainable_weights),
                            count(model.trainable_weights), count(model.non_trainable_weights), when)


def freeze(base):
    """Freeze a base: none of its weights change during training (`base.trainable = False`).

    After changing `trainable`, compile the model again: Keras keeps updating
    the weights that were trainable when the model was compiled and first trained.

    Returns:
        The same base.

    Example:

    >>> import keras
    >>> from cnn_course.transfer import freeze
    >>> base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
    >>> len(freeze(base).trainable_weights)
    0
    """
    _set_trainable(base, False)
    return base


def _set_trainable(layer, value):
    """Set `trainable` on a layer and every layer inside it.

    Not just `layer.trainable = value`: with the TensorFlow backend, Keras
    skips an assignment of the value the attribute already has, so
    `base.trainable = True` on a base that is trainable but holds frozen
    layers leaves those layers frozen. Setting the opposite value first makes
    the assignment reach every sublayer.
    """
    layer.trainable = not value
    layer.trainable = value
    for sub in getattr(layer, "layers", ()):
        _set_trainable(sub, value)


def _has_weights(layer):
    return bool(layer.weights)


def _is_batchnorm(layer):
    return isinstance(layer, keras.layers.BatchNormalization)


def _sublayers(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _sublayers(layer)


def _freeze_batchnorm(layer):
    if _is_batchnorm(layer):
        layer.trainable = False
    for sub in getattr(layer, "layers", ()):
        _freeze_batchnorm(sub)


def _unknown_layer_error(base, layer_name):
    names = [layer.name for layer in base.layers]
    weighted = [layer.name for layer in base.layers if _has_weights(layer)]
    # The most similar name; among equally similar ones the earliest ("block5_conv" -> "block5_conv1").
    scores = [(difflib.SequenceMatcher(None, str(layer_name), name).ratio(), -i) for i, name in enumerate(names)]
    best, index = max(scores) if scores else (0.0, 0)
    hint = f" Did you mean {names[-index]!r}?" if best >= 0.6 else ""
    return ValueError(
        f"The base {base.name!r} has no layer named {layer_name!r}.{hint} Layers with weights, in order: "
        f"{', '.join(weighted)}. All layers: {', '.join(names)}."
    )


def _renamed_argument(from_layer, layer_name):
    """`from_layer`, or the value of its old name `layer_name` (with a `DeprecationWarning`)."""
    if layer_name is None:
        return from_layer
    if from_layer is not None:
        raise arg_error("layer_name", layer_name, "left out when from_layer is given (it is from_layer's old name)")
    warnings.warn(f"unfreeze_from(layer_name=...) is deprecated and goes after {REMOVAL}: use from_layer=..., "
                  "as fine_tune does", DeprecationWarning, stacklevel=3)
    return layer_name


def unfreeze_from(base, from_layer=None, last_n=None, include_batchnorm=False, allow_all=False, *,
                  layer_name=None):
    """Make the top of a base trainable: from `from_layer` (or the last `last_n` layers) to the end.

    Fine-tuning (DLwP 5.3.2) unfreezes only the last block(s) of a pretrained
    base: the early layers detect generic edges and textures worth keeping,
    the later ones more specific patterns worth adapting. The layers before
    the chosen one are frozen. BatchNormalization layers stay frozen unless
    `include_batchnorm=True`: in Keras 3 a frozen BatchNormalization layer
    runs in inference mode, a trainable one normalises with the statistics of
    each training batch and overwrites its moving averages (see
    `build_transfer_model`); `include_batchnorm=True` warns about it. Unfreezing every layer is refused unless
    `allow_all=True`: with few images it overfits and destroys the
    pretrained filters. Compile the model again afterwards, or use
    `fine_tune`, which does both.

    Why not simply `base.trainable = True` and then freeze the early layers?
    With the TensorFlow backend, Keras ignores `base.trainable = True` when
    the base is already trainable, so layers frozen earlier (say by a
    previous `unfreeze_from`) would stay frozen; this function sets every
    layer explicitly.

    Args:
        base: the convolutional base (a Keras model).
        from_layer: first layer to unfreeze, e.g. "block5_conv1" for VGG16 (the
            argument of the same name of `fine_tune`).
        last_n: alternatively, the number of layers (entries of `base.layers`,
            including pooling layers) to unfreeze, counted from the end.
        include_batchnorm: also unfreeze BatchNormalization layers (warns:
            they then run in training mode during `fit`).
        allow_all: allow every layer with weights to become trainable.
        layer_name: the old name of `from_layer`; deprecated (warns), goes after 2027-08-31.

    Returns:
        The names of the layers with weights that are now trainable, in order.

    Raises:
        ValueError: for an unknown layer name (listing the valid names and
            suggesting the closest one), for both or neither of `from_layer`
            and `last_n`, for a choice that unfreezes no weights, or when
            everything would be unfrozen without `allow_all=True`.

    Example:

    >>> import keras
    >>> from cnn_course.transfer import unfreeze_from
    >>> base = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3, name="block1_conv1"),
    ...     keras.layers.Conv2D(4, 3, name="block2_conv1"), keras.layers.Conv2D(4, 3, name="block3_conv1")])
    >>> unfreeze_from(base, "block2_conv1")
    ('block2_conv1', 'block3_conv1')
    >>> unfreeze_from(base, "block2_con1")
    Traceback (most recent call last):
    ...
    ValueError: The base 'sequential...' has no layer named 'block2_con1'. Did you mean ... block3_conv1.
    """
    from_layer = _renamed_argument(from_layer, layer_name)
    layers = list(base.layers)
    if (from_layer is None) == (last_n is None):
        raise arg_error("from_layer", from_layer, "given when last_n is not (pass exactly one of them)",
                        "e.g. unfreeze_from(base, 'block5_conv1') or unfreeze_from(base, last_n=4)")
    if from_layer is not None:
        names = [layer.name for layer in layers]
        if from_layer not in names:
            raise _unknown_layer_error(base, from_layer)
        start = names.index(from_layer)
    else:
        last_n = check_positive_int("last_n", last_n)
        start = max(0, len(layers) - last_n)
    chosen = f"from_layer={from_layer!r}" if from_layer is not None else f"last_n={last_n}"
    weighted = [layer.name for layer in layers if _has_weights(layer)]
    top = f"from_layer={weighted[-1]!r}" if weighted else "a later layer"
    if not any(_has_weights(layer) for layer in layers[start:]):
        raise ValueError(
            f"{chosen} unfreezes only {[layer.name for layer in layers[start:]]}, which have no weights, "
            f"so nothing would train. Fix: start from an earlier layer (a larger last_n, or e.g. {top})."
        )
    if not any(_has_weights(layer) for layer in layers[:start]) and not allow_all:
        raise ValueError(
            f"{chosen} would unfreeze every layer of the base {base.name!r} ({len(layers)} layers). Training "
            "all pretrained weights on a small dataset overfits and wrecks the pretrained filters. Fix: "
            f"unfreeze only the top block (e.g. {top}), or pass allow_all=True if you mean it."
        )
    _set_trainable(base, True)
    for layer in layers[:start]:
        _set_trainable(layer, False)
    if not include_batchnorm:
        for layer in layers[start:]:
            _freeze_batchnorm(layer)
    elif any(_is_batchnorm(layer) and layer.trainable for layer in _sublayers(base)):
        warnings.warn(
            "include_batchnorm=True: the unfrozen BatchNormalization layers will run in training mode during "
            "fit (Keras 3 ignores the base's training=False there), normalising with each batch's statistics "
            "and overwriting their moving mean and variance. Keep them frozen (the default) unless you have "
            "plenty of data.", stacklevel=2)
    return tuple(layer.name for layer in layers[start:] if layer.trainable_weights)


# ---------------------------------------------------------------------------
# Fine-tuning, with the recompile it needs
# ---------------------------------------------------------------------------


#: The model attribute where `fine_tune` records the variables it compiled the model to train.
COMPILED_TRAINABLE_ATTRIBUTE = "_cnn_course_compiled_trainable"


class _CompiledTrainable:
    """The trainable variables of a model when it was last compiled by `fine_tune` (ids -> variables)."""

    def __init__(self, variables):
        self.variables = {id(v): v for v in variables}


def remember_compiled_trainable(model):
    """Record, on `model` itself, which variables are trainable now (call it right after `compile`).

    `check_compiled_trainability` falls back on this record when the
    optimizer does not say which variables it was built for.
    """
    setattr(model, COMPILED_TRAINABLE_ATTRIBUTE, _CompiledTrainable(model.trainable_variables))


def compiled_trainable(model):
    """The record `remember_compiled_trainable` left on `model` (a dict id -> variable), or None."""
    record = getattr(model, COMPILED_TRAINABLE_ATTRIBUTE, None)
    return None if record is None else record.variables


def _variable_name(v):
    return getattr(v, "path", None) or getattr(v, "name", "?")


def check_compiled_trainability(model):
    """Raise if the trainable weights changed after the model was compiled and trained.

    In Keras 3 the optimizer and the compiled training step keep the
    variables that were trainable at the first training step after
    `compile`. Freezing or unfreezing layers later has no effect until the
    model is compiled again: a base "frozen" after training keeps being
    updated, and a base "unfrozen" for fine-tuning is silently never
    trained. This check compares the model's trainable variables now with
    those the optimizer was built for. A model compiled but not trained yet
    passes (its first step will use the current flags).

    Call it before `model.fit` (`cnn_course.transfer.RecompileCheck()` does
    it as a callback); `fine_tune` recompiles for you.

    Args:
        model: a Keras model.

    Raises:
        RuntimeError: naming the weights that changed and the fix
            (call `model.compile(...)` again).

    Example:

    >>> import numpy as np, keras
    >>> from cnn_course.transfer import check_compiled_trainability
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="hidden"),
    ...                           keras.layers.Dense(1, name="out")])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.zeros((4, 3)), np.zeros(4), verbose=0)
    >>> check_compiled_trainability(model)   # fine
    >>> model.layers[0].trainable = False
    >>> check_compiled_trainability(model)
    Traceback (most recent call last):
    ...
    RuntimeError: The trainable weights changed after the model was compiled: the optimizer updates ... in one call.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return
    known = None
    if getattr(optimizer, "built", False) and getattr(optimizer, "_trainable_variables", None) is not None:
        known = {id(v): v for v in optimizer._trainable_variables}
    elif getattr(optimizer, "built", False):
        known = compiled_trainable(model)  # None when fine_tune left no record
    if known is None:
        return  # not trained since compile: the next fit uses the current trainable flags
    now = {id(v): v for v in model.trainable_variables}
    if set(now) == set(known):
        return
    added = [_variable_name(v) for i, v in now.items() if i not in known]
    removed = [_variable_name(v) for i, v in known.items() if i not in now]

    def listed(names):
        return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")

    parts = []
    if added:
        parts.append(f"Unfrozen since compile (never updated): {listed(added)}.")
    if removed:
        parts.append(f"Frozen since compile (still being updated): {listed(removed)}.")
    raise RuntimeError(
        f"The trainable weights changed after the model was compiled: the optimizer updates {len(known)} "
        f"weight tensors, the model now has {len(now)} trainable. {' '.join(parts)} Keras trains the weights "
        "that were trainable when it compiled the model, so your change has no effect. Fix: call "
        "model.compile(...) again (with a new optimizer) after changing `trainable`, or use "
        "cnn_course.transfer.fine_tune, which unfreezes and recompiles in one call."
    )


class RecompileCheck(keras.callbacks.Callback):
    """Run `check_compiled_trainability` when training starts.

    Use it as `model.fit(..., callbacks=[RecompileCheck()])`: a model whose
    `trainable` flags changed since it was compiled then fails at once with
    the fix, instead of training the wrong weights.
    """

    def on_train_begin(self, logs=None):
        check_compiled_trainability(self.model)
