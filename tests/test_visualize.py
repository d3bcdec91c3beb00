"""Visualisation: activations and Grad-CAM against references computed here, heatmaps on the shape, plots."""

import matplotlib

matplotlib.use("Agg")

import cnn_course  # noqa: F401  (before keras: sets TensorFlow's start-up flags)
import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf

from cnn_course import augmentation, models, visualize

from cnn_course import shapes
from cnn_course.reproducibility import set_seed

#: One worker runs this file's tests when the suite runs in parallel: the model the Grad-CAM tests
#: train is made once (a module fixture).
pytestmark = pytest.mark.xdist_group("visualize")

SIZE = 48


def _reference_grad_cam(layers, image, layer_name, class_index=None):
    """Grad-CAM computed here (Selvaraju et al., 2017) for a chain of layers ending in a softmax Dense:
    the gradient of the class's logit with respect to the named layer's output, averaged per channel;
    ReLU of the weighted sum of the channels; bilinear resize to the image; divided by its maximum.
    `class_index` None: the class with the largest logit."""
    *body, output = layers
    x = tf.constant(np.asarray(image, "float32")[None])
    size = x.shape[1:3]
    with tf.GradientTape() as tape:
        for layer in body:
            x = layer(x, training=False)
            if layer.name == layer_name:
                feature_map = x
                tape.watch(feature_map)
        logits = tf.matmul(x, output.kernel) + output.bias
        k = int(tf.argmax(logits[0])) if class_index is None else class_index
        score = logits[0, k]
    grads = tape.gradient(score, feature_map)
    cam = tf.nn.relu(tf.reduce_sum(feature_map[0] * tf.reduce_mean(grads, axis=(0, 1, 2)), axis=-1))
    cam = tf.image.resize(cam[..., None], size, method="bilinear")[..., 0].numpy()
    return cam / cam.max() if cam.max() > 0 else cam


def _mosaic(fig):
    """The grid image a plot helper drew into its figure."""
    return np.asarray(fig.axes[0].images[0].get_array())


def _unit(array, axis):
    """Min-max scaled to [0, 1] over `axis`, slice by slice (a constant slice becomes 0)."""
    low, high = array.min(axis=axis, keepdims=True), array.max(axis=axis, keepdims=True)
    return np.where(high > low, (array - low) / np.where(high > low, high - low, 1.0), 0.0)


# Session scope: trained once in the worker that runs this group (tests/test_suite_setup.py checks that
# the group stays on one worker), even if that worker runs other modules' tests in between.
@pytest.fixture(scope="session")
def trained():
    """A small convnet trained on cluttered shapes (about 14 s, ~67% held-out accuracy).

    A trained network depends on the CPU's rounding, so the tests below assert bands that
    hold for every network this recipe makes: measured with seeds 0-4 and oneDNN on and off
    (the figures in the comments are the range over those six networks).

    Returns the functional model, a Sequential model sharing its layers (so the
    same weights), and held-out images, labels and boxes.
    """
    set_seed(0)
    images, labels, _ = shapes.make_shapes_arrays(200, image_size=SIZE, seed=0, clutter=True)
    test_images, test_labels, test_boxes = shapes.make_shapes_arrays(
        25, image_size=SIZE, seed=0, clutter=True, split="test")
    functional = models.compile_for_task(
        models.build_convnet((SIZE, SIZE, 3), 4, filters=(16, 32, 64), padding="same",
                             dense_units=(32,)))
    functional.fit(images / 255.0, labels, epochs=25, batch_size=16, verbose=0)
    sequential = keras.Sequential([keras.Input((SIZE, SIZE, 3))] + functional.layers[1:])
    yield functional, sequential, test_images / 255.0, test_labels, test_boxes
    plt.close("all")


@pytest.mark.trains
def test_grad_cam_heatmap_sits_on_the_shape_for_sequential_and_functional(trained):
    functional, sequential, images, labels, boxes = trained
    predicted = functional.predict(images, verbose=0).argmax(axis=1)
    correct = np.flatnonzero(predicted == labels)
    assert len(correct) >= 0.5 * len(labels)  # measured 63-75% (chance is 25%)
    inside, area, salient, peak = [], [], [], []
    for i in correct:
        heatmap = visualize.grad_cam(functional, images[i])
        assert heatmap.shape == (SIZE, SIZE)
        assert heatmap.min() >= 0.0 and heatmap.max() == pytest.approx(1.0)
        # The Sequential model runs the layer-by-layer path, the functional one a
        # multi-output keras.Model: same weights, so the same heatmap.
        np.testing.assert_allclose(visualize.grad_cam(sequential, images[i]), heatmap, atol=1e-4)
        inside.append(visualize.heatmap_mass_inside(heatmap, boxes[i]))
        x0, y0, x1, y1 = boxes[i]
        area.append((x1 - x0) * (y1 - y0) / SIZE**2)
        # The salient part of the heatmap (at least half its peak), and where the peak is.
        salient.append(visualize.heatmap_mass_inside(np.where(heatmap >= 0.5, heatmap, 0.0), boxes[i]))
        row, col = np.unravel_index(np.argmax(heatmap), heatmap.shape)
        peak.append(x0 <= col < x1 and y0 <= row < y1)
    inside, area = np.array(inside), np.array(area)
    # Measured: at least half of the salient mass is inside the box (0.60-0.75), and the
    # peak lies inside it for 60-76% of the images, where a peak placed at random would
    # fall inside for about 25% (the boxes' share of the image).
    assert np.mean(salient) >= 0.5
    assert np.mean(peak) >= 0.5
    # Measured: mass inside 0.48-0.52 on average against a box area of 0.25, and 82-100%
    # of the images above their box's share.
    assert inside.mean() >= 0.4
    assert inside.mean() - area.mean() >= 0.15
    assert np.mean(inside > area) >= 0.7


@pytest.mark.trains
def test_grad_cam_explains_the_class_asked_for(trained):
    functional, _, images, _, _ = trained
    maps = [visualize.grad_cam(functional, images[0], class_index=k) for k in range(4)]
    assert not all(np.allclose(maps[0], m) for m in maps[1:])
    # Each map is Grad-CAM of the last conv layer for that class, computed independently.
    for k, heatmap in enumerate(maps):
        expected = _reference_grad_cam(functional.layers[1:], images[0], "block3_conv1", k)
        np.testing.assert_allclose(heatmap, expected, atol=1e-4, err_msg=f"class {k}")
    with pytest.raises(ValueError, match="class_index"):
        visualize.grad_cam(functional, images[0], class_index=4)


@pytest.mark.trains
def test_wrong_layer_name_lists_the_conv_layers(trained):
    functional, sequential, images, _, _ = trained
    for model in (functional, sequential):
        with pytest.raises(ValueError, match="block1_conv1.*block2_conv1.*block3_conv1"):
            visualize.grad_cam(model, images[0], layer_name="dense1")
    with pytest.raises(ValueError, match="block3_conv1"):
        visualize.show_filters(functional, "nope")


@pytest.mark.trains
def test_grad_cam_on_an_earlier_layer_matches_the_formula_computed_here(trained):
    # An independent Grad-CAM of block1_conv1 for the predicted class: the gradient of its logit
    # with respect to the feature map, averaged per channel; ReLU of the weighted sum of the
    # channels; bilinear resize to the image; divided by its maximum (Selvaraju et al., 2017).
    functional, sequential, images, _, _ = trained
    expected = _reference_grad_cam(functional.layers[1:], images[1], "block1_conv1")
    assert expected.max() == 1.0
    heatmap = visualize.grad_cam(sequential, images[1], layer_name="block1_conv1")
    np.testing.assert_allclose(heatmap, expected, atol=1e-4)
    assert not np.allclose(heatmap, visualize.grad_cam(sequential, images[1]), atol=0.05)  # not the default layer


def _small_model(kind, augment):
    conv = [keras.layers.Conv2D(4, 3, activation="relu", name="conv_a"),
            keras.layers.MaxPooling2D(2, name="pool_a"),
            keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_b"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(3, activation="softmax", name="output")]
    aug = [augmentation.make_augmentation(rotation_range=20, horizontal_flip=True, seed=0)] if augment else []
    if kind == "sequential":
        return keras.Sequential([keras.Input((16, 16, 3))] + aug + conv)
    if kind == "sequential_unbuilt":
        return keras.Sequential(aug + conv)
    x = inputs = keras.Input((16, 16, 3))
    for layer in aug + conv:
        x = layer(x)
    return keras.Model(inputs, x)


@pytest.mark.parametrize("augment", [False, True])
@pytest.mark.parametrize("kind", ["functional", "sequential", "sequential_unbuilt"])
def test_activations_have_the_layers_output_shapes(kind, augment):
    set_seed(0)
    model = _small_model(kind, augment)
    image = np.random.default_rng(0).random((16, 16, 3)).astype("float32")
    maps = visualize.activations(model, image)
    assert list(maps) == ["conv_a", "pool_a", "conv_b"]
    for name, array in maps.items():
        assert array.shape == tuple(model.get_layer(name).output.shape[1:])
    # Augmentation is off at inference: the first conv output is the plain convolution.
    expected = model.get_layer("conv_a")(image[None])[0]
    np.testing.assert_allclose(maps["conv_a"], expected, atol=1e-5)
    chosen = visualize.activations(model, image, ["flatten", "output"])
    assert chosen["output"].shape == (3,)
    # (calling a model with augmentation needs training=False: Keras 3 random layers default to on)
    np.testing.assert_allclose(chosen["output"], model(image[None], training=False)[0], atol=1e-5)
    # Grad-CAM of the last conv layer, whichever way the model was built (the reference runs the
    # same layers without the augmentation, which is off at inference).
    chain = [model.get_layer(name) for name in ("conv_a", "pool_a", "conv_b", "flatten", "output")]
    np.testing.assert_allclose(visualize.grad_cam(model, image), _reference_grad_cam(chain, image, "conv_b"),
                               atol=1e-4)


def test_activations_finds_layers_inside_a_nested_model():
    set_seed(0)
    base = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3, name="inner_conv"),
                             keras.layers.MaxPooling2D(2, name="inner_pool")], name="base")
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Flatten()(base(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    image = np.random.default_rng(1).random((16, 16, 3)).astype("float32")
    maps = visualize.activations(model, image)
    assert {k: v.shape for k, v in maps.items()} == {"inner_conv": (14, 14, 4), "inner_pool": (7, 7, 4)}
    # The values: the inner convolution of this image, and its 2x2 maximum (NumPy).
    conv = np.asarray(base.get_layer("inner_conv")(image[None]))[0]
    np.testing.assert_allclose(maps["inner_conv"], conv, atol=1e-5)
    np.testing.assert_allclose(maps["inner_pool"], conv.reshape(7, 2, 7, 2, 4).max(axis=(1, 3)), atol=1e-5)
    # Grad-CAM of the inner conv layer, computed here through the nested model's layers.
    chain = [base.get_layer("inner_conv"), base.get_layer("inner_pool"), *model.layers[2:]]  # Flatten, Dense
    reference = _reference_grad_cam(chain, image, "inner_conv")
    assert reference.max() == 1.0
    np.testing.assert_allclose(visualize.grad_cam(model, image), reference, atol=1e-4)
    with pytest.raises(ValueError, match="inner_conv"):
        visualize.grad_cam(model, image, layer_name="flatten")


def test_unknown_layer_in_activations_lists_the_layers():
    model = _small_model("functional", False)
    with pytest.raises(ValueError, match="conv_a"):
        visualize.activations(model, np.zeros((16, 16, 3)), ["nope"])


def test_heatmap_mass_inside_against_hand_counts():
    heatmap = np.zeros((6, 8))
    heatmap[2:4, 1:5] = 1.0  # 8 units of mass
    heatmap[0, 7] = 8.0
    assert visualize.heatmap_mass_inside(heatmap, (1, 2, 5, 4)) == pytest.approx(0.5)
    assert visualize.heatmap_mass_inside(heatmap, (0, 0, 8, 6)) == pytest.approx(1.0)
    assert visualize.heatmap_mass_inside(np.zeros((4, 4)), (0, 0, 2, 2)) == 0.0
    with pytest.raises(ValueError, match="bbox"):
        visualize.heatmap_mass_inside(heatmap, (5, 0, 1, 4))


@pytest.mark.trains
def test_plots_show_the_filters_activations_and_heatmap(trained):
    from cnn_course import plots

    functional, sequential, images, _, _ = trained
    # The first layer's 16 filters, each scaled to [0, 1] on its own, in colour (3 input channels).
    fig = visualize.show_filters(functional)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert "block1_conv1" in fig.axes[0].get_title()
    kernel = np.moveaxis(functional.get_layer("block1_conv1").kernel.numpy(), -1, 0)  # (16, 3, 3, 3)
    np.testing.assert_allclose(_mosaic(fig), _mosaic(plots.show_images(_unit(kernel, (1, 2, 3)), ncols=8)),
                               atol=1e-6)
    # Deeper filters: the first 8, as their mean over the 16 input channels, in grey.
    fig = visualize.show_filters(functional.get_layer("block2_conv1"), max_filters=8)
    kernel = np.moveaxis(functional.get_layer("block2_conv1").kernel.numpy(), -1, 0)[:8].mean(axis=-1)
    np.testing.assert_allclose(_mosaic(fig), _mosaic(plots.show_images(_unit(kernel, (1, 2)), ncols=8)),
                               atol=1e-6)
    # The first 8 channels of block2_conv1's output for this image, each scaled on its own.
    fig = visualize.show_activations(sequential, images[0], "block2_conv1", max_channels=8)
    probe = keras.Model(functional.input, functional.get_layer("block2_conv1").output)
    channels = np.moveaxis(np.asarray(probe(images[:1]))[0], -1, 0)[:8]  # (8, 24, 24)
    np.testing.assert_allclose(_mosaic(fig), _mosaic(plots.show_images(_unit(channels, (1, 2)), ncols=8)),
                               atol=1e-6)
    # The heatmap over the image, titled with the predicted class and its probability.
    _, ax = plt.subplots()
    fig = visualize.show_grad_cam(sequential, images[0], class_names=shapes.DEFAULT_CLASSES, ax=ax)
    assert fig is ax.figure
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), images[0], atol=1e-6)
    np.testing.assert_allclose(np.asarray(ax.images[1].get_array()),
                               _reference_grad_cam(functional.layers[1:], images[0], "block3_conv1"), atol=1e-4)
    probabilities = functional.predict(images[:1], verbose=0)[0]
    predicted = int(np.argmax(probabilities))
    assert ax.get_title() == f"{shapes.DEFAULT_CLASSES[predicted]} ({probabilities[predicted]:.0%})"
    plt.close("all")


def test_grad_cam_explains_the_activation_after_batch_normalization():
    # Conv2D -> BatchNormalization -> Activation: the block's feature map is the activation's output.
    set_seed(0)
    model = models.shapes_convnet((32, 32, 3), 4)
    # Statistics as after training, so that each batch normalization really changes its input
    # (fresh ones are almost the identity in inference mode).
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 2.0, n), rng.normal(0.0, 0.5, n), rng.normal(0.0, 0.5, n),
                               rng.uniform(0.5, 2.0, n)])
    image = np.random.default_rng(0).random((32, 32, 3))
    default = visualize.grad_cam(model, image)
    np.testing.assert_allclose(default, visualize.grad_cam(model, image, layer_name="block3_act1"))
    assert not np.allclose(default, visualize.grad_cam(model, image, layer_name="block3_conv1"))
    # The default (block3_act1) and a batch-normalization layer, against Grad-CAM computed here.
    np.testing.assert_allclose(default, _reference_grad_cam(model.layers[1:], image, "block3_act1"), atol=1e-4)
    batchnorm = visualize.grad_cam(model, image, layer_name="block2_bn1")
    np.testing.assert_allclose(batchnorm, _reference_grad_cam(model.layers[1:], image, "block2_bn1"), atol=1e-4)
    assert not np.allclose(batchnorm, visualize.grad_cam(model, image, layer_name="block2_conv1"), atol=0.05)
    listed = "block1_conv1', 'block1_bn1', 'block1_act1', 'block2_conv1', .*'block3_act1'"
    with pytest.raises(ValueError, match=rf"Received: layer_name='block2_pool'.*{listed}"):
        visualize.grad_cam(model, image, layer_name="block2_pool")
