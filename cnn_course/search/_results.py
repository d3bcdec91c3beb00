"""What a search found: its JSON-lines results file, and `SearchResult` (sorted trials, the best, a table, plots)."""

import json
import math
import numbers
import os
import pathlib

import numpy as np

from cnn_course._direction import metric_direction
from cnn_course._validation import arg_error, check_choice
from cnn_course.tables import text_table


# --------------------------------------------------------------------------- results file


def jsonable(value):
    """Convert NumPy scalars and tuples to plain JSON types (raises for other objects)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    raise arg_error("config value", value, "a number, string, bool, None, or a list/tuple of those",
                    "Pass a name (e.g. 'adam') and build the object inside evaluate_fn")


def config_key(config):
    """The text that identifies a configuration in a results file: sorted-key JSON.

    Example:

    >>> config_key({"lr": 0.01, "dropout": 0.5})
    '{"dropout": 0.5, "lr": 0.01}'
    """
    return json.dumps({k: jsonable(v) for k, v in config.items()}, sort_keys=True)


def read_results(path):
    """Read the finished trials of a results file (JSON lines), ignoring a partial last line.

    A search killed while writing leaves at most one incomplete last line (no
    final newline): it is ignored here, and cut off when the search resumes.

    Args:
        path: the JSON-lines file (a missing file reads as no trials).

    Returns:
        A list of trial dicts with keys `trial`, `key`, `config`, `metrics`, `seconds`, `seed`.

    Raises:
        ValueError: if a complete line (one followed by a newline) is not valid
            JSON, which only happens if the file was edited by hand.
    """
    path = pathlib.Path(path)
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    rows = []
    for number, line in enumerate(lines[:-1], start=1):  # the last element follows the final newline
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise ValueError(
                f"Line {number} of the results file {os.fspath(path)} is not valid JSON ({error}). "
                "Fix: delete that line (its trial will be run again) or start a new results file."
            ) from None
    return rows


def drop_partial_last_line(path):
    """Truncate a results file after its last newline (removes a half-written trial)."""
    if not path.exists():
        return
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data):
        with open(path, "r+b") as f:
            f.truncate(end)
            f.flush()
            os.fsync(f.fileno())


def append_result(path, record):
    """Append one trial's record to a results file, as one JSON line."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


# --------------------------------------------------------------------------- result


class SearchResult:
    """The trials of a search: a table sorted by a metric, the best trial, marginal plots.

    Attributes:
        rows: one dict per finished trial (`trial`, `config`, `metrics`,
            `seconds`, `seed`, `key`), in trial order.
        metric, mode: the metric that sorts `table` and its direction ("max"/"min").
        log_params: names of hyperparameters drawn log-uniformly (plotted on a log axis).
    """

    def __init__(self, rows, metric="val_accuracy", mode="max", log_params=()):
        self.rows = sorted(rows, key=lambda r: r["trial"])
        self.metric = metric
        self.mode = check_choice("mode", mode, ("max", "min"))
        self.log_params = tuple(log_params)

    def __len__(self):
        return len(self.rows)

    def _sorted(self, metric, mode):
        have = [r for r in self.rows if _finite(r["metrics"].get(metric))]
        missing = [r for r in self.rows if r not in have]
        have.sort(key=lambda r: r["metrics"][metric], reverse=(mode == "max"))
        return have + missing

    @property
    def table(self):
        """The rows sorted by `metric`, best first (rows without that metric last)."""
        return self._sorted(self.metric, self.mode)

    @property
    def param_names(self):
        names = []
        for row in self.rows:
            names += [n for n in row["config"] if n not in names]
        return names

    @property
    def metric_names(self):
        names = []
        for row in self.rows:
            names += [n for n in row["metrics"] if n not in names]
        return names

    def best(self, metric=None, mode=None):
        """The best trial by `metric` ("max" or "min" in `mode`).

        The defaults: the search's metric and mode; for another metric, the
        direction Keras gives it (`val_loss` lowest, `val_accuracy` highest).

        Returns:
            The trial's row: a dict with `config`, `metrics`, `seconds`, `trial`.

        Raises:
            ValueError: if no finished trial reported `metric`, or `mode` is
                needed (a metric of your own, not the search's) and not given.
        """
        metric = self.metric if metric is None else metric
        if mode is None:
            mode = self.mode if metric == self.metric else metric_direction(metric, strict=False)
            if mode is None:
                raise arg_error("mode", None, f"'max' or 'min' for {metric!r}, whose better direction "
                                "the name does not tell", f"For example best({metric!r}, mode='max')")
        mode = check_choice("mode", mode, ("max", "min"))
        rows = self._sorted(metric, mode)
        if not rows or not _finite(rows[0]["metrics"].get(metric)):
            raise arg_error("metric", metric, f"one of the reported metrics {self.metric_names}")
        return rows[0]

    def __str__(self):
        params, metrics = self.param_names, self.metric_names
        header = ["rank", "trial"] + params + metrics + ["seconds"]
        lines = [header]
        for rank, row in enumerate(self.table, start=1):
            cells = [str(rank), str(row["trial"])]
            cells += [format_value(row["config"].get(p, "")) for p in params]
            cells += [format_value(row["metrics"].get(m, "")) for m in metrics]
            cells.append(f"{row['seconds']:.1f}")
            lines.append(cells)
        title = f"{len(self.rows)} trials, sorted by {self.metric} ({self.mode})"
        return title + "\n" + text_table(lines[0], lines[1:])

    def __repr__(self):
        return f"<SearchResult: {len(self.rows)} trials, metric={self.metric!r}, mode={self.mode!r}>"

    def to_dataframe(self):
        """The sorted table as a pandas DataFrame (one column per hyperparameter and metric).

        Raises:
            ImportError: if pandas is not installed (the rest of the class works without it).
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_dataframe() needs pandas: pip install pandas. "
                              "Without it, print(result) shows the same table.") from None
        return pd.DataFrame([{"trial": r["trial"], **r["config"], **r["metrics"], "seconds": r["seconds"]}
                             for r in self.table])

    def plot_marginals(self, metric=None, ax=None):
        """Plot `metric` against each hyperparameter, one panel per hyperparameter.

        Each point is a trial; a line joins the mean metric at each distinct
        value (useful for a grid), and the best trial is ringed. Learning rates
        usually show the lecture's U-shape (or an upside-down U for accuracy):
        too small learns nothing in the budget, too large diverges. The x-axis
        is logarithmic for log-uniform hyperparameters and for positive values
        spanning more than two decades; non-numeric values (e.g. optimizer
        names) are placed at evenly spaced ticks.

        Args:
            metric: the metric to plot (default: the search's metric).
            ax: None for a new figure, or one Axes per hyperparameter (a single
                Axes when there is one hyperparameter).

        Returns:
            The matplotlib Figure.

        Raises:
            ValueError: if no trial reported `metric`, or `ax` has the wrong
                number of Axes.
        """
        import matplotlib.pyplot as plt

        metric = self.metric if metric is None else metric
        rows = [r for r in self.rows if _finite(r["metrics"].get(metric))]
        if not rows:
            raise arg_error("metric", metric, f"one of the reported metrics {self.metric_names}")
        params = self.param_names
        if ax is None:
            fig, axes = plt.subplots(1, len(params), figsize=(3.6 * len(params), 3.2), squeeze=False)
            axes = list(axes.ravel())
        else:
            axes = list(np.ravel(ax)) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
            if len(axes) != len(params):
                raise arg_error("ax", f"{len(axes)} Axes", f"{len(params)} Axes, one per hyperparameter", describe=True)
            fig = axes[0].figure
        known = metric == self.metric or metric_direction(metric, strict=False) is not None
        best = self.best(metric) if known else None  # no "best" circled where the direction is unknown
        for axis, name in zip(axes, params):
            values = [r["config"].get(name) for r in rows]
            ys = [r["metrics"][metric] for r in rows]
            numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)
            if numeric:
                xs = [float(v) for v in values]
                ticks = None
            else:
                labels = list(dict.fromkeys(json.dumps(jsonable(v)) for v in values))
                xs = [labels.index(json.dumps(jsonable(v))) for v in values]
                ticks = labels
            axis.scatter(xs, ys, s=18, alpha=0.7)
            distinct = sorted(set(xs))
            if len(distinct) < len(xs):  # repeated values (a grid): join the means
                means = [np.mean([y for x, y in zip(xs, ys) if x == d]) for d in distinct]
                axis.plot(distinct, means, "-", color="C1", label="mean")
            bx = best["config"].get(name) if best is not None else None
            if best is not None and (bx is not None or not numeric):
                bx = float(bx) if numeric else ticks.index(json.dumps(jsonable(bx)))
                axis.scatter([bx], [best["metrics"][metric]], s=90, facecolors="none",
                             edgecolors="red", label="best")
            if numeric and (name in self.log_params or _spans_decades(xs)):
                axis.set_xscale("log")
            if ticks is not None:
                axis.set_xticks(range(len(ticks)))
                axis.set_xticklabels([t.strip('"') for t in ticks], rotation=30)
            axis.set_xlabel(name)
            axis.set_ylabel(metric)
            axis.grid(alpha=0.3)
        axes[0].set_title(f"{metric} vs each hyperparameter ({len(rows)} trials)", loc="left", fontsize=9)
        return fig


def _finite(value):
    return isinstance(value, numbers.Real) and math.isfinite(value)


def _spans_decades(xs):
    return min(xs) > 0 and max(xs) / min(xs) > 100


def format_value(value):
    """A hyperparameter or metric as table text: floats to 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
