"""One error template for the whole package: what was received, what was expected, how to fix it."""

import numbers


def arg_error(name, value, expected, fix=None):
    """Build the package's standard `ValueError` for a bad argument.

    Args:
        name: the argument's name, as the caller wrote it.
        value: what the caller passed.
        expected: a phrase completing "must be ...", e.g. "a positive integer".
        fix: optional sentence telling the student what to do instead.

    Returns:
        A `ValueError` (to be raised by the caller).

    Example:

    >>> str(arg_error("epochs", -1, "a positive integer"))
    'The `epochs` argument must be a positive integer. Received: epochs=-1'
    """
    message = f"The `{name}` argument must be {expected}. Received: {name}={value!r}"
    if fix:
        message += f". {fix}"
    return ValueError(message)


def check_positive_int(name, value):
    """Return `value` if it is an integer >= 1, else raise the standard error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise arg_error(name, value, "a positive integer")
    return int(value)


def check_fraction(name, value, low=0.0, high=1.0, inclusive_high=False):
    """Return `value` as float if low <= value < high (or <= high), else raise."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        ok = low <= value <= high if inclusive_high else low <= value < high
    if not ok:
        bracket = "]" if inclusive_high else ")"
        raise arg_error(name, value, f"a number in the range [{low}, {high}{bracket}")
    return float(value)


def check_choice(name, value, choices):
    """Return `value` if it is one of `choices`, else raise listing the valid ones."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise arg_error(name, value, f"one of {listed}")
    return value


def check_pair(name, value):
    """Return `value` as `(along_height, along_width)`: an int (used twice) or a pair of ints >= 1.

    Example:

    >>> check_pair("kernel_size", 3)
    (3, 3)
    >>> check_pair("stride", (1, 2))
    (1, 2)
    """
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return check_positive_int(name, value[0]), check_positive_int(name, value[1])
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1:
        return int(value), int(value)
    raise arg_error(name, value, "a positive integer or a pair of positive integers")
