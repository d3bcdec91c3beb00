"""The lectures' architectures, each in plain Keras functional code: LeNet-5, AlexNet, VGG, Inception, ResNet, DenseNet.

Every function is written to be read layer by layer, next to the lecture:
one Keras layer per line, the shape in a comment where it changes. All return
uncompiled models (compile them with `cnn_course.models.compile_for_task`);
the blocks take a tensor and return one. Introduced in
`notebooks/07_lenet_to_resnet`.

The code lives in three private files:

- `_blocks.py`: `vgg_block`, `naive_inception_module`, `inception_module`,
  `conv_bn`, `residual_block`, `bottleneck_block`, `dense_block`,
  `transition_block`.
- `_full.py`: the full-size networks with exactly their published parameter
  counts (`lenet5`, `alexnet`, `vgg16`, `resnet50`, `densenet121`) and the lecture's cost
  arithmetic (`multiply_adds`, `inception_3a_counts`).
- `_small.py`: the same ideas at the size of the course's 64x64 shapes
  (`small_lenet`, `small_vgg`, `small_inception`, `small_resnet`), one deep
  network without and with skip connections (`deep_plain_stack`,
  `deep_residual_stack`), and a small encoder-decoder for segmentation
  (`small_unet`, notebook 09).
"""

from cnn_course.architectures._blocks import (
    bottleneck_block,
    conv_bn,
    dense_block,
    inception_module,
    keras,
    layers,
    naive_inception_module,
    residual_block,
    transition_block,
    vgg_block,
)
from cnn_course.architectures._full import (
    alexnet,
    densenet121,
    inception_3a_counts,
    lenet5,
    multiply_adds,
    resnet50,
    vgg16,
)
from cnn_course.architectures._small import (
    deep_plain_stack,
    deep_residual_stack,
    small_inception,
    small_lenet,
    small_resnet,
    small_unet,
    small_vgg,
)

#: The course-size networks (each takes `input_shape` and `num_classes`).
SMALL_ARCHITECTURES = ("small_lenet", "small_vgg", "small_inception", "small_resnet", "deep_plain_stack",
                       "deep_residual_stack")

__all__ = [
    "SMALL_ARCHITECTURES",
    "alexnet",
    "bottleneck_block",
    "conv_bn",
    "deep_plain_stack",
    "deep_residual_stack",
    "dense_block",
    "densenet121",
    "inception_3a_counts",
    "inception_module",
    "keras",
    "layers",
    "lenet5",
    "multiply_adds",
    "naive_inception_module",
    "resnet50",
    "residual_block",
    "small_inception",
    "small_lenet",
    "small_resnet",
    "small_unet",
    "small_vgg",
    "transition_block",
    "vgg16",
    "vgg_block",
]
