"""Search spaces: distributions to sample hyperparameters from (log-uniform, uniform, integer, choice) and grids."""

import itertools
import math
import numbers


from cnn_course._validation import arg_error, check_number


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
    check_number(name, value)
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
