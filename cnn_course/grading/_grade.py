"""`grade_folder`: grade every submission of a folder into a grades folder."""

import contextlib
import dataclasses
import os
import pathlib
import re
import secrets
import sys
import tempfile
import time

from cnn_course._validation import arg_error, check_number, check_positive_int
from cnn_course.grading._masters import Master
from cnn_course.checks import grading_context
from cnn_course.grading import _batch, _platforms, _processes, _sandbox, _zygote
from cnn_course.grading._feedback import Outcome
from cnn_course.grading._outputs import GradesFolder
from cnn_course.grading._secret import default_secret_file, load_secret

#: Defaults per submission: wall-clock seconds (when the master sets none) and memory in GB.
TIME_LIMIT = 600
MEMORY_LIMIT_GB = 4.0
SANDBOX_MODES = ("auto", "require", "off")
#: What a submission's process can do when it runs without the sandbox.
UNPROTECTED = ("its code can read and change every file you can (the masters, the other submissions, the "
               "grades), use the network, and reach the grader's processes")


@dataclasses.dataclass
class Batch:
    """The settings every submission of one grading run shares."""

    master: Master
    scratch: str
    sandbox: bool
    binds: list
    quick: bool
    seed: int
    time_limit: float
    memory_bytes: float
    judge_memory_bytes: float
    fork_judges: bool
    zygote: object = None
    #: The key that signs the judges' records; it exists only in the grader's memory.
    record_key: bytes = dataclasses.field(default_factory=lambda: secrets.token_bytes(32))


def how_to_enable():
    """One sentence on how to get the sandbox on this machine."""
    if not sys.platform.startswith("linux"):
        return "The sandbox needs Linux namespaces: grade on Linux (a virtual machine or WSL 2 will do)."
    settings = {"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": ("1", "0"),
                "/proc/sys/kernel/unprivileged_userns_clone": ("0", "1"),
                "/proc/sys/user/max_user_namespaces": ("0", "10000")}
    for path, (bad, good) in settings.items():
        try:
            value = pathlib.Path(path).read_text().strip()
        except OSError:
            continue
        if value == bad:
            name = path.removeprefix("/proc/sys/").replace("/", ".")
            return f"To enable it: sudo sysctl -w {name}={good}"
    return "This kernel refuses unprivileged user namespaces; ask your administrator to allow them."


def choose_sandbox(mode, scratch, binds):
    """`(use the sandbox?, note for the teacher or None)` for `--sandbox auto|require|off`."""
    if mode == "off":
        return False, f"graded without the sandbox (--sandbox off): {UNPROTECTED}."
    why = "this system has no Linux namespaces"
    if _sandbox.supported():
        probe_dir = tempfile.mkdtemp(prefix="probe_", dir=scratch)
        ok, why = _sandbox.probe(_processes.plan_for(probe_dir, True, binds, True, 0, 60))
        if ok:
            return True, None
        why = f"the kernel refused: {why.splitlines()[-1] if why else 'no reason given'}"
    if mode == "require":
        raise ValueError(f"--sandbox require: the sandbox is not available here ({why}). {how_to_enable()} Or "
                         "grade with --sandbox auto to grade without it")
    return False, f"graded without the sandbox ({why}): {UNPROTECTED}. {how_to_enable()}"


def uses_tensorflow(master):
    """Whether the master's code (given code, solution, checks) imports Keras or TensorFlow."""
    code = "\n".join(c.source for c in master.cells if c.kind == "code")
    return re.search(r"^\s*(import|from)\s+(keras|tensorflow)\b|import_keras\(|"
                     r"from cnn_course import .*\b(models|training|transfer|shapes_base|reproducibility)\b",
                     code, flags=re.M) is not None


@contextlib.contextmanager
def _environment(**values):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _validate(time_limit, memory_limit_gb, jobs, sandbox):
    for name, value in (("time_limit", time_limit), ("memory_limit_gb", memory_limit_gb)):
        if value is None and name == "time_limit":
            continue
        check_number(name, value, low=0, low_open=True)
    if sandbox not in SANDBOX_MODES:
        raise arg_error("sandbox", sandbox, "one of " + ", ".join(SANDBOX_MODES))
    return check_positive_int("jobs", jobs)


def grade_folder(master, submissions_dir, output_dir, time_limit=None, memory_limit_gb=MEMORY_LIMIT_GB, seed=0,
                 quick=False, fork=None, log=print, jobs=1, sandbox="auto", secret_file=None, merge=False,
                 layout="auto", roster=None):
    """Grade every submission in a folder; write `grades.csv`, `results.json`, `feedback/` and `logs/`.

    Each submission runs in its own process, which holds no check and no
    hidden input: a judge in the grader's own process runs every check at the
    submission's `check("q..")` lines, on the student's objects sent as plain
    data (see `assignments/README.md`, "Trust"). With the sandbox (Linux), the
    submission's process sees only Python, the course's package and an empty
    working folder, has no network, and every process it starts ends with it.

    Args:
        master: a `Master`, or the path of a master source.
        submissions_dir: the folder of submissions (`find_submissions`), or a Canvas or Moodle export
            (the folder or its .zip, see `_platforms`); only read.
        output_dir: where to write the grades; not inside `submissions_dir`. A
            folder that holds complete grades of this assignment is refused
            unless `merge`; one left incomplete by an interrupted run is resumed.
        time_limit: wall-clock seconds per submission (default: the master's `TIME_LIMIT`).
        memory_limit_gb: memory per submission, every process it starts counted.
        seed: the seed every submission starts from.
        quick: grade in quick mode (tests, dry runs).
        fork: fork each submission's process from a fork server (default: on Linux);
            False starts a new interpreter for each.
        log: function called with one progress line per submission.
        jobs: how many submissions to grade at once.
        sandbox: "auto" (the sandbox where the system allows it, else a note),
            "require" (refuse without it) or "off".
        secret_file: the course secret's file (default: `$CNN_COURSE_SECRET`,
            else `~/.config/cnn_course/course_secret`, made on first use).
        merge: add these grades to complete grades already in `output_dir`.
        layout: "auto" (detected), "plain", "canvas" or "moodle" (`_platforms.detect_layout`).
        roster: a CSV of platform_id,student_id[,name] (`_platforms.read_roster`): ids become student
            ids, and each student on it who handed in nothing gets a row, status "missing".

    Returns:
        The rows of `grades.csv` (dicts), one per student, in order.

    Raises:
        ValueError: a folder (or zip) that does not exist or holds no submission, an unsafe zip, a bad roster, an
            output folder inside the submissions or holding other grades, a
            limit that is not a number > 0, `sandbox="require"` without one.
    """
    jobs = _validate(time_limit, memory_limit_gb, jobs, sandbox)
    if not isinstance(master, Master):
        master = Master(master)
    submissions_dir, output_dir = pathlib.Path(submissions_dir), pathlib.Path(output_dir)
    if output_dir.resolve().is_relative_to(submissions_dir.resolve()):
        raise ValueError(f"The output folder {output_dir} is inside the submissions folder {submissions_dir}; "
                         "submissions are never written to. Fix: --output elsewhere")
    roster = _platforms.read_roster(roster) if roster is not None else None
    with _platforms.opened(submissions_dir) as unpacked:  # a zip: unpacked in a temporary folder, removed after
        entries, description = _platforms.find_entries(unpacked, layout, roster)
        if not any(not e.missing for e in entries):
            raise ValueError(f"No submission in {submissions_dir}: expected .ipynb or .py files, one per student "
                             "(or one per student's subfolder), or a Canvas or Moodle export (the folder or its "
                             ".zip)")
        log(f"Reading {submissions_dir} as {description}")
        return _grade_entries(master, submissions_dir, unpacked, entries, output_dir, time_limit, memory_limit_gb,
                              seed, quick, fork, log, jobs, sandbox, secret_file, merge)


def _grade_entries(master, submissions_dir, unpacked, entries, output_dir, time_limit, memory_limit_gb, seed, quick,
                   fork, log, jobs, sandbox, secret_file, merge):
    folder = GradesFolder(output_dir, master, submissions_dir, merge)
    secret, secret_where = load_secret(secret_file, log)
    time_limit = time_limit or master.time_limit or TIME_LIMIT
    linux = sys.platform.startswith("linux") and hasattr(os, "fork")
    fork = linux if fork is None else bool(fork) and linux
    # Judges are forked from this process, unless TensorFlow was imported here before (by the caller: a
    # notebook, a test run): it may have run operations, and TensorFlow does not survive a fork after that.
    fork_judges = linux and "tensorflow" not in sys.modules
    if not fork_judges and jobs > 1:
        log("Grading one submission at a time: several at once need Linux, and a process that has not run "
            "TensorFlow yet")
        jobs = 1
    from cnn_course.grading._masters import masters_dirs

    hidden = [master.path.parent, submissions_dir, unpacked, output_dir, secret_where if secret_file or
              pathlib.Path(secret_where).exists() else None, default_secret_file().parent,
              os.environ.get("KERAS_HOME") or pathlib.Path.home() / ".keras",
              *[folder for folder in masters_dirs() if folder.is_dir()]]
    binds = _processes.visible_paths(hidden)
    with tempfile.TemporaryDirectory(prefix="cnn_course_grading_") as scratch:
        os.chmod(scratch, 0o700)
        use_sandbox, note = choose_sandbox(sandbox, scratch, binds)
        notes = [note] if note else []
        if quick:
            notes.append("graded in quick mode (small data, few epochs): for trying the checks, not for grades")
        for line in notes:
            log(f"Note: {line}")
        batch = Batch(master, scratch, use_sandbox, binds, quick, seed, time_limit, memory_limit_gb * 1e9,
                      max(memory_limit_gb, 4.0) * 1e9, fork_judges=fork_judges)
        with grading_context(secret, master.name), _environment(CNN_COURSE_QUICK="1" if quick else "0"):
            return _run(batch, entries, folder, fork, jobs, notes, log)


def _run(batch, entries, folder, fork, jobs, notes, log):
    master = batch.master
    _start_preloading(batch, fork)
    waiting, running, total = list(enumerate(entries, start=1)), [], len(entries)
    seen_notes = list(notes)

    def finish(outcome, text):
        entry = entry_of[outcome.student]
        for line in outcome.grading_notes:
            if line not in seen_notes:
                seen_notes.append(line)
                log(f"Note: {line}")
        row, details = _row(master, outcome, entry)
        feedback = _platforms.with_hand_in_lines(_batch.report_text(master, outcome, batch), entry)
        before = folder.add(outcome, row, details, feedback, text)
        folder.save(complete=False, notes=seen_notes)
        change = "" if before is None or before == outcome.total else f" (was {before:g})"
        log(f"[{number_of[outcome.student]}/{total}] {outcome.student}: {outcome.total:g} of "
            f"{master.total_points:g} points{change}, {outcome.status}, {outcome.seconds:.1f} s")

    number_of = {entry.student: number for number, entry in waiting}
    entry_of = {entry.student: entry for entry in entries}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                _start_next(batch, waiting, running, folder, total, finish, log)
            for grading in list(running):
                if grading.poll():
                    running.remove(grading)
                    finish(*grading.outcome())
            time.sleep(_batch.POLL)
    except KeyboardInterrupt:
        _stop_interrupted(running, folder, seen_notes, log)
        raise
    finally:
        if batch.zygote is not None:
            batch.zygote.stop()
    folder.save(complete=True, notes=seen_notes)
    log(f"Wrote {folder.folder / 'grades.csv'} and {len(folder.students)} feedback files in "
        f"{folder.folder / 'feedback'}")
    return [folder.students[s]["row"] for s in sorted(folder.students)]


def _start_preloading(batch, fork):
    """Start the fork server (with `fork`) and load Keras and the sample data here for forked judges, as needed."""
    master = batch.master
    tensorflow = uses_tensorflow(master)
    preload = (["keras"] if tensorflow else []) + (["mnist_sample"] if "load_mnist_sample(" in master.text
                                                   else [])
    if fork:  # started first: it imports Keras in its own process while this one imports it too
        env = _processes.runner_env(batch.scratch, batch.quick, batch.seed, batch.scratch)
        batch.zygote = _processes.Zygote(preload, env, batch.scratch)
    if batch.fork_judges:  # once, here: every judge forked from this process starts with these loaded
        _zygote.preload(preload)


def _start_next(batch, waiting, running, folder, total, finish, log):
    """Take the next waiting submission: keep its earlier grades, `finish` it if unreadable, else start it."""
    number, entry = waiting.pop(0)
    if entry.missing:  # on the roster, nothing handed in
        finish(Outcome(entry.student, "", status="missing", problem=entry.problem), "")
        return
    cells, sha256, problem = _batch.prepare(entry)
    if folder.already_graded(entry.student, sha256):
        log(f"[{number}/{total}] {entry.student}: graded before the interruption, kept")
        return
    if problem:
        finish(*_batch.unreadable_outcome(entry, problem, sha256))
        return
    try:
        running.append(_batch.Grading(batch, number, entry, cells, sha256))
    except (OSError, RuntimeError, ValueError) as exc:  # the grader could not start this one
        outcome, text = _batch.unreadable_outcome(entry, f"its process could not start: {exc}", sha256)
        outcome.status = "grader error"
        finish(outcome, text)


def _stop_interrupted(running, folder, seen_notes, log):
    """On Ctrl-C: kill every running submission's processes and save the grades so far, marked incomplete."""
    for grading in running:
        grading.kill_all()
    folder.save(complete=False, notes=seen_notes)
    log(f"Interrupted: every submission's process was stopped; the grades of the {len(folder.students)} "
        f"student(s) finished so far are in {folder.folder} (marked incomplete). Run the same command again "
        "to grade the rest")


def _row(master, outcome, entry=None):
    points = {q: sum(r.earned for r in outcome.results if r.question == q) for q in master.questions}
    notes = [f"{e.type} in {_short_label(outcome, e.cell)}" for e in outcome.cell_errors[:3]]
    if outcome.problem:
        notes.insert(0, outcome.problem[:200])
    notes += [note[:200] for note in (entry.notes if entry else ())]  # files skipped, not on the roster
    row = {"student": outcome.student, "file": outcome.source, **{q: f"{p:g}" for q, p in points.items()},
           "total": f"{outcome.total:g}", "max": f"{master.total_points:g}", "status": outcome.status,
           "notes": "; ".join(notes)}
    extra = _platforms.row_extras(entry)
    row.update(extra)
    checks = {f"{c.question}.{c.name}": 0 for c in master.checks}
    checks.update({f"{r.question}.{r.name}": r.earned for r in outcome.results})
    details = {"status": outcome.status, "total": outcome.total, "checks": checks, "file": outcome.source,
               "sha256": outcome.sha256, "seconds": round(outcome.seconds, 1),
               "cell_errors": [error._asdict() for error in outcome.cell_errors],
               "problem": outcome.problem, "notes": outcome.notes, "grading_notes": outcome.grading_notes,
               "numbers": outcome.numbers, **extra, "hand_in_notes": list(entry.notes) if entry else []}
    return row, details


def _short_label(outcome, number):
    for cell in outcome.cells:
        if cell.number == number:
            where = f"line {cell.start_line}" if cell.start_line else f'"{cell.first_line[:30]}"'
            return f"{cell.question or 'end'}, cell at {where}"
    return f"cell {number}"
