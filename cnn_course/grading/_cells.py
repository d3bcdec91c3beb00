"""CSV cells that a spreadsheet shows as text (grades.csv and the platforms' grade files)."""

import csv
import io

#: Characters a spreadsheet reads as the start of a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A CSV cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR gets a quote in front.

    Example:

    >>> safe_cell("=1+1"), safe_cell("ann"), safe_cell("-3")
    ("'=1+1", 'ann', "'-3")
    """
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(rows):
    """The text of a CSV file of `rows` (sequences of cells), every cell through `safe_cell`, lines ending in \\n.

    Example:

    >>> csv_text([["student", "total"], ["=ann", 3]])
    "student,total\\n'=ann,3\\n"
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
