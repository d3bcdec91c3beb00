# %% [markdown]
# # 03 · Small data, overfitting and data augmentation
#
# **Lecture topic:** overfitting, dropout, early stopping; data augmentation.
#
# **What you will do:** train a convnet from scratch on a small training set and
# watch it overfit; see what augmentation does to one image; train the same
# network with augmentation; compare the two; then see why an older recipe
# (the book's network with strong augmentation and dropout) learned nothing
# for many epochs on these images.
#
# **Time:** about 2 minutes on a 2-core laptop CPU, on the course's embedded
# shapes dataset (no download). If you have the book's cats-vs-dogs images, set
# `CATS_VS_DOGS` below to their folder to run the same steps on them (much
# slower on a CPU: about 20 minutes).

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import matplotlib.pyplot as plt

from cnn_course import augmentation, data, datasets, exercises, models, plots, settings, training
from cnn_course.reproducibility import set_seed

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this
CATS_VS_DOGS = None  # e.g. "data/cats_and_dogs_small" (train/, validation/, test/ with cats/ and dogs/)

# %% [markdown]
# ## Prepare the data
#
# The embedded dataset has 250 training images per class: small enough that a
# convnet learns it by heart. (The book's cats-vs-dogs subset has 1,000 per
# class at 150x150 pixels.)

# %%
if CATS_VS_DOGS:
    splits = datasets.load_split_folders(CATS_VS_DOGS, image_size=(150, 150))
else:
    splits = datasets.load_shapes(quick=QUICK)  # the course's shapes: made once, then read
train, validation, test = splits["train"], splits["validation"], splits["test"]
TASK = "binary" if train.num_classes == 2 else "multiclass"
print(f"{len(train)} training images, {train.num_classes} classes {train.class_names}, "
      f"images {train.image_shape}, task: {TASK}")
plots.show_images(train.images, train.labels, train.class_names, ncols=8, max_images=16);

# %% [markdown]
# ## The network
#
# The same network for both experiments. On the shapes it is
# `models.shapes_convnet`: three blocks of a 3x3 convolution, batch
# normalization, ReLU and 2x2 max pooling (16, 32 and 64 filters), then global
# max pooling, then the softmax: 24,180 parameters. Three choices make it
# learn from the first epochs:
#
# - **Batch normalization** after each convolution rescales its outputs, per
#   channel, to a mean of 0 and a standard deviation of 1 over the batch and
#   every position of the feature map, then lets the network learn a scale and
#   a shift per channel. Every layer gets inputs of a steady size, and a larger
#   step size works from the start. While training it also keeps moving
#   averages of those means and deviations; at test time (`training=False`,
#   which `evaluate` and `predict` use) it normalises with these averages, so
#   an image's prediction does not depend on the other images in its batch.
# - **He initialisation** (`kernel_initializer="he_normal"`), made for ReLU
#   networks: the random starting weights keep the signal's size from layer
#   to layer.
# - **Global max pooling** instead of `Flatten`: each of the 64 channels
#   keeps its largest value, anywhere in the image. A shape that moves
#   lights up the same channels, so the classifier sees the same thing.
#
# For the book's 150x150 cats and dogs we use the book's network instead:
# four conv/pooling blocks, `Flatten`, `Dense(512)` (`models.cats_vs_dogs_convnet`,
# 3,453,121 parameters), with the book's augmentation and dropout.

# %%
big = train.image_shape[0] >= 128
EPOCHS_SCRATCH = 2 if QUICK else (30 if big else 20)
EPOCHS_AUGMENTED = 2 if QUICK else (100 if big else 30)


def build(augment=None):
    """A fresh network, compiled: the shapes convnet, or the book's for 150x150 images."""
    if big:
        model = models.cats_vs_dogs_convnet(dropout=0.5 if augment else 0.0, augmentation=augment)
    else:
        model = models.shapes_convnet(train.image_shape, train.num_classes, augmentation=augment)
    return models.compile_for_task(model, TASK)


train_ds = data.make_dataset(train, batch_size=32, shuffle=True, seed=SEED)
val_ds = data.make_dataset(validation, batch_size=128)
test_ds = data.make_dataset(test, batch_size=128)

# %% [markdown]
# ## A convnet from scratch overfits
#
# No augmentation, no early stopping: we train for a fixed number of epochs
# and keep the whole history, to see what happens late in training.

# %%
set_seed(SEED)
scratch = build()
scratch_history = training.fit(scratch, train_ds, val_ds, epochs=EPOCHS_SCRATCH)
plots.plot_history(scratch_history, metrics=("loss", "accuracy"), title="from scratch")
print(f"last epoch: training accuracy {scratch_history.history['accuracy'][-1]:.3f}, "
      f"validation accuracy {scratch_history.history['val_accuracy'][-1]:.3f}")

# %% [markdown]
# Training accuracy climbs to 100% and the training loss towards 0, while
# validation accuracy levels off well below and the validation loss stays
# far above the training loss. That gap is **overfitting**: the network has
# memorised the 1,000 training images (their clutter, the exact place of each
# shape) beyond what carries over to new images. Early stopping would keep
# the best epoch, but it cannot close the gap.
#
# ## What augmentation does to one image
#
# Data augmentation shows the network a new random variation of each image in
# every epoch. The label stays the same, so the network must learn what does
# not change. The course's recipe for the shapes, `augmentation.recipe("shapes")`,
# mirrors each image half of the time and moves it by up to a tenth of its
# size each way (`horizontal_flip=True, width_shift_range=0.1,
# height_shift_range=0.1` in the book's `ImageDataGenerator` words, built here
# as Keras 3 layers):

# %%
augment = augmentation.recipe("cats_vs_dogs" if big else "shapes", seed=SEED)
augmentation.show_augmentations(train.images[3], augment, n=12, ncols=6);

# %% [markdown]
# Choose augmentations that keep the label true: a mirrored star is still a
# star, and a mirrored cat is still a cat, but a mirrored "b" would be a "d".
#
# ## Colour, grayscale and crops: which keep the label?
#
# Mirroring and shifting move pixels. Photometric augmentations change their
# colours instead, and a random crop cuts the image to a window and enlarges
# it back. All come from the same `augmentation.make_augmentation`; each row
# below starts with the original image.

# %%
more_augmentations = {
    "colour jitter": augmentation.make_augmentation(brightness=0.2, contrast=0.3, saturation=0.5, hue=0.1,
                                                    seed=SEED),
    "grayscale": augmentation.make_augmentation(grayscale=1.0, seed=SEED),
    "random crop (25% cut away)": augmentation.make_augmentation(crop=0.25, seed=SEED),
}
for title, block in more_augmentations.items():
    figure = augmentation.show_augmentations(train.images[3], block, n=6, ncols=6)
    figure.suptitle(title)

# %% [markdown]
# Whether each keeps the label depends on the data, not on the augmentation:
#
# - **Colour jitter** keeps the label of the shapes (a shape's class is its
#   outline, not its colour) and of cats and dogs in any light. It changes
#   the label where colour is the answer: a traffic light's state, ripe
#   against unripe fruit, a rash judged by its redness.
# - **Grayscale** keeps the label of the shapes, of digits and of most
#   objects, and teaches the network to do without colour; it fails the same
#   colour-coded tasks.
# - **A random crop** keeps the label of photographs with the subject in the
#   middle (AlexNet's ImageNet crops). It can change the label of a shape or a
#   digit near the border: cut until a star loses its points, or a "7" looks
#   like a "1".
#
# A crop that loses the object is a wrong label, not a harder example (watch
# the large circle near the border in the crop row above): keep the crop small
# where the objects reach the edges, as the shapes do. Like
# every augmentation, these run only in training: at inference each block
# passes the images unchanged.
#
# Two names from the lectures that this notebook does not use. **ZCA
# whitening** is preprocessing, not augmentation: it removes the correlations
# between neighbouring pixels (estimated on the training set), which leaves
# the edges; `ImageDataGenerator` offered it, Keras 3's layers do not, and
# convnets today rarely use it. **Albumentations**
# is a separate library with many more augmentations (blur, noise, elastic
# distortions, cut-outs) that runs on NumPy images, in the input pipeline.
#
# **Exercise.** `make_augmentation(crop=0.25)` keeps a random window of 75% of
# the height and 75% of the width. What share of the image's area does the
# window keep?

# %%
exercises.check("03.crop_area", None)  # your answer: a number between 0 and 1

# %% [markdown]
# ## The same network with augmentation
#
# The augmentation layers go first in the model, and Keras switches them off at
# test time. They could run in the `tf.data` pipeline instead
# (`data.make_dataset(..., augment=...)`); Keras's preprocessing guide advises
# the pipeline when training on a CPU. Which is faster depends on the machine:
# on two cores the pipeline and the training step compete for the same cores.
# `python benchmarks/bench_training.py` measures both placements on yours.
# Each image now comes in a new form every epoch, so training takes more
# epochs; early stopping (patience 8) keeps the best weights.

# %%
set_seed(SEED)
augmented = build(augment)
augmented_history = training.fit(augmented, train_ds, val_ds, epochs=EPOCHS_AUGMENTED,
                                 patience=8, monitor="val_accuracy")
plots.plot_history(augmented_history, metrics=("loss", "accuracy"), title="with augmentation");

# %% [markdown]
# The training and validation curves now stay together, and validation
# accuracy ends higher. (Training accuracy is measured on the augmented
# images, which are harder; that is why it can sit below validation accuracy
# in the early epochs.)
#
# ## Compare

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, history in (("from scratch", scratch_history), ("with augmentation", augmented_history)):
    ax.plot(range(1, len(history.history["val_accuracy"]) + 1), history.history["val_accuracy"],
            label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.legend()
for name, model in (("from scratch", scratch), ("with augmentation", augmented)):
    print(f"{name:<18} test accuracy {model.evaluate(test_ds, verbose=0)[1]:.3f}")

# %% [markdown]
# ## Why an older recipe learned nothing for many epochs
#
# Earlier versions of this course trained the book's kind of network on the
# shapes: no batch normalization, Keras's default initialisation, `Flatten`
# into `Dense(64)` (295,000 of its 388,000 parameters), dropout 0.5, and a
# stronger augmentation (`augmentation.recipe("strong")`: rotations up to 30
# degrees, shifts and zooms up to 15%). It did learn in a long run, but its
# validation accuracy sat at chance (25%) for many epochs first, and a student
# who stopped at 10 epochs concluded that augmentation breaks learning. Four
# epochs of it, next to the first four of the network above (in our run, seed
# 0 on a 2-core AMD EPYC without AVX-512: 0.27 against 0.69 after four
# epochs; the test suite checks that it is still near chance after three on
# any CPU):

# %%
OLD_EPOCHS = 1 if QUICK else 4
set_seed(SEED)
old = models.compile_for_task(
    models.build_convnet(train.image_shape, train.num_classes, task=TASK, filters=(32, 64, 128),
                         dense_units=(64,), dropout=0.5,
                         augmentation=augmentation.recipe("strong", seed=SEED), name="old_recipe"),
    TASK)
old_history = training.fit(old, train_ds, val_ds, epochs=OLD_EPOCHS, name="old recipe")
rows = {"epoch": range(1, OLD_EPOCHS + 1), "old recipe": old_history.history["val_accuracy"],
        "with augmentation": augmented_history.history["val_accuracy"][:OLD_EPOCHS]}
for label, values in rows.items():
    print(f"{label:<18}", "  ".join(f"{v:5.2f}" if isinstance(v, float) else f"{v:>5}" for v in values))

# %% [markdown]
# What held it back, from changing one thing at a time:
#
# - **The `Flatten` head.** Each of `Dense(64)`'s 4,608 inputs belongs to one
#   place in the image. A star learned in the top left says nothing about a
#   star in the bottom right, and shifting the images spreads every shape
#   over more places: the dense layer needs many more examples of each. With
#   global max pooling, a channel that finds a star's tip finds it anywhere.
# - **Dropout 0.5 right before a small layer.** It silences half of the units
#   at each step. That restrains a large layer that would memorise (notebook
#   08 shows one), but right before the softmax of a network that is still
#   finding its features, and already restrained by augmentation, it slows
#   learning down. Try it on the network above (exercise 2) and compare the
#   first ten epochs.
# - **Rotations and zooms.** They make each training image harder. Shifts and
#   flips are enough to stop the overfitting here.
# - **No batch normalization, default initialisation.** Without them the first
#   epochs of a ReLU network take small steps (notebook 07 shows a deep
#   network that never leaves chance for this reason).
#
# None of this is special to shapes: the book trains its `Flatten` network
# with augmentation and dropout for 100 epochs on its 150x150 cats and dogs.
# Inception and ResNet (notebook 07) end in global average pooling.

# %% [markdown]
# **Exercise.** Batch normalization after a convolution with 32 filters: how many of its
# parameters are trainable, and how many does it have in all?

# %%
exercises.check("03.batchnorm_params", None)  # your answer: a tuple (trainable, total)

# %% [markdown]
# ## Try it yourself
#
# 1. Train the augmented network with `augmentation.recipe("strong")`: how many
#    epochs until it passes 50% validation accuracy, and where does it end?
#    Worked answer, after you have tried: `exercises.solution("03.strong_recipe")`.
# 2. Add dropout to it (`models.shapes_convnet(..., dropout=0.5)`, then 0.2):
#    how do the first ten epochs change?
#    Worked answer, after you have tried: `exercises.solution("03.dropout")`.
# 3. Give the old recipe a global max pooling head (`models.build_convnet(...,
#    head="gmp", dense_units=(64,), dropout=0.5, ...)`): which of the causes
#    above was the largest?
#    Worked answer, after you have tried: `exercises.solution("03.gmp_old_recipe")`.
# 4. Halve the training set (`train.images[::2]`): how do both models react?
#    Worked answer, after you have tried: `exercises.solution("03.half_data")`.

# %% [markdown]
# ## Key points
#
# - With little data a convnet memorises the training set: training accuracy goes to 100%
#   while validation accuracy stalls.
# - Data augmentation shows each image in new forms every epoch; use only changes that keep
#   the label true for your data.
# - Batch normalization (per channel, moving statistics at test time), He initialisation and a
#   global pooling head make a small network learn from the first epochs.
# - Early stopping keeps the best epoch's weights.
#
# **Next:** notebook 04 borrows features from a network trained on other images.
