"""The slide decks' worked examples, as one catalogue, with the slides' slips marked.

Every worked example of the five decks in `shared/lectures/`: convolutions, pooling,
output and padding sizes, parameter and layer counts. Each `LectureExample` holds the
slide's number and the correct one, either computed here with `cnn_course.convolution`
or given as data (the counts, which tests/test_lecture_parameters.py recomputes with Keras).
"""

import collections.abc
import dataclasses
import types
import warnings
from typing import Any, Callable, Optional

import numpy as np

from cnn_course import convolution
from cnn_course._aliases import REMOVAL
from cnn_course._validation import arg_error

#: Slide decks (files in `shared/lectures/`) and what each one is.
DECKS = types.MappingProxyType({
    "000_1416b60456be1f89.md": "Machine learning, big data and AI, block 5 (Uppsala, 2020)",
    "001_4f9fa88f872c7880.md": "Machine learning, block 4 (Uppsala, autumn 2025)",
    "002_f3391ec0a65b9454.md": "Deep learning for computer vision, part II: CNNs",
    "003_8095cabaef43a299.md": "PSY9511 seminar 7: deep learning for image processing (Oslo, 2024)",
    "004_c3d96a3e3883e06d.md": "MSIS549 lesson 3: convolutional neural networks",
})

#: What a worked example can be about, in the order notebooks list them.
TOPICS = ("cross-correlation", "convolution", "max pooling", "output size", "padding", "parameters",
          "layer count")


def _plain(value):
    """`value` with arrays and sequences as nested tuples and mappings as dicts, so `==` compares contents."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, collections.abc.Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value.item() if isinstance(value, np.generic) else value


@dataclasses.dataclass(frozen=True)
class LectureExample:
    """One worked example from a slide deck, with the slide's answer and the correct one.

    The correct answer is either computed, `compute(**inputs)` with the functions of
    `cnn_course.convolution`, or given as `answer` (parameter and layer counts; the
    tests recompute those with Keras). Exactly one of `compute` and `answer` is given.

    Attributes:
        key: unique name `"deckNNN_<what>"`, NNN being the deck's number.
        deck: the slide deck's file name, a key of `DECKS`.
        lines: `(first, last)` line numbers of the example in that file.
        topic: one of `TOPICS`.
        claim: what the slide states, in the slide's words or ours.
        slide_value: the slide's figure, in `unit`s; None when the slide asks a
            question without answering it, or shows a layer without its count.
        compute: function of `**inputs` giving the correct answer, or None.
        inputs: read-only mapping of the arguments of `compute`.
        answer: the correct answer as data, when there is no `compute`.
        unit: what one unit of `slide_value` is worth: 1, or 1e6 for "61 million".
        slip: one sentence saying what is wrong when the slide's figure is wrong
            (or rounded loosely), else None.
        note: a remark that is not a slip (how a garbled extraction was read, an
            ambiguity worth pointing out), else None.
        source: when the slide's figure differs from the count but is the
            figure its source gives (not the slide's mistake): which source,
            and why the two differ; else None.
        quote: the numbers as the slide prints them, when `claim` rewords them.

    Example:

    >>> from cnn_course.lecture_examples import get_example
    >>> example = get_example("deck004_alexnet_parameters")
    >>> example.slide_value, example.correct_value, example.unit
    (61, 60965224, 1000000.0)
    >>> example.slide_agrees(), example.is_slip  # 60,965,224 is 61 million
    (True, False)
    >>> get_example("deck001_edge_kernel").slide_agrees()
    False
    """

    key: str
    deck: str
    lines: tuple
    topic: str
    claim: str
    slide_value: Any = None
    compute: Optional[Callable] = dataclasses.field(default=None, repr=False)
    inputs: Any = dataclasses.field(default_factory=dict, repr=False)
    answer: Any = None
    unit: float = 1
    slip: Optional[str] = None
    note: Optional[str] = None
    quote: Optional[str] = None
    source: Optional[str] = None

    def __post_init__(self):
        if self.deck not in DECKS:
            raise arg_error("deck", self.deck, f"the file name of a slide deck, one of {list(DECKS)}")
        if not self.key.startswith(f"deck{self.deck[:3]}_"):
            raise arg_error("key", self.key, f"'deck{self.deck[:3]}_<what>' for deck {self.deck}")
        if self.topic not in TOPICS:
            raise arg_error("topic", self.topic, f"one of {TOPICS}")
        if len(self.lines) != 2 or not 0 < self.lines[0] <= self.lines[1]:
            raise arg_error("lines", self.lines, "(first, last) line numbers with 0 < first <= last")
        if self.slip is not None and self.source is not None:
            raise arg_error("source", self.source, "None when `slip` is given",
                            "A figure is either the slide's slip or its source's own figure, not both")
        if (self.compute is None) == (self.answer is None):
            given = "neither" if self.compute is None else "both"
            raise arg_error("answer", f"{given} `compute` and `answer`", "given exactly when `compute` is not",
                            "Pass compute= (with inputs=) to compute the answer, or answer= to give it",
                            describe=True)
        object.__setattr__(self, "inputs", types.MappingProxyType(dict(self.inputs)))
        if isinstance(self.answer, dict):
            object.__setattr__(self, "answer", types.MappingProxyType(self.answer))

    @property
    def correct_value(self):
        """The correct answer: `compute(**inputs)`, or `answer`."""
        return self.answer if self.compute is None else self.compute(**self.inputs)

    @property
    def is_slip(self):
        """True when the slide's figure is wrong or rounded loosely (`slip` says why)."""
        return self.slip is not None

    def slide_agrees(self):
        """True when the slide's figure is the correct value rounded to `unit`s (None when the slide gives none)."""
        if self.slide_value is None:
            return None
        correct = self.correct_value  # counted in `unit`s as the slide prints it: 60,965,224 -> 61 for 1e6
        if self.unit != 1:
            correct = np.rint(np.divide(correct, self.unit)).astype(int)
        return _plain(self.slide_value) == _plain(correct)


#: The name the convolution examples had before the catalogues were merged.
WorkedExample = LectureExample


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


# How computed answers are computed: cnn_course.convolution's functions, and small wrappers around them.

def _max_pool_cell(x, pool_size, row, col):
    return convolution.pool2d(x, pool_size)[row, col]


def _pooled_shape(x, pool_size):
    return convolution.pool2d(x, pool_size).shape


def _conv_output_shape(size, kernel, padding, filters):
    """Output shape of a stride-1 convolution of a square `size` x `size` input."""
    side = convolution.output_size(size, kernel, padding=padding, stride=1)
    return side, side, filters


def _size_chain(size, kernel, stride, layers):
    """Feature-map side after each of `layers` identical valid convolutions."""
    sizes = []
    for _ in range(layers):
        size = convolution.output_size(size, kernel, padding="valid", stride=stride)
        sizes.append(size)
    return tuple(sizes)


def _same_padded_shape(height, width, kernel):
    """Size of the zero-padded input for a stride-1 "same" convolution with a square kernel."""
    top, bottom = convolution.pad_amounts(height, kernel, padding="same")
    left, right = convolution.pad_amounts(width, kernel, padding="same")
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


def _example(key, lines, topic, claim, slide_value=None, **fields):
    """A `LectureExample` whose deck is the one numbered in `key` ("deck002_..." -> "002_....md")."""
    decks = [deck for deck in DECKS if key[4:8] == deck[:3] + "_"]
    return LectureExample(key, decks[0] if decks else key, lines, topic, claim, slide_value, **fields)


_CONV_32 = "layer_conv_2d(filters = 32, kernel_size = c(3,3), input_shape = c(32,32,3)); no count on the slide"
_MEGAPIXEL_CONV = "CNN with 100 3x3 filters: 1000 parameters (900 from filters, 100 bias terms)"
_NO_DENSE_BIASES = "the 100 biases are left out (the conv line below does count its biases)"

#: Every worked example found in the five decks, in deck and line order.
EXAMPLES = (
    _example("deck000_column_kernel", (113, 114), "cross-correlation",
             "Sliding the 2x2 kernel over the 3x5 image (valid, stride 1) gives the 2x4 map Y.",
             _frozen([[2, 1, 2, 0], [2, 1, 2, 0]]), compute=convolution.cross_correlate2d,
             inputs={"x": _frozen([[0, 1, 0, 1, 0], [0, 1, 1, 1, 0], [0, 1, 0, 1, 0]]), "k": _frozen([[0, 1], [0, 1]])},
             quote="X = [[0,1,0,1,0],[0,1,1,1,0],[0,1,0,1,0]], K = [[0,1],[0,1]], Y = [[2,1,2,0],[2,1,2,0]]",
             note="Y is the cross-correlation (the kernel is not flipped); a true convolution gives "
                  "[[0,2,1,2],[0,2,1,2]]."),
    _example("deck000_conv_32_filters_32x32x3", (132, 134), "parameters", _CONV_32,
             answer={"params": 896, "output": (30, 30, 32)}),
    _example("deck000_megapixel_dense_100", (150, 151), "parameters",
             "1000x1000 image, dense network with 100 nodes: 100M parameters", 100_000_000, answer=100_000_100,
             slip=_NO_DENSE_BIASES + "; the deck also does not say the image is single-channel (an RGB image "
                                     "would need 300,000,100)"),
    _example("deck000_megapixel_conv_100_filters", (152, 153), "parameters", _MEGAPIXEL_CONV, 1000, answer=1000),
    _example("deck001_rgb_256_inputs", (73, 73), "parameters", "256 x 256 x 3 ≈ 200,000 inputs", 200_000,
             answer=196_608, slip="rounded: 196,608 inputs (1.7% below 200,000)"),
    _example("deck001_rgb_256_dense_1000", (74, 75), "parameters", "200,000 x 1,000 = 200 million parameters",
             200_000_000, answer=196_609_000,
             slip="rounded, and the 1,000 biases are left out: (196,608 + 1) * 1,000 = 196,609,000"),
    _example("deck001_edge_kernel", (115, 116), "cross-correlation",
             "The 2x2 edge kernel on the 4x5 image (valid, stride 1) gives the 3x4 map Y.",
             _frozen([[0, 0, 2, 0], [0, 0, 2, 0], [0, 1, 2, 0]]), compute=convolution.cross_correlate2d,
             inputs={"x": _frozen([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 1]]),
                     "k": _frozen([[-1, 1], [-1, 1]])},
             quote="X = [[0,0,0,1,1],[0,0,0,1,1],[0,0,0,1,1],[0,0,1,1,1]], K = [[-1,1],[-1,1]], "
                   "Y = [[0,0,2,0],[0,0,2,0],[0,1,2,0]]",
             slip="Y[3,3] (1-based) should be 1, not 2: its window [[0,1],[1,1]] gives -0 + 1 - 1 + 1 = 1; "
                  "convolution (flipped kernel) gives the negatives, so no reading makes it 2."),
    _example("deck001_conv_32_filters_32x32x3", (143, 143), "parameters", _CONV_32,
             answer={"params": 896, "output": (30, 30, 32)}),
    _example("deck001_output_size_32x32", (165, 177), "output size",
             "A 3x3 convolution with one pixel of zero padding and stride 1 keeps 32x32; 16 filters give 16 channels.",
             (32, 32, 16), compute=_conv_output_shape, inputs={"size": 32, "kernel": 3, "padding": 1, "filters": 16},
             quote="input 32x32x3, kernel 3x3, p = 1, s = 1, 16 filters -> (32 - 3 + 2)/1 + 1 = 32, output 32x32x16",
             note="The slide's formula drops the floor of line 164; (32 - 3 + 2) / 1 is whole, so it does not matter."),
    _example("deck001_megapixel_dense_100", (183, 184), "parameters",
             "1 megapixel single-channel image, dense network with 100 nodes: 100M parameters", 100_000_000,
             answer=100_000_100, slip=_NO_DENSE_BIASES),
    _example("deck001_megapixel_conv_100_filters", (185, 185), "parameters", _MEGAPIXEL_CONV, 1000, answer=1000),
    _example("deck001_pooling_no_parameters", (200, 200), "parameters", "Pooling has no trainable parameters", 0,
             answer=0),
    _example("deck001_alexnet_conv_layers", (225, 225), "layer count", "AlexNet (2012), 5 convolutional layers",
             5, answer=5),
    _example("deck001_vgg16_conv_layers", (226, 226), "layer count", "VGG16 (2014), 16 convolutional layers",
             16, answer=13, slip="VGG16 has 13 convolutional layers; the 16 weight layers include its 3 dense layers"),
    _example("deck001_resnet152_conv_layers", (227, 227), "layer count", "ResNet (2015), 152 convolutional layers",
             152, answer=151,
             slip="152 counts weight layers: 151 convolutions on the main path plus the final dense layer "
                  "(Keras's ResNet152 has 155 Conv2D layers: the 151 plus 4 projection shortcuts)"),
    _example("deck001_vgg16_data_flow", (229, 229), "output size",
             "Figure 2.4: VGG16 data size after each max-pooling layer and the dense layers "
             "(the figure's numbers are not in the extracted text)",
             answer=((112, 112, 64), (56, 56, 128), (28, 28, 256), (14, 14, 512), (7, 7, 512), 4096, 4096, 1000)),
    _example("deck002_dense_64x64_to_128", (35, 35), "parameters",
             "(N0 x M0) = (64, 64) and d1 = 128 leads to 524288 parameters in only the first layer", 524_288,
             answer=524_416, slip="counts only the weight matrix W1 (64*64*128); with the 128 biases it is 524,416"),
    _example("deck002_valid_3x3_on_10x10", (147, 166), "output size",
             "A valid 3x3 convolution of the 10x10 image leaves 8x8, wherever the kernel's origin is.",
             (8, 8, 1), compute=_conv_output_shape, inputs={"size": 10, "kernel": 3, "padding": "valid", "filters": 1},
             quote="10x10 image, 3x3 kernel: 'you lose a pixel at each end' (centred kernel) or "
                   "'two pixels at the bottom and right' (corner kernel); M_l = M_{l-1} - k_1 + 1",
             note="The sizes are stated in words; 10x10 and 3x3 are the deck's own image and kernel (lines 51-70)."),
    _example("deck002_same_padding_size", (169, 170), "padding",
             "For 'same' output size, the input is padded to (M + k1 - 1) x (N + k2 - 2); "
             "for the deck's 10x10 image and 3x3 kernel that would be 12x11.",
             (12, 11), compute=_same_padded_shape, inputs={"height": 10, "width": 10, "kernel": 3},
             quote="padded input (M + k_1 - 1) x (N + k_2 - 2); M_l = M_{l-1}, N_l = N_{l-1}",
             slip="The width term should be N + k2 - 1, like the height: padded to 12x11 a 3x3 'same' "
                  "convolution would return 10x9, not 10x10.",
             note="The slide gives only the formula; it is evaluated on the deck's 10x10 image and 3x3 kernel."),
    _example("deck002_question_dense_64x64", (174, 177), "parameters",
             "Question: parameters of x in R^(64x64) -> 256 -> 128 -> 64 -> 16 (no answer on the slide)",
             answer={"layers": (1_048_832, 32_896, 8_256, 1_040), "total": 1_091_024}),
    _example("deck002_question_conv_64x64", (178, 179), "parameters",
             "Question: parameters and hidden neurons of x in R^(64x64) => 16 => 16 => 16 -> 16 "
             "(5x5 valid convolutions; no answer on the slide)",
             answer={"layers": (416, 6_416, 6_416, 692_240), "total": 705_488,
                     "neurons": (57_600, 50_176, 43_264, 16), "shapes": ((60, 60, 16), (56, 56, 16), (52, 52, 16))},
             note="One input channel is assumed (a grey image, as R^(64x64) says)."),
    _example("deck002_stride1_chain", (218, 239), "output size",
             "Each valid 5x5 convolution (stride 1) takes 4 pixels off each side length.",
             (124, 120, 116), compute=_size_chain, inputs={"size": 128, "kernel": 5, "stride": 1, "layers": 3},
             quote="5x5 kernels, valid: 128x128, 124x124, 120x120, 116x116, ...",
             note="The list of sizes on lines 236-243 mixes two settings; 128 -> 124 -> 120 -> 116 "
                  "is read as the stride-1 chain of line 218."),
    _example("deck002_stride2_chain", (227, 243), "output size",
             "With stride 2, floor((M - 5) / 2) + 1 takes 128 to 62, 29 and then 12.",
             (62, 29, 12), compute=_size_chain, inputs={"size": 128, "kernel": 5, "stride": 2, "layers": 3},
             quote="5x5 kernels, valid, stride 2: ..., 62x62, 29x29, 12x12",
             slip="floor((29 - 5) / 2) + 1 = 13, not 12 (the + 1 was left out); the chain continues 13 -> 5 -> 1, "
                  "reaching the 1x1 output the slide aims for, where 12x12 would stall at 4x4.",
             note="62, 29, 12 are read as the stride-2 chain of line 231 starting again from 128 "
                  "(62 = floor(123 / 2) + 1); they cannot follow 116 with stride 1."),
    _example("deck002_max_pool_617", (254, 257), "max pooling",
             "2x2 max pooling of the 10x10 image: the block holding 617 pools to 617, wherever 617 sits in it.",
             617, compute=_max_pool_cell, inputs={"x": DECK002_IMAGE, "pool_size": 2, "row": 0, "col": 1},
             quote="'617 in the highlighted area can be in any of the neurons, the pooled value will not change'",
             note="The highlighted area is in a figure; it is taken to be the 2x2 pooling block "
                  "(rows 1-2, columns 3-4, 1-based) that holds 617, its maximum."),
    _example("deck002_pool_halves", (260, 262), "max pooling",
             "2x2 pooling with stride 2 halves each side: the 10x10 image becomes 5x5.",
             (5, 5), compute=_pooled_shape, inputs={"x": DECK002_IMAGE, "pool_size": 2},
             quote="'Even when the pooling kernel is of size 2x2, it can halve the image!'",
             note="Stated in words; applied to the deck's 10x10 image with stride = pool size (line 259). "
                  "For an odd size the floor drops the last row and column: 15x15 -> 7x7."),
    _example("deck002_vgg_weight_layers", (366, 367), "layer count",
             "VGG configurations A, A-LRN, B, C, D, E have 11, 11, 13, 16, 16, 19 weight layers",
             (11, 11, 13, 16, 16, 19), answer=(11, 11, 13, 16, 16, 19)),
    _example("deck002_vgg_parameters", (377, 380), "parameters",
             "Table 2: parameters (in millions) of A, A-LRN, B, C, D, E: 133, 133, 133, 134, 138, 144",
             (133, 133, 133, 134, 138, 144), unit=1e6, note="The table prints one column for A and A-LRN.",
             answer=(132_863_336, 132_863_336, 133_047_848, 133_638_952, 138_357_544, 143_667_240)),
    _example("deck002_small_dense_1170", (436, 437), "parameters",
             "10 x 20 + 20 + 20 x 30 + 30 + 30 x 10 + 10 + 10 = 1170", 1170, answer=1170,
             note="the sum is right, but the network figure is not in the text and the terms fit no dense network "
                  "with a bias per unit: 10 -> 20 -> 30 -> 10 has 1,160; if the last 10 are the weights of one "
                  "output unit, its bias is missing and 10 -> 20 -> 30 -> 10 -> 1 has 1,171"),
    _example("deck003_keras_dense_2_3_3_1", (47, 51), "parameters",
             "Input(shape=(2,)) -> Dense(3) -> Dense(3) -> Dense(1) (no count on the slide)", answer=25),
    _example("deck003_max_pool_4x4", (152, 159), "max pooling",
             "Max pooling the 4x4 feature map with 2x2 windows gives [[5,7],[13,15]].",
             _frozen([[5, 7], [13, 15]]), compute=convolution.pool2d,
             inputs={"x": _frozen(np.arange(16).reshape(4, 4)), "pool_size": 2},
             quote="feature map [[0,1,2,3],[4,5,6,7],[8,9,10,11],[12,13,14,15]] -> [[5,7],[13,15]]",
             note="Window and stride are not printed; 2x2 with stride 2 is the only common choice giving 2x2."),
    _example("deck004_filter_4x4_weights", (259, 259), "parameters", "Filter of size 4x4: 16 different weights",
             16, answer=16, note="plus one bias per filter, added on line 322 ('Apply bias'): 17 parameters"),
    _example("deck004_output_size_5x5_3x3", (288, 290), "output size",
             "Sliding a 3x3 filter over a 5x5 image (valid, stride 1) gives a 3x3 feature map.",
             (3, 3, 1), compute=_conv_output_shape, inputs={"size": 5, "kernel": 3, "padding": "valid", "filters": 1},
             quote="'a 5x5 image and a 3x3 filter' -> 3x3 feature map"),
    _example("deck004_quiz_feature_map", (288, 304), "convolution",
             "Convolving the 5x5 image with the 3x3 filter (valid, stride 1) gives the 3x3 feature map.",
             _frozen([[4, 3, 4], [2, 4, 3], [2, 3, 4]]), compute=convolution.cross_correlate2d,
             inputs={"x": _frozen([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0],
                                   [0, 1, 1, 0, 0]]), "k": _frozen([[1, 0, 1], [0, 1, 0], [1, 0, 1]])},
             quote="image [[1,1,1,0,0],[0,1,1,1,0],[0,0,1,1,1],[0,0,1,1,0],[0,1,1,0,0]], "
                   "filter [[1,0,1],[0,1,0],[1,0,1]], feature map [[4,3,4],[2,4,3],[2,3,4]]",
             note="The numbers appear twice (a description on line 292 and tab-separated rows); the rows lack the "
                  "filter's last row, taken from the description and the x1/x0 marks: [1,0,1]. The filter is "
                  "unchanged by a 180-degree turn, so convolution and cross-correlation agree."),
    _example("deck004_max_pool_2x2_stride_2", (345, 347), "max pooling",
             "Max pool with 2x2 filters and stride 2: a 4x4 map becomes 2x2.", (2, 2), compute=_pooled_shape,
             inputs={"x": _frozen(np.zeros((4, 4))), "pool_size": 2},
             note="The input is only in the figure; a 4x4 map is assumed, as the 2x2 output [[6,8],[3,4]] implies."),
    _example("deck004_alexnet_parameters", (391, 392), "parameters", "AlexNet: 8 layers, 61 million parameters",
             61, answer=60_965_224, unit=1e6,
             note="5 convolutions + 3 dense layers = 8 weight layers; the count is for the original two-GPU "
                  "network (grouped convolutions); without groups it would be 62,378,344"),
    _example("deck004_vgg19_layers", (395, 396), "layer count", "VGG: 19 layers", 19, answer=19),
    _example("deck004_googlenet_parameters", (397, 399), "parameters", "GoogLeNet: 22 layers, 5 million parameters",
             5, answer=6_998_552, unit=1e6,
             source="the authors' own figure: Szegedy et al. (2014) say GoogLeNet uses 12 times fewer parameters "
                    "than AlexNet (60 million / 12 = 5 million), and Szegedy et al. (2015, 'Rethinking the "
                    "Inception architecture') write 5 million; summing the 2014 paper's architecture table, with "
                    "biases and without the auxiliary classifiers, gives 6,998,552"),
    _example("deck004_resnet_152_layers", (400, 401), "layer count", "ResNet: 152 layers", 152, answer=152),
)

#: Remarks on slides that are formulas, or numbers that the extracted text cannot confirm.
NOTES = (
    SlideNote("000_1416b60456be1f89.md", (100, 102), "formula",
              "The cross-correlation is written sum X(m,n) K(i+m, j+n); the usual form, computed by "
              "Conv2D and cross_correlate2d, is sum X(i+m, j+n) K(m,n). As written it gives the usual "
              "output mirrored in (i, j). '(i, j) =' is also missing after (X * K)."),
    SlideNote("001_4f9fa88f872c7880.md", (103, 105), "formula",
              "Same cross-correlation formula as deck 000, with the same index order."),
    SlideNote("002_f3391ec0a65b9454.md", (51, 70), "unverifiable",
              "The 10x10 image comes with a symbolic 3x3 kernel (a..j); no numeric result to check."),
    SlideNote("003_8095cabaef43a299.md", (139, 151), "unverifiable",
              "Convolution figure: the extraction keeps only scraps ('3', '3 0 1', '0 3 0', '1 0 3') of "
              "a 3x3 pattern and no input image; judged garbled, nothing to recompute."),
    SlideNote("004_c3d96a3e3883e06d.md", (258, 262), "unverifiable",
              "A 4x4 filter applied to 4x4 patches with a shift of 2: the input size is not given, so "
              "no output size follows."),
    SlideNote("004_c3d96a3e3883e06d.md", (345, 349), "unverifiable",
              "2x2 max pooling with stride 2 gives [[6,8],[3,4]]; the input is only in the figure, "
              "so only the output's 2x2 shape can be read (consistent with a 4x4 input)."),
)


def get_example(key):
    """Return the worked example called `key` from `EXAMPLES`.

    Args:
        key: an example's `key`, e.g. `"deck004_quiz_feature_map"`.

    Returns:
        The `LectureExample`.

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


def slips(topics=TOPICS):
    """The worked examples whose slide figure is wrong or loosely rounded, for notebooks to point out.

    Args:
        topics: a topic or a list of topics to keep (default: all of `TOPICS`).

    Returns:
        A list of `LectureExample`, in deck and line order.

    Example:

    >>> from cnn_course.lecture_examples import slips
    >>> [(e.key, e.slide_value, e.correct_value) for e in slips(topics=["output size"])]
    [('deck002_stride2_chain', (62, 29, 12), (62, 29, 13))]
    >>> len(slips())
    10
    """
    topics = (topics,) if isinstance(topics, str) else tuple(topics)
    return [example for example in EXAMPLES if example.is_slip and example.topic in topics]


_PARAMETER_TOPICS = ("parameters", "layer count")
_OLD_DECK_NAMES = {"DECK_2020": "000", "DECK_2025": "001", "DECK_CV": "002", "DECK_OSLO": "003", "DECK_MSIS": "004"}


def __getattr__(name):
    """The names of the catalogues before they were merged, kept importable with a `DeprecationWarning`.

    Example:

    >>> import warnings
    >>> from cnn_course import lecture_examples
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     lecture_examples.DECK_CV
    '002_f3391ec0a65b9454.md'
    >>> caught[0].category.__name__
    'DeprecationWarning'
    """
    if name in _OLD_DECK_NAMES:
        value, instead = next(d for d in DECKS if d.startswith(_OLD_DECK_NAMES[name])), "a file name of DECKS"
    elif name == "PARAMETER_EXAMPLES":
        value = {e.key: e for e in EXAMPLES if e.topic in _PARAMETER_TOPICS}
        instead = "EXAMPLES (its entries with topic 'parameters' or 'layer count')"
    elif name == "ParameterExample":
        value, instead = LectureExample, "LectureExample"
    elif name == "parameter_slips":
        def value():
            return [(e.key, e) for e in slips(_PARAMETER_TOPICS)]
        instead = "slips(topics=('parameters', 'layer count'))"
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(f"cnn_course.lecture_examples.{name} is deprecated and goes after {REMOVAL}; use {instead} instead.",
                  DeprecationWarning, stacklevel=2)
    return value
