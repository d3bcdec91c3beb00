# %% [markdown]
# # Mini-project starter · Your own images
#
# **Lecture topics:** the whole convnet block put to work: a convnet from
# scratch, small data and augmentation, transfer learning, and practical
# methodology (baselines, learning curves, looking at errors).
#
# **What you will do:** load your own images from a folder, look at them,
# train a first convnet as a baseline and look at its mistakes. Then the
# notebook points to the course's helpers for the next steps of your project.
# It is a starting point, not a graded assignment: copy it into your project
# and change it as you like (`assignments/mini_project/README.md` says what to
# hand in).
#
# **Time:** about 3 minutes on a 2-core laptop CPU in demo mode. With
# `DATA_DIR` left empty, the notebook writes the course's embedded shapes
# dataset and runs on it, offline, so you can run it top to bottom before your
# own images are ready. On your own images the time depends on how many there
# are and on `IMAGE_SIZE`.

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import os

import numpy as np

from cnn_course import (augmentation, data, datasets, evaluation, learning_curves, models, plots,
                        pretrained, settings, shapes, shapes_base, training, transfer)
from cnn_course.reproducibility import set_seed

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this

# Your folder (see below), or None for the demo on the shapes dataset. You can also set it from the
# shell: MINI_PROJECT_DATA=path/to/data python mini_project_starter.py
DATA_DIR = os.environ.get("MINI_PROJECT_DATA") or None
IMAGE_SIZE = (64, 64)  # (height, width) every image is resized to; 150x150 suits photos better, but is slower
USE_VGG16 = False  # True for photos: transfer from VGG16 (its ImageNet weights, 58 MB, are downloaded once)

# %% [markdown]
# ## 1. Your data
#
# Put your images in the same layout as the book's cats-vs-dogs example: one
# folder per split, and inside it one folder per class, with the same class
# folders in every split.
#
# ```
# data/
#   train/       cats/*.jpg  dogs/*.jpg
#   validation/  cats/*.jpg  dogs/*.jpg
#   test/        cats/*.jpg  dogs/*.jpg
# ```
#
# The class names are the folder names, in alphabetical order. Images may have
# any size: they are resized to `IMAGE_SIZE` (without keeping the aspect
# ratio, so crop very wide or tall images first). If the layout is wrong (a
# split missing, different classes in two splits, a file that is not an
# image), loading stops with a message that says what it found and how to fix
# it.

# %%
if DATA_DIR:
    splits = datasets.load_split_folders(DATA_DIR, image_size=IMAGE_SIZE)
    source = f"your images in {DATA_DIR}"
else:  # the demo: 4 classes of shapes, 64x64 pixels, written once (about 30 s), then read back
    counts = {"train": 12, "validation": 6, "test": 6} if QUICK else None
    root = shapes.make_shapes_dataset(settings.default_data_dir() / ("shapes_quick" if QUICK else "shapes"),
                                      counts=counts, seed=0)
    splits = datasets.load_split_folders(root)
    source = f"the demo shapes dataset in {root}"
train, validation, test = splits["train"], splits["validation"], splits["test"]
names = train.class_names
TASK = "binary" if train.num_classes == 2 else "multiclass"
print(f"Loaded {source}: classes {names}, images {train.image_shape}, task {TASK!r}")

# %% [markdown]
# ## 2. Look at the data
#
# Count the images per class in each split: a class with far fewer images
# than the others changes which metric you should report (accuracy alone can
# hide a class the model never gets right). Then look at some images with
# their labels: are they what you think, and is the label right?

# %%
print(f"{'split':<12}" + "".join(f"{name:>12}" for name in names) + f"{'total':>8}")
for split_name, split in splits.items():
    per_class = np.bincount(split.labels, minlength=len(names))
    print(f"{split_name:<12}" + "".join(f"{n:>12}" for n in per_class) + f"{len(split):>8}")
plots.show_images(train.images, train.labels, names, ncols=8, max_images=16);

# %% [markdown]
# ## 3. Baselines
#
# Any model must beat two numbers. The first needs no learning: always
# predict the most frequent class of the training set. The second is a small
# convnet from scratch: three conv/max-pooling blocks and a dense layer of 64
# units, trained with early stopping on the validation loss. Decisions are
# made on the validation set; the test set is used once, at the very end of
# the project.

# %%
majority = np.bincount(train.labels).argmax()
print(f"majority class ({names[majority]!r}): validation accuracy "
      f"{np.mean(validation.labels == majority):.3f}")

train_ds = data.make_dataset(train, batch_size=32, shuffle=True, seed=SEED)
val_ds = data.make_dataset(validation, batch_size=128)

set_seed(SEED)
baseline = models.compile_for_task(
    models.build_convnet(train.image_shape, train.num_classes, task=TASK, filters=(32, 64, 128),
                         dense_units=(64,)), TASK)
history = training.fit(baseline, train_ds, val_ds, epochs=2 if QUICK else 15, patience=4)
plots.plot_history(history, metrics=("loss", "accuracy"), title="baseline convnet");

# %% [markdown]
# On the demo shapes, expect about 75% validation accuracy (chance is 25%),
# with training accuracy far higher: the baseline overfits. That gap is what
# the next steps work on.
#
# ## 4. Where does the baseline go wrong?
#
# The confusion matrix says which classes are mixed up; the worst errors are
# the mistakes the model was most sure of. Look at them before you change
# anything: a wrong label, a hard image or a real confusion between two
# classes each calls for a different fix.

# %%
y_true, y_prob = evaluation.predict_with_labels(baseline, val_ds)
y_pred = evaluation.predicted_classes(y_prob)
cm = evaluation.confusion_matrix(y_true, y_pred, len(names))
print(f"validation accuracy: {np.mean(y_pred == y_true):.3f}")
print(evaluation.classification_table(y_true, y_pred, names))
evaluation.plot_confusion_matrix(cm, names)
evaluation.plot_worst_errors(validation.images, y_true, y_prob, names, k=8);

# %% [markdown]
# ## 5. Next steps: the course's helpers
#
# Each step below is a short demo you can extend; the notebook named in each
# heading shows it in full.
#
# ### Data augmentation (notebook 03)
#
# Random turns, shifts, zooms and mirror images give the network a new
# version of every image in each epoch. Choose only changes that keep the
# label true for *your* classes (a mirrored cat is still a cat; a mirrored
# "b" is a "d"; a colour change, `brightness=0.1` or `hue=0.05`, keeps a
# leaf's species but not a traffic light's). Pass the block to
# `models.build_convnet(..., augmentation=augment)` and train for more epochs.
# Add `dropout=0.5` when the network's `Flatten -> Dense` head still overfits
# (training accuracy far above validation): dropout restrains a large dense
# layer, and slows down a network that is still learning its features
# (notebooks 03 and 08).

# %%
augment = augmentation.make_augmentation(rotation_range=20, width_shift_range=0.1, height_shift_range=0.1,
                                         zoom_range=0.1, horizontal_flip=True, seed=SEED)
augmentation.show_augmentations(train.images[0], augment, n=8, ncols=8);

# %% [markdown]
# ### Transfer learning (notebook 04)
#
# A convolutional base pretrained on another task turns each image into
# features; a small classifier trained on them often beats a network from
# scratch when you have few images. For photos use VGG16, pretrained on
# ImageNet (`USE_VGG16 = True`: `pretrained.vgg16_base`, with its own
# preprocessing). Offline, the course's small shapes base
# (`shapes_base.load_shapes_base`, pretrained on nine other shapes) plays its
# part; it takes 64x64 colour images only, and it knows shapes, not photos.
# Later, fine-tune the base's top block (`transfer.build_transfer_model`,
# then `transfer.fine_tune`). On the demo shapes, the classifier on the
# shapes base's features reaches about 90% validation accuracy, against about
# 75% for the baseline.

# %%
base, preprocess = None, None
if USE_VGG16:
    try:
        base, preprocess = pretrained.vgg16_base(input_shape=train.image_shape), pretrained.vgg16_preprocess
    except pretrained.WeightsUnavailableError as error:
        print(error)
elif train.image_shape == (64, 64, 3):
    base = shapes_base.load_shapes_base()
else:
    print(f"The shapes base takes 64x64x3 images, not {train.image_shape}: set USE_VGG16 = True.")

if base is not None:
    features = {name: transfer.extract_features(base, split, preprocess=preprocess)
                for name, split in (("train", train), ("validation", validation))}
    set_seed(SEED)
    head = models.compile_for_task(
        transfer.build_feature_classifier(features["train"].shape[1:], train.num_classes, task=TASK), TASK)
    feature_train = data.make_dataset(features["train"], train.labels, batch_size=32, shuffle=True,
                                      seed=SEED, rescale=None)
    feature_val = data.make_dataset(features["validation"], validation.labels, batch_size=128, rescale=None)
    head_history = training.fit(head, feature_train, feature_val, epochs=3 if QUICK else 20, patience=5,
                                monitor="val_accuracy")
    print(f"classifier on the base's features: best validation accuracy "
          f"{max(head_history.history['val_accuracy']):.3f}")

# %% [markdown]
# ### Will more images help? The learning curve (notebook 06)
#
# Train the same network on a quarter, a half and all of the training set.
# If the validation error is still falling at the full size, more images (or
# more augmentation) will help; if training and validation error have met at
# a high value, the model is too small. Each size trains a new model: this is
# the slowest cell here (about a minute and a half on the demo). On the demo
# shapes the validation error falls from about 70% with a quarter of the
# images to under 30% with all of them: more images would still help.

# %%
def build_baseline():
    """A new, compiled copy of the baseline convnet (learning_curve builds one per size)."""
    return models.compile_for_task(
        models.build_convnet(train.image_shape, train.num_classes, task=TASK, filters=(32, 64, 128),
                             dense_units=(64,)), TASK)


curve = learning_curves.learning_curve(build_baseline, train, validation, sizes=(0.25, 0.5, 1.0),
                                       epochs=2 if QUICK else 12, seed=SEED)
learning_curves.plot_learning_curve(curve);

# %% [markdown]
# ### And then
#
# - Tune a few hyperparameters on the validation set (notebook 06:
#   `cnn_course.search.grid_search` and `random_search`), and write down every
#   run you make, good or bad: the report needs them.
# - When your choices are made, evaluate the final model **once** on the test
#   set, with `data.make_dataset(test, batch_size=128)` and
#   `evaluation.predict_with_labels`, and report that number.
# - Fill in `assignments/mini_project/report.md`: question, data, baseline,
#   models, learning curves, errors, conclusion.
