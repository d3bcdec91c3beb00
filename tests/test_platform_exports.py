"""Submissions exactly as Canvas and Moodle export them (the folder or the .zip), with a roster.

The same A1 sample files, graded from a plain folder, from a Canvas-style zip (a late hand-in, a student
who handed in twice) and from a Moodle-style folder (names with spaces and non-ASCII letters), give each
student the same points; a student on the roster who handed in nothing gets a row, status missing.
"""

import json
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

from cnn_course.grading import _platforms, _samples, read_grades

ROOT = pathlib.Path(__file__).resolve().parent.parent
A1 = ROOT / "assignments" / "a1_convolution" / "a1_convolution.py"
SAMPLES = ("reference.py", "blank.ipynb", "wrong_output_size_forgets_plus_one.py", "crash.py")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("samples")
    _samples.write_samples(A1, folder / "all", loop=False, max_variants={"wrong": 1, "correct": 0})
    plain = folder / "plain"
    plain.mkdir()
    for name in SAMPLES:
        shutil.copy(folder / "all" / name, plain / name)
    return plain


def _grade(folder, out, cwd, *extra):
    secret = pathlib.Path(cwd) / "course_secret"
    if not secret.exists():
        secret.write_text("the course secret of cnn_course's own tests\n")
    result = subprocess.run([sys.executable, "-m", "cnn_course", "assignment", "grade", "a1_convolution",
                             str(folder), "--output", str(out), "--quick", "--secret-file", str(secret), *extra],
                            capture_output=True, text=True, timeout=300, cwd=cwd)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    details = json.loads((pathlib.Path(out) / "results.json").read_text(encoding="utf-8"))["students"]
    rows = {row["student"]: row for row in read_grades(pathlib.Path(out) / "grades.csv")}
    return details, rows, result.stdout


def test_canvas_and_moodle_names_are_parsed():
    assert _platforms.parse_canvas_name("smithjohn_12345_67890_a1.ipynb") == ("smithjohn", "12345", 67890, False,
                                                                            "a1.ipynb")
    assert _platforms.parse_canvas_name("smithjohn_LATE_12345_67890_my_a1 (2).py") == (
        "smithjohn", "12345", 67890, True, "my_a1 (2).py")
    assert _platforms.parse_canvas_name("reference.py") is None
    assert _platforms.parse_canvas_name("wrong_output_size_forgets_plus_one.py") is None
    assert _platforms.parse_moodle_name("Zoë Ångström_1234_assignsubmission_file_") == ("Zoë Ångström", "1234", "")
    assert _platforms.parse_moodle_name("Jean_Luc Picard_77_assignsubmission_file_a1.py") == (
        "Jean_Luc Picard", "77", "a1.py")
    assert _platforms.parse_moodle_name("smithjohn_12345_67890_a1.ipynb") is None


def test_a_zip_with_a_path_outside_its_folder_is_refused(tmp_path, monkeypatch):
    for bad in ("../evil.py", "/etc/evil.py", "sub/../../evil.py"):
        archive = tmp_path / "subs.zip"
        with zipfile.ZipFile(archive, "w") as handle:
            handle.writestr("smithjohn_1_2_a1.py", "x = 1\n")
            handle.writestr(bad, "x = 2\n")
        target = tmp_path / "unpacked"
        target.mkdir()
        with pytest.raises(ValueError, match="outside the folder") as caught:
            _platforms.extract_zip(archive, target)
        assert "Fix:" in str(caught.value)
        assert not any(target.iterdir()) and not (tmp_path / "evil.py").exists()  # nothing written
        shutil.rmtree(target)
    with pytest.raises(ValueError, match="not a readable zip"):
        (tmp_path / "fake.zip").write_text("not a zip")
        _platforms.extract_zip(tmp_path / "fake.zip", tmp_path)


def test_exports_get_the_points_of_the_same_files_in_a_plain_folder(samples, tmp_path):
    plain, _, _ = _grade(samples, tmp_path / "out_plain", tmp_path)
    points = {name: plain[pathlib.Path(name).stem]["checks"] for name in SAMPLES}
    assert plain["reference"]["total"] == 22 and plain["wrong_output_size_forgets_plus_one"]["total"] < 22

    # Canvas: the zip itself. bob handed in late; cid handed in twice (the blank first, then the reference).
    canvas = {"smithann_101_9001_a1.py": "reference.py",
              "jonesbob_LATE_102_9002_a1.py": "wrong_output_size_forgets_plus_one.py",
              "leecid_103_9003_a1.ipynb": "blank.ipynb", "leecid_103_9010_a1-1.py": "reference.py",
              "kimdan_104_9004_a1.py": "crash.py"}
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name, sample in canvas.items():
            handle.write(samples / sample, name)
    before = archive.read_bytes()
    roster = tmp_path / "roster.csv"
    roster.write_text("platform_id,student_id,name\n101,s1,Ann Smith\n102,s2,Bob Jones\n103,s3,Cid Lee\n"
                      "104,s4,Dan Kim\n105,s5,Eve Park\n", encoding="utf-8")
    details, rows, stdout = _grade(archive, tmp_path / "out_canvas", tmp_path, "--roster", roster)
    assert "Canvas export" in stdout and archive.read_bytes() == before  # detected; the zip only read
    assert sorted(rows) == ["s1", "s2", "s3", "s4", "s5"]
    for student, sample in (("s1", "reference.py"), ("s2", "wrong_output_size_forgets_plus_one.py"),
                            ("s3", "reference.py"), ("s4", "crash.py")):
        assert details[student]["checks"] == points[sample], student
    assert rows["s2"]["late"] == "late" and rows["s1"]["late"] == "no" and rows["s2"]["name"] == "Bob Jones"
    assert rows["s1"]["platform_id"] == "101"
    feedback = tmp_path / "out_canvas" / "feedback"
    assert "LATE" in (feedback / "s2.txt").read_text(encoding="utf-8")
    cid = (feedback / "s3.txt").read_text(encoding="utf-8")
    assert "graded the newest, leecid_103_9010_a1-1.py" in cid and "not graded: leecid_103_9003_a1.ipynb" in cid
    assert rows["s5"]["status"] == "missing" and rows["s5"]["total"] == "0" and rows["s5"]["name"] == "Eve Park"
    assert "none received" in (feedback / "s5.txt").read_text(encoding="utf-8")

    # Moodle: the folder as unpacked, names with spaces and non-ASCII letters, no roster.
    moodle = tmp_path / "moodle"
    for folder, sample in (("Zoë Ångström_1234_assignsubmission_file_", "reference.py"),
                           ("Jean Luc Picard_1235_assignsubmission_file_", "blank.ipynb"),
                           ("Ørjan Ødegård_1236_assignsubmission_file_", "wrong_output_size_forgets_plus_one.py")):
        (moodle / folder).mkdir(parents=True)
        shutil.copy(samples / sample, moodle / folder / f"a1{pathlib.Path(sample).suffix}")
    details, rows, stdout = _grade(moodle, tmp_path / "out_moodle", tmp_path)
    assert "Moodle export" in stdout
    assert details["Zoë Ångström_1234"]["checks"] == points["reference.py"]
    assert details["Jean Luc Picard_1235"]["checks"] == points["blank.ipynb"]
    assert details["Ørjan Ødegård_1236"]["checks"] == points["wrong_output_size_forgets_plus_one.py"]
    assert rows["Zoë Ångström_1234"]["platform_id"] == "1234" and rows["Zoë Ångström_1234"]["late"] == ""
