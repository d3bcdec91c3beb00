"""The judge: grades one submission from outside the submission's process.

The judge holds the master's checks (public and hidden), the course secret
and the hidden inputs; the submission's process holds none of them. The
judge sends the student's cells, and at each `check("q..")` line the
submission reaches, runs that question's checks in its own process on
stand-ins of the student's objects (`_standins`). Every check's verdict,
points and message are decided here. What the judge learns goes to a
record file (one JSON object per line) that only the grader reads; what
the submission printed is kept, head and tail, in a log file.
"""

import builtins
import collections
import hashlib
import hmac
import inspect
import json
import os
import re
import threading

from cnn_course.checks import (
    CHECKS_FILENAME, collect_checks, one_line, quoted, run_check, take_grading_notes, take_recorded_numbers,
)
from cnn_course.grading import _runner
from cnn_course.grading._standins import RunnerGone, Session, StudentValues
from cnn_course.grading._submissions import cells_to_run
from cnn_course.grading._wire import ChannelClosed, ProtocolError

#: What is kept of the submission's output: this many bytes from its start and from its end.
OUTPUT_HEAD = OUTPUT_TAIL = 64 << 10
#: TensorFlow's C++ log lines that say nothing about the submission: information and warnings at start-up,
#: and an error line that TensorFlow 2.19+ prints for every tf.data pipeline and that is harmless.
_NOISE = re.compile(r"^(?:[IW]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+\] .*"
                    r"|E\d{4} .*use_unbounded_threadpool.*"
                    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
                    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate "
                    r"compiler flags\.)$")


def clean_log(text):
    """The submission's output without TensorFlow's harmless C++ log lines.

    Example:

    >>> clean_log("epoch 1\\nE0000 00:00:17.1  1 node_def_util.cc:682] NodeDef mentions attribute "
    ...           "use_unbounded_threadpool which is not in the op definition\\nepoch 2")
    'epoch 1\\nepoch 2'
    """
    return "\n".join(line for line in text.split("\n") if not _NOISE.match(line))


def load_checks(master):
    """The master's check functions by question, compiled in this (the judge's) process."""
    namespace = {"__name__": "cnn_course_assignment_checks"}
    for source in (master.public_source, master.hidden_source):
        exec(compile(source, CHECKS_FILENAME, "exec"), namespace)
    by_question = {}
    for function in collect_checks(namespace):
        by_question.setdefault(function.__check__.question, []).append(function)
    return {q: by_question[q] for q in master.questions if q in by_question}


class OutputCapture:
    """Reads a file descriptor to its end in a thread, keeping its first and last bytes."""

    def __init__(self, fd, head=OUTPUT_HEAD, tail=OUTPUT_TAIL):
        self._fd, self._head_size, self._tail_size = fd, head, tail
        self._head, self._tail, self._tail_bytes, self.total = bytearray(), collections.deque(), 0, 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self._fd, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                return
            self.total += len(chunk)
            room = self._head_size - len(self._head)
            if room > 0:
                self._head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self._tail.append(chunk)
                self._tail_bytes += len(chunk)
                while self._tail_bytes - len(self._tail[0]) >= self._tail_size:
                    self._tail_bytes -= len(self._tail.popleft())

    def text(self, wait=2.0):
        """What was kept, as text: the head, a line saying how much was left out, the tail."""
        self._thread.join(wait)
        tail = b"".join(self._tail)[-self._tail_size:]
        cut = self.total - len(self._head) - len(tail)
        middle = f"\n[... {cut:,} bytes of output not kept ...]\n".encode() if cut > 0 else b""
        return clean_log((bytes(self._head) + middle + tail).decode("utf-8", errors="replace"))


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,59}(\.[A-Za-z_][A-Za-z0-9_]{0,59}){0,3}")


def exception_name(raw, strict=False):
    """An exception's class name as the feedback may show it: a plain (dotted) name, else a description.

    With `strict` (a hidden check has run), only Python's own exception names are shown: a class of the
    student's could be named after the hidden inputs.

    Example:

    >>> exception_name("ValueError"), exception_name("Total: 22 of 22 points")
    ('ValueError', 'an exception of its own class')
    """
    if not isinstance(raw, str) or not _IDENTIFIER.fullmatch(raw):
        return "an exception of its own class"
    if strict and not isinstance(getattr(builtins, raw, None), type):
        return "an exception of its own class"
    return raw


def record_mac(key, label, event):
    """The HMAC that signs one line of a judge's record: `key` is the run's, `label` the submission's."""
    text = label + "\n" + json.dumps(event, sort_keys=True)
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


class Record:
    """The judge's record of one submission: JSON lines, each signed and flushed as soon as it is known.

    Each line carries a sequence number and an HMAC under a key that exists only in the grader's
    memory (`record_mac`), so that a line written by anyone else, or copied from another
    submission's record, is recognised and ignored when the grader reads it.
    """

    def __init__(self, path, key, label):
        self._handle = open(path, "a", encoding="utf-8")  # noqa: SIM115  (open for the judge's life)
        self._key, self._label, self._number = key, label, 0

    def write(self, **event):
        self._number += 1
        event["n"] = self._number
        event["mac"] = record_mac(self._key, self._label, event)
        self._handle.write(json.dumps(event) + "\n")
        self._handle.flush()


class Judge:
    """Grades one submission: sends its cells, runs each question's checks at its checkpoint.

    Args:
        checks: question -> check functions (`load_checks`).
        cells: the submission's `SubmissionCell`s.
        channel: a `ThreadedChannel` to the submission's process.
        record: a `Record`.
        seed: the seed the submission's process sets before its first cell.
    """

    def __init__(self, checks, cells, channel, record, seed=0):
        self.checks, self.cells, self.channel, self.record, self.seed = checks, cells, channel, record, seed
        self.pending = dict(checks)
        self.cell_errors, self.cells_run = {}, set()
        self.notes = self.strays = 0
        self.rebuilt = {}  # models rebuilt at one checkpoint, reused at the next when nothing changed
        #: Set once a hidden check has run: from then on the student's process may know hidden inputs, so
        #: the feedback shows no text of its own making (error messages, class names, exit codes).
        self.hidden_seen = False

    def note(self, text):
        """A line for the record about something the submission's process did out of turn (the first 20)."""
        self.notes += 1
        if self.notes <= 20:
            self.record.write(e="note", text=one_line(text, 300))

    def stray(self, text):
        """A message the judge did not expect: noted, and past 100 of them the channel is given up."""
        self.note(text)
        self.strays += 1
        if self.strays > 100:
            raise ProtocolError("the submission's process kept sending messages out of turn")

    def run(self):
        try:
            message, _ = self.channel.receive()
            if message.get("type") != "ready":
                raise ProtocolError("the submission's process did not start as expected")
            self.record.write(e="ready")
            self.channel.send({"type": "run", "cells": cells_to_run(self.cells, _runner.HOOK), "seed": self.seed})
            self._follow()
        except (ChannelClosed, ProtocolError, RunnerGone) as exc:
            self.record.write(e="gone", why=one_line(str(exc) or "the submission's process ended", 300))
        self.record.write(e="end")

    def _follow(self):
        while True:
            message, _ = self.channel.receive()
            kind = message["type"]
            if kind == "cell":
                self._cell(message)
            elif kind == "checkpoint":
                question = message.get("question")
                if question in self.pending:
                    self._grade(question)
                self.channel.send({"type": "resume"})
            elif kind == "done":
                self.record.write(e="ran_all")
                for question in list(self.pending):
                    self._grade(question)
                try:
                    self.channel.send({"type": "exit"})
                except ChannelClosed:
                    pass
                return
            else:
                self.stray(f"ignored a message of type {one_line(kind, 40)!r} sent out of turn")

    def _cell(self, message):
        number, error = message.get("cell"), message.get("error")
        if type(number) is not int or not 1 <= number <= len(self.cells) or number in self.cells_run:
            self.stray("ignored a cell report that does not match the submission's cells")
            return
        seconds = message.get("seconds")
        self.cells_run.add(number)
        event = {"e": "cell", "cell": number,
                 "seconds": float(seconds) if type(seconds) in (int, float) and seconds >= 0 else None}
        if error is not None:
            if not isinstance(error, dict):
                error = {}
            text = one_line(error.get("message"), 300) if isinstance(error.get("message"), str) else ""
            self.cell_errors[number] = event["error"] = {
                "type": exception_name(error.get("type"), self.hidden_seen), "message": text,
                "where": self._where(error.get("where")), "withheld": self.hidden_seen}
        self.record.write(**event)

    def _where(self, where):
        if not isinstance(where, dict) or type(where.get("cell")) is not int or type(where.get("line")) is not int:
            return ""
        if not 1 <= where["cell"] <= len(self.cells) or where["line"] < 1:
            return ""
        place = self.cells[where["cell"] - 1].place(where["line"])
        function = where.get("function")
        if isinstance(function, str) and function.isidentifier():
            return f" (in {function}, {place})"
        return f" ({place})"

    def _grade(self, question):
        functions = self.pending.pop(question)
        names = list(dict.fromkeys(name for f in functions for name in inspect.signature(f).parameters))
        session = Session(self.channel, self.stray, self.rebuilt)
        session.where_text = self._where
        session.exception_name = lambda raw: exception_name(raw, self.hidden_seen)
        nodes, blobs = session.get(names)
        values = StudentValues(session, nodes, blobs, self._missing)
        for function in functions:
            if function.__check__.hidden:
                if not self.hidden_seen:
                    self.record.write(e="hidden")
                self.hidden_seen = session.hidden = True
            result = run_check(function, values)
            self.record.write(e="check", **result.to_dict())
            for text in take_grading_notes():
                self.record.write(e="grading_note", text=text)
            for number in take_recorded_numbers():  # computed here, by the check: the class standing's numbers
                self.record.write(e="number", **number)

    def _missing(self, name, ellipsis=False):
        """Why `name` is not there when a question is checked, pointing at the cell to fix."""
        if ellipsis:
            return f"`{name}` still holds `...`: replace it with your answer and run its cell"
        defining = [cell for cell in self.cells if name in cell.defines]
        if not defining:
            return (f"`{name}` is not defined anywhere in your submission: write your answer (`{name} = ...`) "
                    "in the question's cell and run it")
        for cell in defining:
            error = self.cell_errors.get(cell.number)
            if error:
                return (f"`{name}` is not defined: {cell.label} stopped with {error['type']}{error['where']}: "
                        f"{quoted(error['message'], 200)} before setting it. Fix that, then run every cell from "
                        "the top, in order")
        if all(cell.number not in self.cells_run for cell in defining):
            return (f"`{name}` is defined only in {defining[0].label}, which comes after this question's "
                    "check() line: move your answer above it")
        return f"`{name}` is not defined when this question is checked: run every cell from the top, in order"
