"""Is the signal reaching every layer: gradient norms per layer during training, and the fraction of dead ReLUs."""

import math

import numpy as np

from cnn_course._validation import arg_error, check_positive_int
from cnn_course.settings import import_keras, import_tensorflow_quietly

keras = import_keras()


# --------------------------------------------------------------------------- gradient norms


def _weight_layers(layers):
    """Leaf layers owning trainable weights, looking inside nested models."""
    out = []
    for layer in layers:
        if hasattr(layer, "layers") and layer.layers:
            out += _weight_layers(layer.layers)
        elif layer.trainable_weights:
            out.append(layer)
    return out


class GradientNormLogger(keras.callbacks.Callback):
    """Record the L2 norm of the loss gradient for each layer's weights during training.

    In Keras 3 (TensorFlow backend) callbacks never see the gradients that
    `fit` computes inside its compiled train step. This callback therefore
    computes them itself: at the end of every epoch (or every
    `every_n_batches` batches) it runs the model on a fixed probe batch under
    `tf.GradientTape` (inference mode, so dropout does not add noise), takes
    the gradient of the compiled loss (plus any regularisation losses) with
    respect to every trainable weight, and records, per layer, the L2 norm
    of the gradients of all its weights (kernel and bias together). Vanishing
    gradients show as norms that shrink towards the first layers; exploding
    ones as norms that grow from epoch to epoch.

    Args:
        x, y: the probe batch (a few dozen examples, as given to `fit`).
        every_n_batches: None to record at the end of each epoch, or record
            every this many training batches.

    Attributes:
        norms: dict layer name -> list of norms, one per record.
        steps: the epoch (1-based) or global batch number of each record.

    Example:

    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
    ...                           keras.layers.Dense(1, activation="sigmoid")])
    >>> model.compile("sgd", "binary_crossentropy")
    >>> x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    >>> logger = GradientNormLogger(x, y)
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[logger])
    >>> {name: len(values) for name, values in logger.norms.items()}  # doctest: +ELLIPSIS
    {'dense...': 2, 'dense...': 2}
    """

    def __init__(self, x, y, every_n_batches=None):
        super().__init__()
        self.x, self.y = np.asarray(x), np.asarray(y)
        self.every_n_batches = None if every_n_batches is None else check_positive_int(
            "every_n_batches", every_n_batches)
        self.norms, self.steps = {}, []
        self._batches = 0

    def _record(self, step):
        tf = import_tensorflow_quietly()

        model = self.model
        layers = _weight_layers(model.layers)
        weights = [w for layer in layers for w in layer.trainable_weights]
        loss_fn = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
        x = tf.convert_to_tensor(self.x, dtype=tf.float32)
        with tf.GradientTape() as tape:
            y_pred = model(x, training=False)
            loss = tf.reduce_mean(loss_fn(tf.convert_to_tensor(self.y), y_pred))
            if model.losses:
                loss += tf.add_n(model.losses)
        grads = tape.gradient(loss, weights)
        by_weight = {id(w): g for w, g in zip(weights, grads)}
        for layer in layers:
            squares = [float(tf.reduce_sum(tf.square(by_weight[id(w)])))
                       for w in layer.trainable_weights if by_weight[id(w)] is not None]
            self.norms.setdefault(layer.name, []).append(math.sqrt(sum(squares)))
        self.steps.append(step)

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        if self.every_n_batches and self._batches % self.every_n_batches == 0:
            self._record(self._batches)

    def on_epoch_end(self, epoch, logs=None):
        if self.every_n_batches is None:
            self._record(epoch + 1)


def plot_gradient_norms(logger, ax=None):
    """Plot each layer's gradient norm over training on a log axis (from a `GradientNormLogger`).

    Args:
        logger: a `GradientNormLogger` that has recorded at least once.
        ax: optional matplotlib Axes.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: if the logger has recorded nothing yet.
    """
    import matplotlib.pyplot as plt

    if not getattr(logger, "norms", None):
        raise arg_error("logger", logger, "a GradientNormLogger that has recorded norms",
                        "Pass it to model.fit(..., callbacks=[logger]) first")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    else:
        fig = ax.figure
    for name, values in logger.norms.items():
        ax.plot(logger.steps, values, marker="o", markersize=3, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch" if logger.every_n_batches is None else "batch")
    ax.set_ylabel("gradient L2 norm")
    ax.set_title("Gradient norm per layer (probe batch)", loc="left", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig


# --------------------------------------------------------------------------- dead ReLUs


def _is_relu(layer):
    if isinstance(layer, keras.layers.ReLU):
        return True
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", activation) == "relu"


def dead_relu_fraction(model, images, batch_size=256):
    """Fraction of dead ReLU units per layer: units that output zero for ALL given images.

    A unit is a channel for a convolution (dead if it is zero at every
    position of every image) and a unit for a dense layer. Only the model's
    top-level layers with a relu activation (or `ReLU` layers) are examined.
    Works for functional and Sequential models: it builds a feature model on
    the layer outputs, or, for a Sequential model that was never built on an
    `Input`, calls the layers in order.

    Args:
        model: a Keras model.
        images: inputs as the model receives them (e.g. scaled to [0, 1]).
        batch_size: images per forward pass.

    Returns:
        A dict layer name -> fraction of dead units in [0, 1].

    Raises:
        ValueError: if the model has no relu layer.

    Example:

    >>> import keras, numpy as np
    >>> layer = keras.layers.Dense(4, activation="relu")
    >>> model = keras.Sequential([keras.Input((2,)), layer])
    >>> layer.set_weights([np.ones((2, 4)), np.array([0.0, 0.0, -1e3, -1e3])])
    >>> dead_relu_fraction(model, np.ones((5, 2)))   # two of four units can never fire
    {'dense...': 0.5}
    """
    relu_layers = [layer for layer in model.layers if _is_relu(layer)]
    if not relu_layers:
        raise arg_error("model", model.name, "a model with at least one relu layer")
    batch_size = check_positive_int("batch_size", batch_size)
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    feature_model = None
    if inputs:
        feature_model = keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                                    [layer.output for layer in relu_layers])

    def features(batch):
        if feature_model is not None:
            outs = feature_model(batch, training=False)
            return outs if isinstance(outs, (list, tuple)) else [outs]
        outs, h = [], batch
        for layer in model.layers:
            h = layer(h, training=False) if _accepts_training(layer) else layer(h)
            if _is_relu(layer):
                outs.append(h)
        return outs

    images = np.asarray(images, dtype="float32")
    alive = None
    for start in range(0, len(images), batch_size):
        outs = features(images[start:start + batch_size])
        # each output: (batch, ..., units); a unit is alive if positive anywhere
        fired = [np.asarray(o).reshape(-1, np.shape(o)[-1]).max(axis=0) > 0 for o in outs]
        alive = fired if alive is None else [a | f for a, f in zip(alive, fired)]
    return {layer.name: float(1.0 - a.mean()) for layer, a in zip(relu_layers, alive)}


def _accepts_training(layer):
    import inspect

    try:
        return "training" in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False
