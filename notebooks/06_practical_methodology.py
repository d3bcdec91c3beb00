# %% [markdown]
# # 06 · Practical methodology: from a baseline to a tuned, diagnosed model
#
# **Lecture topic:** practical methodology: set a goal metric, start from a
# simple baseline, diagnose (training vs validation error, learning curves, can
# the model overfit a small batch?), tune hyperparameters by grid and random
# search, and look at the worst errors.
#
# **What you will do:** the full loop on the shapes dataset, with one or two
# lines of `cnn_course` per step.
#
# **Time:** about 2 to 3 minutes on a 2-core laptop CPU.

# %% [markdown]
# ## Setup

# %%
import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
import pathlib
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from cnn_course import (augmentation, data, datasets, diagnostics, evaluation, exercises, learning_curves,
                        models, plots, search, settings, training)
from cnn_course.reproducibility import set_seed

SEED = set_seed(0)
QUICK = settings.quick_mode()  # only the course's automatic tests set this
OUTPUT = pathlib.Path(tempfile.mkdtemp(prefix="cnn_course_06_"))  # search results go here

# %% [markdown]
# ## 1. The goal and the metric
#
# Four balanced classes, and every mistake costs the same: **accuracy** on the
# test set is the right metric (with unbalanced classes or unequal costs, look
# at per-class recall or a cost-weighted metric instead). Goal: 90%. The test
# set is touched once, at the very end; every decision before is made on the
# validation set.

# %%
splits = datasets.load_shapes(quick=QUICK)  # the course's shapes: made once, then read
train, validation, test = splits["train"], splits["validation"], splits["test"]
names = train.class_names
train_ds = data.make_dataset(train, batch_size=32, shuffle=True, seed=SEED)
val_ds = data.make_dataset(validation, batch_size=128)
test_ds = data.make_dataset(test, batch_size=128)

# %% [markdown]
# ## 2. Baselines
#
# Guessing the most frequent class gives 25%. A logistic regression on the raw
# pixels is the simplest learned baseline; to fit in seconds, it reads every
# second pixel of every second row (32x32x3 values):

# %%
def flat(split):
    return split.images[:, ::2, ::2].reshape(len(split.images), -1) / 255.0

print(f"Fitting a logistic regression on {flat(train).shape[1]:,} pixel values per image "
      "(a few seconds on a laptop) ...", flush=True)
# C=0.001: strong regularisation, for 3,072 inputs and only 1,000 images; it also converges in
# well under 300 iterations (with sklearn's default C=1 it does not).
logistic = LogisticRegression(C=0.001, max_iter=300).fit(flat(train), train.labels)
print(f"majority class: {np.mean(validation.labels == np.bincount(train.labels).argmax()):.3f}, "
      f"logistic regression: {logistic.score(flat(validation), validation.labels):.3f} (validation)")

# %% [markdown]
# ## 3. A first convnet, and a diagnosis
#
# Before training for long, two cheap checks. Is the output layer right for the
# labels and the loss? Can the model overfit a single small batch? A model
# that cannot learn 32 images by heart has a bug (a wrong loss, a learning rate
# far off, labels not matching images), and more data or epochs will not fix it.

#
# The convnet is notebook 03's: `models.shapes_convnet` builds three blocks of
# convolution, batch normalization, ReLU and max pooling (16, 32, 64 filters),
# then global max pooling into the softmax, with an optional dropout before it.

# %%
def build_convnet(learning_rate=1e-3, dropout=0.0):
    model = models.shapes_convnet(train.image_shape, train.num_classes, dropout=dropout)
    return models.compile_for_task(model, "multiclass", learning_rate=learning_rate)


x_small, y_small = train.images[:32] / 255.0, train.labels[:32]
diagnostics.can_overfit_small_batch(build_convnet, x_small, y_small);

# %% [markdown]
# The same check catches a classic mistake: a softmax output compiled with
# `binary_crossentropy` (the loss for one sigmoid unit) trains, but on
# nonsense. The check says what is wrong and how to fix it:

# %%
def broken_model():
    model = models.shapes_convnet(train.image_shape, train.num_classes)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


diagnostics.can_overfit_small_batch(broken_model, x_small, y_small);

# %% [markdown]
# Now train the first convnet, logging the gradient norm of each layer. The
# curves say **overfitting**: training accuracy near 100%, validation clearly below.

# %%
set_seed(SEED)
first = build_convnet()
gradients = diagnostics.GradientNormLogger(x_small, y_small)
first_history = training.fit(first, train_ds, val_ds, epochs=2 if QUICK else 10,
                             callbacks=[gradients])
plots.plot_history(first_history, metrics=("loss", "accuracy"), title="first convnet")
diagnostics.plot_gradient_norms(gradients)
print("dead ReLU units per layer:", diagnostics.dead_relu_fraction(first, validation.images[:200] / 255.0))

# %% [markdown]
# ### The whole diagnosis table
#
# Curves are read against a **target**: the lowest error the task allows. That
# is the Bayes error, which nobody knows; for a task people do well, the error
# of a careful human is the usual estimate (you would label these shapes
# without mistakes, so about 0%, a little more where clutter hides a shape).
# Three gaps then point to three different cures, worked on in this order:
#
# | gap | means | try |
# |---|---|---|
# | training - target (**avoidable bias**) | underfitting | a bigger model, longer training, another learning rate |
# | validation - training (**variance**) | overfitting | more data or augmentation, regularisation |
# | test - validation (**mismatch**) | tuning overfitted validation | a fresh validation set, like the test set |
#
# Get the training error down first, then regularise: a regulariser cannot
# help a model that does not fit its training data. `diagnostics.diagnose_errors`
# reads the three gaps and says which comes first (the test error is only
# added at the very end):

# %%
last = first_history.history
print(diagnostics.diagnose_errors(1 - last["accuracy"][-1], 1 - last["val_accuracy"][-1], target_error=0.0))

# %% [markdown]
# ## 4. Will more data help? The learning curve
#
# Train the same network on growing parts of the training set (one line per
# size when it is done). If validation error is still falling at the full size,
# more data (or augmentation, which acts like more data) will help.

# %%
curve = learning_curves.learning_curve(build_convnet, train, validation, sizes=(0.25, 0.5, 1.0),
                                       epochs=2 if QUICK else 6, seed=SEED)
print(curve.table)
learning_curves.plot_learning_curve(curve);

# %% [markdown]
# Two points of a curve are a noisy answer: here one validation image moves
# the error by a fraction of a point. Read the whole curve with two numbers
# instead. The **slope per doubling** is the slope of a straight line fitted
# to the validation errors against `log2` of the training sizes: the change of
# error each time the data doubles (sizes grow by factors, so doublings are
# the natural step). The **gap** is validation error minus training error at
# the largest size. A clearly negative slope with a gap still open says that
# more examples have something left to teach; a flat slope, or two errors that
# have met, says that more of the same data changes little, and that a larger
# model or better features are the next thing to try.

# %%
slope = np.polyfit(np.log2(curve.train_sizes), curve.val_error, 1)[0]
gap = curve.val_error[-1] - curve.train_error[-1]
print(f"validation error per doubling of the data: {slope:+.3f}")
print(f"gap at the full size (validation - training): {gap:+.3f}")

# %% [markdown]
# ## 5. Tuning: grid search against random search, same budget
#
# Four trials each, on the learning rate and the dropout rate, each trial a
# short training run scored on the validation set. The grid tries two values of
# each; random search draws the learning rate on a **log scale** (1e-4 to 1e-1:
# what matters is its order of magnitude) and so tries four different learning
# rates. To keep the trials short, each trains on half of the training images
# (125 per class, in batches of 16) and is scored on the whole validation set;
# the final model below trains on all of them. Each trial prints one line: its hyperparameters,
# its scores and its seconds. Results are written to a file as they finish: interrupt the cell and
# run it again, and it continues where it stopped (the trials already done say
# "resumed").

# %%
TRIAL_EPOCHS = 1 if QUICK else 4
half = np.concatenate([np.flatnonzero(train.labels == c)[:len(train) // (2 * train.num_classes)]
                       for c in range(train.num_classes)])
# Batches of 16: as many weight updates per epoch as the full training set gives in batches of 32.
trial_ds = data.make_dataset(train.images[half], train.labels[half], batch_size=16, shuffle=True, seed=SEED)


def evaluate(learning_rate, dropout):
    model = build_convnet(learning_rate=learning_rate, dropout=dropout)
    history = training.fit(model, trial_ds, val_ds, epochs=TRIAL_EPOCHS, verbose=0)
    return {"val_accuracy": max(history.history["val_accuracy"]),
            "val_loss": min(history.history["val_loss"])}


# Quick mode (a check that everything runs) tries half as many configurations.
grid_result = search.grid_search(evaluate, search.grid({"learning_rate": [1e-3, 1e-2],
                                                        "dropout": [0.0] if QUICK else [0.0, 0.25]}),
                                 results_path=OUTPUT / "grid.jsonl")
random_result = search.random_search(evaluate, {"learning_rate": search.log_uniform(1e-4, 1e-1),
                                                "dropout": search.uniform(0.0, 0.3)},
                                     n_trials=2 if QUICK else 4, seed=SEED, results_path=OUTPUT / "random.jsonl")
print("grid search\n", grid_result)
print("random search\n", random_result)
grid_result.plot_marginals("val_accuracy")
random_result.plot_marginals("val_accuracy");

# %% [markdown]
# Read the learning-rate panels together: the lecture's U-shape. Too small a
# rate and four epochs are not enough to get anywhere; too large and training
# cannot settle, often stuck at chance level (25%); the best rates lie in
# between, from about 1e-3 to 1e-2 for Adam in a network with batch
# normalization. Dropout before the output slows this small network down
# (notebook 03 says why), so in four epochs the trials with less of it tend
# to score higher. Which search found the best trial in your run
# depends on the draws, and the cell below prints it: the grid can only try
# its two learning rates, while random search tries four different ones for
# the same budget and maps how fast accuracy falls off on both sides. With
# more hyperparameters, of which only one or two matter, that is why random
# search usually wins.
#
# **Coarse to fine.** A real search does not stop here: it searches again in a
# narrower range around the best trials, and again, each round with more
# epochs per trial. The next round's learning-rate range, from the two best
# random trials:

# %%
top = sorted(random_result.rows, key=lambda row: row["metrics"]["val_accuracy"], reverse=True)[:2]
rates = [row["config"]["learning_rate"] for row in top]
print(f"next round: learning_rate = search.log_uniform({min(rates) / 2:.1e}, {max(rates) * 2:.1e}), "
      f"with more epochs per trial")

# %% [markdown]
# **Cross-validation, when data is scarce.** One validation split of a small
# dataset is itself a small sample: its score moves by several points with the
# split. k-fold cross-validation trains k times, each time holding out another
# k-th of the data, and reports the mean and the spread. It costs k trainings,
# which is why the convnets here use one split of 1,000 images; on 200 digits
# and a model that trains in a second, it is cheap:

# %%
digits = datasets.load_digits(seed=SEED)
x_small_digits = digits["train"].images[:200].reshape(200, -1) / 16.0
y_small_digits = digits["train"].labels[:200]
scores = cross_val_score(LogisticRegression(max_iter=2000), x_small_digits, y_small_digits, cv=5)
print("5 folds:", np.round(scores, 3), f" mean {scores.mean():.3f}, standard deviation {scores.std():.3f}")

# %% [markdown]
# ## 6. The final model, and its worst errors
#
# The best learning rate and dropout rate, now with augmentation (notebook 03),
# trained longer. Then the test set, once.
#
# A caution about this step: the search ran without augmentation, and
# augmentation changes the problem. It regularises, so the best dropout rate
# with it is often lower than without it, and a harder training task may
# want a different learning rate. Reusing the search's winner is a shortcut
# that saves a second search; the careful way is to search with the
# augmentation you will train with, which needs more epochs per trial.
# Compare the best validation accuracy printed below with the search's: if it
# is lower, the shortcut did not carry over.

# %%
best = max([grid_result.best("val_accuracy"), random_result.best("val_accuracy")],
           key=lambda row: row["metrics"]["val_accuracy"])
winner = "grid" if best in grid_result.rows else "random"
print(f"best configuration ({winner} search):", best["config"],
      "validation accuracy", best["metrics"]["val_accuracy"])
set_seed(SEED)
final = models.compile_for_task(
    models.shapes_convnet(train.image_shape, train.num_classes, dropout=best["config"]["dropout"],
                          augmentation=augmentation.recipe("shapes", seed=SEED)),
    "multiclass", learning_rate=best["config"]["learning_rate"])
training.fit(final, train_ds, val_ds, epochs=2 if QUICK else 12, patience=6, monitor="val_accuracy")

y_true, y_prob = evaluation.predict_with_labels(final, test_ds)
y_pred = y_prob.argmax(axis=1)
cm = evaluation.confusion_matrix(y_true, y_pred, len(names))
print(f"test accuracy: {np.mean(y_pred == y_true):.3f}")
print(evaluation.classification_table(y_true, y_pred, names))
print("most confused:", evaluation.most_confused_pairs(cm, names, top=3))
train_accuracy = final.evaluate(data.make_dataset(train, batch_size=128), verbose=0)[1]
val_accuracy = final.evaluate(val_ds, verbose=0)[1]
print(diagnostics.diagnose_errors(1 - train_accuracy, 1 - val_accuracy, 1 - np.mean(y_pred == y_true)))
evaluation.plot_confusion_matrix(cm, names)
evaluation.plot_worst_errors(test.images, y_true, y_prob, names, k=8);

# %% [markdown]
# The worst errors are the mistakes the model was most sure of. Look at them:
# are they mislabelled, hidden by clutter, or a real confusion between two
# shapes? That tells you what to do next (clean labels, more augmentation, a
# bigger model). Go where the diagnosis points: when the errors are mislabelled
# or unusual images, a cleverer architecture will not fix them, and trying one
# after another is the "algorithm rabbit hole" the lecture warns of. When the
# model itself is short, the lecture's default is a larger model, regularised
# well, rather than a small one.
#
# ### Answer less, be right more: coverage
#
# A model need not answer every image. If it answers only when the probability
# of its predicted class is high enough, and hands the rest to a person
# (manual curation), it is right more often on what it answers. The share it
# answers is its **coverage**; the goal then has two numbers. Goodfellow et
# al.'s reader of Street View house numbers had to reach 98% accuracy at 95%
# coverage. `evaluation.coverage_curve` sorts the test images from surest to
# least sure and scores every cut-off:

# %%
curve = evaluation.coverage_curve(y_true, y_prob)
for share in (1.0, 0.95, 0.9, 0.75, 0.5):
    k = int(np.ceil(share * len(y_true))) - 1
    print(f"answer {curve['coverage'][k]:.0%} of the test images (probability >= {curve['threshold'][k]:.3f}): "
          f"accuracy {curve['accuracy'][k]:.3f}")
fig, ax = plt.subplots(figsize=(5, 3.4))
ax.plot(curve["coverage"], curve["accuracy"])
ax.set(xlabel="coverage (share of test images answered)", ylabel="accuracy on those answered",
       title="accuracy against coverage")
ax.grid(alpha=0.3)

# %% [markdown]
# Accuracy rises as coverage falls: the model's confidence carries
# information, though it is no guarantee (the worst errors above were
# confident). Choose the threshold on the validation set, not the test set,
# as for any other setting.
#
# The same habit of checking on small, known cases applies to code: before a
# long run, run each piece on a toy input whose answer you know (the
# one-batch overfitting check of section 3 is one such test). The course's own
# `tests/` folder does this for every helper.

# %% [markdown]
# **Exercise.** Suppose 5% of all hyperparameter settings are good enough. What is the
# probability that at least one of 60 independent random-search trials is one of them?
# (This is why a few dozen random trials are often enough.)

# %%
exercises.check("06.random_search_hit", None)  # your answer: a number between 0 and 1

# %% [markdown]
# ## Key points
#
# - Fix the goal and the metric first, then beat simple baselines.
# - Diagnose against a target (human-level error for the Bayes error): training error far
#   above it means underfitting, a large train-validation gap overfitting, a
#   validation-test gap a tuned-to-death validation set. Fix the training error first.
# - The learning curve tells whether more data would help.
# - Random search covers the important hyperparameters better than a grid of the same size;
#   refine coarse to fine. With little data, k-fold cross-validation steadies the scores.
# - Look at the worst errors, and use the test set once, at the end.
#
# **Next:** notebook 07 follows the architectures from LeNet to ResNet.
