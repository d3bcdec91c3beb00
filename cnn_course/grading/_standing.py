"""The class standing: where each student's measured numbers rank among the class's, once a folder is graded.

A master opts in by recording numbers from a hidden check (`checks.record_number`,
computed in the judge from what it rebuilt, never from a value the student's
process sent). The grader keeps them per student in `results.json`; when the
whole folder is graded (and again after every `--merge`, over all students),
`class_standing` ranks them and the grades folder appends a few lines to each
feedback file and writes `class_standing.csv` for the teacher.
"""

import math
import statistics

from cnn_course.checks import BETTER, MAX_LABEL

#: The first line of the standing section of a feedback file: the section is rewritten from there on.
HEADER = "Where your work stands in the class"
_ORDER = {"higher": "highest ranks first", "lower": "lowest ranks first"}


def valid_numbers(numbers):
    """The well-formed entries of a student's recorded numbers: label -> {"value", "better"}."""
    if not isinstance(numbers, dict):
        return {}
    kept = {}
    for label, number in numbers.items():
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL or not isinstance(number, dict):
            continue
        value, better = number.get("value"), number.get("better")
        if type(value) in (int, float) and math.isfinite(value) and better in BETTER:
            kept[label] = {"value": value, "better": better}
    return kept


def class_standing(students):
    """Rank every student's recorded numbers among the class's.

    Args:
        students: student -> their details in `results.json` (a dict with a
            "numbers" entry, label -> {"value": number, "better": "higher" or
            "lower"}; a student without it is not ranked).

    Returns:
        `(by_student, summary)`: `by_student` maps each ranked student to
        label -> {"value", "rank", "of", "better"} (rank 1 is the best; equal
        values share a rank); `summary` maps each label to {"of", "median",
        "better"}. Both empty when no student has a number.

    Example:

    >>> students = {"ann": {"numbers": {"accuracy": {"value": 0.97, "better": "higher"}}},
    ...             "bob": {"numbers": {"accuracy": {"value": 0.95, "better": "higher"}}},
    ...             "cy": {"numbers": {}}}
    >>> by_student, summary = class_standing(students)
    >>> by_student["bob"]["accuracy"]["rank"], summary["accuracy"]["of"], "cy" in by_student
    (2, 2, False)
    """
    by_label = {}
    for student, details in students.items():
        numbers = valid_numbers(details.get("numbers") if isinstance(details, dict) else None)
        for label, number in numbers.items():
            by_label.setdefault(label, {})[student] = number
    by_student, summary = {}, {}
    for label in sorted(by_label):
        entries = by_label[label]
        # One direction per label: the one most of the class's numbers were recorded with (the same master).
        directions = [n["better"] for n in entries.values()]
        better = max(BETTER, key=directions.count)
        values = {student: n["value"] for student, n in entries.items()}
        sign = -1 if better == "higher" else 1
        for student, value in values.items():
            rank = 1 + sum(sign * other < sign * value for other in values.values())
            by_student.setdefault(student, {})[label] = {"value": value, "rank": rank, "of": len(values),
                                                         "better": better}
        summary[label] = {"of": len(values), "median": statistics.median(values.values()), "better": better}
    return by_student, summary


def format_number(value):
    """A recorded number as the feedback shows it: whole numbers with thousands separators, else 4 digits.

    Example:

    >>> format_number(38410), format_number(0.97234), format_number(12.0)
    ('38,410', '0.9723', '12')
    """
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def standing_lines(mine, summary):
    """The standing section of one student's feedback file (a list of lines, the first is `HEADER`).

    Args:
        mine: the student's entry of `class_standing`'s `by_student`, or None
            when nothing of theirs was measured.
        summary: `class_standing`'s `summary`.
    """
    count = max((entry["of"] for entry in summary.values()), default=0)
    lines = [f"{HEADER} (computed when the whole class was graded; {count} submission(s) measured, "
             "rank 1 is the best):"]
    if not mine:
        lines.append("  nothing of yours was measured, so it is not ranked (the check that measures it did not "
                     "run to that point, or your work did not meet its conditions)")
        return lines
    for label in sorted(summary):
        entry = mine.get(label)
        median = format_number(summary[label]["median"])
        if entry is None:
            lines.append(f"  {label}: not measured for you; class median {median}")
            continue
        lines.append(f"  {label}: yours {format_number(entry['value'])}, rank {entry['rank']} of {entry['of']} "
                     f"({_ORDER[entry['better']]}); class median {median}")
    return lines


def without_standing(text):
    """A feedback file's text without its standing section (to write a recomputed one in its place).

    Example:

    >>> without_standing("Total: 3 of 4 points\\n\\n" + HEADER + " (...):\\n  x: yours 1\\n")
    'Total: 3 of 4 points\\n'
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.startswith(HEADER + " ("):  # written only by the grader: a student's text never starts a line
            kept = "\n".join(lines[:index]).rstrip("\n")
            return kept + "\n" if kept else ""
    return text
