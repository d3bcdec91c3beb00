"""Submissions exported by Canvas or Moodle, as a folder or as the .zip itself, and the class roster.

Layouts (`detect_layout`; `--layout` forces one):

- plain: one .ipynb or .py per student, or one subfolder per student (`find_submissions`);
- canvas ("Download submissions"): flat files `<name>_<user id>_<file id>_<original name>`, with
  `_LATE` after the name when handed in late (`smithjohn_LATE_12345_67890_a1.ipynb`); the student is
  the user id, and of a student's files the one with the highest file id (the newest) is graded;
- moodle ("Download all submissions"): one folder per participant, `<Full name>_<id>_assignsubmission_file_/`
  (or, from older Moodles, flat files `<Full name>_<id>_assignsubmission_file_<original name>`); the student
  is the id.

Auto-detection: every visible entry (names that start with "." or "__" are skipped) named as Moodle
names them: moodle; else every visible entry a file named as Canvas names them: canvas; else plain.
A zip is extracted into a private temporary folder, member by member: an absolute name, a name with
"..", a link or a zip that is too large is refused before anything is written.
"""

import contextlib
import csv
import dataclasses
import io
import os
import pathlib
import re
import stat
import tempfile
import zipfile

from cnn_course.grading._submissions import (MAX_SUBMISSION_BYTES, SUFFIXES, Entry, entry_from_folder, find_submissions,
                                              printable)

LAYOUTS = ("auto", "plain", "canvas", "moodle")
#: The most a zip of submissions may hold, uncompressed, and how many members.
MAX_ZIP_BYTES = 8 << 30
MAX_ZIP_MEMBERS = 100_000
CANVAS_NAME = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<file_id>\d+)_(?P<original>.+)$")
MOODLE_NAME = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assign(?:submission|feedback)_(?P<plugin>[a-z]+)_"
                         r"(?P<original>.*)$", re.S)
ROSTER_COLUMNS = ("platform_id", "student_id", "name")


@dataclasses.dataclass(frozen=True)
class Hand:
    """One file or folder of an export, as its name tells it."""

    path: pathlib.Path
    platform_id: str
    name: str
    late: bool = False
    file_id: int = 0
    original: str = ""


def parse_canvas_name(file_name):
    """`(name, user id, file id, late, original name)` of a Canvas export's file name, or None.

    Example:

    >>> parse_canvas_name("smithjohn_LATE_12345_67890_a1.ipynb")
    ('smithjohn', '12345', 67890, True, 'a1.ipynb')
    >>> parse_canvas_name("reference.py") is None
    True
    """
    found = CANVAS_NAME.match(file_name)
    if not found:
        return None
    return (found.group("name"), found.group("id"), int(found.group("file_id")), bool(found.group("late")),
            found.group("original"))


def parse_moodle_name(entry_name):
    """`(full name, participant id, original name)` of a Moodle export's folder or file name, or None.

    Example:

    >>> parse_moodle_name("Zoë Ångström_1234_assignsubmission_file_")
    ('Zoë Ångström', '1234', '')
    """
    found = MOODLE_NAME.match(entry_name)
    return None if not found else (found.group("name"), found.group("id"), found.group("original"))


def _visible(folder):
    return [e for e in sorted(pathlib.Path(folder).iterdir()) if not e.name.startswith((".", "__"))]


def _is_file(path):
    return stat.S_ISREG(os.lstat(path).st_mode)


def detect_layout(folder):
    """"moodle", "canvas" or "plain", by the rule of this module's docstring; and how many entries fit each."""
    entries = _visible(folder)
    moodle = sum(parse_moodle_name(e.name) is not None for e in entries)
    canvas = sum(_is_file(e) and parse_canvas_name(e.name) is not None for e in entries)
    if entries and moodle == len(entries):
        return "moodle", moodle, canvas, len(entries)
    if entries and canvas == len(entries):
        return "canvas", moodle, canvas, len(entries)
    return "plain", moodle, canvas, len(entries)


# -- zips ---------------------------------------------------------------------------------------------
def _member_name(info):
    name = info.filename
    if not info.flag_bits & 0x800:  # not marked UTF-8: zipfile read it as cp437; most tools wrote UTF-8
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/")


def _refuse(zip_path, why):
    return ValueError(f"{zip_path} was not read: {why}. Expected the .zip that Canvas's \"Download submissions\" "
                      "or Moodle's \"Download all submissions\" gives, unchanged. Fix: download it again, or unpack "
                      "it yourself and grade the folder")


def extract_zip(zip_path, target):
    """Extract a zip of submissions into the folder `target`, refusing unsafe or oversized members first.

    Raises:
        ValueError: not a zip; a member with an absolute name, a drive, "..", a link; too many members or
            too many bytes. Nothing is written then.
    """
    zip_path, target = pathlib.Path(zip_path), pathlib.Path(target)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(zip_path, f"it is not a readable zip file ({exc})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise _refuse(zip_path, f"it holds {len(members)} members, more than {MAX_ZIP_MEMBERS}")
        planned, total = [], 0
        for info in members:
            name = _member_name(info)
            parts = [p for p in name.split("/") if p not in ("", ".")]
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                raise _refuse(zip_path, f"its member {printable(name)!r} would be written outside the folder it "
                                        "is unpacked into (an absolute name or '..')")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _refuse(zip_path, f"its member {printable(name)!r} is a symbolic link")
            if not parts:
                continue
            total += min(info.file_size, MAX_SUBMISSION_BYTES + 1)
            planned.append((info, parts))
        if total > MAX_ZIP_BYTES:
            raise _refuse(zip_path, f"it unpacks to more than {MAX_ZIP_BYTES >> 30} GB")
        for info, parts in planned:
            path = target.joinpath(*parts)
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            # A member larger than the grader reads is cut just past that size: the grader then says it is too
            # large, and a zip bomb costs no more than that.
            left = MAX_SUBMISSION_BYTES + 1
            try:
                with archive.open(info) as source, open(path, "xb") as out:
                    while left > 0:
                        block = source.read(min(1 << 20, left))
                        if not block:
                            break
                        out.write(block)
                        left -= len(block)
            except FileExistsError:
                raise _refuse(zip_path, f"it holds {printable(info.filename)!r} twice") from None
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                raise _refuse(zip_path, f"its member {printable(info.filename)!r} could not be read ({exc})") \
                    from None


@contextlib.contextmanager
def opened(submissions):
    """The submissions as a folder: the folder itself, or a zip unpacked into a temporary folder (removed after).

    Raises:
        ValueError: neither a folder nor a .zip file, or a zip `extract_zip` refuses.
    """
    submissions = pathlib.Path(submissions)
    if submissions.is_dir():
        yield submissions
        return
    if not submissions.is_file() or submissions.suffix.lower() != ".zip":
        what = "does not exist" if not submissions.exists() else "is not a folder or a .zip file"
        raise ValueError(f"The submissions {submissions} {what}. Fix: name the folder that holds one .ipynb or "
                         ".py file per student (or one subfolder per student), or the .zip that Canvas or Moodle "
                         "exports")
    with tempfile.TemporaryDirectory(prefix="cnn_course_unzipped_") as folder:
        os.chmod(folder, 0o700)
        extract_zip(submissions, folder)
        yield pathlib.Path(folder)


# -- the roster ---------------------------------------------------------------------------------------
def read_roster(path):
    """The roster: platform id -> (student id, name), in the file's order.

    A UTF-8 CSV with a header row holding `platform_id` (the Canvas user id, the Moodle participant id, or a
    plain folder's student name) and `student_id` (the name the grades use); `name` is optional; other
    columns are ignored.

    Raises:
        ValueError: a missing column, an empty or repeated id.
    """
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"The roster {path} could not be read ({exc}). Fix: a UTF-8 CSV file with columns "
                         "platform_id,student_id,name") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in ROSTER_COLUMNS[:2] if c not in columns]
    if missing:
        raise ValueError(f"The roster {path} has no column {', '.join(missing)} (its header: {', '.join(columns)}"
                         "). Fix: a header row platform_id,student_id,name (name optional)")
    roster, students = {}, set()
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        platform_id, student = row.get("platform_id", ""), row.get("student_id", "")
        if not platform_id and not student:
            continue
        if not platform_id or not student:
            raise ValueError(f"The roster {path}, line {number}: platform_id and student_id must both be given")
        if platform_id in roster or student in students:
            raise ValueError(f"The roster {path}, line {number}: {platform_id if platform_id in roster else student}"
                             " appears twice. Fix: one line per student")
        roster[platform_id] = (printable(student), printable(row.get("name", "")))
        students.add(student)
    if not roster:
        raise ValueError(f"The roster {path} lists no student")
    return roster


# -- entries ------------------------------------------------------------------------------------------
def _canvas_entries(folder):
    hands, strays = {}, []
    for path in _visible(folder):
        parsed = parse_canvas_name(path.name) if _is_file(path) else None
        if parsed is None:
            strays.append(path)
            continue
        name, user_id, file_id, late, original = parsed
        hands.setdefault(user_id, []).append(Hand(path, user_id, name, late, file_id, original))
    entries = []
    for user_id, files in hands.items():
        files.sort(key=lambda h: (h.file_id, h.path.name))
        code = [h for h in files if h.path.suffix in SUFFIXES]
        newest = files[-1]
        key = f"{newest.name}_{user_id}"
        if not code:
            listed = ", ".join(h.path.name for h in files)
            entries.append(Entry(key, problem=f"no .ipynb notebook or .py script among the files handed in "
                                              f"({listed})", source=listed, platform_id=user_id, late=newest.late))
            continue
        kept, skipped = code[-1], code[:-1]
        notes = ()
        if skipped:
            notes = (f"{len(code)} files were handed in; graded the newest, {kept.path.name} (file id "
                     f"{kept.file_id}); not graded: " + ", ".join(f"{h.path.name} (file id {h.file_id})"
                                                                  for h in reversed(skipped)),)
        entries.append(Entry(key, path=kept.path, source=kept.path.name, platform_id=user_id, late=kept.late,
                             notes=notes))
    return entries, strays, "Canvas"


def _moodle_entries(folder):
    groups, strays = {}, []
    for path in _visible(folder):
        parsed = parse_moodle_name(path.name)
        if parsed is None:
            strays.append(path)
            continue
        groups.setdefault(parsed[1], (parsed[0], []))[1].append(path)
    entries = []
    for participant, (name, paths) in groups.items():
        key = f"{name}_{participant}"
        found = []
        for path in paths:
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode):
                found.append(entry_from_folder(path))
            elif stat.S_ISREG(mode) and path.suffix in SUFFIXES:
                found.append(Entry(key, path=path, source=path.name))
            else:
                found.append(Entry(key, problem=f"{path.name} is not a .ipynb notebook or a .py script",
                                   source=path.name))
        graded = [e for e in found if e.path is not None]
        if len(graded) == 1:
            entry = graded[0]
        elif graded:
            listed = ", ".join(e.source for e in graded)
            entry = Entry(key, problem=f"{len(graded)} .ipynb/.py files ({listed}): the grader takes exactly one "
                                       "per student", source=listed)
        else:
            entry = found[0] if len(found) == 1 else Entry(key, problem="no .ipynb or .py file in: " + "; ".join(
                e.problem for e in found), source=", ".join(e.source for e in found))
        entries.append(dataclasses.replace(entry, student=key, platform_id=participant))
    return entries, strays, "Moodle"


def _stray(path, platform):
    expected = ("<name>_<user id>_<file id>_<file name>" if platform == "Canvas"
                else "<Full name>_<id>_assignsubmission_file_")
    return Entry(path.name, problem=f"{path.name} is not named as {platform} names a hand-in ({expected}); "
                                    "rename it so, or grade it in a plain folder", source=path.name)


def find_entries(folder, layout="auto", roster=None):
    """Every student of a submissions folder in its layout, the roster applied; and a line saying what was read.

    Args:
        folder: the (unpacked) submissions folder.
        layout: "auto", "plain", "canvas" or "moodle".
        roster: `read_roster`'s dict, or None.

    Returns:
        `(entries sorted by student, description)`.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    chosen, moodle, canvas, count = detect_layout(folder)
    if layout != "auto":
        chosen = layout
    if chosen == "plain":
        entries = find_submissions(folder)
        description = "a plain folder (one file or subfolder per student)"
        hint = max((moodle, "moodle"), (canvas, "canvas"))
        if layout == "auto" and hint[0] and hint[0] * 2 >= count:
            description += (f"; {hint[0]} of its {count} entries are named as {hint[1].title()} names them, not all"
                            f": to read it as a {hint[1].title()} export, add --layout {hint[1]}")
    else:
        entries, strays, platform = (_canvas_entries if chosen == "canvas" else _moodle_entries)(folder)
        entries += [_stray(path, platform) for path in strays]
        description = f"a {platform} export ({len(entries)} students)"
    if roster is not None:
        entries = _apply_roster(entries, roster)
    entries = [dataclasses.replace(e, student=printable(e.student), source=printable(e.source)) for e in entries]
    names = [e.student for e in entries]
    entries = [dataclasses.replace(e, student=f"{e.student} ({e.source})") if names.count(e.student) > 1 else e
               for e in entries]
    return sorted(entries, key=lambda e: e.student), description


def _apply_roster(entries, roster):
    result, seen = [], set()
    for entry in entries:
        entry = dataclasses.replace(entry, platform_id=entry.platform_id or entry.student)
        known = roster.get(entry.platform_id)
        if known is None:
            result.append(dataclasses.replace(entry, notes=entry.notes + (
                f"id {entry.platform_id} is not on the roster: graded under the name of the hand-in",)))
            continue
        seen.add(entry.platform_id)
        result.append(dataclasses.replace(entry, student=known[0], name=known[1]))
    for platform_id, (student, name) in roster.items():
        if platform_id not in seen:
            result.append(Entry(student, name=name, platform_id=platform_id, missing=True,
                                problem="no submission was received"))
    return result


# -- what the grades and the feedback say of it -------------------------------------------------------
def row_extras(entry):
    """The columns `name`, `platform_id` and `late` of an entry from an export or a roster ({} for a plain one)."""
    if entry is None or not (entry.platform_id or entry.missing):
        return {}
    late = "" if entry.late is None else "late" if entry.late else "no"
    return {"name": entry.name, "platform_id": entry.platform_id, "late": late}


def with_hand_in_lines(feedback, entry):
    """A student's feedback with lines on the hand-in (late, the files kept and skipped, missing) after its head."""
    lines = []
    if entry is not None and entry.missing:
        lines.append("Hand-in: none received (you are on the class roster, and no submission of yours was in the "
                     "export): 0 points")
    if entry is not None and entry.late:
        lines.append("Hand-in: marked LATE by Canvas")
    lines += [f"Hand-in: {note}" for note in (entry.notes if entry is not None else ())]
    if not lines:
        return feedback
    head, _, rest = feedback.partition("\n\n")
    return head + "\n" + "\n".join(lines) + "\n\n" + rest
