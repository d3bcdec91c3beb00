"""Looking inside a convnet: learned filters, intermediate activations and Grad-CAM class heatmaps."""

import numbers

import numpy as np

from cnn_course._validation import arg_error, check_positive_int
from cnn_course.settings import import_keras, import_tensorflow_quietly

# ---------------------------------------------------------------------------
# Finding layers, also inside nested models
# ---------------------------------------------------------------------------


def _conv_classes():
    keras = import_keras()

    return (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)


def _pool_classes():
    keras = import_keras()

    L = keras.layers
    return (L.MaxPooling2D, L.AveragePooling2D, L.GlobalMaxPooling2D, L.GlobalAveragePooling2D)


def _sublayers(model):
    """The layers of `model` other than its inputs (`InputLayer`)."""
    keras = import_keras()

    return [layer for layer in getattr(model, "layers", []) if not isinstance(layer, keras.layers.InputLayer)]


def _walk(model):
    """Every layer of `model`, depth first, descending into nested models."""
    for layer in _sublayers(model):
        yield layer
        if _sublayers(layer):
            yield from _walk(layer)


def _contains(model, target):
    return any(layer is target for layer in _walk(model))


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
    return [layer.name for layer in _walk(model) if isinstance(layer, _conv_classes())]


def _find_conv_layer(model, layer_name):
    """The conv layer called `layer_name` (default: the last one), searching nested models."""
    convs = [layer for layer in _walk(model) if isinstance(layer, _conv_classes())]
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


def _grad_cam_layers(model):
    """Layers whose output Grad-CAM can explain: each conv layer, then the BN/activation layers right after it.

    With batch normalization a block is `Conv2D -> BatchNormalization ->
    Activation`; its feature map, as the next block sees it, is the
    activation's output.
    """
    keras = import_keras()

    followers = (keras.layers.BatchNormalization, keras.layers.Activation, keras.layers.ReLU)
    chosen, after_conv = [], False
    for layer in _walk(model):
        if isinstance(layer, _conv_classes()):
            chosen.append(layer)
            after_conv = True
        elif after_conv and isinstance(layer, followers):
            chosen.append(layer)
        else:
            after_conv = False
    return chosen


def _find_grad_cam_layer(model, layer_name):
    """Grad-CAM's layer: `layer_name`, or by default the last of `_grad_cam_layers`."""
    _find_conv_layer(model, None)  # raises when the model has no convolution at all
    candidates = _grad_cam_layers(model)
    if layer_name is None:
        return candidates[-1]
    for layer in candidates:
        if layer.name == layer_name:
            return layer
    raise arg_error("layer_name", layer_name,
                    "the name of a convolution layer of the model (or of the BatchNormalization or "
                    "activation layers right after one)",
                    f"Its layers of that kind are: {[layer.name for layer in candidates]}")


def _find_layer(model, name):
    for layer in _walk(model):
        if layer.name == name:
            return layer
    raise arg_error("layer_names", name, "names of layers of the model",
                    f"Its layers are: {[layer.name for layer in _walk(model)]}")


# ---------------------------------------------------------------------------
# One forward pass that also returns chosen intermediate outputs
# ---------------------------------------------------------------------------


def _as_batch(image):
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


def _is_functional(model):
    keras = import_keras()

    if isinstance(model, keras.Sequential):
        return False
    try:
        return bool(model.inputs)
    except (AttributeError, ValueError):
        return False


def _trace(model, x, targets, stop_before_last=False):
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

    layers = _sublayers(model)
    top_level = all(any(t is layer for layer in layers) for t in targets)
    if _is_functional(model) and top_level:
        last = model.layers[-1].input if stop_before_last else model.outputs[0]
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        probe = keras.Model(inputs, [t.output for t in targets] + [last])
        outputs = probe(x, training=False)
        return dict(zip(targets, outputs[:-1])), outputs[-1]
    if stop_before_last:
        layers = layers[:-1]
    found = {}
    for layer in layers:
        inside = [t for t in targets if t is not layer and _contains(layer, t)]
        if inside:
            sub_found, x = _trace(layer, x, inside)
            found.update(sub_found)
        else:
            x = layer(x, training=False)
        if any(t is layer for t in targets):
            found[layer] = x
    return found, x


def _check_replay(model, x, out):
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
    is off). Introduced in `notebooks/05_visualizing_convnets`.

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
    x = _as_batch(image)
    if layer_names is None:
        kinds = _conv_classes() + _pool_classes()
        targets = [layer for layer in _walk(model) if isinstance(layer, kinds)]
    else:
        if isinstance(layer_names, str):
            layer_names = [layer_names]
        targets = [_find_layer(model, name) for name in layer_names]
    found, out = _trace(model, x, targets)
    if not (_is_functional(model) and all(any(t is layer for layer in _sublayers(model)) for t in targets)):
        _check_replay(model, x, out)
    return {t.name: np.asarray(found[t])[0] for t in targets}


# ---------------------------------------------------------------------------
# Grad-CAM
# ---------------------------------------------------------------------------


def _logit_head(model):
    """The last layer if it is a Dense with softmax, sigmoid or no activation, else None."""
    keras = import_keras()

    last = _sublayers(model)[-1] if _sublayers(model) else None
    if isinstance(last, keras.layers.Dense):
        name = getattr(last.activation, "__name__", "")
        if name in ("softmax", "sigmoid", "linear"):
            return last, name
    return None, None


def _grad_cam(model, image, class_index=None, layer_name=None):
    """Grad-CAM heatmap with the class explained and its probability."""
    tf = import_tensorflow_quietly()

    target = _find_grad_cam_layer(model, layer_name)
    x = _as_batch(image)
    head, activation = _logit_head(model)
    with tf.GradientTape() as tape:
        found, h = _trace(model, x, [target], stop_before_last=head is not None)
        feature_map = found[target]  # (1, fh, fw, channels)
        tape.watch(feature_map)
        if head is not None:
            logits = tf.matmul(h, head.kernel) + (head.bias if head.use_bias else 0.0)
            probs = {"softmax": tf.nn.softmax, "sigmoid": tf.sigmoid}.get(activation, tf.identity)(logits)
        else:
            logits = probs = h
        binary = probs.shape[-1] == 1
        p = np.asarray(probs)[0]
        if class_index is None:
            class_index = int(p[0] >= 0.5) if binary else int(np.argmax(p))
        n_classes = 2 if binary else p.shape[-1]
        if (isinstance(class_index, bool) or not isinstance(class_index, numbers.Integral)
                or not 0 <= class_index < n_classes):
            raise arg_error("class_index", class_index, f"an integer in [0, {n_classes - 1}] or None",
                            "None explains the predicted class")
        if binary:  # one sigmoid unit: class 1 is the unit, class 0 its opposite
            sign = 1.0 if class_index == 1 else -1.0
            score = sign * (logits[0, 0] if head is not None else probs[0, 0] - 0.5)
            probability = float(p[0] if class_index == 1 else 1.0 - p[0])
        else:
            score = logits[0, class_index]
            probability = float(p[class_index])
    if not (_is_functional(model) and any(target is layer for layer in _sublayers(model))):
        _check_replay(model, x, probs)
    grads = tape.gradient(score, feature_map)  # (1, fh, fw, channels)
    weights = tf.reduce_mean(grads, axis=(0, 1, 2))  # (channels,): one importance per channel
    cam = tf.nn.relu(tf.reduce_sum(feature_map[0] * weights, axis=-1))  # (fh, fw)
    cam = tf.image.resize(cam[..., None], x.shape[1:3], method="bilinear")[..., 0]  # (H, W)
    cam = np.asarray(cam, dtype="float32")
    peak = cam.max()
    cam = cam / peak if peak > 0 else np.zeros_like(cam)
    return np.clip(cam, 0.0, 1.0), class_index, probability


def grad_cam(model, image, class_index=None, layer_name=None):
    """Grad-CAM: which parts of the image made the model choose a class.

    The gradient of the class score with respect to a conv layer's feature
    map says how much each channel matters for that class; averaging it over
    the map gives one weight per channel. The heatmap is the ReLU of the
    channels' weighted sum (only evidence *for* the class), upsampled
    bilinearly to the image size and divided by its maximum (Selvaraju et
    al., 2017). Introduced in `notebooks/05_visualizing_convnets`.

    The class score is the pre-softmax logit when the model ends in a `Dense`
    layer with softmax or sigmoid activation: it is recomputed from that
    layer's kernel and bias, as the paper recommends (a probability's gradient
    vanishes when the model is very sure). For a single sigmoid unit, class 1
    uses the logit and class 0 its negative. For any other output layer the
    model's output itself is the score.

    Works for Sequential and functional models, also with an augmentation
    block inside (the model runs with `training=False`) and with the conv
    layer inside a nested model (a pretrained base), as long as the outer
    model is a chain of layers.

    Args:
        model: a trained Keras classifier taking images.
        image: one image `(height, width, channels)`, preprocessed as the model expects.
        class_index: the class to explain; None for the predicted class.
        layer_name: the layer whose feature map is used: a convolution layer,
            or a BatchNormalization or activation layer right after one.
            Default: the last convolution layer (nested models are searched
            too), which has the most class-specific features that still keep
            a spatial layout; when batch normalization and an activation
            follow it (`Conv2D -> BatchNormalization -> Activation`), the
            last of those, as keras.io's Grad-CAM example does.

    Returns:
        A float32 array `(height, width)` of the image's size, in [0, 1] (all
        zeros when nothing speaks for the class).

    Raises:
        ValueError: if `layer_name` is not one of those layers (the message
            lists them), `class_index` is out of range, or the image shape is wrong.

    Example:

    >>> import numpy as np
    >>> from cnn_course.models import build_convnet
    >>> model = build_convnet((32, 32, 3), num_classes=4, filters=(8, 16))
    >>> heatmap = grad_cam(model, np.random.rand(32, 32, 3))
    >>> heatmap.shape, bool(0 <= heatmap.min() and heatmap.max() <= 1)
    ((32, 32), True)
    """
    return _grad_cam(model, image, class_index, layer_name)[0]


def heatmap_mass_inside(heatmap, bbox):
    """Fraction of a heatmap's total mass that lies inside a box.

    A heatmap that points at the object puts most of its mass inside the
    object's bounding box; one spread uniformly puts in the box's share of the
    image area. Introduced in `notebooks/05_visualizing_convnets`.

    Args:
        heatmap: non-negative array `(height, width)`, e.g. from `grad_cam`.
        bbox: `(x0, y0, x1, y1)` in pixels, end-exclusive, as
            `cnn_course.shapes.make_shapes_arrays` returns.

    Returns:
        A float in [0, 1]; 0.0 for an all-zero heatmap.

    Raises:
        ValueError: for a heatmap that is not 2-D or has negative values, or a
            box that is not 4 integers with x0 < x1 and y0 < y1.

    Example:

    >>> import numpy as np
    >>> heatmap = np.zeros((4, 4)); heatmap[1:3, 0:2] = 1.0
    >>> heatmap_mass_inside(heatmap, (0, 0, 2, 4))
    1.0
    >>> heatmap_mass_inside(np.ones((4, 4)), (0, 0, 2, 2))
    0.25
    """
    heatmap = np.asarray(heatmap, dtype="float64")
    if heatmap.ndim != 2 or (heatmap.size and heatmap.min() < 0):
        raise arg_error("heatmap", f"an array of shape {heatmap.shape}",
                        "a non-negative 2-D array (height, width)", describe=True)
    box = np.asarray(bbox).reshape(-1)
    if box.size != 4 or not np.all(np.equal(np.mod(box, 1), 0)) or box[0] >= box[2] or box[1] >= box[3]:
        raise arg_error("bbox", bbox, "4 integers (x0, y0, x1, y1) with x0 < x1 and y0 < y1",
                        "Boxes are end-exclusive pixel coordinates")
    x0, y0, x1, y1 = (max(0, int(v)) for v in box)
    total = heatmap.sum()
    if total <= 0:
        return 0.0
    return float(heatmap[y0:y1, x0:x1].sum() / total)


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


def _unit_range(array, axis=None):
    """Min-max scale to [0, 1] over `axis` (each remaining slice on its own); constant -> 0."""
    array = np.asarray(array, dtype="float32")
    low = array.min(axis=axis, keepdims=True)
    span = array.max(axis=axis, keepdims=True) - low
    return np.where(span > 0, (array - low) / np.where(span > 0, span, 1.0), 0.0)


def _display_image(image):
    """One image as float RGB in [0, 1] for imshow (uint8 / 255; other ranges min-max scaled)."""
    image = _as_batch(image)[0]
    if np.asarray(image).max() > 1.0 or image.min() < 0.0:
        image = image / 255.0 if image.min() >= 0 and image.max() <= 255 else _unit_range(image)
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return np.clip(image, 0.0, 1.0)


def show_filters(model_or_layer, layer_name=None, max_filters=32, ax=None):
    """Show the kernels of a convolution layer as small images.

    Each filter is scaled to [0, 1] on its own. Kernels over 3 input channels
    (the first layer of a colour network) are shown in colour, over 1 channel
    in grey; deeper kernels, over many channels, are shown as their mean over
    the input channels. First-layer filters of a trained network look like
    edge and colour detectors. Introduced in `notebooks/05_visualizing_convnets`.

    Args:
        model_or_layer: a Keras model, or a Conv2D layer.
        layer_name: which conv layer of the model; default: the first one.
        max_filters: show at most this many filters.
        ax: a matplotlib Axes, or None for a new figure.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: if `layer_name` is not a convolution layer of the model
            (the message lists them).

    Example:

    >>> from cnn_course.models import build_convnet
    >>> fig = show_filters(build_convnet((28, 28, 3), num_classes=10, filters=(8,)))
    >>> len(fig.axes)
    1
    """
    from cnn_course.plots import show_images

    max_filters = check_positive_int("max_filters", max_filters)
    if isinstance(model_or_layer, _conv_classes()) and not _sublayers(model_or_layer):
        layer = model_or_layer
    elif layer_name is None:  # the first conv layer: its filters look at pixels
        _find_conv_layer(model_or_layer, None)  # raises when there is none
        layer = next(found for found in _walk(model_or_layer) if isinstance(found, _conv_classes()))
    else:
        layer = _find_conv_layer(model_or_layer, layer_name)
    if not layer.built:
        raise ValueError(f"Layer {layer.name!r} has no weights yet: build or call the model first.")
    kernel = np.asarray(layer.kernel)  # (kh, kw, in_channels, filters) (or a depth multiplier)
    kernel = np.moveaxis(kernel, -1, 0)[:max_filters]  # (filters, kh, kw, in_channels)
    if kernel.shape[-1] not in (1, 3):
        kernel = kernel.mean(axis=-1, keepdims=True)
    tiles = _unit_range(kernel, axis=(1, 2, 3))
    fig = show_images(tiles, titles=[str(i) for i in range(len(tiles))], ncols=8,
                      max_images=max_filters, ax=ax)
    fig.axes[0].set_title(f"{layer.name}: {len(tiles)} filters {kernel.shape[1]}x{kernel.shape[2]}")
    return fig


def show_activations(model, image, layer_name, max_channels=16, ax=None):
    """Show the channels of one layer's output for one image, each as a grey image.

    Each channel is scaled to [0, 1] on its own (a blank tile is a channel
    that stayed zero: a ReLU that did not fire). Introduced in
    `notebooks/05_visualizing_convnets`.

    Args:
        model: a Keras model (Sequential or functional).
        image: one image `(height, width, channels)`, preprocessed as the model expects.
        layer_name: the layer to show, with a `(height, width, channels)` output.
        max_channels: show at most this many (the first) channels.
        ax: a matplotlib Axes, or None for a new figure.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: for an unknown layer name, or a layer without a spatial output.

    Example:

    >>> import numpy as np
    >>> from cnn_course.models import build_convnet
    >>> model = build_convnet((28, 28, 1), num_classes=10, filters=(8,))
    >>> fig = show_activations(model, np.zeros((28, 28, 1)), "block1_conv1")
    >>> len(fig.axes)
    1
    """
    from cnn_course.plots import show_images

    max_channels = check_positive_int("max_channels", max_channels)
    maps = activations(model, image, [layer_name])[layer_name]
    if maps.ndim != 3:
        raise arg_error("layer_name", layer_name, "a layer with a (height, width, channels) output",
                        f"Its output has shape {maps.shape}; pick a conv or pooling layer")
    maps = np.moveaxis(maps, -1, 0)[:max_channels]  # (channels, height, width)
    tiles = _unit_range(maps, axis=(1, 2))[..., None]
    fig = show_images(tiles, titles=[f"ch {i}" for i in range(len(tiles))], ncols=8,
                      max_images=max_channels, ax=ax)
    fig.axes[0].set_title(f"{layer_name}: first {len(tiles)} channels")
    return fig


def show_grad_cam(model, image, class_index=None, layer_name=None, class_names=None, alpha=0.4,
                  ax=None):
    """Show an image with its Grad-CAM heatmap laid over it (jet colours: red = most important).

    The title names the class explained and the model's probability for it.
    Introduced in `notebooks/05_visualizing_convnets`.

    Args:
        model, image, class_index, layer_name: as in `grad_cam`.
        class_names: optional names indexed by class.
        alpha: opacity of the heatmap, in [0, 1].
        ax: a matplotlib Axes, or None for a new figure.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: as `grad_cam`, or for `alpha` outside [0, 1].

    Example:

    >>> import numpy as np
    >>> from cnn_course.models import build_convnet
    >>> model = build_convnet((32, 32, 3), num_classes=2, filters=(8,))
    >>> fig = show_grad_cam(model, np.random.rand(32, 32, 3), class_names=["a", "b"])
    >>> fig.axes[0].get_title().split(" (")[0] in ("a", "b")
    True
    """
    import matplotlib.pyplot as plt

    from cnn_course._validation import check_fraction

    alpha = check_fraction("alpha", alpha, inclusive_high=True)
    heatmap, index, probability = _grad_cam(model, image, class_index, layer_name)
    if ax is None:
        fig, ax = plt.subplots(figsize=(3.6, 3.6))
    fig = ax.figure
    ax.imshow(_display_image(image), interpolation="nearest")
    ax.imshow(heatmap, cmap="jet", alpha=alpha, vmin=0.0, vmax=1.0, interpolation="bilinear")
    name = str(class_names[index]) if class_names is not None else f"class {index}"
    ax.set_title(f"{name} ({probability:.0%})")
    ax.set_axis_off()
    return fig
