"""One student's grading, put together from the judge's record, and the feedback text a student reads.

The judge writes a record (JSON lines) that only the grader reads; `read_record`
turns it into an `Outcome`, checking every line (the record lies outside the
student's reach with the sandbox, but is read as carefully as if it did not).
Text that comes from the student's process (an error message its code
raised) appears in the feedback only quoted and cut to one short line.
"""

import dataclasses
import hmac
import json
import math
from typing import NamedTuple

from cnn_course.checks import BETTER, MAX_LABEL, CheckResult, format_results, one_line, quoted
from cnn_course.grading._judge import record_mac

_RESULT_FIELDS = {"question": str, "name": str, "description": str, "points": (int, float),
                  "earned": (int, float), "hidden": bool, "message": str}


class CellError(NamedTuple):
    """A cell of the submission that raised, as the judge's record tells it."""

    cell: int  # the cell's number
    type: str  # the exception's class name
    message: str
    where: str  # " (line 3 of its cell, in f)" or ""
    withheld: bool  # the message is not shown: it came after a hidden check


@dataclasses.dataclass
class Outcome:
    """How one submission's grading went.

    Attributes:
        student: the student's name; `source`: what they handed in.
        status: "ok", "errors", "timeout", "out of memory", "crashed",
            "unreadable", "not graded", "missing" (on the roster, nothing handed in) or "grader error".
        results: the `CheckResult`s of the checks that ran.
        cell_errors: a `CellError` per cell that raised.
        cells: the submission's `SubmissionCell`s (to name cells in feedback).
        notes: lines for the teacher and the student (ignored messages, ...).
        grading_notes: what the checks noted for the teacher (a fallback taken).
        numbers: what the checks measured for the class standing (`checks.record_number`):
            label -> {"value": number, "better": "higher" or "lower"}.
        problem: why a submission could not be graded or read.
        last_cell: the last cell that finished; `exit_code`: the process's exit status.
        seconds: how long its grading took; `sha256`: the file's hash.
    """

    student: str
    source: str = ""
    status: str = "not graded"
    results: list = dataclasses.field(default_factory=list)
    cell_errors: list = dataclasses.field(default_factory=list)
    cells: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    grading_notes: list = dataclasses.field(default_factory=list)
    numbers: dict = dataclasses.field(default_factory=dict)
    problem: str = ""
    last_cell: int = 0
    exit_code: int = None
    seconds: float = 0.0
    sha256: str = ""
    ran_all: bool = False
    hidden_seen: bool = False
    started: bool = False
    ended: bool = False
    gone: str = ""

    @property
    def total(self):
        return sum(r.earned for r in self.results)


def _signed_events(lines, key, label):
    """The events of a judge's record whose signature holds, in order; a count of the lines that did not."""
    events, rejected, last = [], 0, 0
    for line in lines:
        try:
            event = json.loads(line)
            mac = event.pop("mac")
            good = (isinstance(event.get("e"), str) and type(event.get("n")) is int and event["n"] > last
                    and hmac.compare_digest(str(mac), record_mac(key, label, event)))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            good = False
        if good:
            last = event.pop("n")
            events.append(event)
        else:
            rejected += 1
    return events, rejected


def read_record(path, outcome, check_names, key, label):
    """Fill `outcome` from the judge's record at `path` (signed with `key` for submission `label`).

    `check_names` maps the master's (question, name) pairs to their points.
    """
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    events, rejected = _signed_events(lines, key, label)
    if rejected:
        outcome.notes.append(f"{rejected} line(s) of the judge's record were not the judge's and were ignored")
    seen = set()
    for event in events:
        kind = event.pop("e")
        if kind == "check":
            result = _result(event, check_names)
            if result is None or (result.question, result.name) in seen:
                outcome.notes.append("a check result in the judge's record was malformed or repeated; ignored")
                continue
            seen.add((result.question, result.name))
            outcome.results.append(result)
        elif kind == "cell" and type(event.get("cell")) is int:
            outcome.last_cell = max(outcome.last_cell, event["cell"])
            if isinstance(event.get("error"), dict):
                error = event["error"]
                outcome.cell_errors.append(CellError(event["cell"], str(error.get("type", "")),
                                                     str(error.get("message", "")), str(error.get("where", "")),
                                                     error.get("withheld") is True))
        elif kind == "note" and isinstance(event.get("text"), str):
            if len(outcome.notes) < 20:
                outcome.notes.append(one_line(event["text"], 300))
        elif kind == "number":
            number = _number(event)
            if number is None:
                outcome.notes.append("a recorded number in the judge's record was malformed; ignored")
            else:
                outcome.numbers[event["label"]] = number
        elif kind == "grading_note" and isinstance(event.get("text"), str):
            outcome.grading_notes.append(one_line(event["text"], 400))
        elif kind in ("ready", "ran_all", "end", "hidden"):
            setattr(outcome, {"ready": "started", "ran_all": "ran_all", "end": "ended",
                              "hidden": "hidden_seen"}[kind], True)
        elif kind == "gone":
            outcome.gone = one_line(str(event.get("why", "")), 300)
    return outcome


def _result(event, check_names):
    if set(event) != set(_RESULT_FIELDS) or any(not isinstance(event[k], t) or (t is not bool and isinstance(
            event[k], bool)) for k, t in _RESULT_FIELDS.items()):
        return None
    if (event["question"], event["name"]) not in check_names:
        return None
    points = check_names[(event["question"], event["name"])]
    if event["points"] != points or event["earned"] not in (0, points):
        return None
    return CheckResult(**event)


def _number(event):
    """`{"value", "better"}` of a "number" event of the record, or None when it is not one `record_number` writes."""
    label, value, better = event.get("label"), event.get("value"), event.get("better")
    if set(event) != {"label", "value", "better"} or not isinstance(label, str) or not label.strip():
        return None
    if len(label) > MAX_LABEL or better not in BETTER or type(value) not in (int, float) or not math.isfinite(value):
        return None
    return {"value": value, "better": better}


def _cell_label(outcome, number):
    for cell in outcome.cells:
        if cell.number == number:
            return cell.label
    return f"cell {number}"


def status_text(outcome, time_limit, memory_limit_gb):
    """One sentence on how the run ended, for the feedback file."""
    running = _cell_label(outcome, outcome.last_cell + 1) if outcome.cells else "its first cell"
    after = "only the checks that ran before count"
    # After a hidden check, the exit code is the student's to choose: it could spell a hidden input.
    exit_code = "" if outcome.hidden_seen or outcome.exit_code is None else f" (exit code {outcome.exit_code})"
    return {
        "ok": "ran to the end",
        "errors": "ran to the end, with errors in some cells (listed below)",
        "timeout": f"stopped after the time limit of {time_limit:g} s, while running {running}: {after}",
        "out of memory": f"stopped for using more than {memory_limit_gb:g} GB of memory, while running "
                         f"{running}: {after}",
        "crashed": f"the Python process ended abruptly{exit_code} while running {running}: {after}",
        "unreadable": f"the file could not be read: {outcome.problem}",
        "not graded": f"not graded: {outcome.problem}",
        "missing": "nothing to grade: no submission was received",
        "grader error": f"the grader could not finish grading this submission ({outcome.problem}); your teacher "
                        "will look at it",
    }.get(outcome.status, outcome.status)


def feedback_text(master, outcome, time_limit, memory_limit_gb):
    """The feedback file of one student: total, how the run ended, each check with its reason."""
    lines = [f"Assignment {master.name}: feedback for {quoted(outcome.student, 120)}",
             f"Total: {outcome.total:g} of {master.total_points:g} points",
             f"Run: {status_text(outcome, time_limit, memory_limit_gb)}", ""]
    for error in outcome.cell_errors:
        message = ("(its message is not shown: it came after a hidden check, whose inputs it could repeat)"
                   if error.withheld else quoted(error.message))
        lines.append(f"{_cell_label(outcome, error.cell)} raised {error.type}{error.where}: {message}")
    if outcome.cell_errors:
        lines.append("")
    if outcome.results:
        lines.append(format_results(outcome.results))
    ran = {(r.question, r.name) for r in outcome.results}
    missing = [c for c in master.checks if (c.question, c.name) not in ran]
    if missing and outcome.status not in ("not graded", "unreadable", "missing"):
        lines.append("")
        lines.append("Not run (the submission stopped before them): "
                     + ", ".join(f"{c.question} {c.description} ({c.points:g})" for c in missing))
    ignored = [n for n in outcome.notes if n.startswith("ignored")]
    if ignored:
        lines.append("")
        lines.append(f"Note: the grader ignored {len(ignored)} message(s) from your submission's process that it did "
                     "not ask for (code that writes to the grader's channel changes nothing)")
    return "\n".join(lines) + "\n"
