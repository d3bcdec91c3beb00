"""A student's own file, checked on the student's own machine: `cnn-course assignment check FILE`.

Runs the notebook (or `# %%` script) top to bottom in this process, as the
notebook would, and the public checks of its assignment at each
`check("q..")` line. Nothing here is trusted or needs to be: it is the
student's machine and the student's grade is not decided here. The teacher's
grader (`cnn_course.grading`) runs submissions in another way entirely.
"""

import time

from cnn_course.grading._masters import replace_check_calls
from cnn_course.checks import collect_checks, run_check
from cnn_course.grading._runner import describe_exception, seed_everything
from cnn_course.grading._submissions import read_submission_cells
from cnn_course.settings import GRADING_ENV  # noqa: F401  (its old home)
_HOOK = "__cnn_course_checkpoint__"


def read_submission(path):
    """The code of each code cell of a submission (`.ipynb`, or `.py` with or without `# %%` cells).

    IPython magics (`%...`, `!...`) become comments; cells holding only
    comments are left out.

    Raises:
        ValueError: if the file is not a notebook or a script that can be read.
    """
    return [cell.code for cell in read_submission_cells(path)]


def run(path, checks_module, seed=0, on_result=None):
    """Run a submission top to bottom with the public checks of `checks_module` at its check lines.

    Each cell runs in one namespace, as in a notebook; a cell that raises is
    recorded and the next cell runs. Questions left unchecked at the end are
    checked then.

    Args:
        path: the submission (.ipynb or .py).
        checks_module: the assignment's public checks (`assignment.public_checks(name)`).
        seed: seeds Python and NumPy (and TensorFlow once imported) first.
        on_result: optional function called with each `CheckResult`.

    Returns:
        `(results, cells, cell_errors)`: the `CheckResult`s, the
        `SubmissionCell`s, and `(cell, error dict)` pairs of the cells that raised.

    Raises:
        ValueError: the file cannot be read.
    """
    cells = read_submission_cells(path)
    by_question = {}
    for function in collect_checks(vars(checks_module)):
        by_question.setdefault(function.__check__.question, []).append(function)
    namespace = {"__name__": "__main__"}
    results, done, errors = [], set(), []

    def checkpoint(question):
        if question in done or question not in by_question:
            return
        done.add(question)
        for function in by_question[question]:
            result = run_check(function, namespace)
            results.append(result)
            if on_result:
                on_result(result)

    namespace[_HOOK] = checkpoint
    seed_everything(seed)
    for cell in cells:
        started = time.perf_counter()
        try:
            exec(compile(replace_check_calls(cell.code, _HOOK + '("{question}")'), f"<cell {cell.number}>", "exec"),
                 namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001  (the student's cell failed, SystemExit too: go on)
            errors.append((cell, describe_exception(exc), time.perf_counter() - started))
    for question in by_question:
        checkpoint(question)
    return results, cells, [(cell, error) for cell, error, _ in errors]
