"""An assignment's master source: read it, and derive the student version, the checks and the reference.

A master source is a `# %%` percent-format script (see `assignments/README.md`)
holding the text, the given code, the solution between otter-grader's markers
and the checks. This module only reads and rewrites text: it never runs the
code, and it needs neither Jupyter nor TensorFlow.
"""

import ast
import dataclasses
import hashlib
import json
import keyword
import os
import pathlib
import re

from cnn_course._validation import check_number

#: Tags of the cells that hold checks; neither kind reaches the student's notebook.
PUBLIC_TAG = "checks"
HIDDEN_TAG = "hidden-checks"

_CELL_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
_TAGS = re.compile(r"tags\s*=\s*(\[[^\]]*\])")
_CHECK_CALL = re.compile(r"""^(?P<indent>\s*)check\(\s*["'](?P<question>\w+)["']\s*\)\s*(#.*)?$""")


@dataclasses.dataclass
class Cell:
    """One cell: `kind` is "code", "markdown" or "raw"; `source` its text (markdown without '# ')."""

    kind: str
    source: str
    tags: tuple = ()


def read_cells(text):
    """Split percent-format text into `Cell`s. Text before the first `# %%` is one code cell.

    Example:

    >>> cells = read_cells("# %% [markdown]\\n# # Title\\n\\n# %%\\nx = 1\\n")
    >>> [(c.kind, c.source) for c in cells]
    [('markdown', '# Title'), ('code', 'x = 1')]
    """
    cells, kind, tags, lines = [], "code", (), []

    def close():
        body = lines
        if kind != "code":
            body = [re.sub(r"^# ?", "", line) if line.startswith("#") else line for line in lines]
        source = "\n".join(body).strip("\n")
        if source.strip() or kind != "code" or tags:
            cells.append(Cell(kind, source, tags))

    for line in text.splitlines():
        marker = _CELL_MARKER.match(line)
        if marker is None:
            lines.append(line)
            continue
        if lines or cells:
            close()
        rest = marker.group("rest")
        kind = "markdown" if re.search(r"\[(markdown|md)\]", rest) else "raw" if "[raw]" in rest else "code"
        found = _TAGS.search(rest)
        tags = tuple(json.loads(found.group(1))) if found else ()
        lines = []
    if lines:
        close()
    return cells


def strip_solutions(code):
    """Return `code` with otter-grader's solution markers applied, as the student sees it.

    A `# BEGIN SOLUTION` ... `# END SOLUTION` block becomes `...` (nothing for
    `# BEGIN SOLUTION NO PROMPT`); a line ending in `# SOLUTION` becomes
    `name = ...`, `return ...` or `...`; a commented `# BEGIN PROMPT` ...
    `# END PROMPT` block is uncommented.

    Example:

    >>> print(strip_solutions("def f(x):\\n    # BEGIN SOLUTION\\n    return 2 * x\\n    # END SOLUTION\\n"
    ...                       "y = 3  # SOLUTION"))
    def f(x):
        ...  # your code here
    y = ...  # your answer
    """
    out, state = [], None
    for number, line in enumerate(code.splitlines(), start=1):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped.startswith("# BEGIN SOLUTION") or stripped in ("# END SOLUTION", "# BEGIN PROMPT", "# END PROMPT"):
            state = _after_marker(stripped, state, number)
            if stripped.startswith("# BEGIN SOLUTION") and "NO PROMPT" not in stripped:
                out.append(f"{indent}...  # your code here")
        elif state == "solution":
            continue
        elif state == "prompt":
            out.append(re.sub(r"^(\s*)# ?", r"\1", line))
        else:
            out.append(_student_line(line, indent))
    if state is not None:
        raise ValueError(f"a `# BEGIN {state.upper()}` block is never closed")
    return "\n".join(out)


def _after_marker(stripped, state, number):
    """The block state ("solution", "prompt" or None) after marker line `number`; ValueError if it is misplaced."""
    if stripped.startswith("# BEGIN SOLUTION"):
        if state is not None:
            raise ValueError(f"line {number}: `# BEGIN SOLUTION` inside another marked block")
        return "solution"
    if stripped == "# END SOLUTION":
        if state != "solution":
            raise ValueError(f"line {number}: `# END SOLUTION` without `# BEGIN SOLUTION`")
        return None
    if stripped == "# BEGIN PROMPT":
        if state is not None:
            raise ValueError(f"line {number}: `# BEGIN PROMPT` inside another marked block")
        return "prompt"
    if state != "prompt":
        raise ValueError(f"line {number}: `# END PROMPT` without `# BEGIN PROMPT`")
    return None


def _student_line(line, indent):
    """A line outside marked blocks as the student sees it: one ending in `# SOLUTION` becomes a stub."""
    if not re.search(r"#\s*SOLUTION\s*$", line):
        return line
    body = re.sub(r"\s*#\s*SOLUTION\s*$", "", line).strip()
    assignment = re.match(r"^([\w\s,.\[\]'\"]+?)\s*(=|\+=|-=)(?!=)", body)
    if body.startswith("return"):
        return f"{indent}return ...  # your code here"
    if assignment:
        return f"{indent}{assignment.group(1).strip()} = ...  # your answer"
    return f"{indent}...  # your code here"


def strip_markdown_solutions(text):
    """Remove `<!-- BEGIN SOLUTION -->` ... `<!-- END SOLUTION -->` blocks from markdown."""
    return re.sub(r"<!--\s*BEGIN SOLUTION\s*-->.*?<!--\s*END SOLUTION\s*-->\n?", "", text, flags=re.S)


def solution_lines(code):
    """The lines a student must never see: inside solution blocks, or ending in `# SOLUTION`."""
    found, inside = [], False
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("# BEGIN SOLUTION"):
            inside = True
        elif stripped == "# END SOLUTION":
            inside = False
        elif inside or re.search(r"#\s*SOLUTION\s*$", line):
            found.append(re.sub(r"\s*#\s*SOLUTION\s*$", "", stripped))
    return [line for line in found if line]


def check_cells_of(cells):
    """The question each `check("q1")` line of `cells` names, in order."""
    return [m.group("question") for cell in cells if cell.kind == "code"
            for m in map(_CHECK_CALL.match, cell.source.splitlines()) if m]


def replace_check_calls(code, replacement):
    """Replace every `check("qN")` line of `code` by `replacement.format(question=..)`, same indent."""
    out = []
    for line in code.splitlines():
        match = _CHECK_CALL.match(line)
        out.append(match.group("indent") + replacement.format(question=match.group("question"))
                   if match else line)
    return "\n".join(out)


@dataclasses.dataclass(frozen=True)
class CheckSpec:
    """A check as read from the source without running it: its question, name, points, kind."""

    question: str
    name: str
    points: float
    hidden: bool
    description: str


def _decorator_spec(node):
    for decorator in node.decorator_list:
        if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name)
                and decorator.func.id in ("public", "hidden")):
            args = [ast.literal_eval(a) for a in decorator.args]
            keywords = {k.arg: ast.literal_eval(k.value) for k in decorator.keywords}
            question = args[0] if args else keywords["question"]
            points = args[1] if len(args) > 1 else keywords.get("points", 1)
            doc = ast.get_docstring(node)
            description = doc.splitlines()[0].rstrip(".") if doc else node.name.replace("_", " ")
            return CheckSpec(question, node.name, points, decorator.func.id == "hidden", description)
    return None


def check_specs(source):
    """Read the checks of a check source (`@public(...)`/`@hidden(...)` functions) without running it."""
    tree = ast.parse(source)
    specs = [_decorator_spec(node) for node in tree.body if isinstance(node, ast.FunctionDef)]
    return [spec for spec in specs if spec is not None]


class Master:
    """An assignment's master source.

    Args:
        path: the master's `.py` file (`assignments/<name>/<name>.py`).

    Raises:
        ValueError: when a marker is unbalanced, two checks share a name, or a
            question has checks but no `check("q..")` cell.
    """

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.name = self.path.stem
        self.text = self.path.read_text(encoding="utf-8")
        self.cells = read_cells(self.text)
        self.public_source = self._join(PUBLIC_TAG)
        self.hidden_source = self._join(HIDDEN_TAG)
        self.checks = check_specs(self.public_source) + check_specs(self.hidden_source)
        self._validate()

    def _join(self, tag):
        return "\n\n".join(c.source for c in self.cells if c.kind == "code" and tag in c.tags) + "\n"

    def _validate(self):
        names = [f"{c.question}.{c.name}" for c in self.checks]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"{self.path}: two checks share the name {', '.join(twice)}")
        for cell in self.cells:
            if cell.kind == "code":
                strip_solutions(cell.source)  # raises on an unbalanced marker
        missing = [q for q in self.questions if q not in check_cells_of(self.cells)]
        if missing:
            raise ValueError(f"{self.path}: no `check(\"{missing[0]}\")` cell for question {missing[0]}; "
                             "add one after the question's code")

    @property
    def questions(self):
        """Question -> {"public": points, "hidden": points, "hidden_checks": [what each hidden check checks]}.

        In question order. "hidden_checks" lists each hidden check's description
        and points, so that a student's `check()` can say which parts only the
        teacher's grading checks (never its inputs or expected values).
        """
        table = {}
        for check in self.checks:
            entry = table.setdefault(check.question, {"public": 0, "hidden": 0, "hidden_checks": []})
            entry["hidden" if check.hidden else "public"] += check.points
            if check.hidden:
                entry["hidden_checks"].append(f"{check.description} ({check.points:g})")
        return {q: table[q] for q in sorted(table, key=_question_order)}

    @property
    def total_points(self):
        return sum(c.points for c in self.checks)

    @property
    def time_limit(self):
        """Seconds the grader gives one submission: `TIME_LIMIT_SECONDS = ...` in a check cell, else None."""
        for source in (self.public_source, self.hidden_source):
            for node in ast.parse(source).body:
                if (isinstance(node, ast.Assign) and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "TIME_LIMIT_SECONDS"):
                    value = ast.literal_eval(node.value)
                    try:
                        check_number("TIME_LIMIT_SECONDS", value, low=0, low_open=True)
                    except ValueError as exc:
                        raise ValueError(f"{self.path}: {exc}") from None
                    return value
        return None

    @property
    def version(self):
        """A short hash of everything the student sees and the public checks."""
        text = write_percent(self.student_cells()) + self.public_source
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    def student_cells(self):
        """The cells of the student version: no check cells, no solutions."""
        cells = []
        for cell in self.cells:
            if PUBLIC_TAG in cell.tags or HIDDEN_TAG in cell.tags:
                continue
            if cell.kind == "code":
                cells.append(Cell("code", strip_solutions(cell.source)))
            elif cell.kind == "markdown":
                cells.append(Cell("markdown", strip_markdown_solutions(cell.source)))
            else:
                cells.append(cell)
        return cells

    def reference_cells(self):
        """The reference solution as a submission: the master without its check cells."""
        return [c for c in self.cells if PUBLIC_TAG not in c.tags and HIDDEN_TAG not in c.tags]

    def public_checks_module(self):
        """Text of the generated `cnn_course/assignment_checks/<name>.py`: the public checks only."""
        header = (f'"""Public checks of assignment {self.name} (generated from assignments/{self.name}/'
                  f'{self.name}.py by\n`python tools/sync_assignments.py`: do not edit by hand)."""\n\n'
                  f"NAME = {self.name!r}\nVERSION = {self.version!r}\n"
                  f"QUESTIONS = {json.dumps(self.questions)}\n\n")
        return header + self.public_source

    def leaks(self, texts):
        """Solution lines and hidden-check lines that appear in any of `texts`.

        A secret line (of a solution, or of a hidden check) counts when it is at
        least 8 characters long once stripped, is not an import, a comment or a
        lone keyword such as `continue`, appears anywhere in the texts (as
        a whole line or inside one), and does not also appear in what the
        student is meant to see (the given code, the text, the public checks).

        Args:
            texts: the student-facing texts to search (notebook, script, public checks).

        Returns:
            The leaked lines, sorted (empty when nothing leaked).
        """
        visible = []
        for cell in self.cells:
            if HIDDEN_TAG in cell.tags:
                continue
            if cell.kind == "code":
                visible.append(strip_solutions(cell.source))
            elif cell.kind == "markdown":
                visible.append(strip_markdown_solutions(cell.source))
            else:
                visible.append(cell.source)
        visible = "\n".join(visible)
        secret = set()
        for cell in self.cells:
            if cell.kind == "code":
                secret.update(solution_lines(cell.source))
            if HIDDEN_TAG in cell.tags:
                secret.update(line.strip() for line in cell.source.splitlines())
            if cell.kind == "markdown":
                for block in re.findall(r"<!--\s*BEGIN SOLUTION\s*-->(.*?)<!--\s*END SOLUTION\s*-->",
                                        cell.source, flags=re.S):
                    secret.update(line.strip() for line in block.splitlines())
        secret = {line for line in secret if len(line) >= 8 and not _generic(line) and line not in visible}
        searched = "\n".join(texts)
        return sorted(line for line in secret if line in searched)


def find_masters(folder):
    """The master sources in `folder`: each `<name>/<name>.py`, sorted by name."""
    return sorted(p for p in pathlib.Path(folder).glob("*/*.py") if p.stem == p.parent.name)


def _generic(line):
    """True for a line that gives nothing away wherever it appears: an import, a lone keyword."""
    return (line.startswith(("import ", "from ")) or line.rstrip(":") in keyword.kwlist
            or line.startswith("#"))


def _question_order(name):
    digits = re.findall(r"\d+", name)
    return (int(digits[0]) if digits else 0, name)


def write_percent(cells, header=None):
    """Percent-format text of `cells` (jupytext reads it as a notebook)."""
    parts = [header.rstrip("\n") + "\n"] if header else []
    for cell in cells:
        if cell.kind == "markdown":
            body = "\n".join(f"# {line}".rstrip() for line in cell.source.splitlines())
            parts.append(f"# %% [markdown]\n{body}\n")
        else:
            tags = f" tags={json.dumps(list(cell.tags))}" if cell.tags else ""
            kind = " [raw]" if cell.kind == "raw" else ""
            parts.append(f"# %%{kind}{tags}\n{cell.source}\n")
    return "\n".join(parts)


def write_ipynb(cells, metadata=None):
    """The `.ipynb` text (nbformat 4.5, no outputs, stable cell ids) of `cells`."""
    notebook_cells = []
    for i, cell in enumerate(cells):
        entry = {"cell_type": cell.kind, "id": f"cell-{i:03d}", "metadata": {},
                 "source": cell.source.splitlines(keepends=True)}
        if cell.kind == "code":
            entry.update(execution_count=None, outputs=[])
        notebook_cells.append(entry)
    notebook = {
        "cells": notebook_cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}, **(metadata or {})},
        "nbformat": 4, "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def build_student_version(master, directory):
    """Write the student version of `master` as `<name>.ipynb` and `<name>.py` into `directory`.

    The notebook gets the course's Colab cell after its title (it installs
    cnn_course on Colab and does nothing elsewhere). Both files are checked
    before they are written: no solution line and no hidden-check line may
    appear in them, and the installed package's public checks must be the
    ones this master defines (else `check()` would run other checks).

    Args:
        master: a `Master`.
        directory: the folder to write to (made if missing).

    Returns:
        The two paths written.

    Raises:
        ValueError: if a solution or hidden-check line would reach the
            student, or the installed public checks are out of date.
    """
    from cnn_course._files import write_text_atomically
    from cnn_course.notebook_files import COLAB_CELL

    cells = master.student_cells()
    if cells and cells[0].kind == "markdown":
        cells.insert(1, Cell("code", COLAB_CELL.rstrip("\n")))
    header = (f"# Assignment {master.name} (version {master.version}), student version.\n"
              "# Write your answers in place of each `...`, run the file cell by cell, and run\n"
              "# `check(\"q1\")` and the other check cells: they run the public checks.\n")
    texts = {".ipynb": write_ipynb(cells, {"cnn_course": {"assignment": master.name,
                                                          "version": master.version}}),
             ".py": write_percent(cells, header)}
    leaks = master.leaks(texts.values())
    if leaks:
        raise ValueError(f"The student version of {master.name} would show {len(leaks)} line(s) of the "
                         f"solution or the hidden checks, e.g. {leaks[0]!r}. Fix the markers in {master.path}")
    installed = _installed_version(master.name)
    if installed != master.version:
        raise ValueError(f"The installed cnn_course carries public checks of {master.name} version "
                         f"{installed}, but {master.path} is version {master.version}. Fix: run "
                         "`python tools/sync_assignments.py` in the course repository, and hand out "
                         "the package built from it")
    paths = []
    for suffix, text in texts.items():
        path = pathlib.Path(directory) / f"{master.name}{suffix}"
        write_text_atomically(path, text)
        paths.append(path)
    return paths


def _installed_version(name):
    import importlib

    try:
        return importlib.import_module(f"cnn_course.assignment_checks.{name}").VERSION
    except ImportError:
        return None


#: Environment variable naming a folder of master sources (default: ./assignments or the repository's).
ASSIGNMENTS_ENV = "CNN_COURSE_ASSIGNMENTS"


def masters_dirs():
    """Folders searched for master sources, in order: $CNN_COURSE_ASSIGNMENTS, ./assignments, the repository's."""
    dirs = []
    if os.environ.get(ASSIGNMENTS_ENV):
        dirs.append(pathlib.Path(os.environ[ASSIGNMENTS_ENV]))
    dirs.append(pathlib.Path.cwd() / "assignments")
    dirs.append(pathlib.Path(__file__).resolve().parents[2] / "assignments")
    unique = []
    for d in dirs:
        if d.resolve() not in [u.resolve() for u in unique]:
            unique.append(d)
    return unique


def find_master(name):
    """Return the path of assignment `name`'s master source (or `name` itself if it is a .py file).

    Raises:
        ValueError: if no master source of that name is found; says where it looked.
    """
    path = pathlib.Path(name)
    if path.suffix == ".py" and path.is_file():
        return path
    for folder in masters_dirs():
        candidate = folder / name / f"{name}.py"
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(d) for d in masters_dirs())
    known = master_names()
    if known:  # the masters are there: the name is wrong (a typo, or a folder given where a name goes)
        raise ValueError(f"No assignment named {name!r}; the assignments are {', '.join(known)}. Fix: name one "
                         "of them, or pass a master's .py file (`build` also takes `all`, and builds into a "
                         f"folder given after the name: cnn-course assignment build all {name})")
    raise ValueError(f"No master source for assignment {name!r} (looked for {name}/{name}.py in: {looked}). "
                     f"Fix: run from the course repository, pass the master's .py file, or set "
                     f"{ASSIGNMENTS_ENV} to the folder that holds the assignments")


def master_names():
    """Names of the assignments with a master source in the first folder of `masters_dirs()` that has any."""
    for folder in masters_dirs():
        names = [p.stem for p in find_masters(folder)]
        if names:
            return names
    return []
