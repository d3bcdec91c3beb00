"""The class standing: numbers a hidden check records in the judge, ranked over the class once a folder is graded."""

import json
import types

import pytest

from cnn_course import checks
from cnn_course.grading import _standing
from cnn_course.grading._feedback import Outcome, read_record
from cnn_course.grading._judge import Record
from cnn_course.grading._outputs import GradesFolder, read_grades

#: A fake class: accuracy (higher first) and parameters (lower first); "dee" was never measured.
CLASS = {
    "ann": {"accuracy": 0.97, "parameters": 38410},
    "bob": {"accuracy": 0.95, "parameters": 12810},
    "cy": {"accuracy": 0.97, "parameters": 50000},
    "dee": {},
    "eve": {"accuracy": 0.91, "parameters": 34826},
}
BETTER = {"accuracy": "higher", "parameters": "lower"}


def _numbers(values):
    return {label: {"value": value, "better": BETTER[label]} for label, value in values.items()}


def test_ranks_ties_and_medians_of_a_fake_class():
    by_student, summary = _standing.class_standing({s: {"numbers": _numbers(v)} for s, v in CLASS.items()})
    assert set(by_student) == {"ann", "bob", "cy", "eve"}  # dee has no number: not ranked
    ranks = {s: {label: row["rank"] for label, row in rows.items()} for s, rows in by_student.items()}
    # Equal values share a rank (ann and cy), and the next value ranks after both of them.
    assert ranks == {"ann": {"accuracy": 1, "parameters": 3}, "bob": {"accuracy": 3, "parameters": 1},
                     "cy": {"accuracy": 1, "parameters": 4}, "eve": {"accuracy": 4, "parameters": 2}}
    assert summary == {"accuracy": {"of": 4, "median": 0.96, "better": "higher"},
                       "parameters": {"of": 4, "median": 36618.0, "better": "lower"}}


def test_malformed_numbers_are_not_ranked():
    students = {"ann": {"numbers": _numbers({"accuracy": 0.9})},
                "bad1": {"numbers": {"accuracy": {"value": "0.99", "better": "higher"}}},
                "bad2": {"numbers": {"accuracy": {"value": float("nan"), "better": "higher"}}},
                "bad3": {"numbers": {"accuracy": {"value": 1.0, "better": "sideways"}}},
                "bad4": {"numbers": ["accuracy", 1.0]}, "bad5": "not a dict"}
    by_student, summary = _standing.class_standing(students)
    assert set(by_student) == {"ann"} and summary["accuracy"]["of"] == 1


def test_standing_lines_and_their_replacement():
    by_student, summary = _standing.class_standing({s: {"numbers": _numbers(v)} for s, v in CLASS.items()})
    lines = _standing.standing_lines(by_student["ann"], summary)
    assert lines[0].startswith(_standing.HEADER + " (") and "4 submission(s) measured" in lines[0]
    assert lines[1] == "  accuracy: yours 0.97, rank 1 of 4 (highest ranks first); class median 0.96"
    assert lines[2] == "  parameters: yours 38,410, rank 3 of 4 (lowest ranks first); class median 36,618"
    assert "not ranked" in _standing.standing_lines(None, summary)[1]
    text = "Total: 3 of 4 points\n  FAIL  x: " + _standing.HEADER + " (quoted by a student)\n"
    assert _standing.without_standing(text) == text  # only a line that starts with the header is the section
    assert _standing.without_standing(text + "\n" + "\n".join(lines) + "\n") == text


def _master():
    return types.SimpleNamespace(name="a2_own_convnet", version="test", total_points=4, questions={"q1": {}})


def _add(folder, student, values):
    outcome = Outcome(student, f"{student}.py", status="ok", numbers=_numbers(values))
    row = {"student": student, "file": f"{student}.py", "q1": "4", "total": "4", "max": "4", "status": "ok",
           "notes": ""}
    details = {"status": "ok", "total": 4, "checks": {}, "numbers": outcome.numbers}
    folder.add(outcome, row, details, f"Assignment a2_own_convnet: feedback for \"{student}\"\nTotal: 4 of 4\n", "")


def test_the_grades_folder_writes_the_standing_when_complete_and_recomputes_it_on_merge(tmp_path):
    out, subs = tmp_path / "grades", tmp_path / "subs"
    subs.mkdir()
    folder = GradesFolder(out, _master(), subs)
    for student in ("ann", "bob", "dee"):
        _add(folder, student, CLASS[student])
    folder.save(complete=False)
    assert _standing.HEADER not in (out / "feedback" / "ann.txt").read_text()  # not before the class is complete
    assert not (out / "class_standing.csv").exists()
    folder.save(complete=True)
    ann = (out / "feedback" / "ann.txt").read_text()
    assert "accuracy: yours 0.97, rank 1 of 2" in ann and "parameters: yours 38,410, rank 2 of 2" in ann
    assert "not ranked" in (out / "feedback" / "dee.txt").read_text()
    results = json.loads((out / "results.json").read_text())
    assert results["standing"]["accuracy"] == {"of": 2, "median": 0.96, "better": "higher"}
    assert results["students"]["bob"]["standing"] == {"accuracy": {"rank": 2, "of": 2},
                                                      "parameters": {"rank": 1, "of": 2}}
    rows = {row["student"]: row for row in read_grades(out / "class_standing.csv")}
    assert rows["ann"] == {"student": "ann", "accuracy": "0.97", "accuracy: rank": "1", "parameters": "38410",
                           "parameters: rank": "2", "of": "2"}
    assert rows["dee"]["accuracy"] == "" and rows["dee"]["of"] == ""
    # --merge: two more students; the standing is recomputed over all five, once per feedback file.
    merged = GradesFolder(out, _master(), tmp_path / "late", merge=True)
    for student in ("cy", "eve"):
        _add(merged, student, CLASS[student])
    merged.save(complete=True)
    ann = (out / "feedback" / "ann.txt").read_text()
    assert ann.count(_standing.HEADER) == 1 and "parameters: yours 38,410, rank 3 of 4" in ann
    assert "rank 1 of 4" in (out / "feedback" / "cy.txt").read_text()
    assert json.loads((out / "results.json").read_text())["standing"]["accuracy"]["of"] == 4


def test_no_standing_when_no_student_has_a_number(tmp_path):
    (tmp_path / "subs").mkdir()
    folder = GradesFolder(tmp_path / "grades", _master(), tmp_path / "subs")
    _add(folder, "ann", {})
    folder.save(complete=True)
    assert not (tmp_path / "grades" / "class_standing.csv").exists()
    assert _standing.HEADER not in (tmp_path / "grades" / "feedback" / "ann.txt").read_text()
    assert "standing" not in json.loads((tmp_path / "grades" / "results.json").read_text())


def test_record_number_works_only_in_the_judge_and_validates_its_arguments():
    with pytest.raises(RuntimeError, match="only while the grader grades"):
        checks.record_number("parameters", 10, better="lower")
    with checks.grading_context(b"secret", "a2_own_convnet"):
        for bad in ({"label": "", "value": 1}, {"label": "two\nlines", "value": 1}, {"label": "x" * 41, "value": 1},
                    {"label": "x", "value": True}, {"label": "x", "value": float("inf")},
                    {"label": "x", "value": "1"}):
            with pytest.raises(ValueError):
                checks.record_number(better="higher", **bad)
        with pytest.raises(ValueError, match="better"):
            checks.record_number("x", 1, better="more")
        checks.record_number("accuracy", 0.5, better="higher")
        checks.record_number("accuracy", 0.75, better="higher")  # the same label again: replaces it
        checks.record_number("parameters", 12810.0, better="lower")
        assert checks.take_recorded_numbers() == [{"label": "accuracy", "value": 0.75, "better": "higher"},
                                                  {"label": "parameters", "value": 12810, "better": "lower"}]
        assert checks.take_recorded_numbers() == []


def test_the_record_keeps_only_the_judges_well_formed_numbers(tmp_path):
    key, path = b"k" * 32, tmp_path / "record.jsonl"
    record = Record(path, key, "1")
    record.write(e="number", label="accuracy", value=0.96, better="higher")
    record.write(e="number", label="parameters", value="12810", better="lower")  # not a number: ignored
    record._handle.close()
    # A line the student's process might have written itself: not signed with the run's key.
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"e": "number", "label": "accuracy", "value": 1.0, "better": "higher", "n": 9,
                                 "mac": "0" * 64}) + "\n")
    outcome = read_record(path, Outcome("ann"), {}, key, "1")
    assert outcome.numbers == {"accuracy": {"value": 0.96, "better": "higher"}}
    assert any("malformed" in note for note in outcome.notes) and any("not the judge's" in n for n in outcome.notes)
