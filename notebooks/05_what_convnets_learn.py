# %% [markdown]
# # 05 · What convnets learn: filters, activations and Grad-CAM
#
# **Lecture topic:** visualising what a convnet learned; heatmaps of where a
# network looked (as CheXNet does on chest X-rays).
#
# **What you will do:** train the convnet of notebook 03 on the shapes dataset,
# then look inside it: the first layer's filters, the feature maps of one image
# at every depth, and Grad-CAM heatmaps of where the network looked, for right
# and for wrong predictions.
#
# **Time:** about a minute on a 2-core laptop CPU (most of it training).

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import matplotlib.pyplot as plt
import numpy as np

from cnn_course import augmentation, data, datasets, exercises, models, settings, shapes, training, visualize
from cnn_course.reproducibility import set_seed

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this
EPOCHS = 2 if QUICK else 20

# %% [markdown]
# ## Train the network
#
# The augmented convnet of notebook 03: `models.shapes_convnet` builds three
# blocks of convolution, batch normalization, ReLU and 2x2 max pooling (16, 32
# and 64 filters), then global max pooling into a softmax; the "shapes"
# augmentation recipe mirrors the images and shifts them by up to 10%. We
# train it for at most 20 epochs (notebook 03 allows 30, so the result can be
# a little lower: the cell prints it). We need a trained network: an
# untrained one has nothing to show.

# %%
splits = datasets.load_shapes(quick=QUICK)  # the course's shapes: made once, then read
train, validation, test = splits["train"], splits["validation"], splits["test"]
augment = augmentation.recipe("shapes", seed=SEED)
model = models.compile_for_task(
    models.shapes_convnet(train.image_shape, train.num_classes, augmentation=augment), "multiclass")
history = training.fit(model, data.make_dataset(train, batch_size=32, shuffle=True, seed=SEED),
                       data.make_dataset(validation, batch_size=128), epochs=EPOCHS, patience=8,
                       monitor="val_accuracy")
test_accuracy = model.evaluate(data.make_dataset(test, batch_size=128), verbose=0)[1]
print(f"test accuracy {test_accuracy:.3f} after {len(history.history['loss'])} epochs")

# %% [markdown]
# ## The first layer's filters
#
# Each of the 16 first-layer filters is a 3x3x3 block of weights: shown as a
# tiny colour image. Many look like edge or colour-contrast detectors, like the
# hand-made kernels of notebook 01, but learned.

# %%
visualize.show_filters(model, "block1_conv1");

# %% [markdown]
# ## Activations through the depth of the network
#
# One test image, and what a few channels of each block make of it, after the
# convolution, batch normalization and ReLU (the `block{i}_act1` layers).
# The first layer responds to edges and colours of the whole scene; deeper
# layers are smaller, more abstract, and respond more to the shape than to the
# clutter.

# %%
image = test.images[0]
plt.figure(figsize=(2.5, 2.5))
plt.imshow(image)
plt.axis("off")
for layer_name in ("block1_act1", "block2_act1", "block3_act1"):
    visualize.show_activations(model, image / 255.0, layer_name, max_channels=16)

# %% [markdown]
# ## Grad-CAM: where did the network look?
#
# Grad-CAM weighs a convolution layer's feature maps by how much each one
# raises the score of a class (the gradient of the score with respect to the
# map, averaged over the map) and shows the result as a heatmap over the
# image. The generator knows where each shape is: the box drawn on each image.
#
# Which layer? Grad-CAM usually takes the last one. Ours ends in global max
# pooling, though: each of the last block's 64 channels votes with its single
# largest value, from one place in the image, while Grad-CAM spreads the
# channel's weight over its whole map, clutter included. The second block's
# maps (`block2_act1`, 29x29 before pooling) are finer and still see shapes
# whole, so we explain that layer. (Exercise 2 compares the last one.)

# %%
images, generator_labels, boxes = shapes.make_shapes_arrays(
    (datasets.QUICK_SHAPES_COUNTS if QUICK else shapes.DEFAULT_COUNTS)["test"], seed=0, split="test")
# The same pixels as the test folder (the generator is seeded per image). The generator
# numbers classes in its own order; the folders sort them by name: translate.
labels = np.array([train.class_names.index(shapes.DEFAULT_CLASSES[g]) for g in generator_labels])
probabilities = model.predict(images / 255.0, verbose=0)
predicted = probabilities.argmax(axis=1)
right = np.flatnonzero(predicted == labels)
wrong = np.flatnonzero(predicted != labels)
print(f"{len(right)} right, {len(wrong)} wrong")
CAM_LAYER = "block2_act1"


def show_with_box(index):
    fig = visualize.show_grad_cam(model, images[index] / 255.0, layer_name=CAM_LAYER,
                                  class_names=train.class_names)
    x0, y0, x1, y1 = boxes[index]
    fig.axes[0].add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                        edgecolor="white", linewidth=1.5))
    return fig


for index in right[:4]:
    show_with_box(index)

# %% [markdown]
# On correct predictions the heatmap should sit on the shape, not on the
# clutter. A number for it: how much of the heatmap falls inside the box, on
# average, against the share of the image the box covers. If the network
# looked everywhere alike, the two would be equal; expect the first to be
# clearly larger (in our run, seed 0 on a 2-core AMD EPYC without AVX-512:
# 0.32 of the heatmap inside boxes that cover 0.13 of the image).

# %%
inside = [visualize.heatmap_mass_inside(visualize.grad_cam(model, images[i] / 255.0, layer_name=CAM_LAYER),
                                       boxes[i]) for i in right[:40]]
area = [(b[2] - b[0]) * (b[3] - b[1]) / images.shape[1] / images.shape[2] for b in boxes[right[:40]]]
print(f"heatmap mass inside the box: {np.mean(inside):.2f}; the box covers {np.mean(area):.2f} of the image")

# %% [markdown]
# ## Grad-CAM on wrong predictions
#
# Mistakes are where heatmaps teach most: did the network look at the shape
# and confuse it, or did it look at the clutter? The title gives the predicted
# class; the heatmap is for that (wrong) class.

# %%
for index in wrong[:4]:
    show_with_box(index)
    print(f"true: {train.class_names[labels[index]]}, predicted: {train.class_names[predicted[index]]}")

# %% [markdown]
# **Exercise.** `shapes_convnet` uses 3x3 "valid" convolutions and 2x2 max pooling. For
# a 64x64 image, how high is the output of `block2_act1`, the map the Grad-CAM above is
# computed on?

# %%
exercises.check("05.cam_map_height", None)  # your answer: one number

# %% [markdown]
# ## Try it yourself
#
# 1. Show Grad-CAM for a class the network did **not** predict
#    (`class_index=...`): where is the evidence for "star" in a circle image?
#    Worked answer, after you have tried: `exercises.solution("05.other_class")`.
# 2. Set `CAM_LAYER = "block3_act1"` (the last block, the usual choice) and
#    run the cells again: how much of the heatmap is inside the box now?
#    Explain with the global max pooling at the end of the network.
#    Worked answer, after you have tried: `exercises.solution("05.last_block")`.

# %% [markdown]
# ## Key points
#
# - First-layer filters are edge and colour detectors; deeper layers respond to larger parts.
# - Feature maps get smaller and more abstract with depth.
# - Grad-CAM weights a layer's maps by the gradient of a class score: it shows where the
#   evidence for that class lies, for right and for wrong predictions.
#
# **Next:** notebook 06 turns these tools into a method: baselines, diagnosis and tuning.
