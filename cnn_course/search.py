"""Hyperparameter search: grid and random search over a space, seeded per trial and resumable from a JSON-lines file."""

import itertools
import json
import math
import numbers
import os
import pathlib
import time

import numpy as np

from cnn_course._validation import arg_error, check_choice, check_positive_int, check_seed
from cnn_course.tables import text_table


# --------------------------------------------------------------------------- spaces


class Distribution:
    """Base class of the random-search distributions; `sample(rng)` draws one value."""

    #: Whether a plot should use a logarithmic axis for this hyperparameter.
    log = False

    def sample(self, rng):
        raise NotImplementedError


class _LogUniform(Distribution):
    log = True

    def __init__(self, low, high):
        self.low, self.high = low, high

    def sample(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def __repr__(self):
        return f"log_uniform({self.low!r}, {self.high!r})"


class _Uniform(Distribution):
    def __init__(self, low, high):
        self.low, self.high = low, high

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def __repr__(self):
        return f"uniform({self.low!r}, {self.high!r})"


class _IntUniform(Distribution):
    def __init__(self, low, high):
        self.low, self.high = low, high

    def sample(self, rng):
        return int(rng.integers(self.low, self.high + 1))

    def __repr__(self):
        return f"int_uniform({self.low!r}, {self.high!r})"


class _Choice(Distribution):
    def __init__(self, options):
        self.options = list(options)

    def sample(self, rng):
        return self.options[int(rng.integers(len(self.options)))]

    def __repr__(self):
        return f"choice({self.options!r})"


def _check_real(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise arg_error(name, value, "a finite number")
    return value


def _check_bounds(low, high, positive=False):
    _check_real("low", low)
    _check_real("high", high)
    if positive and low <= 0:
        raise arg_error("low", low, "greater than 0 for a log-uniform distribution",
                        "For learning rates use e.g. log_uniform(1e-4, 1e-1)")
    if high <= low:
        raise arg_error("high", high, f"greater than low={low!r}")


def log_uniform(low, high):
    """A distribution uniform in log-space: as many draws in [1e-4, 1e-3] as in [1e-2, 1e-1].

    The right prior for scale-like hyperparameters (learning rate, weight
    decay) whose good values can lie anywhere over several decades.

    Args:
        low: smallest value, > 0.
        high: largest value, > low.

    Returns:
        A `Distribution` for `random_search`.

    Raises:
        ValueError: if `low <= 0` or `high <= low`.

    Example:

    >>> import numpy as np
    >>> d = log_uniform(1e-4, 1e-1)
    >>> values = [d.sample(np.random.default_rng(s)) for s in range(3)]
    >>> all(1e-4 <= v <= 1e-1 for v in values)
    True
    """
    _check_bounds(low, high, positive=True)
    return _LogUniform(float(low), float(high))


def uniform(low, high):
    """A distribution uniform over [low, high), e.g. for a dropout rate.

    Args:
        low: smallest value.
        high: largest value, > low.

    Returns:
        A `Distribution` for `random_search`.

    Raises:
        ValueError: if `high <= low`.

    Example:

    >>> import numpy as np
    >>> 0.0 <= uniform(0.0, 0.5).sample(np.random.default_rng(0)) < 0.5
    True
    """
    _check_bounds(low, high)
    return _Uniform(float(low), float(high))


def int_uniform(low, high):
    """A distribution over the integers low, low + 1, ..., high (both included).

    Args:
        low: smallest integer.
        high: largest integer, > low.

    Returns:
        A `Distribution` for `random_search`.

    Raises:
        ValueError: if the bounds are not integers or `high <= low`.

    Example:

    >>> import numpy as np
    >>> sorted({int_uniform(1, 3).sample(np.random.default_rng(s)) for s in range(20)})
    [1, 2, 3]
    """
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise arg_error(name, value, "an integer")
    _check_bounds(low, high)
    return _IntUniform(int(low), int(high))


def choice(options):
    """A distribution picking one of `options` with equal probability.

    Args:
        options: a non-empty list, e.g. `["adam", "sgd"]` or `[(32, 64), (64, 128)]`.
            Values must be JSON-friendly (numbers, strings, None, bools,
            tuples/lists of those) so that finished trials can be saved.

    Returns:
        A `Distribution` for `random_search`.

    Raises:
        ValueError: if `options` is empty or not a list/tuple.

    Example:

    >>> import numpy as np
    >>> choice(["adam", "sgd"]).sample(np.random.default_rng(0)) in ("adam", "sgd")
    True
    """
    if not isinstance(options, (list, tuple)) or not options:
        raise arg_error("options", options, "a non-empty list of values", "For example choice(['adam', 'sgd'])")
    return _Choice(options)


class Grid:
    """A grid search space: every combination of the listed values (see `grid`)."""

    def __init__(self, values):
        self.values = values

    def __len__(self):
        return math.prod(len(v) for v in self.values.values())

    def configurations(self):
        """All combinations, the last hyperparameter varying fastest, as a list of dicts."""
        names = list(self.values)
        return [dict(zip(names, combo)) for combo in itertools.product(*self.values.values())]

    def __repr__(self):
        return f"grid({self.values!r})"


def grid(values):
    """A grid search space: the Cartesian product of a list of values per hyperparameter.

    Args:
        values: a dict `name -> list of values`, e.g.
            `{"learning_rate": [1e-3, 1e-2], "dropout": [0.0, 0.5]}`.

    Returns:
        A `Grid`; `len(grid)` is the number of configurations.

    Raises:
        ValueError: if `values` is not a non-empty dict of non-empty lists.

    Example:

    >>> space = grid({"learning_rate": [1e-3, 1e-2], "dropout": [0.0, 0.5]})
    >>> len(space)
    4
    >>> space.configurations()[1]
    {'learning_rate': 0.001, 'dropout': 0.5}
    """
    if isinstance(values, Grid):
        return values
    if not isinstance(values, dict) or not values:
        raise arg_error("space", values, "a non-empty dict name -> list of values",
                        "For example grid({'learning_rate': [1e-3, 1e-2]})")
    for name, options in values.items():
        if not isinstance(options, (list, tuple)) or not options:
            raise arg_error(name, options, "a non-empty list of values to try",
                            f"For one fixed value write {name}=[value]")
    return Grid({name: list(options) for name, options in values.items()})


# --------------------------------------------------------------------------- results file


def _jsonable(value):
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
        return [_jsonable(v) for v in value]
    raise arg_error("config value", value, "a number, string, bool, None, or a list/tuple of those",
                    "Pass a name (e.g. 'adam') and build the object inside evaluate_fn")


def config_key(config):
    """The text that identifies a configuration in a results file: sorted-key JSON.

    Example:

    >>> config_key({"lr": 0.01, "dropout": 0.5})
    '{"dropout": 0.5, "lr": 0.01}'
    """
    return json.dumps({k: _jsonable(v) for k, v in config.items()}, sort_keys=True)


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


def _drop_partial_last_line(path):
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


def _append(path, record):
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
        """The best trial by `metric` ("max" or "min" in `mode`; defaults: the search's).

        Returns:
            The trial's row: a dict with `config`, `metrics`, `seconds`, `trial`.

        Raises:
            ValueError: if no finished trial reported `metric`.
        """
        metric = self.metric if metric is None else metric
        mode = self.mode if mode is None else check_choice("mode", mode, ("max", "min"))
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
            cells += [_fmt(row["config"].get(p, "")) for p in params]
            cells += [_fmt(row["metrics"].get(m, "")) for m in metrics]
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
        best = self.best(metric, self.mode if metric == self.metric else ("min" if "loss" in metric else "max"))
        for axis, name in zip(axes, params):
            values = [r["config"].get(name) for r in rows]
            ys = [r["metrics"][metric] for r in rows]
            numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)
            if numeric:
                xs = [float(v) for v in values]
                ticks = None
            else:
                labels = list(dict.fromkeys(json.dumps(_jsonable(v)) for v in values))
                xs = [labels.index(json.dumps(_jsonable(v))) for v in values]
                ticks = labels
            axis.scatter(xs, ys, s=18, alpha=0.7)
            distinct = sorted(set(xs))
            if len(distinct) < len(xs):  # repeated values (a grid): join the means
                means = [np.mean([y for x, y in zip(xs, ys) if x == d]) for d in distinct]
                axis.plot(distinct, means, "-", color="C1", label="mean")
            bx = best["config"].get(name)
            if bx is not None or not numeric:
                bx = float(bx) if numeric else ticks.index(json.dumps(_jsonable(bx)))
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


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# --------------------------------------------------------------------------- search loop


def _check_metrics(metrics, config):
    if not isinstance(metrics, dict) or not all(isinstance(k, str) for k in metrics):
        raise ValueError(
            f"evaluate_fn must return a dict of metrics such as {{'val_accuracy': 0.9}}. "
            f"Received: {type(metrics).__name__} for config {config}. "
            "Fix: end evaluate_fn with e.g. `return model.evaluate(val, return_dict=True)` with "
            "names prefixed 'val_', or build the dict yourself."
        )
    return {k: float(v) if isinstance(v, (numbers.Real, np.generic)) else _jsonable(v)
            for k, v in metrics.items()}


def _shown(config, metrics):
    """A trial's hyperparameters (as `_fmt` writes them) and then its metrics, for its progress line."""
    return {**{name: _fmt(value) for name, value in config.items()}, **metrics}


def _run(evaluate_fn, configurations, seed, results_path, metric, mode, log_params, verbose):
    from cnn_course.reproducibility import set_seed

    if not callable(evaluate_fn):
        raise arg_error("evaluate_fn", evaluate_fn, "a function config -> dict of metrics")
    seed = check_seed(seed)
    check_choice("mode", mode, ("max", "min"))
    keys = [config_key(c) for c in configurations]
    done = {}
    path = None
    if results_path is not None:
        path = pathlib.Path(results_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _drop_partial_last_line(path)
        for row in read_results(path):
            done.setdefault(row.get("key"), row)
    wanted = set(keys)
    skipped = sum(1 for k in wanted if k in done)
    if verbose:
        from cnn_course.progress import print_line
    if verbose and skipped:
        print(f"Resuming: {skipped} of {len(wanted)} configurations already done in {results_path}",
              flush=True)
    rows = {k: done[k] for k in wanted if k in done}
    first_trial = {}  # key -> the trial (1-based) that ran or resumed it
    for trial, (config, key) in enumerate(zip(configurations, keys)):
        if key in rows:  # finished in an earlier run, or a repeated random draw
            if verbose:
                note = (f"same configuration as trial {first_trial[key]}: not run again" if key in first_trial
                        else f"resumed from {path.name}: not run again")
                print_line("trial", trial + 1, len(configurations), _shown(config, rows[key]["metrics"]),
                           note=note, seconds=rows[key]["seconds"])
            first_trial.setdefault(key, trial + 1)
            continue
        first_trial[key] = trial + 1
        set_seed(seed + trial)
        start = time.perf_counter()
        metrics = _check_metrics(evaluate_fn(**config), config)
        seconds = time.perf_counter() - start
        row = {"trial": trial, "key": key, "config": json.loads(key), "metrics": metrics,
               "seconds": round(seconds, 3), "seed": seed + trial}
        row["config"] = {name: row["config"][name] for name in config}  # keep the space's order
        if path is not None:
            _append(path, row)
        rows[key] = row
        if verbose:
            print_line("trial", trial + 1, len(configurations), _shown(config, metrics), seconds=seconds)
    return SearchResult(list(rows.values()), metric=metric, mode=mode, log_params=log_params)


def grid_search(evaluate_fn, space, results_path=None, *, seed=0, metric="val_accuracy", mode="max",
                verbose=1):
    """Try every configuration of a grid, resuming from `results_path` if given.

    Before trial `i` (its position in `space.configurations()`), the search
    calls `reproducibility.set_seed(seed + i)`, so a trial gives the same
    numbers whether it runs in the first session or after a restart, and two
    configurations do not share one random initialisation by accident.

    With `results_path` (a JSON-lines file) each finished trial is appended
    at once (written, flushed and fsync'ed) with its configuration, metrics,
    seconds, seed and a configuration key. A search started again with the same
    file skips the configurations already in it, so a search killed half-way
    (Ctrl-C, a closed laptop) continues where it stopped. A half-written last
    line left by a kill is ignored and cut off.

    Args:
        evaluate_fn: `evaluate_fn(**config) -> dict of metrics`, e.g. builds,
            trains and evaluates a model and returns
            `{"val_accuracy": ..., "val_loss": ...}`.
        space: a `grid(...)`, or a dict name -> list of values.
        results_path: optional JSON-lines file to append finished trials to.
        seed: base seed; trial `i` runs under `set_seed(seed + i)`.
        metric, mode: how the result's table is sorted and `best()` chooses.
        verbose: print one line per trial (see `cnn_course.progress`): its
            number, hyperparameters, metrics and seconds, or that it was
            resumed from `results_path` (0: silent).

    Returns:
        A `SearchResult` with every configuration of the grid (this run's and
        the resumed ones).

    Raises:
        ValueError: for a bad space or seed, or an `evaluate_fn` that does not
            return a dict.

    Example:

    >>> def evaluate(learning_rate, dropout):   # a stand-in for training a model
    ...     return {"val_accuracy": 1 - abs(learning_rate - 1e-2) - dropout / 10}
    >>> result = grid_search(evaluate, {"learning_rate": [1e-3, 1e-2, 1e-1], "dropout": [0.0, 0.5]},
    ...                      verbose=0)
    >>> len(result), result.best()["config"]
    (6, {'learning_rate': 0.01, 'dropout': 0.0})
    """
    space = grid(space)
    return _run(evaluate_fn, space.configurations(), seed, results_path, metric, mode, (), verbose)


def sample_configurations(space, n_trials, seed=0):
    """Draw `n_trials` configurations from a random-search space, all up front.

    Draws come from `numpy.random.default_rng(seed)`, trial by trial and, in
    each trial, hyperparameter by hyperparameter in the space's order. The same
    seed therefore always gives the same list, whatever happens during the
    search, and the first `k` configurations of `n_trials=20` are those of
    `n_trials=k` (a search can be extended by raising `n_trials`).

    Args:
        space: a dict name -> `Distribution` (`log_uniform`, `uniform`,
            `int_uniform`, `choice`), or a fixed value (a number, string, tuple).
        n_trials: number of configurations.
        seed: seed of the generator.

    Returns:
        A list of `n_trials` dicts.

    Raises:
        ValueError: for an empty space, a list value (ambiguous: write
            `choice([...])` or a tuple), or a bad `n_trials`/`seed`.

    Example:

    >>> space = {"learning_rate": log_uniform(1e-4, 1e-1), "optimizer": "adam"}
    >>> sample_configurations(space, 3, seed=0) == sample_configurations(space, 3, seed=0)
    True
    """
    if not isinstance(space, dict) or not space:
        raise arg_error("space", space, "a non-empty dict name -> distribution",
                        "For example {'learning_rate': log_uniform(1e-4, 1e-1)}")
    for name, value in space.items():
        if isinstance(value, list):
            raise arg_error(name, value, "a distribution or a fixed value",
                            f"To sample from the list write {name}=choice({value!r}); "
                            "to hold it fixed pass a tuple")
    n_trials = check_positive_int("n_trials", n_trials)
    seed = check_seed(seed)
    rng = np.random.default_rng(int(seed))
    return [{name: d.sample(rng) if isinstance(d, Distribution) else d for name, d in space.items()}
            for _ in range(n_trials)]


def random_search(evaluate_fn, space, n_trials, seed=0, results_path=None, *, metric="val_accuracy",
                  mode="max", verbose=1):
    """Try `n_trials` random configurations, drawn up front from `seed`; resumable.

    All configurations are drawn before the first trial
    (`sample_configurations`), so two searches with the same seed try the same
    configurations even if one of them was interrupted, and a restarted search
    with the same `results_path` skips those already done (see `grid_search`
    for the file format). Trial `i` runs under
    `reproducibility.set_seed(seed + i)`. Random search beats grid search when
    only a few hyperparameters matter: every trial tries a new learning rate.
    If two draws give exactly the same configuration (possible with `choice`
    only), it is evaluated once.

    Args:
        evaluate_fn: `evaluate_fn(**config) -> dict of metrics`.
        space: dict name -> `Distribution` or fixed value.
        n_trials: number of configurations to draw.
        seed: seeds the draws and (as `seed + i`) each trial.
        results_path: optional JSON-lines file of finished trials.
        metric, mode: how the result's table is sorted and `best()` chooses.
        verbose: print one line per trial (see `cnn_course.progress`): its
            number, hyperparameters, metrics and seconds, or that it was
            resumed from `results_path` (0: silent).

    Returns:
        A `SearchResult`.

    Raises:
        ValueError: as `sample_configurations`, or an `evaluate_fn` that does
            not return a dict.

    Example:

    >>> space = {"learning_rate": log_uniform(1e-4, 1e-1), "dropout": uniform(0.0, 0.5)}
    >>> result = random_search(lambda learning_rate, dropout: {"val_loss": abs(math.log10(learning_rate) + 2)},
    ...                        space, n_trials=5, metric="val_loss", mode="min", verbose=0)
    >>> len(result.table), result.best()["metrics"]["val_loss"] <= result.table[-1]["metrics"]["val_loss"]
    (5, True)
    """
    configurations = sample_configurations(space, n_trials, seed)
    log_params = [name for name, d in space.items() if isinstance(d, Distribution) and d.log]
    return _run(evaluate_fn, configurations, seed, results_path, metric, mode, log_params, verbose)
