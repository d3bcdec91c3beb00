"""Tables as plain text and as HTML: the one formatter behind every table the package prints.

The demo's results, `explain_model`'s layer table, a search's trials, a
learning curve and the per-class classification report all go through
`text_table` (for `print`) and `html_table` (for Jupyter's `_repr_html_`).
"""

import html

from cnn_course._validation import arg_error


def format_cell(value):
    """A table cell's text: floats to 3 decimals, anything else as `str`.

    Example:

    >>> format_cell(0.91234), format_cell(12), format_cell("cat")
    ('0.912', '12', 'cat')
    """
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _check_align(align, n):
    if align is None:
        return "r" * n
    if not isinstance(align, str) or len(align) != n or set(align) - {"l", "r"}:
        raise arg_error("align", align, f"a string of {n} letters 'l' (left) or 'r' (right), one per column",
                        f"For example align={'l' + 'r' * (n - 1)!r}")
    return align


def text_table(columns, rows, align=None, rule=False):
    """Format rows as a plain-text table; cells are `format_cell`'s text, columns two spaces apart.

    Args:
        columns: the header's names.
        rows: sequences of values, one per column.
        align: one letter per column, "l" (left) or "r" (right); default: all right.
        rule: whether a line of dashes goes under the header.

    Returns:
        The table as one string, lines without trailing spaces.

    Raises:
        ValueError: if `align` does not have one "l" or "r" per column.

    Example:

    >>> print(text_table(["class", "n"], [["cat", 3], ["dog", 12]]))
    class   n
      cat   3
      dog  12
    >>> print(text_table(["model", "accuracy"], [["dense", 0.25]], align="lr", rule=True))
    model  accuracy
    -----  --------
    dense     0.250
    """
    align = _check_align(align, len(columns))
    cells = [[str(c) for c in columns]] + [[format_cell(v) for v in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(columns))]

    def line(values):
        return "  ".join(v.ljust(w) if a == "l" else v.rjust(w) for v, w, a in zip(values, widths, align)).rstrip()

    lines = [line(cells[0])]
    if rule:
        lines.append(line(["-" * w for w in widths]))
    return "\n".join(lines + [line(r) for r in cells[1:]])


def html_table(columns, rows, align=None, code=(), footer=(), title=None):
    """Format rows as an HTML table (what Jupyter shows for `_repr_html_`); all text is escaped.

    Args:
        columns: the header's names.
        rows: sequences of values, one per column (shown as `format_cell`'s text).
        align: as in `text_table`; default: the browser's (left).
        code: indexes of the columns shown in a monospace font (shapes, formulas).
        footer: lines shown in bold under the table, each across all columns.
        title: an optional bold line above the table.

    Returns:
        The HTML as one string.

    Example:

    >>> html_table(["class", "n"], [["cat", 3]])
    '<table><thead><tr><th>class</th><th>n</th></tr></thead><tbody><tr><td>cat</td><td>3</td></tr></tbody></table>'
    """
    align = _check_align(align, len(columns)) if align is not None else "l" * len(columns)

    def cell(k, value):
        text = html.escape(format_cell(value))
        text = f"<code>{text}</code>" if k in code else text
        style = ' style="text-align:right"' if align[k] == "r" else ""
        return f"<td{style}>{text}</td>"

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(cell(k, v) for k, v in enumerate(row)) + "</tr>" for row in rows)
    foot = "".join(f'<tr><td colspan="{len(columns)}"><b>{html.escape(t)}</b></td></tr>' for t in footer)
    table = (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
             + (f"<tfoot>{foot}</tfoot>" if foot else "") + "</table>")
    return (f"<p><b>{html.escape(title)}</b></p>" if title else "") + table
