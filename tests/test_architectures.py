"""The lectures' architectures: published parameter counts, Keras's own models, counts by hand, shapes, training.

References: the parameter counts published for each network (the source is
named next to each constant), `keras.applications` built with `weights=None`
where Keras has the network, and sums of `k*k*c_in*c_out + c_out` written
out by hand for the Inception modules.
"""

import cnn_course  # noqa: F401  (sets TensorFlow's flags before keras is imported)

import keras
import numpy as np
import pytest

from cnn_course import data, models, training

from cnn_course import architectures
from cnn_course.reproducibility import set_seed

#: d2l.ai, "Convolutional Neural Networks (LeNet)", the model summary of LeNet-5: 61,706.
LENET5_PARAMS = 61_706
#: torchvision.models.AlexNet_Weights.IMAGENET1K_V1.meta["num_params"].
ALEXNET_PARAMS = 61_100_840
#: keras.io/api/applications (VGG16, 138.4M) and Simonyan & Zisserman (2014), Table 2 ("138" million for D).
VGG16_PARAMS = 138_357_544
#: keras.io/api/applications (ResNet50, 25.6M); Keras's model summary gives 25,636,712.
RESNET50_PARAMS = 25_636_712
#: torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["num_params"]: no convolution biases, and
#: the batch normalizations' moving mean and variance are not counted (they are buffers in PyTorch).
TORCHVISION_RESNET50_PARAMS = 25_557_032
#: keras.io/api/applications (DenseNet121, 8.1M); Keras's model summary gives 8,062,504.
DENSENET121_PARAMS = 8_062_504
#: torchvision.models.DenseNet121_Weights.IMAGENET1K_V1.meta["num_params"]: the same network without the
#: batch normalizations' moving statistics, that is Keras's trainable parameters.
TORCHVISION_DENSENET121_PARAMS = 7_978_856


def conv(k, c_in, c_out):
    """Parameters of one k x k convolution with bias, by hand: k*k*c_in*c_out weights + c_out biases."""
    return k * k * c_in * c_out + c_out


@pytest.fixture(scope="module")
def alexnet():
    return architectures.alexnet()


@pytest.fixture(scope="module")
def vgg16():
    return architectures.vgg16()


@pytest.fixture(scope="module")
def resnet50():
    return architectures.resnet50()


def test_lenet5_count_and_shapes():
    model = architectures.lenet5()
    assert model.count_params() == LENET5_PARAMS
    by_hand = conv(5, 1, 6) + conv(5, 6, 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert by_hand == LENET5_PARAMS
    assert model.get_layer("pool2").output.shape[1:] == (5, 5, 16)
    assert model.output_shape == (None, 10)


def test_alexnet_count_and_shapes(alexnet):
    assert alexnet.count_params() == ALEXNET_PARAMS
    convs = conv(11, 3, 64) + conv(5, 64, 192) + conv(3, 192, 384) + conv(3, 384, 256) + conv(3, 256, 256)
    dense = (6 * 6 * 256 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
    assert convs + dense == ALEXNET_PARAMS
    assert alexnet.get_layer("conv1").output.shape[1:] == (55, 55, 64)
    assert alexnet.get_layer("pool3").output.shape[1:] == (6, 6, 256)
    assert alexnet.output_shape == (None, 1000)


def test_alexnet_refuses_an_input_that_does_not_end_at_6x6():
    with pytest.raises(ValueError, match="6x6"):
        architectures.alexnet((128, 128, 3))


def test_vgg16_has_the_published_parameter_count(vgg16):
    assert vgg16.count_params() == VGG16_PARAMS  # the published count (building Keras's VGG16 too adds nothing)
    assert vgg16.get_layer("block5_pool").output.shape[1:] == (7, 7, 512)
    assert vgg16.output_shape == (None, 1000)


def test_vgg16_dense_share_and_gap_head(vgg16):
    dense = sum(layer.count_params() for layer in vgg16.layers if isinstance(layer, keras.layers.Dense))
    assert dense == (25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
    assert 0.89 < dense / vgg16.count_params() < 0.90
    gap = architectures.vgg16(head="gap")
    assert gap.count_params() == VGG16_PARAMS - dense + (512 * 1000 + 1000)
    with pytest.raises(ValueError, match="head"):
        architectures.vgg16(head="dense")


@pytest.mark.parametrize("convs", [1, 2, 3])
def test_vgg_block(convs):
    x = keras.Input((16, 16, 8))
    model = keras.Model(x, architectures.vgg_block(x, 32, convs, name="b"))
    assert model.output_shape == (None, 8, 8, 32)
    assert model.count_params() == conv(3, 8, 32) + (convs - 1) * conv(3, 32, 32)


def test_inception_3a_counts_by_hand():
    """Inception (3a) of Szegedy et al. (2014), Table 1: input 28x28x192; #1x1 64, 96->128, 16->32, pool proj 32."""
    reduced = (conv(1, 192, 64) + conv(1, 192, 96) + conv(3, 96, 128)
               + conv(1, 192, 16) + conv(5, 16, 32) + conv(1, 192, 32))
    naive = conv(1, 192, 64) + conv(3, 192, 128) + conv(5, 192, 32)
    assert (reduced, naive) == (163_696, 387_296)
    counts = architectures.inception_3a_counts()
    assert counts["reduced"]["params"] == reduced
    assert counts["naive"]["params"] == naive
    assert counts["reduced"]["out_channels"] == 64 + 128 + 32 + 32
    assert counts["naive"]["out_channels"] == 64 + 128 + 32 + 192
    # Multiply-adds of one image: every weight is used once at each of the 28*28 positions.
    assert counts["reduced"]["multiply_adds"] == 28 * 28 * (reduced - (64 + 96 + 128 + 16 + 32 + 32))
    assert counts["naive"]["multiply_adds"] == 28 * 28 * (naive - (64 + 128 + 32))


def test_googlenet_inception_module_shapes():
    x = keras.Input((28, 28, 192))
    y = architectures.inception_module(x, 64, 96, 128, 16, 32, 32, name="3a")
    z = architectures.inception_module(y, 128, 128, 192, 32, 96, 64, name="3b")
    assert tuple(y.shape) == (None, 28, 28, 256)
    assert tuple(z.shape) == (None, 28, 28, 480)  # Table 1: 3b outputs 28x28x480


def test_resnet50_matches_keras(resnet50):
    reference = keras.applications.ResNet50(weights=None)
    assert resnet50.count_params() == RESNET50_PARAMS == reference.count_params()
    # The same layout: every layer has Keras's name and output shape, in the same order.
    ours = [(layer.name, tuple(layer.output.shape)) for layer in resnet50.layers[1:]]
    theirs = [(layer.name, tuple(layer.output.shape)) for layer in reference.layers[1:]]
    assert ours == theirs
    convs = [layer for layer in resnet50.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 1 + 3 * (3 + 4 + 6 + 3) + 4  # stem, 16 bottlenecks of 3, 4 projections
    # Each conv channel here has a bias and 4 batch-norm numbers; torchvision counts 2 (gamma, beta).
    channels = sum(layer.filters for layer in convs)
    assert channels == 64 + sum(n * 6 * f + 4 * f for f, n in [(64, 3), (128, 4), (256, 6), (512, 3)])
    assert RESNET50_PARAMS - 3 * channels == TORCHVISION_RESNET50_PARAMS


def test_residual_block_identity_when_shapes_match():
    x = keras.Input((16, 16, 8))
    model = keras.Model(x, architectures.residual_block(x, 8, name="r"))
    assert model.output_shape == (None, 16, 16, 8)
    assert not [layer for layer in model.layers if "shortcut" in layer.name]
    # Two 3x3 convolutions without bias, two batch normalizations (4 numbers per channel).
    assert model.count_params() == 2 * (3 * 3 * 8 * 8) + 2 * 4 * 8


@pytest.mark.parametrize("stride, filters", [(2, 8), (1, 16), (2, 16)])
def test_residual_block_projects_when_the_shape_changes(stride, filters):
    x = keras.Input((16, 16, 8))
    model = keras.Model(x, architectures.residual_block(x, filters, stride=stride, name="r"))
    assert model.output_shape == (None, 16 // stride, 16 // stride, filters)
    projection = model.get_layer("r_shortcut_conv")
    assert projection.kernel.shape == (1, 1, 8, filters) and projection.strides == (stride, stride)
    # The Add sums the projection and the main path, not the raw input.
    added = {t._keras_history.operation.name for t in model.get_layer("r_add").input}
    assert added == {"r_shortcut_bn", "r_2_bn"}


def test_residual_block_without_batchnorm_has_biases():
    x = keras.Input((8, 8, 4))
    model = keras.Model(x, architectures.residual_block(x, 4, batchnorm=False, name="r"))
    assert model.count_params() == 2 * conv(3, 4, 4)
    assert not [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


def test_densenet121_has_the_published_parameter_counts():
    model = architectures.densenet121()
    assert model.count_params() == DENSENET121_PARAMS
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == TORCHVISION_DENSENET121_PARAMS
    # 1 + 2 * (6 + 12 + 24 + 16) + 3 + 1 = 121 weight layers.
    weighted = [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    assert len(weighted) == 121
    assert model.output_shape == (None, 1000)


def test_dense_block_grows_by_the_growth_rate_and_counts_by_hand():
    x = keras.Input((16, 16, 24))
    block = keras.Model(x, architectures.dense_block(x, num_layers=4, growth_rate=12, name="d"))
    concatenations = [layer for layer in block.layers if isinstance(layer, keras.layers.Concatenate)]
    assert [int(layer.output.shape[-1]) for layer in concatenations] == [36, 48, 60, 72]
    expected = 0
    for i in range(4):  # by hand: BN (4 numbers per channel), 1x1 conv to 48 (no bias), BN, 3x3 conv to 12
        channels = 24 + 12 * i
        expected += 4 * channels + channels * 48 + 4 * 48 + 9 * 48 * 12
    assert block.count_params() == expected
    plain = keras.Model(x, architectures.dense_block(x, num_layers=2, growth_rate=8, bottleneck=False, name="p"))
    assert plain.count_params() == (4 * 24 + 9 * 24 * 8) + (4 * 32 + 9 * 32 * 8)
    with pytest.raises(ValueError, match="growth_rate"):
        architectures.dense_block(x, num_layers=2, growth_rate=0)


def test_transition_block_halves_channels_and_size():
    x = keras.Input((16, 16, 72))
    assert tuple(architectures.transition_block(x, name="t").shape) == (None, 8, 8, 36)
    assert tuple(architectures.transition_block(x, compression=1.0, name="u").shape) == (None, 8, 8, 72)
    with pytest.raises(ValueError, match="compression"):
        architectures.transition_block(x, compression=0)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_lenet5_activations_change_no_weight(activation):
    model = architectures.lenet5(activation=activation, pooling="max" if activation == "relu" else "average")
    assert model.count_params() == LENET5_PARAMS
    assert model.get_layer("conv1").activation is keras.activations.get(activation)
    assert model.get_layer("dense2").activation is keras.activations.get(activation)
    pools = (keras.layers.MaxPooling2D if activation == "relu" else keras.layers.AveragePooling2D,)
    assert isinstance(model.get_layer("pool1"), pools)
    with pytest.raises(ValueError, match="activation"):
        architectures.lenet5(activation="softplus")


def test_deep_stacks_with_batchnorm():
    plain = architectures.deep_plain_stack(depth=6, batchnorm=True)
    residual = architectures.deep_residual_stack(depth=6, batchnorm=True)
    assert (plain.name, residual.name) == ("plain_6_bn", "residual_6_bn")
    # By hand: 7 convolutions without bias, each followed by a batch normalization (4 numbers per channel).
    expected = 9 * 1 * 16 + 6 * 9 * 16 * 16 + 7 * 4 * 16 + 16 * 10 + 10
    assert plain.count_params() == residual.count_params() == expected
    convolutions = [layer for layer in plain.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convolutions) == 7 and not any(layer.use_bias for layer in convolutions)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in plain.layers) == 7


def test_bottleneck_block_shapes():
    x = keras.Input((14, 14, 256))
    y = architectures.bottleneck_block(x, 64, name="b")
    assert tuple(y.shape) == (None, 14, 14, 256)
    model = keras.Model(x, y)
    assert "b_0_conv" not in [layer.name for layer in model.layers]  # identity shortcut
    z = architectures.bottleneck_block(x, 128, stride=2, name="c")
    assert tuple(z.shape) == (None, 7, 7, 512)


@pytest.mark.parametrize("build", [architectures.small_lenet, architectures.small_vgg,
                                   architectures.small_inception, architectures.small_resnet])
def test_small_versions_for_the_shapes(build):
    model = build()
    assert model.input_shape == (None, 64, 64, 3)
    assert model.output_shape == (None, 4)
    assert 10_000 < model.count_params() < 500_000


def test_deep_stacks_have_the_same_layers():
    plain = architectures.deep_plain_stack(depth=6)
    residual = architectures.deep_residual_stack(depth=6)
    assert plain.count_params() == residual.count_params() == conv(3, 1, 16) + 6 * conv(3, 16, 16) + 16 * 10 + 10
    # The same layers, in the same order, with the same names: the residual stack only adds the Adds.
    assert [layer.name for layer in residual.layers if not layer.name.endswith("_add")] == [
        layer.name for layer in plain.layers]
    assert sum(isinstance(layer, keras.layers.Add) for layer in residual.layers) == 3
    assert plain.output_shape == residual.output_shape == (None, 10)
    with pytest.raises(ValueError, match="depth"):
        architectures.deep_residual_stack(depth=5)


def test_plain_stack_signal_fades_and_residual_stack_keeps_it():
    """At initialisation (Keras's default Glorot), 30 ReLU convolutions shrink the plain stack's signal."""
    images = np.random.default_rng(0).random((32, 28, 28, 1), dtype="float32")
    spread = {}
    for build in (architectures.deep_plain_stack, architectures.deep_residual_stack):
        set_seed(0)
        model = build(depth=30)
        probe = keras.Model(model.input, [model.get_layer("stem").output, model.get_layer("pair15_out").output])
        first, last = probe.predict(images, verbose=0)
        spread[model.name] = np.std(last) / np.std(first)
    assert spread["plain_30"] < 1e-3  # measured 4e-6 to 2e-5 (seeds 0-2)
    assert spread["residual_30"] > 1  # measured 4 to 8


def stripes(n=64, size=16):
    """Two classes a global-average-pooling network can tell apart: horizontal vs vertical stripes, on noise."""
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    profile = (np.arange(size) // 2) % 2 * 120  # stripes two pixels wide
    x = rng.integers(0, 100, (n, size, size, 1))
    x[y == 0] += profile[None, :, None, None]  # varies down the rows: horizontal stripes
    x[y == 1] += profile[None, None, :, None]  # varies along the columns: vertical stripes
    return x.astype("uint8"), y


@pytest.mark.trains
def test_small_residual_stack_lowers_its_loss():
    x, y = stripes()
    set_seed(0)
    model = architectures.deep_residual_stack(depth=4, filters=16, input_shape=(16, 16, 1), num_classes=2)
    models.compile_for_task(model, "multiclass", learning_rate=3e-3)
    dataset = data.make_dataset(x, y, batch_size=16, shuffle=True, seed=0)
    before = model.evaluate(dataset, verbose=0)[0]
    history = training.fit(model, dataset, epochs=5, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    # Measured: from about 0.70 to below 0.01 (seeds 0-2, oneDNN on and off).
    assert history.history["loss"][-1] < 0.2 * before


def test_lenet5_in_plain_code_is_the_builders_preset():
    # Two independent writings of one network: functional code here, build_convnet in models.
    assert models.compare_layers(architectures.lenet5(), models.lenet5()) == []


def test_small_lenet_is_lenet5_at_64x64():
    small = architectures.small_lenet()
    assert small.name == "small_lenet"
    assert models.compare_layers(small, architectures.lenet5((64, 64, 3), 4)) == []


def test_small_architectures_are_found_in_architectures_and_nothing_else_is_invented():
    from cnn_course.architectures import _small as small_architectures
    assert architectures.small_resnet is small_architectures.small_resnet
    assert set(architectures.SMALL_ARCHITECTURES) <= set(dir(architectures))
    with pytest.raises(AttributeError, match="no attribute 'small_alexnet'"):
        architectures.small_alexnet  # noqa: B018
