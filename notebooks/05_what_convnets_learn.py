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
# **Time:** about 2 minutes on a 2-core laptop CPU (most of it training).

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import matplotlib.pyplot as plt
import numpy as np

from cnn_course import augmentation, data, datasets, models, settings, shapes, training, visualize
from cnn_course.reproducibility import set_seed

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this
EPOCHS = 2 if QUICK else 40

# %% [markdown]
# ## Train the network
#
# The convnet with augmentation and dropout from notebook 03, with the same
# settings except a shorter patience (8 epochs instead of 10), so it may stop
# a little earlier and a little lower: the cell prints its test accuracy. We
# need a trained network: an untrained one has nothing to show.

# %%
counts = {"train": 12, "validation": 6, "test": 6} if QUICK else None
root = shapes.make_shapes_dataset(settings.default_data_dir() / ("shapes_quick" if QUICK else "shapes"),
                                  counts=counts, seed=0)
splits = datasets.load_split_folders(root)
train, validation, test = splits["train"], splits["validation"], splits["test"]
augment = augmentation.make_augmentation(rotation_range=30, width_shift_range=0.15,
                                         height_shift_range=0.15, zoom_range=0.15,
                                         horizontal_flip=True, seed=SEED)
model = models.compile_for_task(
    models.build_convnet(train.image_shape, train.num_classes, filters=(32, 64, 128),
                         dense_units=(64,), dropout=0.5, augmentation=augment), "multiclass")
history = training.fit(model, data.make_dataset(train, batch_size=32, shuffle=True, seed=SEED),
                       data.make_dataset(validation, batch_size=128), epochs=EPOCHS, patience=8,
                       monitor="val_accuracy", start_from_epoch=0 if QUICK else 20)
test_accuracy = model.evaluate(data.make_dataset(test, batch_size=128), verbose=0)[1]
print(f"test accuracy {test_accuracy:.3f} after {len(history.history['loss'])} epochs")

# %% [markdown]
# ## The first layer's filters
#
# Each of the 32 first-layer filters is a 3x3x3 block of weights: shown as a
# tiny colour image. Many look like edge or colour-contrast detectors, like the
# hand-made kernels of notebook 01, but learned.

# %%
visualize.show_filters(model, "block1_conv1");

# %% [markdown]
# ## Activations through the depth of the network
#
# One test image, and what a few channels of each convolution layer make of it.
# The first layer responds to edges and colours of the whole scene; deeper
# layers are smaller, more abstract, and respond more to the shape than to the
# clutter.

# %%
image = test.images[0]
plt.figure(figsize=(2.5, 2.5))
plt.imshow(image)
plt.axis("off")
for layer_name in ("block1_conv1", "block2_conv1", "block3_conv1"):
    visualize.show_activations(model, image / 255.0, layer_name, max_channels=16)

# %% [markdown]
# ## Grad-CAM: where did the network look?
#
# Grad-CAM weighs the last convolution layer's feature maps by how much each
# one raises the score of a class (the gradient of the score with respect to
# the map, averaged over the map) and shows the result as a heatmap over the
# image. The generator knows where each shape is: the box drawn on each image.

# %%
images, generator_labels, boxes = shapes.make_shapes_arrays(
    counts["test"] if counts else shapes.DEFAULT_COUNTS["test"], seed=0, split="test")
# The same pixels as the test folder (the generator is seeded per image). The generator
# numbers classes in its own order; the folders sort them by name: translate.
labels = np.array([train.class_names.index(shapes.DEFAULT_CLASSES[g]) for g in generator_labels])
probabilities = model.predict(images / 255.0, verbose=0)
predicted = probabilities.argmax(axis=1)
right = np.flatnonzero(predicted == labels)
wrong = np.flatnonzero(predicted != labels)
print(f"{len(right)} right, {len(wrong)} wrong")


def show_with_box(index):
    fig = visualize.show_grad_cam(model, images[index] / 255.0, class_names=train.class_names)
    x0, y0, x1, y1 = boxes[index]
    fig.axes[0].add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                        edgecolor="white", linewidth=1.5))
    return fig


for index in right[:4]:
    show_with_box(index)

# %% [markdown]
# On correct predictions the heatmap sits on the shape, not on the clutter. How
# much of the heatmap falls inside the box, on average, against the share of
# the image the box covers (expect about 0.4 inside a box that covers about
# 0.14: three times more than if the network looked everywhere alike):

# %%
inside = [visualize.heatmap_mass_inside(visualize.grad_cam(model, images[i] / 255.0), boxes[i])
          for i in right[:40]]
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
# ## Try it yourself
#
# 1. Show Grad-CAM for a class the network did **not** predict
#    (`class_index=...`): where is the evidence for "star" in a circle image?
# 2. Compute Grad-CAM from `block2_conv1` instead of the last conv layer: finer
#    but noisier heatmaps. Why?
