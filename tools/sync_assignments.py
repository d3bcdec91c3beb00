"""Write each assignment's public checks into the package, from its master source.

Usage:
    python tools/sync_assignments.py           # rewrite cnn_course/assignment_checks/<name>.py that changed
    python tools/sync_assignments.py --check   # exit 1 if any is out of date

The public checks ship inside the package so that a student's `check("q1")` works offline,
whatever the notebook is called; hidden checks stay in `assignments/<name>/<name>.py`.
"""

import argparse
import pathlib
import sys

from cnn_course.grading import Master, find_masters
from cnn_course._files import write_text_atomically

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = ROOT / "cnn_course" / "assignment_checks"


def masters():
    """The master sources: assignments/<name>/<name>.py."""
    return find_masters(ROOT / "assignments")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    args = parser.parse_args(argv)
    stale = []
    for path in masters():
        master = Master(path)
        text = master.public_checks_module()
        leaks = master.leaks([text])
        if leaks:
            print(f"{path}: the public checks would show solution or hidden-check lines: {leaks[:3]}")
            return 1
        target = TARGET / f"{master.name}.py"
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target)
        if not args.check:
            write_text_atomically(target, text)
            print(f"wrote {target.relative_to(ROOT)}")
    known = {p.stem for p in masters()}
    extra = [p for p in TARGET.glob("*.py") if p.stem != "__init__" and p.stem not in known]
    if extra:
        print("No master source for: " + ", ".join(p.name for p in extra))
        return 1
    if args.check and stale:
        print("Out of date (run: python tools/sync_assignments.py): "
              + ", ".join(str(p.relative_to(ROOT)) for p in stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
