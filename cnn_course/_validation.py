"""One error template for the whole package: what was received, what was expected, how to fix it."""

import difflib
import functools
import inspect
import math
import numbers

import numpy as np


def arg_error(name, value, expected, fix=None, *, describe=False, what="argument"):
    """Build the package's standard `ValueError` for a bad argument.

    Args:
        name: the argument's name, as the caller wrote it.
        value: what the caller passed, or (with `describe=True`) a phrase
            describing it, for values whose repr says little (an array, a dataset).
        expected: a phrase completing "must be ...", e.g. "a positive integer".
        fix: optional sentence telling the student what to do instead.
        describe: whether `value` is a description (shown as it is) rather
            than the value itself (shown as its repr).
        what: what `name` is: "argument", or "environment variable" for a setting read
            from the environment.

    Returns:
        A `ValueError` (to be raised by the caller).

    Example:

    >>> str(arg_error("epochs", -1, "a positive integer"))
    'The `epochs` argument must be a positive integer. Received: epochs=-1'
    >>> str(arg_error("train", "an empty dataset", "a dataset with at least one batch", describe=True))
    'The `train` argument must be a dataset with at least one batch. Received for `train`: an empty dataset'
    >>> str(arg_error("CNN_COURSE_THREADS", "two", "a positive integer", what="environment variable"))
    "The `CNN_COURSE_THREADS` environment variable must be a positive integer. Received: CNN_COURSE_THREADS='two'"
    """
    received = f" for `{name}`: {value}" if describe else f": {name}={value!r}"
    message = f"The `{name}` {what} must be {expected}. Received{received}"
    if fix:
        message += f". {fix}"
    return ValueError(message)


def input_too_small_error(input_size, stack, map_size, where, fix):
    """Build the package's one `ValueError` for an input that a stack of layers shrinks to nothing.

    Args:
        input_size: `(height, width)` received.
        stack: what was asked of it, e.g. "3 conv(3x3, valid)+max-pool(2x2) blocks".
        map_size: `(height, width)` of the feature map where it vanishes (0 or less is shown as 0).
        where: the layer or block after which it vanishes, e.g. "block3".
        fix: what to do instead.

    Returns:
        A `ValueError` (to be raised by the caller).

    Example:

    >>> str(input_too_small_error((20, 20), "4 conv blocks", (0, 0), "block4", "Use a larger input."))
    'Input 20x20 is too small for 4 conv blocks: the feature map would be 0x0 after block4. Use a larger input.'
    """
    h, w = (max(int(v), 0) for v in map_size)
    return ValueError(f"Input {input_size[0]}x{input_size[1]} is too small for {stack}: the feature map "
                      f"would be {h}x{w} after {where}. {fix}")


def check_seed(seed, allow_none=False, fix=None):
    """Return `seed` as an int if it is an integer >= 0 (or None when `allow_none`), else raise the standard error.

    The one seed check of the package: NumPy's generators and `keras.utils.set_random_seed`
    take non-negative integers.

    Example:

    >>> check_seed(3), check_seed(None, allow_none=True)
    (3, None)
    """
    if seed is None and allow_none:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        expected = "a non-negative integer" + (" or None" if allow_none else "")
        raise arg_error("seed", seed, expected, fix or "For example seed=0")
    return int(seed)


def check_bool(name, value):
    """Return `value` as a bool if it is True or False (NumPy's too), else raise the standard error.

    Example:

    >>> check_bool("verbose", True)
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise arg_error(name, value, "True or False")
    return bool(value)


#: What every `verbose` argument of the package accepts: off, on, and Keras's own values for on.
VERBOSE_VALUES = (0, 1, 2, "auto")


def check_verbose(verbose):
    """The one check of a `verbose` argument: return 1 (print progress lines) or 0 (silent).

    Every function of the package with a `verbose` argument takes the same
    values: `0`/`False` for silence, `1`/`True` for its progress lines, and
    Keras's `2` and `"auto"`, which mean the same as `1` here (the course's
    lines are already one per epoch, without a progress bar).

    Args:
        verbose: the value the caller passed.

    Returns:
        1 or 0, an int.

    Raises:
        ValueError: for any other value, listing the accepted ones.

    Example:

    >>> check_verbose(True), check_verbose(0), check_verbose("auto"), check_verbose(np.int64(2))
    (1, 0, 1, 1)
    """
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    if isinstance(verbose, (numbers.Integral, np.bool_)) and verbose in VERBOSE_VALUES:
        return int(bool(verbose))
    listed = ", ".join(repr(value) for value in VERBOSE_VALUES)
    raise arg_error("verbose", verbose, f"one of {listed}, True or False",
                    "Use verbose=0 for silence, 1 for progress lines")


def check_image_size(image_size, minimum=1, pair=True, fix=None):
    """The one image-size check: an integer >= `minimum`, or (with `pair`) a `(height, width)` of them.

    Args:
        image_size: what the caller passed.
        minimum: the smallest side allowed.
        pair: True to accept `(height, width)` and return a pair (an int means
            a square); False for one side, returned as an int.
        fix: the sentence telling what to do instead (a default is given).

    Returns:
        `(height, width)` with `pair`, else the side.

    Example:

    >>> check_image_size(128), check_image_size((96, 64)), check_image_size(64, minimum=16, pair=False)
    ((128, 128), (96, 64), 64)
    """
    def side(v):
        return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum

    if not pair:
        if not side(image_size):
            raise arg_error("image_size", image_size, f"an integer of at least {minimum}",
                            fix or f"For example image_size={max(minimum, 64)}")
        return int(image_size)
    if side(image_size):
        image_size = (image_size, image_size)
    if not (isinstance(image_size, (tuple, list)) and len(image_size) == 2 and all(side(v) for v in image_size)):
        raise arg_error("image_size", image_size,
                        "None, a positive integer or a tuple (height, width) of positive integers"
                        if minimum == 1 else f"an integer or a tuple (height, width) of integers >= {minimum}",
                        fix or "For example image_size=(128, 128)")
    return int(image_size[0]), int(image_size[1])


def check_class_names(class_names, allowed=None, min_count=1, fix=None, kind="name"):
    """The one class-names check: a list (or tuple) of at least `min_count` distinct non-empty strings.

    Args:
        class_names: what the caller passed.
        allowed: if given, the names each one must be among (the message lists them).
        min_count: the fewest names accepted.
        fix: the sentence telling what to do instead (a default is given).
        kind: what a name stands for, in the message ("shape", "folder").

    Returns:
        The names as a tuple.

    Example:

    >>> check_class_names(["cats", "dogs"])
    ('cats', 'dogs')
    """
    if isinstance(class_names, str):
        raise arg_error("class_names", class_names, "a list of names, not a single string",
                        f"Write class_names=[{class_names!r}, ...]")
    names = tuple(class_names) if isinstance(class_names, (list, tuple)) else None
    if names is None or len(names) < min_count or not all(isinstance(n, str) and n for n in names) \
            or len(set(names)) != len(names):
        expected = f"a list of at least {min_count} distinct names" if min_count > 1 else "a list of distinct names"
        raise arg_error("class_names", class_names, expected, fix or "For example class_names=['cats', 'dogs']")
    unknown = [n for n in names if allowed is not None and n not in allowed]
    if unknown:
        raise arg_error("class_names", class_names, f"a list of {kind}s from {', '.join(map(repr, allowed))}",
                        f"{unknown[0]!r} is not a {kind} of that list")
    return names


def check_number(name, value, *, low=None, high=None, low_open=False, high_open=False, integer=False,
                 allow_none=False, expected=None, fix=None):
    """Return `value` as a float (an int with `integer=True`) if it is a finite number in the range, else raise.

    Python and NumPy numbers are accepted alike (`np.float32(0.5)`, `np.int64(3)`);
    `True` and `False` are not numbers here, nor are NaN and infinity.

    Args:
        name: the argument's name, as the caller wrote it.
        value: what the caller passed.
        low, high: the bounds (None: unbounded on that side).
        low_open, high_open: whether the bound itself is excluded (`low_open=True`: value > low).
        integer: whether `value` must be a whole number (an int or NumPy integer).
        allow_none: whether None is accepted (and returned).
        expected: the phrase completing "must be ..." when the range alone says too little
            ("a number of seconds >= 0"); None builds it from the range.
        fix: optional sentence telling the student what to do instead.

    Returns:
        The number as `float` (or `int` with `integer=True`), or None.

    Raises:
        ValueError: the package's one message, naming the range.

    Example:

    >>> check_number("learning_rate", np.float32(0.5), low=0, low_open=True)
    0.5
    >>> check_number("points", 0, low=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: The `points` argument must be a number > 0. Received: points=0
    >>> check_number("size", 2.5, low=1, integer=True)
    Traceback (most recent call last):
    ...
    ValueError: The `size` argument must be an integer >= 1. Received: size=2.5
    """
    if value is None and allow_none:
        return None
    kind = (numbers.Integral if integer else numbers.Real)
    ok = (isinstance(value, kind) and not isinstance(value, (bool, np.bool_))
          and (isinstance(value, numbers.Integral) or math.isfinite(value)))  # an int is finite, however large
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        expected = expected or _number_phrase(integer, low, high, low_open, high_open, allow_none)
        raise arg_error(name, value, expected, fix)
    return int(value) if integer else float(value)


def _number_phrase(integer, low, high, low_open, high_open, allow_none):
    """"an integer >= 1", "a number in the range (0, 1]", "None or a number > 0", ..."""
    noun = "an integer" if integer else "a number"
    if low is not None and high is not None:
        phrase = f"{noun} in the range {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    elif low is not None:
        phrase = f"{noun} {'>' if low_open else '>='} {low:g}"
    elif high is not None:
        phrase = f"{noun} {'<' if high_open else '<='} {high:g}"
    else:
        phrase = f"a finite {noun.split()[1]}"
    return f"None or {phrase}" if allow_none else phrase


def check_positive_int(name, value):
    """Return `value` if it is an integer >= 1, else raise the standard error."""
    return check_number(name, value, low=1, integer=True, expected="a positive integer")


def check_rescale(rescale):
    """Return the factor pixel values are multiplied by: None (leave them) or a positive float; 1 gives None."""
    if rescale is None:
        return None
    if isinstance(rescale, bool) or not isinstance(rescale, numbers.Real) or not rescale > 0:
        raise arg_error("rescale", rescale, "None or a positive number", "For example rescale=1/255")
    return None if rescale == 1 else float(rescale)


def check_fraction(name, value, low=0.0, high=1.0, inclusive_high=False):
    """Return `value` as float if low <= value < high (or <= high), else raise."""
    bracket = "]" if inclusive_high else ")"
    return check_number(name, value, low=low, high=high, high_open=not inclusive_high,
                        expected=f"a number in the range [{low}, {high}{bracket}")


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


def explain_unknown_arguments(synonyms=None):
    """Decorator: a misspelt keyword argument gets the package's message naming the argument meant.

    Python's own `TypeError` says only "unexpected keyword argument"; this
    one says which argument was probably meant: the entry of `synonyms` (the
    lecture's words, e.g. `rotation` for `rotation_range`), else the closest
    name, and lists the function's arguments.

    Args:
        synonyms: optional dict from a likely wrong name to the right one.

    Returns:
        A decorator; the function it wraps keeps its signature.

    Example:

    >>> @explain_unknown_arguments({"rotation": "rotation_range"})
    ... def rotate(rotation_range=0.0):
    ...     return rotation_range
    >>> try:
    ...     rotate(rotation=20)
    ... except TypeError as error:
    ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
    The `rotation` argument must be one of rotate's arguments (rotation_range).
    Received: rotation=20. Did you mean rotation_range=20?
    """
    synonyms = dict(synonyms or {})

    def decorate(function):
        parameters = inspect.signature(function).parameters
        names = [n for n, p in parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            unknown = [] if takes_any else [name for name in kwargs if name not in parameters]
            if unknown:
                name = unknown[0]
                meant = synonyms.get(name) or next(iter(difflib.get_close_matches(name, names, n=1, cutoff=0.6)),
                                                   None)
                fix = f"Did you mean {meant}={kwargs[name]!r}?" if meant else None
                message = str(arg_error(name, kwargs[name], f"one of {function.__name__}'s arguments "
                                                             f"({', '.join(names)})", fix))
                raise TypeError(message)
            return function(*args, **kwargs)

        return wrapper

    return decorate
