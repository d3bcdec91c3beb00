"""Shared test data: small arrays that the tests of several modules train on, and the toy assignment."""

import os
import textwrap

# The suite runs in two worker processes (pytest-xdist, pyproject.toml). TensorFlow would give each a
# thread pool as large as the machine, and on 2 cores the two pools fight for them: spinning threads,
# and every test slower than alone. One TensorFlow thread per worker (cnn_course's own setting,
# CNN_COURSE_THREADS, read when cnn_course is imported below) uses the cores without the fight; the
# processes the tests start inherit it, but for the notebooks, which run as a student runs them (every
# core). What a test asserts holds under any number of threads (tools/check_cpu_variants.py runs the
# training tests with one thread and with oneDNN off too).

#: True when this file limited the worker to one thread (the notebooks' kernels get the default back).
ONE_THREAD_PER_WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER")) and "CNN_COURSE_THREADS" not in os.environ
if ONE_THREAD_PER_WORKER:
    os.environ["CNN_COURSE_THREADS"] = "1"

import numpy as np  # noqa: E402  (after the thread limit above)
import pytest  # noqa: E402

from cnn_course.grading._masters import Master  # noqa: E402


def make_blobs(n=64, size=8):
    """Two classes a tiny network separates in a few steps: bright left half vs bright right half.

    Returns:
        `(x, y)`: uint8 images `(n, size, size, 1)` and int labels `(n,)`, 0 and 1 alternating.
    """
    rng = np.random.default_rng(0)
    x = rng.integers(0, 60, (n, size, size, 1)).astype("uint8")
    y = np.arange(n) % 2
    x[y == 0, :, : size // 2] += 150
    x[y == 1, :, size // 2:] += 150
    return x, y


@pytest.fixture
def blobs():
    """The `make_blobs` function, for tests that need two separable classes."""
    return make_blobs


#: A master of two questions, NumPy only (a submission runs in a fraction of a second): the
#: assignment-source tests read it, the grading tests grade it.
TOY = textwrap.dedent('''\
    # %% [markdown]
    # # Toy assignment
    #
    # Double a number.

    # %%
    from cnn_course import assignment
    check = assignment.checker("toy", globals())

    # %% [markdown]
    # ## Question 1
    # Why double? <!-- BEGIN SOLUTION -->Because the answer is twice the question.<!-- END SOLUTION -->

    # %%
    def double(x):
        # BEGIN SOLUTION
        result = 2 * x
        return result
        # END SOLUTION

    answer = 2 * 21  # SOLUTION

    # %% tags=["checks"]
    from cnn_course.checks import public

    @public("q1", points=1)
    def doubles_two(double):
        """double(2)"""
        assert double(2) == 4, "double(2) should be twice 2"

    # %% tags=["hidden-checks"]
    from cnn_course.checks import hidden

    @hidden("q1", points=2)
    def doubles_negative_numbers(double):
        """negative numbers"""
        assert double(-37) == -74, "negative numbers are not doubled"

    @hidden("q2", points=1.5)
    def the_answer(answer):
        assert answer == 42, "not the answer"

    # %%
    check("q1")

    # %%
    check("q2")
    ''')

#: Its variants.py: two wrong answers and a correct one written another way.
VARIANTS = '''VARIANTS = [
    {"name": "triples", "kind": "wrong", "replace": [("result = 2 * x", "result = 3 * x")],
     "fails": ["q1.doubles_two", "q1.doubles_negative_numbers"]},
    {"name": "off_answer", "kind": "wrong", "replace": [("answer = 2 * 21", "answer = 41")],
     "fails": ["q2.the_answer"]},
    {"name": "adds", "kind": "correct", "replace": [("result = 2 * x", "result = x + x")], "fails": []},
]
'''


def write_toy(folder):
    """Write the toy master (`toy/toy.py`) and its variants.py under `folder`; returns its `Master`."""
    path = folder / "toy" / "toy.py"
    path.parent.mkdir()
    path.write_text(TOY)
    (path.parent / "variants.py").write_text(VARIANTS)
    return Master(path)


@pytest.fixture
def toy(tmp_path):
    """The toy assignment's `Master`, written in the test's own folder."""
    return write_toy(tmp_path)
