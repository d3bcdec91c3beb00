"""Sample submissions that test an assignment's checks before students do.

From a master source and its `variants.py`, `write_samples` writes a folder of
submissions with known grades: the reference (full marks), the blank student
version (0), each wrong answer (loses exactly the checks it names), each
correct variant (full marks), one that loops forever, one that raises at its
first line, and one that deletes some `check()` cells and fakes the others
(same grade as the reference). Grade that folder with `cnn-course assignment grade` and
compare with `expected_points`.
"""

import pathlib
import runpy

from cnn_course.grading._masters import Master, write_ipynb, write_percent
from cnn_course._files import write_text_atomically

#: What each sample's name starts with, and what it is.
KINDS = {
    "reference": "the reference solution: full marks",
    "blank": "the student version as handed out: 0 points",
    "wrong": "a wrong answer: loses exactly the checks listed in variants.py",
    "correct": "another correct answer: full marks",
    "loop": "loops forever in its first answer cell: timeout, points of the checks before",
    "crash": "a plain script (no cells) that raises at its first line: 0 points, error recorded",
    "edited": "deletes every other check() cell and fakes `check`: same grade as the reference",
}


def load_variants(master):
    """The `VARIANTS` list of `assignments/<name>/variants.py` (empty if there is no such file)."""
    path = master.path.parent / "variants.py"
    return runpy.run_path(str(path))["VARIANTS"] if path.exists() else []


def apply_variant(text, variant):
    """`text` with each (old, new) pair of `variant["replace"]` applied; each `old` must occur once.

    Raises:
        ValueError: if an `old` text occurs zero or several times.
    """
    for old, new in variant["replace"]:
        count = text.count(old)
        if count != 1:
            raise ValueError(f"variant {variant['name']!r}: {old!r} occurs {count} times in the reference, "
                             "expected exactly once")
        text = text.replace(old, new)
    return text


def _first_answer_cell(cells):
    """Index of the first code cell that holds a solution marker."""
    for i, cell in enumerate(cells):
        if cell.kind == "code" and "SOLUTION" in cell.source:
            return i
    raise ValueError("the master has no cell with a solution")


def write_samples(master, directory, loop=True, max_variants=None):
    """Write the sample submissions of `master` into `directory`; return their expected points.

    Args:
        master: a `Master` (or the path of a master source).
        directory: where to write the `.py` and `.ipynb` files (made if missing).
        loop: whether to write the sample that loops forever (it costs the
            whole time limit when graded).
        max_variants: at most this many variants of each kind, the first ones
            of `variants.py`: an int for both kinds, or a dict such as
            `{"wrong": 3, "correct": 2}`; None for all.

    Returns:
        A dict: student name (file stem) -> expected points per check, as
        {"q1.check_name": points}.
    """
    if not isinstance(master, Master):
        master = Master(master)
    directory = pathlib.Path(directory)
    full = {f"{c.question}.{c.name}": c.points for c in master.checks}
    reference_cells = master.reference_cells()
    reference = write_percent(reference_cells)
    files, expected = {}, {}

    def add(name, text, points):
        files[name] = text
        expected[name.rsplit(".", 1)[0]] = points

    add("reference.py", reference, dict(full))
    add("blank.ipynb", write_ipynb(master.student_cells()), {k: 0 for k in full})
    taken = {"wrong": 0, "correct": 0}
    if isinstance(max_variants, int):
        max_variants = {"wrong": max_variants, "correct": max_variants}
    for variant in load_variants(master):
        if max_variants is not None and taken.get(variant["kind"], 0) >= max_variants[variant["kind"]]:
            continue
        taken[variant["kind"]] = taken.get(variant["kind"], 0) + 1
        fails = set(variant.get("fails", []))
        unknown = fails - set(full)
        if unknown:
            raise ValueError(f"variant {variant['name']!r} names unknown checks {sorted(unknown)}; "
                             f"the checks are {sorted(full)}")
        if variant["kind"] not in ("wrong", "correct"):
            raise ValueError(f"variant {variant['name']!r}: kind must be 'wrong' or 'correct'")
        points = {k: (0 if k in fails else v) for k, v in full.items()}
        add(f"{variant['kind']}_{variant['name']}.py", apply_variant(reference, variant), points)
    first = _first_answer_cell(reference_cells)
    if loop:
        cells = list(master.reference_cells())
        before = {q for c in cells[:first] if c.kind == "code" for q in _questions_in(c.source)}
        cells[first] = type(cells[first])("code", "while True:  # never ends\n    pass\n" + cells[first].source)
        add("loop.py", write_percent(cells), {k: (v if k.split(".")[0] in before else 0)
                                              for k, v in full.items()})
    script = "\n".join(line for line in reference.splitlines() if not line.startswith("# %%"))
    add("crash.py", "raise RuntimeError('a script that fails at its first line')\n" + script,
        {k: 0 for k in full})
    # Edits a student might make to the checks: every other check() cell deleted, and `check` replaced
    # by a function that says everything passed. The grader's own checks run anyway.
    fake = "def check(question=None):\n    print('all checks passed')\n\n\n"
    edited, seen = [], 0
    for cell in reference_cells:
        if cell.kind == "code" and cell.source.strip().startswith("check("):
            seen += 1
            if seen % 2:
                continue
        edited.append(type(cell)(cell.kind, cell.source.replace(
            "check = assignment.checker(", fake + "_unused = assignment.checker(", 1), cell.tags))
    add("edited.ipynb", write_ipynb(edited), dict(full))
    for name, text in files.items():
        write_text_atomically(directory / name, text)
    return expected


def _questions_in(code):
    from cnn_course.grading._masters import check_cells_of, Cell

    return check_cells_of([Cell("code", code)])


def read_expected(path):
    """The expected points per check of each sample, from the `expected.json` that `samples` writes.

    Raises:
        ValueError: the file cannot be read, or it is not `{student: {"q1.check": points}}`.
    """
    import json

    path = pathlib.Path(path)
    try:
        expected = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"--expect: cannot read {path} ({type(exc).__name__}). Fix: name the expected.json that "
                         "`cnn-course assignment samples` wrote") from None
    well_formed = isinstance(expected, dict) and all(
        isinstance(student, str) and isinstance(checks, dict) and all(
            isinstance(name, str) and isinstance(points, (int, float)) and not isinstance(points, bool)
            for name, points in checks.items()) for student, checks in expected.items())
    if not well_formed:
        raise ValueError(f"--expect: {path} is not a samples file: expected {{student: {{\"q1.check\": points}}}}, "
                         "as `cnn-course assignment samples` writes it")
    return expected


def compare_with_expected(expected, students):
    """Where a graded folder disagrees with the expected points, sample by sample.

    Args:
        expected: `{student: {"q1.check": points}}` (`read_expected`).
        students: the "students" of the grader's `results.json`: `{student: {"checks": {...}, ...}}`.

    Returns:
        A list of `(student, why)` pairs, one per sample that did not get exactly its expected
        points per check (empty when all did); `why` names each check that differs.
    """
    disagreements = []
    for student, checks in expected.items():
        graded = students.get(student)
        if graded is None:
            disagreements.append((student, "not graded (no submission of that name in the folder)"))
            continue
        got = graded.get("checks", {})
        differ = [f"{name}: expected {points:g}, got {got[name]:g}" if name in got else f"{name}: not run"
                  for name, points in checks.items() if got.get(name) != points]
        differ += [f"{name}: not expected" for name in got if name not in checks]
        if differ:
            disagreements.append((student, "; ".join(differ)))
    return disagreements
