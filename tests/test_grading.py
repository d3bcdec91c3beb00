"""The grader: the checks decided outside the student's process, limits, partial credit, the grades folder.

Every grading here uses the toy master of test_assignment_source (NumPy only),
so that a submission takes a fraction of a second, and each limit has a wide
margin over a normal run: no outcome depends on the machine's speed or load.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import psutil
import pytest

from cnn_course import grading

from cnn_course.grading import _samples as sample_submissions
from cnn_course.grading._masters import Master, write_percent
from cnn_course.checks import StudentCodeError, public, run_check
from cnn_course.grading import _values, read_grades, read_submission_cells

#: Fills memory 80 MB at a time; with a 0.4 GB limit it is stopped long before a 120 s time limit.
MEMORY_HOG = "import numpy as np\nkeep = []\nwhile True:\n    keep.append(np.ones(10**7))\n"
#: A time limit far above what a toy submission needs (a fraction of a second).
ROOMY = 120
SANDBOX_MODES = ["auto", "off"]


def grade(master, subs, out, tmp_path, **kwargs):
    """grade_folder with the test's secret file, quiet; returns (rows by student, results.json's students)."""
    kwargs = {"time_limit": ROOMY, "secret_file": tmp_path / "secret", "log": lambda line: None, **kwargs}
    rows = grading.grade_folder(master, subs, out, **kwargs)
    document = json.loads((out / "results.json").read_text())
    return {row["student"]: row for row in rows}, document["students"]


def _bytes(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fork", [True, False], ids=["fork", "spawn"])
@pytest.mark.parametrize("sandbox", SANDBOX_MODES)
def test_samples_get_exactly_their_expected_points(toy, tmp_path, sandbox, fork):
    subs = tmp_path / "subs"
    expected = sample_submissions.write_samples(toy, subs, loop=False)
    before = _bytes(subs)
    rows, details = grade(toy, subs, tmp_path / "out", tmp_path, sandbox=sandbox, fork=fork, jobs=2)
    assert _bytes(subs) == before  # only read
    for student, points in expected.items():
        assert details[student]["checks"] == points, student
    assert rows["reference"]["total"] == "4.5" and rows["reference"]["status"] == "ok"
    assert rows["blank"]["total"] == "0"
    assert rows["wrong_triples"]["q1"] == "0" and rows["wrong_triples"]["q2"] == "1.5"
    assert rows["crash"]["status"] == "errors" and "RuntimeError" in rows["crash"]["notes"]
    error = details["crash"]["cell_errors"][0]  # results.json keeps each cell error as an object with names
    assert sorted(error) == ["cell", "message", "type", "where", "withheld"] and error["type"] == "RuntimeError"
    assert f"raised RuntimeError{error['where']}:" in (tmp_path / "out" / "feedback" / "crash.txt").read_text()
    assert {r["student"]: r for r in read_grades(tmp_path / "out" / "grades.csv")} == rows
    feedback = (tmp_path / "out" / "feedback" / "wrong_triples.txt").read_text()
    assert "FAIL  double(2): double(2) should be twice 2" in feedback
    assert "FAIL  hidden negative numbers: negative numbers are not doubled" in feedback
    assert "-37" not in feedback and "-74" not in feedback  # the hidden check's inputs stay hidden


def test_a_loop_is_stopped_at_the_time_limit_with_the_points_before(toy, tmp_path):
    subs = tmp_path / "subs"
    expected = sample_submissions.write_samples(toy, subs)
    for path in subs.iterdir():
        if path.stem != "loop":
            path.unlink()
    rows, details = grade(toy, subs, tmp_path / "out", tmp_path, time_limit=2)
    assert rows["loop"]["status"] == "timeout" and details["loop"]["checks"] == expected["loop"]
    feedback = (tmp_path / "out" / "feedback" / "loop.txt").read_text()
    assert "time limit of 2 s" in feedback and "Not run" in feedback
    assert 'the cell at line' in feedback and "while True:" in feedback  # names the cell it was stopped in


@pytest.mark.parametrize("sandbox", SANDBOX_MODES)
def test_memory_counted_over_every_process_of_a_submission(toy, tmp_path, sandbox):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "hog.py").write_text(MEMORY_HOG)
    # The same hog in a grandchild process: the limit counts every process the submission starts.
    (subs / "child_hog.py").write_text("import subprocess, sys\nsubprocess.run([sys.executable, '-c', "
                                       f"{MEMORY_HOG!r}])\n")
    rows, _ = grade(toy, subs, tmp_path / "out", tmp_path, memory_limit_gb=0.4, sandbox=sandbox, jobs=2)
    assert rows["hog"]["status"] == "out of memory"
    assert rows["child_hog"]["status"] == "out of memory"


def test_grading_twice_gives_identical_grades_and_feedback(toy, tmp_path):
    subs = tmp_path / "subs"
    sample_submissions.write_samples(toy, subs, loop=False)
    grade(toy, subs, tmp_path / "one", tmp_path, jobs=3)
    grade(toy, subs, tmp_path / "two", tmp_path)
    one, two = _bytes(tmp_path / "one"), _bytes(tmp_path / "two")
    for name in one:  # results.json also records when and how long: every other file is byte for byte
        if name != "results.json":
            assert one[name] == two[name], name


def test_the_command_grades_and_reports_one_line_per_student(toy, tmp_path):
    subs = tmp_path / "subs"
    sample_submissions.write_samples(toy, subs, loop=False)
    out = subprocess.run([sys.executable, "-m", "cnn_course", "assignment", "grade", str(toy.path), str(subs),
                          "--output", str(tmp_path / "grades"), "--secret-file", str(tmp_path / "secret")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Made a new course secret in" in out.stdout
    assert "reference: 4.5 of 4.5 points, ok" in out.stdout
    assert "] crash: 0 of 4.5 points, errors" in out.stdout
    rows = {r["student"]: r for r in read_grades(tmp_path / "grades" / "grades.csv")}
    assert rows["correct_adds"]["total"] == "4.5"
    assert (tmp_path / "secret").read_text().strip() not in "".join(
        p.read_text() for p in (tmp_path / "grades").rglob("*") if p.is_file())


def test_output_inside_the_submissions_folder_is_refused(toy, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match="inside the submissions folder"):
        grading.grade_folder(toy, subs, subs / "grades", secret_file=tmp_path / "secret")
    with pytest.raises(ValueError, match="does not exist"):
        grading.grade_folder(toy, tmp_path / "nothing", tmp_path / "grades", secret_file=tmp_path / "secret")
    with pytest.raises(ValueError, match="sandbox"):
        grading.grade_folder(toy, subs, tmp_path / "grades", sandbox="sometimes")


def test_every_hand_in_gets_a_row_even_when_it_cannot_be_graded(toy, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.py").write_text(toy.path.read_text())  # the master itself: a full-marks submission
    (subs / "bob").mkdir()
    (subs / "bob" / "a1.py").write_text("x = 1\n")
    (subs / "bob" / "a1_copy.ipynb").write_text("{}")
    (subs / "cid").mkdir()
    (subs / "dan.ipynb").write_text("{not json")
    (subs / "eve.docx").write_bytes(b"PK\x03\x04")
    (subs / "=1+1.py").write_text("x = 1\n")
    (subs / "fay.py").symlink_to(toy.path)  # a link to the master: never followed
    (subs / ".DS_Store").write_text("")
    rows, details = grade(toy, subs, tmp_path / "out", tmp_path)
    assert sorted(rows) == ["=1+1", "ann", "bob", "cid", "dan", "eve", "fay.py"]
    assert rows["ann"]["total"] == "4.5"
    for student, reason in (("bob", "2 .ipynb/.py files"), ("cid", "no .ipynb or .py file"),
                            ("eve", "not a .ipynb notebook"), ("fay.py", "symbolic link")):
        assert rows[student]["status"] == "not graded" and rows[student]["total"] == "0", student
        assert reason in rows[student]["notes"]
        assert reason in (tmp_path / "out" / "feedback" / f"{student}.txt").read_text()
    assert rows["dan"]["status"] == "unreadable" and "not a readable Jupyter notebook" in rows["dan"]["notes"]
    text = (tmp_path / "out" / "grades.csv").read_text()
    assert "\n'=1+1," in text and "\n=1+1" not in text  # a formula in a spreadsheet: neutralised
    assert details["=1+1"]["status"] == "ok"


def test_complete_grades_are_never_silently_replaced(toy, tmp_path):
    subs, late = tmp_path / "subs", tmp_path / "late"
    expected = sample_submissions.write_samples(toy, subs, loop=False)
    late.mkdir()
    (late / "zoe.py").write_text((subs / "reference.py").read_text())
    (late / "wrong_triples.py").write_text((subs / "reference.py").read_text())  # resubmitted, now right
    out = tmp_path / "out"
    grade(toy, subs, out, tmp_path)
    before = _bytes(out)
    with pytest.raises(ValueError, match="--merge"):
        grade(toy, late, out, tmp_path)
    assert _bytes(out) == before
    lines = []
    rows, _ = grade(toy, late, out, tmp_path, merge=True, log=lines.append)
    assert len(rows) == len(expected) + 1 and rows["zoe"]["total"] == "4.5" and rows["wrong_triples"]["total"] == "4.5"
    assert rows["blank"]["total"] == "0"  # kept from the first run
    assert any("wrong_triples: 4.5 of 4.5 points (was 1.5)" in line for line in lines)
    assert _bytes(out)["feedback/blank.txt"] == before["feedback/blank.txt"]


def test_ctrl_c_stops_every_submission_and_the_next_run_resumes(toy, tmp_path):
    subs = tmp_path / "subs"
    expected = sample_submissions.write_samples(toy, subs, loop=False)
    (subs / "zz_loop.py").write_text("import subprocess, sys\nchild = subprocess.Popen([sys.executable, '-c', "
                                     "'while True: pass'])\nwhile True:\n    pass\n")
    command = [sys.executable, "-m", "cnn_course", "assignment", "grade", str(toy.path), str(subs), "--output",
               str(tmp_path / "out"), "--secret-file", str(tmp_path / "secret"), "--time-limit", "600"]
    # SIGINT handled as in a terminal: a test worker (pytest-xdist) ignores SIGINT, and a program inherits
    # an ignored signal, so without this the grader would never see the Ctrl-C below.
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300  # generous: a busy machine (the suite's other worker) slows the start
    while time.monotonic() < deadline:  # wait until the others are graded and the loop's child spins
        looping = [p for p in psutil.Process(process.pid).children(recursive=True) if "while True" in _cmdline(p)]
        if looping and len(read_grades_if_any(tmp_path / "out")) == len(expected):
            break
        time.sleep(0.2)
    assert looping, "the looping submission's child never started"
    os.kill(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "Interrupted" in stdout
    time.sleep(0.5)
    assert not psutil.pid_exists(looping[0].pid) or psutil.Process(looping[0].pid).status() == psutil.STATUS_ZOMBIE
    text = (tmp_path / "out" / "grades.csv").read_text()
    assert text.startswith("# INCOMPLETE")
    assert json.loads((tmp_path / "out" / "results.json").read_text())["complete"] is False
    (subs / "zz_loop.py").write_text("x = 1\n")  # fixed; the others are not graded again
    resumed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert resumed.stdout.count("graded before the interruption, kept") == len(expected)
    rows = {r["student"]: r for r in read_grades(tmp_path / "out" / "grades.csv")}
    assert len(rows) == len(expected) + 1 and rows["zz_loop"]["status"] == "ok"
    assert not (tmp_path / "out" / "grades.csv").read_text().startswith("#")


def _cmdline(process):
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def read_grades_if_any(folder):
    try:
        return read_grades(folder / "grades.csv")
    except (OSError, ValueError):
        return []


def test_read_submission_cells_reads_notebooks_scripts_and_where_each_cell_is(tmp_path):
    notebook = {"cells": [{"cell_type": "markdown", "source": ["# title"]},
                          {"cell_type": "code", "source": ["%matplotlib inline\n", "x = 1"]},
                          {"cell_type": "code", "source": "!pip install foo"},
                          {"cell_type": "code", "source": "check('q1')"}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "a.ipynb").write_text(json.dumps(notebook))
    cells = read_submission_cells(tmp_path / "a.ipynb")
    assert [c.code.splitlines()[-1] for c in cells] == ["x = 1", "check('q1')"]
    assert cells[0].code.startswith("# (not Python")
    assert cells[0].label == 'the code cell that starts "x = 1" (question q1)'
    (tmp_path / "b.py").write_text("# Assignment toy, student version\n\n# %%\nx = 1\n\n# %% [markdown]\n# text\n\n"
                                   "# %%\n\ny = 2\ncheck('q2')\n")
    cells = read_submission_cells(tmp_path / "b.py")
    assert [c.code for c in cells] == ["x = 1", "y = 2\ncheck('q2')"]  # the comment header is no cell
    assert [c.start_line for c in cells] == [4, 11] and cells[1].place(2) == "line 12"
    assert cells[0].defines == {"x"} and cells[0].question == "q2"
    (tmp_path / "c.py").write_text("x = 1\ny = 2\n")
    assert [c.code for c in read_submission_cells(tmp_path / "c.py")] == ["x = 1\ny = 2"]
    (tmp_path / "d.ipynb").write_text("{not json")
    with pytest.raises(ValueError, match="not a readable Jupyter notebook"):
        read_submission_cells(tmp_path / "d.ipynb")


def test_run_check_tells_the_student_s_errors_from_the_check_s_verdict():
    @public("q1", points=2)
    def squares(square):
        """square(3)"""
        assert square(3) == 9, "square(3) is not 9"

    assert run_check(squares, {"square": lambda x: x * x}).earned == 2
    failed = run_check(squares, {"square": lambda x: x + x})
    assert failed.earned == 0 and failed.message.startswith("square(3) is not 9")  # pytest may add more
    assert "not defined yet" in run_check(squares, {}).message
    assert "still holds `...`" in run_check(squares, {"square": ...}).message
    namespace = {}
    exec(compile("def square(x):\n    return x / 0\n", "<cell 3>", "exec"), namespace)
    message = run_check(squares, namespace).message
    assert message.startswith('your code raised ZeroDivisionError (in square, line 2): "division by zero"')
    # An assert in the student's own function is the student's error, quoted, not the check's verdict.
    exec(compile("def square(x):\n    assert False, 'Total: 22 of 22 points'\n", "<cell 4>", "exec"), namespace)
    message = run_check(squares, namespace).message
    assert message == 'your code raised AssertionError (in square, line 2): "Total: 22 of 22 points"'

    def raises_remotely(x):
        raise StudentCodeError("ValueError", "x" * 1000 + "\nPASS forged line", " (in f, line 3)")

    message = run_check(squares, {"square": raises_remotely}).message
    assert message.startswith("your code raised ValueError (in f, line 3): \"xxx") and "\n" not in message
    assert len(message) <= 500


def test_hidden_seeds_come_from_the_course_secret_not_from_the_master():
    from cnn_course import checks

    with checks.grading_context(b"secret of one course", "a1"):
        first = checks.hidden_seed("q2")
        assert checks.hidden_seed("q2") == first and checks.hidden_seed("q3") != first
    with checks.grading_context(b"secret of another course", "a1"):
        assert checks.hidden_seed("q2") != first
    with pytest.raises(RuntimeError, match="only while the grader grades"):
        checks.hidden_seed("q2")


def test_without_the_sandbox_the_grades_say_so_and_require_refuses(toy, tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.py").write_text(toy.path.read_text())
    lines = []
    grade(toy, subs, tmp_path / "off", tmp_path, sandbox="off", log=lines.append)
    first = (tmp_path / "off" / "grades.csv").read_text().splitlines()[0]
    assert first.startswith("# graded without the sandbox (--sandbox off): its code can read and change")
    assert f"Note: {first[2:]}" in lines
    monkeypatch.setattr(grading._sandbox, "supported", lambda: False)  # a system without namespaces
    with pytest.raises(ValueError, match="--sandbox require: the sandbox is not available here"):
        grade(toy, subs, tmp_path / "required", tmp_path, sandbox="require")
    assert not (tmp_path / "required").exists()
    grade(toy, subs, tmp_path / "auto", tmp_path, sandbox="auto")
    assert "graded without the sandbox (this system has no Linux namespaces)" in (
        tmp_path / "auto" / "grades.csv").read_text()


#: A master whose check lends the student's function a test model of the grader's: a model that is
#: right on every image (its class is the image's brightest pixel), as A4's q4 and q5 do.
LENDING = textwrap.dedent('''\
    # %%
    from cnn_course import assignment
    check = assignment.checker("lending", globals())

    # %%
    import numpy as np

    def accuracy(model, images, labels):
        # BEGIN SOLUTION
        return float(np.mean(np.asarray(model(images, training=False)).argmax(axis=1) == labels))
        # END SOLUTION

    # %% tags=["checks"]
    import numpy as np
    from cnn_course.checks import public

    @public("q1", points=1)
    def accuracy_of_a_perfect_model(accuracy):
        """accuracy() of a model that is right on every image"""
        import keras

        probe = keras.Sequential([keras.Input((4,)), keras.layers.Activation("linear")])
        images = np.eye(4, dtype="float32")[np.arange(40) % 4] * 3.0
        value = float(accuracy(probe, images, np.arange(40) % 4))
        assert value == 1.0, f"accuracy() gives {value:.3f} for a model that is right on every image"

    # %%
    check("q1")
    ''')

#: The same answer, written the ways a student would, each full marks.
LENDING_ANSWERS = {
    "predict_on_a_dataset": (
        "import tensorflow as tf\n"
        "def accuracy(model, images, labels):\n"
        "    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16)\n"
        "    scores = model.predict(dataset, verbose=0)\n"
        "    return float(np.mean(scores.argmax(axis=1) == np.concatenate([y for _, y in dataset])))\n"),
    "predict_on_a_generator": (
        "def accuracy(model, images, labels):\n"
        "    scores = model.predict((images[i:i + 7] for i in range(0, len(images), 7)), verbose=0)\n"
        "    return float(np.mean(scores.argmax(axis=1) == labels))\n"),
    "call_on_a_tensor": (
        "import tensorflow as tf\n"
        "def accuracy(model, images, labels):\n"
        "    scores = model(tf.constant(images), training=False)\n"
        "    return float(np.mean(np.argmax(scores, axis=1) == labels))\n"),
}


def test_a_test_model_lent_to_the_student_answers_calls_and_predict_on_any_input(tmp_path):
    path = tmp_path / "lending" / "lending.py"
    path.parent.mkdir()
    path.write_text(LENDING)
    master = Master(path)
    subs = tmp_path / "subs"
    subs.mkdir()
    solution = write_percent(master.reference_cells())
    (subs / "reference.py").write_text(solution)
    for name, answer in LENDING_ANSWERS.items():  # a cell that redefines accuracy, before the check's cell
        (subs / f"{name}.py").write_text(solution.replace('# %%\ncheck("q1")', f'# %%\n{answer}\n# %%\ncheck("q1")'))
    (subs / "wrong.py").write_text(solution.replace("== labels", "== labels[::-1]"))
    rows, details = grade(master, subs, tmp_path / "out", tmp_path)
    assert {student: row["total"] for student, row in rows.items()} == {
        "reference": "1", "predict_on_a_dataset": "1", "predict_on_a_generator": "1", "call_on_a_tensor": "1",
        "wrong": "0"}, details


@pytest.mark.parametrize("value", [np.bool_(True), np.int64(7), np.float32(0.25), np.uint8(200), np.array(3.5),
                                   np.arange(6, dtype="int16").reshape(2, 3)[:, ::2]],
                         ids=["bool_", "int64", "float32", "uint8", "0-d array", "strided array"])
def test_numpy_scalars_and_arrays_cross_the_wire_with_their_type_and_shape(value):
    # A student's `np.argmin(...) + 1` or `(a < b) & (c > d)` is a NumPy scalar: it must reach the checks as one.
    encoder = _values.Encoder()
    node = encoder.encode(value)
    back = _values.Decoder(encoder.blobs).decode(json.loads(json.dumps(node)))
    assert type(back) is type(value) and np.shape(back) == np.shape(value) and np.array_equal(back, value)


def test_compare_with_expected_names_each_check_that_differs(tmp_path):
    expected = {"reference": {"q1.a": 1, "q1.b": 2}, "wrong_x": {"q1.a": 0, "q1.b": 2}, "absent": {"q1.a": 1}}
    students = {"reference": {"checks": {"q1.a": 1, "q1.b": 2}},
                "wrong_x": {"checks": {"q1.a": 1, "q1.b": 2, "q2.c": 1}}}
    assert sample_submissions.compare_with_expected(expected, students) == [
        ("wrong_x", "q1.a: expected 0, got 1; q2.c: not expected"),
        ("absent", "not graded (no submission of that name in the folder)")]
    (tmp_path / "expected.json").write_text(json.dumps(expected))
    assert sample_submissions.read_expected(tmp_path / "expected.json") == expected
    (tmp_path / "bad.json").write_text(json.dumps({"reference": 3}))
    with pytest.raises(ValueError, match="is not a samples file"):
        sample_submissions.read_expected(tmp_path / "bad.json")
