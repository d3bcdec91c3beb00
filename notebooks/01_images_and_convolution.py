# %% [markdown]
# # 01 · Images and convolution
#
# **Lecture topic:** images as tensors; convolution vs cross-correlation;
# learned filters and gradient descent; padding, stride and the output-size
# formula; parameter counts, dense vs conv.
#
# **What you will do:** look at images the way the computer does, compute a
# convolution by hand and check it against the lecture's examples and Keras,
# detect edges in a photo, let gradient descent find an edge filter by itself
# (and compare batch sizes and optimisers doing it), predict output sizes with
# the formula, and count why convolutions need so few parameters. Each part
# ends with an exercise that checks your answer.
#
# **Time:** under a minute on a 2-core laptop CPU (only a 3x3 filter is trained).

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image

from cnn_course import convolution, datasets, exercises, explain, filters, lecture_examples, plots, settings

keras = settings.import_keras()  # `import keras`, with TensorFlow's start-up log lines hidden

# %% [markdown]
# ## What an image is to the computer
#
# A grayscale image is a grid of numbers, one per pixel. Here is a handwritten
# digit from scikit-learn's bundled dataset (8x8 pixels, 0 = black, 255 = white):

# %%
digit = datasets.load_digits()["train"].images[0]  # (height, width, channels) = (8, 8, 1)
print(digit.shape, digit.dtype)
print(digit[:, :, 0])
plots.show_images(digit[None], titles=["the same digit"], ncols=1);

# %% [markdown]
# A colour photo has three numbers per pixel: red, green and blue. scikit-learn
# ships two photos, so this works offline. Keras works on **batches** of images,
# a 4-D tensor `(batch, height, width, channels)`.

# %%
photo = load_sample_image("china.jpg")[::2, ::2]  # every 2nd pixel: (214, 320, 3)
print("one photo:", photo.shape, photo.dtype, "pixel (0, 0) =", photo[0, 0])
batch = np.stack([photo, photo[:, ::-1]])  # the photo and its mirror image
print("a batch:", batch.shape)
fig, axes = plt.subplots(1, 4, figsize=(13, 2.8))
axes[0].imshow(photo)
axes[0].set_title("RGB")
for ax, channel, name in zip(axes[1:], range(3), ("red", "green", "blue")):
    ax.imshow(photo[:, :, channel], cmap="gray")
    ax.set_title(f"{name} channel")
for ax in axes:
    ax.set_axis_off()

# %% [markdown]
# ## Convolution, step by step
#
# A 2x2 kernel `K` slides over the image `X`; at each position, multiply the
# overlapping numbers and add them up. That is **cross-correlation**, and it is
# what deep-learning libraries (Keras included) call "convolution". True
# **convolution** flips the kernel first (upside down and left to right). For a
# learned kernel the difference does not matter: the network would just learn
# the flipped kernel.
#
# The lecture's first example (Uppsala 2020 deck):

# %%
X = np.array([[0, 1, 0, 1, 0],
              [0, 1, 1, 1, 0],
              [0, 1, 0, 1, 0]])
K = np.array([[0, 1],
              [0, 1]])
patch = X[0:2, 1:3]
print("patch at row 0, column 1:\n", patch)
print("patch * K summed:", int(np.sum(patch * K)))
print("cross-correlation (what Keras computes):\n", convolution.cross_correlate2d(X, K))
print("true convolution (kernel flipped):\n", convolution.convolve2d(X, K))
keras_result = keras.ops.conv(X[None, :, :, None].astype("float32"),
                              K[:, :, None, None].astype("float32"))  # (batch, h, w, filters)
print("Keras:\n", np.asarray(keras_result)[0, :, :, 0].astype(int))

# %% [markdown]
# **Exercise.** Compute the cross-correlation of the 2025 deck's example by hand
# (write it as a list of lists) and check it, before the next section prints every
# worked example with its answer. The image is
# `[[0,0,0,1,1], [0,0,0,1,1], [0,0,0,1,1], [0,0,1,1,1]]` and the kernel
# `[[-1, 1], [-1, 1]]`.

# %%
exercises.check("01.cross_correlation", None)  # your answer: a 3x4 list of lists

# %% [markdown]
# ## The formulas, and grids that are not images
#
# Convolution comes from mathematics, where it combines two functions: to get
# the value at `t`, flip `g`, slide it to `t`, and use it to weight `f`:
#
# $$(f * g)(t) = \int f(\tau)\, g(t - \tau)\, d\tau$$
#
# On a grid the integral becomes a sum. In one dimension
# $(x * k)[n] = \sum_m x[m]\, k[n - m]$, and in two
# $(X * K)[i, j] = \sum_m \sum_n X[m, n]\, K[i - m, j - n]$. Cross-correlation,
# what Keras computes, leaves out the flip:
# $(X \star K)[i, j] = \sum_m \sum_n X[i + m, j + n]\, K[m, n]$.
#
# The cell writes the one-dimensional sums as loops and checks them against
# NumPy and against Keras's `Conv1D`:

# %%
series = np.array([0.0, 1.0, 3.0, 2.0, 0.0, -1.0, 0.0])
k = np.array([1.0, 0.0, -1.0])
by_formula = [float(sum(series[m] * k[n - m] for m in range(len(series)) if 0 <= n - m < len(k)))
              for n in range(len(series) + len(k) - 1)]  # the convolution sum, every n where it is not empty
print("convolution by the formula:", by_formula)
print("np.convolve (full):        ", np.convolve(series, k).tolist())
valid = [float(np.dot(series[i:i + len(k)], k)) for i in range(len(series) - len(k) + 1)]  # no flip
conv1d = keras.layers.Conv1D(1, 3, use_bias=False)
conv1d.build((None, len(series), 1))
conv1d.set_weights([k.reshape(3, 1, 1)])
print("cross-correlation by the formula:", valid)
print("Keras Conv1D:                    ", np.asarray(conv1d(series.reshape(1, -1, 1)))[0, :, 0].tolist())

# %% [markdown]
# The same layers work on any grid where neighbours matter. A **time series**
# (a heartbeat, a sensor, a sound) is a 1-D grid: `Conv1D` slides along time,
# on `(batch, steps, channels)`. A **video** or a CT scan is a 3-D grid:
# `Conv3D` slides along frames (or slices), height and width, on
# `(batch, depth, height, width, channels)`. The parameter count follows the
# same rule as in 2-D: kernel cells times input channels, plus one bias, per
# filter.

# %%
grids = {
    "Conv1D(8, 5) on a series of 100 steps, 1 channel": (keras.layers.Conv1D(8, 5), (None, 100, 1), 5 * 1 * 8 + 8),
    "Conv2D(8, 3) on a 64x64 RGB image": (keras.layers.Conv2D(8, 3), (None, 64, 64, 3), 3 * 3 * 3 * 8 + 8),
    "Conv3D(8, 3) on 16 frames of 64x64 RGB": (keras.layers.Conv3D(8, 3), (None, 16, 64, 64, 3),
                                               3 * 3 * 3 * 3 * 8 + 8),
}
for what, (layer, shape, by_hand) in grids.items():
    layer.build(shape)
    print(f"{what}: output {layer.compute_output_shape(shape)}, {layer.count_params()} parameters "
          f"(by hand {by_hand})")

# %% [markdown]
# **Exercise.** A `Conv3D` layer with 16 filters of 3x3x3 reads video frames with
# 3 colour channels. How many parameters does it have?

# %%
exercises.check("01.conv3d_params", None)  # your answer: a number

# %% [markdown]
# ## The slides' worked examples, checked
#
# Every worked example in the lecture decks that involves convolution, pooling,
# output sizes or parameter and layer counts is in `cnn_course.lecture_examples.EXAMPLES`,
# with the correct answer computed by our reference code or counted with Keras,
# and tested. Slides are typed by people, and a few have a slip: a chance to
# check you understood, not a reason to distrust the idea. Many of the
# differences in the counts are roundings ("100 million" for 100,000,100) or
# biases left out; the others are real mistakes, and the printout gives the
# reason for each, as in "SLIP ... the + 1 was left out". "SOURCE" marks a
# figure that differs from our count but is the one its source gives (the
# slide is right to quote it). "no value" marks an example where the slide
# prints no answer (a question, or a layer shown without its count): work
# those out yourself before you look them up with
# `lecture_examples.get_example(key).correct_value`.
#
# The exercise above is among them: do it before you run the next cell.

# %%
def shown(value):
    """A slide's or a correct value, printed compactly: whole numbers as ints, big counts with separators."""
    if isinstance(value, np.ndarray):
        value = (value.astype(int) if np.all(value == np.round(value)) else value).tolist()
    return f"{value:,}" if isinstance(value, int) else str(value)


for topic in lecture_examples.TOPICS:
    examples = [example for example in lecture_examples.EXAMPLES if example.topic == topic]
    print(f"\n{topic.upper()}: {len(examples)} example{'s' if len(examples) > 1 else ''}")
    for example in examples:
        status = ("no value" if example.slide_value is None else "SLIP" if example.is_slip
                  else "SOURCE" if example.source else "ok")
        first, last = example.lines
        lines = f"line {first}" if first == last else f"lines {first}-{last}"
        print(f"[{status:>8}] deck {example.deck[:3]}, {lines}: {example.claim}  ({example.key})")
        if example.is_slip:
            unit = "" if example.unit == 1 else f" (x {example.unit:,.0f})"
            print(f"           slide: {shown(example.slide_value)}{unit}  correct: {shown(example.correct_value)}")
            print(f"           {example.slip}")
        if example.source:
            print(f"           {example.source}")
print(f"\n{len(lecture_examples.slips())} of {len(lecture_examples.EXAMPLES)} examples differ from the slide.")

# %% [markdown]
# ## Edge detection on a real photo
#
# Hand-made kernels find simple patterns. A vertical-edge kernel responds where
# brightness changes from left to right, and is about 0 on flat areas. Each plot
# shows the input, the kernel (with its numbers) and the feature map.

# %%
gray = filters.to_grayscale(photo)  # (214, 320), values in [0, 1]
for name in ("vertical_edge", "horizontal_edge", "sobel_x"):
    filters.show_convolution(gray, name, title=name)

# %% [markdown]
# Sharpening and blurring are convolutions too. All the classic kernels:

# %%
for name, description in filters.KERNEL_DESCRIPTIONS.items():
    print(f"{name:<16} {description}")
filters.show_convolution(gray, "sharpen", title="sharpen")
filters.show_convolution(gray, "gaussian_blur", title="gaussian_blur");

# %% [markdown]
# ## The lecture's X: match features, not pixels
#
# The MSIS549 deck's case study asks whether a computer sees that two drawings
# are the same X. Compared pixel by pixel, an X drawn one pixel to the right
# and slightly bent shares few of its ink pixels with the original: the
# computer is literal. Compared by **features**, small pieces an X is made of
# (a `\` stroke, a `/` stroke, the crossing), it is the same X: each 3x3
# filter finds its piece wherever it is, and the strongest response of each
# filter does not care where that was.

# %%
def draw_x(size=9, shift=0, bend=False):
    """A -1/1 image with an X, moved `shift` pixels right; `bend` moves the lower half of one stroke."""
    image = -np.ones((size, size))
    for i in range(1, size - 1):
        image[i, min(i + shift, size - 1)] = 1  # the "\" stroke
        j = size - 1 - i + shift + (1 if bend and i > size // 2 else 0)
        image[i, min(j, size - 1)] = 1  # the "/" stroke
    return image


x_features = {  # each is +1 where its piece has ink, -1 where it has none
    "\\ stroke": np.where(np.eye(3) > 0, 1, -1),
    "/ stroke": np.where(np.fliplr(np.eye(3)) > 0, 1, -1),
    "crossing": np.where(np.eye(3) + np.fliplr(np.eye(3)) > 0, 1, -1),
}
original, moved = draw_x(), draw_x(shift=1, bend=True)
plots.show_images((np.stack([original, moved])[..., None] + 1) / 2, titles=["the X", "moved and bent"], ncols=2)
print(f"ink pixels in common: {np.sum((original > 0) & (moved > 0))} of {np.sum(original > 0)}; "
      f"pixels that differ: {np.sum(original != moved)} of {original.size}")
for name, kernel in x_features.items():
    best = [convolution.cross_correlate2d(image, kernel).max() for image in (original, moved)]
    print(f"{name:>9} filter: strongest response {best[0]:.0f} in the original, {best[1]:.0f} in the moved X "
          f"(9 is a perfect match)")

# %% [markdown]
# The strokes still match perfectly in the moved, bent X; only the crossing,
# which the bend damaged, matches less well (5 of 9 in the printout). A convnet builds on exactly
# this: its first layer finds small pieces anywhere, pooling keeps the
# strongest responses, and later layers combine pieces into larger ones.
#
# In a convnet nobody writes these kernels: the network **learns** its filters
# by backpropagation, and its first layer usually ends up with edge and colour
# detectors much like these.
#
# ## A filter learned by gradient descent
#
# Watch it happen on the smallest network there is: one 3x3 convolution, no
# bias, nine weights starting as random numbers. The training data are 64
# patches of the photo, each paired with what the Sobel kernel makes of it;
# the loss is the mean squared difference between the layer's output and that
# target. `tf.GradientTape` records the forward pass and then gives the
# gradient of the loss with respect to the nine weights: that is
# backpropagation. An optimiser moves the weights against the gradient; plain
# gradient descent takes `w <- w - learning_rate * gradient`.
#
# Three choices are compared on the same problem, each for the same number of
# updates:
#
# - how many examples each update sees: all 64 (**batch** gradient descent),
#   8 (**mini-batch**, what `fit(batch_size=...)` does) or 1 (**stochastic**);
# - the optimiser: plain SGD, SGD with **momentum** (a running sum of past
#   gradients, so steps build up speed along a consistent direction),
#   **RMSprop** (each weight's step divided by the size of its recent
#   gradients) and **Adam** (both ideas together).

# %%
tf = settings.import_tensorflow_quietly()
keras = settings.import_keras()
QUICK = settings.quick_mode()  # only the course's automatic tests set this
STEPS = 20 if QUICK else 200

sobel = filters.get_kernel("sobel_x")  # the kernel to recover
corners = np.random.default_rng(0).integers(0, [gray.shape[0] - 32, gray.shape[1] - 32], size=(64, 2))
patches = np.stack([gray[r:r + 32, c:c + 32] for r, c in corners])[..., None].astype("float32")  # (64, 32, 32, 1)
targets = np.stack([convolution.cross_correlate2d(p[..., 0], sobel) for p in patches])[..., None]  # (64, 30, 30, 1)


def mse(weights, images, wanted):
    """The loss: mean squared difference between the convolution's output and the target."""
    return tf.reduce_mean((tf.nn.conv2d(images, weights, strides=1, padding="VALID") - wanted) ** 2)


def learn_kernel(optimizer, batch_size, seed=0):
    """STEPS updates from random weights; returns the learned 3x3 kernel and the loss on all 64 after each."""
    rng = np.random.default_rng(seed)
    weights = tf.Variable(rng.normal(0, 0.1, (3, 3, 1, 1)).astype("float32"))  # (kh, kw, C_in, filters)
    losses = []
    for _ in range(STEPS):
        batch = rng.choice(len(patches), size=batch_size, replace=False)
        with tf.GradientTape() as tape:
            loss = mse(weights, patches[batch], targets[batch])  # forward pass, recorded
        gradient = tape.gradient(loss, weights)  # backward pass: d loss / d weights
        optimizer.apply_gradients([(gradient, weights)])  # plain SGD: weights -= learning_rate * gradient
        losses.append(float(mse(weights, patches, targets)))
    return weights.numpy()[:, :, 0, 0], losses


runs = {
    "batch (64), SGD": (keras.optimizers.SGD(0.2), 64),
    "mini-batch (8), SGD": (keras.optimizers.SGD(0.2), 8),
    "stochastic (1), SGD": (keras.optimizers.SGD(0.05), 1),
    "batch, SGD + momentum 0.9": (keras.optimizers.SGD(0.2, momentum=0.9), 64),
    "batch, RMSprop": (keras.optimizers.RMSprop(0.01), 64),
    "batch, Adam": (keras.optimizers.Adam(0.05), 64),
}
learned = {}
fig, ax = plt.subplots(figsize=(7, 3.6))
for name, (optimizer, batch_size) in runs.items():
    learned[name], losses = learn_kernel(optimizer, batch_size)
    ax.semilogy(np.arange(1, STEPS + 1), losses, label=name)
    print(f"{name:<27} loss {losses[0]:.4f} after 1 update, {losses[-1]:.6f} after {STEPS}; "
          f"largest kernel error {np.abs(learned[name] - sobel).max():.3f}")
ax.set_xlabel("update")
ax.set_ylabel("loss on all 64 patches")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
print("Sobel:\n", sobel, "\nlearned with momentum:\n", np.round(learned["batch, SGD + momentum 0.9"], 2))

# %% [markdown]
# Read the curves. Plain gradient descent creeps: the loss is steep along
# some combinations of the nine weights and nearly flat along others (an edge
# kernel's weights must cancel on flat areas), and a learning rate small
# enough not to overshoot on the steep ones crawls along the flat ones. A
# larger rate makes it diverge: try 0.5. Momentum builds up speed along the
# flat directions and recovers the Sobel kernel to two decimals in our run
# (seed 0, a 2-core Intel Xeon); Adam gets close too. Mini-batches of 8 follow
# the batch curve for an eighth of the work per update, and single examples
# make the noisiest, slowest progress per update, for a 64th of the work. A
# real network has millions of weights instead of nine, but the same three
# choices, and Keras's `fit` makes them for you: `batch_size=` and
# `optimizer=`.
#
# **Exercise.** One weight `w = 2`, one example `x = 3` with target `y = 12`,
# and the loss `(w * x - y) ** 2`. What is `w` after one step of gradient
# descent with learning rate 0.01?

# %%
exercises.check("01.gd_step", None)  # your answer: a number

# %% [markdown]
# ## Padding, stride and the output size
#
# A `k x k` kernel fits `H - k + 1` times along a side of length `H`. Padding
# with `p` zeros on each side adds `2p`; a stride `s` keeps every `s`-th
# position. Together:
#
# `output = floor((H - k + 2p) / s) + 1`
#
# `convolution.output_size` computes it; here it is against the shapes Keras
# produces:

# %%
print(f"{'input':>6} {'kernel':>7} {'padding':>8} {'stride':>7} {'formula':>8} {'Keras':>6}")
for size, kernel, padding, stride in [(32, 3, "valid", 1), (32, 3, "same", 1), (32, 5, "valid", 2),
                                      (150, 3, "valid", 1), (28, 2, "valid", 2), (7, 3, "same", 2)]:
    ours = convolution.output_size(size, kernel, padding=padding, stride=stride)
    layer = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding)
    theirs = layer.compute_output_shape((1, size, size, 1))[1]
    print(f"{size:>6} {kernel:>7} {padding:>8} {stride:>7} {ours:>8} {theirs:>6}")

# %% [markdown]
# `same` padding adds just enough zeros that the output keeps the input's size
# (with stride 1). Here is the 2025 deck's image padded with one ring of zeros
# and filtered with a 3x3 blur:

# %%
X2 = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 1]], dtype=float)
print("padded input:\n", np.pad(X2, 1).astype(int))
print("output, same size as the input:\n",
      np.round(convolution.cross_correlate2d(X2, filters.get_kernel("box_blur"), padding="same"), 2))

# %% [markdown]
# With an odd kernel the padding is symmetric: a 3x3 kernel needs one zero on
# every side, a 5x5 two, and each output pixel lines up with the pixel under
# the kernel's centre. An even kernel has no centre pixel, and `same` needs an
# odd number of zeros (`k - 1`), which cannot be split evenly: TensorFlow puts
# the extra zero after the image, at the bottom and on the right. The cell
# shows it with a 2x2 kernel that picks one corner of its window: picking the
# top-left corner returns the image unchanged; picking the bottom-right corner
# returns it moved one pixel up and left, with a row and a column of padding
# zeros entering at the bottom and right.

# %%
image3 = np.arange(1, 10, dtype="float32").reshape(3, 3)
for corner, kernel in (("top-left", [[1, 0], [0, 0]]), ("bottom-right", [[0, 0], [0, 1]])):
    layer = keras.layers.Conv2D(1, 2, padding="same", use_bias=False)
    layer.build((None, 3, 3, 1))
    layer.set_weights([np.array(kernel, "float32").reshape(2, 2, 1, 1)])
    out = np.asarray(layer(image3.reshape(1, 3, 3, 1)))[0, :, :, 0]
    print(f"2x2 kernel picking its {corner} cell, same padding:\n{out.astype(int)}")
zeros_after = convolution.cross_correlate2d(np.pad(image3, ((0, 1), (0, 1))), np.array([[0, 0], [0, 1]]))
print("by hand, one zero after the image on each axis:\n", zeros_after.astype(int))

# %% [markdown]
# A stride of 2 halves the size at each layer, so a few strided layers take an
# image down to a single position: 64, 32, 16, 8, 4, 2, 1 with six of them. The
# price is that a strided layer looks at only some positions and skips the
# rest. It throws information away, and it does not make the network
# indifferent to small shifts: move the input by one pixel and the output does
# not move by half a pixel, it changes. A 1x1 convolution with stride 2 shows it
# plainly: one bright pixel is kept at an even column and lost at an odd one.

# %%
sizes = [64]
while sizes[-1] > 1:
    sizes.append(convolution.output_size(sizes[-1], 3, padding="same", stride=2))
print("3x3 convolutions with stride 2 and same padding:", " -> ".join(map(str, sizes)))
pick = keras.layers.Conv2D(1, 1, strides=2, use_bias=False, kernel_initializer="ones")  # keeps every other pixel
for column in (2, 3):
    dot = np.zeros((1, 8, 8, 1), "float32")
    dot[0, 4, column, 0] = 1.0
    kept = np.asarray(pick(dot))[0, :, :, 0]
    print(f"bright pixel at column {column}: the strided output holds {kept.sum():.0f} of it")

# %% [markdown]
# **Exercises.** Use the formula, then check.

# %%
exercises.check("01.output_size_valid", None)  # your answer: a number
exercises.check("01.output_size_stride", None)
exercises.check("01.same_padding", None)

# %% [markdown]
# ## Why convolutions need far fewer parameters
#
# A dense unit has one weight for every input pixel. A convolution filter has
# one weight per kernel cell and channel, shared across all positions. The
# lecture's comparison: a 1000x1000 grayscale image into 100 dense units, or
# into 100 filters of 3x3:

# %%
print(explain.compare_dense_and_conv((1000, 1000), dense_units=(100,), conv_filters=(100,),
                                     kernel_size=3))

# %% [markdown]
# (The slides round the dense count to 100 million, leaving out the 100
# biases: `explain.dense_params(1000 * 1000, 100)` gives the exact number.)
#
# The lecture's question: a 64x64 image, dense layers of 256, 128, 64 and 16
# units, against three valid 5x5 convolutions with 16 filters each and a dense
# layer of 16:

# %%
print(explain.compare_dense_and_conv((64, 64), dense_units=(256, 128, 64, 16),
                                     conv_filters=(16, 16, 16), kernel_size=5, conv_head=16))
print("exact dense count for 1000x1000 -> 100:", f"{explain.dense_params(1000 * 1000, 100):,}")

# %% [markdown]
# **Exercises.**

# %%
exercises.check("01.conv_params", None)  # your answer: a number
exercises.check("01.dense_params", None)

# %% [markdown]
# ## Try it yourself
#
# 1. Write your own 3x3 kernel that finds diagonal edges and try it with
#    `filters.show_convolution(gray, my_kernel)`.
#    Worked answer, after you have tried: `exercises.solution("01.diagonal_kernel")`.
# 2. Use `convolution.conv2d` with `filters.get_kernel("sobel_x")` on the three
#    colour channels of the photo (kernel shape `(3, 3, 3, 1)`): how does it
#    differ from filtering the grayscale image?
#    Worked answer, after you have tried: `exercises.solution("01.sobel_on_colour")`.

# %% [markdown]
# ## Key points
#
# - Keras's "convolution" is cross-correlation; true convolution flips the kernel first.
# - Output size along one axis: floor((n - k + 2p) / s) + 1; "same" padding keeps n (stride 1).
# - A Conv2D layer has (k * k * C_in + 1) * filters parameters, whatever the image size;
#   a dense layer on the same image has one weight per pixel and unit.
# - Hand-made kernels find edges; a network learns its own: backpropagation gives the gradient
#   of the loss, and each update moves the weights against it.
# - Batch, mini-batch or stochastic: how many examples each update sees. Momentum and Adam
#   reach the bottom of a badly scaled loss far sooner than plain gradient descent.
#
# **Next:** notebook 02 adds pooling and trains a first convnet against dense baselines.
