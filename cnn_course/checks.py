"""Checks that grade an assignment: `@public` and `@hidden` functions run on a student's objects.

A check is a plain function whose arguments name objects of the student's
notebook; it fails with an `AssertionError` whose message the student may read.
See `assignments/README.md` for how checks are written into an assignment.
"""

import builtins
import dataclasses
import hashlib
import hmac
import inspect
import os
import sysconfig
import traceback
import types

from cnn_course._validation import arg_error, check_number

#: The file name that check sources are compiled under (so tracebacks can tell them apart).
CHECKS_FILENAME = "<checks>"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
#: Frames in these folders are libraries (Python's, NumPy's, Keras's), never the student's code.
_LIBRARY_DIRS = tuple(sorted({sysconfig.get_paths()[key] for key in ("stdlib", "purelib", "platlib")}))
#: The longest message a check result carries (longer ones are cut, and every message is one line).
MAX_MESSAGE = 500
#: Set by the grader's judge while it grades: the course secret, the assignment, and notes for the teacher.
_GRADING = {"secret": None, "assignment": None, "notes": [], "numbers": []}
#: What `record_number` accepts: how to rank a number, and the longest label.
BETTER = ("higher", "lower")
MAX_LABEL = 40


@dataclasses.dataclass(frozen=True)
class CheckInfo:
    """What the decorator records on a check function.

    Attributes:
        question: the question it grades, e.g. "q1".
        points: the points it is worth (all or nothing for this check).
        hidden: True for a check that runs only when the teacher grades.
    """

    question: str
    points: float
    hidden: bool


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one submission.

    Attributes:
        question: the question it grades.
        name: the check's function name ("q1.valid_padding" is `question.name`).
        description: the first line of its docstring (or its name).
        points: the points it is worth.
        earned: `points` if it passed, else 0.
        hidden: whether it is a hidden check.
        message: why it failed ("" when it passed).
    """

    question: str
    name: str
    description: str
    points: float
    earned: float
    hidden: bool
    message: str = ""

    @property
    def passed(self):
        return self.earned == self.points

    def to_dict(self):
        return dataclasses.asdict(self)


def _check_decorator(question, points, hidden):
    if not isinstance(question, str) or not question.isidentifier():
        raise arg_error("question", question, "a name such as 'q1'")
    check_number("points", points, low=0, low_open=True)

    def mark(function):
        function.__check__ = CheckInfo(question, points, hidden)
        return function

    return mark


def public(question, points=1):
    """Mark a function as a public check of `question`: the student can run it from the notebook.

    Args:
        question: the question's name, e.g. "q1".
        points: what the check is worth, a number > 0.

    Returns:
        A decorator that records the check on the function and returns it unchanged.

    Example:

    >>> from cnn_course.checks import public, run_check
    >>> @public("q1", points=2)
    ... def adds_up(total):
    ...     '''The total of 2 and 3.'''
    ...     assert total == 5, "2 + 3 is not what `total` holds"
    >>> run_check(adds_up, {"total": 5}).earned
    2
    """
    return _check_decorator(question, points, hidden=False)


def hidden(question, points=1):
    """Mark a function as a hidden check of `question`: it runs only when the teacher grades.

    Args and returns as `public`.
    """
    return _check_decorator(question, points, hidden=True)


def collect_checks(namespace):
    """Return the check functions defined in `namespace` (a dict), in the order they were defined."""
    return [value for value in namespace.values()
            if callable(value) and isinstance(getattr(value, "__check__", None), CheckInfo)]


def global_names(function):
    """The global names a student's function uses, and the module each one's value comes from.

    Follows the student's own functions it calls (those defined in the same
    notebook), so a helper cannot hide a library call. Inside the grader,
    `function` is a stand-in for the student's function and the student's
    process answers the same question.

    Args:
        function: a function of the student's notebook.

    Returns:
        A sorted list of `(name, module)` pairs: `module` is the top-level
        module of the name's value ("numpy", "scipy", "builtins"), "" for a
        value without one, or None for a name that is not a global of the
        notebook (an attribute such as `signal.correlate2d`'s `correlate2d`).
        None when `function` is not a function written in Python.

    Example:

    >>> import numpy as np
    >>> namespace = {"np": np, "__name__": "__main__"}
    >>> exec("def helper(x):\\n    return np.flip(x)\\ndef f(x):\\n    return helper(x) + len(x)", namespace)
    >>> global_names(namespace["f"])
    [('flip', None), ('helper', '__main__'), ('len', 'builtins'), ('np', 'numpy')]
    """
    remote = getattr(function, "_remote_global_names", None)
    if remote is not None:
        return remote()
    if not isinstance(function, types.FunctionType):
        return None
    found, seen, pending = set(), set(), [function]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        namespace, codes = current.__globals__, [current.__code__]
        while codes:
            code = codes.pop()
            codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))  # nested functions
            for name in code.co_names:
                value = namespace.get(name, getattr(builtins, name, None))
                if isinstance(value, types.FunctionType) and value.__globals__ is namespace:
                    pending.append(value)  # a helper the student wrote: follow it
                found.add((name, _module_of(value) if name in namespace or hasattr(builtins, name) else None))
    return sorted(found, key=lambda pair: (pair[0], pair[1] or ""))


def _module_of(value):
    module = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
    if not isinstance(module, str):
        module = type(value).__module__
    return (module or "").split(".")[0]


def describe(function):
    """The check's name for a student: the first line of its docstring, or its function name."""
    doc = inspect.getdoc(function)
    return doc.splitlines()[0].rstrip(".") if doc else function.__name__.replace("_", " ")


class StudentCodeError(Exception):
    """The student's code raised while a check used it, in the student's process (seen by the judge).

    Attributes:
        kind: the exception's type name, e.g. "ZeroDivisionError".
        text: its message, as the student's code wrote it (one line, capped); None when it must
            not be shown (the check is hidden: the message could repeat its inputs).
        where: " (in f, line N)" or "" (where in the student's code it was raised).
    """

    def __init__(self, kind, text, where=""):
        super().__init__(f"{kind}: {text}")
        self.kind, self.text, self.where = kind, text, where


class Unavailable(Exception):
    """A value the grader could not take from the student's process; the message says why, for the student."""


class _Undefined(Exception):
    """A name a check needs is not defined (or still `...`) in the student's notebook."""


def _missing(namespace, name):
    explain = getattr(namespace, "missing_message", None)
    if explain is not None:
        return explain(name)
    if namespace.get(name, None) is Ellipsis:
        return f"`{name}` still holds `...`: replace it with your answer and run its cell"
    return f"`{name}` is not defined yet: write your answer and run its cell first"


def _arguments(function, namespace):
    values = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name in namespace and namespace[name] is not Ellipsis:
            values[name] = namespace[name]
        elif parameter.default is not inspect.Parameter.empty:
            values[name] = parameter.default
        else:
            raise _Undefined(_missing(namespace, name))
    return values


def one_line(text, limit=MAX_MESSAGE):
    """`text` on one line (runs of white space become one space), cut to `limit` characters.

    Example:

    >>> one_line("two\\nlines", 40)
    'two lines'
    >>> one_line("x" * 30, 10)
    'xxxxxxx...'
    """
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def quoted(text, limit=300):
    """The student's own text (an error message, say) as a quotation in feedback: one line, capped."""
    return '"' + one_line(text, limit).replace('"', "'") + '"'


def hidden_seed(label):
    """A seed for a hidden check's inputs, derived from the course secret: unknowable from the master.

    The masters are public, so a seed written in one is known to every
    student; this one is an HMAC of the assignment's name and `label` under
    the teacher's course secret (`cnn-course assignment grade --secret-file`).
    The same secret gives the same seed, so a regrade gives the same grades.

    Args:
        label: what the seed is for, e.g. "q2 inputs" (each label its own seed).

    Returns:
        An integer in [0, 2**31).

    Raises:
        RuntimeError: outside the grader (hidden checks only run there).

    Example:

    >>> from cnn_course import checks
    >>> with checks.grading_context(b"a course secret", "a1_convolution"):
    ...     seed = checks.hidden_seed("q2 inputs")
    >>> 0 <= seed < 2**31
    True
    """
    if _GRADING["secret"] is None:
        raise RuntimeError("hidden_seed() gives seeds only while the grader grades (it needs the course "
                           "secret); hidden checks run nowhere else")
    message = f"{_GRADING['assignment']}/{label}".encode("utf-8")
    return int.from_bytes(hmac.new(_GRADING["secret"], message, hashlib.sha256).digest()[:4], "big") >> 1


def grading_note(text):
    """Note something for the teacher in the grades (a fallback a hidden check had to take, say).

    Outside the grader it only prints the note.
    """
    text = one_line(text, 400)
    if _GRADING["secret"] is None:
        print(f"note: {text}")
    elif text not in _GRADING["notes"]:
        _GRADING["notes"].append(text)


def record_number(label, value, better):
    """Record a number that describes this submission, for the class standing (hidden checks, in the judge).

    A check measures something of the student's work that is worth comparing
    across the class (the parameters of their model, its accuracy on the
    hidden digits), and records it here; after the whole folder is graded the
    grader ranks every student's number among the class's and appends the
    standing to each feedback file (`cnn_course.grading`). The number must be
    computed in the judge from what it rebuilt (a model's weights, say), never
    taken from a value the student's process sent: that process could send
    anything. A later call with the same label replaces the earlier value.

    Args:
        label: what the number is, as the feedback names it ("parameters"):
            a non-empty string of at most `MAX_LABEL` characters.
        value: a finite number (an int, a float, a NumPy scalar; not a bool).
        better: "higher" or "lower": which way ranks first.

    Raises:
        ValueError: an argument of the wrong kind.
        RuntimeError: outside the grader's judge (the numbers of a class are the grader's).

    Example:

    >>> from cnn_course import checks
    >>> with checks.grading_context(b"a course secret", "a2_own_convnet"):
    ...     checks.record_number("parameters", 12810, better="lower")
    ...     checks.take_recorded_numbers()
    [{'label': 'parameters', 'value': 12810, 'better': 'lower'}]
    """
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL or label != one_line(label):
        raise arg_error("label", label, f"a non-empty string on one line, of at most {MAX_LABEL} characters")
    if better not in BETTER:
        raise arg_error("better", better, '"higher" or "lower": which way ranks first')
    if isinstance(value, bool):
        raise arg_error("value", value, "a finite number, not a bool")
    value = check_number("value", value)
    if _GRADING["secret"] is None:
        raise RuntimeError("record_number() records only while the grader grades (hidden checks run in its "
                           "judge); a public check run from a notebook has no class to compare with")
    number = {"label": label, "value": int(value) if value.is_integer() and abs(value) < 2**53 else value,
              "better": better}
    _GRADING["numbers"][:] = [n for n in _GRADING["numbers"] if n["label"] != label] + [number]


def take_recorded_numbers():
    """The numbers `record_number` recorded since the last call (the judge writes them into its record)."""
    numbers = list(_GRADING["numbers"])
    _GRADING["numbers"].clear()
    return numbers


class grading_context:  # noqa: N801  (used as a `with` statement, like open())
    """`with grading_context(secret, assignment):` makes `hidden_seed` and `grading_note` work (the judge)."""

    def __init__(self, secret, assignment):
        if not isinstance(secret, bytes) or not secret:
            raise ValueError("The `secret` argument must be non-empty bytes. Received: "
                             f"secret of type {type(secret).__name__}")
        self._values = {"secret": secret, "assignment": str(assignment), "notes": [], "numbers": []}

    def __enter__(self):
        self._saved = dict(_GRADING)
        _GRADING.update(self._values)
        return self

    def __exit__(self, *exc):
        _GRADING.update(self._saved)
        return False


def take_grading_notes():
    """The notes `grading_note` collected since the last call (the judge writes them into the grades)."""
    notes = list(_GRADING["notes"])
    _GRADING["notes"].clear()
    return notes


def _student_frame(exc):
    """The innermost frame of the traceback that is the student's code (not a check, not this package)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not _is_library(frame.filename):
            return frame
    return None


def _is_library(filename):
    return filename == CHECKS_FILENAME or filename.startswith((_PACKAGE_DIR, *_LIBRARY_DIRS))


def _where(exc):
    """' (in f, line N)' for the innermost frame of the student's code, to point them at it."""
    frame = _student_frame(exc)
    if frame is None:
        return ""
    if frame.name == "<module>":
        return f" (line {frame.lineno})"
    return f" (in {frame.name}, line {frame.lineno})"


def _raised_by_student(exc, function):
    """True when an AssertionError came from the student's own code (an `assert` in their function).

    It did when the innermost frame is neither a library's nor in the file the check was written in.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and not _is_library(frames[-1].filename) and (
        frames[-1].filename != function.__code__.co_filename)


def run_check(function, namespace):
    """Run one check on a student's namespace; never raises for the student's mistakes.

    Args:
        function: a function marked with `@public` or `@hidden`.
        namespace: the student's names (a notebook's `globals()`).

    Returns:
        A `CheckResult`: full points if the check returned without an error,
        else 0 points and the reason, on one line of at most `MAX_MESSAGE`
        characters. The check's own `AssertionError` gives its message; an
        error of the student's code (an `assert` in the student's function
        included) gives its type, where it was raised, and its message in
        quotes, as the student's words.
    """
    info = function.__check__
    result = dict(question=info.question, name=function.__name__, description=describe(function),
                  points=info.points, hidden=info.hidden)

    def failed(message):
        return CheckResult(earned=0, message=one_line(message), **result)

    try:
        function(**_arguments(function, namespace))
    except (_Undefined, Unavailable) as exc:
        return failed(str(exc))
    except StudentCodeError as exc:
        if exc.text is None:  # a hidden check: its inputs may be in the message, which stays with the teacher
            return failed(f"your code raised {exc.kind}{exc.where} (its message is not shown for a hidden check)")
        return failed(f"your code raised {exc.kind}{exc.where}: {quoted(exc.text)}")
    except AssertionError as exc:
        if _raised_by_student(exc, function):
            return failed(f"your code raised AssertionError{_where(exc)}: {quoted(exc)}")
        return failed(str(exc) or "the check's condition does not hold")
    except Exception as exc:  # the student's code raised: report it, grade on
        return failed(f"your code raised {type(exc).__name__}{_where(exc)}: {quoted(exc)}")
    return CheckResult(earned=info.points, **result)


def format_results(results, hidden=0):
    """Plain-text lines for a student: one per check, PASS or FAIL with the reason.

    Args:
        results: `CheckResult`s, in order.
        hidden: what only the teacher's grading checks: a number of points, or
            the assignment's `QUESTIONS` table (question -> "hidden" points and
            "hidden_checks" descriptions), to name those parts under each question.

    Returns:
        The text, lines joined by newlines.

    Example:

    >>> result = CheckResult("q1", "adds", "2 + 3", 1, 1, False)
    >>> print(format_results([result], {"q1": {"hidden": 2, "hidden_checks": ["larger numbers (2)"]}}))
    q1: 1 of 1 point
      PASS  2 + 3
      Checked only when your teacher grades: larger numbers (2)
    """
    table = hidden if isinstance(hidden, dict) else {}
    lines = []
    for question in dict.fromkeys([r.question for r in results] + [q for q in table if table[q].get("hidden")]):
        mine = [r for r in results if r.question == question]
        earned, points = sum(r.earned for r in mine), sum(r.points for r in mine)
        if mine:
            lines.append(f"{question}: {_number(earned)} of {_number(points)} {_points(points)}")
        else:
            lines.append(f"{question}: no public check")
        for r in mine:
            tag = "hidden " if r.hidden else ""
            if r.passed:
                lines.append(f"  PASS  {tag}{r.description}")
            else:
                lines.append(f"  FAIL  {tag}{r.description}: {r.message}")
        parts = table.get(question, {}).get("hidden_checks") or []
        if parts and not any(r.hidden for r in mine):
            lines.append(f"  Checked only when your teacher grades: {'; '.join(parts)}")
    if hidden and not table:
        lines.append(f"  (hidden checks worth {_number(hidden)} more {_points(hidden)} run when your teacher "
                     "grades)")
    return "\n".join(lines)


def _points(x):
    return "point" if x == 1 else "points"


def _number(x):
    return f"{x:g}"
