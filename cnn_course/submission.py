"""One student's submission: read it (.ipynb or .py), run it cell by cell, and run the checks in it.

This is the code that runs inside the grader's child process (see
`cnn_course.grading`), and behind `cnn-course assignment check`. Each
`check("q1")` line of the submission is replaced by the grader's own call, so
what a student writes in those cells changes nothing; each check's result is
written to a results file as soon as it is known, so a submission that later
hangs or crashes keeps the points of what did run.
"""

import json
import os
import pathlib
import random
import re
import sys
import time

from cnn_course.assignment_source import read_cells, replace_check_calls
from cnn_course.checks import CHECKS_FILENAME, collect_checks, run_check

#: Environment variable the grader sets in the child process (`cnn_course.assignment.grading()`).
GRADING_ENV = "CNN_COURSE_GRADING"
_HOOK = "__cnn_course_checkpoint__"
_MAGIC = re.compile(r"^(\s*)([%!].*)$", re.M)


def read_submission(path):
    """Return the code cells of a submission as a list of strings.

    Args:
        path: a `.ipynb` notebook, or a `.py` script (with `# %%` cells or without:
            a script without cells is one cell).

    Returns:
        The code of each code cell, in order; IPython magics (`%...`, `!...`) are
        turned into comments, since they are not Python.

    Raises:
        ValueError: if the file is not a notebook or a script that can be read.
    """
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name} is not a UTF-8 text file ({exc.reason}); expected a .ipynb "
                         "notebook or a .py script") from exc
    if path.suffix == ".ipynb":
        try:
            notebook = json.loads(text)
            cells = [c for c in notebook["cells"] if c.get("cell_type") == "code"]
            sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                       for c in cells]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} is not a readable Jupyter notebook ({type(exc).__name__}: "
                             f"{exc}); expected the .ipynb file saved by Jupyter, VS Code or Colab") from exc
    elif path.suffix == ".py":
        sources = [c.source for c in read_cells(text) if c.kind == "code"]
    else:
        raise ValueError(f"{path.name} is neither a .ipynb notebook nor a .py script")
    return [_MAGIC.sub(r"\1# (not Python, skipped when graded) \2", s) for s in sources]


def _load_checks(sources):
    namespace = {"__name__": "cnn_course_assignment_checks"}
    for source in sources:
        exec(compile(source, CHECKS_FILENAME, "exec"), namespace)
    return collect_checks(namespace)


class _ResultsFile:
    """Append one JSON line per event, flushed at once, so a killed process loses nothing written."""

    def __init__(self, path):
        self.handle = open(path, "a", encoding="utf-8")

    def write(self, **event):
        self.handle.write(json.dumps(event) + "\n")
        self.handle.flush()


def _seed(seed):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import numpy as np

    np.random.seed(seed)
    if "tensorflow" in sys.modules:
        from cnn_course.reproducibility import set_seed

        set_seed(seed)


def _error_text(exc):
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def run(path, check_sources, results_path, seed=0, on_result=None):
    """Run a submission top to bottom and its checks; write every event to `results_path`.

    Each cell runs in one namespace, as in a notebook; a cell that raises is
    recorded and the next cell runs. A question's checks run where the
    submission has its `check("q..")` line (whatever that cell holds besides);
    questions left unchecked at the end are checked then.

    Args:
        path: the submission (.ipynb or .py).
        check_sources: texts that define the checks (public, then hidden).
        results_path: the JSON-lines file to append events to.
        seed: seeds Python, NumPy (and TensorFlow, when already imported) first.
        on_result: optional function called with each `CheckResult` (to print it).

    Returns:
        The list of `CheckResult`s.
    """
    out = _ResultsFile(results_path)
    checks = _load_checks(check_sources)
    by_question = {}
    for function in checks:
        by_question.setdefault(function.__check__.question, []).append(function)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        from IPython.display import display

        namespace["display"] = display
    except ImportError:
        pass
    results, done = [], set()

    def checkpoint(question):
        if question in done or question not in by_question:
            return
        done.add(question)
        for function in by_question[question]:
            result = run_check(function, namespace)
            results.append(result)
            out.write(event="check", **result.to_dict())
            if on_result:
                on_result(result)

    try:
        cells = read_submission(path)
    except ValueError as exc:
        out.write(event="unreadable", error=str(exc))
        cells = []
    _seed(seed)
    namespace[_HOOK] = checkpoint
    for index, code in enumerate(cells, start=1):
        start = time.perf_counter()
        code = replace_check_calls(code, _HOOK + '("{question}")')
        try:
            exec(compile(code, f"<cell {index}>", "exec"), namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # the student's cell failed (SystemExit too): note it, go on
            out.write(event="cell_error", cell=index, error=_error_text(exc))
        out.write(event="cell", cell=index, seconds=round(time.perf_counter() - start, 3))
    for question in by_question:
        checkpoint(question)
    out.write(event="done")
    return results


def main(argv=None):
    """Child-process entry point: `python -m cnn_course.submission CONFIG.json`."""
    argv = sys.argv[1:] if argv is None else argv
    config = json.loads(pathlib.Path(argv[0]).read_text(encoding="utf-8"))
    run(config["submission"], config["check_sources"], config["results"], config["seed"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
