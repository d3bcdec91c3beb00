"""The fork server: a fresh interpreter that imports Keras once and forks each submission's process from it.

Forking is what keeps grading a Keras assignment fast (the student's process
starts with TensorFlow already imported), but the student's process must
never be a fork of a process that has read the master: its memory would
hold the solutions and the hidden checks. So the grader starts this server
as a new interpreter, with the environment the student's process gets,
before it forks anything; the server never sees the master, the course
secret or a submission. For each request it makes the four pipes of one
submission (the judge's channel both ways, the output, the exit status),
forks a warden (`_sandbox.warden`) that starts the runner, and sends the
grader's ends of the pipes back over its control socket.

Started as `python -m cnn_course.grading._zygote PRELOAD` with the control
socket's file descriptor in `CNN_COURSE_ZYGOTE_FD`; PRELOAD is a JSON list of
what to import or read first ("keras", "mnist_sample").
"""

import json
import os
import select
import signal
import socket
import sys

from cnn_course.grading._sandbox import PR_SET_CHILD_SUBREAPER, Plan, prctl, warden

def preload(names):
    """Import (and read) what every submission's process would otherwise load again. No TensorFlow op runs."""
    if "keras" in names:
        from cnn_course.settings import import_keras

        import_keras()
    if "mnist_sample" in names:
        from cnn_course import datasets

        datasets.load_mnist_sample()


def _start(control, plan):
    to_runner = os.pipe()
    from_runner = os.pipe()
    output = os.pipe()
    status = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.dup2(to_runner[0], 0)
            os.dup2(from_runner[1], 1)
            os.dup2(output[1], 2)
            keep = status[1]
            for fd in (*to_runner, *from_runner, *output, status[0]):
                if fd > 2:
                    os.close(fd)
            from cnn_course.grading import _runner

            code = warden(plan, _runner.main, status_fd=keep)
        except BaseException as exc:  # noqa: BLE001  (the fork must end here)
            try:
                os.write(2, f"cnn_course grader: could not start the submission's process: {exc!r}\n".encode())
            except OSError:
                pass
        os._exit(code)
    theirs = [to_runner[1], from_runner[0], output[0], status[0]]
    for fd in (to_runner[0], from_runner[1], output[1], status[1]):
        os.close(fd)
    try:
        socket.send_fds(control, [json.dumps({"pid": pid}).encode() + b"\n"], theirs)
    finally:
        for fd in theirs:
            os.close(fd)
    return pid


def _reap(wardens):
    """Collect ended children; kill any child that is not a warden (a process orphaned to this server)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        wardens.discard(pid)
    try:
        import psutil

        for child in psutil.Process().children():
            if child.pid not in wardens:
                child.kill()
    except Exception:  # noqa: BLE001  (psutil can race with a process that just ended)
        pass


def main():
    control = socket.socket(fileno=int(os.environ.pop("CNN_COURSE_ZYGOTE_FD")))
    if sys.platform.startswith("linux"):
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    preload(json.loads(sys.argv[1]) if len(sys.argv) > 1 else [])
    control.sendall(b"ready\n")
    wardens, buffer = set(), b""
    while True:
        readable, _, _ = select.select([control], [], [], 0.5)
        _reap(wardens)
        if not readable:
            continue
        chunk = control.recv(1 << 20)
        if not chunk:
            return 0
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            if request.get("stop"):
                return 0
            wardens.add(_start(control, Plan(**request["plan"])))


if __name__ == "__main__":
    sys.exit(main())
