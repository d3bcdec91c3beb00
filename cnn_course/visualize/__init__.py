"""Looking inside a convnet: learned filters, intermediate activations and Grad-CAM class heatmaps."""

import numbers

import numpy as np

from cnn_course._validation import arg_error, check_positive_int
from cnn_course.visualize._probe import activations, conv_layer_names  # noqa: F401  (visualize.*, as before)
from cnn_course.visualize._probe import (
    as_batch, check_replay, conv_classes, find_conv_layer, find_grad_cam_layer, is_functional, sublayers, trace, walk,
)
from cnn_course.settings import import_keras, import_tensorflow_quietly

#: The names of the course's API here (what `from cnn_course.visualize import *` takes, and what the
#: README's package map lists); the rest is internal.
__all__ = [
    "activations",
    "conv_layer_names",
    "grad_cam",
    "heatmap_mass_inside",
    "show_activations",
    "show_filters",
    "show_grad_cam",
]


# ---------------------------------------------------------------------------
# Grad-CAM
# ---------------------------------------------------------------------------


def _logit_head(model):
    """The last layer if it is a Dense with softmax, sigmoid or no activation, else None."""
    keras = import_keras()

    last = sublayers(model)[-1] if sublayers(model) else None
    if isinstance(last, keras.layers.Dense):
        name = getattr(last.activation, "__name__", "")
        if name in ("softmax", "sigmoid", "linear"):
            return last, name
    return None, None


def _grad_cam(model, image, class_index=None, layer_name=None):
    """Grad-CAM heatmap with the class explained and its probability."""
    tf = import_tensorflow_quietly()

    target = find_grad_cam_layer(model, layer_name)
    x = as_batch(image)
    head, activation = _logit_head(model)
    with tf.GradientTape() as tape:
        found, h = trace(model, x, [target], stop_before_last=head is not None)
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
    if not (is_functional(model) and any(target is layer for layer in sublayers(model))):
        check_replay(model, x, probs)
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
    al., 2017). Introduced in `notebooks/05_what_convnets_learn`.

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
    image area. Introduced in `notebooks/05_what_convnets_learn`.

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
    image = as_batch(image)[0]
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
    edge and colour detectors. Introduced in `notebooks/05_what_convnets_learn`.

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
    if isinstance(model_or_layer, conv_classes()) and not sublayers(model_or_layer):
        layer = model_or_layer
    elif layer_name is None:  # the first conv layer: its filters look at pixels
        find_conv_layer(model_or_layer, None)  # raises when there is none
        layer = next(found for found in walk(model_or_layer) if isinstance(found, conv_classes()))
    else:
        layer = find_conv_layer(model_or_layer, layer_name)
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
    `notebooks/05_what_convnets_learn`.

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
    Introduced in `notebooks/05_what_convnets_learn`.

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
