"""Grading a folder: one judge and one submission's process per student, limits, and the grades folder.

For each submission the grader starts the submission's process (forked by
the fork server, or a new interpreter) and a judge (a fork of the grader on
Linux, a thread elsewhere) connected to it, and watches both: the time limit
and the memory of every process the submission started. When a student's
processes are all gone, it writes that student's feedback and the grades so
far. Ctrl-C ends every submission's process at once and leaves the grades of
the students finished so far, marked incomplete; the same command resumes.
"""

import hashlib
import os
import pathlib
import signal
import sys
import tempfile
import threading
import time

from cnn_course.grading import _judge, _processes, _sandbox
from cnn_course.grading._feedback import Outcome, feedback_text, read_record
from cnn_course.grading._submissions import read_submission_cells
from cnn_course.grading._wire import ThreadedChannel

#: Seconds a judge may take to finish once its submission's process was stopped.
JUDGE_GRACE = 30
POLL = 0.05


def _close(*fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def run_judge(master, cells, fds, record_path, log_path, seed, key, label):
    """The judge's whole life, in its own process (or thread): grade, then write the output log."""
    to_runner, from_runner, output = fds
    record = _judge.Record(record_path, key, label)
    capture = _judge.OutputCapture(output)
    try:
        checks = _judge.load_checks(master)
        channel = ThreadedChannel(from_runner, to_runner)
        _judge.Judge(checks, cells, channel, record, seed).run()
    except Exception as exc:  # noqa: BLE001  (a judge that fails must say so in its record)
        record.write(e="note", text=f"the judge failed: {type(exc).__name__}: {exc}"[:300])
    finally:
        _close(to_runner, from_runner)
        text = capture.text(wait=5.0)
        _close(output)
        pathlib.Path(log_path).write_text(text, encoding="utf-8")


class Grading:
    """One submission being graded: its process, its judge, their limits.

    Args:
        batch: the `Batch` it belongs to.
        number: its position in the folder (1-based).
        entry: its `_submissions.Entry`.
        cells: its `SubmissionCell`s.
        sha256: the hash of its file.
    """

    def __init__(self, batch, number, entry, cells, sha256):
        self.batch, self.number, self.entry, self.cells, self.sha256 = batch, number, entry, cells, sha256
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix=f"{number:04d}_", dir=batch.scratch))
        self.record_path, self.log_path = self.folder / "record.jsonl", self.folder / "output.log"
        self.reason, self.killed_at, self.finished, self.exit_code = None, None, False, None
        self.judge_pid = self.judge_thread = self.popen = None
        self._next_memory_check = 0.0
        workdir = self.folder / "work"
        workdir.mkdir(mode=0o700)
        plan = _processes.plan_for(workdir, batch.sandbox, batch.binds, batch.quick, batch.seed, batch.time_limit)
        self.start = time.perf_counter()
        if batch.zygote is not None:
            self.warden_pid, fds = batch.zygote.start(plan)
            self.status_fd = fds.pop()
        else:
            self.popen, fds = _processes.spawn(plan, str(self.folder))
            self.warden_pid, self.status_fd = self.popen.pid, None
        self._start_judge(fds)

    def _start_judge(self, fds):
        args = (self.batch.master, self.cells, fds, self.record_path, self.log_path, self.batch.seed,
                self.batch.record_key, str(self.number))
        if self.batch.fork_judges:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader handles Ctrl-C
                    run_judge(*args)
                finally:
                    os._exit(0)
            self.judge_pid = pid
            _close(*fds)
        else:
            self.judge_thread = threading.Thread(target=run_judge, args=args, daemon=True)
            self.judge_thread.start()

    # -- watching -----------------------------------------------------------------------------------
    def _judge_done(self):
        if self.judge_pid is not None:
            try:
                pid, _ = os.waitpid(self.judge_pid, os.WNOHANG)
            except ChildProcessError:
                return True
            return pid != 0
        return not self.judge_thread.is_alive()

    def stop(self, reason):
        """End the submission's processes (all of them) for `reason`, once."""
        if self.reason is None:
            self.reason = reason
            self.killed_at = time.perf_counter()
        _sandbox.kill_tree(self.warden_pid)

    def poll(self):
        """Enforce the limits; returns True once the judge has finished and every process is gone."""
        now = time.perf_counter()
        if self.reason is None:
            if now - self.start > self.batch.time_limit:
                self.stop("timeout")
            elif now >= self._next_memory_check:
                self._next_memory_check = now + 0.1
                if _processes.tree_memory(self.warden_pid) > self.batch.memory_bytes:
                    self.stop("out of memory")
                elif self.judge_pid and _processes.process_memory(self.judge_pid) > self.batch.judge_memory_bytes:
                    self.stop("grader memory")
                    os.kill(self.judge_pid, signal.SIGKILL)
        if not self._judge_done():
            if self.killed_at is not None and now - self.killed_at > JUDGE_GRACE:
                if self.judge_pid:
                    os.kill(self.judge_pid, signal.SIGKILL)
                else:
                    return self._finish()  # a thread cannot be killed: give up on it
            return False
        return self._finish()

    def _finish(self):
        self.seconds = time.perf_counter() - self.start
        _sandbox.kill_tree(self.warden_pid)
        if self.popen is not None:
            try:
                self.exit_code = self.popen.wait(timeout=10)
            except Exception:  # noqa: BLE001  (it was killed: no status to read)
                self.exit_code = None
        elif self.status_fd is not None:
            os.set_blocking(self.status_fd, False)
            try:
                text = os.read(self.status_fd, 64).decode(errors="replace").strip()
                self.exit_code = int(text) if text.lstrip("-").isdigit() else None
            except OSError:
                self.exit_code = None
            _close(self.status_fd)
        _processes.wait_gone([self.warden_pid], 5)
        self.finished = True
        return True

    def kill_all(self):
        """Ctrl-C: end the submission's processes and the judge now."""
        self.stop("interrupted")
        if self.judge_pid:
            try:
                os.kill(self.judge_pid, signal.SIGKILL)
                os.waitpid(self.judge_pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass

    # -- the outcome --------------------------------------------------------------------------------
    def outcome(self):
        master = self.batch.master
        outcome = Outcome(self.entry.student, self.entry.source, cells=self.cells, sha256=self.sha256,
                          seconds=self.seconds, exit_code=self.exit_code)
        read_record(self.record_path, outcome, {(c.question, c.name): c.points for c in master.checks},
                    self.batch.record_key, str(self.number))
        memory_error = any(e.type == "MemoryError" for e in outcome.cell_errors)
        if self.reason in ("timeout", "out of memory"):
            outcome.status = self.reason
        elif self.reason == "grader memory":
            outcome.status, outcome.problem = "grader error", "the grader ran out of memory judging it"
        elif not outcome.started:
            outcome.status = "grader error"
            outcome.problem = "the submission's process did not start (the log says why)"
        elif outcome.ran_all and outcome.ended:
            outcome.status = "out of memory" if memory_error else "errors" if outcome.cell_errors else "ok"
        elif not outcome.ended:
            outcome.status, outcome.problem = "grader error", "the judge did not finish"
        else:
            outcome.status = "out of memory" if memory_error else "crashed"
        try:
            log = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            log = ""
        return outcome, log


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def prepare(entry):
    """`(cells, sha256, problem)` of an entry: its cells, or why it cannot be graded."""
    if entry.problem:
        return None, "", entry.problem
    try:
        cells = read_submission_cells(entry.path)  # checks first that it is a regular file
        return cells, sha256_of(entry.path), ""
    except (OSError, ValueError) as exc:
        return None, "", str(exc)
    except Exception as exc:  # noqa: BLE001  (whatever else reading it raised: this student's problem only)
        return None, "", f"{entry.path.name} could not be read ({type(exc).__name__})"


def unreadable_outcome(entry, problem, sha256=""):
    status = "not graded" if entry.problem else "unreadable"
    return Outcome(entry.student, entry.source, status=status, problem=problem, sha256=sha256), ""


def report_text(master, outcome, batch):
    return feedback_text(master, outcome, batch.time_limit, batch.memory_bytes / 1e9)
