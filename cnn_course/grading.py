"""The teacher's side: grade a folder of submissions, each in its own process with time and memory limits.

`grade_folder` (behind `cnn-course assignment grade`) runs every submission in a
fresh child process: seeded, in grading mode, in an empty working folder, with
a wall-clock limit and a memory limit. A crash, a timeout or running out of
memory is recorded with the points of the checks that ran before it, and
grading goes on. It writes `grades.csv` (one row per student, one column per
question) and one feedback file per student. Submissions are only read.
"""

import csv
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

import psutil

from cnn_course._validation import arg_error, check_positive_int
from cnn_course.assignment_source import Master
from cnn_course.checks import CheckResult, format_results
from cnn_course.files import write_text_atomically
from cnn_course import submission
from cnn_course.submission import GRADING_ENV

#: Default limits per submission: wall-clock seconds and memory in GB.
TIME_LIMIT = 600
MEMORY_LIMIT_GB = 4.0
SUFFIXES = (".ipynb", ".py")


def find_submissions(folder):
    """Return `(student, path)` pairs for a folder of submissions, and the names it skipped.

    A submission is a `.ipynb` or `.py` file directly in `folder` (the student
    is its file name without the suffix), or the only such file in a subfolder
    (the student is the subfolder's name). Hidden files and folders are ignored.

    Returns:
        `(submissions, skipped)`: a sorted list of pairs, and a list of
        "name: reason" strings.
    """
    folder = pathlib.Path(folder)
    found, skipped = [], []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_dir():
            inside = sorted(p for p in entry.rglob("*") if p.suffix in SUFFIXES and p.is_file()
                            and not any(part.startswith(".") for part in p.relative_to(entry).parts))
            if len(inside) == 1:
                found.append((entry.name, inside[0]))
            else:
                skipped.append(f"{entry.name}/: holds {len(inside)} .ipynb/.py files, expected exactly one")
        elif entry.suffix in SUFFIXES:
            found.append((entry.stem, entry))
        else:
            skipped.append(f"{entry.name}: not a .ipynb or .py file")
    stems = [s for s, _ in found]
    found = [(s if stems.count(s) == 1 else p.name, p) for s, p in found]
    return found, skipped


def _memory_of(process):
    """Resident memory in bytes of a psutil process and its children (0 if it is gone)."""
    try:
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0


def _kill(process):
    try:
        for child in process.children(recursive=True):
            child.kill()
        process.kill()
    except psutil.Error:
        pass


def _start_forked(config, workdir, log_path, env):
    """Fork a child of this (pristine) process: it starts with the libraries already imported."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # in the child: never return into the parent's code
        os.setsid()
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
        sys.stderr = sys.stdout
        os.chdir(workdir)
        os.environ.update(env)
        submission.run(config["submission"], config["check_sources"], config["results"], config["seed"])
        code = 0
    except BaseException:  # noqa: BLE001  (a child must end here, whatever happened)
        traceback.print_exc()
    finally:
        os._exit(code)


def _start_spawned(config_path, workdir, log_path, env):
    log = open(log_path, "ab")
    kwargs = {"start_new_session": True} if os.name == "posix" else {
        "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    child = subprocess.Popen([sys.executable, "-m", "cnn_course.submission", str(config_path)],
                             cwd=workdir, env={**os.environ, **env}, stdout=log, stderr=log,
                             stdin=subprocess.DEVNULL, **kwargs)
    log.close()
    return child.pid


def can_fork():
    """True where children are forked from the grader (Linux); elsewhere each is a new interpreter."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class Run:
    """One submission being graded in its own child process.

    Args:
        master: a `Master`.
        submission: path of the .ipynb or .py file.
        workdir: an empty folder: the child's working folder, and where its
            results and log go.
        time_limit: wall-clock seconds before the child is stopped.
        memory_limit_gb: resident memory (child and its children) before it is stopped.
        seed: the seed set before the submission's first cell.
        quick: run in quick mode (`CNN_COURSE_QUICK=1`): for tests and dry runs.
        fork: fork the child from this process (default: on Linux).
    """

    def __init__(self, master, submission, workdir, time_limit=TIME_LIMIT, memory_limit_gb=MEMORY_LIMIT_GB,
                 seed=0, quick=False, fork=None):
        self.workdir = pathlib.Path(workdir)
        self.results_path, self.log_path = self.workdir / "results.jsonl", self.workdir / "output.log"
        config = {"submission": str(pathlib.Path(submission).resolve()), "seed": seed,
                  "check_sources": [master.public_source, master.hidden_source],
                  "results": str(self.results_path)}
        config_path = self.workdir / "config.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        env = {GRADING_ENV: "1", "CNN_COURSE_QUICK": "1" if quick else "0", "MPLBACKEND": "Agg",
               "PYTHONHASHSEED": str(seed)}
        fork = can_fork() if fork is None else fork
        self.time_limit, self.limit_bytes = time_limit, memory_limit_gb * 1e9
        self.start = time.perf_counter()
        pid = (_start_forked(config, self.workdir, self.log_path, env) if fork
               else _start_spawned(config_path, self.workdir, self.log_path, env))
        self.process = psutil.Process(pid)
        self.status, self.exit_code, self.finished = None, None, False

    def poll(self, wait=0.0):
        """Check on the child (waiting up to `wait` seconds); stop it past a limit. True once it ended."""
        if self.finished:
            return True
        try:
            self.exit_code = self.process.wait(timeout=wait)
            self.finished = True
        except psutil.TimeoutExpired:
            if time.perf_counter() - self.start > self.time_limit:
                self.status = "timeout"
            elif _memory_of(self.process) > self.limit_bytes:
                self.status = "out of memory"
            if self.status:
                _kill(self.process)
                try:
                    self.exit_code = self.process.wait(timeout=10)
                except psutil.TimeoutExpired:
                    pass
                self.finished = True
        if self.finished:
            self.seconds = time.perf_counter() - self.start
        return self.finished

    def record(self):
        """What the child left behind, once it ended (a dict).

        Returns:
            A dict with "status" ("ok"; "errors" when a cell raised and the run
            went on; "timeout", "out of memory", "crashed", "unreadable"),
            "seconds", "results" (`CheckResult`s), "cell_errors", "exit_code",
            "last_cell" (the last cell that finished) and "log" (what it printed).
        """
        events = []
        if self.results_path.exists():
            for line in self.results_path.read_text(encoding="utf-8").splitlines():
                try:
                    events.append(json.loads(line))
                except ValueError:
                    break  # a line cut short by a kill
        results = [CheckResult(**{k: v for k, v in e.items() if k != "event"})
                   for e in events if e["event"] == "check"]
        cell_errors = [e for e in events if e["event"] == "cell_error"]
        status = self.status
        if status is None and any("MemoryError" in e["error"] for e in cell_errors):
            status = "out of memory"
        if status is None:
            if any(e["event"] == "unreadable" for e in events):
                status = "unreadable"
            elif any(e["event"] == "done" for e in events):
                status = "errors" if cell_errors else "ok"
            else:
                status = "crashed"
        log = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return {"status": status, "seconds": self.seconds, "results": results, "cell_errors": cell_errors,
                "exit_code": self.exit_code, "log": log,
                "unreadable": [e["error"] for e in events if e["event"] == "unreadable"],
                "last_cell": max((e["cell"] for e in events if e["event"] == "cell"), default=0)}


def _status_text(record, time_limit, memory_limit_gb):
    status = record["status"]
    if status == "timeout":
        return (f"stopped after the time limit of {time_limit:g} s, while running cell "
                f"{record['last_cell'] + 1}: only the checks that ran before count")
    if status == "out of memory":
        return (f"stopped for using more than {memory_limit_gb:g} GB of memory, in cell "
                f"{record['last_cell'] + 1}: only the checks that ran before count")
    if status == "crashed":
        return (f"the Python process ended abruptly (exit code {record['exit_code']}) in cell "
                f"{record['last_cell'] + 1}: only the checks that ran before count")
    if status == "unreadable":
        return f"the file could not be read: {record['unreadable'][0]}"
    if status == "errors":
        return "ran to the end, with errors in some cells (listed below)"
    return "ran to the end"


def feedback_text(master, student, record, time_limit=TIME_LIMIT, memory_limit_gb=MEMORY_LIMIT_GB):
    """The feedback file of one student: total, how the run ended, every check with its public reason."""
    results = record["results"]
    earned = sum(r.earned for r in results)
    ran = {(r.question, r.name) for r in results}
    lines = [f"Assignment {master.name}: feedback for {student}",
             f"Total: {earned:g} of {master.total_points:g} points",
             f"Run: {_status_text(record, time_limit, memory_limit_gb)} ({record['seconds']:.0f} s)", ""]
    for error in record["cell_errors"]:
        lines.append(f"Cell {error['cell']} raised {error['error']}")
    if record["cell_errors"]:
        lines.append("")
    lines.append(format_results(results))
    missing = [c for c in master.checks if (c.question, c.name) not in ran]
    if missing:
        lines.append("")
        lines.append("Not run (the submission stopped before them): "
                     + ", ".join(f"{c.question} {c.description} ({c.points:g})" for c in missing))
    return "\n".join(lines) + "\n"


def grade_folder(master, submissions_dir, output_dir, time_limit=TIME_LIMIT,
                 memory_limit_gb=MEMORY_LIMIT_GB, seed=0, quick=False, fork=None, log=print, jobs=1):
    """Grade every submission in a folder; write `grades.csv`, `feedback/<student>.txt` and more.

    In `output_dir`: `grades.csv` (one row per student: points per question,
    total, status), `feedback/<student>.txt` (every check with its public
    reason), `logs/<student>.log` (what the submission printed) and
    `results.json` (every check's points per student, for scripts).

    Args:
        master: a `Master`, or the path of a master source.
        submissions_dir: the folder of submissions (see `find_submissions`); only read.
        output_dir: where to write the grades and feedback; must not be inside
            `submissions_dir`.
        time_limit: wall-clock seconds per submission.
        memory_limit_gb: memory per submission, in GB.
        seed: the seed every submission starts from.
        quick: grade in quick mode (tests, dry runs).
        fork: fork children from this process (default: on Linux, when this
            process has not imported TensorFlow yet); False starts a new Python
            interpreter for each.
        log: function called with one progress line per submission.
        jobs: how many submissions to grade at once (each in its own process;
            on a machine with many cores, up to cores / 2 for Keras work).

    Returns:
        A list of row dicts, one per student, as written to `grades.csv`.

    Raises:
        ValueError: if the folder does not exist, holds no submission, or
            `output_dir` is inside it; if a limit is not a number > 0.
    """
    jobs = check_positive_int("jobs", jobs)
    for name, value in (("time_limit", time_limit), ("memory_limit_gb", memory_limit_gb)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise arg_error(name, value, "a number > 0")
    if not isinstance(master, Master):
        master = Master(master)
    submissions_dir, output_dir = pathlib.Path(submissions_dir), pathlib.Path(output_dir)
    if not submissions_dir.is_dir():
        raise ValueError(f"The submissions folder {submissions_dir} does not exist or is not a folder. "
                         "Fix: name the folder that holds one .ipynb or .py file per student")
    if output_dir.resolve().is_relative_to(submissions_dir.resolve()):
        raise ValueError(f"The output folder {output_dir} is inside the submissions folder "
                         f"{submissions_dir}; submissions are never written to. Fix: --output elsewhere")
    submissions, skipped = find_submissions(submissions_dir)
    for note in skipped:
        log(f"skipped {note}")
    if not submissions:
        raise ValueError(f"No submission in {submissions_dir}: expected .ipynb or .py files, one per "
                         "student (or one per student's subfolder)")
    if fork is None:
        # Fork only from a process that has not run TensorFlow yet: its thread pools do not survive a fork.
        fork = can_fork() and "tensorflow" not in sys.modules
    if fork:
        _preload(master)
    rows, details = {}, {}
    questions = list(master.questions)
    waiting = list(enumerate(submissions, start=1))
    running = []
    with tempfile.TemporaryDirectory(prefix="cnn_course_grading_") as scratch:
        while waiting or running:
            while waiting and len(running) < jobs:
                number, (student, path) = waiting.pop(0)
                workdir = pathlib.Path(scratch) / f"{number:04d}"
                workdir.mkdir()
                running.append((number, student, path, Run(master, path, workdir, time_limit,
                                                           memory_limit_gb, seed, quick, fork)))
            for item in list(running):
                number, student, path, run = item
                if not run.poll(wait=0.1 / len(running)):
                    continue
                running.remove(item)
                record = run.record()
                points = {q: sum(r.earned for r in record["results"] if r.question == q) for q in questions}
                total = sum(points.values())
                rows[number] = {"student": student, "file": path.name,
                                **{q: f"{points[q]:g}" for q in questions},
                                "total": f"{total:g}", "max": f"{master.total_points:g}",
                                "status": record["status"], "seconds": f"{record['seconds']:.1f}",
                                "notes": "; ".join(f"cell {e['cell']}: {e['error'][:80]}"
                                                   for e in record["cell_errors"][:3])}
                earned = {f"{c.question}.{c.name}": 0 for c in master.checks}  # 0: failed or never ran
                earned.update({f"{r.question}.{r.name}": r.earned for r in record["results"]})
                details[student] = {"status": record["status"], "total": total, "checks": earned,
                                    "cell_errors": record["cell_errors"]}
                write_text_atomically(output_dir / "feedback" / f"{student}.txt",
                            feedback_text(master, student, record, time_limit, memory_limit_gb))
                write_text_atomically(output_dir / "logs" / f"{student}.log", record["log"])
                log(f"[{number}/{len(submissions)}] {student}: {total:g} of {master.total_points:g} points, "
                    f"{record['status']}, {record['seconds']:.1f} s")
                shutil.rmtree(run.workdir, ignore_errors=True)
    rows = [rows[number] for number in sorted(rows)]
    details = {row["student"]: details[row["student"]] for row in rows}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomically(output_dir / "grades.csv", buffer.getvalue())
    write_text_atomically(output_dir / "results.json", json.dumps(details, indent=1) + "\n")
    log(f"Wrote {output_dir / 'grades.csv'} and {len(rows)} feedback files in {output_dir / 'feedback'}")
    return rows


def _preload(master):
    """Import (and read) here, once, what every forked child would otherwise load again.

    Only what runs no TensorFlow op: Keras's import, and the MNIST sample's parsed CSV file.
    """
    if _uses_tensorflow(master):
        from cnn_course.settings import import_keras

        import_keras()
    if "load_mnist_sample(" in master.text:
        from cnn_course import datasets

        datasets.load_mnist_sample()  # cached: the children inherit the parsed digits


def _uses_tensorflow(master):
    """Whether the master's code (given code, solution, checks) imports Keras or TensorFlow."""
    code = "\n".join(c.source for c in master.cells if c.kind == "code")
    return re.search(r"^\s*(import|from)\s+(keras|tensorflow)\b|import_keras\(|"
                     r"from cnn_course import .*\b(models|training|transfer|shapes_base|reproducibility)\b",
                     code, flags=re.M) is not None

