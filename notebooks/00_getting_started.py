# %% [markdown]
# # 00 · Getting started: your first convnet
#
# **Lecture topic:** images as tensors; conv/max-pooling stacks with a dense head.
#
# **What you will do:** check that your installation works, make the course's
# embedded image dataset (no download needed), look at it, train a first small
# convolutional network and read its training curves.
#
# **Time:** about a minute on a 2-core laptop CPU.
#
# Every helper used here lives in the `cnn_course` package; each one is imported
# by name, so you can always tell where a function comes from (and read its
# source with `??function_name` in Jupyter).

# %% [markdown]
# ## Setup
#
# Import `cnn_course` **before** TensorFlow or Keras: it switches on TensorFlow's
# fast oneDNN CPU kernels. Its modules import TensorFlow only when they need it,
# with TensorFlow's start-up log lines hidden.
# `check_installation()` prints what you have; paste its output when you ask
# for help.

# %%
import cnn_course  # noqa: F401  (sets TensorFlow's flags; import it first)
from cnn_course import augmentation, data, datasets, exercises, models, plots, settings, shapes, training
from cnn_course.reproducibility import set_seed

settings.check_installation()

# %% [markdown]
# One call seeds Python, NumPy and TensorFlow and makes TensorFlow's operations
# deterministic: run this notebook twice and you get the same numbers.
#
# `QUICK` is only for the course's automatic tests, which run every notebook
# with tiny data; leave it off.

# %%
SEED = set_seed(42)
QUICK = settings.quick_mode()
EPOCHS = 2 if QUICK else 15
COUNTS = {"train": 10, "validation": 5, "test": 5} if QUICK else None  # None: the default sizes

# %% [markdown]
# ## Prepare the data
#
# `shapes.make_shapes_dataset` draws a small dataset of coloured shapes and
# writes it as PNG files, in the same folder layout as the book's cats-vs-dogs
# example: one folder per split, one subfolder per class. Each shape varies in
# position, size, rotation and colour, on a random background with clutter,
# so a network must learn what a *shape* is, not just look up pixels.
#
# The second time you run this cell it finds the folder and returns at once.

# %%
root = shapes.make_shapes_dataset(settings.default_data_dir() / ("shapes_quick" if QUICK else "shapes"),
                                  counts=COUNTS, seed=0)
print(sorted(p.name for p in root.iterdir()))
print(sorted(p.name for p in (root / "train").iterdir()))

# %% [markdown]
# `datasets.load_split_folders` reads every image once (a corrupt file would be
# reported here, by name) and returns one `ImageSet` per split: a uint8 array of
# images and their integer labels, in a fixed order. (The later notebooks do
# both steps in one line: `splits = datasets.load_shapes(quick=QUICK)`.)

# %%
splits = datasets.load_split_folders(root)
train, validation, test = splits["train"], splits["validation"], splits["test"]
print("classes:", train.class_names)
print("train images:", train.images.shape, train.images.dtype)  # (n, height, width, channels)
print("labels:", train.labels[:10], "...")

# %% [markdown]
# ## Look at the data
#
# To the computer an image is a grid of numbers: height x width x 3 colour
# channels, each an integer from 0 to 255. Here is the red channel of the
# top-left 6x6 pixels of the first image, and then a grid of images with their
# labels.

# %%
print(train.images[0, :6, :6, 0])
plots.show_images(train.images, train.labels, train.class_names, ncols=8, max_images=16);

# %% [markdown]
# ## The input pipeline
#
# `data.make_dataset` turns the arrays into a `tf.data` pipeline of batches:
# pixels rescaled to [0, 1], training data shuffled (with a seed) every epoch,
# the next batch prepared while the model trains. Validation and test data are
# **not** shuffled, so predictions line up with `test.labels`.
#
# Keras 3 no longer has `ImageDataGenerator`; `augmentation.make_augmentation`
# takes the same argument names and builds Keras preprocessing layers. Here is
# one training image under a few random augmentations:

# %%
augment = augmentation.make_augmentation(rotation_range=30, width_shift_range=0.15,
                                         height_shift_range=0.15, zoom_range=0.15,
                                         horizontal_flip=True, seed=SEED)
augmentation.show_augmentations(train.images[0], augment, n=8, ncols=4);

# %%
train_ds = data.make_dataset(train, batch_size=32, shuffle=True, seed=SEED)
val_ds = data.make_dataset(validation, batch_size=128)
test_ds = data.make_dataset(test, batch_size=128)
images, labels = next(iter(train_ds))
print(images.shape, images.dtype, float(images.numpy().min()), float(images.numpy().max()))

# %% [markdown]
# ## Build the model, one layer per line
#
# A convnet is a stack of blocks, each a convolution (learned 3x3 filters)
# and a 2x2 max pooling that halves the height and the width, followed by a
# small dense head. Here it is in plain Keras, one layer per line; the
# comment on the right of each line is the shape of what comes out (`None`
# is the batch, left open) and the number of parameters the layer learns.
#
# - `keras.Input(shape=(64, 64, 3))`: one image, 64x64 pixels, 3 colour channels.
# - `Conv2D(32, 3, activation="relu")`: 32 filters of 3x3 over the 3 channels,
#   each with a bias: 32 x (3 x 3 x 3 + 1) = 896 parameters. Without padding a
#   3x3 window fits 62 times across 64 pixels, so the output is 62x62x32: one
#   channel (a *feature map*) per filter. ReLU sets negative values to 0.
# - `MaxPooling2D(2)`: the largest value of each 2x2 window: 31x31x32, nothing
#   to learn.
# - `Conv2D(64, 3, ...)`: each filter spans all 32 channels below it:
#   64 x (3 x 3 x 32 + 1) = 18,496 parameters; 29x29x64, pooled to 14x14x64.
# - `Conv2D(128, 3, ...)`: 128 x (3 x 3 x 64 + 1) = 73,856; 12x12x128, pooled
#   to 6x6x128.
# - `Flatten()`: the 6 x 6 x 128 = 4,608 numbers in one row.
# - `Dense(64, activation="relu")`: each of 64 units sees all 4,608 numbers:
#   4,608 x 64 + 64 = 294,976 parameters, three quarters of the whole model.
# - `Dense(4, activation="softmax")`: one probability per class, summing to 1:
#   64 x 4 + 4 = 260.
#
# `models.convnet_shapes` gives the same shapes without building anything:
# use it to check that a stack fits your images before you train.

# %%
for block, shape in models.convnet_shapes(train.image_shape, filters=(32, 64, 128)):
    print(block, shape)

# %%
keras = settings.import_keras()  # `import keras`, with TensorFlow's start-up log lines hidden

set_seed(SEED)
model = keras.Sequential([
    keras.Input(shape=train.image_shape),                          # (None, 64, 64, 3)
    keras.layers.Conv2D(32, 3, activation="relu"),                 # (None, 62, 62, 32)       896
    keras.layers.MaxPooling2D(2),                                  # (None, 31, 31, 32)
    keras.layers.Conv2D(64, 3, activation="relu"),                 # (None, 29, 29, 64)    18,496
    keras.layers.MaxPooling2D(2),                                  # (None, 14, 14, 64)
    keras.layers.Conv2D(128, 3, activation="relu"),                # (None, 12, 12, 128)   73,856
    keras.layers.MaxPooling2D(2),                                  # (None, 6, 6, 128)
    keras.layers.Flatten(),                                        # (None, 4608)
    keras.layers.Dense(64, activation="relu"),                     # (None, 64)           294,976
    keras.layers.Dense(train.num_classes, activation="softmax"),   # (None, 4)                260
], name="convnet")

# %% [markdown]
# `compile` says how the model learns. The last layer and the loss follow
# from the task (the lecture's table): several classes, one label each, so a
# softmax over the classes and, for integer labels, the loss
# `sparse_categorical_crossentropy`. Adam with a learning rate of 1e-3 is a
# safe default optimizer; accuracy is the metric printed while training.
# `model.summary()` lists the layers with the same shapes and parameter
# counts as the comments above: 388,484 in all.

# %%
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary(print_fn=print)  # print_fn=print: plain text, without colour codes

# %% [markdown]
# ### Coming from R?
#
# Some lecture slides write Keras in R (`layer_conv_2d(filters = 32, kernel_size = c(3,3))`).
# The same calls in Python (`layers` is `keras.layers`); the course's `training.fit` wraps
# `model.fit` with early stopping (`patience=`) and label checks:
#
# | R (keras package) | Python (Keras 3) |
# |---|---|
# | `keras_model_sequential() %>% layer_conv_2d(...)` | `keras.Sequential([keras.Input(shape), layers.Conv2D(...)])` |
# | `%>%` (pipe the model into the next layer) | one list entry per layer, or `x = layer(x)` (functional) |
# | `layer_conv_2d(filters = 32, kernel_size = c(3,3),` | `layers.Conv2D(32, (3, 3),` |
# | `activation = "relu",` | `activation="relu")` |
# | `input_shape = c(32,32,3))` | after `keras.Input((32, 32, 3))` |
# | `layer_max_pooling_2d(pool_size = c(2, 2))` | `keras.layers.MaxPooling2D((2, 2))` |
# | `layer_flatten()`, `layer_dense(units = 64)` | `layers.Flatten()`, `layers.Dense(64)` |
# | `layer_dropout(rate = 0.5)` | `layers.Dropout(0.5)` |
# | `compile(optimizer = "adam", metrics = "accuracy")` | `model.compile(optimizer="adam", metrics=["accuracy"])` |
# | `fit(x, y, epochs = 10, validation_split = 0.2)` | `model.fit(x, y, epochs=10, validation_split=0.2)` |
# | `evaluate(x, y)`, `predict(x)` | `model.evaluate(x, y)`, `model.predict(x)` |
# | `callback_early_stopping(patience = 5)` | `keras.callbacks.EarlyStopping(patience=5)` |
# | `image_data_generator(rotation_range = 40, ...)` | `augmentation.make_augmentation(rotation_range=40, ...)` |
# | `application_vgg16(include_top = FALSE)` | `keras.applications.VGG16(include_top=False)` |
# | `freeze_weights(base)` | `base.trainable = False` |
# | `c(3, 3)`, `TRUE` / `FALSE`, indices from 1 | `(3, 3)`, `True` / `False`, indices from 0 |

# %% [markdown]
# The later notebooks build many such networks, so the course has a shortcut:
# `models.build_convnet` writes these lines from a few numbers (the filters of
# each block, the dense units), and `models.compile_for_task` picks the last
# layer's loss from the task's name. It is the same network: `compare_layers`
# lists every difference in layer types, settings, shapes and parameters, and
# finds none.

# %%
built = models.build_convnet(train.image_shape, num_classes=train.num_classes,
                             filters=(32, 64, 128), dense_units=(64,))
print("differences from the model written by hand:", models.compare_layers(model, built) or "none")

# %% [markdown]
# ## Train
#
# `training.fit` checks the labels against the loss before it starts, then
# trains; with `patience` it stops when validation accuracy stops improving and
# keeps the best weights. Each epoch's line ends with the seconds it took: from
# 4 to 7 s on the 2-core AMD EPYC CPU (without AVX-512) this notebook was last
# checked on; a recent laptop is faster.
#
# It prints one line per epoch: the loss and accuracy on the training images,
# the same on the validation images (`val_loss`, `val_accuracy`), and the
# seconds the epoch took. The last line says which epoch's weights were kept.

# %%
history = training.fit(model, train_ds, val_ds, epochs=EPOCHS, patience=5, monitor="val_accuracy")
print(f"trained {len(history.history['loss'])} epochs in {history.seconds:.0f} s")

# %% [markdown]
# The curves: training (solid) against validation (dashed). When training
# accuracy keeps climbing towards 100% while validation accuracy stalls and
# validation loss rises, the network is memorising the training images: it
# **overfits**. With only 250 images per class it starts early: in our run
# (seed 0, the CPU above) validation loss was lowest at epoch 12 while training
# accuracy went on to 99%. Notebook 03 fights it with augmentation.

# %%
plots.plot_history(history, metrics=("loss", "accuracy"));

# %% [markdown]
# ## Evaluate
#
# Test accuracy is measured once, at the end, on images the model has never
# seen. Chance is 25% (four classes); our run (seed 0, the CPU above) printed
# 0.733, and another CPU's rounding gives a somewhat different network. The grid
# shows test images titled "true / predicted", wrong ones in red.

# %%
test_loss, test_accuracy = model.evaluate(test_ds, verbose=0)
print(f"test accuracy: {test_accuracy:.3f}")
probabilities = model.predict(test_ds, verbose=0)
plots.show_images(test.images, test.labels, test.class_names, predictions=probabilities,
                  ncols=8, max_images=16);

# %% [markdown]
# **Exercise.** How many parameters has the first layer of the convnet above, `Conv2D(32, 3)` on 64x64 colour
# images? Work it out by hand, then compare with `model.summary()`.

# %%
exercises.check("00.first_conv_params", None)  # your answer: one number

# %% [markdown]
# ## Try it yourself
#
# 1. Two blocks instead of three: delete the third `Conv2D` and its pooling
#    from the hand-written model (or build it with
#    `models.build_convnet(..., filters=(16, 32), dense_units=(64,))` and
#    compile it with `models.compile_for_task`), then train it as above. How
#    do the parameter count and the test accuracy change?
#    Worked answer, after you have tried: `exercises.solution("00.two_blocks")`.
# 2. Replace the convnet with `models.build_dense(train.image_shape, train.num_classes)`
#    and compare: how many parameters, what test accuracy?
#    Worked answer, after you have tried: `exercises.solution("00.dense_baseline")`.
# 3. Run `cnn-course demo` in a terminal: it trains a dense baseline and the
#    course's convnet for the shapes (`models.shapes_convnet`, 24,180
#    parameters: batch normalization and global max pooling, notebook 03),
#    without and with augmentation, and prints a table.

# %% [markdown]
# ## Key points
#
# - An image is a tensor of shape (height, width, channels); a batch adds a first axis.
# - A convnet is a stack of convolution and pooling blocks, then a dense head whose last
#   layer and loss follow the task (softmax and sparse categorical cross-entropy here).
# - `training.fit` checks labels against the loss, trains, and with `patience` keeps the best
#   epoch's weights; the gap between training and validation curves is the sign of overfitting.
# - `set_seed` once at the top makes a run repeat exactly on the same machine.
#
# **Next:** notebook 01 computes a convolution by hand, with padding and strides.
