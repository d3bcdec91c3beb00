"""Grid and random search: seeded draws, grid coverage, resuming a killed search, best() and plots."""

import collections
import json
import re

import numpy as np
import pytest

from cnn_course import search


def _score(learning_rate, dropout=0.0, **_):
    """A U-shaped stand-in for validation accuracy: best at learning_rate=1e-2."""
    return {"val_accuracy": 1.0 - (np.log10(learning_rate) + 2) ** 2 / 10 - dropout / 10,
            "val_loss": (np.log10(learning_rate) + 2) ** 2}


def test_grid_covers_the_product():
    space = {"learning_rate": [1e-3, 1e-2, 1e-1], "dropout": [0.0, 0.5]}
    seen = []
    result = search.grid_search(lambda **c: (seen.append(c), _score(**c))[1], space, verbose=0)
    assert len(result) == 6 and len(seen) == 6
    assert {(c["learning_rate"], c["dropout"]) for c in seen} == {
        (lr, d) for lr in space["learning_rate"] for d in space["dropout"]}
    assert result.best()["config"] == {"learning_rate": 1e-2, "dropout": 0.0}
    assert result.best("val_loss", "min")["config"]["learning_rate"] == 1e-2
    accuracies = [r["metrics"]["val_accuracy"] for r in result.table]
    assert accuracies == sorted(accuracies, reverse=True)
    assert "val_accuracy" in str(result) and "learning_rate" in str(result)


def test_same_seed_same_configurations_and_bounds():
    space = {"learning_rate": search.log_uniform(1e-5, 1e-1), "dropout": search.uniform(0.0, 0.5),
             "units": search.int_uniform(8, 64), "optimizer": search.choice(["adam", "sgd"])}
    a = search.sample_configurations(space, 20, seed=3)
    assert a == search.sample_configurations(space, 20, seed=3)
    assert a != search.sample_configurations(space, 20, seed=4)
    assert a[:5] == search.sample_configurations(space, 5, seed=3)
    lrs = np.array([search.log_uniform(1e-5, 1e-1).sample(np.random.default_rng(s)) for s in range(200)])
    assert lrs.min() >= 1e-5 and lrs.max() <= 1e-1
    decades = np.floor(np.log10(lrs))
    assert set(decades) == {-5, -4, -3, -2}            # spread over every decade...
    assert max(collections.Counter(decades).values()) < 0.4 * len(lrs)  # ...roughly evenly
    assert all(8 <= c["units"] <= 64 and 0 <= c["dropout"] < 0.5 for c in a)

    tried = {seed: [] for seed in (0, 1)}
    for seed in (0, 0, 1):
        tried_now = []
        search.random_search(lambda sink=tried_now, **c: (sink.append(c), _score(**c))[1], space, 4,
                             seed=seed, verbose=0)
        if tried[seed]:
            assert tried_now == tried[seed]
        tried[seed] = tried_now
    assert tried[0] != tried[1]


@pytest.mark.parametrize("kind", ["grid", "random"])
def test_killed_search_resumes_without_repeating(tmp_path, kind):
    path = tmp_path / "results.jsonl"
    calls = collections.Counter()
    budget = {"left": 3}

    def evaluate(**config):
        if budget["left"] == 0:
            raise KeyboardInterrupt  # the student pressed Ctrl-C during this trial
        budget["left"] -= 1
        calls[search.config_key(config)] += 1
        return _score(**config)

    if kind == "grid":
        space = {"learning_rate": [1e-4, 1e-3, 1e-2, 1e-1], "dropout": [0.0, 0.5]}
        run = lambda: search.grid_search(evaluate, space, results_path=path, verbose=0)  # noqa: E731
        n = 8
    else:
        space = {"learning_rate": search.log_uniform(1e-4, 1e-1), "dropout": search.uniform(0, 0.5)}
        run = lambda: search.random_search(evaluate, space, 8, seed=5, results_path=path, verbose=0)  # noqa: E731
        n = 8
    with pytest.raises(KeyboardInterrupt):
        run()
    assert len(search.read_results(path)) == 3
    # a kill while writing the 4th record leaves half a line
    with open(path, "a") as f:
        f.write('{"trial": 3, "key": "{\\"dropo')
    assert len(search.read_results(path)) == 3
    budget["left"] = 2
    with pytest.raises(KeyboardInterrupt):
        run()
    budget["left"] = 100
    result = run()
    assert len(result) == n and sum(calls.values()) == n
    assert set(calls.values()) == {1}                      # each configuration exactly once
    lines = path.read_text().splitlines()
    assert len(lines) == n and all(json.loads(line) for line in lines)
    assert sorted(r["trial"] for r in result.rows) == list(range(n))
    # a finished search started again evaluates nothing
    again = run()
    assert sum(calls.values()) == n and len(again) == n


def test_one_line_per_trial_says_which_were_resumed(tmp_path, capsys):
    path = tmp_path / "grid.jsonl"
    space = {"learning_rate": [1e-3, 1e-2], "dropout": [0.0, 0.5]}
    first = search.grid_search(_score, {"learning_rate": [1e-3], "dropout": [0.0, 0.5]}, results_path=path)
    capsys.readouterr()
    result = search.grid_search(_score, space, results_path=path)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Resuming: 2 of 4 configurations already done")
    trial = re.compile(r"trial (\d)/4  learning_rate=(\S+)  dropout=(\S+)  val_accuracy=(\S+)  "
                       r"val_loss=(\S+)  (resumed from grid\.jsonl: not run again  )?\(\d+\.\d s\)")
    matches = [trial.fullmatch(line) for line in lines[1:]]
    assert len(matches) == 4 and all(matches), lines
    by_trial = {row["trial"]: row for row in result.rows}
    for k, match in enumerate(matches):
        row = by_trial[k]
        assert int(match.group(1)) == k + 1
        assert float(match.group(2)) == row["config"]["learning_rate"]
        assert float(match.group(3)) == row["config"]["dropout"]
        assert float(match.group(4)) == pytest.approx(row["metrics"]["val_accuracy"], abs=5e-5)
        assert bool(match.group(6)) == (k < len(first))  # the first two were in the file already


def test_plot_marginals_one_panel_per_hyperparameter():
    import matplotlib

    matplotlib.use("Agg")
    space = {"learning_rate": search.log_uniform(1e-5, 1e-1), "optimizer": search.choice(["adam", "sgd"]),
             "dropout": search.uniform(0.0, 0.5)}
    result = search.random_search(_score, space, 12, verbose=0)
    fig = result.plot_marginals("val_accuracy")
    assert len(fig.axes) == 3
    assert fig.axes[0].get_xscale() == "log" and fig.axes[2].get_xscale() == "linear"
    assert len(fig.axes[0].collections[0].get_offsets()) == 12
    # Each panel plots every trial's (value, metric) point, and rings the best trial.
    ys = [r["metrics"]["val_accuracy"] for r in result.rows]
    best = max(result.rows, key=lambda r: r["metrics"]["val_accuracy"])
    for axis, name in zip(fig.axes, ("learning_rate", "optimizer", "dropout")):
        values = [r["config"][name] for r in result.rows]
        if name == "optimizer":  # names at evenly spaced ticks, in order of first appearance
            order = list(dict.fromkeys(values))
            assert [t.get_text() for t in axis.get_xticklabels()] == order
            xs, best_x = [order.index(v) for v in values], order.index(best["config"][name])
        else:
            xs, best_x = values, best["config"][name]
        np.testing.assert_allclose(axis.collections[0].get_offsets(), np.column_stack([xs, ys]), err_msg=name)
        np.testing.assert_allclose(axis.collections[-1].get_offsets(), [[best_x, best["metrics"]["val_accuracy"]]])
    grid_result = search.grid_search(_score, {"learning_rate": [1e-4, 1e-3, 1e-2, 1e-1, 1.0]}, verbose=0)
    fig2 = grid_result.plot_marginals()
    assert fig2.axes[0].get_xscale() == "log"          # positive values over > 2 decades
    with pytest.raises(ValueError, match="val_f1"):
        result.plot_marginals("val_f1")
    matplotlib.pyplot.close("all")


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="low"):
        search.log_uniform(0, 1)
    with pytest.raises(ValueError, match="choice"):
        search.sample_configurations({"lr": [1e-3, 1e-2]}, 3)
    with pytest.raises(ValueError, match="dict of metrics"):
        search.grid_search(lambda **c: 0.5, {"lr": [1e-3]}, verbose=0)


def test_to_dataframe_is_the_sorted_table_one_column_per_hyperparameter_and_metric():
    pd = pytest.importorskip("pandas")
    space = {"learning_rate": [1e-3, 1e-2, 1e-1], "dropout": [0.0, 0.5]}
    result = search.grid_search(_score, space, verbose=0)
    frame = result.to_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["trial", "learning_rate", "dropout", "val_accuracy", "val_loss", "seconds"]
    # One row per configuration of the grid with its own metrics (computed here from _score), best
    # validation accuracy first.
    columns = ["learning_rate", "dropout", "val_accuracy", "val_loss"]
    rows = [tuple(float(v) for v in row) for row in frame[columns].itertuples(index=False)]
    expected = [(lr, d, *_score(lr, d).values()) for lr in space["learning_rate"] for d in space["dropout"]]
    np.testing.assert_allclose(sorted(rows), sorted(expected))
    accuracies = frame["val_accuracy"].tolist()
    assert accuracies == sorted(accuracies, reverse=True) and accuracies[0] == pytest.approx(1.0)
    assert sorted(frame["trial"]) == list(range(6))


def test_to_dataframe_without_pandas_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now raises ImportError
    result = search.grid_search(_score, {"learning_rate": [1e-2]}, verbose=0)
    with pytest.raises(ImportError, match=r"to_dataframe\(\) needs pandas: pip install pandas"):
        result.to_dataframe()
    assert "learning_rate" in str(result)  # the rest of the class works without pandas


def test_best_by_another_metric_goes_that_metric_s_way():
    # The search maximises val_accuracy; asked for its best val_loss, it must pick the lowest loss
    # (Keras's direction for a loss), and for a metric whose direction nobody knows, ask for mode=.
    def evaluate(x):
        return {"val_accuracy": x / 10, "val_loss": abs(x - 2), "score": x}

    result = search.grid_search(evaluate, {"x": (1, 2, 3, 4)}, metric="val_accuracy", mode="max", verbose=0)
    assert result.best()["config"] == {"x": 4}
    assert result.best("val_loss")["config"] == {"x": 2}
    assert result.best("val_loss", mode="max")["config"] == {"x": 4}
    with pytest.raises(ValueError, match=r"The `mode` argument must be 'max' or 'min' for 'score'"):
        result.best("score")
    assert result.best("score", mode="min")["config"] == {"x": 1}
