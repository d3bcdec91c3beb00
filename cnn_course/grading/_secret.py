"""The course secret: what keeps the hidden inputs hidden when the masters are public.

Every hidden seed is derived from it (`cnn_course.checks.hidden_seed`), so a
student who reads the master in a public repository still cannot know the
hidden inputs. It is read from `--secret-file`, else from the environment
variable `CNN_COURSE_SECRET`, else from `~/.config/cnn_course/course_secret`
(`$XDG_CONFIG_HOME` if set), which is made on first use. It is never written
into the grades, the feedback or the logs, and never reaches a submission's
process. The same secret gives the same hidden inputs, so a regrade gives
the same grades: keep it for the whole term, and outside the repository.
"""

import os
import pathlib
import secrets

SECRET_ENV = "CNN_COURSE_SECRET"


def default_secret_file():
    """`$XDG_CONFIG_HOME/cnn_course/course_secret`, or `~/.config/cnn_course/course_secret`."""
    base = os.environ.get("XDG_CONFIG_HOME") or pathlib.Path.home() / ".config"
    return pathlib.Path(base) / "cnn_course" / "course_secret"


def load_secret(path=None, log=print):
    """The course secret as bytes: from `path`, else `$CNN_COURSE_SECRET`, else the default file.

    A missing file is made (64 random hexadecimal characters, readable by its
    owner only) and `log` says where, and that it must be kept.

    Args:
        path: a secret file, or None for the environment variable or the default file.
        log: a function that prints one line.

    Returns:
        `(secret, where)`: the bytes, and a phrase saying where they came from.

    Raises:
        ValueError: the file or the variable holds fewer than 16 characters.

    Example:

    >>> import pathlib, tempfile
    >>> from cnn_course.grading._secret import load_secret
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "secret"
    >>> first, _ = load_secret(path, log=lambda line: None)
    >>> load_secret(path, log=lambda line: None)[0] == first and len(first) == 64
    True
    """
    if path is None and os.environ.get(SECRET_ENV):
        value, where = os.environ[SECRET_ENV].strip(), f"the environment variable {SECRET_ENV}"
    else:
        path = pathlib.Path(path) if path is not None else default_secret_file()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            log(f"Made a new course secret in {path}: the hidden checks' inputs are drawn from it. Keep this "
                "file for the whole term (the same secret gives the same grades) and out of any repository")
        value, where = path.read_text(encoding="utf-8").strip(), str(path)
    if len(value) < 16:
        raise ValueError(f"The course secret in {where} has {len(value)} characters; expected at least 16. Fix: "
                         "delete the file to have a new one made, or put a longer random text in it")
    return value.encode("utf-8"), where
