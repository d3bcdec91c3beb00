"""Progress lines: epoch lines carry the History's numbers, slow epochs get in-epoch lines, output stays plain text."""

import re

import pytest

from cnn_course import data, models, progress, training
from cnn_course import _progress_lines
from cnn_course.reproducibility import set_seed
from cnn_course.settings import import_keras

keras = import_keras()

#: An epoch line: optional "name: ", "epoch i/n", key=value pairs, "(seconds s)".
EPOCH_LINE = re.compile(r"^(?:(?P<name>[^:]+): )?epoch (?P<epoch>\d+)/(?P<epochs>\d+)"
                        r"(?P<values>(?:  [\w.]+=\S+)*)  \((?P<seconds>\d+\.\d) s\)$")
#: An in-epoch line: "epoch i/n  batch k/m  loss=...  (seconds s)".
BATCH_LINE = re.compile(r"^epoch (\d+)/(\d+)  batch (\d+)/(\d+)  loss=(\S+)  \((\d+\.\d) s\)$")
#: An in-epoch line while the epoch's validation runs: "epoch i/n  validation batch k  (seconds s)".
VALIDATION_LINE = re.compile(r"^epoch \d+/\d+  validation batch \d+  \(\d+\.\d s\)$")



def _model():
    set_seed(0)
    return models.compile_for_task(models.build_dense((8, 8, 1), task="binary", hidden_units=(8,)),
                                   "binary", learning_rate=1e-2)


def _values(match):
    return {key: float(value) for key, value in
            (pair.split("=") for pair in match.group("values").split())}


class _Clock:
    """Stands in for the `time` module of cnn_course.progress: its clock moves only when a test moves it."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


class _SlowBatches(keras.callbacks.Callback):
    """Moves the clock on by `seconds` after every batch: an epoch as slow as a big model on a laptop,
    without waiting. Records the running loss Keras logged after each training batch."""

    def __init__(self, clock, seconds):
        super().__init__()
        self.clock, self.seconds, self.losses = clock, seconds, []

    def on_train_batch_end(self, batch, logs=None):
        self.clock.now += self.seconds
        self.losses.append(logs["loss"])

    def on_test_batch_end(self, batch, logs=None):
        self.clock.now += self.seconds


@pytest.mark.trains
@pytest.mark.parametrize("with_validation", [True, False])
def test_epoch_lines_carry_the_history(capsys, with_validation, blobs):
    x, y = blobs()
    train = data.make_dataset(x, y, batch_size=16, shuffle=True, seed=0)
    val = data.make_dataset(x, 1 - y, batch_size=64) if with_validation else None
    history = training.fit(_model(), train, val, epochs=3, name="blobs")
    lines = capsys.readouterr().out.splitlines()
    matches = [EPOCH_LINE.match(line) for line in lines]
    assert len(lines) == 3 and all(matches), lines
    assert [(m.group("name"), int(m.group("epoch")), int(m.group("epochs"))) for m in matches] == \
        [("blobs", 1, 3), ("blobs", 2, 3), ("blobs", 3, 3)]
    for epoch, match in enumerate(matches):
        shown = _values(match)
        assert set(shown) == set(history.history)
        assert list(shown)[0] == "loss"  # the loss first, then the other metrics
        for key, value in shown.items():
            assert value == pytest.approx(history.history[key][epoch], abs=5e-5)
    assert any(key.startswith("val_") for key in history.history) == with_validation


@pytest.mark.trains
def test_slow_epoch_prints_in_epoch_lines(capsys, blobs, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(progress, "time", clock)
    monkeypatch.setattr(_progress_lines, "time", clock)
    x, y = blobs()
    train = data.make_dataset(x, y, batch_size=8)  # 8 batches per epoch
    slow = _SlowBatches(clock, 0.25)  # each batch takes 0.25 s
    training.fit(_model(), train, epochs=2, callbacks=[slow, progress.ProgressLine(interval=0.7)])
    lines = capsys.readouterr().out.splitlines()
    # A line once 0.7 s have passed since the last one: after batches 3 and 6 of each epoch (0.75 s
    # and 1.5 s into it), the clock restarting at each epoch line (2.0 s into the epoch).
    parsed = []
    for line in lines:
        beat, epoch = BATCH_LINE.match(line), EPOCH_LINE.match(line)
        assert beat or epoch, line
        if beat:
            parsed.append(tuple(int(v) for v in beat.group(1, 2, 3, 4)) + (beat.group(6),))
            # The loss shown is the running mean Keras logged after that batch.
            done = 8 * (int(beat.group(1)) - 1) + int(beat.group(3))
            assert float(beat.group(5)) == pytest.approx(slow.losses[done - 1], abs=5e-5)
        else:
            parsed.append((int(epoch.group("epoch")), epoch.group("seconds")))
    assert parsed == [(1, 2, 3, 8, "0.8"), (1, 2, 6, 8, "1.5"), (1, "2.0"),
                      (2, 2, 3, 8, "0.8"), (2, 2, 6, 8, "1.5"), (2, "2.0")]


@pytest.mark.trains
def test_fast_epochs_print_no_in_epoch_line(capsys, blobs):
    x, y = blobs()
    training.fit(_model(), data.make_dataset(x, y, batch_size=8), epochs=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(EPOCH_LINE.match(line) for line in lines), lines


@pytest.mark.trains
def test_every_epoch_false_prints_only_when_a_line_is_due(capsys, blobs):
    x, y = blobs()
    ds = data.make_dataset(x, y, batch_size=16)
    training.fit(_model(), ds, epochs=3, verbose=0,
                 callbacks=[progress.ProgressLine(interval=3600, every_epoch=False)])
    assert capsys.readouterr().out == ""
    training.fit(_model(), ds, epochs=3, verbose=0,
                 callbacks=[progress.ProgressLine(interval=0, every_epoch=False)])
    epochs = [m.group("epoch") for m in map(EPOCH_LINE.match, capsys.readouterr().out.splitlines()) if m]
    assert epochs == ["1", "2", "3"]


@pytest.mark.trains
def test_verbose_zero_is_silent_and_verbose_is_checked(capsys, blobs):
    x, y = blobs()
    ds = data.make_dataset(x, y, batch_size=16)
    training.fit(_model(), ds, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="The `verbose` argument must be one of"):
        training.fit(_model(), ds, epochs=1, verbose=3)


@pytest.mark.trains
def test_early_stopping_line_names_the_restored_epoch(capsys, blobs):
    x, y = blobs()
    train = data.make_dataset(x, y, batch_size=16)
    val = data.make_dataset(x, 1 - y, batch_size=64)  # validation loss rises as training learns
    model = _model()
    history = training.fit(model, train, val, epochs=30, patience=2)
    last = capsys.readouterr().out.splitlines()[-1]
    match = re.fullmatch(r"best epoch (\d+)/30  val_loss=(\S+)  weights restored "
                         r"\(stopped early after epoch (\d+)\)", last)
    assert match, last
    assert int(match.group(1)) == history.best_epoch
    assert int(match.group(3)) == len(history.history["loss"])
    assert float(match.group(2)) == pytest.approx(model.evaluate(val, verbose=0)[0], abs=5e-4)


@pytest.mark.trains
@pytest.mark.parametrize("verbose", [1, 2, "auto"])
def test_output_is_plain_text_without_keras_bar(capsys, verbose, blobs, monkeypatch):
    x, y = blobs()
    train = data.make_dataset(x, y, batch_size=8)
    clock = _Clock()
    monkeypatch.setattr(progress, "time", clock)
    monkeypatch.setattr(_progress_lines, "time", clock)
    training.fit(_model(), train, data.make_dataset(x, y, batch_size=16), epochs=2, verbose=verbose,
                 callbacks=[_SlowBatches(clock, 0.25), progress.ProgressLine(interval=0.5)])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    for character in ("\b", "\r", "\x1b"):
        assert character not in text
    lines = captured.out.splitlines()
    assert lines and all(EPOCH_LINE.match(line) or BATCH_LINE.match(line) or VALIDATION_LINE.match(line)
                         for line in lines), lines
    # Every kind of line was printed, so each was checked above.
    for kind in (EPOCH_LINE, BATCH_LINE, VALIDATION_LINE):
        assert any(kind.match(line) for line in lines), (kind.pattern, lines)


def test_format_line_and_numbers():
    assert progress.format_line("trial", 2, 6, {"lr": 1e-4, "units": 64, "optimizer": "adam"},
                                seconds=12.345) == "trial 2/6  lr=1.0000e-04  units=64  optimizer=adam  (12.3 s)"
    assert progress.format_line("features", 640, None, note="images done") == "features 640  images done"
    assert progress.format_line("epoch", 1, 2, {"loss": 0.0, "val_loss": float("nan")}) == \
        "epoch 1/2  loss=0.0000  val_loss=nan"


def test_print_line_flushes_one_line(capsys):
    progress.print_line("size", 1, 3, {"images": 126}, seconds=0.5, name="learning curve")
    assert capsys.readouterr().out == "learning curve: size 1/3  images=126  (0.5 s)\n"


@pytest.mark.parametrize("interval", [-1, "10", float("nan"), True])
def test_bad_interval(interval):
    with pytest.raises(ValueError, match="The `interval` argument must be a number of seconds >= 0"):
        progress.Heartbeat(interval)


def test_heartbeat_is_due_once_per_interval(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(progress, "time", clock)
    monkeypatch.setattr(_progress_lines, "time", clock)
    beat = progress.Heartbeat(0.5)
    assert not beat.due()
    clock.now = 0.4
    assert not beat.due()
    clock.now = 0.5
    assert beat.due() and not beat.due()  # due() restarts the clock
    clock.now = 0.9
    assert not beat.due()
    clock.now = 1.0
    assert beat.due()
    assert beat.elapsed == 1.0
    clock.now = 1.2
    beat.mark()  # a line printed by someone else also restarts it
    clock.now = 1.6
    assert not beat.due()
    assert progress.Heartbeat(0).due()  # interval 0: always due
