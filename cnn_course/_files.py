"""Writing files safely: every output is written to a temporary file and renamed into place."""

import contextlib
import os
import pathlib
import tempfile


@contextlib.contextmanager
def atomic_path(path, suffix=None):
    """Give a temporary path next to `path`; rename it over `path` when the block succeeds.

    Readers (and a student's file browser) see either the old file or the
    complete new one, never half a file: an error or a crash inside the block
    leaves `path` as it was and removes the temporary file. The folder is
    created if needed. The file gets the permissions of the file it
    replaces, or those a plain `open(path, "w")` would give.

    Args:
        path: the file to write.
        suffix: the temporary file's ending; default `path`'s own suffix. Keras,
            for one, insists on ".keras" or ".weights.h5" when saving.

    Yields:
        The temporary file's path, as a string, in the same folder as `path`.

    Example:

    >>> import pathlib, tempfile
    >>> from cnn_course._files import atomic_path
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "results.json"
    >>> with atomic_path(target) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("{}")
    >>> target.read_text(), [p.name for p in target.parent.iterdir()]
    ('{}', ['results.json'])
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix if suffix is None else suffix,
                               dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        # mkstemp makes the file readable by its owner only; give it the mode a plain open() would.
        os.chmod(tmp, _mode_of(path))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _mode_of(path):
    """Permission bits for a file written to `path`: the existing file's, else 0o666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)  # the only portable way to read the umask is to set it
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomically(path, text):
    """Write `text` (UTF-8) to `path` through `atomic_path`: readers never see half a file.

    Example:

    >>> import pathlib, tempfile
    >>> from cnn_course._files import write_text_atomically
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "notes" / "a.txt"
    >>> write_text_atomically(target, "hello")
    >>> target.read_text()
    'hello'
    """
    with atomic_path(path) as tmp:
        pathlib.Path(tmp).write_text(text, encoding="utf-8")
