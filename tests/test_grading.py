"""The grader: each submission in its own process, limits, partial credit, grades.csv and feedback."""

import csv
import hashlib
import json
import subprocess
import sys

import pytest

from cnn_course import grading, sample_submissions
from cnn_course.assignment_source import Master
from cnn_course.checks import public, run_check
from cnn_course.submission import read_submission
from tests.test_assignment_source import TOY

VARIANTS = '''VARIANTS = [
    {"name": "triples", "kind": "wrong", "replace": [("result = 2 * x", "result = 3 * x")],
     "fails": ["q1.doubles_two", "q1.doubles_negative_numbers"]},
    {"name": "off_answer", "kind": "wrong", "replace": [("answer = 2 * 21", "answer = 41")],
     "fails": ["q2.the_answer"]},
    {"name": "adds", "kind": "correct", "replace": [("result = 2 * x", "result = x + x")], "fails": []},
]
'''
MEMORY_HOG = "import numpy as np\nkeep = []\nwhile True:\n    keep.append(np.ones(10**7))\n"


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy" / "toy.py"
    path.parent.mkdir()
    path.write_text(TOY)
    (path.parent / "variants.py").write_text(VARIANTS)
    return Master(path)


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _grades(path):
    with open(path, newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_samples_get_exactly_their_expected_points_and_submissions_stay_untouched(toy, tmp_path):
    subs = tmp_path / "subs"
    expected = sample_submissions.write_samples(toy, subs)
    (subs / "memory_hog.py").write_text(MEMORY_HOG)
    before = _digest(subs)
    rows = grading.grade_folder(toy, subs, tmp_path / "out", time_limit=4, memory_limit_gb=1.0,
                                fork=False, log=lambda line: None, jobs=2)
    assert _digest(subs) == before  # only read
    details = json.loads((tmp_path / "out" / "results.json").read_text())
    for student, points in expected.items():
        assert details[student]["checks"] == points, student
    by_student = {row["student"]: row for row in rows}
    assert by_student["reference"]["total"] == "4.5" and by_student["reference"]["status"] == "ok"
    assert by_student["blank"]["total"] == "0"
    assert by_student["wrong_triples"]["q1"] == "0" and by_student["wrong_triples"]["q2"] == "1.5"
    assert by_student["wrong_off_answer"]["total"] == "3"
    assert by_student["loop"]["status"] == "timeout"
    assert by_student["crash"]["status"] == "errors" and "RuntimeError" in by_student["crash"]["notes"]
    assert by_student["memory_hog"]["status"] == "out of memory"
    assert _grades(tmp_path / "out" / "grades.csv") == {r["student"]: r for r in rows}
    feedback = (tmp_path / "out" / "feedback" / "wrong_triples.txt").read_text()
    assert "FAIL  double(2): double(2) should be twice 2" in feedback
    assert "FAIL  hidden negative numbers: negative numbers are not doubled" in feedback
    assert "-37" not in feedback and "-74" not in feedback  # the hidden check's inputs stay hidden
    loop = (tmp_path / "out" / "feedback" / "loop.txt").read_text()
    assert "time limit of 4 s" in loop and "Not run" in loop


def test_grading_twice_gives_identical_grades(toy, tmp_path):
    subs = tmp_path / "subs"
    sample_submissions.write_samples(toy, subs, loop=False)
    first = grading.grade_folder(toy, subs, tmp_path / "one", fork=False, log=lambda line: None, jobs=3)
    second = grading.grade_folder(toy, subs, tmp_path / "two", fork=False, log=lambda line: None)
    strip = [{k: v for k, v in row.items() if k != "seconds"} for row in first]
    assert strip == [{k: v for k, v in row.items() if k != "seconds"} for row in second]


def test_the_command_forks_grades_and_reports_one_line_per_student(toy, tmp_path):
    subs = tmp_path / "subs"
    sample_submissions.write_samples(toy, subs)
    out = subprocess.run([sys.executable, "-m", "cnn_course", "assignment", "grade", str(toy.path), str(subs),
                          "--output", str(tmp_path / "grades"), "--time-limit", "4"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "loop: 0 of 4.5 points, timeout" in out.stdout
    assert "reference: 4.5 of 4.5 points, ok" in out.stdout
    assert _grades(tmp_path / "grades" / "grades.csv")["correct_adds"]["total"] == "4.5"


def test_output_inside_the_submissions_folder_is_refused(toy, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match="inside the submissions folder"):
        grading.grade_folder(toy, subs, subs / "grades", fork=False)
    with pytest.raises(ValueError, match="does not exist"):
        grading.grade_folder(toy, tmp_path / "nothing", tmp_path / "grades", fork=False)


def test_find_submissions_takes_files_and_one_per_subfolder(tmp_path):
    (tmp_path / "ann.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "anything.py").write_text("")
    (tmp_path / "cid").mkdir()
    (tmp_path / "cid" / "a.py").write_text("")
    (tmp_path / "cid" / "b.py").write_text("")
    (tmp_path / "dan.py").write_text("")
    (tmp_path / "dan.ipynb").write_text("{}")
    found, skipped = grading.find_submissions(tmp_path)
    assert [s for s, _ in found] == ["ann", "bob", "dan.ipynb", "dan.py"]
    assert any(s.startswith("cid/") and "2 .ipynb/.py files" in s for s in skipped)
    assert any(s.startswith("notes.txt") for s in skipped)


def test_read_submission_reads_notebooks_scripts_and_skips_magics(tmp_path):
    notebook = {"cells": [{"cell_type": "markdown", "source": ["# title"]},
                          {"cell_type": "code", "source": ["%matplotlib inline\n", "x = 1"]},
                          {"cell_type": "code", "source": "!pip install foo"}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "a.ipynb").write_text(json.dumps(notebook))
    cells = read_submission(tmp_path / "a.ipynb")
    assert len(cells) == 2 and cells[0].endswith("x = 1") and cells[0].startswith("# (not Python")
    (tmp_path / "b.py").write_text("# %%\nx = 1\n\n# %% [markdown]\n# text\n\n# %%\ny = 2\n")
    assert read_submission(tmp_path / "b.py") == ["x = 1", "y = 2"]
    (tmp_path / "c.py").write_text("x = 1\ny = 2\n")
    assert read_submission(tmp_path / "c.py") == ["x = 1\ny = 2"]
    (tmp_path / "d.ipynb").write_text("{not json")
    with pytest.raises(ValueError, match="not a readable Jupyter notebook"):
        read_submission(tmp_path / "d.ipynb")


def test_run_check_reports_what_the_student_did_without_raising():
    @public("q1", points=2)
    def squares(square):
        """square(3)"""
        assert square(3) == 9, "square(3) is not 9"

    assert run_check(squares, {"square": lambda x: x * x}).earned == 2
    failed = run_check(squares, {"square": lambda x: x + x})
    assert failed.earned == 0 and failed.message.startswith("square(3) is not 9")  # pytest may add more
    assert "not defined yet" in run_check(squares, {}).message
    assert "not defined yet" in run_check(squares, {"square": ...}).message
    namespace = {}
    exec(compile("def square(x):\n    return x / 0\n", "<cell 3>", "exec"), namespace)
    message = run_check(squares, namespace).message
    assert message.startswith("raised ZeroDivisionError (in square, line 2)")
