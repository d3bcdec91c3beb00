# %% [markdown]
# # A5 · Architectures and regularisation
#
# **Lecture topics:** the receptive field of a stack of layers; the 1x1
# convolution and the Inception module's reductions; residual connections and
# why a deep plain stack does not train; batch normalization and dropout at
# training and at test time; weight decay; early stopping.
#
# **Builds on:** notebook 02, section "How much of the image does one unit
# see?"; notebook 07, sections "The 1x1 convolution and the Inception module"
# and "A residual block"; notebook 10, section "Deep without skip connections:
# a 30-layer stack that does not learn"; notebook 08, sections "Weight decay:
# L2 and L1", "Dropout, at training time and at test time", "Early stopping"
# and "Batch normalisation, computed by hand".
#
# **What you will do:** work out receptive fields and parameter counts by
# hand and confirm them with Keras; write a residual block with the
# functional API and watch it make a 20-layer stack train where the plain one
# cannot; predict what batch normalization and dropout output at training and
# at test time before Keras tells you; measure what weight decay does to the
# weights; and read the epoch early stopping chose from your own history.
#
# **Time:** about a minute on a 2-core laptop CPU (the two deep stacks take
# most of it). Offline: the 8x8 digits ship with scikit-learn.
#
# ## How this assignment is graded
#
# Six questions, 23 points. After each question, a `check("q1")` cell runs that
# question's *public* checks, so you see at once what passes and why not. When
# your teacher grades, *hidden* checks run too (12 points): they try your
# functions on inputs you never see and measure the models you trained.
# Grading runs your notebook top to bottom in a fresh Python process: before
# you hand it in, restart the kernel and run all cells.
#
# - Keep the names the questions ask for (`field_width`, `inception_params`,
#   `residual_block`, `weight_norms`, ...).
# - Leave the given code as it is: the seed, the data, the epochs and the
#   training cells. The checks never train anything: they look at what you
#   trained.

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import numpy as np

from cnn_course import assignment, datasets, explain, settings
from cnn_course.reproducibility import set_seed

keras = settings.import_keras()  # `import keras`, with TensorFlow's start-up log lines hidden
check = assignment.checker("a5_architectures_and_regularisation", globals())

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this

# %% tags=["checks"]
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

# %% [markdown]
# ## The data
#
# scikit-learn's 1,797 handwritten digits, 8x8 pixels, split once and for all
# (the same split on every computer): 1,258 to train on, 180 to validate on.
# The pixels are scaled to [0, 1]; the labels are integers 0..9.

# %%
digits = datasets.load_digits()  # the same fixed split on every computer
x_train = digits["train"].images.astype("float32") / 255.0  # (1258, 8, 8, 1), values in [0, 1]
y_train = digits["train"].labels  # (1258,) integers 0..9
x_val = digits["validation"].images.astype("float32") / 255.0  # (180, 8, 8, 1)
y_val = digits["validation"].labels  # (180,)
print("training:", x_train.shape, "validation:", x_val.shape)

# %% [markdown]
# ## Question 1: the receptive field (4 points)
#
# A unit of a convolution sees a window of its input; through a stack of
# layers it sees a wider window of the *image*, its **receptive field**. Walk
# through the stack from the image up, keeping two numbers: the width `r` of
# the field and the **jump** `j`, how many image pixels apart two neighbouring
# units of the current layer are. At the image, `r = 1` and `j = 1`. A layer
# with kernel `k` and stride `s` makes `r` grow by `(k - 1) * j` (its `k`
# neighbouring inputs are `j` pixels apart) and then multiplies `j` by `s`.
# Pooling counts as a layer with a kernel and a stride.
#
# **(a)** Write `field_width(layers)`: `layers` is a list of `(kernel,
# stride)` pairs, from the image up (square kernels and strides); return the
# receptive field's width in pixels of a unit of the last layer, an integer.
#
# **(b)** By hand, on paper: `rf_by_hand`, the width for the stack below, a
# whole number you type in.
#
# **(c)** Build the stack in Keras as `rf_model` (`keras.Sequential`, input
# `(32, 32, 1)`, 4 filters per convolution, any padding), then read the width
# with the course's helper, `explain.receptive_field(rf_model)` (the `size` of
# its last row), into `rf_from_helper`. The three answers should agree.
#
# | # | layer | kernel | stride |
# |---|---|---|---|
# | 1 | `Conv2D` | 3x3 | 1 |
# | 2 | `Conv2D` | 3x3 | 1 |
# | 3 | `MaxPooling2D` | 2x2 | 2 |
# | 4 | `Conv2D` | 3x3 | 1 |
# | 5 | `Conv2D` | 3x3 | 2 |

# %%
STACK = [(3, 1), (3, 1), (2, 2), (3, 1), (3, 2)]  # the table, as (kernel, stride) pairs


def field_width(layers):
    """The width in pixels of the receptive field of one unit of the last layer of `layers`."""
    # BEGIN SOLUTION
    width, jump = 1, 1
    for kernel, stride in layers:
        width += (kernel - 1) * jump
        jump *= stride
    return width
    # END SOLUTION


rf_by_hand = 14  # SOLUTION
# BEGIN SOLUTION NO PROMPT
rf_model = keras.Sequential([
    keras.Input((32, 32, 1)),
    keras.layers.Conv2D(4, 3),
    keras.layers.Conv2D(4, 3),
    keras.layers.MaxPooling2D(2),
    keras.layers.Conv2D(4, 3),
    keras.layers.Conv2D(4, 3, strides=2),
])
# END SOLUTION
# BEGIN PROMPT
# rf_model = keras.Sequential([
#     keras.Input((32, 32, 1)),
#     ...  # the five layers of the table
# ])
# END PROMPT
rf_from_helper = explain.receptive_field(rf_model).rows[-1].size[0]  # SOLUTION
print("by your function:", field_width(STACK), " by hand:", rf_by_hand, " by the helper:", rf_from_helper)

# %% tags=["checks"]
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

# %% tags=["hidden-checks"]
from cnn_course.checks import hidden, hidden_seed


@hidden("q1", points=1)
def field_width_of_other_stacks(field_width):
    """field_width on other stacks of kernels and strides, against Keras's own stack"""
    rng = np.random.default_rng(hidden_seed("q1 stacks"))  # from the course secret
    for _ in range(6):
        pairs = [(int(k), int(s)) for k, s in zip(rng.integers(1, 8, size=rng.integers(2, 7)),
                                                   rng.integers(1, 4, size=7))]
        got = _call_int(field_width, pairs)
        assert got == _width_from_keras(pairs), f"field_width is not right on a stack of {len(pairs)} layers"


@hidden("q1", points=1)
def field_width_by_hand(rf_by_hand):
    """Your width for the table's stack, by hand (rf_by_hand)"""
    assert _is_int(rf_by_hand), f"`rf_by_hand` should be a whole number; it is {rf_by_hand!r}"
    assert int(rf_by_hand) == _width_from_keras(_STACK), "`rf_by_hand` is not the width for the table's stack"

# %%
check("q1")

# %% [markdown]
# ## Question 2: 1x1 convolutions and the Inception module (4 points)
#
# A 1x1 convolution mixes the channels of each pixel and nothing else: it
# learns `(1 * 1 * channels_in + 1) * filters` parameters (weights and one
# bias per filter).
#
# **(a)** `params_1x1`: the parameters of a 1x1 convolution that takes 256
# channels down to 64.
#
# **(b)** Write `inception_params(in_channels, f1, f3_reduce, f3, f5_reduce,
# f5, pool_proj, reduce=True)`: the parameters of an Inception module
# (GoogLeNet's, every convolution with a bias, `padding="same"`) whose four
# branches are a 1x1 convolution with `f1` filters; a 1x1 convolution with
# `f3_reduce` filters then a 3x3 one with `f3`; a 1x1 with `f5_reduce` then a
# 5x5 with `f5`; a 3x3 max pooling then a 1x1 convolution with `pool_proj`.
# With `reduce=False` it is the *naive* module of notebook 07: the 3x3 and
# 5x5 convolutions take the module's input directly (no 1x1 reduction before
# them), and the pooling branch passes its input's channels on with no 1x1
# projection after it (`f3_reduce`, `f5_reduce` and `pool_proj` are then
# ignored).
#
# **(c)** `with_reduction` and `without_reduction`: the two counts for
# GoogLeNet's module 3a (192 channels in; 64, 96, 128, 16, 32 and 32 filters).
# How many times fewer parameters do the reductions leave? The public check
# builds each module in Keras and compares.

# %%
params_1x1 = (1 * 1 * 256 + 1) * 64  # SOLUTION


def inception_params(in_channels, f1, f3_reduce, f3, f5_reduce, f5, pool_proj, reduce=True):
    """The number of parameters of an Inception module (with or without its 1x1 reductions)."""
    # BEGIN SOLUTION
    def conv(kernel, channels, filters):
        return (kernel * kernel * channels + 1) * filters

    total = conv(1, in_channels, f1)
    if reduce:
        total += conv(1, in_channels, f3_reduce) + conv(3, f3_reduce, f3)
        total += conv(1, in_channels, f5_reduce) + conv(5, f5_reduce, f5)
        total += conv(1, in_channels, pool_proj)
    else:
        total += conv(3, in_channels, f3) + conv(5, in_channels, f5)
    return total
    # END SOLUTION


with_reduction = inception_params(192, 64, 96, 128, 16, 32, 32)  # SOLUTION
without_reduction = inception_params(192, 64, 96, 128, 16, 32, 32, reduce=False)  # SOLUTION
print(f"1x1, 256 -> 64 channels: {params_1x1:,} parameters")
print(f"module 3a: {with_reduction:,} with the reductions, {without_reduction:,} without "
      f"({without_reduction / with_reduction:.1f} times more)")

# %% tags=["checks"]
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

# %% tags=["hidden-checks"]
@hidden("q2", points=1)
def one_by_one_params(params_1x1):
    """The parameters of the 1x1 convolution, 256 to 64 channels (params_1x1)"""
    keras = _keras()
    assert _is_int(params_1x1), f"`params_1x1` should be a whole number; it is {params_1x1!r}"
    right = keras.Sequential([keras.Input((4, 4, 256)), keras.layers.Conv2D(64, 1)]).count_params()
    assert int(params_1x1) == right, "`params_1x1` is not the number of parameters of that 1x1 convolution"


def _random_modules(label):
    rng = np.random.default_rng(hidden_seed(label))  # from the course secret
    return [tuple(int(v) for v in rng.integers(1, 97, size=7)) for _ in range(4)]


@hidden("q2", points=1)
def inception_params_with_reductions(inception_params):
    """inception_params on other modules, with the reductions, against Keras"""
    for config in _random_modules("q2 modules with reductions"):
        got = _call_int(inception_params, *config)
        assert got == _inception_keras(*config).count_params(), (
            f"inception_params is not right for a module of {config[0]} input channels, with reductions")


@hidden("q2", points=1)
def inception_params_without_reductions(inception_params):
    """inception_params on other modules, without the reductions (reduce=False), against Keras"""
    for config in _random_modules("q2 modules without reductions"):
        got = _call_int(inception_params, *config, reduce=False)
        assert got == _inception_keras(*config, reduce=False).count_params(), (
            f"inception_params(..., reduce=False) is not right for a module of {config[0]} input channels")

# %%
check("q2")

# %% [markdown]
# ## Question 3: a residual block makes a deep stack train (5 points)
#
# Below, `plain_block` is two 3x3 convolutions with ReLU, and `build_stack`
# puts a first convolution, `DEPTH // 2` blocks (`DEPTH` convolutions), global
# average pooling and a softmax together. Twenty plain convolutions, Keras's
# default initialisation, no batch normalization: the signal shrinks at every
# layer, and the stack does not learn (notebook 10).
#
# Write `residual_block(x, filters)` with the functional API: the same two
# 3x3 convolutions (`padding="same"`, so that the shapes match), the first
# with ReLU, the second **without** activation; then add the block's input
# to their output (`keras.layers.Add()`), and apply ReLU to the sum:
# `relu(x + F(x))`. The skip connection has no weights, so both stacks have
# exactly the same parameters. The code after it builds `block_model`, one
# block on its own, and trains both stacks the same way: one line per epoch.

# %%
DEPTH = 20  # convolutions in the blocks (DEPTH // 2 blocks)
FILTERS = 16
STACK_EPOCHS = 2 if QUICK else 6


def plain_block(x, filters):
    """Two 3x3 convolutions with ReLU: relu(conv(relu(conv(x))))."""
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)


def residual_block(x, filters):
    """Two 3x3 convolutions and a skip connection: relu(x + F(x))."""
    # BEGIN SOLUTION
    y = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(filters, 3, padding="same")(y)
    return keras.layers.Activation("relu")(keras.layers.Add()([x, y]))
    # END SOLUTION


def build_stack(block, depth=DEPTH, filters=FILTERS):
    """A 3x3 convolution, depth // 2 blocks, global average pooling and a 10-way softmax, compiled."""
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(inputs)  # (batch, 8, 8, filters)
    for _ in range(depth // 2):
        x = block(x, filters)  # (batch, 8, 8, filters)
    x = keras.layers.GlobalAveragePooling2D()(x)  # (batch, filters)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


block_input = keras.Input((6, 6, 8))
block_model = keras.Model(block_input, residual_block(block_input, 8))
print(f"one residual block: {block_model.count_params():,} parameters")

# %%
stack_histories = {}
for name, block in (("plain", plain_block), ("residual", residual_block)):
    set_seed(SEED)
    stack = build_stack(block)
    print(f"{name} stack, {DEPTH} convolutions in blocks, {stack.count_params():,} parameters:")
    stack_histories[name] = stack.fit(x_train, y_train, epochs=STACK_EPOCHS, validation_data=(x_val, y_val),
                                      verbose=2)
plain_model, residual_model = stack_histories["plain"].model, stack_histories["residual"].model
plain_history, residual_history = stack_histories["plain"], stack_histories["residual"]

# %% tags=["checks"]
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

# %% tags=["hidden-checks"]
#: The residual stack's last training loss and its accuracy on the 359 test digits, measured with set_seed(0..4)
#: on a 2-core Intel Xeon (AVX-512), with oneDNN on and off (TF_ENABLE_ONEDNN_OPTS=0, one thread):
#: default mode, loss 0.181..0.432 and accuracy 0.682..0.942 (the 0.682: seed 4, oneDNN on, loss 0.350);
#: quick mode (2 epochs), loss 1.674..2.131 and accuracy 0.242..0.724. The plain stack's loss stayed at 2.303
#: (ln 10: it answers 0.1 for every digit) in all 20 runs. Thresholds: the worst run with a margin (loss +0.37
#: and accuracy -0.13 in default mode; loss +0.12 and accuracy -0.09 in quick mode).
_MAX_RESIDUAL_LOSS = {"default": 0.8, "quick": 2.25}
_MIN_RESIDUAL_TEST_ACCURACY = {"default": 0.55, "quick": 0.15}


@hidden("q3", points=1)
def residual_block_computes_relu_of_x_plus_f(block_model):
    """The block computes relu(x + F(x)), with F the two convolutions, on inputs you never see"""
    keras = _keras()
    _assert_model(block_model, "block_model")
    first, second = _layers_of(block_model, "Conv2D")[:2]
    inputs = keras.Input((6, 6, 8))
    f = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    f = keras.layers.Conv2D(8, 3, padding="same")(f)
    reference = keras.Model(inputs, keras.layers.ReLU()(inputs + f))
    reference.set_weights([*first.get_weights(), *second.get_weights()])
    x = np.random.default_rng(hidden_seed("q3 block inputs")).normal(size=(5, 6, 6, 8)).astype("float32")
    got, want = np.asarray(block_model(x)), np.asarray(reference(x))
    assert np.allclose(got, want, rtol=1e-4, atol=1e-5), (  # float32: 1e-4 is ample
        "the block's output is not relu(x + F(x)), where F is its first convolution with ReLU, then its "
        "second without activation")


@hidden("q3", points=1)
def residual_stack_trains(residual_history, plain_history):
    """The residual stack trains: its training loss ends low, where the plain stack's does not"""
    loss = float(residual_history.history["loss"][-1])
    plain = float(plain_history.history["loss"][-1])
    most = _MAX_RESIDUAL_LOSS[_mode()]
    assert loss <= most and loss < plain, (
        f"the residual stack's last training loss is {loss:.3f} (the plain one's {plain:.3f}); a correct block "
        f"gets below {most}")


@hidden("q3", points=1)
def residual_stack_accuracy(residual_model):
    """Accuracy of the trained residual stack on test digits"""
    # The test split of load_digits: students have these digits, as in A4 (no teacher-only set of 8x8
    # digits exists); a student who trained on them has still had to make the stack train.
    _assert_model(residual_model, "residual_model")
    images, labels = _digits("test")
    accuracy = float(np.mean(np.asarray(residual_model(images, training=False)).argmax(axis=1) == labels))
    least = _MIN_RESIDUAL_TEST_ACCURACY[_mode()]
    assert accuracy >= least, f"accuracy {accuracy:.3f} on test digits, below the {least:.2f} a correct block gets"

# %%
check("q3")

# %% [markdown]
# ## Question 4: batch normalization and dropout, at training and at test time (4 points)
#
# Predict first, with NumPy; then compare with what Keras prints.
#
# **Batch normalization.** `bn_layer` below normalises each of 3 features.
# At **test** time (`training=False`) it uses the moving mean and variance it
# has learned: `gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) +
# beta`. At **training** time it uses the mean and variance of the batch
# itself (the variance divided by `n`, not `n - 1`), and then moves its moving
# mean a little towards the batch's: `momentum * moving_mean + (1 - momentum) *
# batch_mean`.
#
# - Write `batchnorm_inference(x, gamma, beta, moving_mean, moving_variance,
#   epsilon)` (x of shape `(n, features)`), and with it `bn_test_output`.
# - `bn_train_output`: the layer's output for `bn_input` at training time.
# - `moving_mean_after_step`: the moving mean after one training step on
#   `bn_input`.
#
# **Dropout.** `keras.layers.Dropout(0.25)` at training time sets each input
# to 0 with probability 0.25 and multiplies the others by a factor, so that
# the expected output equals the input. `dropout_test_output`: what it outputs
# for `drop_input` at test time; `dropout_kept_scale`: the factor a kept value
# is multiplied by at training time.

# %%
bn_input = np.array([[1.0, 2.0, 0.0], [3.0, 6.0, 4.0], [5.0, 4.0, 2.0], [7.0, 0.0, 6.0]], dtype="float32")
gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0])
moving_mean, moving_variance = np.array([2.0, 2.0, 2.0]), np.array([4.0, 1.0, 9.0])
bn_layer = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
bn_layer.build((None, 3))
bn_layer.set_weights([gamma, beta, moving_mean, moving_variance])
drop_input = np.array([[4.0, 8.0, 12.0, 16.0]], dtype="float32")


def batchnorm_inference(x, gamma, beta, moving_mean, moving_variance, epsilon):
    """Batch normalization at test time: each feature normalised with the moving statistics."""
    # BEGIN SOLUTION
    return gamma * (x - moving_mean) / np.sqrt(moving_variance + epsilon) + beta
    # END SOLUTION


bn_test_output = batchnorm_inference(bn_input, gamma, beta, moving_mean, moving_variance, 1e-3)  # SOLUTION
# BEGIN SOLUTION NO PROMPT
batch_mean, batch_variance = bn_input.mean(axis=0), bn_input.var(axis=0)
bn_train_output = gamma * (bn_input - batch_mean) / np.sqrt(batch_variance + 1e-3) + beta
moving_mean_after_step = 0.9 * moving_mean + 0.1 * batch_mean
# END SOLUTION
# BEGIN PROMPT
# bn_train_output = ...
# moving_mean_after_step = ...
# END PROMPT
dropout_test_output = drop_input  # SOLUTION
dropout_kept_scale = 1 / (1 - 0.25)  # SOLUTION

# %% [markdown]
# Now Keras's own answers. Calling the layer with `training=True` also moves
# its moving statistics: this cell rebuilds it first, so it can be run again.

# %%
bn_layer.set_weights([gamma, beta, moving_mean, moving_variance])
print("test time:    ", np.round(np.asarray(bn_layer(bn_input, training=False)), 4).tolist())
print("training time:", np.round(np.asarray(bn_layer(bn_input, training=True)), 4).tolist())
print("moving mean after that step:", np.round(np.asarray(bn_layer.moving_mean), 4).tolist())
dropout = keras.layers.Dropout(0.25, seed=SEED)
print("dropout at test time:    ", np.asarray(dropout(drop_input, training=False)).tolist())
print("dropout at training time:", np.asarray(dropout(drop_input, training=True)).tolist())


# %% tags=["checks"]
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

# %% tags=["hidden-checks"]
@hidden("q4", points=1)
def batchnorm_inference_on_other_inputs(batchnorm_inference):
    """batchnorm_inference on other inputs and weights, against Keras's layer"""
    rng = np.random.default_rng(hidden_seed("q4 batchnorm inputs"))  # from the course secret
    for n, features in ((5, 2), (3, 7), (8, 4)):
        x = rng.normal(2.0, 3.0, size=(n, features))
        gamma, beta, mean = rng.normal(size=features), rng.normal(size=features), rng.normal(size=features)
        variance, epsilon = rng.uniform(0.1, 5.0, size=features), float(rng.choice([1e-3, 1e-5, 0.01]))
        got = _as_array(batchnorm_inference(x, gamma, beta, mean, variance, epsilon), "the result", x.shape)
        want, _ = _keras_batchnorm(x, gamma, beta, mean, variance, epsilon, training=False)
        assert np.allclose(got, want, rtol=1e-4, atol=1e-4), (
            f"batchnorm_inference is not right on {n} examples of {features} features")


@hidden("q4", points=1)
def dropout_at_both_times(dropout_test_output, dropout_kept_scale):
    """Dropout at test time, and the scale of a kept value at training time"""
    keras = _keras()
    drop_input = np.array([[4.0, 8.0, 12.0, 16.0]], dtype="float32")
    layer = keras.layers.Dropout(0.25, seed=1)
    got = _as_array(dropout_test_output, "dropout_test_output", drop_input.shape)
    assert np.allclose(got, np.asarray(layer(drop_input, training=False))), (
        "`dropout_test_output` is not what Dropout outputs at test time")
    trained = np.asarray(layer(np.ones((1, 4000), dtype="float32"), training=True))
    scale = float(trained[trained > 0][0])
    assert isinstance(dropout_kept_scale, numbers.Real) and abs(float(dropout_kept_scale) - scale) < 1e-6, (
        f"`dropout_kept_scale` is {dropout_kept_scale!r}, not the factor Dropout(0.25) multiplies a kept "
        "value by at training time")

# %%
check("q4")

# %% [markdown]
# ## Question 5: what weight decay does to the weights (3 points)
#
# `build_dense_net(regularizer)` builds a small dense network whose two
# layers take a kernel regularizer. On 200 training digits it overfits. Build
# `l2_net` with L2 weight decay of `WEIGHT_DECAY` on both layers
# (`keras.regularizers.L2(WEIGHT_DECAY)`); the cell trains it and
# `plain_net`, the same network without, the same way.
#
# Then write `kernel_norm(model)`: the L2 norm of all the model's kernels
# together (the square root of the sum of the squares of every kernel weight;
# leave the biases out), and store both in `weight_norms`, a dict with the keys
# `"plain"` and `"l2"`. The L2 penalty adds `WEIGHT_DECAY * sum(w ** 2)` to the
# loss: what should it do to the norm?

# %%
WEIGHT_DECAY = 3e-3
DECAY_EPOCHS = 10 if QUICK else 30
x_small, y_small = x_train[:200], y_train[:200]


def build_dense_net(regularizer=None):
    """Flatten, Dense(256, relu), Dense(10, softmax); `regularizer` on both kernels. Compiled (Adam, 0.01)."""
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu", kernel_regularizer=regularizer),
        keras.layers.Dense(10, activation="softmax", kernel_regularizer=regularizer),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


set_seed(SEED)
plain_net = build_dense_net()
set_seed(SEED)
l2_net = build_dense_net(keras.regularizers.L2(WEIGHT_DECAY))  # SOLUTION
for name, net in (("plain_net", plain_net), ("l2_net", l2_net)):
    set_seed(SEED)
    history = net.fit(x_small, y_small, epochs=DECAY_EPOCHS, batch_size=16, validation_data=(x_val, y_val),
                      verbose=0)
    print(f"{name}: training accuracy {history.history['accuracy'][-1]:.3f}, "
          f"validation accuracy {history.history['val_accuracy'][-1]:.3f}")


def kernel_norm(model):
    """The L2 norm of all the kernels of `model` together, biases left out."""
    # BEGIN SOLUTION
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(k))) for k in kernels)))
    # END SOLUTION


weight_norms = {"plain": kernel_norm(plain_net), "l2": kernel_norm(l2_net)}  # SOLUTION
print({name: round(value, 2) for name, value in weight_norms.items()})

# %% tags=["checks"]
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

# %% tags=["hidden-checks"]
#: Kernel norm of l2_net over plain_net's, measured as above: 0.466..0.502 in default mode and 0.522..0.541 in
#: quick mode, oneDNN on and off. Threshold: the largest plus about 0.1.
_MAX_NORM_RATIO = {"default": 0.65, "quick": 0.65}


@hidden("q5", points=1)
def weight_decay_shrinks_the_weights(plain_net, l2_net):
    """With weight decay, the trained kernels are clearly smaller"""
    ratio, most = _kernel_norm(l2_net) / _kernel_norm(plain_net), _MAX_NORM_RATIO[_mode()]
    assert ratio <= most, (
        f"l2_net's kernels have {ratio:.2f} times the norm of plain_net's; trained as the cell trains them, "
        f"weight decay brings that to {most} or less")

# %%
check("q5")

# %% [markdown]
# ## Question 6: early stopping (3 points)
#
# Train `build_dense_net()` on the 200 digits for at most `MAX_EPOCHS`
# epochs (batch size 16), but stop when the validation loss has not improved for `PATIENCE`
# epochs, and keep the weights of the best epoch: a
# `keras.callbacks.EarlyStopping` with `monitor="val_loss"`,
# `patience=PATIENCE` and `restore_best_weights=True`, passed to `fit` in
# `callbacks=[...]`. Keep what `fit` returns in `stop_history`.
#
# Then read your own history: `best_epoch`, the epoch (counted from 1) with
# the lowest validation loss, and `epochs_run`, how many epochs ran.

# %%
MAX_EPOCHS = 60  # early stopping ends it long before
PATIENCE = 5
set_seed(SEED)
stop_model = build_dense_net()
# BEGIN SOLUTION NO PROMPT
early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE, restore_best_weights=True)
stop_history = stop_model.fit(x_small, y_small, epochs=MAX_EPOCHS, batch_size=16, validation_data=(x_val, y_val),
                              verbose=0, callbacks=[early_stopping])
# END SOLUTION
# BEGIN PROMPT
# early_stopping = ...  # the callback
# stop_history = stop_model.fit(x_small, y_small, epochs=MAX_EPOCHS, batch_size=16, validation_data=(x_val, y_val),
#                               verbose=0, callbacks=...)
# END PROMPT
epochs_run = len(stop_history.history["loss"])  # SOLUTION
best_epoch = int(np.argmin(stop_history.history["val_loss"])) + 1  # SOLUTION
print(f"ran {epochs_run} of {MAX_EPOCHS} epochs; the lowest validation loss was at epoch {best_epoch}")

# %% tags=["checks"]
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

# %% tags=["hidden-checks"]
@hidden("q6", points=1)
def best_weights_restored(stop_model, stop_history):
    """`stop_model` holds the weights of its best epoch"""
    _assert_model(stop_model, "stop_model")
    best = float(np.min(stop_history.history["val_loss"]))
    now = _loss_on(stop_model, "validation")
    assert abs(now - best) <= 1e-3 * max(best, 1.0), (  # a batched and an unbatched mean: float32 rounding
        f"the model's validation loss is {now:.4f}, not the lowest of its history ({best:.4f}): keep the "
        "best epoch's weights (restore_best_weights=True)")

# %%
check("q6")

# %% [markdown]
# ## Before you hand in
#
# Restart the kernel and run all cells, top to bottom: that is how your
# notebook is graded. Every `check` cell should then print PASS for each of
# its public checks.
