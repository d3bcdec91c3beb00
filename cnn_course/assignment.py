"""The student's side of a graded assignment: `check("q1")` in the notebook runs the public checks.

Each student notebook starts with::

    from cnn_course import assignment
    check = assignment.checker("a1_convolution", globals())

and has a `check("q1")` cell after each question. The public checks ship inside
the package (`cnn_course/assignment_checks/`), so they work offline, in
JupyterLab, VS Code and Colab, whatever the notebook's file name; the hidden
checks exist only in the teacher's master source and run when the teacher grades.
"""

import importlib
import pkgutil

from cnn_course import settings
from cnn_course.checks import collect_checks, format_results, run_check
from cnn_course._validation import check_verbose
from cnn_course.settings import GRADING_ENV

def grading():
    """True inside the teacher's grader (`CNN_COURSE_GRADING=1`)."""
    return settings.env_flag(GRADING_ENV)


def available():
    """Names of the assignments whose public checks ship with this installation.

    Example:

    >>> from cnn_course import assignment
    >>> "a1_convolution" in assignment.available()
    True
    """
    from cnn_course import assignment_checks

    return sorted(m.name for m in pkgutil.iter_modules(assignment_checks.__path__))


def public_checks(name):
    """The module of `name`'s public checks (`cnn_course.assignment_checks.<name>`).

    Raises:
        ValueError: if this installation has no such assignment; names the ones it has.
    """
    if name not in available():
        raise ValueError(f"This installation of cnn_course has no assignment {name!r}; it has: "
                         f"{', '.join(available())}. If your teacher's notebook names a newer one, "
                         "install the cnn_course version your teacher hands out")
    return importlib.import_module(f"cnn_course.assignment_checks.{name}")


class Checker:
    """`check("q1")`: runs the public checks of a question on the notebook's own objects.

    Args:
        name: the assignment's name, e.g. "a1_convolution".
        namespace: the notebook's `globals()`.
    """

    def __init__(self, name, namespace):
        self.name = name
        # The grader runs its own checks in place of every check() call: nothing to load then.
        self.module = None if grading() else public_checks(name)
        self.namespace = namespace

    def __repr__(self):
        return f"<checks of assignment {self.name}: call check('q1'), or check() for all>"

    def __call__(self, question=None, verbose=True):
        """Run the public checks of `question` (all questions when None) and print the outcome.

        Returns:
            A `CheckReport`: the list of `CheckResult`s (a passed check has
            `earned == points`). A notebook shows nothing more for it than the
            report already printed.
        """
        verbose = check_verbose(verbose)
        if self.module is None:
            print("(the grader runs the checks)")
            return CheckReport()
        questions = self.module.QUESTIONS
        if question is not None and question not in questions:
            raise ValueError(f"Assignment {self.name} has no question {question!r}; its questions are "
                             f"{', '.join(questions)}. Received: question={question!r}")
        wanted = questions if question is None else [question]
        checks = [c for c in collect_checks(vars(self.module)) if c.__check__.question in wanted]
        results = CheckReport(run_check(c, self.namespace) for c in checks)
        if verbose:
            print(format_results(results, {q: v for q, v in hidden_parts(self.module).items() if q in wanted}))
        return results


class CheckReport(list):
    """The `CheckResult`s of a `check(...)` call: a list, shown in a notebook as nothing more.

    `check("q1")` prints its report itself; without this, Jupyter would also
    display the returned list, raw. In a plain Python prompt the list shows
    as a one-line summary.
    """

    @property
    def earned(self):
        return sum(r.earned for r in self)

    @property
    def points(self):
        return sum(r.points for r in self)

    def _ipython_display_(self):
        pass

    def __repr__(self):
        return f"<{len(self)} checks: {self.earned:g} of {self.points:g} points>"


def hidden_parts(module):
    """Question -> {"hidden": points, "hidden_checks": [...]}: what only the teacher's grading checks."""
    return {q: {"hidden": v.get("hidden", 0), "hidden_checks": v.get("hidden_checks", [])}
            for q, v in module.QUESTIONS.items()}


def checker(name, namespace):
    """Return the `check` function of assignment `name` for a notebook's `globals()`.

    Example:

    >>> from cnn_course import assignment
    >>> check = assignment.checker("a1_convolution", {})
    >>> check
    <checks of assignment a1_convolution: call check('q1'), or check() for all>
    """
    return Checker(name, namespace)
