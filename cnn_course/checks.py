"""Checks that grade an assignment: `@public` and `@hidden` functions run on a student's objects.

A check is a plain function whose arguments name objects of the student's
notebook; it fails with an `AssertionError` whose message the student may read.
See `assignments/README.md` for how checks are written into an assignment.
"""

import dataclasses
import inspect
import os
import traceback

#: The file name that check sources are compiled under (so tracebacks can tell them apart).
CHECKS_FILENAME = "<checks>"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


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
        raise ValueError(f"The `question` argument must be a name such as 'q1'. Received: question={question!r}")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
        raise ValueError(f"The `points` argument must be a number > 0. Received: points={points!r}")

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


def describe(function):
    """The check's name for a student: the first line of its docstring, or its function name."""
    doc = inspect.getdoc(function)
    return doc.splitlines()[0].rstrip(".") if doc else function.__name__.replace("_", " ")


class _Undefined(Exception):
    """A name a check needs is not defined (or still `...`) in the student's notebook."""


def _arguments(function, namespace):
    values = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name in namespace and namespace[name] is not Ellipsis:
            values[name] = namespace[name]
        elif parameter.default is not inspect.Parameter.empty:
            values[name] = parameter.default
        else:
            raise _Undefined(f"`{name}` is not defined yet: write your answer and run its cell first")
    return values


def _where(exc):
    """' (in f, line N)' for the innermost frame of the student's code, to point them at it."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == CHECKS_FILENAME or frame.filename.startswith(_PACKAGE_DIR):
            continue
        if frame.name == "<module>":
            return f" (line {frame.lineno})"
        return f" (in {frame.name}, line {frame.lineno})"
    return ""


def run_check(function, namespace):
    """Run one check on a student's namespace; never raises for the student's mistakes.

    Args:
        function: a function marked with `@public` or `@hidden`.
        namespace: the student's names (a notebook's `globals()`).

    Returns:
        A `CheckResult`: full points if the check returned without an error,
        else 0 points and the reason. An `AssertionError` gives its own
        message; any other error (the student's function raised, say) gives
        its type and message.
    """
    info = function.__check__
    result = dict(question=info.question, name=function.__name__, description=describe(function),
                  points=info.points, hidden=info.hidden)
    try:
        function(**_arguments(function, namespace))
    except _Undefined as exc:
        return CheckResult(earned=0, message=str(exc), **result)
    except AssertionError as exc:
        return CheckResult(earned=0, message=str(exc) or "the check's condition does not hold", **result)
    except Exception as exc:  # the student's code raised: report it, grade on
        text = " ".join(str(exc).split())
        if len(text) > 300:
            text = text[:297] + "..."
        where = _where(exc)
        return CheckResult(earned=0, message=f"raised {type(exc).__name__}{where}: {text}", **result)
    return CheckResult(earned=info.points, **result)


def format_results(results, hidden_points=0):
    """Plain-text lines for a student: one per check, PASS or FAIL with the reason.

    Args:
        results: `CheckResult`s, in order.
        hidden_points: points of hidden checks not run here, to mention them.

    Returns:
        The text, lines joined by newlines.
    """
    lines = []
    for question in dict.fromkeys(r.question for r in results):
        mine = [r for r in results if r.question == question]
        earned, points = sum(r.earned for r in mine), sum(r.points for r in mine)
        lines.append(f"{question}: {_number(earned)} of {_number(points)} points")
        for r in mine:
            tag = "hidden " if r.hidden else ""
            if r.passed:
                lines.append(f"  PASS  {tag}{r.description}")
            else:
                lines.append(f"  FAIL  {tag}{r.description}: {r.message}")
    if hidden_points:
        unit = "point" if hidden_points == 1 else "points"
        lines.append(f"  (hidden checks worth {_number(hidden_points)} more {unit} run when your "
                     "teacher grades)")
    return "\n".join(lines)


def _number(x):
    return f"{x:g}"
