"""explain.receptive_field against an independent reference: the input pixels where one unit's gradient is non-zero."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnn_course import architectures, models
from cnn_course.explain import receptive_field


def _linear_copy(layer):
    """The same layer with every path from input to output kept open (the reference's model)."""
    config = layer.get_config()
    if isinstance(layer, keras.layers.MaxPooling2D):
        return keras.layers.AveragePooling2D(config["pool_size"], config["strides"], config["padding"],
                                             name=config["name"])
    if isinstance(layer, (keras.layers.ReLU, keras.layers.Activation)):
        return keras.layers.Identity(name=config["name"])
    if "activation" in config:
        config["activation"] = "linear"
    return layer.__class__.from_config(config)


def _open_copy(model):
    """A copy of the model in which no path from the input to a unit can carry a zero gradient.

    Max pooling becomes average pooling, activations go, and every weight is positive: a pixel
    then has a non-zero gradient exactly when the unit depends on it (in the original model too,
    for some input).
    """
    copy = keras.models.clone_model(model, clone_function=_linear_copy)
    for weight in copy.weights:
        name = weight.path.rsplit("/", 1)[-1]
        if name in ("kernel", "depthwise_kernel", "pointwise_kernel"):
            value = np.full(weight.shape, 1.0 / np.prod(weight.shape[:-1]))
        elif name in ("gamma", "moving_variance"):
            value = np.ones(weight.shape)
        else:
            value = np.zeros(weight.shape)
        weight.assign(value.astype(weight.dtype))
    return copy


def _gradient_fields(copy, layer, units):
    """For each unit (a position of `layer`'s output, all its channels), the input pixels with a non-zero gradient.

    Returns, per unit, the first and last such pixel per axis, and the mask of those pixels.
    """
    probe = keras.Model(copy.inputs, copy.get_layer(layer).output)
    x = tf.Variable(np.ones((1, *copy.inputs[0].shape[1:]), "float32"))
    found = []
    for unit in units:
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(probe(x, training=False)[(0, *unit)])
        seen = np.abs(np.asarray(tape.gradient(y, x)))[0].sum(axis=-1) > 0
        extent = tuple((int(np.flatnonzero(seen.any(axis=other)).min()),
                        int(np.flatnonzero(seen.any(axis=other)).max())) for other in (1, 0))
        found.append((extent, seen))
    return found


def _check(model, layers, dilated=False):
    fields, copy = receptive_field(model), _open_copy(model)
    for name in layers:
        row = fields.row(name)
        out = model.get_layer(name).output.shape[1:3]
        units = [(0, 0), (out[0] // 2, out[1] // 2), (out[0] - 1, out[1] - 1)]
        for unit, (expected, seen) in zip(units, _gradient_fields(copy, name, units)):
            ours = tuple((max(first, 0), min(last, size - 1))
                         for (first, last), size in zip(row.field(unit), model.inputs[0].shape[1:3]))
            assert ours == expected, (name, unit)
            if not dilated:  # without dilation the field has no holes
                (r0, r1), (c0, c1) = expected
                assert seen.sum() == (r1 - r0 + 1) * (c1 - c0 + 1), (name, unit)
    return fields


def test_a_plain_conv_pool_stack():
    model = models.build_convnet((32, 32, 1), 3, filters=(4, 8, 8), padding="valid", dense_units=())
    fields = _check(model, ["block1_conv1", "block1_pool", "block2_conv1", "block3_pool"])
    assert fields.row("block3_pool").size == (22, 22)  # 3, 4, 8, 10, 18, 22
    assert fields.row("flatten").size is None  # every unit of Flatten sees the whole image


def test_strided_convolutions_with_same_padding_on_odd_sizes():
    model = models.build_convnet((37, 29, 3), 3, filters=(4, 8), padding="same", convs_per_block=2,
                                 downsample="stride", dense_units=())
    fields = _check(model, ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2"])
    assert fields.row("block2_conv2").jump == (4, 4)


def test_dilated_convolutions():
    model = keras.Sequential([keras.Input((40, 40, 1)),
                              keras.layers.Conv2D(2, 3, dilation_rate=2, name="d2"),
                              keras.layers.Conv2D(2, 3, dilation_rate=3, padding="same", name="d3"),
                              keras.layers.MaxPooling2D(2, name="pool"),
                              keras.layers.Conv2D(2, (3, 2), dilation_rate=(2, 1), name="d21")])
    fields = _check(model, ["d2", "d3", "pool", "d21"], dilated=True)
    assert fields.row("d3").size == (5 + 6, 5 + 6)  # a 3-tap kernel with dilation 3 spans 7 pixels


def test_vgg16_matches_its_published_field_sizes():
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(96, 96, 3))
    fields = _check(model, ["block2_pool", "block3_conv3", "block4_pool"])
    # By hand from VGG16's layer table (3x3 convolutions, 2x2 pooling); 212 at the last pooling is
    # also the figure Araujo et al. (2019, "Computing receptive fields of convolutional neural networks") give.
    published = {"block1_conv2": 5, "block2_conv2": 14, "block3_conv3": 40, "block4_conv3": 92,
                 "block5_conv3": 196, "block5_pool": 212}
    assert {name: fields.row(name).size[0] for name in published} == published


@pytest.mark.parametrize("build, layers", [
    (architectures.small_resnet, ["res1_add", "res2_add", "res3_out"]),
    (architectures.small_inception, ["inception1_concat", "pool1", "inception2_concat"]),
], ids=["resnet", "inception"])
def test_branches_that_meet_see_the_union_of_their_fields(build, layers):
    model = build((48, 48, 3), 4)
    names = {layer.name for layer in model.layers}
    assert set(layers) <= names, sorted(names)
    _check(model, layers)


def test_what_it_cannot_follow_is_named():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2DTranspose(2, 3, name="up")])
    with pytest.raises(ValueError, match=r"Conv2DTranspose layer \(up\)"):
        receptive_field(model)
    with pytest.raises(ValueError, match=r"The `model` argument must be a Keras model"):
        receptive_field("vgg16")
