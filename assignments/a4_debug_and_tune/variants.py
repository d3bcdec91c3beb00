"""Submissions that test the checks of A4: wrong answers (and the exact checks each must fail), correct variants.

Each variant is the reference submission (the master without its check cells)
with the text replacements in `replace` applied; each `old` text occurs exactly
once in it. `cnn_course.grading.write_samples` writes them out.

A fault left in place costs its own question, and q6 too where it spoils
training (the loss, the learning rate, the scale of x_train): q6 measures the
trained model. Faults of `evaluate` (q4, q5) cost only their own question.
"""

_TRAINED_MODEL = ["q6.validation_accuracy_reached", "q6.accurate_on_hidden_test_images"]
#: Question 8's three answer lines, as the reference writes them.
_SLOPE = 'val_slope = float(np.polyfit(np.log2(CURVE_SIZES), val_errors, 1)[0])  # SOLUTION'
_GAP = 'final_gap = float(val_errors[-1] - train_errors[-1])  # SOLUTION'
_ANSWER = 'MORE_DATA_HELPS = bool(val_slope < -0.01 and final_gap > 0.02)  # SOLUTION'

VARIANTS = [
    # ---- wrong: one fault of the script left as handed out
    {"name": "loss_left_as_given", "kind": "wrong",
     "replace": [('              loss="sparse_categorical_crossentropy",\n              # END SOLUTION',
                  '              loss="categorical_crossentropy",\n              # END SOLUTION')],
     "fails": ["q1.loss_suits_the_labels", *_TRAINED_MODEL]},
    {"name": "learning_rate_left_as_given", "kind": "wrong",
     "replace": [("LEARNING_RATE = 3e-3", "LEARNING_RATE = 1.0")],
     "fails": ["q2.learning_rate_lets_adam_train", *_TRAINED_MODEL]},
    {"name": "training_images_not_scaled", "kind": "wrong",
     "replace": [('x_train = train.images.astype("float32") / 255.0', 'x_train = train.images.astype("float32")')],
     "fails": ["q3.training_images_on_the_right_scale", *_TRAINED_MODEL]},
    {"name": "test_set_reshuffled_between_passes", "kind": "wrong",
     "replace": [("    dataset = dataset.batch(batch_size)",
                  "    dataset = dataset.shuffle(len(labels)).batch(batch_size)")],
     "fails": ["q4.evaluate_pairs_each_prediction_with_its_label"]},
    {"name": "training_mode_at_evaluation", "kind": "wrong",
     "replace": [("model(x, training=False) for x, _ in dataset", "model(x, training=True) for x, _ in dataset")],
     "fails": ["q5.evaluate_measures_the_trained_model"]},
    # ---- wrong: the later questions
    {"name": "majority_measured_on_training_labels", "kind": "wrong",
     "replace": [("majority_accuracy = float(np.mean(y_val == most_frequent))",
                  "majority_accuracy = float(np.mean(y_train == most_frequent))")],
     "fails": ["q7.majority_baseline"]},
    {"name": "logistic_scored_on_training_images", "kind": "wrong",
     "replace": [("logistic_accuracy = float(logistic.score(flat(x_val), y_val))",
                  "logistic_accuracy = float(logistic.score(flat(x_train), y_train))")],
     "fails": ["q7.logistic_baseline"]},
    # q8: the reference's curve falls fast but its two errors meet (gap under 0.02) in both modes and on
    # set_seed(0..2), so its answer is False; a wrong slope or gap that still gives False loses only its check.
    {"name": "more_data_answer_negated", "kind": "wrong",
     "replace": [(_ANSWER,
                  "MORE_DATA_HELPS = not (val_slope < -0.01 and final_gap > 0.02)  # SOLUTION")],
     "fails": ["q8.more_data_answer_matches_slope_and_gap"]},
    {"name": "more_data_from_the_slope_alone", "kind": "wrong",
     "replace": [(_ANSWER, "MORE_DATA_HELPS = bool(val_slope < -0.01)  # SOLUTION")],
     "fails": ["q8.more_data_answer_matches_slope_and_gap"]},
    {"name": "slope_against_sizes_not_doublings", "kind": "wrong",
     "replace": [(_SLOPE,
                  "val_slope = float(np.polyfit(CURVE_SIZES, val_errors, 1)[0])  # SOLUTION")],
     "fails": ["q8.slope_and_gap_of_the_curve"]},
    {"name": "gap_training_minus_validation", "kind": "wrong",
     "replace": [(_GAP, "final_gap = float(train_errors[-1] - val_errors[-1])  # SOLUTION")],
     "fails": ["q8.slope_and_gap_of_the_curve"]},
    {"name": "worst_trial_as_best", "kind": "wrong",
     "replace": [('best_config = search_result.best()["config"]', 'best_config = search_result.table[-1]["config"]')],
     "fails": ["q9.best_config_is_the_best_trial"]},
    # ---- correct: other seeds and other right fixes
    {"name": "seed_1", "kind": "correct",
     "replace": [("SEED = set_seed(0)", "SEED = set_seed(1)")], "fails": []},
    {"name": "loss_object", "kind": "correct",
     "replace": [('              loss="sparse_categorical_crossentropy",\n              # END SOLUTION',
                  "              loss=keras.losses.SparseCategoricalCrossentropy(),\n              # END SOLUTION")],
     "fails": []},
    {"name": "learning_rate_1e-2", "kind": "correct",
     "replace": [("LEARNING_RATE = 3e-3", "LEARNING_RATE = 1e-2")], "fails": []},
    {"name": "evaluate_in_one_pass_over_a_shuffled_set", "kind": "correct",
     "replace": [("    dataset = dataset.batch(batch_size)",
                  "    dataset = dataset.shuffle(len(labels)).batch(batch_size)"),
                 ("    probabilities = np.concatenate([model(x, training=False) for x, _ in dataset])  # (n, 10)",
                  "    batches = [(model(x, training=False), y) for x, y in dataset]  # one pass: pairs stay together\n"
                  "    probabilities = np.concatenate([p for p, _ in batches])  # (n, 10)"),
                 ("    true_labels = np.concatenate([y for _, y in dataset])  # (n,)",
                  "    true_labels = np.concatenate([y for _, y in batches])  # (n,)")],
     "fails": []},
    {"name": "evaluate_with_predict", "kind": "correct",
     "replace": [("np.concatenate([model(x, training=False) for x, _ in dataset])",
                  "model.predict(dataset, verbose=0)")],
     "fails": []},
    {"name": "slope_and_answer_by_hand", "kind": "correct",
     "replace": [(_SLOPE,
                  "doublings = np.log2(CURVE_SIZES)\n"
                  "centred = doublings - doublings.mean()\n"
                  "val_slope = np.sum(centred * (np.array(val_errors) - np.mean(val_errors))) / np.sum(centred ** 2)"),
                 (_ANSWER, "MORE_DATA_HELPS = (val_slope < -0.01) & (final_gap > 0.02)")],
     "fails": []},
    {"name": "best_config_by_hand", "kind": "correct",
     "replace": [('best_config = search_result.best()["config"]',
                  'best_config = max(search_result.rows, key=lambda row: row["metrics"]["val_accuracy"])["config"]')],
     "fails": []},
]
