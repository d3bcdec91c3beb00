"""Diagnostics: overfitting one batch with hints, output/loss checks, gradient norms, dead ReLUs."""

import re

import keras
import numpy as np
import pytest

from cnn_course import diagnostics
from cnn_course import _progress_lines
from cnn_course.datasets import load_digits


@pytest.fixture(scope="module")
def digits():
    train = load_digits()["train"]
    return train.images[:32].astype("float32") / 255.0, train.labels[:32]


def _dense(activation="softmax", loss="sparse_categorical_crossentropy", lr=1e-2):
    def make():
        model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(32, activation="relu"),
                                  keras.layers.Dense(10, activation=activation)])
        model.compile(keras.optimizers.Adam(lr), loss, metrics=["accuracy"])
        return model
    return make


@pytest.mark.trains
def test_correct_model_overfits_one_batch(digits):
    x, y = digits
    result = diagnostics.can_overfit_small_batch(_dense(), x, y, verbose=0)
    assert result.passed and result.hint is None
    assert result.final_accuracy >= 0.99
    assert result.history["loss"][-1] < result.history["loss"][0]


def test_training_prints_a_line_when_one_is_due(digits, capsys, monkeypatch):

    monkeypatch.setattr(_progress_lines, "INTERVAL", 0.0)  # every step is due for a line
    x, y = digits
    result = diagnostics.can_overfit_small_batch(_dense(), x, y, steps=5, verbose=1)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("overfit check:")]
    pattern = re.compile(r"overfit check: step (\d)/5  loss=(\S+)  accuracy=(\S+)  \(\d+\.\d s\)")
    matches = [pattern.fullmatch(line) for line in lines]
    assert len(matches) == result.steps and all(matches), lines
    for k, match in enumerate(matches):
        assert int(match.group(1)) == k + 1
        assert float(match.group(2)) == pytest.approx(result.history["loss"][k], abs=5e-5)


@pytest.mark.parametrize("activation, loss, one_hot, names", [
    ("softmax", "binary_crossentropy", True, ["softmax", "binary_crossentropy", "categorical_crossentropy"]),
    ("softmax", "binary_crossentropy", False, ["softmax", "binary_crossentropy", "sparse_categorical"]),
    (None, "sparse_categorical_crossentropy", False, ["no activation", "activation='softmax'",
                                                      "from_logits=True"]),
    ("sigmoid", "categorical_crossentropy", True, ["sigmoid", "activation='softmax'"]),
    ("softmax", "sparse_categorical_crossentropy", True, ["one-hot", "categorical_crossentropy"]),
])
def test_mismatched_output_and_loss_fails_with_the_fix(digits, capsys, activation, loss, one_hot, names):
    x, y = digits
    labels = np.eye(10, dtype="float32")[y] if one_hot else y
    result = diagnostics.can_overfit_small_batch(_dense(activation, loss), x, labels, verbose=1)
    assert not result.passed
    for name in names:
        assert name in result.hint
    assert "Fix" in result.hint
    assert result.hint in capsys.readouterr().out


def test_check_output_and_loss_extra_cases():
    def model(units, activation, loss):
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, activation=activation)])
        m.compile("adam", loss)
        return m

    with pytest.raises(ValueError, match="1 unit.*sigmoid"):
        diagnostics.check_output_and_loss(model(1, "softmax", "binary_crossentropy"), np.array([0, 1]))
    with pytest.raises(ValueError, match="second time"):
        diagnostics.check_output_and_loss(
            model(3, "softmax", keras.losses.SparseCategoricalCrossentropy(from_logits=True)), np.array([0, 2]))
    diagnostics.check_output_and_loss(
        model(3, None, keras.losses.SparseCategoricalCrossentropy(from_logits=True)), np.array([0, 2]))
    diagnostics.check_output_and_loss(model(1, "sigmoid", "binary_crossentropy"), np.array([0, 1]))


@pytest.mark.trains
def test_too_high_and_too_low_learning_rates_get_hints(digits):
    x, y = digits
    high = diagnostics.can_overfit_small_batch(_dense(lr=1e4), x, y, steps=30, verbose=0)
    assert not high.passed and "too high" in high.hint
    rng = np.random.default_rng(0)
    low = diagnostics.can_overfit_small_batch(_dense(lr=1e-7), x, rng.permutation(y), steps=20, verbose=0)
    assert not low.passed and "barely moved" in low.hint and "labels" in low.hint


@pytest.mark.parametrize("sequential_without_input", [False, True])
def test_dead_relu_fraction(sequential_without_input):
    conv = keras.layers.Conv2D(4, 1, activation="relu", name="conv")
    dense = keras.layers.Dense(5, activation="relu", name="dense")
    layers = [conv, keras.layers.Flatten(), dense]
    if sequential_without_input:
        model = keras.Sequential(layers)
    else:
        inputs = keras.Input((3, 3, 2))
        h = inputs
        for layer in layers:
            h = layer(h)
        model = keras.Model(inputs, h)
    images = np.random.default_rng(0).uniform(0.1, 1.0, (6, 3, 3, 2)).astype("float32")
    model(images[:1])  # build the weights
    conv.set_weights([np.ones((1, 1, 2, 4)), np.array([0.0, -1e3, 0.0, 0.0])])   # 1 of 4 channels dead
    dense.set_weights([np.ones((36, 5)), np.array([0.0, -1e3, -1e3, 0.0, 0.0])])  # 2 of 5 units dead
    assert diagnostics.dead_relu_fraction(model, images) == {"conv": 0.25, "dense": 0.4}


@pytest.mark.trains
def test_gradient_norm_logger_one_value_per_layer_per_epoch(digits):
    import matplotlib

    matplotlib.use("Agg")
    x, y = digits
    model = _dense()()
    logger = diagnostics.GradientNormLogger(x[:16], y[:16])
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[logger])
    assert len(logger.norms) == 2 and logger.steps == [1, 2, 3]
    values = np.array(list(logger.norms.values()))
    assert values.shape == (2, 3) and np.all(np.isfinite(values)) and np.all(values > 0)
    fig = diagnostics.plot_gradient_norms(logger)
    assert fig.axes[0].get_yscale() == "log" and len(fig.axes[0].lines) == 2
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("errors, target, expected", [
    # The lecture's diagnosis table, worked by hand: (train, validation, test), target, branch.
    ((0.20, 0.22, None), 0.01, "avoidable bias"),  # high training error: underfits
    ((0.15, 0.30, None), 0.01, "avoidable bias"),  # both gaps large: training error first (tuning order)
    ((0.01, 0.15, None), 0.01, "variance"),  # low training error, high validation error: overfits
    ((0.02, 0.03, 0.12), 0.01, "validation-test mismatch"),  # validation fine, test poor
    ((0.02, 0.03, 0.04), 0.01, None),  # every gap within 2 points
    ((0.10, 0.11, None), 0.09, None),  # a hard task: 10% is close to the best achievable 9%
])
def test_diagnose_errors_picks_the_lecture_s_branch(errors, target, expected):
    train, validation, test = errors
    result = diagnostics.diagnose_errors(train, validation, test, target_error=target)
    assert result.work_on == expected
    assert result.gaps["avoidable bias"] == pytest.approx(train - target)
    assert result.gaps["variance"] == pytest.approx(validation - train)
    assert ("validation-test mismatch" in result.gaps) == (test is not None)
    text = str(result)
    assert ("Work on the " + expected) in text if expected else "within the tolerance" in text


def test_diagnose_errors_refuses_rates_outside_0_and_1():
    with pytest.raises(ValueError, match=r"The `validation_error` argument must be a number in the range \[0.0, 1.0\]"):
        diagnostics.diagnose_errors(0.1, 12.0)  # a percentage where a rate belongs
