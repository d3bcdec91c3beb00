"""The slide decks' worked examples of convolution, pooling and output sizes, as data, with slips marked."""

import collections
import dataclasses
import types
from typing import Any, Callable, Optional

import numpy as np

from cnn_course import convolution

#: Slide decks (files in `shared/lectures/`) and what each one is.
DECKS = types.MappingProxyType({
    "000_1416b60456be1f89.md": "Machine learning, big data and AI, block 5 (Uppsala, 2020)",
    "001_4f9fa88f872c7880.md": "Machine learning, block 4 (Uppsala, autumn 2025)",
    "002_f3391ec0a65b9454.md": "Deep learning for computer vision, part II: CNNs",
    "003_8095cabaef43a299.md": "PSY9511 seminar 7: deep learning for image processing (Oslo, 2024)",
    "004_c3d96a3e3883e06d.md": "MSIS549 lesson 3: convolutional neural networks",
})


@dataclasses.dataclass(frozen=True)
class WorkedExample:
    """One worked example from a slide deck, with the slide's answer and ours.

    Attributes:
        key: short unique name, e.g. `"deck001_edge_kernel"`.
        deck: the slide deck's file name (a key of `DECKS`).
        lines: `(first, last)` line numbers of the example in that file.
        topic: `"cross-correlation"`, `"convolution"`, `"max pooling"`,
            `"output size"` or `"padding"`.
        quote: the numbers as the slide prints them.
        claim: what the slide states, in our words.
        inputs: read-only mapping of the inputs that `compute` takes.
        compute: function of `**inputs` giving the correct answer with the
            functions of `cnn_course.convolution`.
        slide_value: the answer printed on the slide, or None when the slide
            asks a question without answering it.
        slip: one sentence saying what is wrong when the slide's answer is
            wrong, else None.
        extraction_note: how a garbled or incomplete extraction was read,
            else None.
    """

    key: str
    deck: str
    lines: tuple
    topic: str
    quote: str
    claim: str
    inputs: Any
    compute: Callable = dataclasses.field(repr=False)
    slide_value: Any = None
    slip: Optional[str] = None
    extraction_note: Optional[str] = None

    @property
    def correct_value(self):
        """The answer computed by `cnn_course.convolution` from `inputs`."""
        return self.compute(**self.inputs)

    @property
    def is_slip(self):
        """True when the slide's printed answer is wrong."""
        return self.slip is not None

    def slide_agrees(self):
        """True when the slide's answer equals `correct_value` (None when the slide gives none)."""
        if self.slide_value is None:
            return None
        return bool(np.array_equal(np.asarray(self.slide_value), np.asarray(self.correct_value)))


@dataclasses.dataclass(frozen=True)
class SlideNote:
    """A remark on a slide that is not a checkable worked example.

    Attributes:
        deck: the slide deck's file name.
        lines: `(first, last)` line numbers.
        kind: `"formula"` (a formula worth a comment) or `"unverifiable"`
            (numbers that cannot be checked from the extracted text).
        note: what we found.
    """

    deck: str
    lines: tuple
    kind: str
    note: str


def _frozen(rows):
    array = np.array(rows)
    array.flags.writeable = False
    return array


def _inputs(**values):
    return types.MappingProxyType(values)


# How each answer is computed: small, named wrappers around cnn_course.convolution.

def _cross_correlation(x, k):
    return convolution.cross_correlate2d(x, k)


def _max_pool(x, pool_size):
    return convolution.pool2d(x, pool_size, mode="max")


def _max_pool_cell(x, pool_size, row, col):
    return convolution.pool2d(x, pool_size, mode="max")[row, col]


def _pooled_shape(x, pool_size):
    return convolution.pool2d(x, pool_size, mode="max").shape


def _conv_output_shape(height, width, kernel, padding, stride, filters):
    return (convolution.output_size(height, kernel, padding, stride),
            convolution.output_size(width, kernel, padding, stride), filters)


def _size_chain(size, kernel, stride, layers):
    """Feature-map side after each of `layers` identical valid convolutions."""
    sizes = []
    for _ in range(layers):
        size = convolution.output_size(size, kernel, "valid", stride)
        sizes.append(size)
    return tuple(sizes)


def _conv_stack_shapes(size, kernel, filters):
    """Feature-map shapes after each valid convolution in a stack, `filters` = channels per layer."""
    shapes = []
    for channels in filters:
        size = convolution.output_size(size, kernel, "valid", 1)
        shapes.append((size, size, channels))
    return tuple(shapes)


def _same_padded_shape(height, width, kernel_height, kernel_width):
    """Size of the zero-padded input for a stride-1 "same" convolution."""
    top, bottom = convolution.pad_amounts(height, kernel_height, 1, "same")
    left, right = convolution.pad_amounts(width, kernel_width, 1, "same")
    return height + top + bottom, width + left + right


#: The 10x10 image printed twice in deck 002 (lines 53-62 and 149-158).
DECK002_IMAGE = _frozen([
    [544, 552, 570, 585, 600, 607, 608, 581, 558, 577],
    [549, 561, 595, 617, 610, 601, 595, 562, 545, 563],
    [579, 574, 554, 538, 556, 598, 614, 596, 588, 582],
    [529, 514, 486, 476, 483, 509, 552, 584, 604, 586],
    [506, 499, 468, 421, 459, 547, 588, 596, 598, 603],
    [567, 561, 519, 484, 510, 557, 586, 612, 603, 565],
    [579, 594, 581, 563, 557, 553, 572, 587, 575, 575],
    [590, 601, 594, 586, 580, 563, 559, 587, 602, 585],
    [596, 602, 602, 595, 586, 585, 592, 577, 545, 557],
    [593, 614, 589, 568, 588, 625, 610, 546, 519, 557],
])

_D0, _D1, _D2, _D3, _D4 = DECKS

#: Every worked example found in the five decks, in deck and line order.
EXAMPLES = (
    WorkedExample(
        key="deck000_column_kernel",
        deck=_D0, lines=(113, 114), topic="cross-correlation",
        quote="X = [[0,1,0,1,0],[0,1,1,1,0],[0,1,0,1,0]], K = [[0,1],[0,1]], Y = [[2,1,2,0],[2,1,2,0]]",
        claim="Sliding the 2x2 kernel over the 3x5 image (valid, stride 1) gives the 2x4 map Y.",
        inputs=_inputs(x=_frozen([[0, 1, 0, 1, 0], [0, 1, 1, 1, 0], [0, 1, 0, 1, 0]]),
                       k=_frozen([[0, 1], [0, 1]])),
        compute=_cross_correlation,
        slide_value=_frozen([[2, 1, 2, 0], [2, 1, 2, 0]]),
        extraction_note="Y is the cross-correlation (the kernel is not flipped); "
                        "a true convolution would give [[0,2,1,2],[0,2,1,2]].",
    ),
    WorkedExample(
        key="deck001_edge_kernel",
        deck=_D1, lines=(115, 116), topic="cross-correlation",
        quote="X = [[0,0,0,1,1],[0,0,0,1,1],[0,0,0,1,1],[0,0,1,1,1]], K = [[-1,1],[-1,1]], "
              "Y = [[0,0,2,0],[0,0,2,0],[0,1,2,0]]",
        claim="The 2x2 edge kernel on the 4x5 image (valid, stride 1) gives the 3x4 map Y.",
        inputs=_inputs(x=_frozen([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 1]]),
                       k=_frozen([[-1, 1], [-1, 1]])),
        compute=_cross_correlation,
        slide_value=_frozen([[0, 0, 2, 0], [0, 0, 2, 0], [0, 1, 2, 0]]),
        slip="Y[3,3] (1-based) should be 1, not 2: its window [[0,1],[1,1]] gives -0 + 1 - 1 + 1 = 1; "
             "convolution (flipped kernel) gives the negatives, so no reading makes it 2.",
    ),
    WorkedExample(
        key="deck001_output_size_32x32",
        deck=_D1, lines=(165, 177), topic="output size",
        quote="input 32x32x3, kernel 3x3, p = 1, s = 1, 16 filters -> (32 - 3 + 2)/1 + 1 = 32, output 32x32x16",
        claim="A 3x3 convolution with one pixel of zero padding and stride 1 keeps 32x32; 16 filters give 16 channels.",
        inputs=_inputs(height=32, width=32, kernel=3, padding=1, stride=1, filters=16),
        compute=_conv_output_shape,
        slide_value=(32, 32, 16),
        extraction_note="The slide's formula has no floor; here (32 - 3 + 2) / 1 is whole, so it makes no difference.",
    ),
    WorkedExample(
        key="deck002_valid_3x3_on_10x10",
        deck=_D2, lines=(147, 166), topic="output size",
        quote="10x10 image, 3x3 kernel: 'you lose a pixel at each end' (centred kernel) or "
              "'two pixels at the bottom and right' (corner kernel); M_l = M_{l-1} - k_1 + 1",
        claim="A valid 3x3 convolution of the 10x10 image leaves 8x8, wherever the kernel's origin is.",
        inputs=_inputs(height=10, width=10, kernel=3, padding="valid", stride=1, filters=1),
        compute=_conv_output_shape,
        slide_value=(8, 8, 1),
        extraction_note="The sizes are stated in words; 10x10 and 3x3 are the deck's own image and kernel "
                        "(lines 51-70).",
    ),
    WorkedExample(
        key="deck002_same_padding_size",
        deck=_D2, lines=(169, 170), topic="padding",
        quote="padded input (M + k_1 - 1) x (N + k_2 - 2); M_l = M_{l-1}, N_l = N_{l-1}",
        claim="For 'same' output size, the input is padded to (M + k1 - 1) x (N + k2 - 2); "
              "for the deck's 10x10 image and 3x3 kernel that would be 12x11.",
        inputs=_inputs(height=10, width=10, kernel_height=3, kernel_width=3),
        compute=_same_padded_shape,
        slide_value=(12, 11),
        slip="The width term should be N + k2 - 1, like the height: padded to 12x11 a 3x3 'same' "
             "convolution would return 10x9, not 10x10.",
        extraction_note="The slide gives only the formula; it is evaluated on the deck's 10x10 image and 3x3 kernel.",
    ),
    WorkedExample(
        key="deck002_question_5x5_valid_stack",
        deck=_D2, lines=(178, 179), topic="output size",
        quote="x in R^(64x64) => 16 => 16 => 16 -> 16, 5x5 kernels, 'valid' convolutions",
        claim="Question: how many hidden neurons does each convolutional layer have? (no answer printed)",
        inputs=_inputs(size=64, kernel=5, filters=(16, 16, 16)),
        compute=_conv_stack_shapes,
        slide_value=None,
        extraction_note="Only the feature-map sizes are checked here: 60x60x16, 56x56x16, 52x52x16 "
                        "(57600, 50176 and 43264 neurons); the parameter count is left to the "
                        "parameter-count checks.",
    ),
    WorkedExample(
        key="deck002_stride1_chain",
        deck=_D2, lines=(218, 239), topic="output size",
        quote="5x5 kernels, valid: 128x128, 124x124, 120x120, 116x116, ...",
        claim="Each valid 5x5 convolution (stride 1) takes 4 pixels off each side length.",
        inputs=_inputs(size=128, kernel=5, stride=1, layers=3),
        compute=_size_chain,
        slide_value=(124, 120, 116),
        extraction_note="The list of sizes on lines 236-243 mixes two settings; 128 -> 124 -> 120 -> 116 "
                        "is read as the stride-1 chain of line 218.",
    ),
    WorkedExample(
        key="deck002_stride2_chain",
        deck=_D2, lines=(227, 243), topic="output size",
        quote="5x5 kernels, valid, stride 2: ..., 62x62, 29x29, 12x12",
        claim="With stride 2, floor((M - 5) / 2) + 1 takes 128 to 62, 29 and then 12.",
        inputs=_inputs(size=128, kernel=5, stride=2, layers=3),
        compute=_size_chain,
        slide_value=(62, 29, 12),
        slip="floor((29 - 5) / 2) + 1 = 13, not 12 (the + 1 was left out); the chain continues "
             "13 -> 5 -> 1, reaching the 1x1 output the slide aims for after five layers.",
        extraction_note="62, 29, 12 are read as the stride-2 chain of line 231 starting again from 128 "
                        "(62 = floor(123 / 2) + 1); they cannot follow 116 with stride 1.",
    ),
    WorkedExample(
        key="deck002_max_pool_617",
        deck=_D2, lines=(254, 257), topic="max pooling",
        quote="'617 in the highlighted area can be in any of the neurons, the pooled value will not change'",
        claim="2x2 max pooling of the 10x10 image: the block holding 617 pools to 617, wherever 617 sits in it.",
        inputs=_inputs(x=DECK002_IMAGE, pool_size=2, row=0, col=1),
        compute=_max_pool_cell,
        slide_value=617,
        extraction_note="The highlighted area is in a figure; it is taken to be the 2x2 pooling block "
                        "(rows 1-2, columns 3-4, 1-based) that holds 617, its maximum.",
    ),
    WorkedExample(
        key="deck002_pool_halves",
        deck=_D2, lines=(260, 262), topic="max pooling",
        quote="'Even when the pooling kernel is of size 2x2, it can halve the image!'",
        claim="2x2 pooling with stride 2 halves each side: the 10x10 image becomes 5x5.",
        inputs=_inputs(x=DECK002_IMAGE, pool_size=2),
        compute=_pooled_shape,
        slide_value=(5, 5),
        extraction_note="Stated in words; applied to the deck's 10x10 image with stride = pool size (line 259).",
    ),
    WorkedExample(
        key="deck003_max_pool_4x4",
        deck=_D3, lines=(152, 159), topic="max pooling",
        quote="feature map [[0,1,2,3],[4,5,6,7],[8,9,10,11],[12,13,14,15]] -> [[5,7],[13,15]]",
        claim="Max pooling the 4x4 feature map with 2x2 windows gives [[5,7],[13,15]].",
        inputs=_inputs(x=_frozen(np.arange(16).reshape(4, 4)), pool_size=2),
        compute=_max_pool,
        slide_value=_frozen([[5, 7], [13, 15]]),
        extraction_note="Window and stride are not printed; 2x2 with stride 2 is the only common "
                        "choice that gives a 2x2 output.",
    ),
    WorkedExample(
        key="deck004_quiz_feature_map",
        deck=_D4, lines=(288, 304), topic="convolution",
        quote="image [[1,1,1,0,0],[0,1,1,1,0],[0,0,1,1,1],[0,0,1,1,0],[0,1,1,0,0]], "
              "filter [[1,0,1],[0,1,0],[1,0,1]], feature map [[4,3,4],[2,4,3],[2,3,4]]",
        claim="Convolving the 5x5 image with the 3x3 filter (valid, stride 1) gives the 3x3 feature map.",
        inputs=_inputs(x=_frozen([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1],
                                  [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]),
                       k=_frozen([[1, 0, 1], [0, 1, 0], [1, 0, 1]])),
        compute=_cross_correlation,
        slide_value=_frozen([[4, 3, 4], [2, 4, 3], [2, 3, 4]]),
        extraction_note="The numbers appear twice (a description on line 292 and tab-separated rows); "
                        "the rows lack the filter's last row, taken from the description and the "
                        "x1/x0 marks: [1,0,1]. The filter is unchanged by a 180-degree turn, so "
                        "convolution and cross-correlation agree.",
    ),
    WorkedExample(
        key="deck004_output_size_5x5_3x3",
        deck=_D4, lines=(288, 290), topic="output size",
        quote="'a 5x5 image and a 3x3 filter' -> 3x3 feature map",
        claim="Sliding a 3x3 filter over a 5x5 image (valid, stride 1) gives a 3x3 feature map.",
        inputs=_inputs(height=5, width=5, kernel=3, padding="valid", stride=1, filters=1),
        compute=_conv_output_shape,
        slide_value=(3, 3, 1),
    ),
)

#: Remarks on slides that are formulas, or numbers that the extracted text cannot confirm.
NOTES = (
    SlideNote(_D0, (100, 102), "formula",
              "The cross-correlation is written sum X(m,n) K(i+m, j+n); the usual form, computed by "
              "Conv2D and cross_correlate2d, is sum X(i+m, j+n) K(m,n). As written it gives the usual "
              "output mirrored in (i, j). '(i, j) =' is also missing after (X * K)."),
    SlideNote(_D1, (103, 105), "formula",
              "Same cross-correlation formula as deck 000, with the same index order."),
    SlideNote(_D2, (51, 70), "unverifiable",
              "The 10x10 image comes with a symbolic 3x3 kernel (a..j); no numeric result to check."),
    SlideNote(_D3, (139, 151), "unverifiable",
              "Convolution figure: the extraction keeps only scraps ('3', '3 0 1', '0 3 0', '1 0 3') of "
              "a 3x3 pattern and no input image; judged garbled, nothing to recompute."),
    SlideNote(_D4, (258, 262), "unverifiable",
              "A 4x4 filter applied to 4x4 patches with a shift of 2: the input size is not given, so "
              "no output size follows."),
    SlideNote(_D4, (345, 349), "unverifiable",
              "2x2 max pooling with stride 2 gives [[6,8],[3,4]]; the input is only in the figure, "
              "so only the output's 2x2 shape can be read (consistent with a 4x4 input)."),
)


def get_example(key):
    """Return the worked example called `key` from `EXAMPLES`.

    Args:
        key: an example's `key`, e.g. `"deck004_quiz_feature_map"`.

    Returns:
        The `WorkedExample`.

    Raises:
        KeyError: for an unknown key; the message lists the valid keys.

    Example:

    >>> from cnn_course.lecture_examples import get_example
    >>> example = get_example("deck004_quiz_feature_map")
    >>> example.correct_value
    array([[4., 3., 4.],
           [2., 4., 3.],
           [2., 3., 4.]])
    >>> example.slide_agrees()
    True
    """
    for example in EXAMPLES:
        if example.key == key:
            return example
    raise KeyError(f"No worked example {key!r}. Valid keys: {[e.key for e in EXAMPLES]}")


def slips():
    """The worked examples whose printed answer is wrong, for notebooks to point out.

    Returns:
        A list of `WorkedExample`, in deck order.

    Example:

    >>> from cnn_course.lecture_examples import slips
    >>> [(e.key, e.slide_value, e.correct_value) for e in slips()][-1]
    ('deck002_stride2_chain', (62, 29, 12), (62, 29, 13))
    """
    return [example for example in EXAMPLES if example.is_slip]


# ---------------------------------------------------------------------------
# Parameter counts and layer sizes (tested in tests/test_lecture_parameters.py)
# ---------------------------------------------------------------------------

DECK_2020 = "000_1416b60456be1f89.md"  # Uppsala, Block 5 (2020)
DECK_2025 = "001_4f9fa88f872c7880.md"  # Uppsala, Block 4 (2025)
DECK_CV = "002_f3391ec0a65b9454.md"  # Deep Learning for Computer Vision, Part II
DECK_OSLO = "003_8095cabaef43a299.md"  # PSY9511 Seminar 7
DECK_MSIS = "004_c3d96a3e3883e06d.md"  # MSIS549 Lesson 3

ParameterExample = collections.namedtuple(
    "ParameterExample", "deck line claim slide_value correct slip unit note", defaults=(1, None))

#: The slides' worked examples on parameter counts and layer sizes, keyed by a short name.
#: Each `ParameterExample` holds the deck file, the line, the slide's claim, and:
#: slide_value: the slide's figure, in `unit`s (61 with unit=1e6 for "61 million"); None when the slide
#:     states no number (a question, or a layer shown without its count).
#: slip: why the slide's figure differs from the correct one; None when the slide is right, i.e. the
#:     correct value rounded to the slide's unit is the slide's figure.
#: note: a remark that is not a slip (an ambiguity the lead may want to point out).
PARAMETER_EXAMPLES = {
    "conv_32_filters_on_32x32x3_2020": ParameterExample(
        DECK_2020, 132, "layer_conv_2d(filters = 32, kernel_size = c(3,3), input_shape = c(32,32,3))",
        None, {"params": 896, "output": (30, 30, 32)}, None),
    "megapixel_dense_100_2020": ParameterExample(
        DECK_2020, 151, "1000x1000 image, dense network with 100 nodes: 100M parameters",
        100_000_000, 100_000_100,
        "the 100 biases are left out (the conv line below does count its biases); the deck also does not "
        "say the image is single-channel (an RGB image would need 300,000,100)"),
    "megapixel_conv_100_filters_2020": ParameterExample(
        DECK_2020, 152, "CNN with 100 3x3 filters: 1000 parameters (900 from filters, 100 bias terms)",
        1000, 1000, None),
    "rgb_256_inputs_2025": ParameterExample(
        DECK_2025, 73, "256 x 256 x 3 ≈ 200,000 inputs", 200_000, 196_608,
        "rounded: 196,608 inputs (1.7% below 200,000)"),
    "rgb_256_dense_1000_2025": ParameterExample(
        DECK_2025, 75, "200,000 x 1,000 = 200 million parameters", 200_000_000, 196_609_000,
        "rounded, and the 1,000 biases are left out: (196,608 + 1) * 1,000 = 196,609,000"),
    "conv_32_filters_on_32x32x3_2025": ParameterExample(
        DECK_2025, 143, "layer_conv_2d(filters = 32, kernel_size = c(3,3), input_shape = c(32,32,3))",
        None, {"params": 896, "output": (30, 30, 32)}, None),
    "output_size_32x32_same_2025": ParameterExample(
        DECK_2025, 166, "32x32x3 input, 3x3 kernel, p = 1, s = 1, 16 filters: output 32 x 32 x 16",
        (32, 32, 16), (32, 32, 16),
        None),  # line 174 drops the floor() of line 164's formula; harmless here, (32 - 3 + 2)/1 is whole
    "megapixel_dense_100_2025": ParameterExample(
        DECK_2025, 184, "1 megapixel single-channel image, dense network with 100 nodes: 100M parameters",
        100_000_000, 100_000_100, "the 100 biases are left out (the conv line below counts them)"),
    "megapixel_conv_100_filters_2025": ParameterExample(
        DECK_2025, 185, "CNN with 100 3x3 filters: 1000 parameters (900 from filters, 100 bias terms)",
        1000, 1000, None),
    "pooling_no_parameters_2025": ParameterExample(
        DECK_2025, 200, "Pooling has no trainable parameters", 0, 0, None),
    "alexnet_conv_layers_2025": ParameterExample(
        DECK_2025, 225, "AlexNet (2012), 5 convolutional layers", 5, 5, None),
    "vgg16_conv_layers_2025": ParameterExample(
        DECK_2025, 226, "VGG16 (2014), 16 convolutional layers", 16, 13,
        "VGG16 has 13 convolutional layers; the 16 weight layers include its 3 dense layers"),
    "resnet152_conv_layers_2025": ParameterExample(
        DECK_2025, 227, "ResNet (2015), 152 convolutional layers", 152, 151,
        "152 counts weight layers: 151 convolutions on the main path plus the final dense layer "
        "(Keras's ResNet152 has 155 Conv2D layers: the 151 plus 4 projection shortcuts)"),
    "vgg16_data_flow_2025": ParameterExample(
        DECK_2025, 229, "Figure 2.4: VGG16 data size after each max-pooling layer and the dense layers "
                        "(the figure's numbers are not in the extracted text)",
        None, [(112, 112, 64), (56, 56, 128), (28, 28, 256), (14, 14, 512), (7, 7, 512), 4096, 4096, 1000],
        None),
    "dense_64x64_to_128": ParameterExample(
        DECK_CV, 35, "(N0 x M0) = (64, 64) and d1 = 128 leads to 524288 parameters in only the first layer",
        524_288, 524_416,
        "counts only the weight matrix W1 (64*64*128); with the 128 biases the layer has 524,416"),
    "valid_3x3_on_10x10": ParameterExample(
        DECK_CV, 160, "valid convolution with a centred 3x3 kernel: you lose a pixel at each end (10x10 image)",
        (8, 8), (8, 8), None),
    "same_padding_padded_size": ParameterExample(
        DECK_CV, 169, "same padding pads h to (M + k1 - 1) x (N + k2 - 2)", "N + k2 - 2", "N + k2 - 1",
        "typo: the width needs k2 - 1 extra pixels like the height; with N + k2 - 2 the output is N - 1 wide"),
    "question_dense_64x64_256_128_64_16": ParameterExample(
        DECK_CV, 177, "Question: parameters of x in R^(64x64) -> 256 -> 128 -> 64 -> 16 (no answer on the slide)",
        None, {"layers": [1_048_832, 32_896, 8_256, 1_040], "total": 1_091_024}, None),
    "question_conv_64x64_5x5_valid": ParameterExample(
        DECK_CV, 179, "Question: parameters and hidden neurons of x in R^(64x64) => 16 => 16 => 16 -> 16 "
                      "(5x5 valid convolutions; no answer on the slide; 1 input channel assumed)",
        None, {"layers": [416, 6_416, 6_416, 692_240], "total": 705_488,
               "neurons": [57_600, 50_176, 43_264, 16], "shapes": [(60, 60, 16), (56, 56, 16), (52, 52, 16)]},
        None),
    "valid_5x5_stride_1_sizes": ParameterExample(
        DECK_CV, 236, "5x5 valid convolutions from 128x128: 124x124, 120x120, 116x116", [124, 120, 116],
        [124, 120, 116], None),
    "valid_5x5_stride_2_sizes": ParameterExample(
        DECK_CV, 241, "5x5 valid convolutions with stride 2 from 128x128: 62x62, 29x29, 12x12", [62, 29, 12],
        [62, 29, 13, 5, 1],
        "floor((29 - 5)/2) + 1 = 13, not 12; and 13 -> 5 -> 1 reaches the 1x1 output the slide asks for, "
        "while a 12x12 map would give 4x4, too small for a fifth 5x5 convolution"),
    "pooling_2x2_halves": ParameterExample(
        DECK_CV, 262, "a 2x2 pooling kernel can halve the image", (32, 32), (32, 32),
        None),  # for an odd size the floor drops the last row/column: 15x15 -> 7x7 in the cats-vs-dogs convnet
    "vgg_weight_layers": ParameterExample(
        DECK_CV, 367, "VGG configurations A, A-LRN, B, C, D, E have 11, 11, 13, 16, 16, 19 weight layers",
        [11, 11, 13, 16, 16, 19], [11, 11, 13, 16, 16, 19], None),
    "vgg_parameters_in_millions": ParameterExample(
        DECK_CV, 380, "Table 2: number of parameters (in millions): 133, 133, 133, 134, 138, 144",
        [133, 133, 133, 134, 138, 144],
        [132_863_336, 132_863_336, 133_047_848, 133_638_952, 138_357_544, 143_667_240], None, 1e6),
    "small_dense_network_1170": ParameterExample(
        DECK_CV, 437, "10 x 20 + 20 + 20 x 30 + 30 + 30 x 10 + 10 + 10 = 1170", 1170, 1170, None,
        note="the sum is right, but the network figure is not in the text and the terms fit no dense network "
             "with a bias per unit: 10 -> 20 -> 30 -> 10 has 1,160; if the last 10 are the weights of one "
             "output unit, its bias is missing and 10 -> 20 -> 30 -> 10 -> 1 has 1,171"),
    "keras_dense_2_3_3_1": ParameterExample(
        DECK_OSLO, 47, "Input(shape=(2,)) -> Dense(3) -> Dense(3) -> Dense(1) (no count on the slide)",
        None, 25, None),
    "max_pooling_4x4": ParameterExample(
        DECK_OSLO, 154, "2x2 max pooling of the 4x4 map 0..15 gives [[5, 7], [13, 15]]",
        [[5, 7], [13, 15]], [[5, 7], [13, 15]], None),
    "filter_4x4_weights": ParameterExample(
        DECK_MSIS, 259, "Filter of size 4x4: 16 different weights", 16, 16,
        None),  # plus one bias per filter, added on line 322 ("Apply bias"): 17 parameters
    "conv_5x5_image_3x3_filter": ParameterExample(
        DECK_MSIS, 292, "5x5 image convolved with a 3x3 filter gives a 3x3 feature map [[4,3,4],[2,4,3],[2,3,4]]",
        [[4, 3, 4], [2, 4, 3], [2, 3, 4]], [[4, 3, 4], [2, 4, 3], [2, 3, 4]], None),
    "max_pool_2x2_stride_2": ParameterExample(
        DECK_MSIS, 346, "max pool with 2x2 filters and stride 2: a 4x4 map becomes 2x2", (2, 2), (2, 2), None),
    "alexnet_parameters": ParameterExample(
        DECK_MSIS, 392, "AlexNet: 8 layers, 61 million parameters", 61, 60_965_224, None, 1e6,
        note="5 convolutions + 3 dense layers = 8 weight layers; the count is for the original two-GPU "
             "network (grouped convolutions); without groups it would be 62,378,344"),
    "vgg19_layers": ParameterExample(
        DECK_MSIS, 396, "VGG: 19 layers", 19, 19, None),
    "googlenet_parameters": ParameterExample(
        DECK_MSIS, 399, "GoogLeNet: 22 layers, 5 million parameters", 5, 6_998_552,
        "loose: the architecture table of Szegedy et al. (2014) gives about 7.0 million (6,998,552 with "
        "biases, without the auxiliary classifiers); '5 million' is a round figure, 29% too low", 1e6),
    "resnet_152_layers": ParameterExample(
        DECK_MSIS, 401, "ResNet: 152 layers", 152, 152, None),
}


def parameter_slips():
    """The parameter-count examples whose slide figure is wrong or loosely rounded, as (key, example) pairs."""
    return [(key, example) for key, example in PARAMETER_EXAMPLES.items() if example.slip]
