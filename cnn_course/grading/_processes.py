"""Starting, measuring and ending a submission's processes, and what each one may see.

`Zygote` is the grader's client of the fork server (`_zygote`); `spawn`
starts a submission's process as a new interpreter instead. `plan_for`
says what the process sees and may use: the folders Python and cnn_course
need (never one that holds the master, the submissions, the grades, the
Keras cache or the course secret), a clean environment, and its limits.
"""

import json
import os
import pathlib
import socket
import subprocess
import sys
import time

import psutil

from cnn_course.grading import _sandbox

#: Environment variables the submission's process inherits from the grader (TensorFlow's numerics among them).
INHERITED_ENV = ("LANG", "LANGUAGE", "TZ", "PYTHONPATH", "CNN_COURSE_THREADS", "CNN_COURSE_TF_LOGS",
                 "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES")
INHERITED_PREFIXES = ("TF_", "LC_")
#: Limits of a submission's process besides time and memory (the grader's options set those).
FILE_BYTES = 256 << 20
DISK_BYTES = 512 << 20


def runner_env(home, quick, seed, tmp):
    """The whole environment of a submission's process: nothing of the grader's but what TensorFlow reads."""
    env = {k: v for k, v in os.environ.items() if k in INHERITED_ENV or k.startswith(INHERITED_PREFIXES)}
    env.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": tmp, "MPLBACKEND": "Agg",
                "MPLCONFIGDIR": f"{home}/.matplotlib", "KERAS_HOME": f"{home}/.keras",
                "CNN_COURSE_DATA": f"{home}/data", "CNN_COURSE_GRADING": "1", "CNN_COURSE_OFFLINE": "1",
                "CNN_COURSE_QUICK": "1" if quick else "0", "PYTHONHASHSEED": str(seed),
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"})
    return env


def _inside(path, folder):
    try:
        return pathlib.Path(path).is_relative_to(folder)
    except (TypeError, ValueError):
        return False


def visible_paths(hidden):
    """The host folders a sandboxed process sees (read-only): Python, its packages, cnn_course.

    A folder that holds one of `hidden` (the masters' folder, the submissions,
    the grades, the Keras cache, the secret), or lies inside one, is left
    out; cnn_course's own folder is shown even when its parent is left out.
    """
    import cnn_course

    hidden = [pathlib.Path(os.path.realpath(h)) for h in hidden if h]
    package = pathlib.Path(os.path.realpath(os.path.dirname(cnn_course.__file__)))
    wanted = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    # Of the other entries of sys.path, only folders of installed packages: never the current folder or
    # a repository put there by PYTHONPATH or a test runner (it may hold the masters).
    prefixes = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)]
    wanted.update(p for p in sys.path if p and os.path.isabs(p) and (
        os.path.basename(p) in ("site-packages", "dist-packages") or any(_inside(os.path.realpath(p), x)
                                                                        for x in prefixes)))
    shown = set()
    for path in wanted:
        if not os.path.isdir(path):
            continue
        real = pathlib.Path(os.path.realpath(path))
        if any(_inside(h, real) or _inside(real, h) for h in hidden):
            continue
        shown.add(str(real))
    if any(_inside(h, package) for h in hidden):
        raise ValueError(f"The cnn_course package folder {package} holds the masters, the submissions or the "
                         "grades; the grader cannot show the package to submissions without them. Fix: keep "
                         "those outside the package folder")
    shown.add(str(package))
    for path in list(shown):  # a folder shown through a link needs the link's own path too
        for entry in wanted:
            if os.path.realpath(entry) == path and os.path.abspath(entry) != path:
                shown.add(os.path.abspath(entry))
    return sorted(shown)


def plan_for(workdir, sandbox, binds, quick, seed, time_limit, processes=None):
    """The `_sandbox.Plan` of one submission's process."""
    workdir = str(workdir)
    home = _sandbox.WORKDIR if sandbox else workdir
    tmp = "/tmp" if sandbox else os.path.join(workdir, "tmp")
    if not sandbox:
        os.makedirs(tmp, exist_ok=True)
    cores = os.cpu_count() or 1
    allowed = processes or max(512, 16 * cores)
    if not sandbox:  # the limit counts every task of this user on the machine: add what is running now
        allowed += _tasks_of_this_user()
    return _sandbox.Plan(sandbox=sandbox, binds=list(binds), env=runner_env(home, quick, seed, tmp),
                         workdir=str(workdir), cpu_seconds=int(time_limit * cores) + 60, file_bytes=FILE_BYTES,
                         processes=allowed, disk_bytes=DISK_BYTES)


def _tasks_of_this_user():
    """Processes and threads this user runs now (what RLIMIT_NPROC counts outside a user namespace)."""
    uid, total = os.getuid(), 0
    for process in psutil.process_iter(["uids", "num_threads"]):
        try:
            if process.info["uids"] and process.info["uids"].real == uid:
                total += process.info["num_threads"] or 1
        except psutil.Error:
            pass
    return total


class Zygote:
    """The fork server, seen from the grader: start it, ask it for a submission's process, stop it.

    Args:
        preload: what it imports first ("keras", "mnist_sample").
        env: its environment (the submission's process's, which TensorFlow reads at import).
        folder: an empty folder of the grader's for its working folder and its log.
    """

    def __init__(self, preload, env, folder):
        self._preload, self._env, self._folder = preload, env, folder
        self.process = None
        self._start()

    def _start(self):
        ours, theirs = socket.socketpair()
        log = open(os.path.join(self._folder, "zygote.log"), "ab")  # noqa: SIM115
        env = {**self._env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and os.path.isabs(p))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cnn_course.grading._zygote", json.dumps(self._preload)],
            pass_fds=[theirs.fileno()], env={**env, "CNN_COURSE_ZYGOTE_FD": str(theirs.fileno())},
            cwd=self._folder, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        theirs.close()
        log.close()
        self._socket = ours
        self._socket.settimeout(300)
        self._ready = False

    def _wait_ready(self):
        """Wait for the server's first line (it imports Keras meanwhile, while the grader does its own work)."""
        if not self._ready:
            if self._socket.recv(6) != b"ready\n":
                raise RuntimeError("the grader's fork server did not start; see zygote.log in the grading folder")
            self._ready = True

    @property
    def pid(self):
        return self.process.pid

    def start(self, plan):
        """Fork a submission's process; returns `(warden pid, [to_runner, from_runner, output, status] fds)`."""
        if self.process.poll() is not None:
            self._start()
        self._wait_ready()
        self._socket.sendall(json.dumps({"plan": plan.__dict__}).encode() + b"\n")
        message, fds, _, _ = socket.recv_fds(self._socket, 4096, 4)
        if len(fds) != 4:
            raise RuntimeError("the grader's fork server did not answer")
        return json.loads(message)["pid"], fds

    def stop(self):
        try:
            self._socket.sendall(b'{"stop": true}\n')
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._socket.close()


def spawn(plan, folder):
    """Start a submission's process as a new interpreter; returns `(Popen, [to_runner, from_runner, output])`."""
    env = {**plan.env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and os.path.isabs(p))}
    kwargs = {"start_new_session": True} if os.name == "posix" else {
        "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    process = subprocess.Popen([sys.executable, "-m", "cnn_course.grading._spawn", plan.to_json()],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=folder, env=env, **kwargs)
    fds = [os.dup(process.stdin.fileno()), os.dup(process.stdout.fileno()), os.dup(process.stderr.fileno())]
    for stream in (process.stdin, process.stdout, process.stderr):
        stream.close()
    return process, fds


def tree_memory(pid):
    """Memory, in bytes, held by the processes below `pid` (not `pid` itself: the warden).

    Their resident memory, plus the memory files (`memfd_create`) they hold open,
    which take memory without counting as resident until they are mapped.
    """
    total, files = 0, {}
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return 0
    for child in children:
        try:
            total += child.memory_info().rss
        except psutil.Error:
            continue
        files.update(_memory_files(child.pid))
    return total + sum(files.values())


def _memory_files(pid):
    """`{(device, inode): size}` of the memfd files a process holds open (Linux; empty elsewhere)."""
    found = {}
    folder = f"/proc/{pid}/fd"
    try:
        names = os.listdir(folder)
    except OSError:
        return found
    for name in names:
        try:
            if os.readlink(f"{folder}/{name}").startswith("/memfd:"):
                info = os.stat(f"{folder}/{name}")
                found[(info.st_dev, info.st_ino)] = info.st_blocks * 512
        except OSError:
            continue
    return found


def process_memory(pid):
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


def alive(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_gone(pids, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.02)
