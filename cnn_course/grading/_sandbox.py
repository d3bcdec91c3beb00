"""Where a submission's process runs: its own namespaces on Linux, resource limits, and a warden.

`warden(plan)` runs in a fresh single-threaded process whose file
descriptors 0, 1 and 2 are the channel from the judge, the channel to the
judge and the output. With the sandbox (Linux, where the kernel lets an
ordinary user create namespaces) it enters new user, mount, PID, network,
IPC and UTS namespaces, builds a root file system that holds only what
Python and the course's package need (read-only) and an empty, size-capped
working folder, and forks the runner as process 1 of the new PID namespace:
when the runner ends, the kernel ends every process it started. There is no
network at all (not even loopback), and the course folder, the masters, the
submissions, the grades, the Keras cache and the course secret are simply
not there. Without the sandbox (macOS, Windows, a kernel that refuses), the
warden is a child subreaper that ends every process the runner left behind.
Either way the runner gets CPU-time, file-size, process-count and open-file
limits, and a clean environment.
"""

import ctypes
import dataclasses
import json
import os
import platform
import resource
import signal
import sys
import time

import psutil

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 36, 38, 47, 4
#: System call numbers that the C library has no wrapper for, by machine.
_SYSCALLS = {"x86_64": {"pivot_root": 155, "capset": 126}, "aarch64": {"pivot_root": 41, "capset": 91}}
#: The user id the sandboxed process gets when the grader runs as root (the traditional "nobody").
NOBODY = 65534
#: Inside the sandbox: the working folder (empty, writable).
WORKDIR = "/submission"
#: Files of /etc that programs read at start (the dynamic linker, locale and user lookups); nothing else.
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/nsswitch.conf", "/etc/localtime",
             "/etc/hosts", "/etc/passwd", "/etc/group", "/etc/mime.types", "/etc/alternatives")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/sys/devices/system/cpu")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


@dataclasses.dataclass
class Plan:
    """How to run one submission's process; JSON-able, made by the grader.

    Attributes:
        sandbox: True to use namespaces (Linux only).
        binds: host folders and files to show read-only inside the sandbox.
        env: the whole environment of the runner.
        workdir: the working folder outside the sandbox (the fallback's); with
            the sandbox, an empty folder of the grader's where the new root is
            mounted (in the sandbox's own mount namespace only).
        cpu_seconds, file_bytes, processes, open_files: resource limits.
        disk_bytes: the size of the sandbox's writable file system (its
            working folder and /tmp together).
    """

    sandbox: bool
    binds: list
    env: dict
    workdir: str
    cpu_seconds: int
    file_bytes: int
    processes: int
    open_files: int = 1024
    disk_bytes: int = 1 << 30

    def to_json(self):
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text):
        return cls(**json.loads(text))


class SandboxError(OSError):
    """A namespace or mount operation the kernel refused (the message names it)."""


_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise SandboxError(error, f"{what}: {os.strerror(error)}")


def _bytes(value):
    return None if value is None else value.encode()


def _mount(source, target, fstype, flags, data=None):
    _check(_c().mount(_bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags), _bytes(data)),
           f"mount {target}")


def prctl(option, value=0):
    return _c().prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def supported():
    """True where this module can try namespaces: Linux on x86_64 or aarch64."""
    return sys.platform.startswith("linux") and platform.machine() in _SYSCALLS


def _write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _enter_namespaces():
    """Unshare the namespaces (the PID one takes effect for the next child); become root inside.

    An ordinary user is mapped to root inside (no power outside the namespace).
    When the grader runs as root, root stays root inside while the sandbox is
    built (it must read the Python installation, which may sit under /root),
    and nobody (65534) is mapped too: the runner becomes nobody before the
    student's code runs (`_drop_privileges`).
    """
    uid, gid = os.geteuid(), os.getegid()
    helper = None
    if uid == 0:  # root may map root to nobody, but only from outside the new namespace: a helper does it
        ready_r, ready_w = os.pipe()
        done_r, done_w = os.pipe()
        helper = os.fork()
        if helper == 0:
            os.close(ready_w)
            os.close(done_r)
            os.read(ready_r, 1)
            code = 0
            try:
                parent = os.getppid()
                _write(f"/proc/{parent}/uid_map", f"0 0 1\n{NOBODY} {NOBODY} 1\n")
                _write(f"/proc/{parent}/gid_map", f"0 0 1\n{NOBODY} {NOBODY} 1\n")
            except OSError:
                code = 1
            os.write(done_w, bytes([code]))
            os._exit(code)
        os.close(ready_r)
        os.close(done_w)
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    try:
        _check(_c().unshare(ctypes.c_int(flags)), "unshare")
    finally:
        if helper is not None:
            os.write(ready_w, b"x")
            status = os.read(done_r, 1)
            os.waitpid(helper, 0)
    if helper is not None:
        if status != b"\0":
            raise SandboxError(1, "writing the user namespace's id maps failed")
        os.setgroups([])
    else:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1\n")
        _write("/proc/self/gid_map", f"0 {gid} 1\n")
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)


def _locked_flags(path):
    """The mount flags of `path` that a read-only remount must keep (the kernel refuses to drop them)."""
    flags = os.statvfs(path).f_flag
    out = 0
    for st, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                   (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME)):
        if flags & st:
            out |= ms
    return out


def _bind(source, root, writable=False):
    """Show host path `source` at the same path under `root` (read-only unless `writable`)."""
    if not os.path.lexists(source):
        return
    target = root + source
    if os.path.islink(source):  # /bin -> usr/bin on merged-/usr systems: make the same link
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(os.readlink(source), target)
        return
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "w").close()  # noqa: SIM115
    _mount(source, target, None, MS_BIND | MS_REC)
    if not writable:
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | _locked_flags(source))


def _build_root(plan):
    """Mount the new root's file system on `plan.workdir` (still in the old root; pivot_root comes later)."""
    root = plan.workdir
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={plan.disk_bytes},nr_inodes=100000,mode=755")
    for path in (*SYSTEM_DIRS, *ETC_FILES, *plan.binds):
        _bind(path, root)
    for device in DEVICES:
        _bind(device, root, writable=True)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    for folder in ("dev/shm", "proc", "tmp", WORKDIR.strip("/"), ".old_root"):
        os.makedirs(f"{root}/{folder}", exist_ok=True)
    for folder in ("dev/shm", "tmp", WORKDIR.strip("/")):
        os.chmod(f"{root}/{folder}", 0o1777)


def _enter_root(root):
    """In process 1 of the new PID namespace: mount its /proc, switch to the new root, drop the old one."""
    _mount("proc", f"{root}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    number = _SYSCALLS[platform.machine()]["pivot_root"]
    _check(_c().syscall(ctypes.c_long(number), root.encode(), f"{root}/.old_root".encode()), "pivot_root")
    os.chdir("/")
    _check(_c().umount2(b"/.old_root", ctypes.c_int(MNT_DETACH)), "umount the old root")
    os.rmdir("/.old_root")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV)


def _drop_privileges(as_nobody):
    """No capabilities left, none to gain back: the runner cannot mount, remount or change ids."""
    _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")
    with open("/proc/sys/kernel/cap_last_cap") as handle:
        last = int(handle.read())
    for cap in range(last + 1):
        prctl(PR_CAPBSET_DROP, cap)
    _c().prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), ctypes.c_ulong(0), ctypes.c_ulong(0),
               ctypes.c_ulong(0))
    if as_nobody:
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    number = _SYSCALLS[platform.machine()]["capset"]
    _check(_c().syscall(ctypes.c_long(number), header, data), "capset")


def _limit(plan):
    for kind, value in ((resource.RLIMIT_CPU, plan.cpu_seconds), (resource.RLIMIT_FSIZE, plan.file_bytes),
                        (resource.RLIMIT_NPROC, plan.processes), (resource.RLIMIT_NOFILE, plan.open_files),
                        (resource.RLIMIT_CORE, 0)):
        if value is None or value < 0:
            continue
        soft, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            resource.setrlimit(kind, (min(value, hard), hard))


def _close_other_fds():
    try:
        os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    except OSError:
        pass


def kill_tree(pid, include_root=True):
    """Stop `pid`'s descendants (frozen first, then killed, until none is left) and `pid` itself."""
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    for _ in range(50):
        try:
            children = root.children(recursive=True)
        except psutil.Error:
            children = []
        if not children:
            break
        for child in children:
            try:
                child.suspend()
            except psutil.Error:
                pass
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(children, timeout=0.2)
    if include_root:
        try:
            root.kill()
        except psutil.Error:
            pass


def _end_descendants():
    """Kill every process below this one (the warden is a subreaper, so orphans come back to it)."""
    kill_tree(os.getpid(), include_root=False)
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break


def warden(plan, start_runner, status_fd=None):
    """Run `start_runner()` as the submission's process under `plan`; return its exit status.

    Called in a single-threaded process whose fds 0, 1, 2 are the judge's
    channel (in, out) and the output. The runner inherits them; the warden
    closes its own copies, waits for the runner, ends whatever the runner left
    behind, and writes the exit status to `status_fd` when given.
    """
    if not hasattr(os, "fork"):  # Windows: no warden process, no limits beyond the grader's own
        os.chdir(plan.workdir)
        os.environ.clear()
        os.environ.update(plan.env)
        start_runner()
        return 0
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    as_nobody = os.geteuid() == 0
    if plan.sandbox:
        _enter_namespaces()
        _build_root(plan)
    elif sys.platform.startswith("linux"):
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    pid = os.fork()
    if pid == 0:
        try:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            os.setsid()  # its own session and process group: kill(0, ...) reaches no other submission
            if plan.sandbox:
                _enter_root(plan.workdir)
                _drop_privileges(as_nobody)
                os.chdir(WORKDIR)
            else:
                os.chdir(plan.workdir)
            if status_fd is not None:
                os.close(status_fd)
            _close_other_fds()
            _limit(plan)
            os.environ.clear()
            os.environ.update(plan.env)
            start_runner()
        except BaseException as exc:  # noqa: BLE001  (the runner must never return into the warden's code)
            try:
                os.write(2, f"cnn_course grader: the submission's process could not start: {exc!r}\n".encode())
            except OSError:
                pass
            os._exit(70)
        os._exit(0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if not plan.sandbox:
        _end_descendants()
    if status_fd is not None:
        try:
            os.write(status_fd, f"{code}\n".encode())
        except OSError:
            pass
    return code


def probe(plan):
    """Whether the sandbox works here: run a tiny runner in it (in a child process). Returns (ok, why)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        os.dup2(write_fd, 2)
        os.dup2(write_fd, 1)

        def start():
            import cnn_course  # noqa: F401  (the package is there)
            import numpy  # noqa: F401

            ok = plan.sandbox == (os.getcwd() == WORKDIR)
            os.write(1, b"sandbox ok\n" if ok else b"sandbox leaks the host's folders\n")
            os._exit(0 if ok else 1)

        try:
            code = warden(plan, start)
        except BaseException as exc:  # noqa: BLE001
            os.write(2, f"{exc}\n".encode())
            code = 1
        os._exit(code)
    os.close(write_fd)
    deadline, output = time.monotonic() + 60, b""
    while time.monotonic() < deadline:
        chunk = os.read(read_fd, 4096)
        if not chunk:
            break
        output += chunk
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace").strip()
    return os.waitstatus_to_exitcode(status) == 0 and "sandbox ok" in text, text[-300:]
