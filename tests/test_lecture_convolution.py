"""The slide decks' worked examples: the correct answers, worked out by hand, and the slips the slides make.

Each example has its own test below, naming the deck and the slide's claim. The expected
values are typed in by hand (or come from scipy), not from `cnn_course.lecture_examples`,
so the catalogue there cannot go wrong silently: the last tests check it against them.
"""

import dataclasses
import pathlib

import cnn_course  # noqa: F401  (sets TensorFlow's flags before anything imports it)

import numpy as np
import pytest
from scipy import signal

from cnn_course import lecture_examples
from cnn_course.convolution import convolve2d, cross_correlate2d, output_size, pad_amounts, pool2d
from cnn_course.lecture_examples import DECK002_IMAGE, get_example

LECTURES = pathlib.Path(__file__).resolve().parents[2] / "shared" / "lectures"

# Hand-worked answers, one per catalogue entry whose correct value is computed (the counts given as
# data are recomputed with Keras in tests/test_lecture_parameters.py).
EXPECTED = {
    "deck000_column_kernel": [[2, 1, 2, 0], [2, 1, 2, 0]],
    "deck001_edge_kernel": [[0, 0, 2, 0], [0, 0, 2, 0], [0, 1, 1, 0]],
    "deck001_output_size_32x32": (32, 32, 16),
    "deck002_valid_3x3_on_10x10": (8, 8, 1),
    "deck002_same_padding_size": (12, 12),
    "deck002_stride1_chain": (124, 120, 116),
    "deck002_stride2_chain": (62, 29, 13),
    "deck002_max_pool_617": 617,
    "deck002_pool_halves": (5, 5),
    "deck003_max_pool_4x4": [[5, 7], [13, 15]],
    "deck004_output_size_5x5_3x3": (3, 3, 1),
    "deck004_quiz_feature_map": [[4, 3, 4], [2, 4, 3], [2, 3, 4]],
    "deck004_max_pool_2x2_stride_2": (2, 2),
}

# A string that must appear in the deck between the catalogued lines, for every entry of the catalogue.
MARKERS = {
    "deck000_column_kernel": r"2 & 1 & 2 & 0",
    "deck000_conv_32_filters_32x32x3": "layer_conv_2d(filters = 32",
    "deck000_megapixel_dense_100": "**100M** parameters",
    "deck000_megapixel_conv_100_filters": "**1000** parameters",
    "deck001_rgb_256_inputs": r"256 \times 256 \times 3 \approx 200,000",
    "deck001_rgb_256_dense_1000": r"200,000 \times 1,000 = 200",
    "deck001_edge_kernel": r"0 & 1 & 2 & 0",
    "deck001_conv_32_filters_32x32x3": "layer_conv_2d(filters = 32",
    "deck001_output_size_32x32": r"32 \times 32 \times 16",
    "deck001_megapixel_dense_100": "**100M** parameters",
    "deck001_megapixel_conv_100_filters": "**1000** parameters",
    "deck001_pooling_no_parameters": "no trainable parameters",
    "deck001_alexnet_conv_layers": "AlexNet (2012), 5 convolutional layers",
    "deck001_vgg16_conv_layers": "VGG16 (2014), 16 convolutional layers",
    "deck001_resnet152_conv_layers": "ResNet (2015), 152 convolutional layers",
    "deck001_vgg16_data_flow": "data flow through the network VGG16",
    "deck002_dense_64x64_to_128": "524288 parameters",
    "deck002_valid_3x3_on_10x10": "M_l = M_{l-1} - k_1 + 1",
    "deck002_same_padding_size": "N_{l-1} + k_2 - 2",
    "deck002_question_dense_64x64": r"\rightarrow 256 \rightarrow 128 \rightarrow 64 \rightarrow 16",
    "deck002_question_conv_64x64": r"64 \times 64} \Rightarrow 16",
    "deck002_stride1_chain": "116x116",
    "deck002_stride2_chain": "12x12",
    "deck002_max_pool_617": "617 in the highlighted area",
    "deck002_pool_halves": "it can halve the image",
    "deck002_vgg_weight_layers": "19 weight layers",
    "deck002_vgg_parameters": "| Number of parameters | 133",
    "deck002_small_dense_1170": "10 + 10 = 1170",
    "deck003_keras_dense_2_3_3_1": "Dense(units=1",
    "deck003_max_pool_4x4": "13\t15",
    "deck004_filter_4x4_weights": "16 different weights",
    "deck004_output_size_5x5_3x3": "5x5 image and a 3x3 filter",
    "deck004_quiz_feature_map": "Row 1: 4, 3, 4",
    "deck004_max_pool_2x2_stride_2": "max pool with 2x2 filters",
    "deck004_alexnet_parameters": "61 million parameters",
    "deck004_vgg19_layers": "19 layers",
    "deck004_googlenet_parameters": "5million parameters",
    "deck004_resnet_152_layers": "152 layers",
}

TOPICS = {"cross-correlation", "convolution", "max pooling", "output size", "padding", "parameters", "layer count"}
COMPUTED = [example for example in lecture_examples.EXAMPLES if example.compute is not None]


def _slide_is_wrong(key, correct):
    example = get_example(key)
    return not np.array_equal(np.asarray(example.slide_value), np.asarray(correct))


# ---------------------------------------------------------------------------
# One test per worked example
# ---------------------------------------------------------------------------


def test_deck000_lines_113_114_column_kernel_is_a_cross_correlation():
    """000_1416b60456be1f89.md, lines 113-114: X (3x5) with K = [[0,1],[0,1]] gives
    Y = [[2,1,2,0],[2,1,2,0]]. Right, as a cross-correlation (kernel not flipped)."""
    x = np.array([[0, 1, 0, 1, 0], [0, 1, 1, 1, 0], [0, 1, 0, 1, 0]])
    k = np.array([[0, 1], [0, 1]])
    correct = np.array([[2, 1, 2, 0], [2, 1, 2, 0]])  # each output: sum of the window's right column
    np.testing.assert_array_equal(cross_correlate2d(x, k), correct)
    np.testing.assert_array_equal(signal.correlate2d(x, k, mode="valid"), correct)
    assert not _slide_is_wrong("deck000_column_kernel", correct)
    # True convolution flips K to [[1,0],[1,0]] and sums the left column instead.
    np.testing.assert_array_equal(convolve2d(x, k), [[0, 2, 1, 2], [0, 2, 1, 2]])


def test_deck001_lines_115_116_edge_kernel_has_a_slip_in_the_last_row():
    """001_4f9fa88f872c7880.md, lines 115-116: X (4x5) with K = [[-1,1],[-1,1]] gives
    Y = [[0,0,2,0],[0,0,2,0],[0,1,2,0]]. Slip: Y[3,3] (1-based) is 1, not 2."""
    x = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 1]])
    k = np.array([[-1, 1], [-1, 1]])
    # Last row of Y, windows over rows 3-4: [[0,0],[0,0]] -> 0, [[0,0],[0,1]] -> 1,
    # [[0,1],[1,1]] -> -0 + 1 - 1 + 1 = 1, [[1,1],[1,1]] -> 0.
    correct = np.array([[0, 0, 2, 0], [0, 0, 2, 0], [0, 1, 1, 0]])
    np.testing.assert_array_equal(cross_correlate2d(x, k), correct)
    np.testing.assert_array_equal(signal.correlate2d(x, k, mode="valid"), correct)
    slide = [[0, 0, 2, 0], [0, 0, 2, 0], [0, 1, 2, 0]]
    assert not np.array_equal(correct, slide)
    assert not np.array_equal(convolve2d(x, k), slide)  # not a convolution either
    assert _slide_is_wrong("deck001_edge_kernel", correct)


def test_deck001_lines_165_177_output_size_of_padded_3x3_conv():
    """001_4f9fa88f872c7880.md, lines 165-177: 32x32x3 input, 3x3 kernel, p = 1, s = 1,
    16 filters gives (32 - 3 + 2)/1 + 1 = 32, a 32x32x16 output. Right."""
    assert output_size(32, 3, padding=1, stride=1) == (32 - 3 + 2) // 1 + 1 == 32
    y = cross_correlate2d(np.zeros((32, 32)), np.ones((3, 3)), padding=1)
    assert y.shape == (32, 32)
    assert not _slide_is_wrong("deck001_output_size_32x32", (32, 32, 16))


def test_deck002_lines_147_166_valid_3x3_on_the_10x10_image_gives_8x8():
    """002_f3391ec0a65b9454.md, lines 147-166: a valid 3x3 convolution loses a pixel at each
    end (centred kernel) or two at the bottom and right (corner kernel): 10x10 -> 8x8. Right."""
    assert output_size(10, 3, padding="valid") == 10 - 3 + 1 == 8
    assert cross_correlate2d(DECK002_IMAGE, np.ones((3, 3))).shape == (8, 8)
    assert not _slide_is_wrong("deck002_valid_3x3_on_10x10", (8, 8, 1))


def test_deck002_line_169_same_padding_width_has_a_slip():
    """002_f3391ec0a65b9454.md, line 169: 'same' pads the input to (M + k1 - 1) x (N + k2 - 2).
    Slip: the width is N + k2 - 1, like the height (10x10 with 3x3 -> 12x12, not 12x11)."""
    assert pad_amounts(10, 3, padding="same") == (1, 1)  # 2 = k - 1 zeros per axis
    correct = (10 + 3 - 1, 10 + 3 - 1)
    slide = (10 + 3 - 1, 10 + 3 - 2)
    assert correct == (12, 12) and slide == (12, 11)
    assert not np.array_equal(correct, slide)
    # Padding to only 11 columns would make a "same" output one column short.
    assert cross_correlate2d(np.zeros((12, 11)), np.ones((3, 3))).shape == (10, 9)
    assert _slide_is_wrong("deck002_same_padding_size", correct)


def test_deck002_lines_178_179_question_5x5_valid_conv_stack():
    """002_f3391ec0a65b9454.md, lines 178-179: question, 64x64 => 16 => 16 => 16 with 5x5 valid
    convolutions: how many hidden neurons per layer? (No answer printed.) 60x60x16 = 57600,
    56x56x16 = 50176, 52x52x16 = 43264. (The parameter counts are checked with Keras.)"""
    sizes = [64]
    for _ in range(3):
        sizes.append(output_size(sizes[-1], 5, padding="valid"))
    assert sizes == [64, 60, 56, 52]
    assert [s * s * 16 for s in sizes[1:]] == [57600, 50176, 43264]
    example = get_example("deck002_question_conv_64x64")
    assert example.slide_value is None and not example.is_slip and example.slide_agrees() is None
    assert [list(shape) for shape in example.correct_value["shapes"]] == [[60, 60, 16], [56, 56, 16], [52, 52, 16]]
    assert list(example.correct_value["neurons"]) == [57600, 50176, 43264, 16]


def test_deck002_lines_218_239_valid_5x5_stride_1_chain():
    """002_f3391ec0a65b9454.md, lines 218 and 236-239: 5x5 valid convolutions take
    128x128 to 124x124, 120x120, 116x116. Right: 4 pixels fewer each time."""
    assert output_size(128, 5) == 124
    assert output_size(124, 5) == 120
    assert output_size(120, 5) == 116
    assert not _slide_is_wrong("deck002_stride1_chain", (124, 120, 116))


def test_deck002_lines_227_243_valid_5x5_stride_2_chain_has_a_slip():
    """002_f3391ec0a65b9454.md, lines 227-243: with stride 2, floor((M - 5)/2) + 1 takes
    128 to 62x62, 29x29, 12x12. Slip: floor((29 - 5)/2) + 1 = 13, not 12."""
    assert output_size(128, 5, stride=2) == 123 // 2 + 1 == 62
    assert output_size(62, 5, stride=2) == 57 // 2 + 1 == 29
    assert output_size(29, 5, stride=2) == 24 // 2 + 1 == 13
    assert cross_correlate2d(np.zeros((29, 29)), np.ones((5, 5)), stride=2).shape == (13, 13)
    assert not np.array_equal((62, 29, 13), (62, 29, 12))
    assert _slide_is_wrong("deck002_stride2_chain", (62, 29, 13))
    # Carrying on from 13 reaches the 1x1 output the slide is after: 13 -> 5 -> 1.
    assert output_size(13, 5, stride=2) == 5 and output_size(5, 5, stride=2) == 1


def test_deck002_lines_254_257_max_pooling_keeps_617_wherever_it_sits():
    """002_f3391ec0a65b9454.md, lines 254-257: '617 ... can be in any of the neurons, the
    pooled value will not change'. Right for the 2x2 block holding 617 (rows 1-2, cols 3-4)."""
    block = DECK002_IMAGE[0:2, 2:4]
    np.testing.assert_array_equal(block, [[570, 585], [595, 617]])
    pooled = pool2d(DECK002_IMAGE, 2)
    assert pooled[0, 1] == 617
    for position in range(4):  # move 617 to each cell of its block
        values = [570, 585, 595]
        values.insert(position, 617)
        shuffled = np.array(DECK002_IMAGE)
        shuffled[0:2, 2:4] = np.reshape(values, (2, 2))
        np.testing.assert_array_equal(pool2d(shuffled, 2), pooled)
    assert not _slide_is_wrong("deck002_max_pool_617", 617)


def test_deck002_lines_260_262_2x2_pooling_halves_the_image():
    """002_f3391ec0a65b9454.md, lines 260-262: 'even when the pooling kernel is of size 2x2,
    it can halve the image'. Right: 10x10 -> 5x5 with stride 2."""
    assert pool2d(DECK002_IMAGE, 2).shape == (5, 5)
    assert output_size(10, 2, stride=2) == 5
    assert not _slide_is_wrong("deck002_pool_halves", (5, 5))


def test_deck003_lines_152_159_max_pooling_4x4():
    """003_8095cabaef43a299.md, lines 152-159: max pooling [[0..3],[4..7],[8..11],[12..15]]
    gives [[5,7],[13,15]]. Right (2x2 windows, stride 2)."""
    x = np.arange(16).reshape(4, 4)
    correct = np.array([[5, 7], [13, 15]])  # bottom-right cell of each block is its largest
    np.testing.assert_array_equal(pool2d(x, 2, mode="max"), correct)
    assert not _slide_is_wrong("deck003_max_pool_4x4", correct)


def test_deck004_lines_288_304_quiz_feature_map():
    """004_c3d96a3e3883e06d.md, lines 288-304: the 5x5 binary image convolved with
    [[1,0,1],[0,1,0],[1,0,1]] gives [[4,3,4],[2,4,3],[2,3,4]]. Right."""
    x = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    k = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    correct = np.array([[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    np.testing.assert_array_equal(signal.convolve2d(x, k, mode="valid"), correct)
    np.testing.assert_array_equal(convolve2d(x, k), correct)
    np.testing.assert_array_equal(cross_correlate2d(x, k), correct)  # K is symmetric under a 180-degree turn
    assert not _slide_is_wrong("deck004_quiz_feature_map", correct)


def test_deck004_line_288_5x5_image_and_3x3_filter_give_3x3():
    """004_c3d96a3e3883e06d.md, lines 288-290: a 5x5 image and a 3x3 filter (sliding,
    no padding) give a 3x3 feature map. Right: 5 - 3 + 1 = 3."""
    assert output_size(5, 3) == 3
    assert not _slide_is_wrong("deck004_output_size_5x5_3x3", (3, 3, 1))


def test_deck004_lines_345_347_2x2_max_pooling_with_stride_2_halves_a_4x4_map():
    """004_c3d96a3e3883e06d.md, lines 345-347: max pool with 2x2 filters and stride 2 turns the
    figure's map (4x4, judging by the 2x2 output [[6,8],[3,4]]) into 2x2. Right: (4 - 2)/2 + 1 = 2."""
    assert output_size(4, 2, stride=2) == 2
    assert pool2d(np.arange(16).reshape(4, 4), 2).shape == (2, 2)
    assert not _slide_is_wrong("deck004_max_pool_2x2_stride_2", (2, 2))


# ---------------------------------------------------------------------------
# The catalogue in cnn_course.lecture_examples, checked against the answers above
# ---------------------------------------------------------------------------


def test_every_catalogued_example_has_a_marker_and_every_computed_one_a_hand_worked_answer_and_a_test():
    keys = [e.key for e in lecture_examples.EXAMPLES]
    assert len(keys) == len(set(keys)) == 38
    assert set(keys) == set(MARKERS)
    assert {e.key for e in COMPUTED} == set(EXPECTED)
    test_names = [name for name in globals() if name.startswith("test_deck")]
    for example in COMPUTED:
        prefix = f"test_deck{example.deck[:3]}_line"
        assert any(name.startswith(prefix) and str(example.lines[0]) in name for name in test_names), example.key


def test_catalogue_is_in_deck_and_line_order_with_one_naming_scheme():
    examples = lecture_examples.EXAMPLES
    assert [(e.deck, e.lines) for e in examples] == sorted((e.deck, e.lines) for e in examples)
    for example in examples:
        assert example.deck in lecture_examples.DECKS
        assert example.key.startswith(f"deck{example.deck[:3]}_"), example.key
        assert example.topic in TOPICS
        assert example.lines[0] <= example.lines[1]
        assert (example.compute is None) != (example.answer is None), example.key
    assert set(lecture_examples.TOPICS) == TOPICS == {e.topic for e in examples}
    assert lecture_examples.WorkedExample is lecture_examples.LectureExample


@pytest.mark.parametrize("example", COMPUTED, ids=lambda e: e.key)
def test_catalogue_correct_values_match_the_hand_worked_answers(example):
    np.testing.assert_array_equal(np.asarray(example.correct_value), np.asarray(EXPECTED[example.key]))


@pytest.mark.parametrize("example", COMPUTED, ids=lambda e: e.key)
def test_catalogue_marks_exactly_the_wrong_slides_as_slips(example):
    if example.slide_value is None:
        assert not example.is_slip and example.slide_agrees() is None
    else:
        wrong = not np.array_equal(np.asarray(example.slide_value), np.asarray(EXPECTED[example.key]))
        assert example.is_slip == wrong == (not example.slide_agrees())
    if example.is_slip:
        assert len(example.slip) > 20


def test_catalogue_lists_the_slips_of_the_computed_examples():
    computed_slips = [e.key for e in lecture_examples.slips() if e.compute is not None]
    assert computed_slips == ["deck001_edge_kernel", "deck002_same_padding_size", "deck002_stride2_chain"]
    assert [e.key for e in lecture_examples.slips(topics="padding")] == ["deck002_same_padding_size"]


@pytest.mark.parametrize("example", lecture_examples.EXAMPLES, ids=lambda e: e.key)
def test_catalogue_line_numbers_point_at_the_example(example):
    path = LECTURES / example.deck
    if not path.exists():
        pytest.skip(f"slide decks not found at {LECTURES}")
    lines = path.read_text(encoding="utf-8").splitlines()
    first, last = example.lines
    assert MARKERS[example.key] in "\n".join(lines[first - 1:last])


def test_catalogue_inputs_and_answers_are_read_only():
    example = get_example("deck004_quiz_feature_map")
    with pytest.raises(ValueError):
        example.inputs["x"][0, 0] = 5
    with pytest.raises(TypeError):
        example.inputs["k"] = None
    with pytest.raises(TypeError):
        get_example("deck002_question_conv_64x64").answer["total"] = 0
    with pytest.raises(KeyError, match="Valid keys"):
        get_example("deck999")


@pytest.mark.parametrize("changes, argument", [
    ({"deck": "005_unknown.md"}, "deck"),
    ({"key": "deck001_column_kernel"}, "key"),
    ({"topic": "dropout"}, "topic"),
    ({"lines": (114, 113)}, "lines"),
    ({"answer": 3}, "answer"),
    ({"compute": None}, "answer"),
])
def test_catalogue_entries_are_validated(changes, argument):
    fields = {f.name: getattr(get_example("deck000_column_kernel"), f.name)
              for f in dataclasses.fields(lecture_examples.LectureExample)}
    with pytest.raises(ValueError, match=f"The `{argument}` argument must be"):
        lecture_examples.LectureExample(**{**fields, **changes})


def test_notes_point_at_real_decks():
    for note in lecture_examples.NOTES:
        assert note.deck in lecture_examples.DECKS
        assert note.kind in {"formula", "unverifiable"}
        assert note.lines[0] <= note.lines[1]
