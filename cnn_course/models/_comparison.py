"""What differs between two models, layer by layer: a network written by hand against a builder's."""

from cnn_course._validation import arg_error
from cnn_course.settings import import_keras

#: The configuration entries `compare_layers` compares: those that change what a layer computes.
COMPARED_CONFIG = ("filters", "kernel_size", "strides", "padding", "activation", "units", "pool_size",
                   "rate", "use_bias")


def compare_layers(model_a, model_b):
    """How two models differ, layer by layer, ignoring layer names: `[]` when they are the same network.

    Compares each layer's type, `COMPARED_CONFIG` entries, output shape and
    parameter count, position by position, skipping `InputLayer` (which
    `keras.Sequential` does not list). Shows that a model written by hand is
    the one a builder makes.

    Args:
        model_a, model_b: built Keras models (functional or `keras.Sequential`).

    Returns:
        A list of readable differences, e.g. `"layer 1 (Conv2D 'conv2d' vs
        'block1_conv1'): kernel_size (5, 5) vs (3, 3)"`; empty if none.

    Raises:
        ValueError: if either is not a built Keras model.

    Example:

    >>> import keras
    >>> from cnn_course.models._presets import keras_io_mnist_convnet
    >>> by_hand = keras.Sequential([
    ...     keras.Input((28, 28, 1)),
    ...     keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
    ...     keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(2),
    ...     keras.layers.Flatten(), keras.layers.Dropout(0.5), keras.layers.Dense(10, activation="softmax"),
    ... ])
    >>> compare_layers(by_hand, keras_io_mnist_convnet())
    []
    """
    rows_a, rows_b = _layer_rows(model_a, "model_a"), _layer_rows(model_b, "model_b")
    if len(rows_a) != len(rows_b):
        return [f"model_a has {len(rows_a)} layers and model_b has {len(rows_b)} (InputLayer not counted): "
                f"{[row['type'] for _, row in rows_a]} vs {[row['type'] for _, row in rows_b]}"]
    differences = []
    for position, ((name_a, a), (name_b, b)) in enumerate(zip(rows_a, rows_b), start=1):
        where = f"layer {position} ({a['type']} {name_a!r} vs {name_b!r})"
        if a["type"] != b["type"]:
            differences.append(f"layer {position} ({name_a!r} vs {name_b!r}): "
                               f"type {a['type']} vs {b['type']}")
            continue
        differences += [f"{where}: {key} {a[key]!r} vs {b[key]!r}" for key in a if a[key] != b[key]]
    return differences


def _layer_rows(model, arg):
    """`(name, {type, compared config, output shape, parameters})` for each layer but the InputLayer."""
    keras = import_keras()

    if not isinstance(model, keras.Model) or not model.built:
        raise arg_error(arg, model, "a built Keras model",
                        "Start it with keras.Input(shape=...) or call model.build(input_shape) first")
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        config = layer.get_config()
        row = {"type": type(layer).__name__}
        row.update({key: config[key] for key in COMPARED_CONFIG if key in config})
        row["output shape"] = tuple(layer.output.shape)
        row["parameters"] = layer.count_params()
        rows.append((layer.name, row))
    return rows
