"""Progress as plain text lines: the text of every progress line of cnn_course, without Keras.

`format_line` builds a line, `print_line` prints one, `Heartbeat` says when a
slow loop is due for one. NumPy-only modules (`shapes`, the grading, ...) use
them directly; `cnn_course.progress` adds the Keras callback (`ProgressLine`)
and re-exports these.
"""

import math
import numbers
import time

from cnn_course._validation import check_number

#: Seconds without a line after which a long-running step prints one anyway.
INTERVAL = 10.0


# ---------------------------------------------------------------------------
# The line
# ---------------------------------------------------------------------------


def _number(value):
    """A metric value as Keras's progress bar writes it: 4 decimals, scientific below 0.001."""
    value = float(value)
    if math.isnan(value) or math.isinf(value) or value == 0 or abs(value) >= 1e-3:
        return f"{value:.4f}"
    return f"{value:.4e}"


def _value(value):
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return _number(value)
    if getattr(value, "shape", None) == ():  # a 0-d NumPy array or tensor
        return _number(value)
    return str(value)


def format_line(label, step=None, total=None, values=None, *, note=None, seconds=None, name=None):
    """Build one progress line: `[name: ]label step/total  key=value ...  [note]  (seconds s)`.

    The one format of all progress output in `cnn_course`: epochs
    (`ProgressLine`), search trials, learning-curve points, feature
    extraction, notebook steps. Plain text only (no backspaces, carriage
    returns or colour codes), so it reads the same in a terminal, a notebook,
    Colab, VS Code and a log file. Floats are written as Keras's progress bar
    writes them (4 decimals, or scientific notation below 0.001); strings and
    integers as they are.

    Args:
        label: what is counted, e.g. "epoch", "trial", "size".
        step: the current step (1-based), or None.
        total: the number of steps, or None when unknown.
        values: optional dict `name -> value` (metrics, hyperparameters), in order.
        note: optional text after the values, e.g. "resumed from grid.jsonl".
        seconds: optional duration, written as `(1.2 s)` at the end.
        name: optional prefix naming the run, e.g. "convnet".

    Returns:
        The line, without a newline.

    Example:

    >>> format_line("epoch", 3, 20, {"loss": 0.41234, "val_accuracy": 0.8125}, seconds=1.23)
    'epoch 3/20  loss=0.4123  val_accuracy=0.8125  (1.2 s)'
    >>> format_line("trial", 2, 6, {"learning_rate": "0.001"}, note="resumed from grid.jsonl", name="grid")
    'grid: trial 2/6  learning_rate=0.001  resumed from grid.jsonl'
    """
    head = str(label)
    if step is not None:
        head += f" {step}" if total is None else f" {step}/{total}"
    parts = [f"{name}: {head}" if name else head]
    parts += [f"{key}={_value(value)}" for key, value in (values or {}).items()]
    if note:
        parts.append(str(note))
    if seconds is not None:
        parts.append(f"({seconds:.1f} s)")
    return "  ".join(parts)


def print_line(label, step=None, total=None, values=None, *, note=None, seconds=None, name=None):
    """Print one progress line (see `format_line`) and flush it at once.

    Use it for any loop that is not Keras epochs, so that its progress looks
    like the rest: a notebook cell that repeats a slow step prints one line
    per step, and a student can tell a slow cell from a hung one.

    Args:
        label, step, total, values, note, seconds, name: as in `format_line`.

    Example:

    >>> for k in range(1, 3):
    ...     print_line("image", k, 2, {"mass_inside": 0.5 * k})
    image 1/2  mass_inside=0.5000
    image 2/2  mass_inside=1.0000
    """
    print(format_line(label, step, total, values, note=note, seconds=seconds, name=name), flush=True)


class Heartbeat:
    """A clock that says when a line is due: `interval` seconds after the last one.

    Loops that print nothing while they are fast ask `due()` at every step and
    print a line only when it returns True, so a slow run still shows a sign
    of life about every `interval` seconds.

    Args:
        interval: seconds between lines (0: every call is due); None for
            `INTERVAL` (10 s).

    Raises:
        ValueError: if `interval` is not a number >= 0.

    Example:

    >>> beat = Heartbeat(interval=3600)
    >>> beat.due()          # an hour has not passed
    False
    >>> Heartbeat(interval=0).due()
    True
    """

    def __init__(self, interval=None):
        interval = INTERVAL if interval is None else interval
        self.interval = check_number("interval", interval, low=0, expected="a number of seconds >= 0",
                                     fix=f"The default, {INTERVAL:g}, prints a line about every {INTERVAL:g} s")
        self.start = self.last = time.perf_counter()

    @property
    def elapsed(self):
        """Seconds since the clock was made."""
        return time.perf_counter() - self.start

    def mark(self):
        """Note that a line was just printed: the next one is due `interval` seconds from now."""
        self.last = time.perf_counter()

    def due(self):
        """Return True (and `mark()`) if `interval` seconds have passed since the last line."""
        if time.perf_counter() - self.last >= self.interval:
            self.mark()
            return True
        return False
