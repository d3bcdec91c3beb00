"""Generate each notebooks/*.ipynb from its `# %%` source notebooks/*.py (jupytext), without outputs.

Usage:
    python tools/sync_notebooks.py           # rewrite the .ipynb files that changed
    python tools/sync_notebooks.py --check   # exit 1 if any .ipynb is out of date

Edit only the .py sources; never edit a generated .ipynb by hand. Every generated notebook gets,
right after its title cell, the same first code cell (`cnn_course.notebook_files.COLAB_CELL`): it
installs cnn_course when the notebook runs on Colab and does nothing anywhere else.
"""

import argparse
import os
import pathlib
import sys
import tempfile

import jupytext
import nbformat

from cnn_course.notebook_files import COLAB_CELL

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def render(source):
    """Return the .ipynb text generated from a `# %%` source file."""
    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                       "name": "python3"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata.pop("jupytext", None)
    if not notebook.cells or notebook.cells[0].cell_type != "markdown":
        raise ValueError(f"{source}: a notebook source must open with its title cell (# %% [markdown]).")
    notebook.cells.insert(1, nbformat.v4.new_code_cell(COLAB_CELL))
    for cell in notebook.cells:
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # Stable cell ids so that regenerating gives identical files.
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i:03d}"
    return nbformat.writes(notebook) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date notebooks")
    args = parser.parse_args(argv)
    stale = []
    for source in sorted(NOTEBOOKS.glob("*.py")):
        target = source.with_suffix(".ipynb")
        text = render(source)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target)
        if not args.check:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".ipynb")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
            print(f"wrote {target.relative_to(NOTEBOOKS.parent)}")
    if args.check and stale:
        print("Out of date (run: python tools/sync_notebooks.py): "
              + ", ".join(str(p.relative_to(NOTEBOOKS.parent)) for p in stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
