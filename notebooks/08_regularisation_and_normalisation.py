# %% [markdown]
# # 08 · Regularisation and normalisation
#
# **Lecture topic:** overfitting and what restrains it: weight decay (L2 and
# L1), dropout, early stopping, batch normalisation, and the capacity of the
# model itself.
#
# **What you will do:** make a dense network memorise 200 handwritten digits,
# then restrain it three ways and see what changes, and what does not; open dropout and batch
# normalisation up and compute what they do by hand; count the 24,180
# parameters of the course's shapes network yourself; and draw the capacity
# curve.
#
# **Time:** about a minute on a 2-core laptop CPU. Offline: the digits ship
# with scikit-learn.

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import matplotlib.pyplot as plt
import numpy as np

from cnn_course import data, datasets, exercises, learning_curves, models, progress, settings, training
from cnn_course.reproducibility import set_seed

keras = settings.import_keras()  # `import keras`, with TensorFlow's start-up log lines hidden

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this
EPOCHS = 3 if QUICK else 60

# %% [markdown]
# ## A network that memorises
#
# 200 training digits (8x8 pixels, 10 classes) and a dense network with 512
# hidden units: 38,410 parameters for 200 examples. It can learn every training
# image by heart, and it does: training accuracy reaches 100% while
# validation accuracy stops below. That gap is **overfitting**; each method
# below restrains the network in its own way.

# %%
digits = datasets.load_digits(seed=SEED)
train_x, train_y = digits["train"].images[:200], digits["train"].labels[:200]
val = digits["validation"]
train_ds = data.make_dataset(train_x, train_y, batch_size=32, shuffle=True, seed=SEED)
val_ds = data.make_dataset(val.images, val.labels, batch_size=256)
print(f"{len(train_y)} training digits, {len(val.labels)} validation digits")


def dense_net(regularizer=None, dropout=0.0):
    """Flatten -> [Dropout] -> Dense(512, relu) -> [Dropout] -> Dense(10, softmax), compiled."""
    layers = [keras.Input((8, 8, 1)), keras.layers.Flatten()]
    layers += [keras.layers.Dense(512, activation="relu", kernel_regularizer=regularizer, name="hidden")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(10, activation="softmax", kernel_regularizer=regularizer))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train(name, model):
    """Train for EPOCHS epochs and print one line: the last epoch's accuracies and the best validation one."""
    set_seed(SEED)
    history = training.fit(model, train_ds, val_ds, epochs=EPOCHS, verbose=0)
    h = history.history
    progress.print_line("epochs", len(h["loss"]), EPOCHS, {"accuracy": h["accuracy"][-1],
                        "val_accuracy": h["val_accuracy"][-1], "best_val_accuracy": max(h["val_accuracy"])},
                        seconds=history.seconds, name=name)
    return model, history


results = {"no regularisation": train("no regularisation", dense_net())}

# %% [markdown]
# ## Weight decay: L2 and L1
#
# Weight decay adds a penalty on the weights to the loss. **L2** adds
# `lam * sum(w ** 2)`: the same penalty ridge regression puts on its
# coefficients. It pulls every weight towards 0 in proportion to its size, so
# the network prefers many small weights to a few large ones, and a function
# that changes smoothly with its input. **L1** adds `lam * sum(|w|)`, as the
# lasso does: its pull does not shrink with the weight, so small weights are
# pushed all the way to 0 and the weights become **sparse**.

# %%
set_seed(SEED)
results["L2, lam = 1e-3"] = train("L2, lam = 1e-3", dense_net(keras.regularizers.l2(1e-3)))
set_seed(SEED)
results["L1, lam = 1e-4"] = train("L1, lam = 1e-4", dense_net(keras.regularizers.l1(1e-4)))

fig, axes = plt.subplots(1, 3, figsize=(11, 2.8), sharey=True)
for ax, (name, (model, _)) in zip(axes, results.items()):
    weights = model.get_layer("hidden").get_weights()[0].ravel()
    near_zero = np.mean(np.abs(weights) < 1e-3)
    ax.hist(weights, bins=80, range=(-0.3, 0.3))
    ax.set_title(f"{name}\n{near_zero:.0%} of |w| < 0.001", fontsize=9)
    ax.set_xlabel("hidden-layer weight")
axes[0].set_ylabel("count")
fig.tight_layout()

# %% [markdown]
# Read the histograms: L2's weights sit in a narrower bell around 0 than the
# unregularised ones, and L1 pushes a large share of them to 0 (printed in
# each title). The penalty's strength `lam` is a hyperparameter like the
# learning rate: too small and nothing changes, too large and the network
# cannot fit even the training set (try it below).
#
# The validation accuracies printed above differ far less than the weights.
# In our run (seed 0, a 2-core AMD EPYC CPU) they were 0.922 without
# regularisation, 0.911 with L2 and 0.928 with L1: with 180 validation digits
# one digit is worth 0.006, so these are differences of one to three digits.
# The digits are an easy problem and the gap here is small; regularisation is
# no free gain, it pays where the gap is large (notebook 03's shapes without
# augmentation) and its strength must be tuned on the validation set.

# %% [markdown]
# ## Dropout, at training time and at test time
#
# A `Dropout(p)` layer sets each input to 0 with probability `p`, anew at
# every training step, and multiplies the survivors by `1 / (1 - p)` so that
# the layer's output keeps the same mean. At test time (`training=False`,
# which `evaluate` and `predict` use) it does nothing. The same input, both
# ways:

# %%
drop = keras.layers.Dropout(0.5, seed=SEED)
ones = np.ones((1, 12), "float32")
print("training:", np.asarray(drop(ones, training=True))[0])
print("test:    ", np.asarray(drop(ones, training=False))[0])
many = np.asarray(drop(np.ones((1000, 100), "float32"), training=True))
print(f"mean over 100,000 draws in training: {many.mean():.3f} (the input's mean is 1)")

# %% [markdown]
# So the network cannot count on any single unit: each must be useful with a
# random half of the others missing. It is meant for a large layer that would
# otherwise memorise, like the 512 units here (watch the training accuracy:
# dropout keeps it below 100%):

# %%
set_seed(SEED)
results["dropout 0.5"] = train("dropout 0.5", dense_net(dropout=0.5))

# %% [markdown]
# Where dropout helps, and where it does not: it restrains a layer with many
# more weights than the data can pin down (this network, or the `Flatten ->
# Dense` heads of notebook 02 and of the book's cats-vs-dogs network). Right
# before a small output layer of a network that is still finding its
# features, and is already restrained by augmentation and batch
# normalisation, it slows learning down (notebook 03 shows such a case).
# Try it where the training and validation curves part, and keep it only if
# the validation curve improves.
#
# ## Early stopping
#
# The third restraint costs nothing: stop when validation accuracy stops
# improving, and keep the weights of the best epoch. Every run above printed
# its best epoch; `training.fit(..., patience=10)` stops there by itself.

# %%
set_seed(SEED)
stopped = dense_net()
history = training.fit(stopped, train_ds, val_ds, epochs=EPOCHS, patience=10, monitor="val_accuracy", verbose=0)
progress.print_line("epochs", len(history.history["loss"]), EPOCHS,
                    {"kept_epoch": history.best_epoch, "val_accuracy": stopped.evaluate(val_ds, verbose=0)[1]},
                    seconds=history.seconds, name="early stopping")

# %% [markdown]
# ## Side by side

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
for name, (_, history) in results.items():
    ax.plot(range(1, len(history.history["val_accuracy"]) + 1), history.history["val_accuracy"], label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# ## Batch normalisation, computed by hand
#
# `BatchNormalization` after a convolution normalises **each channel** over
# the whole batch and every position of the map: subtract that channel's mean,
# divide by its standard deviation, then multiply by a learned scale `gamma`
# and add a learned shift `beta`. Here is a batch of 4 feature maps of 5x5
# positions and 3 channels, normalised by Keras and by hand:

# %%
rng = np.random.default_rng(SEED)
maps = rng.normal(loc=[2.0, -1.0, 5.0], scale=[1.0, 3.0, 0.5], size=(4, 5, 5, 3)).astype("float32")
bn = keras.layers.BatchNormalization(momentum=0.9)
keras_out = np.asarray(bn(maps, training=True))
mean = maps.mean(axis=(0, 1, 2))  # one mean per channel, over the batch and all positions
var = maps.var(axis=(0, 1, 2))
gamma, beta = bn.gamma.numpy(), bn.beta.numpy()  # 1 and 0 before any training
by_hand = gamma * (maps - mean) / np.sqrt(var + bn.epsilon) + beta
print("channel means:", mean.round(3), " variances:", var.round(3))
print("largest difference from Keras:", float(np.abs(keras_out - by_hand).max()))

# %% [markdown]
# At test time a prediction must not depend on the other images in its batch,
# so BN uses **moving averages** of the means and variances it saw in
# training. Each training step moves them a little: `moving = momentum *
# moving + (1 - momentum) * batch value`. After the one step above, from
# their starting values 0 and 1:

# %%
print("moving mean:    ", bn.moving_mean.numpy().round(3), " = 0.1 x", mean.round(3))
print("moving variance:", bn.moving_variance.numpy().round(3))
test_out = np.asarray(bn(maps, training=False))
print(f"the same maps at test time: channel means {test_out.mean(axis=(0, 1, 2)).round(2)} (not 0: the "
      "moving averages have seen one batch only)")

# %% [markdown]
# Three consequences:
#
# - **No bias in the convolution before it.** BN subtracts each channel's
#   mean, so a constant added by the convolution's bias is subtracted again;
#   `beta` does its job. That is why the course's builder uses
#   `Conv2D(use_bias=False)` before BN.
# - **Small batches give noisy statistics.** With 2 images per batch the mean
#   and variance change a lot from one batch to the next; BN then trains
#   worse, and its test-time averages are poor. Keep batches of 16 or more.
# - **When fine-tuning, keep BN in inference mode.** Call the pretrained base
#   with `base(inputs, training=False)` (as notebook 04 does), so that a small
#   new dataset does not overwrite the moving statistics learned on millions
#   of images.
#
# The first consequence can be checked: the same BN output with or without a
# bias in the convolution.

# %%
conv_bias = keras.layers.Conv2D(3, 3, use_bias=True, bias_initializer="random_normal")
conv_plain = keras.layers.Conv2D(3, 3, use_bias=False)
conv_bias.build(maps.shape)
conv_plain.build(maps.shape)
conv_plain.set_weights([conv_bias.get_weights()[0]])  # the same kernel, without the bias
norm = keras.layers.BatchNormalization()
with_bias = np.asarray(norm(conv_bias(maps), training=True))
without = np.asarray(norm(conv_plain(maps), training=True))
print("bias:", conv_bias.get_weights()[1].round(3), " largest BN output difference:",
      float(np.abs(with_bias - without).max()))

# %% [markdown]
# ## 24,180 parameters, by hand
#
# The course's shapes network (`models.shapes_convnet`, notebook 03): three
# blocks of a 3x3 convolution without bias, BN and ReLU (16, 32 and 64
# filters), global max pooling, and a 4-way softmax. Each BN layer has 4
# numbers per channel: `gamma` and `beta` are trained, the moving mean and
# variance are not.

# %%
channels = [3, 16, 32, 64]
conv = sum(3 * 3 * c_in * c_out for c_in, c_out in zip(channels, channels[1:]))  # no biases
bn_trained = sum(2 * c for c in channels[1:])
bn_moving = sum(2 * c for c in channels[1:])
head = 64 * 4 + 4
total = conv + bn_trained + bn_moving + head
print(f"convolutions {conv:,} + BN scale and shift {bn_trained} + BN moving statistics {bn_moving} "
      f"+ softmax {head} = {total:,}")
shapes_net = models.shapes_convnet((64, 64, 3), 4)
print(f"Keras counts {shapes_net.count_params():,}, of which {bn_moving} are not trainable")

# %% [markdown]
# ## Capacity: too small, right, too large
#
# The lectures' U-shaped curve: train the same kind of network with more and
# more hidden units on the same 200 digits. Training error falls as capacity
# grows. Validation error falls too while the network is too small to fit the
# data (underfitting); where it stops falling, more capacity only buys more
# memorising (overfitting). `learning_curves.capacity_curve` trains one fresh,
# seeded model per size.

# %%
def build(units):
    return models.compile_for_task(models.build_dense((8, 8, 1), 10, hidden_units=(units,)))


capacity = learning_curves.capacity_curve(build, [1, 16] if QUICK else [1, 2, 4, 16, 64, 512], (train_x, train_y),
                                          (val.images, val.labels), epochs=EPOCHS, seed=SEED,
                                          capacity_name="hidden units")
learning_curves.plot_capacity_curve(capacity);

# %% [markdown]
# Read the table printed above and the plot: the smallest networks cannot
# even fit the training set (high training error: underfitting). From some
# size on, training error is near 0 and the validation error no longer
# improves: the extra units only memorise. Whether the validation curve rises
# again on the right, the classic U, depends on how long it trains and how it
# is restrained: early stopping and weight decay flatten that right side,
# which is why large networks with regularisation work in practice.

# %% [markdown]
# **Exercise.** A layer with weights `[1, -2, 2]` and the regulariser
# `keras.regularizers.l2(0.01)`: what does it add to the loss?

# %%
exercises.check("08.l2_penalty", None)  # your answer: one number

# %% [markdown]
# **Exercise.** `Dropout(0.2)` in training: a unit whose input is 1.0 and that
# is not dropped outputs what?

# %%
exercises.check("08.dropout_scale", None)  # your answer: one number

# %% [markdown]
# ## Try it yourself
#
# 1. Raise L2's `lam` to 1e-2 and to 1e-1: where does the network stop fitting
#    even the training set?
#    Worked answer, after you have tried: `exercises.solution("08.strong_l2")`.
# 2. Train the dense network on all 1,258 training digits instead of 200: how
#    much of the gap was the small training set?
#    Worked answer, after you have tried: `exercises.solution("08.more_data")`.
#
# ## Key points
#
# - Overfitting is the gap between training and validation accuracy; it grows
#   with capacity and shrinks with data.
# - L2 weight decay shrinks all weights (ridge regression's penalty); L1 makes
#   them sparse (the lasso's).
# - Dropout zeroes random units in training and scales the rest by 1/(1-p);
#   at test time it does nothing. It restrains large layers.
# - Early stopping keeps the best epoch's weights, for free.
# - Batch normalisation normalises each channel over the batch and positions,
#   with moving statistics at test time; the convolution before it needs no
#   bias.
#
# **Next:** assignment A3 (`cnn-course assignment build a3_small_data`) asks you
# to restrain a network trained on a small dataset.
