"""The course notebooks as files: where the installed package keeps them, and copying them to a student's folder."""

import hashlib
import json
import pathlib

from cnn_course._files import atomic_path

#: The file, inside the folder the notebooks are written to, that remembers what was written.
RECORD_NAME = ".cnn_course_notebooks.json"

#: The first code cell of every notebook: installs cnn_course on Colab, does nothing anywhere else.
#: `tools/sync_notebooks.py` puts it into each generated `.ipynb`; keep it short and self-contained.
COLAB_CELL = '''\
# On Colab only: install cnn_course into this runtime. Anywhere else this cell does nothing.
# Upload the wheel your teacher gives you (cnn_course-*.whl) to Colab's Files pane first,
# or set CNN_COURSE_SOURCE to the course repository, e.g. "git+https://github.com/OWNER/cnn_course".
import sys

CNN_COURSE_SOURCE = ""
if "google.colab" in sys.modules:
    import glob
    import importlib.util
    import subprocess

    if importlib.util.find_spec("cnn_course") is None:
        source = CNN_COURSE_SOURCE or max(glob.glob("/content/cnn_course-*.whl"), default="")
        if not source:
            raise RuntimeError("cnn_course is not installed in this Colab runtime. Fix: upload the "
                               "cnn_course-*.whl file to the Files pane, or set CNN_COURSE_SOURCE.")
        print(f"Installing cnn_course from {source} ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)'''


def shipped_notebooks_dir():
    """Return the folder that holds the course's `.ipynb` notebooks.

    A wheel install (`pip install .`) carries them inside the package
    (`cnn_course/notebooks/`); a checkout of the repository (`pip install -e .`)
    has them in its `notebooks/` folder.

    Returns:
        A `pathlib.Path`.

    Raises:
        FileNotFoundError: if neither place holds any notebook (a broken install).

    Example:

    >>> sorted(shipped_notebooks_dir().glob("*.ipynb"))[0].name
    '00_getting_started.ipynb'
    """
    package = pathlib.Path(__file__).resolve().parent
    for folder in (package / "notebooks", package.parent / "notebooks"):
        if any(folder.glob("*.ipynb")):
            return folder
    raise FileNotFoundError(
        f"No course notebooks found in {package / 'notebooks'} or {package.parent / 'notebooks'}. "
        "Fix: reinstall cnn_course (pip install --force-reinstall <the wheel or the repository folder>)."
    )


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def _read_record(path):
    """The digests this function wrote last time, by file name; {} when there is no usable record."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    written = record.get("written") if isinstance(record, dict) else None
    return {k: v for k, v in written.items() if isinstance(v, str)} if isinstance(written, dict) else {}


def write_notebooks(directory):
    """Write the course notebooks into `directory`, never overwriting a notebook you have edited.

    For each notebook: a missing one is written; one identical to the shipped
    copy is left alone; one that is exactly what an earlier call wrote (you
    have not changed it) is replaced by the new version; any other file of
    that name, which you edited, is kept as it is and reported as skipped. A
    small record (`.cnn_course_notebooks.json`) remembers what was written.
    Every file is written atomically; nothing is ever deleted. Used by
    `cnn-course notebooks DIR`.

    Args:
        directory: the folder to write to; made if missing.

    Returns:
        A dict with lists of file names: "written" (new or updated),
        "unchanged" (already the shipped version) and "skipped" (edited by
        you, kept).

    Raises:
        NotADirectoryError: if `directory` exists and is not a folder.

    Example:

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> report = write_notebooks(folder)
    >>> report["written"][0], report["skipped"]
    ('00_getting_started.ipynb', [])
    >>> write_notebooks(folder)["written"]
    []
    """
    directory = pathlib.Path(directory).expanduser()
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(
            f"Cannot write the notebooks to {directory}: it exists and is not a folder. "
            "Fix: name a folder, e.g. cnn-course notebooks course_notebooks"
        )
    directory.mkdir(parents=True, exist_ok=True)
    record_path = directory / RECORD_NAME
    previously = _read_record(record_path)
    report = {"written": [], "unchanged": [], "skipped": []}
    recorded = dict(previously)
    for source in sorted(shipped_notebooks_dir().glob("*.ipynb")):
        shipped = source.read_bytes()
        target = directory / source.name
        if target.exists():
            current = _digest(target.read_bytes()) if target.is_file() else None
            if current == _digest(shipped):
                report["unchanged"].append(source.name)
                recorded[source.name] = current
                continue
            if current is None or current != previously.get(source.name):
                report["skipped"].append(source.name)
                continue
        with atomic_path(target) as tmp:
            pathlib.Path(tmp).write_bytes(shipped)
        recorded[source.name] = _digest(shipped)
        report["written"].append(source.name)
    if recorded != previously:
        with atomic_path(record_path) as tmp:
            pathlib.Path(tmp).write_text(json.dumps({"written": recorded}, indent=2, sort_keys=True) + "\n",
                                         encoding="utf-8")
    return report
