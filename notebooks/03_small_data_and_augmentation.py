# %% [markdown]
# # 03 · Small data, overfitting and data augmentation
#
# **Lecture topic:** overfitting, dropout, early stopping; data augmentation.
#
# **What you will do:** train a convnet from scratch on a small training set and
# watch it overfit; see what augmentation does to one image; train the same
# network with augmentation and dropout; compare the two.
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

from cnn_course import augmentation, data, datasets, models, plots, settings, shapes, training
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
    counts = {"train": 12, "validation": 6, "test": 6} if QUICK else None
    root = shapes.make_shapes_dataset(settings.default_data_dir() / ("shapes_quick" if QUICK else "shapes"),
                                      counts=counts, seed=0)
    splits = datasets.load_split_folders(root)
train, validation, test = splits["train"], splits["validation"], splits["test"]
TASK = "binary" if train.num_classes == 2 else "multiclass"
print(f"{len(train)} training images, {train.num_classes} classes {train.class_names}, "
      f"images {train.image_shape}, task: {TASK}")
plots.show_images(train.images, train.labels, train.class_names, ncols=8, max_images=16);

# %% [markdown]
# The network: the same conv/max-pooling stack for both experiments. For
# 150x150 images we use the book's four blocks and 512 dense units, for the
# 64x64 shapes three blocks and 64 units.

# %%
big = train.image_shape[0] >= 128
ARCHITECTURE = dict(filters=(32, 64, 128, 128) if big else (32, 64, 128),
                    dense_units=(512,) if big else (64,))
EPOCHS_SCRATCH = 2 if QUICK else (30 if big else 20)
EPOCHS_AUGMENTED = 2 if QUICK else (100 if big else 40)

train_ds = data.make_dataset(train, batch_size=32, shuffle=True, seed=SEED)
val_ds = data.make_dataset(validation, batch_size=128)
test_ds = data.make_dataset(test, batch_size=128)

# %% [markdown]
# ## A convnet from scratch overfits
#
# No regularisation at all: we train for a fixed number of epochs and keep the
# whole history, to see what happens after the best epoch.

# %%
set_seed(SEED)
scratch = models.compile_for_task(
    models.build_convnet(train.image_shape, train.num_classes, task=TASK, **ARCHITECTURE), TASK)
scratch_history = training.fit(scratch, train_ds, val_ds, epochs=EPOCHS_SCRATCH)
plots.plot_history(scratch_history, metrics=("loss", "accuracy"), title="from scratch");

# %% [markdown]
# Training accuracy climbs to 100% while validation accuracy stalls around 75%
# and validation loss turns upward after about 10 epochs: the network memorises
# the 1,000 training images (their clutter, their exact positions) instead of
# learning what a shape is. Early stopping would keep the best epoch, but it
# cannot make the network generalise better.
#
# ## What augmentation does to one image
#
# Data augmentation shows the network a new random variation of each image in
# every epoch: turned a little, moved, zoomed, mirrored. The label stays the
# same, so the network must learn what does not change. These are the book's
# `ImageDataGenerator` arguments, built as Keras 3 layers:

# %%
augment = augmentation.make_augmentation(rotation_range=30, width_shift_range=0.15,
                                         height_shift_range=0.15, zoom_range=0.15,
                                         horizontal_flip=True, seed=SEED)
augmentation.show_augmentations(train.images[3], augment, n=12, ncols=6);

# %% [markdown]
# Choose augmentations that keep the label true: a mirrored star is still a
# star, and a mirrored cat is still a cat, but a mirrored "b" would be a "d".
#
# ## The same network with augmentation and dropout
#
# The augmentation layers go first in the model (on a CPU that is faster than
# augmenting in the input pipeline; they are switched off at test time), and
# dropout (rate 0.5) before the dense layer. Each image is now seen in a new
# form every epoch, so it takes more epochs; early stopping keeps the best
# weights. In the first 15 or so epochs the accuracy stays near chance: that
# is normal, so early stopping only starts watching after 20 epochs.

# %%
set_seed(SEED)
regularised = models.compile_for_task(
    models.build_convnet(train.image_shape, train.num_classes, task=TASK, dropout=0.5,
                         augmentation=augment, **ARCHITECTURE), TASK)
regularised_history = training.fit(regularised, train_ds, val_ds, epochs=EPOCHS_AUGMENTED,
                                   patience=10, monitor="val_accuracy",
                                   start_from_epoch=0 if QUICK else 20)
plots.plot_history(regularised_history, metrics=("loss", "accuracy"), title="augmentation + dropout");

# %% [markdown]
# Now training and validation curves stay together: no more overfitting. (The
# validation accuracy can even sit above the training accuracy: training is
# measured on the harder, augmented images, with dropout on.)
#
# ## Compare
#
# On the shapes dataset expect about 75% test accuracy from scratch and about
# 90% with augmentation and dropout.

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, history in (("from scratch", scratch_history), ("augmentation + dropout", regularised_history)):
    ax.plot(history.history["val_accuracy"], label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.legend()
for name, model in (("from scratch", scratch), ("augmentation + dropout", regularised)):
    print(f"{name:<24} test accuracy {model.evaluate(test_ds, verbose=0)[1]:.3f}")

# %% [markdown]
# ## Try it yourself
#
# 1. Drop one augmentation at a time (rotation, shifts, zoom, flip): which one
#    matters most for shapes?
# 2. Keep the augmentation but remove dropout (`dropout=0.0`): how much does
#    each of the two contribute?
# 3. Halve the training set (`train.images[::2]`): how do both models react?
