"""Self-checking exercises for the notebooks: write an answer, get "correct" or a hint."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise: its question, how to compute the right answer, and a hint.

    Attributes:
        question: the question as the notebook asks it.
        solution: a function of no arguments returning the correct answer
            (computed, never typed in, so it cannot drift from the maths).
        hint: what to think about when the answer is wrong.
        tolerance: absolute tolerance for numeric answers.
    """

    question: str
    solution: object
    hint: str
    tolerance: float = 1e-6


def _conv_params(kernel, in_channels, filters):
    return (kernel * kernel * in_channels + 1) * filters


def _lecture_cross_correlation():
    from cnn_course.convolution import cross_correlate2d

    x = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 1]])
    return cross_correlate2d(x, np.array([[-1, 1], [-1, 1]]))


def _pool(x):
    from cnn_course.convolution import pool2d

    return pool2d(x, 2, mode="max")


#: Every exercise, keyed "<notebook>.<name>". Introduced in notebooks 01 and 02.
EXERCISES = {
    "01.output_size_valid": Exercise(
        "A 32x32 image goes through a 5x5 convolution, stride 1, no padding. "
        "What is the output height?",
        lambda: (32 - 5 + 2 * 0) // 1 + 1,
        "Use floor((H - k + 2p) / s) + 1 with H=32, k=5, p=0, s=1.",
    ),
    "01.output_size_stride": Exercise(
        "A 64x64 image, 3x3 kernel, padding 1 on each side, stride 2. What is the output height?",
        lambda: (64 - 3 + 2 * 1) // 2 + 1,
        "Same formula; the division by the stride is rounded down before adding 1.",
    ),
    "01.same_padding": Exercise(
        "How many pixels of zero padding on each side keep a 7x7 kernel's output the same "
        "size as its input (stride 1)?",
        lambda: (7 - 1) // 2,
        "Solve H - k + 2p + 1 = H for p.",
    ),
    "01.cross_correlation": Exercise(
        "Compute the cross-correlation (no kernel flip, no padding) of the lecture's 4x5 "
        "image X with K = [[-1, 1], [-1, 1]]. Answer with a 2-D array.",
        _lecture_cross_correlation,
        "The output is 3x4. Each entry is the sum of the 2x2 patch times K, element by element: "
        "(right column) - (left column) of the patch.",
    ),
    "01.conv_params": Exercise(
        "How many parameters has Conv2D(64, (3, 3)) applied to a feature map with 32 channels?",
        lambda: _conv_params(3, 32, 64),
        "Each of the 64 filters has 3*3*32 weights and 1 bias.",
    ),
    "01.dense_params": Exercise(
        "How many parameters has Dense(100) on a flattened 1000x1000 grayscale image?",
        lambda: (1000 * 1000 + 1) * 100,
        "Every one of the 100 units has one weight per input pixel, plus a bias.",
    ),
    "02.pool_output_shape": Exercise(
        "A (26, 26, 32) feature map goes through MaxPooling2D((2, 2)). What is the output "
        "shape? Answer with a tuple.",
        lambda: (26 // 2, 26 // 2, 32),
        "Pooling halves height and width (rounding down) and never changes the channels.",
    ),
    "02.max_pool": Exercise(
        "Max-pool [[2, 0, 1, 3], [5, 1, 0, 2], [1, 1, 4, 0], [3, 6, 2, 2]] with 2x2 windows, "
        "stride 2. Answer with a 2-D array.",
        lambda: _pool(np.array([[2, 0, 1, 3], [5, 1, 0, 2], [1, 1, 4, 0], [3, 6, 2, 2]])),
        "Split the 4x4 grid into four 2x2 blocks and keep the largest number in each.",
    ),
    "02.receptive_field": Exercise(
        "Three 3x3 convolutions (stride 1), a 2x2 max pooling, then one more 3x3 convolution: "
        "how many pixels wide is the receptive field of a unit of the last convolution?",
        lambda: 1 + 3 * (3 - 1) * 1 + (2 - 1) * 1 + (3 - 1) * 2,
        "Each layer adds (kernel - 1) x jump, where the jump is 1 before the pooling and 2 after it: "
        "1 + 2 + 2 + 2, then + 1 for the pooling, then + 2 x 2.",
    ),
    "02.pool_params": Exercise(
        "How many trainable parameters has a MaxPooling2D layer?",
        lambda: 0,
        "Pooling computes a fixed function (the maximum) of each window.",
    ),
}


def check(name, answer):
    """Check a student's answer to an exercise and print "Correct" or a hint.

    Args:
        name: the exercise's key in `EXERCISES`, e.g. "01.output_size_valid".
        answer: the student's answer: a number, a tuple, or an array. `None`
            (the notebooks' placeholder) means "not answered yet".

    Returns:
        True when the answer is right, else False. It never raises for a
        wrong answer, so a notebook runs top to bottom whatever is written.

    Raises:
        KeyError: for an unknown exercise name; the message lists them.

    Example:

    >>> from cnn_course.exercises import check
    >>> check("01.output_size_valid", 28)
    Correct!
    True
    >>> check("01.output_size_valid", 27)
    Not quite: you answered 27. Hint: Use floor((H - k + 2p) / s) + 1 with H=32, k=5, p=0, s=1.
    False
    """
    if name not in EXERCISES:
        raise KeyError(f"Unknown exercise {name!r}. Known exercises: {', '.join(EXERCISES)}")
    exercise = EXERCISES[name]
    if answer is None:
        print(f"Not answered yet: replace None with your answer. Question: {exercise.question}")
        return False
    expected = exercise.solution()
    got = np.asarray(answer, dtype=float) if not isinstance(answer, str) else None
    right = (got is not None and got.shape == np.shape(expected)
             and np.allclose(got, np.asarray(expected, dtype=float), atol=exercise.tolerance))
    if right:
        print("Correct!")
        return True
    shown = np.array2string(np.asarray(answer)) if np.ndim(answer) > 1 else repr(answer)
    extra = ""
    if got is not None and got.shape != np.shape(expected):
        extra = f" (your answer has shape {got.shape}; the answer has shape {np.shape(expected)})"
    print(f"Not quite: you answered {shown}{extra}. Hint: {exercise.hint}")
    return False
