"""Old module paths of cnn_course, kept importable for one term with a `DeprecationWarning`.

In version 0.2 the package's modules moved into topic packages (`cnn_course.image_folders`
is now part of `cnn_course.datasets`, and so on). A notebook or script written before
still runs: importing an old path gives the module that now holds its code, and warns
once with the new import line. `cnn_course/__init__.py` installs `AliasFinder` on
`sys.meta_path`; `MOVED` is the whole table. The aliases go in the release after
`REMOVAL` (see CHANGELOG.md).
"""

import functools
import importlib
import importlib.abc
import importlib.util
import inspect
import sys
import warnings

#: When the old paths stop working (the end of the 2027 spring term).
REMOVAL = "2027-08-31"

#: Old module -> (the private module that holds its code now, the public module to import instead).
MOVED = {
    "files": ("cnn_course._files", "nothing: it is internal (write files your own way)"),
    "image_folders": ("cnn_course.datasets._folders", "cnn_course.datasets"),
    "image_stream": ("cnn_course.datasets._stream", "cnn_course.datasets"),
    "keras_cache": ("cnn_course.datasets._keras_cache", "cnn_course.datasets"),
    "keras_datasets": ("cnn_course.datasets._keras_files", "cnn_course.datasets"),
    "small_datasets": ("cnn_course.datasets._bundled", "cnn_course.datasets"),
    "shape_drawing": ("cnn_course.shapes._drawing", "cnn_course.shapes"),
    "convnet_builder": ("cnn_course.models._builder", "cnn_course.models"),
    "presets": ("cnn_course.models._presets", "cnn_course.models"),
    "task_heads": ("cnn_course.models._heads", "cnn_course.models"),
    "model_comparison": ("cnn_course.models._comparison", "cnn_course.models"),
    "small_architectures": ("cnn_course.architectures._small", "cnn_course.architectures"),
    "feature_cache": ("cnn_course.transfer._features", "cnn_course.transfer"),
    "freezing": ("cnn_course.transfer._freezing", "cnn_course.transfer"),
    "multi_worker": ("cnn_course.training._multi_worker", "cnn_course.training"),
    "search_spaces": ("cnn_course.search._spaces", "cnn_course.search"),
    "search_result": ("cnn_course.search._results", "cnn_course.search"),
    "gradient_health": ("cnn_course.diagnostics._gradients", "cnn_course.diagnostics"),
    "layer_probe": ("cnn_course.visualize._probe", "cnn_course.visualize"),
    "layer_arithmetic": ("cnn_course.explain._arithmetic", "cnn_course.explain"),
    "explanation": ("cnn_course.explain._tables", "cnn_course.explain"),
    "dense_vs_conv": ("cnn_course.explain._dense_vs_conv", "cnn_course.explain"),
    "assignment_source": ("cnn_course.grading._masters", "cnn_course.grading"),
    "sample_submissions": ("cnn_course.grading._samples", "cnn_course.grading"),
    "assignment_commands": ("cnn_course.grading._commands", "cnn_course.grading (or run `cnn-course assignment`)"),
    "submission": ("cnn_course.grading._check_file", "cnn_course.grading"),
}


def positional_until_removal(*old_order):
    """Let arguments that became keyword-only still come by position, in their old order, until `REMOVAL`.

    The decorated function declares them after `*`; a call that passes them
    by position gets them mapped to `old_order` and a `DeprecationWarning`
    that shows the keyword form.

    Args:
        *old_order: the names the extra positional arguments had, in order.

    Returns:
        A decorator.

    Example:

    >>> import warnings
    >>> @positional_until_removal("stride", "padding")
    ... def window(size, *, padding=0, stride=1):
    ...     return size, padding, stride
    >>> window(5, padding=1)
    (5, 1, 1)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     window(5, 2, 1)  # the old order: stride, then padding
    (5, 1, 2)
    >>> print(caught[0].message)
    window(size, 2, 1) is deprecated and goes after 2027-08-31: name them, window(size, stride=2, padding=1).
    """
    def decorate(function):
        parameters = inspect.signature(function).parameters.values()
        fixed = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            extra = args[len(fixed):]
            if extra:
                if len(extra) > len(old_order):
                    raise TypeError(f"{function.__name__}() takes at most {len(fixed) + len(old_order)} "
                                    f"positional arguments ({len(args)} given)")
                for name, value in zip(old_order, extra):
                    if name in kwargs:
                        raise TypeError(f"{function.__name__}() got multiple values for argument {name!r}")
                    kwargs[name] = value
                shown = ", ".join(fixed + [repr(value) for value in extra])
                named = ", ".join(fixed + [f"{name}={value!r}" for name, value in zip(old_order, extra)])
                warnings.warn(f"{function.__name__}({shown}) is deprecated and goes after {REMOVAL}: name them, "
                              f"{function.__name__}({named}).", DeprecationWarning, stacklevel=2)
            return function(*args[:len(fixed)], **kwargs)

        return wrapper

    return decorate


def _outside_the_import_system():
    """The `stacklevel` that points a warning at the line that imported, not at the import system's frames.

    `warnings.warn` already skips the frames of `importlib._bootstrap` when it
    counts levels; the others between here and that line are counted.
    """
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and (frame.f_code.co_filename == __file__
                                        or frame.f_globals.get("__name__", "").startswith("importlib")):
        frame = frame.f_back
        if not frame.f_code.co_filename.startswith("<frozen importlib"):
            level += 1
    return level


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `cnn_course.<old>` for each old path in `MOVED`; the module it gives forwards to the new one."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, old = fullname.rpartition(".")
        if package != "cnn_course" or old not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None  # the default: an empty module, filled by exec_module

    def exec_module(self, module):
        old = module.__name__.rpartition(".")[2]
        home, instead = MOVED[old]
        target = importlib.import_module(home)
        advice = f"import {instead}" if instead.startswith("nothing") else f"import from {instead} instead"
        warnings.warn(f"cnn_course.{old} is deprecated and goes after {REMOVAL}: {advice} (its code is in "
                      f"{home} now).", DeprecationWarning,
                      stacklevel=_outside_the_import_system())
        module.__dict__.update({name: value for name, value in vars(target).items()
                                if not (name.startswith("__") and name.endswith("__"))})
        module.__doc__ = f"Deprecated alias of {home}; import from {instead}."
        module.__getattr__ = lambda name: getattr(target, name)  # names the module gains later


def install():
    """Put `AliasFinder` on `sys.meta_path`, once."""
    if not any(isinstance(finder, AliasFinder) for finder in sys.meta_path):
        sys.meta_path.append(AliasFinder())
