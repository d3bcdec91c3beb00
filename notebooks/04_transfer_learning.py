# %% [markdown]
# # 04 · Transfer learning: feature extraction and fine-tuning
#
# **Lecture topic:** VGG16 and pretrained networks; transfer learning by feature
# extraction and by fine-tuning; when to fine-tune.
#
# **What you will do:** take a convolutional base pretrained on another task,
# use it as a fixed feature extractor (features computed once and cached, so
# the classifier trains in a fraction of a second per epoch), then with
# augmentation, then fine-tune its top block and then the whole base; reuse
# only its first blocks; compare with a network trained from scratch on the
# same small training set; and watch a base forget its source task.
#
# **Time:** about 3 minutes on a 2-core laptop CPU, offline. The base is
# `cnn_course`'s own small pretrained network, shipped with the package: it
# plays the part of VGG16 (trained on ImageNet) without the 58 MB download and
# the hours of CPU time. Set `USE_VGG16 = True` to use the real VGG16 when you
# have its ImageNet weights (the cell tells you which file to fetch if not).

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import re

import numpy as np

from cnn_course import (augmentation, data, datasets, exercises, models, plots, pretrained, settings,
                        shapes_base, training, transfer)
from cnn_course.reproducibility import set_seed

keras = settings.import_keras()  # `import keras`, with TensorFlow's start-up log lines hidden

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this
USE_VGG16 = False
PER_CLASS = 10 if QUICK else 50  # training images per class: a small dataset

# %% [markdown]
# ## Prepare the data: a small training set
#
# The course's shapes dataset, keeping only the first `PER_CLASS` training
# images of each class. Validation and test sets are the full ones, so the
# comparison is measured on the same 400 test images.

# %%
splits = datasets.load_shapes(quick=QUICK)  # the course's shapes: made once, then read
full_train, validation, test = splits["train"], splits["validation"], splits["test"]
keep = np.concatenate([np.flatnonzero(full_train.labels == c)[:PER_CLASS]
                       for c in range(full_train.num_classes)])
train = datasets.ImageSet(full_train.images[keep], full_train.labels[keep], full_train.class_names)
print(f"{len(train)} training images ({PER_CLASS} per class), {len(validation)} validation, "
      f"{len(test)} test; classes {train.class_names}")

# %% [markdown]
# ## The pretrained base
#
# `shapes_base.load_shapes_base()` returns a three-block convolutional base
# pretrained by `cnn_course` on nine *other* shapes (crosses, hexagons, hearts,
# arrows ...), never on circles, squares, triangles or stars, just as VGG16
# was trained on ImageNet's 1,000 classes and not on your problem. What it
# learned (edges, corners, curves, how to ignore clutter) transfers.

# %%
print("source task:", ", ".join(shapes_base.SOURCE_CLASSES))
base = shapes_base.load_shapes_base()
preprocess = None  # the shapes base takes pixels / 255, the default
if USE_VGG16:
    try:
        base = pretrained.vgg16_base(input_shape=train.image_shape)
        preprocess = pretrained.vgg16_preprocess
    except pretrained.WeightsUnavailableError as error:
        print(error)
        print("\nContinuing with the shapes base.")
base.summary(print_fn=print)  # print_fn=print: plain text, without colour codes

# %% [markdown]
# ## A baseline: the same small training set, from scratch
#
# Notebook 03's network with its augmentation (`models.shapes_convnet`: three
# conv-BN-ReLU/max-pooling blocks and global max pooling; the "shapes" recipe:
# mirror and shift by up to 10%), trained from scratch on the small training set.

# %%
EPOCHS_SCRATCH = 2 if QUICK else 40
train_ds = data.make_dataset(train, batch_size=32, shuffle=True, seed=SEED)
val_ds = data.make_dataset(validation, batch_size=128)
test_ds = data.make_dataset(test, batch_size=128)
augment = augmentation.recipe("shapes", seed=SEED)
set_seed(SEED)
scratch = models.compile_for_task(
    models.shapes_convnet(train.image_shape, train.num_classes, augmentation=augment), "multiclass")
scratch_history = training.fit(scratch, train_ds, val_ds, epochs=EPOCHS_SCRATCH, patience=10,
                               monitor="val_accuracy")
results = {"from scratch (with augmentation)": scratch.evaluate(test_ds, verbose=0)[1]}
print(f"from scratch: test accuracy {results['from scratch (with augmentation)']:.3f} "
      f"after {len(scratch_history.history['loss'])} epochs, {scratch_history.seconds:.0f} s")

# %% [markdown]
# ## Feature extraction, fast: run the base once and cache its features
#
# The frozen base turns every image into a `6 x 6 x 128` block of features.
# Computing them once and training a small dense classifier on them is the
# fastest way to use a pretrained network. `transfer.extract_features` caches
# them (keyed by the base's weights, the image size and the data), so running
# the cell again costs nothing.

# %%
features = {name: transfer.extract_features(base, split, preprocess=preprocess)
            for name, split in (("train", train), ("validation", validation), ("test", test))}
print(transfer.last_extraction())
features_again = transfer.extract_features(base, train, preprocess=preprocess)  # says: loaded from cache
print("features:", features["train"].shape)  # (images, height, width, channels)

# %%
EPOCHS_HEAD = 3 if QUICK else 40


def train_head(features, head="flatten", name=None):
    """Train a dense classifier on cached features; return it, its history and its test accuracy."""
    set_seed(SEED)
    feature_train = data.make_dataset(features["train"], train.labels, batch_size=32, shuffle=True,
                                      seed=SEED, rescale=None)
    feature_val = data.make_dataset(features["validation"], validation.labels, batch_size=128, rescale=None)
    classifier = models.compile_for_task(
        transfer.build_feature_classifier(features["train"].shape[1:], train.num_classes, head=head), "multiclass")
    history = training.fit(classifier, feature_train, feature_val, epochs=EPOCHS_HEAD, patience=10,
                           monitor="val_accuracy", name=name)
    feature_test = data.make_dataset(features["test"], test.labels, batch_size=128, rescale=None)
    return classifier, history, classifier.evaluate(feature_test, verbose=0)[1]


_, head_history, results["feature extraction (cached)"] = train_head(features)
print(f"feature extraction: test accuracy {results['feature extraction (cached)']:.3f}, "
      f"{head_history.seconds / len(head_history.history['loss']):.2f} s per epoch")
plots.plot_history(head_history, metrics=("loss", "accuracy"), title="classifier on cached features");

# %% [markdown]
# ## Feature extraction with augmentation: the base inside the model
#
# Cached features cannot be augmented: every epoch sees the same ones. To
# augment, put the frozen base inside the model, after the augmentation layers;
# every image now goes through the base at every epoch (slower), in a new
# random form. Freezing matters: count the trainable weights before and after.

# %%
set_seed(SEED)
model = transfer.build_transfer_model(base, train.num_classes, augmentation=augment,
                                      preprocess=pretrained.vgg16_preprocessing_layer()
                                      if preprocess is not None else None)
base.trainable = True
print(transfer.trainable_summary(model, "if the base were not frozen"))
transfer.freeze(base)
print(transfer.trainable_summary(model, "after freezing the base"))
models.compile_for_task(model, "multiclass")

# %%
EPOCHS_AUGMENTED = 2 if QUICK else 40
raw = dict(batch_size=32, rescale=None)  # the model rescales the pixels itself
raw_train = data.make_dataset(train, shuffle=True, seed=SEED, **raw)
raw_val = data.make_dataset(validation, **raw)
raw_test = data.make_dataset(test, **raw)
aug_history = training.fit(model, raw_train, raw_val, epochs=EPOCHS_AUGMENTED, patience=10,
                           monitor="val_accuracy")
results["feature extraction + augmentation"] = model.evaluate(raw_test, verbose=0)[1]
print(f"feature extraction + augmentation: test accuracy "
      f"{results['feature extraction + augmentation']:.3f}, "
      f"{aug_history.seconds / len(aug_history.history['loss']):.2f} s per epoch")

# %% [markdown]
# ## Fine-tuning the top block
#
# Now unfreeze the base's top block and keep training with a **small**
# learning rate, so that the pretrained filters are adjusted, not wrecked. The
# top block is the last one: `block3_conv1` onwards in our three-block shapes
# base, `block5_conv1` onwards in VGG16 (there `block3_conv1` would open three
# of its five blocks, 14.5 million weights). VGG16's filters, trained much
# longer on far more images, get the smaller rate of 1e-5; our small base 1e-4.
# `transfer.fine_tune` does the unfreezing and the recompiling in one call
# (Keras ignores a change of `trainable` until the model is compiled again),
# and refuses to start before the new head has been trained: the large errors
# of a random head would destroy the pretrained filters. Note that it changes
# two things, not one: the learning rate, and the optimizer, which becomes
# RMSprop (Deep Learning with Python's choice for fine-tuning) where the head
# was trained with Adam. Pass `optimizer="adam"` to change the rate alone.

# %%
EPOCHS_FINE = 2 if QUICK else 30
top_block = [layer.name for layer in base.layers if layer.name.endswith("_conv1")][-1]
fine_tuning_rate = 1e-5 if top_block == "block5_conv1" else 1e-4  # VGG16, else the shapes base
print(f"unfreezing from {top_block}, learning rate {fine_tuning_rate:g}")
transfer.fine_tune(model, base, from_layer=top_block, learning_rate=fine_tuning_rate)
print(transfer.trainable_summary(model, "while fine-tuning"))
fine_history = training.fit(model, raw_train, raw_val, epochs=EPOCHS_FINE, patience=10,
                            monitor="val_accuracy")
results["fine-tuning (top block)"] = model.evaluate(raw_test, verbose=0)[1]
print(f"fine-tuning: test accuracy {results['fine-tuning (top block)']:.3f}")

# %% [markdown]
# ## Fine-tuning the whole model
#
# The last rung: unfreeze every layer of the base. Each pretrained filter can
# now move towards our 200 images, so this step risks the most: it needs the
# smallest learning rate, and it pays when there is plenty of data from a
# domain close to the source. Here it continues from the top-block model
# above, with a rate ten times smaller still; `allow_all=True` confirms that
# unfreezing everything is meant.

# %%
EPOCHS_WHOLE = 2 if QUICK else 15
first_block = [layer.name for layer in base.layers if layer.name.endswith("_conv1")][0]
transfer.fine_tune(model, base, from_layer=first_block, learning_rate=fine_tuning_rate / 10, allow_all=True)
print(transfer.trainable_summary(model, "fine-tuning the whole base"))
whole_history = training.fit(model, raw_train, raw_val, epochs=EPOCHS_WHOLE, patience=10,
                             monitor="val_accuracy")
results["fine-tuning (whole base)"] = model.evaluate(raw_test, verbose=0)[1]
print(f"whole base fine-tuned: test accuracy {results['fine-tuning (whole base)']:.3f}")

# %% [markdown]
# Compare this accuracy with the top block's, printed above. In our run (seed
# 0, a 2-core Intel Xeon with AVX-512) they were 0.885 and 0.882: unfreezing
# everything, carefully, neither helped nor hurt here. With 200 images there is
# little to gain from moving the early filters, which are generic already; the
# step is worth its risk when the training set is large.

# %% [markdown]
# ## Reusing part of the base
#
# A base's early blocks hold generic features (edges, corners), its last ones
# features specific to its source task. When your task is far from that
# source, the last blocks may hinder more than help: keep only the first
# ones. `keras.Model(base.input, base.get_layer(name).output)` cuts a base
# after any layer; here after its second block (after VGG16's fourth), then
# the same feature-extraction recipe as above, with a global-max-pooling head
# because the uncut maps are larger.

# %%
cut = "block4_pool" if top_block == "block5_conv1" else "block2_pool"
part = keras.Model(base.input, base.get_layer(cut).output, name=f"base_to_{cut}")
part_features = {name: transfer.extract_features(part, split, preprocess=preprocess, verbose=0)
                 for name, split in (("train", train), ("validation", validation), ("test", test))}
print(f"features cut after {cut}:", part_features["train"].shape[1:], "instead of", features["train"].shape[1:])
*_, results[f"feature extraction (cut after {cut})"] = train_head(part_features, head="gmp", name=f"head on {cut}")
print(f"cut after {cut}: test accuracy {results[f'feature extraction (cut after {cut})']:.3f}")

# %% [markdown]
# In our run the cut base gave 0.720, against 0.738 for the whole frozen base
# (both without augmentation). Our target shapes resemble the source shapes,
# so the third block's features help a little, and keeping them is right. Cut
# a base when the source is far from your data (ImageNet photographs for
# X-rays or satellite images): the later blocks' features then describe
# things your images do not contain.

# %% [markdown]
# ## Compare
#
# All on the same 400 test images, after training on 50 images per class.
# What to look for in the table below (the exact numbers move a little
# from machine to machine):
#
# - From scratch, even with batch normalization and augmentation, 200 images
#   are few. Early stopping (patience 10) ends that run when validation
#   accuracy stops improving; the epochs it printed say whether that came
#   before the 40 allowed, and its accuracy stays below what notebook 03's
#   network reaches with 1,000 images.
# - The classifier on cached features gets close to that in a fraction of a
#   second per epoch, without any augmentation.
# - Augmentation with the frozen base inside the model, then fine-tuning the
#   top block and then the whole base, go clearly past training from scratch.
# - The base cut after its second block is no better than the whole base:
#   the source is close to our task.
#
# Transfer learning pays most when data is scarce: with the full 250 images
# per class, the network trained from scratch with augmentation does better
# still (compare with the test accuracy notebook 03 prints for it).

# %%
for name, accuracy in results.items():
    print(f"{name:<44} {accuracy:.3f}")

# %% [markdown]
# ## When to fine-tune, and when not
#
# The lecture's practical strategy, in order:
#
# 1. Load a network pretrained on a large dataset and freeze its convolutional base.
# 2. Train a new classification head on top (here on cached features, in seconds).
# 3. If you need more: unfreeze the top block(s) and continue with a small
#    learning rate (1e-5 for VGG16's last block; 1e-4 for our small base).
#
# Fine-tune when you have a moderate amount of data and your images resemble
# the pretraining data. With extremely little data, fine-tuning risks
# overfitting: keep the base frozen. With a very different domain (medical
# scans vs ImageNet photos), reuse fewer, earlier layers, which hold the most
# generic features (edges, textures).
#
# ## The vocabulary of transfer
#
# - **Feature extraction**: the base frozen, only a new head trained (the
#   first two experiments above).
# - **Fine-tuning the top block(s)**: the head first, then the last block
#   unfrozen with a small learning rate (the third experiment).
# - **Fine-tuning the whole model**: every layer unfrozen, as run above
#   (`transfer.fine_tune(..., allow_all=True)`, or `base.trainable = True`
#   and compile again). It makes sense with plenty of
#   data from a domain close to the source; with little data it overfits, and
#   at a high learning rate it destroys what the base knew.
# - **Reusing part of a network**: keep only the first blocks
#   (`keras.Model(base.input, base.get_layer("block2_pool").output)`, run
#   above), when the later, more specific layers suit the source task and not
#   yours.
# - **Catastrophic forgetting**: a network trained on a new task loses what it
#   knew of the old one, because the same weights are overwritten. Fine-tuning
#   the whole base at a large learning rate shows it at its worst: the
#   features that made the base useful are gone after a few steps, which is why
#   fine-tuning starts from a trained head and a small rate.
# - **Domain adaptation**: the same task on data that looks different (photos
#   from another camera, another hospital's scanner); fine-tuning on a few
#   labelled images of the new domain is the simplest form of it. **Concept
#   drift** is the same shift arriving over time after deployment: the
#   model's accuracy on new data must be watched and the model retrained.
# - **Pretraining without labels**: before 2012, deep networks were often
#   trained one layer at a time without labels, each layer learning to
#   rebuild its input (Hinton's deep belief networks in 2006, then stacked
#   denoising autoencoders, which learn to undo noise added to the input),
#   and only then fine-tuned on the labelled task. ReLU, better
#   initialisation and large labelled datasets made that step unnecessary
#   for convnets; self-supervised pretraining on unlabelled images is its
#   modern descendant.
# - **A strong prior**: in Bayesian terms, the pretrained weights are a prior
#   belief about good features, and the small dataset updates it. Freezing
#   the base is an infinitely strong prior (the features cannot move);
#   fine-tuning with a small learning rate and few epochs is a strong one;
#   training from scratch is a weak one, which needs far more data.
#
# ### The model zoo
#
# VGG16 is one of many networks pretrained on ImageNet that Keras offers in
# `keras.applications`; each takes `weights="imagenet"` (downloaded once, tens
# to hundreds of MB) and `include_top=False` to return the base alone. The
# list below is read from the installed Keras, without downloading anything:

# %%
families = {}
for name in sorted(name for name in dir(keras.applications) if name[0].isupper()):
    # The family is the name before its size or version: DenseNet121 -> DenseNet, ResNet50V2 -> ResNet.
    family = re.match(r"[A-Za-z]+?(?=[0-9]|[VB][0-9]|Base|Large|Small|Tiny|XLarge|Mobile|$)", name).group()
    families.setdefault(family, []).append(name)
for family, names in families.items():
    print(f"{family:>16}: {', '.join(names)}")

# %% [markdown]
# For a new problem, start with a small, well-known base (ResNet50,
# EfficientNetB0, or MobileNetV2 on a laptop), and move to a larger one only
# when the learning curves say the base is what limits you.
#
# ### Catastrophic forgetting, shown
#
# Take a fresh copy of the shapes base and teach a small head its *source*
# task (nine other shapes). Then fine-tune the whole base on our four shapes at
# a large learning rate, as one should not, and ask the old head again:

# %%
set_seed(SEED)
(source_x, source_y), (source_vx, source_vy) = shapes_base.make_source_data(
    n_per_class=10 if QUICK else 40, n_validation_per_class=5 if QUICK else 20, seed=SEED)
fresh = shapes_base.load_shapes_base(name="fresh_base")
source_head = keras.Sequential([keras.Input(fresh.output_shape[1:]), keras.layers.GlobalMaxPooling2D(),
                                keras.layers.Dense(len(shapes_base.SOURCE_CLASSES), activation="softmax")])
source_head.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
source_features = transfer.extract_features(fresh, source_x, verbose=0)
source_head.fit(source_features, source_y, epochs=2 if QUICK else 20, verbose=0)  # seconds: cached features


def source_accuracy(base):
    """Accuracy of the source head on the source task's held-out images, through `base`."""
    return source_head.evaluate(transfer.extract_features(base, source_vx, verbose=0), source_vy, verbose=0)[1]


before = source_accuracy(fresh)
fresh.trainable = True
whole = keras.Sequential([keras.Input(train.image_shape), keras.layers.Rescaling(1 / 255), fresh,
                          keras.layers.GlobalMaxPooling2D(), keras.layers.Dense(4, activation="softmax")])
whole.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
training.fit(whole, raw_train, raw_val, epochs=1 if QUICK else 3, name="whole base, rate 1e-2")
print(f"source task accuracy through the base: {before:.3f} before, {source_accuracy(fresh):.3f} after "
      f"(chance: {1 / len(shapes_base.SOURCE_CLASSES):.3f})")

# %% [markdown]
# In our run (seed 0, a 2-core AMD EPYC CPU without AVX-512) the source task
# fell from 0.667 to 0.122, next to chance (0.111), in three epochs, and the
# new task did not gain either (validation accuracy 0.27): the large updates
# of a random head through an unfrozen base wiped out the pretrained features.
# That is why fine-tuning trains the head first, unfreezes only the top block,
# and uses a small learning rate.

# %% [markdown]
# ## Try it yourself
#
# 1. Change `PER_CLASS` to 20 and to 200: when does transfer learning stop
#    helping?
#    Worked answer, after you have tried: `exercises.solution("04.per_class")`.
# 2. Fine-tune from `block2_conv1` instead: better or worse, and why?
#    Worked answer, after you have tried: `exercises.solution("04.fine_tune_deeper")`.

# %% [markdown]
# **Exercise.** A frozen VGG16 base gives 4x4x512 features; on top come `Flatten`,
# `Dense(256, relu)` and `Dense(1, sigmoid)`. How many parameters does training change?

# %%
exercises.check("04.trainable_head", None)  # your answer: one number

# %% [markdown]
# ## Key points
#
# - Feature extraction: freeze a pretrained base, train a new head; cache the base's
#   features when there is no augmentation, and it takes seconds.
# - Fine-tuning: after the head is trained, unfreeze the top block and train on with a small
#   learning rate; recompile after changing `trainable`. The whole base can follow, with a smaller
#   rate still; it pays with plenty of data.
# - A base can be cut after any block: keep the generic early blocks when the source is far from
#   your data.
# - Transfer learning pays most when the data is scarce and the source resembles the target.
#
# **Next:** notebook 05 looks inside a trained network: its filters, activations and Grad-CAM.
