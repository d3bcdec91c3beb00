"""The grades in Canvas's gradebook-import and Moodle's offline-grading-worksheet formats.

The files are read back with parsers written from the documented columns (see `_platform_grades`): one row per
student, each column's value; and a run of the grader writes both, with the totals of `grades.csv`.
"""

import csv
import io
import pathlib
import shutil
import subprocess
import sys

from cnn_course.grading import _platform_grades, _samples, read_grades

ROOT = pathlib.Path(__file__).resolve().parent.parent
A1 = ROOT / "assignments" / "a1_convolution" / "a1_convolution.py"
CANVAS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum grade", "Grade can be changed",
          "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
QUESTIONS = {"q1": 4.0, "q2": 6.0}
ROWS = [  # as GradesFolder.save has them, sorted by student
    {"student": "1234", "total": "7.5", "max": "10", "status": "ok", "q1": "3", "q2": "4.5",
     "name": "Zoë Ångström", "platform_id": "1234", "late": ""},
    {"student": "ann", "total": "10", "max": "10", "status": "ok", "q1": "4", "q2": "6"},
    {"student": "s5", "total": "0", "max": "10", "status": "missing", "q1": "0", "q2": "0",
     "name": "=Eve Park", "platform_id": "105", "late": ""},
]


def read_canvas(text):
    """The header, the Points Possible row and the student rows of a Canvas gradebook CSV."""
    lines = list(csv.reader(io.StringIO(text)))
    return lines[0], lines[1], list(csv.DictReader(io.StringIO(text)))[1:]


def read_moodle(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_canvas_gradebook_columns():
    text = _platform_grades.canvas_gradebook(ROWS, "A1 Convolution", 10)
    header, possible, rows = read_canvas(text)
    assert header == [*CANVAS, "A1 Convolution"]
    assert possible == ["Points Possible", "", "", "", "", "10"]
    assert [row["Student"] for row in rows] == ["Zoë Ångström", "ann", "'=Eve Park"]  # safe from formulas
    assert [row["ID"] for row in rows] == ["1234", "", "105"]
    assert [row["SIS User ID"] for row in rows] == ["", "ann", ""]  # no platform id: the student id
    assert all(row["SIS Login ID"] == "" and row["Section"] == "" for row in rows)
    assert [row["A1 Convolution"] for row in rows] == ["7.5", "10", "0"]
    assert not text.startswith("\ufeff")


def test_moodle_worksheet_columns():
    text = _platform_grades.moodle_worksheet(ROWS, QUESTIONS, 10)
    assert not text.startswith("\ufeff")
    rows = read_moodle(text)
    assert list(rows[0]) == MOODLE and len(rows) == 3
    zoe, ann, eve = rows
    assert zoe["Identifier"] == "Participant 1234" and zoe["Full name"] == "Zoë Ångström"
    assert ann["Identifier"] == "" and ann["Full name"] == "ann"
    assert eve["Identifier"] == "Participant 105" and eve["Full name"] == "'=Eve Park"
    assert [row["Status"] for row in rows] == ["Submitted for grading", "Submitted for grading", "No submission"]
    assert [row["Grade"] for row in rows] == ["7.50", "10.00", "0.00"]
    for row in rows:
        assert row["Maximum grade"] == "10.00" and row["Grade can be changed"] == "Yes"
        assert row["Email address"] == row["Last modified (submission)"] == row["Last modified (grade)"] == ""
    assert zoe["Feedback comments"] == "Total: 7.5 of 10\nq1: 3 of 4\nq2: 4.5 of 6"
    assert eve["Feedback comments"].splitlines() == ["No submission received.", "Total: 0 of 10", "q1: 0 of 4",
                                                     "q2: 0 of 6"]


def test_a_plain_folders_name_is_not_taken_for_a_platform_id():
    row = {"student": "s1", "total": "3", "status": "ok", "q1": "3", "name": "Ann", "platform_id": "ann_folder"}
    (canvas,) = read_canvas(_platform_grades.canvas_gradebook([row], "A1", 4))[2]
    assert canvas["ID"] == "" and canvas["SIS User ID"] == "s1" and canvas["Student"] == "Ann"
    (moodle,) = read_moodle(_platform_grades.moodle_worksheet([row], {"q1": 4.0}, 4))
    assert moodle["Identifier"] == ""


def test_grading_writes_both_files_with_the_totals_of_grades_csv(tmp_path):
    _samples.write_samples(A1, tmp_path / "all", loop=False, max_variants={"wrong": 0, "correct": 0})
    moodle = tmp_path / "moodle"
    for folder, sample in (("Zoë Ångström_1234_assignsubmission_file_", "reference.py"),
                           ("Jean Luc_1235_assignsubmission_file_", "blank.ipynb")):
        (moodle / folder).mkdir(parents=True)
        shutil.copy(tmp_path / "all" / sample, moodle / folder / f"a1{pathlib.Path(sample).suffix}")
    roster = tmp_path / "roster.csv"
    roster.write_text("platform_id,student_id,name\n1234,s1,Zoë Ångström\n1235,s2,Jean Luc\n1236,s3,Eve Park\n",
                      encoding="utf-8")
    (tmp_path / "course_secret").write_text("the course secret of cnn_course's own tests\n")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "cnn_course", "assignment", "grade", "a1_convolution", str(moodle),
                             "--output", str(out), "--quick", "--secret-file", str(tmp_path / "course_secret"),
                             "--roster", str(roster)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    grades = {row["student"]: row for row in read_grades(out / "grades.csv")}
    assert sorted(grades) == ["s1", "s2", "s3"] and grades["s3"]["status"] == "missing"
    total = float(grades["s1"]["max"])

    _, possible, canvas = read_canvas((out / "canvas_gradebook.csv").read_text(encoding="utf-8"))
    assert float(possible[-1]) == total and len(canvas) == 3
    by_id = {row["ID"]: row for row in canvas}
    assert sorted(by_id) == ["1234", "1235", "1236"]
    for grade in grades.values():
        row = by_id[grade["platform_id"]]
        assert row["Student"] == grade["name"] and float(row["a1_convolution"]) == float(grade["total"])

    moodle_rows = read_moodle((out / "moodle_grading_worksheet.csv").read_text(encoding="utf-8"))
    assert len(moodle_rows) == 3
    by_identifier = {row["Identifier"]: row for row in moodle_rows}
    for grade in grades.values():
        row = by_identifier[f"Participant {grade['platform_id']}"]
        assert float(row["Grade"]) == float(grade["total"]) and float(row["Maximum grade"]) == total
        assert row["Feedback comments"].splitlines()[0].startswith(
            "No submission" if grade["status"] == "missing" else "Total: ")
    assert by_identifier["Participant 1236"]["Status"] == "No submission"
    assert float(by_identifier["Participant 1234"]["Grade"]) == total  # the reference gets every point
