"""Hyperparameter search: grid and random search over a space, seeded per trial and resumable from a JSON-lines file.

The spaces (`log_uniform`, `uniform`, `int_uniform`, `choice`, `grid`) are in the private `_spaces.py`,
the results file and `SearchResult` in `_results.py`; import them from here.
"""

import json
import numbers
import pathlib
import time

import numpy as np

from cnn_course._validation import arg_error, check_choice, check_positive_int, check_seed, check_verbose
from cnn_course.search._results import (  # noqa: F401  (search.read_results, search.config_key, as before)
    SearchResult, append_result, config_key, drop_partial_last_line, format_value, jsonable, read_results,
)
from cnn_course.search._spaces import (  # noqa: F401  (search.log_uniform, ..., as before)
    Distribution, Grid, choice, grid, int_uniform, log_uniform, uniform,
)

#: The names of the course's API here (what `from cnn_course.search import *` takes, and what the
#: README's package map lists); the rest is internal.
__all__ = [
    "choice",
    "grid",
    "grid_search",
    "int_uniform",
    "log_uniform",
    "random_search",
    "read_results",
    "sample_configurations",
    "SearchResult",
    "uniform",
]



# --------------------------------------------------------------------------- search loop


def _check_metrics(metrics, config):
    if not isinstance(metrics, dict) or not all(isinstance(k, str) for k in metrics):
        raise ValueError(
            f"evaluate_fn must return a dict of metrics such as {{'val_accuracy': 0.9}}. "
            f"Received: {type(metrics).__name__} for config {config}. "
            "Fix: end evaluate_fn with e.g. `return model.evaluate(val, return_dict=True)` with "
            "names prefixed 'val_', or build the dict yourself."
        )
    return {k: float(v) if isinstance(v, (numbers.Real, np.generic)) else jsonable(v)
            for k, v in metrics.items()}


def _shown(config, metrics):
    """A trial's hyperparameters (as `format_value` writes them) and then its metrics, for its progress line."""
    return {**{name: format_value(value) for name, value in config.items()}, **metrics}


def _run(evaluate_fn, configurations, seed, results_path, metric, mode, log_params, verbose):
    from cnn_course.reproducibility import set_seed

    verbose = check_verbose(verbose)
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
        drop_partial_last_line(path)
        for row in read_results(path):
            done.setdefault(row.get("key"), row)
    wanted = set(keys)
    skipped = sum(1 for k in wanted if k in done)
    if verbose:
        from cnn_course._progress_lines import print_line
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
            append_result(path, row)
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

    >>> import math
    >>> space = {"learning_rate": log_uniform(1e-4, 1e-1), "dropout": uniform(0.0, 0.5)}
    >>> result = random_search(lambda learning_rate, dropout: {"val_loss": abs(math.log10(learning_rate) + 2)},
    ...                        space, n_trials=5, metric="val_loss", mode="min", verbose=0)
    >>> len(result.table), result.best()["metrics"]["val_loss"] <= result.table[-1]["metrics"]["val_loss"]
    (5, True)
    """
    configurations = sample_configurations(space, n_trials, seed)
    log_params = [name for name, d in space.items() if isinstance(d, Distribution) and d.log]
    return _run(evaluate_fn, configurations, seed, results_path, metric, mode, log_params, verbose)
