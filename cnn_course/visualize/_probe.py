"""Probing a Keras model: finding its layers (also inside nested models) and running it to chosen layers.

`cnn_course.visualize` (filters, activations, Grad-CAM) is built on these; they
work for Sequential and functional models and for a pretrained base nested in a model.
"""


import numpy as np

from cnn_course._validation import arg_error
from cnn_course.settings import import_keras

# ---------------------------------------------------------------------------
# Finding layers, also inside nested models
# ---------------------------------------------------------------------------


def conv_classes():
    keras = import_keras()

    return (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)


def pool_classes():
    keras = import_keras()

    L = keras.layers
    return (L.MaxPooling2D, L.AveragePooling2D, L.GlobalMaxPooling2D, L.GlobalAveragePooling2D)


def sublayers(model):
    """The layers of `model` other than its inputs (`InputLayer`)."""
    keras = import_keras()

    return [layer for layer in getattr(model, "layers", []) if not isinstance(layer, keras.layers.InputLayer)]


def walk(model):
    """Every layer of `model`, depth first, descending into nested models."""
    for layer in sublayers(model):
        yield layer
        if sublayers(layer):
            yield from walk(layer)


def contains(model, target):
    return any(layer is target for layer in walk(model))


def conv_layer_names(model):
    """Names of the 2D convolution layers of a model, nested models included, in order.

    Args:
        model: a Keras model.

    Returns:
        A list of layer names.

    Example:

    >>> from cnn_course.models import build_convnet
    >>> conv_layer_names(build_convnet((28, 28, 1), num_classes=10, filters=(8, 16)))
    ['block1_conv1', 'block2_conv1']
    """
    return [layer.name for layer in walk(model) if isinstance(layer, conv_classes())]


def find_conv_layer(model, layer_name):
    """The conv layer called `layer_name` (default: the last one), searching nested models."""
    convs = [layer for layer in walk(model) if isinstance(layer, conv_classes())]
    if not convs:
        raise ValueError(
            f"Model {model.name!r} has no Conv2D layer, so there is no feature map to explain. "
            "Grad-CAM and filter plots need a convolutional network."
        )
    if layer_name is None:
        return convs[-1]
    for layer in convs:
        if layer.name == layer_name:
            return layer
    raise arg_error("layer_name", layer_name, "the name of a convolution layer of the model",
                    f"Its convolution layers are: {[layer.name for layer in convs]}")


def grad_cam_layers(model):
    """Layers whose output Grad-CAM can explain: each conv layer, then the BN/activation layers right after it.

    With batch normalization a block is `Conv2D -> BatchNormalization ->
    Activation`; its feature map, as the next block sees it, is the
    activation's output.
    """
    keras = import_keras()

    followers = (keras.layers.BatchNormalization, keras.layers.Activation, keras.layers.ReLU)
    chosen, after_conv = [], False
    for layer in walk(model):
        if isinstance(layer, conv_classes()):
            chosen.append(layer)
            after_conv = True
        elif after_conv and isinstance(layer, followers):
            chosen.append(layer)
        else:
            after_conv = False
    return chosen


def find_grad_cam_layer(model, layer_name):
    """Grad-CAM's layer: `layer_name`, or by default the last of `grad_cam_layers`."""
    find_conv_layer(model, None)  # raises when the model has no convolution at all
    candidates = grad_cam_layers(model)
    if layer_name is None:
        return candidates[-1]
    for layer in candidates:
        if layer.name == layer_name:
            return layer
    raise arg_error("layer_name", layer_name,
                    "the name of a convolution layer of the model (or of the BatchNormalization or "
                    "activation layers right after one)",
                    f"Its layers of that kind are: {[layer.name for layer in candidates]}")


def find_layer(model, name):
    for layer in walk(model):
        if layer.name == name:
            return layer
    raise arg_error("layer_names", name, "names of layers of the model",
                    f"Its layers are: {[layer.name for layer in walk(model)]}")


# ---------------------------------------------------------------------------
# One forward pass that also returns chosen intermediate outputs
# ---------------------------------------------------------------------------


def as_batch(image):
    """One image `(H, W, C)` (or a batch of one) as a float32 batch `(1, H, W, C)`."""
    array = np.asarray(image)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        raise arg_error("image", f"an array of shape {np.shape(image)}",
                        "one image of shape (height, width, channels)",
                        "To explain the i-th image of a batch pass images[i]", describe=True)
    return array[None].astype("float32")  # (1, height, width, channels)


def is_functional(model):
    keras = import_keras()

    if isinstance(model, keras.Sequential):
        return False
    try:
        return bool(model.inputs)
    except (AttributeError, ValueError):
        return False


def trace(model, x, targets, stop_before_last=False):
    """Run `model` on `x` (inference mode) and also return the outputs of `targets`.

    Functional models whose targets are their own (top-level) layers get a
    multi-output `keras.Model` on the same graph. Everything else (Sequential
    models, targets inside nested models) is replayed layer by layer, which is
    exact for models that are a chain of layers; the caller checks that.

    Returns:
        `(found, out)`: a dict layer -> output tensor, and the model's output (or,
        with `stop_before_last`, the input of its last layer).
    """
    keras = import_keras()

    layers = sublayers(model)
    top_level = all(any(t is layer for layer in layers) for t in targets)
    if is_functional(model) and top_level:
        last = model.layers[-1].input if stop_before_last else model.outputs[0]
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        probe = keras.Model(inputs, [t.output for t in targets] + [last])
        outputs = probe(x, training=False)
        return dict(zip(targets, outputs[:-1])), outputs[-1]
    if stop_before_last:
        layers = layers[:-1]
    found = {}
    for layer in layers:
        inside = [t for t in targets if t is not layer and contains(layer, t)]
        if inside:
            sub_found, x = trace(layer, x, inside)
            found.update(sub_found)
        else:
            x = layer(x, training=False)
        if any(t is layer for t in targets):
            found[layer] = x
    return found, x


def check_replay(model, x, out):
    """Raise if a layer-by-layer replay did not reproduce the model's own output."""
    expected = np.asarray(model(x, training=False))
    if np.asarray(out).shape != expected.shape or not np.allclose(out, expected, atol=1e-4):
        raise ValueError(
            f"Could not trace model {model.name!r} layer by layer: it is not a simple chain of "
            "layers (it has branches), and the requested layer is inside a nested model. "
            "Pass the name of a layer of the outer model, or build the model as one functional graph."
        )


def activations(model, image, layer_names=None):
    """Outputs of chosen layers for one image: what the network "sees" at each depth.

    Works for Sequential and functional models, with or without an
    augmentation block inside (the model runs in inference mode, so augmentation
    is off). Introduced in `notebooks/05_what_convnets_learn`.

    Args:
        model: a Keras model taking images.
        image: one image `(height, width, channels)`, preprocessed as the model expects.
        layer_names: names of the layers to read (nested models are searched
            too); default: every convolution and pooling layer.

    Returns:
        A dict layer name -> NumPy array of that layer's output for the image,
        without the batch axis, e.g. `(height, width, channels)` for a conv layer.

    Raises:
        ValueError: for an unknown layer name (the message lists the layers), or
            a bad image shape.

    Example:

    >>> import numpy as np
    >>> from cnn_course.models import build_convnet
    >>> model = build_convnet((28, 28, 1), num_classes=10, filters=(8, 16))
    >>> maps = activations(model, np.zeros((28, 28, 1)))
    >>> {name: a.shape for name, a in maps.items()}
    {'block1_conv1': (26, 26, 8), 'block1_pool': (13, 13, 8), 'block2_conv1': (11, 11, 16), 'block2_pool': (5, 5, 16)}
    """
    x = as_batch(image)
    if layer_names is None:
        kinds = conv_classes() + pool_classes()
        targets = [layer for layer in walk(model) if isinstance(layer, kinds)]
    else:
        if isinstance(layer_names, str):
            layer_names = [layer_names]
        targets = [find_layer(model, name) for name in layer_names]
    found, out = trace(model, x, targets)
    if not (is_functional(model) and all(any(t is layer for layer in sublayers(model)) for t in targets)):
        check_replay(model, x, out)
    return {t.name: np.asarray(found[t])[0] for t in targets}
