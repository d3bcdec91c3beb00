"""The grades in the files Canvas's gradebook import and Moodle's offline grading worksheet upload read.

Written by `GradesFolder.save` next to `grades.csv`, from the same rows: `canvas_gradebook.csv` and
`moodle_grading_worksheet.csv`. A row's `platform_id` is taken as the student's Canvas user id or Moodle
participant id only when it is all digits (both platforms' ids are); otherwise (a plain folder's name, or no
roster) the row is still written, without it. Every cell goes through `safe_cell` (CSV injection), plain UTF-8.
"""


from cnn_course.grading._cells import csv_text

#: Canvas gradebook import: the columns of Canvas's own gradebook export, which its import reads back,
#: then one column per assignment, matched by its title; a "Points Possible" row follows the header.
#: Documented at https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades
#: (Student / ID / SIS User ID, SIS Login ID, Section, assignment name) and
#: https://ts.vcu.edu/askit/teaching-and-learning/canvas/faculty/grading-faculty/gradebook-action-menu-faculty/
#: (export, edit, re-import). Instructure's own guide page was not found in the searchable documentation.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: Moodle's offline grading worksheet ("Download grading worksheet"; upload: "Upload grading worksheet"),
#: the headers of mod/assign/gradingtable.php when downloading, as in
#: https://github.com/moodle/moodle/commit/16668320a68a2a2050d73aae724d5c0c8c4fe5ff
#: The upload (mod/assign/feedback/offline/importgradeslib.php) needs "Identifier", "Grade" and
#: "Last modified (grade)" and reads "Feedback comments". Setup (feedback type "Offline grading worksheet"):
#: https://docs.moodle.org/401/en/Assignment_settings and
#: https://itrascastro.github.io/moodle-offline-task-grading-spreadsheet
#: The upload asks for the file's encoding (UTF-8 by default): no byte-order mark needed.
MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Status", "Grade", "Maximum grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments")


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return 0.0


def _platform_id(row):
    """The row's Canvas user id or Moodle participant id, or "" (a plain folder's name is not one)."""
    value = str(row.get("platform_id") or "")
    return value if value.isdigit() else ""


def canvas_gradebook(rows, column, total_points):
    """The text of `canvas_gradebook.csv`: one row per student of `rows` (the rows of `grades.csv`).

    Args:
        rows: dicts with `student`, `total` and, from an export or a roster, `name` and `platform_id`.
        column: the assignment's column title (Canvas matches the column to the assignment by it).
        total_points: the assignment's points, for the "Points Possible" row.
    """
    lines = [(*CANVAS_COLUMNS, column), ("Points Possible", "", "", "", "", f"{total_points:g}")]
    for row in rows:
        platform_id = _platform_id(row)
        lines.append((row.get("name") or row["student"], platform_id, "" if platform_id else row["student"], "", "",
                      f"{_number(row.get('total')):g}"))
    return csv_text(lines)


def feedback_summary(row, questions, total_points):
    """The short plain-text feedback of the worksheet: the total, then `q1: 3 of 4` for each question."""
    lines = [f"Total: {_number(row.get('total')):g} of {total_points:g}"]
    if row.get("status") == "missing":
        lines.insert(0, "No submission received.")
    lines += [f"{question}: {_number(row.get(question)):g} of {points:g}" for question, points in questions.items()]
    return "\n".join(lines)


def moodle_worksheet(rows, questions, total_points):
    """The text of `moodle_grading_worksheet.csv`: one row per student of `rows` (the rows of `grades.csv`).

    Args:
        rows: dicts with `student`, `total`, `status`, one column per question and, from an export or a
            roster, `name` and `platform_id`.
        questions: question -> its points, in order.
        total_points: the assignment's points.

    "Last modified (grade)" is left empty, so that grading twice writes the same file: Moodle then keeps a
    grade it already holds unless the upload's "Allow updating records that have been modified more recently
    in Moodle than in the spreadsheet" is ticked. "Last modified (submission)" and "Email address" are not
    known here: empty.
    """
    lines = [MOODLE_COLUMNS]
    for row in rows:
        platform_id = _platform_id(row)
        missing = row.get("status") == "missing"
        lines.append((f"Participant {platform_id}" if platform_id else "", row.get("name") or row["student"], "",
                      "No submission" if missing else "Submitted for grading", f"{_number(row.get('total')):.2f}",
                      f"{total_points:.2f}", "Yes", "", "", feedback_summary(row, questions, total_points)))
    return csv_text(lines)
