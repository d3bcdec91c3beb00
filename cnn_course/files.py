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
    created if needed.

    Args:
        path: the file to write.
        suffix: the temporary file's ending; default `path`'s own suffix. Keras,
            for one, insists on ".keras" or ".weights.h5" when saving.

    Yields:
        The temporary file's path, as a string, in the same folder as `path`.

    Example:

    >>> import pathlib, tempfile
    >>> from cnn_course.files import atomic_path
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
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
