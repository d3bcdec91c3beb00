"""One check per kind of argument (cnn_course._validation), with the same rule wherever it is used."""

import re

import numpy as np
import pytest

from cnn_course import _validation, augmentation, reproducibility, search, shapes


@pytest.mark.parametrize("bad", [-1, True, 1.5, "0"])
def test_every_seed_argument_follows_one_rule(bad):
    calls = [
        lambda: reproducibility.set_seed(bad),
        lambda: augmentation.make_augmentation(horizontal_flip=True, seed=bad),
        lambda: shapes.make_shapes_arrays(1, image_size=16, seed=bad),
        lambda: search.random_search(lambda x: {"m": x}, {"x": (1,)}, n_trials=1, seed=bad, verbose=0),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"The `seed` argument must be a non-negative integer"):
            call()
    assert _validation.check_seed(np.int64(7)) == 7 and _validation.check_seed(None, allow_none=True) is None


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_true_or_false_arguments_follow_one_rule(bad):
    with pytest.raises(ValueError, match=r"The `clutter` argument must be True or False"):
        shapes.make_shapes_arrays(1, image_size=16, clutter=bad)
    with pytest.raises(ValueError, match=r"The `batchnorm` argument must be True or False"):
        _validation.check_bool("batchnorm", bad)
    assert _validation.check_bool("x", np.bool_(True)) is True


def test_class_names_and_image_size_follow_one_rule_for_folders_and_shapes(tmp_path):
    from cnn_course import datasets

    (tmp_path / "cats").mkdir()
    for call in (lambda: datasets.load_image_folder(tmp_path, class_names="cats"),
                 lambda: shapes.make_shapes_arrays(1, image_size=16, class_names="star")):
        with pytest.raises(ValueError, match=r"`class_names` argument must be a list of names, not a single string"):
            call()
    with pytest.raises(ValueError, match=r"The `image_size` argument must be None, a positive integer or a tuple"):
        datasets.load_image_folder(tmp_path, image_size=(0, 5))
    with pytest.raises(ValueError, match=r"`image_size` argument must be an integer of at least 16\. .*try image_size"):
        shapes.make_shapes_arrays(1, image_size=8)
    assert _validation.check_image_size(32, minimum=16, pair=False) == 32


# --- numbers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, kwargs, expected", [
    (np.float32(0.5), {"low": 0, "low_open": True}, 0.5),
    (np.int64(3), {"low": 1, "integer": True}, 3),
    (1, {"low": 0, "high": 1}, 1.0),
    (None, {"allow_none": True}, None),
])
def test_check_number_accepts_python_and_numpy_numbers(value, kwargs, expected):
    result = _validation.check_number("x", value, **kwargs)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("value, kwargs, phrase", [
    (True, {}, "a finite number"),
    (float("nan"), {}, "a finite number"),
    (np.float64("inf"), {"low": 0}, "a number >= 0"),
    ("1", {}, "a finite number"),
    (0, {"low": 0, "low_open": True}, "a number > 0"),
    (1, {"low": 0, "high": 1, "high_open": True}, "a number in the range [0, 1)"),
    (2.5, {"low": 1, "integer": True}, "an integer >= 1"),
    (None, {"high": 3}, "a number <= 3"),
])
def test_check_number_refuses_with_the_one_template(value, kwargs, phrase):
    with pytest.raises(ValueError) as err:
        _validation.check_number("x", value, **kwargs)
    assert str(err.value) == f"The `x` argument must be {phrase}. Received: x={value!r}"


def test_numpy_numbers_are_accepted_wherever_a_number_is_checked():
    # Each of these refused np.float32 before the package had one check for numbers.
    from cnn_course import checks, devices
    from cnn_course._progress_lines import Heartbeat

    assert devices.scaled_learning_rate(np.float32(1e-3), 64, 32) == pytest.approx(2e-3)
    assert Heartbeat(np.float32(2.0)).interval == 2.0
    assert augmentation._check_range("zoom_range", np.float32(0.25), 0, 1) == 0.25
    assert search.uniform(np.float32(0.0), np.float64(1.0)) is not None
    assert checks.public("q1", points=np.int64(2))(lambda: None).__check__.points == 2
    with pytest.raises(ValueError, match=r"The `points` argument must be a number > 0. Received: points=0"):
        checks.public("q1", points=0)


def _verbose_calls(tmp_path):
    """One cheap call per public function with a `verbose` argument, keyed by its qualified name."""
    import keras

    from cnn_course import (assignment, datasets, devices, diagnostics, evaluation, learning_curves,
                            shapes_base, training, transfer)

    x = np.zeros((4, 8, 8, 1), "uint8")
    y = np.array([0, 1, 0, 1])
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    return {
        "Checker.__call__": lambda v: assignment.Checker("a1_convolution", {})(verbose=v),
        "stream_image_folder": lambda v: datasets.stream_image_folder(tmp_path, image_size=8, verbose=v),
        "choose_strategy": lambda v: devices.choose_strategy(verbose=v),
        "use_mixed_precision": lambda v: devices.use_mixed_precision("auto", verbose=v),
        "can_overfit_small_batch": lambda v: diagnostics.can_overfit_small_batch(lambda: model, x, y, verbose=v),
        "predict_with_labels": lambda v: evaluation.predict_with_labels(model, x, y, verbose=v),
        "learning_curve": lambda v: learning_curves.learning_curve(lambda: model, (x, y), (x, y), sizes=(4,),
                                                                   verbose=v),
        "capacity_curve": lambda v: learning_curves.capacity_curve(lambda c: model, (1,), (x, y), (x, y), verbose=v),
        "grid_search": lambda v: search.grid_search(lambda c: {"m": 1.0}, {"a": (1,)}, verbose=v),
        "random_search": lambda v: search.random_search(lambda c: {"m": 1.0}, {"a": (1,)}, n_trials=1, verbose=v),
        "make_shapes_dataset": lambda v: shapes.make_shapes_dataset(tmp_path / "shapes", verbose=v),
        "pretrain_shapes_base": lambda v: shapes_base.pretrain_shapes_base(verbose=v),
        "AtomicCheckpoint.__init__": lambda v: training.AtomicCheckpoint(tmp_path / "best.keras", verbose=v),
        "fit": lambda v: training.fit(model, (x, y), verbose=v),
        "extract_features": lambda v: transfer.extract_features(model, x, verbose=v),
    }


def _public_functions_with_verbose():
    import importlib
    import inspect
    import pkgutil

    import cnn_course

    found = set()
    for info in pkgutil.walk_packages(cnn_course.__path__, "cnn_course."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]) or ".assignment_checks" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")]):
            value = getattr(module, name)
            for function in ([value.__init__, value.__call__] if inspect.isclass(value) else [value]):
                home = getattr(function, "__module__", "") or ""
                if (callable(function) and home.startswith("cnn_course.") and not home.split(".")[1].startswith("_")
                        and "verbose" in inspect.signature(function).parameters):
                    found.add(function.__qualname__)
    return found


def test_every_verbose_argument_takes_the_same_values_and_refuses_others_with_one_message(tmp_path):
    # The reference is the list of public functions with a `verbose` argument, found by walking the
    # package: a new one that is not in the table of calls fails here until it is added.
    calls = _verbose_calls(tmp_path)
    assert _public_functions_with_verbose() == set(calls)
    message = r"The `verbose` argument must be one of 0, 1, 2, 'auto', True or False\. Received: verbose="
    for call in calls.values():
        for bad in (3, "yes", 1.0, None):
            with pytest.raises(ValueError, match=message + re.escape(repr(bad))):
                call(bad)
    for good in (0, 1, 2, "auto", True, False, np.int64(1), np.bool_(False)):
        assert _validation.check_verbose(good) == (0 if good in (0, False) else 1)
