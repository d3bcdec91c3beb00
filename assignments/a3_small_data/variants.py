"""Submissions that test the checks of A3: wrong answers with the exact checks each must fail,
and correct variants that must keep full marks. Each is a list of text replacements on the
reference (the master without its check cells); every `old` text occurs exactly once in it.

The tests grade in quick mode, on any CPU: each wrong answer below fails its named checks for a
reason that does not depend on where a trained accuracy falls (a layer, a frozen weight, a unit, a
statement that contradicts the student's own table), and the accuracy thresholds it must still
pass are, in quick mode, only those of a model that does better than guessing badly.
"""

# The lines of the reference that the variants change.
_SEED = "SEED = set_seed(0)"
_AUGMENTED = "augmented_model = shapes_net(augment)\n# END SOLUTION"
_FREEZE = "base.trainable = False\ninputs = keras.Input(shape=(64, 64, 3))"
_UNFREEZE_LOOP = """for layer in base.layers:
    layer.trainable = layer.name.startswith("block3")
"""
_RECOMPILE = """transfer_model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                       loss="sparse_categorical_crossentropy", metrics=["accuracy"])
"""
_UNFREEZE_AND_RECOMPILE = "base.trainable = True\n" + _UNFREEZE_LOOP + _RECOMPILE
_BEST = "best_method = max(accuracies, key=accuracies.get)"
_GAINED = 'fine_tuning_gained = accuracies["fine_tuning"] - accuracies["feature_extraction"] > GAIN_MARGIN'

_SHAPES_NET = '''    layers = [keras.Input(shape=(64, 64, 3))]  # (batch, 64, 64, 3), values in [0, 1]
    if augment is not None:
        layers.append(augment)
    for filters in (16, 32, 64):  # (batch, 62, 62, 16) -> (31, 31, 16) ... (12, 12, 64) -> (6, 6, 64)
        layers += [
            keras.layers.Conv2D(filters, 3, use_bias=False, kernel_initializer="he_normal"),
            keras.layers.BatchNormalization(momentum=0.9),
            keras.layers.Activation("relu"),
            keras.layers.MaxPooling2D(2),
        ]
    layers += [
        keras.layers.GlobalMaxPooling2D(),  # (batch, 64)
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),  # (batch, 4)
    ]
    model = keras.Sequential(layers, name="shapes_net")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
'''

# The book's network of notebook 03's "older recipe": conv/ReLU/pooling blocks, Flatten, Dense(64).
_SHAPES_NET_FLATTEN = '''    layers = [keras.Input(shape=(64, 64, 3))]
    if augment is not None:
        layers.append(augment)
    for filters in (16, 32, 64):
        layers.append(keras.layers.Conv2D(filters, 3, activation="relu"))
        layers.append(keras.layers.MaxPooling2D(2))
    layers += [
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ]
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
'''

# The functional API, own layer names, ReLU layers, Keras's default BN momentum, logits into a loss object.
_SHAPES_NET_FUNCTIONAL = '''    inputs = keras.Input(shape=(64, 64, 3), name="pixels")
    x = augment(inputs) if augment is not None else inputs
    for block, width in enumerate((16, 32, 64), start=1):
        x = keras.layers.Conv2D(width, (3, 3), use_bias=False, kernel_initializer="he_normal",
                                name=f"c{block}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{block}")(x)
        x = keras.layers.ReLU(name=f"relu{block}")(x)
        x = keras.layers.MaxPool2D(pool_size=(2, 2), name=f"p{block}")(x)
    x = keras.layers.GlobalMaxPool2D(name="gmp")(x)
    logits = keras.layers.Dense(4, name="logits")(x)
    model = keras.Model(inputs, logits, name="mine")
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
'''

# cnn_course's own network and compile helper.
_SHAPES_NET_COURSE = '''    from cnn_course import models

    model = models.shapes_convnet((64, 64, 3), len(CLASS_NAMES), augmentation=augment)
    return models.compile_for_task(model, "multiclass")
'''

_AUGMENT = '''augment = keras.Sequential([
    keras.layers.RandomFlip("horizontal"),  # mirror left-right, half of the time
    keras.layers.RandomTranslation(0.1, 0.1),  # move by up to 10% of the height and of the width
], name="augment")'''

_FEATURE_CLASSIFIER = '''feature_classifier = keras.Sequential([
    keras.Input(shape=train_features.shape[1:]),  # (batch, 6, 6, 128)
    keras.layers.Flatten(),  # (batch, 4608)
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
], name="feature_classifier")'''

_FEATURE_CLASSIFIER_FUNCTIONAL = '''feature_inputs = keras.Input(shape=(6, 6, 128), name="base_features")
h = keras.layers.Flatten(name="flatten_features")(feature_inputs)
h = keras.layers.Dense(64, activation="relu", name="fc")(h)
h = keras.layers.Dropout(0.5, name="drop")(h)
probabilities = keras.layers.Dense(4, activation="softmax", name="probs")(h)
feature_classifier = keras.Model(feature_inputs, probabilities)'''

_TRANSFER_MODEL = '''inputs = keras.Input(shape=(64, 64, 3))  # (batch, 64, 64, 3), values in [0, 1]
x = base(inputs, training=False)  # (batch, 6, 6, 128)
x = keras.layers.Flatten()(x)
x = keras.layers.Dense(64, activation="relu")(x)
x = keras.layers.Dropout(0.5)(x)
outputs = keras.layers.Dense(len(CLASS_NAMES), activation="softmax")(x)
transfer_model = keras.Model(inputs, outputs, name="transfer_model")'''

# A Sequential model around the base, frozen with the course's helper.
_TRANSFER_SEQUENTIAL = '''transfer.freeze(base)
transfer_model = keras.Sequential([
    keras.Input(shape=(64, 64, 3)),
    base,
    keras.layers.Flatten(),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(4, activation="softmax"),
])'''

_ACCURACIES = '''accuracies = {
    "scratch": scratch_model.evaluate(test_ds, verbose=0)[1],
    "augmented": augmented_model.evaluate(test_ds, verbose=0)[1],
    "feature_extraction": feature_classifier.evaluate(test_features, test.labels, verbose=0)[1],
    "fine_tuning": transfer_model.evaluate(test_ds, verbose=0)[1],
}'''

# Accuracies from predict() and argmax, NumPy numbers; the gain in points, a NumPy boolean.
_ACCURACIES_BY_HAND = '''x_test = test.images / 255.0
accuracies = {}
for method, model, inputs in (("scratch", scratch_model, x_test), ("augmented", augmented_model, x_test),
                              ("feature_extraction", feature_classifier, test_features),
                              ("fine_tuning", transfer_model, x_test)):
    predicted = model.predict(inputs, verbose=0).argmax(axis=1)
    accuracies[method] = np.mean(predicted == test.labels)'''
_GAINED_IN_POINTS = ('gain_points = 100 * (accuracies["fine_tuning"] - accuracies["feature_extraction"])\n'
                     "fine_tuning_gained = np.greater(gain_points, 100 * GAIN_MARGIN)")

VARIANTS = [
    # --- wrong answers (the tests grade the first three) ---------------------------------
    {
        # Notebook 03's older recipe (Flatten into Dense(64), no batch normalization) instead of
        # the course's network. Both models are built with it, so question 2's comparison holds.
        "name": "older_recipe_flatten_head",
        "kind": "wrong",
        "replace": [(_SHAPES_NET, _SHAPES_NET_FLATTEN)],
        "fails": ["q1.scratch_model_is_the_course_network"],
    },
    {
        # Unfrozen, but not compiled again: Keras keeps training the head alone, at 1e-3.
        "name": "no_recompile_after_unfreezing",
        "kind": "wrong",
        "replace": [(_RECOMPILE, "")],
        "fails": ["q5.small_learning_rate_for_fine_tuning", "q5.compiled_again_after_unfreezing",
                  "q5.fine_tuning_changed_only_the_top_block"],
    },
    {
        # Question 6 read the other way round: True when feature extraction did about as well
        # (the answer to "was the frozen base enough?"), whatever the numbers.
        "name": "fine_tuning_gain_read_the_other_way",
        "kind": "wrong",
        "replace": [(_GAINED, 'fine_tuning_gained = accuracies["feature_extraction"] >= '
                              'accuracies["fine_tuning"] - GAIN_MARGIN')],
        "fails": ["q6.fine_tuning_gain_from_your_numbers", "q6.fine_tuning_gain_matches_your_models"],
    },
    {
        # The base is never frozen: the head's training (at Adam's full learning rate)
        # changes the pretrained filters of every block.
        "name": "base_not_frozen",
        "kind": "wrong",
        "replace": [(_FREEZE, "inputs = keras.Input(shape=(64, 64, 3))")],
        "fails": ["q4.base_frozen_while_the_head_trained", "q4.head_training_kept_the_pretrained_filters",
                  "q5.fine_tuning_changed_only_the_top_block"],
    },
    {
        # The whole base unfrozen instead of its top block.
        "name": "unfroze_everything",
        "kind": "wrong",
        "replace": [(_UNFREEZE_LOOP, "")],
        "fails": ["q5.only_the_top_block_unfrozen", "q5.trainable_weights_while_fine_tuning",
                  "q5.fine_tuning_changed_only_the_top_block"],
    },
    {
        # Question 2 without augmentation: the same network trained again.
        "name": "no_augmentation",
        "kind": "wrong",
        "replace": [(_AUGMENTED, "augmented_model = shapes_net()\n# END SOLUTION")],
        "fails": ["q2.augmentation_layers_inside", "q2.augmentation_beats_training_from_scratch"],
    },
    {
        # min instead of max: the method with the lowest accuracy.
        "name": "best_method_is_the_worst",
        "kind": "wrong",
        "replace": [(_BEST, "best_method = min(accuracies, key=accuracies.get)")],
        "fails": ["q6.best_method_from_your_numbers"],
    },
    {
        # The accuracies in percent: one mistake (the unit), one point lost, not three; best_method
        # and fine_tuning_gained are right in the student's own numbers.
        "name": "accuracies_in_percent",
        "kind": "wrong",
        "replace": [(_GAINED, _GAINED + "\naccuracies = {method: 100 * value for method, value in "
                     "accuracies.items()}")],
        "fails": ["q6.accuracies_of_the_four_methods"],
    },
    # --- correct variants (the tests grade the first one) --------------------------------
    {
        "name": "seed_1",
        "kind": "correct",
        "replace": [(_SEED, "SEED = set_seed(1)")],
    },
    {
        # cnn_course's helpers: shapes_convnet and compile_for_task, the "shapes" augmentation
        # recipe, freeze, a Sequential model around the base, and fine_tune (which unfreezes
        # and compiles again in one call).
        "name": "course_helpers",
        "kind": "correct",
        "replace": [(_SHAPES_NET, _SHAPES_NET_COURSE),
                    (_AUGMENT, "from cnn_course import augmentation\n\n"
                               'augment = augmentation.recipe("shapes", seed=SEED)'),
                    ("base.trainable = False\n" + _TRANSFER_MODEL, _TRANSFER_SEQUENTIAL),
                    (_UNFREEZE_AND_RECOMPILE,
                     'transfer.fine_tune(transfer_model, base, from_layer="block3_conv1",\n'
                     '                   learning_rate=1e-4, optimizer="adam")\n')],
    },
    {
        # Functional models with own layer names, ReLU layers, logits and a from_logits loss.
        "name": "functional_logits",
        "kind": "correct",
        "replace": [(_SHAPES_NET, _SHAPES_NET_FUNCTIONAL),
                    (_FEATURE_CLASSIFIER, _FEATURE_CLASSIFIER_FUNCTIONAL)],
    },
    {
        # Accuracies measured with predict() and argmax (NumPy floats), the gain compared in
        # points (a NumPy boolean).
        "name": "accuracies_by_hand",
        "kind": "correct",
        "replace": [(_ACCURACIES, _ACCURACIES_BY_HAND), (_GAINED, _GAINED_IN_POINTS)],
    },
]
