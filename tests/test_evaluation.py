"""Tests for cnn_course.evaluation: aligned predictions, confusion matrix, tables, worst errors."""

import cnn_course  # noqa: F401  (sets TensorFlow's flags before it is imported)

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.figure  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn import metrics  # noqa: E402

from cnn_course import datasets, evaluation, models, training  # noqa: E402
from cnn_course import _progress_lines
from cnn_course.data import make_dataset  # noqa: E402
from cnn_course.reproducibility import set_seed  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    return datasets.load_digits()


@pytest.fixture(scope="module")
def trained(digits):
    """A small dense model trained 2 epochs on the 8x8 digits: good, but not perfect."""
    set_seed(0)
    model = models.compile_for_task(models.build_dense((8, 8, 1), 10, hidden_units=(32,)),
                                    learning_rate=1e-2)
    train = make_dataset(digits["train"], batch_size=64, shuffle=True, seed=0)
    training.fit(model, train, epochs=2, verbose=0)
    return model


# ---------------------------------------------------------------------------
# The key test: shuffling must not change the confusion matrix
# ---------------------------------------------------------------------------


def test_slow_prediction_prints_the_images_done(digits, trained, capsys, monkeypatch):

    test = digits["test"]
    evaluation.predict_with_labels(trained, test)
    assert capsys.readouterr().out == ""  # fast: nothing to say
    monkeypatch.setattr(_progress_lines, "INTERVAL", 0.0)  # every batch is due for a line
    evaluation.predict_with_labels(trained, test, batch_size=100)
    lines = [line.rsplit("  (", 1)[0] for line in capsys.readouterr().out.splitlines()]
    done = [*range(100, len(test), 100), len(test)]
    assert lines == [f"predicted {n} images" for n in done]


@pytest.mark.trains
def test_confusion_matrix_is_the_same_for_shuffled_and_unshuffled_data(digits, trained):
    test = digits["test"]
    plain = make_dataset(test, batch_size=32, shuffle=False)
    shuffled = make_dataset(test, batch_size=32, shuffle=True, seed=7)

    y_true, y_prob = evaluation.predict_with_labels(trained, plain)
    y_true_s, y_prob_s = evaluation.predict_with_labels(trained, shuffled)
    np.testing.assert_array_equal(y_true, test.labels)  # unshuffled: the ImageSet's order
    assert not np.array_equal(y_true_s, test.labels)  # the shuffle really reordered the data
    y_pred = evaluation.predicted_classes(y_prob)
    assert len(np.unique(y_pred)) >= 8  # the model is not trivially constant
    assert np.mean(y_pred == y_true) > 0.6

    cm = evaluation.confusion_matrix(y_true, y_pred, num_classes=10)
    cm_shuffled = evaluation.confusion_matrix(y_true_s, evaluation.predicted_classes(y_prob_s), 10)
    np.testing.assert_array_equal(cm_shuffled, cm)
    assert cm.sum() == len(test)

    # The trap: labels in the original order, predictions from another (shuffled) pass.
    naive_prob = trained.predict(shuffled, verbose=0)
    cm_naive = evaluation.confusion_matrix(test.labels, evaluation.predicted_classes(naive_prob), 10)
    assert not np.array_equal(cm_naive, cm)
    assert np.trace(cm_naive) < 0.5 * np.trace(cm)  # accuracy collapses towards chance


@pytest.mark.trains
def test_imageset_and_arrays_give_the_same_as_the_dataset(digits, trained):
    test = digits["test"]
    expected_true, expected_prob = evaluation.predict_with_labels(
        trained, make_dataset(test, batch_size=50))
    for args in [(test,), (test.images, test.labels)]:
        y_true, y_prob = evaluation.predict_with_labels(trained, *args, batch_size=64)
        np.testing.assert_array_equal(y_true, expected_true)
        np.testing.assert_allclose(y_prob, expected_prob, rtol=1e-5, atol=1e-6)


@pytest.mark.trains
def test_labels_with_a_dataset_are_rejected(digits, trained):
    ds = make_dataset(digits["test"], batch_size=64)
    with pytest.raises(ValueError, match="`labels` argument"):
        evaluation.predict_with_labels(trained, ds, labels=digits["test"].labels)


@pytest.mark.trains
def test_one_hot_labels_become_class_indices(digits, trained):
    test = digits["test"]
    ds = make_dataset(test, batch_size=64, shuffle=True, seed=1, one_hot=10)
    y_true, y_prob = evaluation.predict_with_labels(trained, ds)
    assert y_true.dtype == np.int64 and y_true.shape == (len(test),)
    np.testing.assert_array_equal(np.sort(y_true), np.sort(test.labels))
    assert y_prob.shape == (len(test), 10)
    # Each class index belongs to its own prediction: find the image by its prediction in an
    # unshuffled pass over the ImageSet, whose labels are known.
    _, plain_prob = evaluation.predict_with_labels(trained, test)
    for label, prob in zip(y_true, y_prob):
        same = np.flatnonzero(np.abs(plain_prob - prob).max(axis=1) < 1e-5)
        assert len(same) and label in test.labels[same], (label, test.labels[same])


def test_binary_sigmoid_model():
    x = np.linspace(0, 255, 12).astype("uint8").reshape(12, 1, 1, 1)
    y = (np.arange(12) >= 6).astype("float32")  # float labels (n,), as for binary_crossentropy
    model = keras.Sequential([keras.Input((1, 1, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.layers[-1].set_weights([np.array([[20.0]]), np.array([-10.0])])  # sigmoid(20 x - 10)
    ds = make_dataset(x, y, batch_size=5, shuffle=True, seed=3)
    y_true, y_prob = evaluation.predict_with_labels(model, ds)
    assert y_prob.shape == (12, 1) and y_true.dtype == np.int64
    y_pred = evaluation.predicted_classes(y_prob)
    np.testing.assert_array_equal(y_pred, y_true)  # x > 0.5 is class 1
    cm = evaluation.confusion_matrix(y_true, y_pred, num_classes=2)
    np.testing.assert_array_equal(cm, [[6, 0], [0, 6]])
    assert evaluation.predicted_classes([[0.4], [0.6]], threshold=0.7).tolist() == [0, 0]


# ---------------------------------------------------------------------------
# Confusion matrix, pairs, table
# ---------------------------------------------------------------------------


def test_confusion_matrix_matches_sklearn_and_lists_every_class():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    cm = evaluation.confusion_matrix(y_true, y_pred, num_classes=4)
    assert cm.shape == (4, 4) and cm[3].sum() == 0 and cm[:, 3].sum() == 0
    np.testing.assert_array_equal(cm[:3, :3], metrics.confusion_matrix(y_true, y_pred))
    probs = np.eye(4)[y_pred] * 0.7 + 0.075  # probabilities are accepted too
    np.testing.assert_array_equal(evaluation.confusion_matrix(y_true, probs, 4), cm)


def test_most_confused_pairs_order():
    cm = np.array([[10, 2, 0, 4],
                   [7, 10, 1, 0],
                   [0, 4, 10, 0],
                   [1, 0, 0, 10]])
    pairs = evaluation.most_confused_pairs(cm, ["a", "b", "c", "d"], top=4)
    assert pairs == [("b", "a", 7), ("a", "d", 4), ("c", "b", 4), ("a", "b", 2)]
    everything = evaluation.most_confused_pairs(cm, top=100)
    assert len(everything) == 6  # zero cells and the diagonal are left out
    assert [count for _, _, count in everything] == sorted((c for _, _, c in everything), reverse=True)
    assert everything[0] == ("1", "0", 7)


def test_classification_table_matches_sklearn():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 3, 60)
    y_pred = np.where(rng.random(60) < 0.7, y_true, rng.integers(0, 3, 60))
    table = evaluation.classification_table(y_true, y_pred, ["cat", "dog", "fox"])
    p, r, f, s = metrics.precision_recall_fscore_support(y_true, y_pred)
    np.testing.assert_allclose(table.precision, p)
    np.testing.assert_allclose(table.recall, r)
    np.testing.assert_allclose(table.f1, f)
    np.testing.assert_array_equal(table.support, s)
    assert table.accuracy == pytest.approx(metrics.accuracy_score(y_true, y_pred))
    text = str(table)
    assert text.splitlines()[0].split() == ["class", "precision", "recall", "f1", "support"]
    assert text.splitlines()[1].split()[0] == "cat" and "accuracy" in text
    assert "<table>" in table._repr_html_()


def test_classification_table_never_predicted_class_has_zero_precision():
    table = evaluation.classification_table([0, 1, 2], [0, 1, 1], ["a", "b", "c"])
    assert table.precision[2] == 0.0 and table.recall[2] == 0.0


# ---------------------------------------------------------------------------
# Worst errors
# ---------------------------------------------------------------------------


def test_worst_errors_picks_the_most_confident_mistakes():
    y_true = np.array([0, 1, 2, 0, 1, 2])
    y_prob = np.array([
        [0.90, 0.05, 0.05],  # right
        [0.60, 0.30, 0.10],  # wrong, 0.60
        [0.05, 0.90, 0.05],  # wrong, 0.90
        [0.20, 0.10, 0.70],  # wrong, 0.70
        [0.10, 0.80, 0.10],  # right
        [0.50, 0.00, 0.50],  # a tie: argmax says 0, so wrong, 0.50
    ])
    assert evaluation.worst_errors(y_true, y_prob, k=10).tolist() == [2, 3, 1, 5]
    assert evaluation.worst_errors(y_true, y_prob, k=2).tolist() == [2, 3]
    one_hot = np.eye(3)[y_true]
    assert evaluation.worst_errors(one_hot, y_prob, k=1).tolist() == [2]


def test_worst_errors_binary_uses_the_confidence_of_the_predicted_class():
    y_true = np.array([1, 1, 0, 0])
    y_prob = np.array([[0.02], [0.4], [0.9], [0.1]])  # wrong: 0 (conf 0.98), 1 (0.6), 2 (0.9)
    assert evaluation.worst_errors(y_true, y_prob).tolist() == [0, 2, 1]


def test_worst_errors_none_when_all_right():
    assert evaluation.worst_errors([0, 1], [[0.9, 0.1], [0.2, 0.8]]).tolist() == []


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("normalize", [False, True])
def test_plot_confusion_matrix_returns_figure_with_counts(normalize):
    import matplotlib.pyplot as plt

    cm = np.array([[5, 1, 0], [2, 7, 0], [0, 0, 0]])
    fig = evaluation.plot_confusion_matrix(cm, ["a", "b", "c"], normalize=normalize)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    # Every cell's text sits on its cell: the count, or the row's fraction (by hand: 5/6, 1/6, 2/9,
    # 7/9; an empty row stays 0) above the count.
    cells = {tuple(np.round(t.get_position()).astype(int)): t.get_text() for t in ax.texts}
    if normalize:
        fractions = [[5 / 6, 1 / 6, 0.0], [2 / 9, 7 / 9, 0.0], [0.0, 0.0, 0.0]]
        expected = {(j, i): f"{fractions[i][j]:.2f}\n({cm[i, j]})" for i in range(3) for j in range(3)}
        assert cells[(1, 0)] == "0.17\n(1)" and cells[(0, 1)] == "0.22\n(2)"
    else:
        fractions = cm
        expected = {(j, i): str(cm[i, j]) for i in range(3) for j in range(3)}
    assert len(ax.texts) == 9 and cells == expected
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), fractions)  # the colours
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
    plt.close(fig)
    fig2, ax = plt.subplots()
    assert evaluation.plot_confusion_matrix(cm, ax=ax) is fig2
    plt.close(fig2)


def test_plot_confusion_matrix_rejects_wrong_input():
    with pytest.raises(ValueError, match="square"):
        evaluation.plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="class_names"):
        evaluation.plot_confusion_matrix(np.zeros((2, 2)), ["only one"])


@pytest.mark.trains
def test_plot_worst_errors(digits, trained):
    import matplotlib.pyplot as plt

    from cnn_course import plots

    test = digits["test"]
    y_true, y_prob = evaluation.predict_with_labels(trained, test)
    fig = evaluation.plot_worst_errors(test, y_true, y_prob, test.class_names, k=6, ncols=3)
    assert isinstance(fig, matplotlib.figure.Figure)
    # The 6 most confident mistakes, computed here: wrong predictions by falling top probability.
    predicted, confidence = y_prob.argmax(axis=1), y_prob.max(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:6]
    names = test.class_names
    titles = [t.get_text() for t in fig.axes[0].texts]
    assert titles == [f"{names[y_true[i]]} -> {names[predicted[i]]} ({confidence[i]:.0%})" for i in worst]
    # ...and the images shown are those images, in that order.
    reference = plots.show_images(test.images[worst], ncols=3)
    np.testing.assert_array_equal(np.asarray(fig.axes[0].images[0].get_array()),
                                  np.asarray(reference.axes[0].images[0].get_array()))
    plt.close("all")
    fig = evaluation.plot_worst_errors(np.zeros((2, 8, 8, 1)), [0, 1], [[0.9, 0.1], [0.2, 0.8]])
    assert [t.get_text() for t in fig.axes[0].texts] == ["no misclassified images"] and not fig.axes[0].images
    plt.close(fig)


@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_top_k_accuracy_matches_scikit_learn(k):
    from sklearn.metrics import top_k_accuracy_score

    rng = np.random.default_rng(k)
    y_prob = rng.random((200, 10))  # distinct scores: no ties for the two to break differently
    y_true = rng.integers(0, 10, 200)
    expected = top_k_accuracy_score(y_true, y_prob, k=k, labels=np.arange(10))
    assert evaluation.top_k_accuracy(y_true, y_prob, k=k) == pytest.approx(expected)
    assert evaluation.top_k_accuracy(np.eye(10)[y_true], y_prob, k=k) == pytest.approx(expected)  # one-hot


def test_top_k_accuracy_refuses_a_k_the_classes_cannot_give():
    with pytest.raises(ValueError, match=r"The `k` argument must be"):
        evaluation.top_k_accuracy([0, 1], [[0.6, 0.4], [0.3, 0.7]], k=3)


def _raster_iou(a, b, size=16):
    """IoU of two integer boxes counted pixel by pixel on a grid: an independent reference."""
    grid_a, grid_b = np.zeros((size, size), bool), np.zeros((size, size), bool)
    grid_a[a[1]:a[3], a[0]:a[2]] = True
    grid_b[b[1]:b[3], b[0]:b[2]] = True
    union = (grid_a | grid_b).sum()
    return (grid_a & grid_b).sum() / union if union else 0.0


def test_box_iou_matches_counting_pixels():
    rng = np.random.default_rng(0)
    corners = np.sort(rng.integers(0, 17, size=(200, 2, 2)), axis=1)  # (n, [start, end], [x, y])
    boxes = corners.transpose(0, 2, 1).reshape(200, 4)[:, [0, 2, 1, 3]]  # (x0, y0, x1, y1)
    a, b = boxes[:100], boxes[100:]
    expected = [_raster_iou(p, q) for p, q in zip(a, b)]
    np.testing.assert_allclose(evaluation.box_iou(a, b), expected)
    assert 0 < np.mean(expected) < 1 and evaluation.box_iou([1, 2, 5, 9], [1, 2, 5, 9]) == 1.0
    # Scaling both boxes leaves the IoU alone (float coordinates, a model's predictions).
    np.testing.assert_allclose(evaluation.box_iou(a / 16, b / 16), expected)


def test_box_iou_refuses_swapped_corners_and_mismatched_shapes():
    with pytest.raises(ValueError, match="x1 < x0"):
        evaluation.box_iou([4, 0, 0, 4], [0, 0, 4, 4])
    with pytest.raises(ValueError, match="the shape of boxes_true"):
        evaluation.box_iou([[0, 0, 4, 4]], [[0, 0, 4, 4], [0, 0, 1, 1]])


def test_mean_iou_matches_keras_mean_iou():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 5, size=(6, 12, 12))
    probabilities = rng.random((6, 12, 12, 5))
    probabilities[..., 4] = 0  # a class never predicted ...
    truth[truth == 3] = 2  # ... and one absent from both: left out of the mean, as Keras does
    probabilities[..., 3] = 0
    reference = keras.metrics.MeanIoU(num_classes=5)
    reference.update_state(truth, probabilities.argmax(axis=-1))
    mean, per_class = evaluation.mean_iou(truth, probabilities, num_classes=5)
    assert mean == pytest.approx(float(reference.result()), abs=1e-6)
    assert np.isnan(per_class[3]) and per_class[4] == 0


def test_mean_iou_refuses_classes_out_of_range():
    with pytest.raises(ValueError, match="integer classes 0 to 1"):
        evaluation.mean_iou([[0, 2]], [[0, 1]], num_classes=2)


def test_coverage_curve_against_answering_above_each_threshold():
    rng = np.random.default_rng(3)
    y_prob = rng.dirichlet(np.ones(4), size=200)
    y_true = rng.integers(0, 4, 200)
    curve = evaluation.coverage_curve(y_true, y_prob)
    # Reference: for each threshold, answer the examples whose top probability reaches it, and score them.
    for k in (1, 17, 100, 150, 200):
        threshold = curve["threshold"][k - 1]
        answered = y_prob.max(axis=1) >= threshold
        assert answered.sum() == k
        assert curve["coverage"][k - 1] == k / 200
        assert curve["accuracy"][k - 1] == pytest.approx(np.mean(y_prob[answered].argmax(axis=1) == y_true[answered]))
    assert curve["accuracy"][-1] == pytest.approx(np.mean(y_prob.argmax(axis=1) == y_true))  # all answered
    assert np.all(np.diff(curve["threshold"]) <= 0)  # surest first


def test_coverage_curve_for_sigmoid_outputs_and_bad_shapes():
    curve = evaluation.coverage_curve([1, 0, 1], [0.9, 0.45, 0.3])  # confidences 0.9, 0.55, 0.7
    assert curve["threshold"].tolist() == pytest.approx([0.9, 0.7, 0.55])
    assert curve["accuracy"].tolist() == pytest.approx([1.0, 0.5, 2 / 3])
    with pytest.raises(ValueError, match="one row per label"):
        evaluation.coverage_curve([0, 1], [[0.5, 0.5]])
