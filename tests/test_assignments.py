"""Every graded assignment: its student build hides the solution, and its checks grade as designed.

For each master in `assignments/`, the grader (the real command, in a fresh
process, quick mode, with oneDNN off and one thread: another CPU's rounding)
grades the sample submissions of `sample_submissions`:
the reference and the correct variants get full marks, the blank student
version 0, each wrong answer loses exactly the checks its `variants.py` names,
submissions that edit or delete the `check()` cells get the reference's grade,
a loop is stopped and a crash recorded while the batch goes on, and the same
submission graded twice gets the same grade.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from cnn_course.grading import _samples as sample_submissions
from cnn_course.grading._masters import Master, check_specs, find_masters, write_percent
from cnn_course.grading import read_grades

ROOT = pathlib.Path(__file__).resolve().parent.parent
MASTERS = find_masters(ROOT / "assignments")
#: Seconds a sample may take when graded in quick mode (the references need a few); the loop sample
#: is graded separately with LOOP_LIMIT, so that it costs only that.
TIME_LIMIT = 240
LOOP_LIMIT = 4
#: Assignments fast enough (NumPy only) to grade every variant of their variants.py here; the others
#: grade the first 3 wrong ones and the first other correct one (`cnn-course assignment samples` writes
#: them all).
EVERY_VARIANT = {"a1_convolution"}
#: Assignments whose reference is graded in a new interpreter per submission (--spawn) here.
SPAWNED = ["a2_own_convnet"]
#: Assignments whose reference is graded twice in the samples test (the same grade each time): one NumPy and
#: one that trains (A3 and A4 train the same way, and a grade twice costs a whole run of their reference).
GRADED_TWICE = {"a1_convolution", "a2_own_convnet"}
#: Assignments whose "edited" sample (the reference with its check() cells deleted or faked, a whole run of the
#: reference) is graded here: one NumPy and one Keras assignment, as the behaviour is the grader's, the same for
#: all (`cnn-course assignment samples` writes it for every assignment).
EDITED = {"a1_convolution", "a2_own_convnet"}
#: The loop sample costs the grader's start and the whole LOOP_LIMIT: graded for the NumPy
#: assignment and one Keras assignment (the behaviour is the grader's, the same for all four).
LOOPED = [path for path in MASTERS if path.stem in ("a1_convolution", "a2_own_convnet")]


def _ids(paths):
    return [p.stem for p in paths]


def _cli(*args, cwd, **env):
    return subprocess.run([sys.executable, "-m", "cnn_course", *map(str, args)], capture_output=True,
                          text=True, timeout=900, cwd=cwd, env={**os.environ, **env})


def _grade(master, folder, out, time_limit, cwd, spawn=False, expect=None, **env):
    # One fixed course secret, so that the hidden inputs, hence these tests, are the same on every run
    # (tools/study_hidden_draws.py shows that the references pass under other secrets too).
    secret = pathlib.Path(cwd) / "course_secret"
    if not secret.exists():
        secret.write_text("the course secret of cnn_course's own tests\n")
    # Two at once: on 2 cores that grades a folder of Keras submissions about a third faster.
    result = _cli("assignment", "grade", master, folder, "--output", out, "--quick", "--secret-file",
                  secret, "--time-limit", time_limit, "--jobs", 2,
                  *(["--spawn"] if spawn else []), *(["--expect", expect] if expect else []), cwd=cwd, **env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    details = json.loads((pathlib.Path(out) / "results.json").read_text())["students"]
    rows = {row["student"]: row for row in read_grades(pathlib.Path(out) / "grades.csv")}
    return details, rows


def test_there_are_five_graded_assignments():
    assert _ids(MASTERS) == ["a1_convolution", "a2_own_convnet", "a3_small_data", "a4_debug_and_tune",
                             "a5_architectures_and_regularisation"]


def test_public_checks_in_the_package_match_the_masters():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "sync_assignments.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", MASTERS, ids=_ids(MASTERS))
def test_student_build_holds_no_solution_and_no_hidden_check(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    result = _cli("assignment", "build", path.stem, tmp_path, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    master = Master(path)
    notebook = (tmp_path / f"{path.stem}.ipynb").read_text()
    script = (tmp_path / f"{path.stem}.py").read_text()
    public = (ROOT / "cnn_course" / "assignment_checks" / f"{path.stem}.py").read_text()
    assert master.leaks([notebook, script, public]) == []
    # An independent grep, not relying on leaks(): markers and hidden checks' names never reach a student.
    hidden_names = [s.name for s in check_specs(master.hidden_source)]
    assert hidden_names, "every assignment has hidden checks"
    for text in (notebook, script, public):
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text and "# SOLUTION" not in text
        assert "@hidden" not in text and "hidden-checks" not in text
        for name in hidden_names:
            assert f"def {name}(" not in text
    notebook_code = "\n".join(c.source for c in nbformat.reads(notebook, as_version=4).cells)
    for text in (notebook_code, script):
        assert "@public" not in text  # public checks live in the package, not in the notebook
        assert f'assignment.checker("{path.stem}", globals())' in text
        for question in master.questions:
            assert f'check("{question}")' in text
    parsed = nbformat.reads(notebook, as_version=4)
    nbformat.validate(parsed)
    assert all(not c.outputs for c in parsed.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", [p for p in MASTERS if p.stem in SPAWNED], ids=SPAWNED)
def test_reference_graded_in_a_new_interpreter_gets_full_marks(path, tmp_path):
    # The grader's way off Linux (--spawn: a new interpreter per submission), under this machine's own
    # numerics; the samples below are forked, under another CPU's rounding.
    master = Master(path)
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "reference.py").write_text(write_percent(master.reference_cells()))
    details, rows = _grade(path, tmp_path / "subs", tmp_path / "out", TIME_LIMIT, tmp_path, spawn=True)
    assert rows["reference"]["status"] == "ok", (tmp_path / "out" / "logs" / "reference.log").read_text()[-3000:]
    assert float(rows["reference"]["total"]) == master.total_points, details["reference"]


@pytest.mark.parametrize("path", MASTERS, ids=_ids(MASTERS))
def test_samples_lose_exactly_the_points_of_the_checks_they_break(path, tmp_path):
    # The reference (twice for GRADED_TWICE), the blank version, wrong and correct answers, and a notebook whose
    # check() cells were deleted or faked.
    subs = tmp_path / "subs"
    expected = sample_submissions.write_samples(
        path, subs, loop=False, max_variants=None if path.stem in EVERY_VARIANT else {"wrong": 3, "correct": 1})
    kinds = [name.split("_")[0] for name in expected]
    assert kinds.count("wrong") >= 3 and kinds.count("correct") >= 1
    if path.stem not in EDITED:
        for written in subs.glob("edited.*"):
            written.unlink()
        del expected["edited"]
    if path.stem in GRADED_TWICE:
        shutil.copy(subs / "reference.py", subs / "reference_again.py")
    expect = None
    if path.stem in EVERY_VARIANT:  # the grader's own comparison (--expect) too: it must agree with the one below
        expect = tmp_path / "expected.json"
        expect.write_text(json.dumps(expected))
    before = {p.name: p.read_bytes() for p in subs.iterdir()}
    # oneDNN off and one thread change TensorFlow's rounding the way another CPU does: the reference and
    # the correct variants must keep full marks, so the accuracy thresholds leave room for that. (Not
    # marked `trains`, so the suite's rerun of those under oneDNN off does not grade them a second time.)
    details, rows = _grade(path, subs, tmp_path / "out", TIME_LIMIT, tmp_path, expect=expect,
                           TF_ENABLE_ONEDNN_OPTS="0", CNN_COURSE_THREADS="1")
    assert {p.name: p.read_bytes() for p in subs.iterdir()} == before  # submissions are only read
    for student, points in expected.items():
        assert details[student]["checks"] == points, (student, details[student])
    assert rows["reference"]["status"] == "ok" and float(rows["reference"]["total"]) == Master(path).total_points
    assert details["blank"]["total"] == 0 and rows["blank"]["status"] in ("ok", "errors")
    assert rows["crash"]["status"] == "errors" and "RuntimeError" in rows["crash"]["notes"]  # the batch went on
    if path.stem in GRADED_TWICE:
        # The same submission graded twice (each in a fresh process) gets the same grade, check by check.
        assert details["reference_again"]["checks"] == details["reference"]["checks"]
        strip = {"student", "file", "seconds"}
        assert ({k: v for k, v in rows["reference_again"].items() if k not in strip}
                == {k: v for k, v in rows["reference"].items() if k not in strip})


@pytest.mark.parametrize("path", LOOPED, ids=_ids(LOOPED))
def test_a_loop_is_stopped_with_the_points_of_the_checks_before(path, tmp_path):
    subs = tmp_path / "samples"
    expected = sample_submissions.write_samples(path, subs)
    (tmp_path / "loops").mkdir()
    shutil.copy(subs / "loop.py", tmp_path / "loops" / "a_loop.py")
    # Forked, as on Linux (the new-interpreter path, --spawn, is A2's reference above and the toy's
    # tests). The loop is stopped after LOOP_LIMIT seconds whatever it was doing; it is graded alone,
    # so that no other submission has to finish within that short limit on a slow or busy machine (a
    # crash, and the batch going on after it, are in the samples above).
    details, rows = _grade(path, tmp_path / "loops", tmp_path / "out_loop", LOOP_LIMIT, tmp_path)
    assert rows["a_loop"]["status"] == "timeout"
    assert details["a_loop"]["checks"] == expected["loop"]
    feedback = (tmp_path / "out_loop" / "feedback" / "a_loop.txt").read_text()
    assert f"time limit of {LOOP_LIMIT} s" in feedback


def test_a_student_checks_a_notebook_from_the_terminal(tmp_path):
    # The NumPy assignment, so that it takes seconds: the blank fails every public check with a
    # reason, the reference passes them all; neither shows a hidden check.
    path = ROOT / "assignments" / "a1_convolution" / "a1_convolution.py"
    master = Master(path)
    assert _cli("assignment", "build", "a1_convolution", tmp_path, cwd=ROOT).returncode == 0
    blank = _cli("assignment", "check", tmp_path / "a1_convolution.ipynb", cwd=tmp_path)
    assert blank.returncode == 1, blank.stderr  # a check failed: a script can tell
    public_points = sum(q["public"] for q in master.questions.values())
    assert "PASS" not in blank.stdout and blank.stdout.count("FAIL") == sum(not c.hidden for c in master.checks)
    assert f"Public checks: 0 of {public_points:g} points" in blank.stdout
    # Under each question, the parts that only the teacher's grading checks (A1 q3(c) among them).
    q3 = blank.stdout[blank.stdout.index("q3: "):blank.stdout.index("q4: ")]
    assert "Checked only when your teacher grades: convolve matches the reference" in q3
    (tmp_path / "mine.py").write_text(write_percent(master.reference_cells()))
    mine = _cli("assignment", "check", tmp_path / "mine.py", cwd=tmp_path)
    assert mine.returncode == 0, mine.stdout[-2000:]
    assert f"Public checks: {public_points:g} of {public_points:g} points" in mine.stdout, mine.stdout[-2000:]
    for spec in master.checks:
        if spec.hidden:
            assert spec.name not in mine.stdout


def test_check_cells_work_in_a_jupyter_kernel(tmp_path):
    # The student's path: check("q..") in a notebook run by a Jupyter kernel (as JupyterLab, VS Code
    # and Colab run it), on the reference answers of the NumPy assignment, under another file name.
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from cnn_course.grading._masters import write_ipynb

    master = Master(ROOT / "assignments" / "a1_convolution" / "a1_convolution.py")
    notebook = nbformat.reads(write_ipynb(master.reference_cells()), as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    public = [c for c in master.checks if not c.hidden]
    assert printed.count("PASS") == len(public) and "FAIL" not in printed, printed[-2000:]
    for question, points in master.questions.items():
        assert f"{question}: {points['public']:g} of {points['public']:g} points" in printed
    # check("q1") prints its report; Jupyter then shows nothing more (not the raw list it returns).
    check_cells = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.startswith("check(")]
    assert check_cells and all(o.output_type == "stream" for cell in check_cells for o in cell.outputs)
