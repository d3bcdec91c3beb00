"""Public checks of assignment a5_architectures_and_regularisation (generated from assignments/a5_architectures_and_regularisation/a5_architectures_and_regularisation.py by
`python tools/sync_assignments.py`: do not edit by hand)."""

NAME = 'a5_architectures_and_regularisation'
VERSION = '8ebb80bc3241'
QUESTIONS = {"q1": {"public": 2, "hidden": 2, "hidden_checks": ["field_width on other stacks of kernels and strides, against Keras's own stack (1)", "Your width for the table's stack, by hand (rf_by_hand) (1)"]}, "q2": {"public": 1, "hidden": 3, "hidden_checks": ["The parameters of the 1x1 convolution, 256 to 64 channels (params_1x1) (1)", "inception_params on other modules, with the reductions, against Keras (1)", "inception_params on other modules, without the reductions (reduce=False), against Keras (1)"]}, "q3": {"public": 2, "hidden": 3, "hidden_checks": ["The block computes relu(x + F(x)), with F the two convolutions, on inputs you never see (1)", "The residual stack trains: its training loss ends low, where the plain stack's does not (1)", "Accuracy of the trained residual stack on test digits (1)"]}, "q4": {"public": 2, "hidden": 2, "hidden_checks": ["batchnorm_inference on other inputs and weights, against Keras's layer (1)", "Dropout at test time, and the scale of a kept value at training time (1)"]}, "q5": {"public": 2, "hidden": 1, "hidden_checks": ["With weight decay, the trained kernels are clearly smaller (1)"]}, "q6": {"public": 2, "hidden": 1, "hidden_checks": ["`stop_model` holds the weights of its best epoch (1)"]}}

# Helpers of the checks below (a name that starts with `_` is not a check).
#
# These public checks ship inside the cnn_course package, where students can read
# them: they compare your answers with Keras itself, run in the grader, rather than
# with numbers written here.
import numbers

import numpy as np

from cnn_course import datasets, explain, settings
from cnn_course.checks import public

#: Seconds the grader gives one submission: about 6 times the reference's time top to bottom on a
#: 2-core laptop CPU.
TIME_LIMIT_SECONDS = 300
#: The given code's settings, in each mode (the checks compare the student's run with them).
_STACK_EPOCHS = {"default": 6, "quick": 2}
_MAX_EPOCHS = 60
_PATIENCE = 5
_DEPTH = 20
_WEIGHT_DECAY = 3e-3
#: Question 1's stack, as (kernel, stride) pairs: two 3x3 convolutions, a 2x2 max pooling, two more
#: 3x3 convolutions, the last with stride 2.
_STACK = [(3, 1), (3, 1), (2, 2), (3, 1), (3, 2)]
_STACK_KINDS = ["Conv2D", "Conv2D", "MaxPooling2D", "Conv2D", "Conv2D"]
#: Question 4's given numbers: 4 examples of 3 features, and the layer's weights.
_BN_INPUT = np.array([[1.0, 2.0, 0.0], [3.0, 6.0, 4.0], [5.0, 4.0, 2.0], [7.0, 0.0, 6.0]])
_BN_WEIGHTS = {"gamma": [1.0, 2.0, 0.5], "beta": [0.0, 1.0, -1.0], "moving_mean": [2.0, 2.0, 2.0],
               "moving_variance": [4.0, 1.0, 9.0]}
_BN_MOMENTUM, _BN_EPSILON = 0.9, 1e-3


def _mode():
    return "quick" if settings.quick_mode() else "default"


def _keras():
    return settings.import_keras()


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _as_array(value, name, shape):
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        raise AssertionError(f"`{name}` should be an array of numbers; it is {type(value).__name__}") from None
    assert array.shape == shape, f"`{name}` has shape {array.shape}; expected {shape}"
    return array


def _assert_model(model, name):
    assert isinstance(model, _keras().Model), (
        f"`{name}` is a {type(model).__name__}, not a Keras model: run the cell that builds it")


def _layers_of(model, kind):
    return [layer for layer in model.layers if type(layer).__name__ == kind]


def _width_from_keras(pairs):
    """The receptive field width of a stack of (kernel, stride) pairs, as explain.receptive_field finds it."""
    keras = _keras()
    layers = [keras.layers.Conv2D(1, k, strides=s, padding="same") for k, s in pairs]
    model = keras.Sequential([keras.Input((256, 256, 1)), *layers])
    return int(explain.receptive_field(model).rows[-1].size[1])


def _conv(k, filters, name=None):
    return _keras().layers.Conv2D(filters, k, padding="same", name=name)


def _inception_keras(in_channels, f1, f3_reduce, f3, f5_reduce, f5, pool_proj, reduce=True):
    """An Inception module in Keras (four branches, concatenated); reduce=False: the naive one, no 1x1 at all."""
    keras = _keras()
    inputs = keras.Input((8, 8, in_channels))
    x3 = _conv(1, f3_reduce)(inputs) if reduce else inputs
    x5 = _conv(1, f5_reduce)(inputs) if reduce else inputs
    pooled = keras.layers.MaxPooling2D(3, strides=1, padding="same")(inputs)
    branches = [_conv(1, f1)(inputs), _conv(3, f3)(x3), _conv(5, f5)(x5),
                _conv(1, pool_proj)(pooled) if reduce else pooled]
    return keras.Model(inputs, keras.layers.Concatenate()(branches))


def _call_int(function, *args, **kwargs):
    value = function(*args, **kwargs)
    assert _is_int(value), f"it returned {value!r}, not a whole number"
    return int(value)


def _kernel_norm(model):
    """The L2 norm of every kernel of the model together (biases, gammas and betas left out)."""
    squares = [np.sum(np.square(np.asarray(w))) for layer in model.layers for w in layer.weights
               if w.name == "kernel" or w.path.endswith("/kernel")]
    return float(np.sqrt(np.sum(squares)))


def _digits(split):
    part = datasets.load_digits()[split]  # the same call and split as the data cell
    return part.images.astype("float32") / 255.0, part.labels


def _loss_on(model, split):
    images, labels = _digits(split)
    probabilities = np.asarray(model(images, training=False), dtype="float64")
    return float(np.mean(-np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0))))

@public("q1", points=1)
def field_width_of_known_stacks(field_width):
    """field_width on the lecture's stacks of 3x3 convolutions and on a pooling"""
    for pairs, why in (([(3, 1)], "one 3x3 convolution"), ([(3, 1), (3, 1)], "two 3x3 convolutions"),
                       ([(3, 1), (3, 1), (3, 1)], "three 3x3 convolutions"),
                       ([(2, 2), (3, 1)], "a 2x2 pooling, then a 3x3 convolution")):
        try:
            got = _call_int(field_width, [tuple(p) for p in pairs])
        except AssertionError as error:
            raise AssertionError(f"field_width({pairs}): {error}") from None
        assert got == _width_from_keras(pairs), (
            f"field_width({pairs}) is {got}, not the width one unit sees through {why}: grow the width by "
            "(kernel - 1) * jump at each layer, then multiply the jump by the stride")


@public("q1", points=1)
def rf_model_and_helper(rf_model, rf_from_helper):
    """`rf_model` is the table's stack, and `rf_from_helper` is what explain.receptive_field reads from it"""
    _assert_model(rf_model, "rf_model")
    layers = [layer for layer in rf_model.layers if not isinstance(layer, _keras().layers.InputLayer)]
    kinds = [type(layer).__name__ for layer in layers]
    assert kinds == _STACK_KINDS, f"`rf_model` has the layers {kinds}; the table has {_STACK_KINDS}"
    for position, (layer, (kernel, stride)) in enumerate(zip(layers, _STACK), 1):
        size = tuple(getattr(layer, "kernel_size", None) or layer.pool_size)
        assert size == (kernel, kernel) and tuple(layer.strides) == (stride, stride), (
            f"layer {position} has a {size} window with strides {tuple(layer.strides)}; the table asks for "
            f"{kernel}x{kernel} with stride {stride}")
    assert _is_int(rf_from_helper), f"`rf_from_helper` should be a whole number; it is {rf_from_helper!r}"
    helper = explain.receptive_field(rf_model).rows[-1].size[0]
    assert int(rf_from_helper) == helper, (
        f"`rf_from_helper` is {rf_from_helper}, but explain.receptive_field(rf_model) says {helper}")

_MODULE_3A = (192, 64, 96, 128, 16, 32, 32)


@public("q2", points=1)
def inception_module_3a(with_reduction, without_reduction):
    """`with_reduction` and `without_reduction` are Keras's counts for module 3a"""
    for name, value, reduce in (("with_reduction", with_reduction, True),
                                ("without_reduction", without_reduction, False)):
        assert _is_int(value), f"`{name}` should be a whole number; it is {value!r}"
        keras_count = _inception_keras(*_MODULE_3A, reduce=reduce).count_params()
        assert int(value) == keras_count, (
            f"`{name}` is {int(value):,}, not the number of parameters of module 3a "
            f"{'with its 1x1 reductions' if reduce else 'in its naive form'}: count each convolution's "
            "(kernel * kernel * channels in + 1) * filters, with the channels that reach it")

@public("q3", points=1)
def residual_block_shape_and_parameters(block_model):
    """One block keeps the shape, adds a skip connection, and has the plain block's parameters"""
    keras = _keras()
    _assert_model(block_model, "block_model")
    shape = tuple(block_model.output.shape)
    assert shape == (None, 6, 6, 8), (
        f"one block turns a (6, 6, 8) input into {shape[1:]}: use padding=\"same\" and `filters` filters, so "
        "that F(x) has the shape of x and the two can be added")
    convs = _layers_of(block_model, "Conv2D")
    assert len(convs) == 2 and all(tuple(c.kernel_size) == (3, 3) for c in convs), (
        f"the block has {len(convs)} Conv2D layer(s); it should have the plain block's two 3x3 convolutions")
    assert any(isinstance(layer, keras.layers.Add) for layer in block_model.layers), (
        "the block has no keras.layers.Add(): the skip connection adds the block's input to F(x)")
    plain = keras.Sequential([keras.Input((6, 6, 8)), keras.layers.Conv2D(8, 3, padding="same"),
                              keras.layers.Conv2D(8, 3, padding="same")]).count_params()
    assert block_model.count_params() == plain, (
        f"the block has {block_model.count_params():,} parameters, the plain block {plain:,}: the skip "
        "connection adds none")


@public("q3", points=1)
def both_stacks_trained(plain_history, residual_history, plain_model, residual_model):
    """Both stacks were trained for STACK_EPOCHS epochs, and they have the same parameters"""
    keras = _keras()
    epochs = _STACK_EPOCHS[_mode()]
    for name, history in (("plain_history", plain_history), ("residual_history", residual_history)):
        assert isinstance(history, keras.callbacks.History), f"`{name}` is not what model.fit returns"
        got = len(history.history.get("loss", []))
        assert got == epochs, f"`{name}` holds {got} epoch(s); the training cell trains {epochs}"
    _assert_model(residual_model, "residual_model")
    adds = sum(isinstance(layer, keras.layers.Add) for layer in residual_model.layers)
    assert adds == _DEPTH // 2, f"the residual stack has {adds} Add layer(s); one per block is {_DEPTH // 2}"
    assert residual_model.count_params() == plain_model.count_params(), (
        f"the residual stack has {residual_model.count_params():,} parameters, the plain one "
        f"{plain_model.count_params():,}: they should be the same")

def _keras_batchnorm(x, gamma, beta, mean, variance, epsilon, training, momentum=_BN_MOMENTUM):
    """Keras's BatchNormalization on x: its output and its moving mean afterwards."""
    layer = _keras().layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    layer.build((None, np.shape(x)[1]))
    layer.set_weights([np.asarray(v, dtype="float32") for v in (gamma, beta, mean, variance)])
    output = np.asarray(layer(np.asarray(x, dtype="float32"), training=training), dtype="float64")
    return output, np.asarray(layer.moving_mean, dtype="float64")


def _given_batchnorm(training):
    weights = [_BN_WEIGHTS[k] for k in ("gamma", "beta", "moving_mean", "moving_variance")]
    return _keras_batchnorm(_BN_INPUT, *weights, _BN_EPSILON, training)


@public("q4", points=1)
def batchnorm_at_test_time(bn_test_output):
    """`bn_test_output` is the layer's output at test time"""
    got = _as_array(bn_test_output, "bn_test_output", _BN_INPUT.shape)
    want, _ = _given_batchnorm(training=False)
    assert np.allclose(got, want, atol=1e-3), (  # Keras computes in float32
        "`bn_test_output` is not what the layer outputs at test time: normalise with the moving mean and "
        "variance, then scale by gamma and shift by beta")


@public("q4", points=1)
def batchnorm_at_training_time(bn_train_output, moving_mean_after_step):
    """`bn_train_output` and `moving_mean_after_step`: the layer at training time"""
    got = _as_array(bn_train_output, "bn_train_output", _BN_INPUT.shape)
    want, moved = _given_batchnorm(training=True)
    assert np.allclose(got, want, atol=1e-3), (
        "`bn_train_output` is not what the layer outputs at training time: normalise with the batch's own "
        "mean and variance (divided by n), then scale and shift")
    step = _as_array(moving_mean_after_step, "moving_mean_after_step", (_BN_INPUT.shape[1],))
    assert np.allclose(step, moved, atol=1e-4), (
        "`moving_mean_after_step` is not the layer's moving mean after one training step: momentum times "
        "the old moving mean plus (1 - momentum) times the batch mean")

@public("q5", points=1)
def l2_on_both_kernels(l2_net):
    """`l2_net` has L2 weight decay of WEIGHT_DECAY on the kernels of both Dense layers"""
    keras = _keras()
    _assert_model(l2_net, "l2_net")
    dense = _layers_of(l2_net, "Dense")
    assert len(dense) == 2, f"`l2_net` has {len(dense)} Dense layer(s): build it with build_dense_net"
    for position, layer in enumerate(dense, 1):
        regularizer = layer.kernel_regularizer
        assert isinstance(regularizer, keras.regularizers.L2), (
            f"Dense layer {position} of `l2_net` has the kernel regularizer {regularizer!r}, not an L2 one")
        factor = float(regularizer.get_config()["l2"])
        assert abs(factor - _WEIGHT_DECAY) < 1e-9, (
            f"Dense layer {position}'s L2 factor is {factor:g}; the question asks for WEIGHT_DECAY = {_WEIGHT_DECAY:g}")


@public("q5", points=1)
def weight_norms_of_the_nets(weight_norms, plain_net, l2_net):
    """`weight_norms` holds the kernel norms of `plain_net` and `l2_net`"""
    assert isinstance(weight_norms, dict) and set(weight_norms) == {"plain", "l2"}, (
        f"`weight_norms` should be a dict with the keys 'plain' and 'l2'; it is {weight_norms!r}")
    for key, net in (("plain", plain_net), ("l2", l2_net)):
        _assert_model(net, f"{key}_net")
        value = weight_norms[key]
        assert isinstance(value, numbers.Real) and not isinstance(value, bool), (
            f"weight_norms[{key!r}] should be a number; it is {value!r}")
        want = _kernel_norm(net)
        assert abs(float(value) - want) <= 1e-4 * want, (
            f"weight_norms[{key!r}] is {float(value):.4f}, but the norm of the kernels of that network is "
            "another number: the square root of the sum of the squares of every kernel weight, biases left out")

@public("q6", points=1)
def stopped_with_patience(stop_history):
    """Training stopped PATIENCE epochs after the best validation loss (or at MAX_EPOCHS)"""
    keras = _keras()
    assert isinstance(stop_history, keras.callbacks.History), "`stop_history` is not what model.fit returns"
    val_loss = list(stop_history.history.get("val_loss", []))
    assert val_loss, "`stop_history` has no validation loss: pass validation_data to fit"
    ran, best, most = len(val_loss), int(np.argmin(val_loss)) + 1, _MAX_EPOCHS
    assert ran < most or best > most - _PATIENCE, (
        f"training ran all {most} epochs although the validation loss was lowest at epoch {best}: add the "
        "EarlyStopping callback")
    assert ran in (most, best + _PATIENCE), (
        f"training ran {ran} epochs with the lowest validation loss at epoch {best}: with patience "
        f"{_PATIENCE} it stops after epoch {best + _PATIENCE}")


@public("q6", points=1)
def best_epoch_read_from_the_history(best_epoch, epochs_run, stop_history):
    """`best_epoch` and `epochs_run` are read from your own history"""
    val_loss = list(stop_history.history.get("val_loss", []))
    assert val_loss, "`stop_history` has no validation loss: pass validation_data to fit"
    assert _is_int(epochs_run) and int(epochs_run) == len(val_loss), (
        f"`epochs_run` is {epochs_run!r}; your history holds {len(val_loss)} epochs")
    right = int(np.argmin(val_loss)) + 1
    assert _is_int(best_epoch) and int(best_epoch) == right, (
        f"`best_epoch` is {best_epoch!r}, not the epoch (counted from 1) of the lowest val_loss in your history")
