"""The grades folder: `grades.csv`, `results.json`, `feedback/` and `logs/`, written by the grader only.

`canvas_gradebook.csv` and `moodle_grading_worksheet.csv` hold the same grades for the platforms' imports
(`_platform_grades`).

Every file is written atomically, and only after the student's processes are
gone. `results.json` is rewritten after each student with `"complete": false`
until the last one, so an interrupted run leaves the grades of the students
finished so far (marked incomplete) and the next run into the same folder
resumes where it stopped. A folder that already holds complete grades is
never silently replaced: `merge=True` adds and regrades students, naming each
grade that changed; otherwise the grader refuses and says how to go on.
"""

import csv
import datetime
import hashlib
import io
import json
import pathlib
import re

from cnn_course._files import write_text_atomically
from cnn_course.grading import _platform_grades, _standing
from cnn_course.grading._cells import csv_text

FORMAT = "cnn_course grades 1"
def file_name(student):
    """The name of a student's feedback and log files: it depends on that student's name alone.

    A name of lower-case letters, digits, ".", "_" and "-" is used as it is;
    any other name is written in those characters and gets "~" and 8 characters
    of its hash, so that two students never share a file (not even on a disk
    that ignores case) and one student's file never moves because of another.

    Example:

    >>> file_name("ann"), file_name("Ann"), file_name("ANN") != file_name("Ann")
    ('ann', 'ann~17239b6e', True)
    """
    if re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", student) and not student.endswith("."):
        return student
    base = re.sub(r"[^a-z0-9._-]+", "_", student.lower()).strip("._")[:60] or "student"
    return f"{base}~{hashlib.sha256(student.encode('utf-8')).hexdigest()[:8]}"


def read_grades(path):
    """The rows of a `grades.csv` as dicts (its `#` note lines at the top skipped)."""
    text = pathlib.Path(path).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return list(csv.DictReader(io.StringIO("".join(lines))))


class GradesFolder:
    """The output folder of one grading run: what it held before, and what this run writes.

    Args:
        folder: the output folder.
        master: the assignment's `Master`.
        submissions: the submissions folder (recorded, to tell a resume from another class).
        merge: add to and regrade into complete grades already in the folder.

    Raises:
        ValueError: the folder holds grades of another assignment, files this
            grader did not write, or complete grades and `merge` is False.
    """

    def __init__(self, folder, master, submissions, merge=False):
        self.folder, self.master = pathlib.Path(folder), master
        self.submissions = str(pathlib.Path(submissions).resolve())
        self.students, self.notes, self.resuming = {}, [], False
        previous = self._previous()
        if previous is not None:
            same_class = previous.get("submissions") == self.submissions
            if previous.get("complete") is False and same_class:
                self.resuming = True
            elif not merge:
                count = len(previous.get("students", {}))
                raise ValueError(
                    f"{self.folder} already holds the grades of {count} student(s) of {master.name} (from "
                    f"{previous.get('submissions')}); grading into it would replace them. Fix: add --merge to add "
                    "these submissions' grades to them (a student graded again gets the new grade), or choose "
                    "another folder with --output")
            self.students = dict(previous.get("students", {}))

    def _previous(self):
        results = self.folder / "results.json"
        if not self.folder.exists():
            return None
        if not results.exists():
            if (self.folder / "grades.csv").exists() or (self.folder / "feedback").exists():
                raise ValueError(f"{self.folder} holds grades.csv or feedback/ but no results.json: not a folder "
                                 "this grader wrote. Fix: choose another folder with --output")
            return None
        try:
            previous = json.loads(results.read_text(encoding="utf-8"))
        except ValueError:
            previous = None
        if not isinstance(previous, dict) or previous.get("format") != FORMAT:
            raise ValueError(f"{results} was not written by this version of the grader. Fix: choose another "
                             "folder with --output")
        if previous.get("assignment") != self.master.name:
            raise ValueError(f"{self.folder} holds the grades of assignment {previous.get('assignment')}, not "
                             f"{self.master.name}. Fix: choose another folder with --output")
        return previous

    def already_graded(self, student, sha256):
        """True when resuming and this student's same file was graded (to the end) in the interrupted run."""
        entry = self.students.get(student)
        return self.resuming and entry is not None and entry.get("sha256") == sha256 and sha256

    def add(self, outcome, row, details, feedback, log):
        """Record one student's grades and write their feedback and log; returns the previous total or None."""
        name = file_name(outcome.student)
        before = self.students.get(outcome.student)
        self.students[outcome.student] = {**details, "row": row, "file_name": name}
        write_text_atomically(self.folder / "feedback" / f"{name}.txt", feedback)
        write_text_atomically(self.folder / "logs" / f"{name}.log", log)
        return None if before is None else before.get("total")

    def save(self, complete, notes=()):
        """Write `grades.csv` and `results.json` for every student recorded so far."""
        master, questions = self.master, list(self.master.questions)
        header = ["student", "file", *questions, "total", "max", "status", "notes"]
        # From a Canvas or Moodle export or with a roster (`_platforms.row_extras`): who, on the platform, and late.
        header += [c for c in ("name", "platform_id", "late") if any(c in s["row"] for s in self.students.values())]
        lines = [f"# {note}\n" for note in notes]
        if not complete:
            lines.insert(0, "# INCOMPLETE: grading was interrupted; run the same command again to grade the rest\n")
        rows = [[self.students[student]["row"].get(column, "") for column in header]
                for student in sorted(self.students)]
        write_text_atomically(self.folder / "grades.csv", "".join(lines) + csv_text([header, *rows]))
        self._write_platform_grades()
        standing = self._write_standing() if complete else None
        document = {"format": FORMAT, "assignment": master.name, "version": master.version,
                    "total_points": master.total_points, "questions": questions, "complete": complete,
                    "submissions": self.submissions, "notes": list(notes),
                    "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                    "students": {s: self.students[s] for s in sorted(self.students)}}
        if standing:
            document["standing"] = standing
        write_text_atomically(self.folder / "results.json", json.dumps(document, indent=1) + "\n")

    def _write_platform_grades(self):
        """`canvas_gradebook.csv` and `moodle_grading_worksheet.csv`: the same grades, for the platforms' imports."""
        master = self.master
        rows = [self.students[student]["row"] for student in sorted(self.students)]
        points = {q: entry.get("public", 0) + entry.get("hidden", 0) for q, entry in master.questions.items()}
        write_text_atomically(self.folder / "canvas_gradebook.csv",
                              _platform_grades.canvas_gradebook(rows, master.name, master.total_points))
        write_text_atomically(self.folder / "moodle_grading_worksheet.csv",
                              _platform_grades.moodle_worksheet(rows, points, master.total_points))

    def _write_standing(self):
        """The class standing, once every student is graded: feedback sections and `class_standing.csv`.

        Recomputed over every student of the folder (a `--merge` included) from the numbers the
        judges recorded; nothing is written when no student has one (the master records none).
        Returns the summary for `results.json` (label -> {"of", "median", "better"}), or None.
        """
        by_student, summary = _standing.class_standing(self.students)
        for student, entry in self.students.items():
            entry.pop("standing", None)
            if student in by_student:
                entry["standing"] = {label: {"rank": row["rank"], "of": row["of"]}
                                     for label, row in by_student[student].items()}
        if not summary:
            return None
        for student, entry in self.students.items():
            path = self.folder / "feedback" / f"{entry.get('file_name') or file_name(student)}.txt"
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                continue  # a student whose grading wrote no feedback file: nothing to add to
            lines = _standing.standing_lines(by_student.get(student), summary)
            write_text_atomically(path, _standing.without_standing(text) + "\n" + "\n".join(lines) + "\n")
        labels = sorted(summary)
        header = ["student", *[column for label in labels for column in (label, f"{label}: rank")], "of"]
        rows = [header]
        for student in sorted(self.students):
            mine = by_student.get(student, {})
            cells = [student]
            for label in labels:
                row = mine.get(label)
                cells += [_standing.format_number(row["value"]).replace(",", ""), row["rank"]] if row else ["", ""]
            cells.append(max((row["of"] for row in mine.values()), default=""))
            rows.append(cells)
        write_text_atomically(self.folder / "class_standing.csv", csv_text(rows))
        return summary
