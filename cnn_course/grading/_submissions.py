"""A folder of submissions as the grader sees it: who handed in what, and each file's cells and their places.

Only the grader reads these files; the student's process gets the cells' text
over its channel and never sees the folder. Symbolic links are never
followed: a link is reported as such (it could point at another student's
file, or at the master).
"""

import ast
import dataclasses
import json
import os
import pathlib
import re
import stat
import unicodedata

from cnn_course.grading._masters import replace_check_calls
from cnn_course.checks import one_line

SUFFIXES = (".ipynb", ".py")
#: The largest submission file the grader reads.
MAX_SUBMISSION_BYTES = 64 << 20
_MAGIC = re.compile(r"^(\s*)([%!].*)$", re.M)
_CELL_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
_CHECK_LINE = re.compile(r"""^\s*check\(\s*["'](?P<question>\w+)["']\s*\)\s*(#.*)?$""", re.M)
_SKIPPED_NAMES = ("__MACOSX", "__pycache__", ".ipynb_checkpoints")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One student's hand-in: `path` to grade, or `problem` saying why there is nothing to grade."""

    student: str
    path: pathlib.Path = None
    problem: str = None
    source: str = ""  # the file or folder name in the submissions folder, for the teacher
    # From a Canvas or Moodle export, or a roster (`_platforms`): the platform's id, the roster's name, the
    # late mark (None: not known), lines for the student's feedback, and whether nothing was handed in.
    platform_id: str = ""
    name: str = ""
    late: bool = None
    notes: tuple = ()
    missing: bool = False


def find_submissions(folder):
    """Every student of a submissions folder, with the file to grade or the reason there is none.

    A submission is a `.ipynb` or `.py` file directly in `folder` (the
    student is its name without the suffix), or the only such file anywhere
    in a subfolder (the student is the subfolder's name). Names that start
    with "." or "__" are ignored (`.DS_Store`, `__MACOSX`). Anything else
    is a student whose submission cannot be graded, with the reason: a folder
    with no or several such files, a file of another kind, a symbolic link.

    Args:
        folder: the submissions folder.

    Returns:
        A list of `Entry`, sorted by name.
    """
    folder = pathlib.Path(folder)
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__")):
            continue
        mode = os.lstat(entry).st_mode
        if stat.S_ISLNK(mode):
            found.append(Entry(entry.name, problem=f"{entry.name} is a symbolic link; the grader reads only "
                                                   "real files (copy the submission itself into the folder)",
                               source=entry.name))
        elif stat.S_ISDIR(mode):
            found.append(entry_from_folder(entry))
        elif not stat.S_ISREG(mode):
            found.append(Entry(entry.name, problem=f"{entry.name} is not a regular file", source=entry.name))
        elif entry.suffix in SUFFIXES:
            found.append(Entry(entry.stem, path=entry, source=entry.name))
        else:
            found.append(Entry(entry.stem or entry.name, problem=f"{entry.name} is not a .ipynb notebook or a "
                                                                 ".py script", source=entry.name))
    found = [dataclasses.replace(e, student=printable(e.student), source=printable(e.source)) for e in found]
    names = [e.student for e in found]
    return [dataclasses.replace(e, student=e.source) if names.count(e.student) > 1 else e for e in found]


def printable(name):
    """A name as the grades and the console show it: control characters (a newline, say) become "?".

    Example:

    >>> printable("ann\\nTotal: 22 of 22")
    'ann?Total: 22 of 22'
    """
    return "".join("?" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in name)


def entry_from_folder(folder):
    inside = []
    for root, dirs, files in os.walk(folder):  # os.walk does not follow links to folders
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_NAMES)
        for name in sorted(files):
            path = pathlib.Path(root) / name
            if name.startswith(".") or path.suffix not in SUFFIXES:
                continue
            inside.append(path)
    links = [p for p in inside if not stat.S_ISREG(os.lstat(p).st_mode)]  # links, pipes, devices
    files = [p for p in inside if stat.S_ISREG(os.lstat(p).st_mode)]
    rel = [str(p.relative_to(folder)) for p in inside]
    if links and not files:
        return Entry(folder.name, problem=f"{folder.name}/ holds only a symbolic link or another special file "
                                          f"({rel[0]}); the grader reads only regular files", source=folder.name + "/")
    if len(files) != 1:
        listed = ", ".join(rel[:5]) + (", ..." if len(rel) > 5 else "")
        what = f"{len(files)} .ipynb/.py files ({listed})" if files else "no .ipynb or .py file"
        return Entry(folder.name, problem=f"{folder.name}/ holds {what}: the grader takes exactly one per "
                                          "student (keep only the one to grade)", source=folder.name + "/")
    return Entry(folder.name, path=files[0], source=f"{folder.name}/{files[0].relative_to(folder)}")


@dataclasses.dataclass(frozen=True)
class SubmissionCell:
    """One code cell of a submission, with what the feedback needs to point at it.

    Attributes:
        number: its position among the code cells (1-based).
        code: its code (IPython magics turned into comments).
        start_line: in a `.py` file, the line where its code starts; None in a notebook.
        first_line: its first line of code, for the feedback.
        question: the question whose `check()` line comes at or after it (None after the last).
        defines: the names it assigns, defines or imports at its top level.
    """

    number: int
    code: str
    start_line: int = None
    first_line: str = ""
    question: str = None
    defines: frozenset = frozenset()

    @property
    def label(self):
        """Where the cell is, in the student's words: "the cell at line 57 ("x = ...", question q2)"."""
        part = f"question {self.question}" if self.question else "after the last question"
        if self.start_line is not None:
            return f'the cell at line {self.start_line} ("{self.first_line}", {part})'
        return f'the code cell that starts "{self.first_line}" ({part})'

    def place(self, line):
        """ "line N" of this cell, as the student finds it (in the file, for a .py)."""
        if self.start_line is not None:
            return f"line {self.start_line + line - 1}"
        return f'line {line} of the code cell that starts "{self.first_line}"'


def read_submission_cells(path):
    """The code cells of a submission, each with its place (`SubmissionCell`).

    Raises:
        ValueError: the file is too large, not UTF-8, or not a notebook or a
            `# %%` script that can be read; the message says what was received.
    """
    path = pathlib.Path(path)
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path.name} is not a regular file (a link, a pipe or a device); the grader reads "
                         "only regular files")
    size = info.st_size
    if size > MAX_SUBMISSION_BYTES:
        raise ValueError(f"{path.name} is {size / 2**20:,.0f} MB, more than the {MAX_SUBMISSION_BYTES >> 20} MB "
                         "the grader reads (clear the notebook's outputs before handing it in)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name} is not a UTF-8 text file ({exc.reason}); expected a .ipynb notebook or "
                         "a .py script") from None
    if path.suffix == ".ipynb":
        pieces = [(source, None) for source in _notebook_sources(text, path.name)]
    elif path.suffix == ".py":
        pieces = _script_pieces(text)
    else:
        raise ValueError(f"{path.name} is neither a .ipynb notebook nor a .py script")
    pieces = [(_MAGIC.sub(r"\1# (not Python, skipped when graded) \2", code), line) for code, line in pieces]
    pieces = [(code, line) for code, line in pieces if _has_code(code)]
    questions = _questions_after(code for code, _ in pieces)
    return [SubmissionCell(number, code, line, _first_line(code), question, _defined_names(code))
            for number, ((code, line), question) in enumerate(zip(pieces, questions), start=1)]


def _notebook_sources(text, name):
    try:
        notebook = json.loads(text)
        cells = [c for c in notebook["cells"] if c.get("cell_type") == "code"]
        return ["".join(c["source"]) if isinstance(c["source"], list) else str(c["source"]) for c in cells]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, MemoryError) as exc:
        raise ValueError(f"{name} is not a readable Jupyter notebook ({type(exc).__name__}); expected the "
                         ".ipynb file saved by Jupyter, VS Code or Colab") from None


def _script_pieces(text):
    """`(code, first line number)` of each code cell of a `# %%` script (the whole file when it has none)."""
    pieces, kind, lines, start = [], "code", [], 1
    for number, line in enumerate(text.splitlines(), start=1):
        marker = _CELL_MARKER.match(line)
        if marker is None:
            lines.append(line)
            continue
        if kind == "code":
            pieces.append(("\n".join(lines), start))
        rest = marker.group("rest")
        kind = "markdown" if re.search(r"\[(markdown|md)\]", rest) else "raw" if "[raw]" in rest else "code"
        lines, start = [], number + 1
    if kind == "code":
        pieces.append(("\n".join(lines), start))
    trimmed = []
    for code, first in pieces:  # the cell's code starts at its first non-blank line
        body = code.split("\n")
        skip = next((i for i, line in enumerate(body) if line.strip()), 0)
        trimmed.append(("\n".join(body[skip:]).rstrip(), first + skip))
    return trimmed


def _has_code(code):
    return any(line.strip() and not line.strip().startswith("#") for line in code.splitlines())


def _first_line(code):
    line = next(line.strip() for line in code.splitlines() if line.strip() and not line.strip().startswith("#"))
    return one_line(line, 60).replace('"', "'")


def _questions_after(codes):
    codes = list(codes)
    found = [[m.group("question") for m in _CHECK_LINE.finditer(code)] for code in codes]
    questions, upcoming = [], None
    for names in reversed(found):
        if names:
            upcoming = names[0]
        questions.append(upcoming)
    return list(reversed(questions))


def _defined_names(code):
    """Names a cell binds at its top level (not inside its functions, classes or comprehensions).

    Iterative, so that a long expression (a sum of thousands of terms) cannot exhaust the stack.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    names, pending = set(), list(tree.body)
    scopes = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, scopes):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        pending.extend(ast.iter_child_nodes(node))
    return frozenset(names)


def cells_to_run(cells, hook):
    """The code the student's process runs: each `check("q..")` line replaced by a call of `hook`."""
    return [replace_check_calls(cell.code, hook + '("{question}")') for cell in cells]
